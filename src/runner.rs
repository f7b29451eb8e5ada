//! Runs a scenario script: connect, build the engine, run, and tear down
//! everything the run made however the run ends (success, error, failed
//! assertion, Ctrl-C, SIGTERM, even a panic), unless `--keep`.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, EvalAltResult};
use tokio::runtime::Runtime;

use crate::diagnostic;
use crate::docker::run::access::HostAccess;
use crate::docker::{Client, ClientOptions, DockerError, RunSession, TeardownReport};
use crate::script::error::netrig_error;
use crate::script::sandbox::Sandbox;
use crate::script::{Interrupt, ScriptContext, build_engine};
use crate::text::plural;

/// How netrig ends, and the exit code each way maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything passed: 0.
    Success,
    /// The scenario failed (error or assertion): 1.
    Failed,
    /// Bad command line or unreadable file: 2.
    Usage,
    /// No Docker daemon answers: 3.
    Unreachable,
    /// Stopped by a signal: 128 + signal (130 for Ctrl-C, 143 for SIGTERM).
    Signal(i32),
    /// The script called `exit(code)`.
    Code(u8),
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Unreachable => 3,
            Exit::Signal(s) => (128 + s).clamp(0, 255) as u8,
            Exit::Code(c) => c,
        }
    }
}

/// Prints a line from netrig itself (not from the script) on stderr.
pub fn note(text: impl AsRef<str>) {
    eprintln!("netrig: {}", text.as_ref());
}

/// Connects to the daemon, or explains why not (exit 3).
pub fn connect(runtime: &Runtime, docker: &ClientOptions) -> Result<Client, Exit> {
    runtime.block_on(Client::connect(docker)).map_err(|e| {
        eprintln!("error: {e}");
        Exit::Unreachable
    })
}

/// Turns SIGINT / SIGTERM into an interrupt of the running script. A
/// second signal while netrig cleans up does not stop the cleanup: it says
/// what is still being removed; a third leaves the rest, says what it left
/// and how to remove it, and exits.
pub fn watch_signals(runtime: &Runtime, interrupt: Arc<Interrupt>, client: Client) {
    use tokio::signal::unix::{SignalKind, signal};
    runtime.spawn(async move {
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        let mut while_cleaning = 0;
        loop {
            let sig = tokio::select! {
                _ = int.recv() => 2,
                _ = term.recv() => 15,
            };
            if interrupt.signal().is_none() {
                interrupt.trigger(sig);
                continue;
            }
            while_cleaning += 1;
            let left = leftovers_of_this_process(&client).await;
            if while_cleaning == 1 {
                note(format!(
                    "still removing what this run created ({left}); press Ctrl-C again to leave it for `netrig clean`"
                ));
            } else {
                // Without a word to the reaper: it finishes the cleanup in
                // the background once this process is gone.
                note(format!(
                    "stopped waiting; {left} left to the background reaper (`netrig clean` removes anything it could not)"
                ));
                std::process::exit(128 + sig);
            }
        }
    });
}

/// What this netrig process created and the daemon still has, for people.
async fn leftovers_of_this_process(client: &Client) -> String {
    use crate::docker::run::labels;
    let filter = std::collections::HashMap::from([(
        "label".to_string(),
        vec![format!("{}={}", labels::PID, std::process::id())],
    )]);
    let listed = tokio::time::timeout(Duration::from_secs(3), async {
        futures_util::join!(
            client.list_containers(true, filter.clone()),
            client.list_networks(filter.clone())
        )
    })
    .await;
    match listed {
        Ok((Ok(containers), Ok(networks))) => {
            let names = |v: Vec<String>| {
                if v.is_empty() {
                    String::new()
                } else {
                    format!(": {}", v.join(", "))
                }
            };
            format!(
                "{}{}, {}{}",
                plural(containers.len(), "container"),
                names(containers.into_iter().map(|c| c.name).collect()),
                plural(networks.len(), "network"),
                names(networks.into_iter().map(|n| n.name).collect()),
            )
        }
        _ => "what the daemon did not say in time".to_string(),
    }
}

/// Everything one run needs: the session, the engine bound to it, and the
/// interrupt the signal watcher triggers.
pub struct Rig {
    /// The run's resources.
    pub session: Arc<RunSession>,
    /// The engine with netrig's functions.
    pub engine: Engine,
    /// Ctrl-C / SIGTERM.
    pub interrupt: Arc<Interrupt>,
    /// The value the script passed to `exit()`, if it called it: Rhai ends
    /// the run as a success then, so the code would otherwise be lost.
    pub exit_value: Arc<Mutex<Option<Dynamic>>>,
    /// What the script may reach outside its containers (refuse host access by default).
    pub sandbox: Arc<Sandbox>,
}

impl Rig {
    /// A rig for a script labelled `script_label`, resolving relative paths from `base_dir`.
    pub fn new(runtime: &Runtime, client: Client, script_label: &str, base_dir: PathBuf) -> Rig {
        let session = RunSession::new(client, script_label);
        Rig::with_session(
            runtime.handle(),
            session,
            base_dir,
            crate::progress::stderr_is_terminal(),
        )
    }

    /// A rig around a given session (`netrig test` passes an isolated one and
    /// no progress bars, since several scenarios share the terminal).
    pub fn with_session(
        runtime: &tokio::runtime::Handle,
        session: RunSession,
        base_dir: PathBuf,
        show_progress: bool,
    ) -> Rig {
        let session = Arc::new(session);
        let interrupt = Interrupt::new();
        let sandbox = Arc::new(Sandbox::new(session.access_policy()));
        let ctx = Arc::new(ScriptContext {
            session: session.clone(),
            runtime: runtime.clone(),
            interrupt: interrupt.clone(),
            base_dir,
            show_progress,
            sandbox: sandbox.clone(),
        });
        let mut engine = build_engine(ctx);
        let exit_value = Arc::new(Mutex::new(None));
        record_exit(&mut engine, &exit_value);
        Rig {
            session,
            engine,
            interrupt,
            exit_value,
            sandbox,
        }
    }

    /// How the script ended when it ran to completion or called `exit()`.
    pub fn completed(&self) -> Exit {
        match self
            .exit_value
            .lock()
            .expect("exit value poisoned")
            .as_ref()
        {
            Some(value) => exit_value(value),
            None => Exit::Success,
        }
    }

    /// Removes the run's resources (or, with `keep`, says how to), and
    /// reports on stderr. Returns false when something could not be removed.
    pub fn finish(&self, runtime: &Runtime, keep: bool) -> bool {
        let run_id = self.session.run_id().to_string();
        if keep {
            let created = self.session.created();
            if !created.is_empty() {
                let names: Vec<&str> = created.iter().map(|c| c.name.as_str()).collect();
                note(format!(
                    "kept {} of run {run_id} ({}); remove them with: netrig clean --run {run_id}",
                    plural(created.len(), "resource"),
                    names.join(", ")
                ));
            }
            keep_notes_for_other_hosts(&self.session);
            return true;
        }
        let report = runtime.block_on(self.session.teardown());
        report_teardown(&report, &run_id);
        report.is_clean()
    }
}

/// With `--keep`, what stays on the other daemons and in swarms, and how to remove it.
pub fn keep_notes_for_other_hosts(session: &RunSession) {
    let run_id = session.run_id();
    for host in session.other_hosts() {
        let created = host.created();
        if !created.is_empty() {
            let names: Vec<&str> = created.iter().map(|c| c.name.as_str()).collect();
            note(format!(
                "kept {} on {} ({}); remove them with: netrig clean --run {run_id} --host {}",
                plural(created.len(), "resource"),
                host.client().host(),
                names.join(", "),
                host.client().host()
            ));
        }
    }
    let others = session.other_hosts();
    for s in std::iter::once(session).chain(others.iter().map(|s| s.as_ref())) {
        if s.membership().is_some() {
            let host = s.client().host();
            note(format!(
                "kept the swarm this run started or joined on {host}; leave it with: docker -H {host} swarm leave --force"
            ));
        }
    }
}

/// Replaces Rhai's `exit` with one that also records its value for the rig.
fn record_exit(engine: &mut Engine, cell: &Arc<Mutex<Option<Dynamic>>>) {
    let stop = |value: Dynamic| -> Result<(), Box<EvalAltResult>> {
        Err(EvalAltResult::Exit(value, rhai::Position::NONE).into())
    };
    let c = cell.clone();
    crate::script::register(
        engine,
        "exit",
        &[],
        "End the script here; the run passes.\n```rhai\nexit();\n```",
        move || {
            *c.lock().expect("exit value poisoned") = Some(Dynamic::from_int(0));
            stop(Dynamic::from_int(0))
        },
    );
    let c = cell.clone();
    crate::script::register(
        engine,
        "exit",
        &["code: int"],
        "End the script here with an exit code (0 passes, anything else fails).\n```rhai\nexit(1);\n```",
        move |value: Dynamic| {
            *c.lock().expect("exit value poisoned") = Some(value.clone());
            stop(value)
        },
    );
}

/// Prints what a teardown did.
pub fn report_teardown(report: &TeardownReport, run_id: &str) {
    let removed_any =
        !report.services.is_empty() || !report.containers.is_empty() || !report.networks.is_empty();
    if !removed_any && report.swarms_left.is_empty() && report.is_clean() {
        return;
    }
    if removed_any {
        let on = if report.other_hosts.is_empty() {
            String::new()
        } else {
            format!(" on {} daemons", report.other_hosts.len() + 1)
        };
        note(format!(
            "removed {}{on} in {:.2} s",
            report.summary(),
            report.elapsed.as_secs_f64()
        ));
    }
    if !report.swarms_left.is_empty() {
        note(format!(
            "left the swarm the run had started or joined on {}",
            report.swarms_left.join(", ")
        ));
    }
    for failure in &report.failures {
        note(format!("could not remove: {failure}"));
    }
    if !report.is_clean() {
        note(format!(
            "remove what is left with: netrig clean --run {run_id}"
        ));
        for host in &report.other_hosts {
            note(format!(
                "and on {host} with: netrig clean --run {run_id} --host {host}"
            ));
        }
    }
}

/// How long `netrig run` lets a script run when `--timeout` does not say.
pub const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// The signal number an interrupt records when the wall-clock limit stops a
/// run (SIGALRM): it is reported as a timeout, not as a signal.
pub const TIMEOUT_SIGNAL: i32 = 14;

/// Arguments of `netrig run`.
#[derive(Debug, Clone)]
pub struct RunArgs {
    /// The script file.
    pub script: PathBuf,
    /// Leave the resources in place.
    pub keep: bool,
    /// How to reach the daemon.
    pub docker: ClientOptions,
    /// Let the script ask for host access (privileged containers, the host
    /// network, big capabilities, files outside its directory).
    pub allow_host_access: bool,
    /// Wall-clock limit for the script (teardown comes after it).
    pub timeout: Duration,
}

impl RunArgs {
    /// Arguments for running `script` with the defaults.
    pub fn new(script: PathBuf) -> Self {
        RunArgs {
            script,
            keep: false,
            docker: ClientOptions::default(),
            allow_host_access: false,
            timeout: DEFAULT_RUN_TIMEOUT,
        }
    }
}

/// `netrig run FILE`.
pub fn run_file(runtime: &Runtime, args: &RunArgs) -> Exit {
    let source = match std::fs::read_to_string(&args.script) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.script.display());
            return Exit::Usage;
        }
    };
    let name = args.script.display().to_string();
    let base_dir = args
        .script
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    run_source(runtime, &name, &source, base_dir, args)
}

/// Runs `source` (named `name` in messages and labels) as a scenario, with
/// `args` for everything but the file.
pub fn run_source(
    runtime: &Runtime,
    name: &str,
    source: &str,
    base_dir: PathBuf,
    args: &RunArgs,
) -> Exit {
    // Syntax first: a typo should not need a daemon to be reported.
    if let Err(e) = Engine::new_raw().compile(source) {
        eprint!("{}", diagnostic::render_parse(&e, name, source));
        return Exit::Failed;
    }
    let client = match connect(runtime, &args.docker) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let rig = Rig::new(runtime, client, name, base_dir);
    if args.allow_host_access {
        rig.session.set_host_access(HostAccess::Allow);
    }
    watch_signals(runtime, rig.interrupt.clone(), rig.session.client().clone());
    let deadline = watch_deadline(runtime, rig.interrupt.clone(), args.timeout);

    let started = Instant::now();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut ast = rig.engine.compile(source).map_err(Err)?;
        ast.set_source(name);
        rig.engine.run_ast(&ast).map_err(Ok)
    }));
    deadline.abort();
    let elapsed = started.elapsed();
    let exit = match &outcome {
        Ok(Ok(())) => rig.completed(),
        Ok(Err(Err(parse))) => {
            eprint!("{}", diagnostic::render_parse(parse, name, source));
            Exit::Failed
        }
        Ok(Err(Ok(err))) if rig.interrupt.signal() == Some(TIMEOUT_SIGNAL) => {
            let stopped_at = diagnostic::render(err, name, source);
            eprintln!(
                "error: {name} did not finish within {} s (--timeout) and was stopped; it was here:",
                args.timeout.as_secs_f64()
            );
            eprint!("{stopped_at}");
            Exit::Failed
        }
        Ok(Err(Ok(err))) => script_exit(err, name, source, &rig.interrupt),
        Err(_) => {
            note("netrig itself failed (a bug); removing what the run created");
            Exit::Failed
        }
    };
    match exit {
        Exit::Success => note(format!("{name} passed in {:.2} s", elapsed.as_secs_f64())),
        Exit::Signal(s) => note(format!(
            "{name} interrupted by {} after {:.2} s",
            if s == 2 { "Ctrl-C" } else { "SIGTERM" },
            elapsed.as_secs_f64()
        )),
        _ => {}
    }
    let clean = rig.finish(runtime, args.keep);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    match exit {
        Exit::Success if !clean => Exit::Failed,
        other => other,
    }
}

/// Stops the run when `limit` has passed: the interrupt ends a waiting call
/// and, through the engine's progress hook, a busy loop.
fn watch_deadline(
    runtime: &Runtime,
    interrupt: Arc<Interrupt>,
    limit: Duration,
) -> tokio::task::JoinHandle<()> {
    runtime.spawn(async move {
        tokio::time::sleep(limit).await;
        if interrupt.signal().is_none() {
            interrupt.trigger(TIMEOUT_SIGNAL);
        }
    })
}

/// Reports a script error and picks the exit code for it.
pub fn script_exit(err: &EvalAltResult, name: &str, source: &str, interrupt: &Interrupt) -> Exit {
    if let EvalAltResult::Exit(value, _) = err {
        return exit_value(value);
    }
    if let Some(sig) = interrupt.signal() {
        return Exit::Signal(sig);
    }
    eprint!("{}", diagnostic::render(err, name, source));
    match netrig_error(err) {
        Some((kind, _)) if kind == "unreachable" => Exit::Unreachable,
        _ => Exit::Failed,
    }
}

/// `exit()` / `exit(code)` in a script.
fn exit_value(value: &Dynamic) -> Exit {
    match value.as_int() {
        Ok(0) => Exit::Success,
        Ok(c) => Exit::Code(c.clamp(1, 255) as u8),
        Err(_) => Exit::Success,
    }
}

/// `netrig clean`: removes what finished or dead runs left.
pub fn clean(
    runtime: &Runtime,
    docker: &ClientOptions,
    run: Option<&str>,
    all: bool,
    dry_run: bool,
) -> Exit {
    let client = match connect(runtime, docker) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let runs = match runtime.block_on(crate::docker::run::leftovers::leftover_runs(&client)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return docker_exit(&e);
        }
    };
    let (chosen, skipped): (Vec<_>, Vec<_>) = runs.into_iter().partition(|r| match run {
        Some(id) => r.run_id == id,
        None => all || !r.alive,
    });
    for r in &skipped {
        if run.is_none() {
            note(format!(
                "left run {} ({}) alone: its netrig is still running (use --all or --run {} to remove it anyway)",
                r.run_id, r.script, r.run_id
            ));
        }
    }
    // One daemon per call: a run that also used others (docker::connect) left things there too.
    let elsewhere = format!(
        "this looked at {} only; for another daemon a run used (docker::connect), add --host URL",
        client.host()
    );
    if chosen.is_empty() {
        match run {
            Some(id) => note(format!(
                "nothing of run {id} is left on the daemon ({elsewhere})"
            )),
            None => note(format!("nothing to clean ({elsewhere})")),
        }
        return Exit::Success;
    }
    let with_services = chosen.iter().any(|r| !r.services.is_empty());
    let rows: Vec<Vec<String>> = chosen
        .iter()
        .map(|r| {
            let mut row = vec![r.run_id.clone(), r.script.clone()];
            if with_services {
                row.push(r.services.join(", "));
            }
            row.push(r.containers.join(", "));
            row.push(r.networks.join(", "));
            row
        })
        .collect();
    let headers: Vec<String> = ["run", "script"]
        .into_iter()
        .chain(with_services.then_some("services"))
        .chain(["containers", "networks"])
        .map(String::from)
        .collect();
    println!("{}", crate::table::render(&headers, &rows));
    for r in chosen.iter().filter(|r| r.swarm) {
        note(format!(
            "run {} started the swarm of {}{}",
            r.run_id,
            client.host(),
            if dry_run { "" } else { "; leaving it" }
        ));
    }
    if dry_run {
        note("dry run: nothing removed");
        return Exit::Success;
    }
    let reports = runtime.block_on(futures_util::future::join_all(chosen.iter().map(|r| {
        let client = client.clone();
        let filter = format!("{}={}", crate::docker::run::labels::RUN, r.run_id);
        async move { crate::docker::run::teardown::remove_labelled(&client, &filter).await }
    })));
    let mut clean = true;
    for (r, report) in chosen.iter().zip(&reports) {
        report_teardown(report, &r.run_id);
        clean &= report.is_clean();
    }
    if chosen.iter().any(|r| r.swarm) {
        match runtime.block_on(crate::docker::swarm::hosts::leave_netrig_swarm(&client)) {
            Ok(()) => note(format!("left the swarm on {}", client.host())),
            Err(e) => {
                note(format!("could not leave the swarm: {e}"));
                clean = false;
            }
        }
    }
    note(elsewhere);
    if clean { Exit::Success } else { Exit::Failed }
}

fn docker_exit(e: &DockerError) -> Exit {
    match e {
        DockerError::Unreachable { .. } => Exit::Unreachable,
        _ => Exit::Failed,
    }
}
