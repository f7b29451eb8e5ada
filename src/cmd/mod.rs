//! netrig's commands, one file each. A command takes the parsed options
//! (`cli`), calls the core (`rig`, `harness`, `repl`, `docker`) and returns
//! `Result<(), Error>`; [`main`] turns that into the exit code, in one place.
//!
//! Adding an option to a command: a field on its `cli::…Args`, read in its
//! file here. Adding a command: a variant of `cli::Command`, a file here,
//! a line in [`execute`].

pub(crate) mod clean;
pub(crate) mod completions;
pub(crate) mod defs;
pub(crate) mod export;
pub(crate) mod graph;
pub(crate) mod man;
pub(crate) mod observe;
pub(crate) mod reap;
pub(crate) mod repl;
pub(crate) mod run;
pub(crate) mod setup;
pub(crate) mod test;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use tokio::runtime::Runtime;

use crate::cli::{Cli, Command};
use crate::daemon_args::DaemonArgs;
use crate::docker::{Client, ClientOptions};
use crate::error::{Error, Result};

/// What every command gets: the async runtime and the global options.
pub(crate) struct Context {
    /// The program's tokio runtime; commands block on it.
    pub(crate) runtime: Runtime,
    /// How to reach the daemon (`--host`, `--pull`, `--docker-timeout`),
    /// as the Docker layer takes it.
    pub(crate) docker: ClientOptions,
}

impl Context {
    /// Starts the runtime and applies the global options.
    pub(crate) fn new(global: &DaemonArgs) -> Result<Context> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
        Ok(Context {
            runtime,
            docker: global.client_options(),
        })
    }

    /// Connects to the daemon (exit 3 when none answers).
    pub(crate) fn connect(&self) -> Result<Client> {
        crate::rig::connect(&self.runtime, &self.docker)
    }
}

/// Parses the command line, runs the command, returns the exit code.
pub fn main() -> ExitCode {
    // A shell asking for completions gets them, and nothing else happens.
    crate::completions::answer_if_asked(Cli::command, crate::completions::daemon_runs);
    let cli = Cli::parse();
    let ctx = match Context::new(&cli.global) {
        Ok(ctx) => ctx,
        Err(e) => return exit_code(Err(e)),
    };
    // Whatever creates resources gets a reaper, in case this process is killed.
    if matches!(
        &cli.command,
        Some(Command::Run(_) | Command::Test(_)) | None
    ) {
        crate::reaper::start(&ctx.docker);
    }
    let result = execute(&ctx, cli.command, cli.keep);
    crate::reaper::release();
    // Do not wait for the signal watcher or other idle tasks.
    ctx.runtime.shutdown_background();
    exit_code(result)
}

/// Runs one command (`None`: the REPL, `keep` its `--keep`).
pub(crate) fn execute(ctx: &Context, command: Option<Command>, keep: bool) -> Result {
    match command {
        Some(Command::Run(args)) => run::execute(ctx, &args),
        Some(Command::Test(args)) => test::execute(ctx, &args),
        Some(Command::Setup) => setup::execute(ctx),
        Some(Command::Clean(args)) => clean::execute(ctx, &args),
        Some(Command::Graph(args)) => graph::execute(ctx, &args),
        Some(Command::Export(args)) => export::execute(ctx, &args),
        Some(Command::Reap(args)) => reap::execute(ctx, &args),
        Some(Command::Completions(args)) => completions::execute(&args),
        Some(Command::Defs(args)) => defs::execute(ctx, &args),
        Some(Command::Man(args)) => man::execute(&args),
        None => repl::execute(ctx, keep),
    }
}

/// Prints what the error has to say (`error: …`) and gives its exit code:
/// the one place a result becomes the process's exit code.
fn exit_code(result: Result) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(message) = e.message() {
                let _ = writeln!(std::io::stderr(), "error: {message}");
            }
            ExitCode::from(e.code())
        }
    }
}
