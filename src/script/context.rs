//! What every script function shares: the run session, the tokio runtime it
//! blocks on, and the interrupt that cancels a waiting call.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use super::capture::Running;
use super::error::{ScriptResult, throw};
use super::params::SharedParams;
use super::sandbox::Sandbox;
use crate::docker::{Client, DockerError, RunSession};

pub(crate) use crate::stop::Interrupt;

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
    pub(crate) fn wait<T>(
        &self,
        function: &str,
        fut: impl Future<Output = Result<T, DockerError>>,
    ) -> ScriptResult<T> {
        let token = self.interrupt.token();
        self.runtime
            .block_on(async {
                tokio::select! {
                    r = fut => r,
                    _ = token.cancelled() => Err(DockerError::Interrupted { action: format!("{function}()") }),
                }
            })
            // The script hears about its own names, not the run's Docker names.
            .map_err(|e| throw(e.kind(), function, self.session.names().script_text(&e.to_string())))
    }

    /// Sleeps, waking early when interrupted.
    pub(crate) fn sleep(&self, function: &str, secs: f64) -> ScriptResult<()> {
        let duration = std::time::Duration::from_secs_f64(secs.max(0.0));
        self.wait(function, async {
            tokio::time::sleep(duration).await;
            Ok(())
        })
    }
}
