//! The command line's types, and nothing else: clap parses into these, and
//! `cmd` runs them. A new option is a field here and a line in its command.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::daemon_args::{DaemonArgs, parse_secs};
use crate::script::params::{Setting, parse_setting};

/// Shown after `netrig --help`: the common first steps.
const EXAMPLES: &str = "\
Examples:
  netrig setup                                 check the daemon; build busybox:latest without a registry
  netrig run scripts/05-several-networks.rhai  run a scenario, then remove what it made
  netrig run --keep scenario.rhai              keep it to look at; `netrig clean` removes it later
  netrig test --junit report.xml               run tests/scenarios/*.rhai as a CI test suite
  netrig graph --format svg -o topology.svg    draw what netrig runs now
  netrig                                       explore in the REPL (:help lists every function)";

/// Docker networking, scripted: build multi-network setups in Rhai, check
/// them, and leave no trace.
#[derive(Debug, Parser)]
#[command(name = "netrig", version, about, long_about = None, after_help = EXAMPLES)]
pub(crate) struct Cli {
    /// How to reach the Docker daemon: options every command takes.
    #[command(flatten)]
    pub(crate) global: DaemonArgs,

    /// Keep what the REPL session created when it ends.
    #[arg(long)]
    pub(crate) keep: bool,

    /// What to do; none opens the REPL.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// netrig's subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a scenario script, then remove everything it created.
    Run(RunArgs),
    /// Run scenario scripts as a test suite: isolated from each other, in parallel, with a report and an exit code for CI.
    Test(TestArgs),
    /// Check the daemon answers and make sure busybox:latest exists (built from the host's static busybox when no registry is reachable).
    Setup,
    /// Remove what finished or killed runs left on the daemon (only resources labelled netrig.managed, and a swarm a run started); one daemon per call: --host URL for the others a run used.
    Clean(CleanArgs),
    /// The companion process that cleans up after a netrig that died (started by netrig itself).
    #[command(hide = true)]
    Reap(ReapArgs),
    /// Draw the live networks and containers (of one run, of everything netrig manages, or of the whole daemon) as Mermaid, DOT or SVG.
    Graph(GraphArgs),
    /// Write what a run made (one kept with `netrig run --keep`) as a Compose file that docker-compose and `docker compose` bring up.
    Export(ExportArgs),
    /// Print the shell script that completes netrig's commands, options, scenario files and run ids (source it from your shell's startup file).
    Completions(CompletionsArgs),
    /// Write Rhai definition files of every netrig function, module and handle type, for editors (the Rhai language server).
    Defs(DefsArgs),
    /// Print the man page, or write one page per command into DIR.
    Man(ManArgs),
}

/// `netrig run`.
#[derive(Debug, Clone, Args)]
pub(crate) struct RunArgs {
    /// The .rhai script.
    pub(crate) file: PathBuf,
    /// Leave the containers and networks in place (remove them later with `netrig clean`).
    #[arg(long)]
    pub(crate) keep: bool,
    /// Write the run id (the netrig.run label of what the run creates) to FILE, alone on a line, before the script starts: for `netrig clean --run "$(cat FILE)"` after `--keep`.
    #[arg(long, value_name = "FILE")]
    pub(crate) run_id_file: Option<PathBuf>,
    /// Stop the script after SECS seconds of wall-clock time (teardown still runs).
    #[arg(long, value_name = "SECS", value_parser = parse_secs, default_value = "600")]
    pub(crate) timeout: Duration,
    /// Allow what reaches past the containers: privileged containers, the host network, capabilities beyond NET_ADMIN and NET_RAW, host-attached network drivers, starting or joining a swarm, other Docker daemons (docker::connect), files outside the script's directory.
    #[arg(long)]
    pub(crate) allow_host_access: bool,
    /// Record every Docker API call, exec and check (start, duration, arguments, result) in FILE, as Chrome trace-event JSON: open it in https://ui.perfetto.dev or chrome://tracing.
    #[arg(long, value_name = "FILE")]
    pub(crate) trace: Option<PathBuf>,
    /// Before each Docker operation, print the docker CLI command that does the same (on stderr, after `$ `).
    #[arg(long)]
    pub(crate) explain: bool,
    /// Capture the packets of every container the run starts, all its interfaces, into DIR/<container>.pcap as the run goes (Wireshark and tshark read them).
    #[arg(long, value_name = "DIR")]
    pub(crate) capture: Option<PathBuf>,
    /// Give the script a parameter: `params.KEY` in the script; VALUE typed by its text (3, 0.5, true, '["a","b"]', '{"k":1}', else a string). Repeat for more.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_setting)]
    pub(crate) set: Vec<Setting>,
}

/// `netrig test`.
#[derive(Debug, Clone, Args)]
pub(crate) struct TestArgs {
    /// Scenario files and directories (default: tests/scenarios/, else scenarios/).
    pub(crate) paths: Vec<PathBuf>,
    /// Scenarios run at once (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) jobs: Option<u16>,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Run only scenarios whose name or path contains TEXT, or that carry the tag TEXT; give it several times to run what any of them matches. Matching nothing is an error (exit 2).
    #[arg(long, value_name = "TEXT")]
    pub(crate) filter: Vec<String>,
    /// Leave a failed scenario's containers and networks in place and print how to inspect and remove them.
    #[arg(long)]
    pub(crate) keep_failed: bool,
    /// Time limit per scenario in seconds, unless its header sets `//! timeout:` (default 300).
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub(crate) timeout: Option<Duration>,
    /// Also print what passing scenarios printed (failed ones always show it).
    #[arg(long)]
    pub(crate) show_output: bool,
    /// Allow scenarios host access (see `netrig run --help`).
    #[arg(long)]
    pub(crate) allow_host_access: bool,
    /// Capture the packets of every container each scenario starts, all its interfaces, into DIR/<scenario>/<container>.pcap.
    #[arg(long, value_name = "DIR")]
    pub(crate) capture: Option<PathBuf>,
    /// Write DIR/index.html (the whole run on one page) and each scenario's topology as DIR/<scenario>.svg, drawn when it ends or fails (before teardown); with --capture, a failed scenario's captures go beside it as DIR/<scenario>-<container>.pcap.
    #[arg(long, value_name = "DIR")]
    pub(crate) report: Option<PathBuf>,
    /// Print the results as `text`, or as one JSON document (`json`; progress goes to stderr).
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    pub(crate) format: TestFormat,
    /// Give every scenario a parameter (see `netrig run --help`); each takes those it declares.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_setting)]
    pub(crate) set: Vec<Setting>,
}

/// How `netrig test` prints its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TestFormat {
    /// A line per scenario, the failures in full, the summary.
    Text,
    /// One JSON document (docs/test-report.schema.json).
    Json,
}

/// `netrig clean`.
#[derive(Debug, Clone, Args)]
pub(crate) struct CleanArgs {
    /// Only this run.
    #[arg(long, value_name = "RUN_ID")]
    pub(crate) run: Option<String>,
    /// Also runs whose netrig process is still alive.
    #[arg(long)]
    pub(crate) all: bool,
    /// List what would be removed, remove nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// `netrig reap`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ReapArgs {
    /// The netrig process to watch.
    #[arg(long)]
    pub(crate) pid: u32,
}

/// `netrig graph`.
#[derive(Debug, Clone, Args)]
pub(crate) struct GraphArgs {
    /// Only this run (e.g. one kept with `netrig run --keep`); default: everything netrig manages.
    #[arg(long, value_name = "RUN_ID", conflicts_with = "all")]
    pub(crate) run: Option<String>,
    /// Every network and container on the daemon, netrig's or not.
    #[arg(long)]
    pub(crate) all: bool,
    /// Output format; default: from the -o file's extension (.svg, .dot, .mmd), else mermaid.
    #[arg(long, value_enum)]
    pub(crate) format: Option<crate::graph::Format>,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// `netrig export`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ExportArgs {
    /// Write a Compose file (the one format there is so far).
    #[arg(long, required = true)]
    pub compose: bool,
    /// The run to export, as `netrig run --keep` printed its id.
    #[arg(long, value_name = "RUN_ID")]
    pub run: String,
    /// The file to write; `-` writes to standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
}

/// `netrig completions`.
#[derive(Debug, Clone, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(crate::completions::SHELLS))]
    pub shell: String,
}

/// `netrig defs`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DefsArgs {
    /// Where to write the `*.d.rhai` files (made if missing).
    #[arg(value_name = "DIR", default_value = crate::defs::DEFAULT_DIR)]
    pub dir: PathBuf,
}

/// `netrig man`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ManArgs {
    /// Write netrig.1 and a page per command (netrig-run.1, …) here instead of printing netrig.1.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}
