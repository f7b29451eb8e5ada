//! What every script function shares: the run session, the tokio runtime it
//! blocks on, and the interrupt that cancels a waiting call.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use super::capture::Running;
use super::error::{ScriptResult, throw};
use super::params::SharedParams;
use super::probe_side::Probes;
use super::sandbox::Sandbox;
use crate::docker::{Client, DockerError, RunSession};
use crate::stop::Stop;

pub(crate) use crate::stop::Interrupt;

/// How long an interrupted call waits for the commands it started in
/// containers to be stopped.
pub(crate) const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Shared by all native functions of one engine.
pub(crate) struct ScriptContext {
    /// The run whose resources the script creates.
    pub(crate) session: Arc<RunSession>,
    /// The program's tokio runtime.
    pub(crate) runtime: tokio::runtime::Handle,
    /// Cancels waiting calls on Ctrl-C / SIGTERM.
    pub(crate) interrupt: Arc<Interrupt>,
    /// Directory that relative paths (`build`, `import`) start from.
    pub(crate) base_dir: PathBuf,
    /// Draw progress bars (stderr is a terminal).
    pub(crate) show_progress: bool,
    /// What the script may reach outside its containers.
    pub(crate) sandbox: Arc<Sandbox>,
    /// The captures the script started, stopped when the run ends.
    pub(crate) captures: Arc<Running>,
    /// The namespaces checks entered and the listeners they started; they
    /// end with the run.
    pub(crate) probes: Arc<Probes>,
    /// The run's `--set` parameters, which `params.require` reads.
    pub(crate) params: SharedParams,
}

impl ScriptContext {
    /// The same context bound to another daemon's session of the run
    /// (`docker::connect`): same runtime, interrupt and base directory.
    pub(crate) fn for_host(&self, session: Arc<RunSession>) -> ScriptContext {
        ScriptContext {
            session,
            runtime: self.runtime.clone(),
            interrupt: self.interrupt.clone(),
            base_dir: self.base_dir.clone(),
            show_progress: self.show_progress,
            sandbox: self.sandbox.clone(),
            captures: self.captures.clone(),
            probes: self.probes.clone(),
            params: self.params.clone(),
        }
    }

    /// The Docker client.
    pub(crate) fn client(&self) -> &Client {
        self.session.client()
    }

    /// The name a script knows a Docker name by (a `ps` row, a handle).
    pub(crate) fn script_name(&self, docker_name: &str) -> String {
        self.session.script_name(docker_name).to_string()
    }

    /// A path a script gave, resolved against the script's directory and
    /// kept below it unless host access is allowed.
    pub(crate) fn path(&self, function: &str, param: &str, path: &str) -> ScriptResult<PathBuf> {
        self.sandbox.path(function, param, &self.base_dir, path)
    }

    /// Waits for a Docker operation on behalf of script function `function`,
    /// giving up if the run is interrupted.
    /// On a terminal, a call that takes more than two seconds shows a
    /// spinner with its name and the time so far until it returns.
    pub(crate) fn wait<T>(
        &self,
        function: &str,
        fut: impl Future<Output = Result<T, DockerError>>,
    ) -> ScriptResult<T> {
        self.wait_showing(function, fut, self.show_progress)
    }

    fn wait_showing<T>(
        &self,
        function: &str,
        fut: impl Future<Output = Result<T, DockerError>>,
        progress: bool,
    ) -> ScriptResult<T> {
        let token = self.interrupt.token();
        let ended = self.runtime.block_on(async {
            let spinner = async {
                let after = std::time::Duration::from_secs(2);
                tokio::time::sleep(after).await;
                let _shown = crate::progress::Spinner::start(&format!("{function}()"), after);
                std::future::pending::<()>().await;
            };
            let ended = tokio::select! {
                r = fut => Ok(r),
                _ = token.cancelled() => Err(()),
                () = spinner, if progress => unreachable!("the spinner never ends"),
            };
            // The abandoned call may have left a command running in a
            // container: it is stopped before the script hears of the stop.
            let unstopped = match ended {
                Ok(_) => Vec::new(),
                Err(()) => self.client().stops_settled(STOP_GRACE).await,
            };
            (ended, unstopped)
        });
        match ended {
            // The script hears about its own names, not the run's Docker names.
            (Ok(r), _) => r.map_err(|e| {
                throw(
                    e.kind(),
                    function,
                    self.session.names().script_text(&e.to_string()),
                )
            }),
            (Err(()), unstopped) => {
                let mut message = match self.interrupt.stopped() {
                    Some(Stop::Timeout) => "stopped at the run's time limit".to_string(),
                    Some(stop) => format!("interrupted by {stop}"),
                    None => "interrupted".to_string(),
                };
                for line in unstopped {
                    message.push_str("; ");
                    message.push_str(&self.session.names().script_text(&line));
                }
                Err(throw("interrupted", function, message))
            }
        }
    }

    /// Sleeps, waking early when interrupted.
    pub(crate) fn sleep(&self, function: &str, secs: f64) -> ScriptResult<()> {
        let duration = std::time::Duration::from_secs_f64(secs.max(0.0));
        // Asked for: no spinner.
        let slept = async {
            tokio::time::sleep(duration).await;
            Ok(())
        };
        self.wait_showing(function, slept, false)
    }
}
