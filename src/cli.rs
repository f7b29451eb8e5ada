//! The command line: parse with clap, then hand over to the runner or the REPL.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::daemon_args::{DaemonArgs, parse_secs};
use crate::docker::ClientOptions;
use crate::runner::{self, Exit, RunArgs};

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
pub struct Cli {
    /// How to reach the Docker daemon.
    #[command(flatten)]
    pub daemon: DaemonArgs,

    /// Keep what the REPL session created when it ends.
    #[arg(long)]
    pub keep: bool,

    /// What to do; none opens the REPL.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// netrig's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario script, then remove everything it created.
    Run {
        /// The .rhai script.
        file: PathBuf,
        /// Leave the containers and networks in place (remove them later with `netrig clean`).
        #[arg(long)]
        keep: bool,
        /// Stop the script after SECS seconds of wall-clock time (teardown still runs).
        #[arg(long, value_name = "SECS", value_parser = parse_secs, default_value = "600")]
        timeout: std::time::Duration,
        /// Allow what reaches past the containers: privileged containers, the host network, capabilities beyond NET_ADMIN and NET_RAW, host-attached network drivers, starting or joining a swarm, other Docker daemons (docker::connect), files outside the script's directory.
        #[arg(long)]
        allow_host_access: bool,
    },
    /// Run scenario scripts as a test suite: isolated from each other, in parallel, with a report and an exit code for CI.
    Test {
        /// Scenario files and directories (default: tests/scenarios/, else scenarios/).
        paths: Vec<PathBuf>,
        /// Scenarios run at once (default: the number of CPUs).
        #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        jobs: Option<u16>,
        /// Write a JUnit XML report to FILE.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Run only scenarios whose name or path contains TEXT, or that carry the tag TEXT.
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
        /// Leave a failed scenario's containers and networks in place and print how to inspect and remove them.
        #[arg(long)]
        keep_failed: bool,
        /// Time limit per scenario in seconds, unless its header sets `//! timeout:` (default 300).
        #[arg(long, value_name = "SECS", value_parser = parse_secs)]
        timeout: Option<std::time::Duration>,
        /// Also print what passing scenarios printed (failed ones always show it).
        #[arg(long)]
        show_output: bool,
        /// Allow scenarios host access (see `netrig run --help`).
        #[arg(long)]
        allow_host_access: bool,
        /// Write each scenario's topology as DIR/<scenario>.svg, drawn when it ends or fails (before teardown).
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
    },
    /// Check the daemon answers and make sure busybox:latest exists (built from the host's static busybox when no registry is reachable).
    Setup,
    /// Remove what finished or killed runs left on the daemon (only resources labelled netrig.managed, and a swarm a run started); one daemon per call: --host URL for the others a run used.
    Clean {
        /// Only this run.
        #[arg(long, value_name = "RUN_ID")]
        run: Option<String>,
        /// Also runs whose netrig process is still alive.
        #[arg(long)]
        all: bool,
        /// List what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The companion process that cleans up after a netrig that died (started by netrig itself).
    #[command(hide = true)]
    Reap {
        /// The netrig process to watch.
        #[arg(long)]
        pid: u32,
    },
    /// Draw the live networks and containers (of one run, of everything netrig manages, or of the whole daemon) as Mermaid, DOT or SVG.
    Graph {
        /// Only this run (e.g. one kept with `netrig run --keep`); default: everything netrig manages.
        #[arg(long, value_name = "RUN_ID", conflicts_with = "all")]
        run: Option<String>,
        /// Every network and container on the daemon, netrig's or not.
        #[arg(long)]
        all: bool,
        /// Output format; default: from the -o file's extension (.svg, .dot, .mmd), else mermaid.
        #[arg(long, value_enum)]
        format: Option<crate::graph::Format>,
        /// Write to this file instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Parses the command line, runs the command, returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(Exit::Failed.code());
        }
    };
    let docker = cli.daemon.client_options();
    // Whatever creates resources gets a reaper, in case this process is killed.
    if matches!(
        &cli.command,
        Some(Command::Run { .. } | Command::Test { .. }) | None
    ) {
        crate::reaper::start(&docker);
    }
    let exit = match cli.command {
        Some(Command::Run {
            file,
            keep,
            timeout,
            allow_host_access,
        }) => runner::run_file(
            &runtime,
            &RunArgs {
                script: file,
                keep,
                docker: docker.clone(),
                allow_host_access,
                timeout,
            },
        ),
        Some(Command::Clean { run, all, dry_run }) => {
            runner::clean(&runtime, &docker, run.as_deref(), all, dry_run)
        }
        Some(Command::Test {
            paths,
            jobs,
            junit,
            filter,
            keep_failed,
            timeout,
            show_output,
            report,
            allow_host_access,
        }) => {
            let args = crate::harness::TestArgs {
                allow_host_access,
                paths,
                jobs: jobs.map(usize::from),
                junit,
                filter,
                keep_failed,
                timeout,
                show_output,
                docker: docker.clone(),
            };
            match report {
                Some(dir) => {
                    crate::harness::run_tests_with(&runtime, &args, &|f| write_report_svg(f, &dir))
                }
                None => crate::harness::run_tests(&runtime, &args),
            }
        }
        Some(Command::Setup) => crate::setup::run(&runtime, &docker),
        Some(Command::Graph {
            run,
            all,
            format,
            output,
        }) => graph(&runtime, &docker, run, all, format, output),
        Some(Command::Reap { pid }) => crate::reaper::run(&runtime, &docker, pid),
        None => crate::repl::run(&runtime, &docker, cli.keep),
    };
    crate::reaper::release();
    // Do not wait for the signal watcher or other idle tasks.
    runtime.shutdown_background();
    ExitCode::from(exit.code())
}

/// `netrig graph`: collect the topology of the chosen scope, draw it, print or write it.
fn graph(
    runtime: &tokio::runtime::Runtime,
    docker: &ClientOptions,
    run: Option<String>,
    all: bool,
    format: Option<crate::graph::Format>,
    output: Option<PathBuf>,
) -> Exit {
    use crate::docker::topology::TopologyScope;
    use crate::graph::{Format, render};
    let scope = match (run, all) {
        (Some(id), _) => TopologyScope::Run(id),
        (None, true) => TopologyScope::All,
        (None, false) => TopologyScope::Managed,
    };
    let format = format
        .or_else(|| output.as_deref().and_then(Format::from_extension))
        .unwrap_or(Format::Mermaid);
    let client = match runner::connect(runtime, docker) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let topology = match runtime.block_on(client.topology(&scope)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return if e.kind() == "unreachable" {
                Exit::Unreachable
            } else {
                Exit::Failed
            };
        }
    };
    if let (true, TopologyScope::Run(id)) = (topology.is_empty(), &scope) {
        eprintln!(
            "error: nothing of run {id} is on the daemon (was it run with --keep? `netrig clean --dry-run` lists the runs left)"
        );
        return Exit::Failed;
    }
    let text = render(&topology, format);
    match output {
        Some(path) => match std::fs::write(&path, text) {
            Ok(()) => {
                runner::note(format!(
                    "wrote the {format} graph of {} ({}, {}) to {}",
                    scope.describe(),
                    crate::text::plural(topology.networks.len(), "network"),
                    crate::text::plural(topology.containers.len(), "container"),
                    path.display()
                ));
                Exit::Success
            }
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                Exit::Usage
            }
        },
        None => {
            print!("{text}");
            Exit::Success
        }
    }
}

/// `netrig test --report DIR`: one scenario's topology as it ended, before teardown.
fn write_report_svg(f: &crate::harness::Finished<'_>, dir: &std::path::Path) {
    let written = f.runtime.block_on(crate::graph::write_session_svg(
        &f.rig.session,
        dir,
        &f.scenario.file,
    ));
    if let Err(e) = written {
        runner::note(format!(
            "could not draw the topology of {}: {e}",
            f.scenario.file
        ));
    }
}
