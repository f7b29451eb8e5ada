//! What every script function shares: the run session, the tokio runtime it
//! blocks on, and the interrupt that cancels a waiting call.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use rhai::Dynamic;

use super::convert;
use super::error::{ScriptResult, invalid, throw};
use super::sandbox::Sandbox;
use crate::docker::ResourceKind;
use crate::docker::{Client, DockerError, RunSession};

pub use crate::stop::Interrupt;

/// Shared by all native functions of one engine.
pub struct ScriptContext {
    /// The run whose resources the script creates.
    pub session: Arc<RunSession>,
    /// The program's tokio runtime.
    pub runtime: tokio::runtime::Handle,
    /// Cancels waiting calls on Ctrl-C / SIGTERM.
    pub interrupt: Arc<Interrupt>,
    /// Directory that relative paths (`build`, `import`) start from.
    pub base_dir: PathBuf,
    /// Draw progress bars (stderr is a terminal).
    pub show_progress: bool,
    /// What the script may reach outside its containers.
    pub sandbox: Arc<Sandbox>,
}

impl ScriptContext {
    /// The same context bound to another daemon's session of the run
    /// (`docker::connect`): same runtime, interrupt and base directory.
    pub fn for_host(&self, session: Arc<RunSession>) -> ScriptContext {
        ScriptContext {
            session,
            runtime: self.runtime.clone(),
            interrupt: self.interrupt.clone(),
            base_dir: self.base_dir.clone(),
            show_progress: self.show_progress,
            sandbox: self.sandbox.clone(),
        }
    }

    /// The Docker client.
    pub fn client(&self) -> &Client {
        self.session.client()
    }

    /// The Docker name of the container a script value stands for (a
    /// handle or a name); errors name `function` and `param`.
    pub fn container(&self, function: &str, param: &str, value: &Dynamic) -> ScriptResult<String> {
        if let Some(h) = value.read_lock::<super::handles::ContainerHandle>() {
            self.on_this_daemon(function, param, &h)?;
        }
        let name = convert::container_ref(param, value).map_err(|e| invalid(function, e))?;
        Ok(self.session.docker_name(ResourceKind::Container, &name))
    }

    /// This context, or for a container handle made on another daemon of the
    /// run (`b.run(…)`), that daemon's: so `far.exec(…)` and `ping(far, …)`
    /// go where the container is.
    pub fn routed(self: &Arc<Self>, value: &Dynamic) -> Arc<ScriptContext> {
        match value.read_lock::<super::handles::ContainerHandle>() {
            Some(h) => self.routed_to(&h),
            None => self.clone(),
        }
    }

    /// [`Self::routed`] for a handle.
    pub fn routed_to(self: &Arc<Self>, h: &super::handles::ContainerHandle) -> Arc<ScriptContext> {
        match self.session.owner_elsewhere(&h.id) {
            Some(session) => Arc::new(self.for_host(session)),
            None => self.clone(),
        }
    }

    /// A handle only names a container: one made on another daemon
    /// (`docker::connect`) must be used through that daemon's host handle.
    pub fn on_this_daemon(
        &self,
        function: &str,
        param: &str,
        h: &super::handles::ContainerHandle,
    ) -> ScriptResult<()> {
        let Some(host) = self.session.elsewhere(&h.id) else {
            return Ok(());
        };
        let here = self.client().host();
        // Most functions follow a far handle to its daemon (`routed`); what
        // is left joins it to something of this daemon, or needs this machine.
        let what_to_do = match function.trim_start_matches("network::") {
            f @ ("connect" | "disconnect") => {
                format!(
                    "a container joins networks of its own daemon: h.network_{f}(net, ctr) there"
                )
            }
            _ => format!("{function}() works with containers of {here} only"),
        };
        Err(invalid(
            function,
            format!(
                "{param} ({}) runs on {host}, not on {here}; {what_to_do}",
                h.name
            ),
        ))
    }

    /// The Docker name of the network a script value stands for.
    pub fn network(&self, function: &str, param: &str, value: &Dynamic) -> ScriptResult<String> {
        let name = convert::network_ref(param, value).map_err(|e| invalid(function, e))?;
        Ok(self.session.docker_name(ResourceKind::Network, &name))
    }

    /// The name a script knows a Docker name by (a `ps` row, a handle).
    pub fn script_name(&self, docker_name: &str) -> String {
        self.session.script_name(docker_name).to_string()
    }

    /// A ping target as the pinging container should see it: a name its DNS
    /// resolves (the script's own name) or an address, unchanged.
    pub fn target(&self, function: &str, param: &str, value: &Dynamic) -> ScriptResult<String> {
        convert::target_ref(param, value).map_err(|e| invalid(function, e))
    }

    /// A path a script gave, resolved against the script's directory and
    /// kept below it unless host access is allowed.
    pub fn path(&self, function: &str, param: &str, path: &str) -> ScriptResult<PathBuf> {
        self.sandbox.path(function, param, &self.base_dir, path)
    }

    /// Waits for a Docker operation on behalf of script function `function`,
    /// giving up if the run is interrupted.
    pub fn wait<T>(
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
    pub fn sleep(&self, function: &str, secs: f64) -> ScriptResult<()> {
        let duration = std::time::Duration::from_secs_f64(secs.max(0.0));
        self.wait(function, async {
            tokio::time::sleep(duration).await;
            Ok(())
        })
    }
}
