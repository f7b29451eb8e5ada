//! `netrig run FILE`: run a scenario once, say how it ended, and remove
//! what it created however it ended (success, error, failed assertion,
//! Ctrl-C, SIGTERM, its time limit, even a panic), unless `--keep`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Context;
use super::observe::Observe;
use crate::cli::RunArgs;
use crate::diagnostic;
use crate::docker::run::access::HostAccess;
use crate::docker::watch::DaemonWatch;
use crate::error::{Error, Result};
use crate::rig::report::note;
use crate::rig::{Rig, RunEnd, Stop, signals};
use crate::script::error::netrig_error;
use crate::script::params::Params;

/// How long `netrig run` lets a script run when `--timeout` does not say
/// (the same as the `--timeout` default).
pub(crate) const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// How to run a script, beyond its text.
#[derive(Debug, Clone)]
pub(crate) struct RunOptions {
    /// Leave the resources in place.
    pub(crate) keep: bool,
    /// Wall-clock limit for the script (teardown comes after it).
    pub(crate) timeout: Duration,
    /// Let the script ask for host access (privileged containers, the host
    /// network, big capabilities, files outside its directory).
    pub(crate) allow_host_access: bool,
    /// Write a trace of every Docker call here.
    pub(crate) trace: Option<PathBuf>,
    /// Print the docker CLI line before each Docker operation.
    pub(crate) explain: bool,
    /// Capture every container's packets into this directory.
    pub(crate) capture: Option<PathBuf>,
    /// Write the run id here, alone on a line, before the script starts.
    pub(crate) run_id_file: Option<PathBuf>,
    /// The `--set` parameters, the script's `params`.
    pub(crate) params: Params,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            keep: false,
            timeout: DEFAULT_RUN_TIMEOUT,
            allow_host_access: false,
            trace: None,
            explain: false,
            capture: None,
            run_id_file: None,
            params: Params::default(),
        }
    }
}

impl From<&RunArgs> for RunOptions {
    fn from(args: &RunArgs) -> Self {
        RunOptions {
            keep: args.keep,
            timeout: args.timeout,
            allow_host_access: args.allow_host_access,
            trace: args.trace.clone(),
            explain: args.explain,
            capture: args.capture.clone(),
            run_id_file: args.run_id_file.clone(),
            params: Params::new(args.set.iter().cloned()),
        }
    }
}

/// `netrig run FILE`.
pub(crate) fn execute(ctx: &Context, args: &RunArgs) -> Result {
    let source = std::fs::read_to_string(&args.file)
        .map_err(|e| Error::Usage(format!("cannot read {}: {e}", args.file.display())))?;
    let name = args.file.display().to_string();
    let base_dir = args
        .file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    run_source(ctx, &name, &source, base_dir, &RunOptions::from(args))
}

/// Runs `source` (named `name` in messages and labels, relative paths from
/// `base_dir`) as a scenario: `netrig run`, and `netrig < FILE`.
pub(crate) fn run_source(
    ctx: &Context,
    name: &str,
    source: &str,
    base_dir: PathBuf,
    options: &RunOptions,
) -> Result {
    if let Err(e) = crate::rig::check_syntax(source) {
        eprint!("{}", diagnostic::render_parse(&e, name, source));
        return Err(Error::Reported);
    }
    // A file that cannot be written is a usage error before anything is made.
    let run_id_file = match &options.run_id_file {
        Some(path) => Some((
            path,
            std::fs::File::create(path).map_err(|e| {
                Error::Usage(format!(
                    "--run-id-file: cannot write {}: {e}",
                    path.display()
                ))
            })?,
        )),
        None => None,
    };
    let observe = Observe::start(
        &ctx.docker,
        &format!("netrig run {name}"),
        options.trace.as_deref(),
        options.explain,
        options.capture.as_deref(),
    )?;
    let client = match crate::rig::connect(&ctx.runtime, &observe.options) {
        Ok(client) => client,
        Err(e) => {
            observe.finish();
            return Err(e);
        }
    };
    observe.options.explain.set_default_host(client.host());
    let rig = Rig::new(&ctx.runtime, client, name, base_dir);
    if let Some((path, mut file)) = run_id_file {
        use std::io::Write;
        writeln!(file, "{}", rig.session.run_id()).map_err(|e| {
            Error::Usage(format!(
                "--run-id-file: cannot write {}: {e}",
                path.display()
            ))
        })?;
    }
    if options.allow_host_access {
        rig.session.set_host_access(HostAccess::Allow);
    }
    rig.set_params(options.params.clone());
    signals::watch(
        &ctx.runtime,
        rig.interrupt.clone(),
        rig.session.client().clone(),
    );
    let deadline = signals::watch_deadline(
        ctx.runtime.handle(),
        rig.interrupt.clone(),
        options.timeout,
        None,
    );
    let daemon = ctx
        .runtime
        .block_on(async { DaemonWatch::start(rig.session.client()) });
    let daemon_lost = signals::watch_daemon(ctx.runtime.handle(), &daemon, rig.interrupt.clone());
    let started = Instant::now();
    let script = observe.span("script");
    let end = rig.execute(source, name);
    script.end(serde_json::json!(format!("{end:?}")));
    drop(deadline);
    drop(daemon_lost);
    let mut result = say_how_it_ended(&end, name, source, options.timeout, started.elapsed());
    if let (Err(e), Some(loss)) = (&result, daemon.loss()) {
        // Whatever the script tripped over first, the cause is the daemon.
        eprintln!("error[daemon]: {loss}");
        if matches!(e, Error::Reported) {
            result = Err(Error::DaemonLost);
        }
    }
    // The captures end with the script, before teardown takes the containers away.
    let captured = observe.stop_captures();
    let teardown = observe.span("teardown");
    let clean = rig.finish(&ctx.runtime, options.keep);
    teardown.end(serde_json::json!(if clean { "ok" } else { "incomplete" }));
    let recorded = observe.finish() && captured;
    if let RunEnd::Panicked(panic) = end {
        std::panic::resume_unwind(panic);
    }
    match result {
        Ok(()) if !clean || !recorded => Err(Error::Reported),
        other => other,
    }
}

/// Says how the run ended — before teardown, which reports after it — and
/// gives the command's result.
fn say_how_it_ended(
    end: &RunEnd,
    name: &str,
    source: &str,
    timeout: Duration,
    elapsed: Duration,
) -> Result {
    match end {
        RunEnd::Completed { .. } | RunEnd::Exited(0) => {
            note(format!("{name} passed in {:.2} s", elapsed.as_secs_f64()));
            Ok(())
        }
        RunEnd::Exited(code) => Err(Error::ScriptExit(*code)),
        RunEnd::ParseError(e) => {
            eprint!("{}", diagnostic::render_parse(e, name, source));
            Err(Error::Reported)
        }
        RunEnd::Stopped {
            stop: Stop::Timeout,
            error,
        } => {
            let stopped_at = diagnostic::render(error, name, source);
            eprintln!(
                "error: {name} did not finish within {} s (--timeout) and was stopped; it was here:",
                timeout.as_secs_f64()
            );
            eprint!("{stopped_at}");
            Err(Error::Reported)
        }
        RunEnd::Stopped {
            stop: Stop::DaemonLost,
            error,
        } => {
            // What went away is said next, from the watch; here: where the script was.
            eprintln!(
                "error: {name} was stopped because the Docker daemon went away; it was here:"
            );
            eprint!("{}", diagnostic::render(error, name, source));
            Err(Error::DaemonLost)
        }
        RunEnd::Stopped {
            stop: Stop::Signal(signal),
            ..
        } => {
            note(format!(
                "{name} interrupted by {signal} after {:.2} s",
                elapsed.as_secs_f64()
            ));
            Err(Error::Interrupted(*signal))
        }
        RunEnd::Failed(error) => {
            eprint!("{}", diagnostic::render(error, name, source));
            match netrig_error(error) {
                Some((kind, _)) if kind == "unreachable" => Err(Error::DaemonLost),
                Some((kind, _)) if kind == crate::script::params::KIND => Err(Error::Parameter),
                _ => Err(Error::Reported),
            }
        }
        RunEnd::Panicked(_) => {
            note("netrig itself failed (a bug); removing what the run created");
            Err(Error::Reported)
        }
    }
}
