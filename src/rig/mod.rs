//! The run loop every way of running a script shares — `netrig run`, each
//! scenario of `netrig test`, each REPL input: compile, run, catch a panic,
//! and say how it ended as one [`RunEnd`]. What to make of the end (a
//! message, a verdict, an exit code) is the caller's.
//!
//! - `signals`: SIGINT / SIGTERM / SIGHUP as typed [`Signal`]s, the
//!   run's signal watcher and its time limit.
//! - `report`: what netrig says about a run's resources: what teardown
//!   removed, what `--keep` kept and how to remove it.

pub(crate) mod report;
pub(crate) mod signals;

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use rhai::{AST, Dynamic, Engine, EvalAltResult, ParseError, Scope};
use tokio::runtime::{Handle, Runtime};

use crate::docker::{Client, ClientOptions, RunSession};
use crate::error::Error;
use crate::script::capture::Running;
use crate::script::exit::ExitCall;
use crate::script::params::{Params, SharedParams, params_map};
use crate::script::probe_side::Probes;
use crate::script::sandbox::Sandbox;
use crate::script::{ScriptContext, build_engine};
pub(crate) use crate::stop::{Interrupt, Signal, Stop};

/// How one run of a script ended.
pub(crate) enum RunEnd {
    /// It ran to its end: the value of its last statement, and the
    /// compiled script (its `fn` definitions, which the REPL keeps).
    Completed {
        /// The value of the last statement.
        value: Dynamic,
        /// The script as compiled (statements and functions).
        ast: AST,
    },
    /// It called `exit()` (code 0: the run passes) or `exit(n)`.
    Exited(u8),
    /// It did not compile.
    ParseError(ParseError),
    /// It failed: a script or Docker error, a failed assertion.
    Failed(Box<EvalAltResult>),
    /// A signal or its time limit stopped it; `error` is how the script
    /// noticed (its position shows where it was).
    Stopped {
        /// Why.
        stop: Stop,
        /// The error the stop surfaced as in the script.
        error: Box<EvalAltResult>,
    },
    /// netrig itself panicked (a bug); the payload, to resume unwinding
    /// once the run's resources are removed.
    Panicked(Box<dyn Any + Send>),
}

impl RunEnd {
    /// The panic's message, for a report.
    pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
        payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("panic")
    }
}

impl std::fmt::Debug for RunEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunEnd::Completed { value, .. } => write!(f, "Completed({value:?})"),
            RunEnd::Exited(code) => write!(f, "Exited({code})"),
            RunEnd::ParseError(e) => write!(f, "ParseError({e})"),
            RunEnd::Failed(e) => write!(f, "Failed({e})"),
            RunEnd::Stopped { stop, .. } => write!(f, "Stopped({stop:?})"),
            RunEnd::Panicked(p) => write!(f, "Panicked({})", RunEnd::panic_message(&**p)),
        }
    }
}

/// Checks the syntax alone, with no engine and no daemon: a typo should not
/// need containers (or a daemon) to be reported.
pub(crate) fn check_syntax(source: &str) -> Result<(), ParseError> {
    Engine::new_raw().compile(source).map(drop)
}

/// Connects to the daemon at `host` (else `DOCKER_HOST`, else the local
/// socket). The one place every command connects.
pub(crate) fn connect(runtime: &Runtime, docker: &ClientOptions) -> Result<Client, Error> {
    runtime
        .block_on(Client::connect(docker))
        .map_err(Error::Docker)
}

/// Everything one run needs: the session, the engine bound to it, and the
/// interrupt the signal watcher and the time limit trigger.
pub struct Rig {
    /// The run's resources.
    pub session: Arc<RunSession>,
    /// The engine with netrig's functions.
    pub(crate) engine: Engine,
    /// Ctrl-C / SIGTERM / the time limit.
    pub(crate) interrupt: Arc<Interrupt>,
    /// The code the script passed to `exit()`, if it called it.
    exit: ExitCall,
    /// The packet captures the script started.
    captures: Arc<Running>,
    /// Listeners and namespaces the checks opened: closed before teardown.
    probes: Arc<Probes>,
    /// The `--set` parameters, which the script sees as its `params` map.
    params: SharedParams,
}

impl Rig {
    /// A rig for a script labelled `script_label`, resolving relative paths from `base_dir`.
    pub(crate) fn new(
        runtime: &Runtime,
        client: Client,
        script_label: &str,
        base_dir: PathBuf,
    ) -> Rig {
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
    pub(crate) fn with_session(
        runtime: &Handle,
        session: RunSession,
        base_dir: PathBuf,
        show_progress: bool,
    ) -> Rig {
        let session = Arc::new(session);
        let interrupt = Interrupt::new();
        let captures = Arc::new(Running::default());
        let probes = Arc::new(Probes::default());
        let params: SharedParams = Arc::new(RwLock::new(Params::default()));
        let ctx = Arc::new(ScriptContext {
            session: session.clone(),
            runtime: runtime.clone(),
            interrupt: interrupt.clone(),
            base_dir,
            show_progress,
            sandbox: Arc::new(Sandbox::new(session.access_policy())),
            captures: captures.clone(),
            probes: probes.clone(),
            params: params.clone(),
        });
        let mut engine = build_engine(ctx);
        let exit = crate::script::exit::register(&mut engine);
        Rig {
            session,
            engine,
            interrupt,
            exit,
            captures,
            probes,
            params,
        }
    }

    /// Gives the script the `--set` parameters of its command line.
    pub fn set_params(&self, params: Params) {
        *self.params.write().expect("params poisoned") = params;
    }

    /// What a script starts with: its `params` map (empty without `--set`).
    pub fn scope(&self) -> Scope<'static> {
        let mut scope = Scope::new();
        let params = params_map(&self.params.read().expect("params poisoned"));
        scope.push("params", params);
        scope
    }

    /// Compiles and runs `source` as a whole script, named `name` in
    /// messages.
    pub(crate) fn execute(&self, source: &str, name: &str) -> RunEnd {
        self.execute_in(&mut self.scope(), &AST::empty(), source, name)
    }

    /// Compiles `source` against the variables in `scope`, runs it in
    /// `scope` together with the functions `defined` earlier (the REPL:
    /// one scope for the session, each input's functions kept), and says
    /// how it ended.
    pub(crate) fn execute_in(
        &self,
        scope: &mut Scope<'static>,
        defined: &AST,
        source: &str,
        name: &str,
    ) -> RunEnd {
        self.exit.clear();
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut ast = self.engine.compile_with_scope(scope, source).map_err(Err)?;
            ast.set_source(name);
            let merged = defined.merge(&ast);
            match self.engine.eval_ast_with_scope::<Dynamic>(scope, &merged) {
                Ok(value) => Ok((value, ast)),
                Err(e) => Err(Ok(e)),
            }
        }));
        match ran {
            Err(panic) => RunEnd::Panicked(panic),
            Ok(Err(Err(parse))) => RunEnd::ParseError(parse),
            // Rhai ends a script that calls `exit` as if it had run to its end.
            Ok(Ok((value, ast))) => match self.exit.code() {
                Some(code) => RunEnd::Exited(code),
                None => RunEnd::Completed { value, ast },
            },
            Ok(Err(Ok(error))) => {
                if let EvalAltResult::Exit(value, _) = error.unwrap_inner() {
                    return RunEnd::Exited(crate::script::exit::code_of(value));
                }
                match self.interrupt.stopped() {
                    Some(stop) => RunEnd::Stopped { stop, error },
                    None => RunEnd::Failed(error),
                }
            }
        }
    }

    /// Stops the packet captures the script left running, flushing their
    /// files: every kind of end (an error, a signal, the time limit) comes
    /// through here before teardown removes the containers.
    pub(crate) fn stop_captures(&self) {
        self.captures.stop_all();
    }

    /// The captures the script started, for code that ends the run without
    /// the rig at hand (the REPL's signal watcher).
    pub(crate) fn captures(&self) -> Arc<Running> {
        self.captures.clone()
    }

    /// Removes the run's resources (or, with `keep`, says how to), and
    /// reports on stderr. Returns false when something could not be removed.
    pub(crate) fn finish(&self, runtime: &Runtime, keep: bool) -> bool {
        self.stop_captures();
        // netrig's own listeners hold the containers' namespaces open.
        self.probes.stop_all();
        if keep {
            report::kept(&self.session, &report::created_names(&self.session));
            return true;
        }
        let report = runtime.block_on(self.session.teardown());
        report::teardown(&report, self.session.run_id());
        report.is_clean()
    }
}
