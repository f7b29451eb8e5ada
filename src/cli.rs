//! The command line: parse with clap, then hand over to the runner or the REPL.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::runner::{self, Exit, RunArgs};

/// Docker networking, scripted: build multi-network setups in Rhai, check
/// them, and leave no trace.
#[derive(Debug, Parser)]
#[command(name = "netrig", version, about, long_about = None)]
pub struct Cli {
    /// Docker daemon to talk to (unix:///path, tcp://host:port); defaults to DOCKER_HOST, then the local socket.
    #[arg(long, global = true, value_name = "URL")]
    pub host: Option<String>,

    /// Keep what the REPL session created when it ends.
    #[arg(long)]
    pub keep: bool,

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
    },
    /// Check the daemon answers and make sure busybox:latest exists (built from the host's static busybox when no registry is reachable).
    Setup,
    /// Remove what finished or killed runs left on the daemon (only resources labelled netrig.managed).
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
    let host = cli.host.as_deref();
    let exit = match cli.command {
        Some(Command::Run { file, keep }) => runner::run_file(
            &runtime,
            &RunArgs {
                script: file,
                keep,
                host: cli.host.clone(),
            },
        ),
        Some(Command::Clean { run, all, dry_run }) => {
            runner::clean(&runtime, host, run.as_deref(), all, dry_run)
        }
        Some(Command::Test {
            paths,
            jobs,
            junit,
            filter,
            keep_failed,
            timeout,
            show_output,
        }) => crate::harness::run_tests(
            &runtime,
            &crate::harness::TestArgs {
                paths,
                jobs: jobs.map(usize::from),
                junit,
                filter,
                keep_failed,
                timeout,
                show_output,
                host: cli.host.clone(),
            },
        ),
        Some(Command::Setup) => crate::setup::run(&runtime, host),
        None => crate::repl::run(&runtime, host, cli.keep),
    };
    // Do not wait for the signal watcher or other idle tasks.
    runtime.shutdown_background();
    ExitCode::from(exit.code())
}

/// `--timeout 30`, `--timeout 2.5`: positive seconds, at most a day.
fn parse_secs(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| format!("expected seconds between 0 and 86400, got {text:?}"))
}
