//! [`Call`]: what a script function's body is given besides its arguments —
//! the daemon it runs on, the name it was called by, and Rhai's call
//! context — with the helpers every body needs, each naming the function
//! in its errors.

use std::cell::RefCell;
use std::future::Future;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

use rhai::{Dynamic, EvalAltResult, NativeCallContext};

use super::context::ScriptContext;
use super::convert;
use super::error::{ScriptResult, invalid, throw};
use super::handles::{ContainerHandle, NetworkHandle};
use super::params::Params;
use crate::docker::ResourceKind;
use crate::docker::{BatchError, DockerError};

/// One call of a script function.
///
/// It dereferences to the [`ScriptContext`] of the daemon the call runs on:
/// the host handle's for `h.f(…)`, the daemon of a container or network
/// handle given as the first argument, else the script's default daemon.
pub(crate) struct Call<'a> {
    /// `None` only in engines built for tests without Docker.
    daemon: Option<Arc<ScriptContext>>,
    name: &'a str,
    native: NativeCallContext<'a>,
    /// The containers this call needs running (Docker names), checked once
    /// before and again when the Docker operation fails.
    used: RefCell<Vec<String>>,
}

impl<'a> Call<'a> {
    pub(super) fn new(
        daemon: Option<Arc<ScriptContext>>,
        name: &'a str,
        native: NativeCallContext<'a>,
    ) -> Self {
        Call {
            daemon,
            name,
            native,
            used: RefCell::new(Vec::new()),
        }
    }

    /// The name the script called: `network::create`, or `network_create`
    /// on a host handle. Errors start with it.
    pub(crate) fn name(&self) -> &str {
        self.name
    }

    /// The context of the daemon this call runs on, to keep in a handle.
    pub(crate) fn daemon(&self) -> &Arc<ScriptContext> {
        self.daemon
            .as_ref()
            .expect("an engine built without a Docker daemon (a test) called Docker")
    }

    /// Rhai's context of the call: for calling a script's function
    /// pointer (`FnPtr::call_within_context`) or its operators.
    pub(crate) fn native(&self) -> &NativeCallContext<'a> {
        &self.native
    }

    /// A wrong argument or option (kind `invalid_argument`).
    pub(crate) fn invalid(&self, message: impl AsRef<str>) -> Box<EvalAltResult> {
        invalid(self.name, message)
    }

    /// An error of `kind` (`not_found`, `assertion`, …).
    pub(crate) fn fail(&self, kind: &str, message: impl AsRef<str>) -> Box<EvalAltResult> {
        throw(kind, self.name, message)
    }

    /// Waits for a Docker operation, giving up if the run is interrupted;
    /// its errors keep their kind and speak the script's names. When it
    /// fails and a container the call needs has stopped meanwhile, the
    /// error says so (see [`Call::running`]).
    pub(crate) fn wait<T>(
        &self,
        fut: impl Future<Output = Result<T, DockerError>>,
    ) -> ScriptResult<T> {
        let used = self.used.borrow().clone();
        if used.is_empty() {
            return self.daemon().wait(self.name, fut);
        }
        let client = self.client();
        self.daemon().wait(self.name, async {
            let err = match fut.await {
                Err(e)
                    if !matches!(
                        e,
                        DockerError::NotRunning(_) | DockerError::Interrupted { .. }
                    ) =>
                {
                    e
                }
                done => return done,
            };
            for ctr in &used {
                client.ensure_running(ctr).await?;
            }
            Err(err)
        })
    }

    /// The one check of every call that needs running containers (by
    /// Docker name): one that is not running fails the call with how it
    /// stopped and the end of its log, instead of an empty address, a lost
    /// ping or Docker's bare "is not running". [`Call::container`] and
    /// [`Call::target`] call it; batches use [`Call::running_items`].
    pub(crate) fn running(&self, containers: &[String]) -> ScriptResult<()> {
        let client = self.client();
        self.daemon().wait(self.name, async {
            for ctr in containers {
                client.ensure_running(ctr).await?;
            }
            Ok(())
        })?;
        self.used.borrow_mut().extend(containers.iter().cloned());
        Ok(())
    }

    /// [`Call::running`] for a batch: `items` lists each item's containers;
    /// the error names every item whose container is not running.
    pub(crate) fn running_items(&self, items: &[Vec<String>]) -> ScriptResult<()> {
        self.wait_batch(self.client().ensure_items_running(items))
    }

    /// Waits for a batch, turning its failure into a script error of the
    /// first failure's kind.
    pub(crate) fn wait_batch<T>(
        &self,
        fut: impl Future<Output = Result<T, BatchError>>,
    ) -> ScriptResult<T> {
        self.daemon()
            .wait(self.name, async { Ok(fut.await) })?
            .map_err(|e| {
                // The script hears about its own names, not the run's Docker names.
                self.fail(e.kind(), self.session.names().script_text(&e.to_string()))
            })
    }

    /// The run's `--set` parameters (none in an engine built without a
    /// daemon, for tests).
    pub(crate) fn params(&self) -> Params {
        self.daemon
            .as_ref()
            .map(|d| d.params.read().expect("params poisoned").clone())
            .unwrap_or_default()
    }

    /// Sleeps, waking early when interrupted.
    pub(crate) fn sleep(&self, secs: f64) -> ScriptResult<()> {
        self.daemon().sleep(self.name, secs)
    }

    /// A string argument, or an error naming `param`.
    pub(crate) fn string(&self, param: &str, value: &Dynamic) -> ScriptResult<String> {
        value.clone().into_string().map_err(|_| {
            self.invalid(format!(
                "{param} must be a string, got {}",
                convert::describe(value)
            ))
        })
    }

    /// The Docker name of a container the call needs running, from a value
    /// that stands for it (a handle or a name): fails when it is not
    /// running (see [`Call::running`]). A handle of another daemon is
    /// refused: the call runs here.
    pub(crate) fn container(&self, param: &str, value: &Dynamic) -> ScriptResult<String> {
        let name = self.container_name(param, value)?;
        self.running(std::slice::from_ref(&name))?;
        Ok(name)
    }

    /// The Docker name of a container in whatever state (for `logs`,
    /// `inspect`, `start`, `rm`, …): no daemon is asked.
    pub(crate) fn container_name(&self, param: &str, value: &Dynamic) -> ScriptResult<String> {
        if let Some(h) = value.read_lock::<ContainerHandle>() {
            self.on_this_daemon(param, &h.name, h.daemon(), "containers")?;
        }
        let name = convert::container_ref(param, value).map_err(|e| self.invalid(e))?;
        Ok(self.session.docker_name(ResourceKind::Container, &name))
    }

    /// The Docker name of the network a value stands for (a handle or a
    /// name). A handle of another daemon is refused: the call runs here.
    pub(crate) fn network(&self, param: &str, value: &Dynamic) -> ScriptResult<String> {
        if let Some(h) = value.read_lock::<NetworkHandle>() {
            self.on_this_daemon(param, &h.name, h.daemon(), "networks")?;
        }
        let name = convert::network_ref(param, value).map_err(|e| self.invalid(e))?;
        Ok(self.session.docker_name(ResourceKind::Network, &name))
    }

    /// A ping target as the pinging container should see it: a name its DNS
    /// resolves (the script's own name) or an address, unchanged. A target
    /// that is a container (a handle, or the name of one this run made)
    /// must be running.
    pub(crate) fn target(&self, param: &str, value: &Dynamic) -> ScriptResult<String> {
        let target = self.target_name(param, value)?;
        if let Some(ctr) = self.target_container(value, &target) {
            self.running(&[ctr])?;
        }
        Ok(target)
    }

    /// [`Call::target`] without the check, for batches.
    pub(crate) fn target_name(&self, param: &str, value: &Dynamic) -> ScriptResult<String> {
        convert::target_ref(param, value).map_err(|e| self.invalid(e))
    }

    /// The Docker name of the container a target stands for: a handle's,
    /// or that of a container this run made under the name `target`.
    pub(crate) fn target_container(&self, value: &Dynamic, target: &str) -> Option<String> {
        let docker = self.session.docker_name(ResourceKind::Container, target);
        let ours = value.is::<ContainerHandle>()
            || self
                .session
                .created()
                .iter()
                .any(|c| c.kind == ResourceKind::Container && c.name == docker);
        ours.then_some(docker)
    }

    /// A path a script gave, resolved against the script's directory and
    /// kept below it unless host access is allowed.
    pub(crate) fn path(&self, param: &str, path: &str) -> ScriptResult<PathBuf> {
        self.daemon().path(self.name, param, path)
    }

    /// The handle of a container this daemon made (`docker_name` as Docker knows it).
    pub(crate) fn container_handle(&self, id: String, docker_name: &str) -> ContainerHandle {
        ContainerHandle::new(id, self.script_name(docker_name), self.daemon().clone())
    }

    /// The handle of a network this daemon made.
    pub(crate) fn network_handle(&self, id: String, docker_name: &str) -> NetworkHandle {
        NetworkHandle::new(id, self.script_name(docker_name), self.daemon().clone())
    }

    /// A handle made on another daemon of the run cannot be used here.
    fn on_this_daemon(
        &self,
        param: &str,
        name: &str,
        home: Option<&Arc<ScriptContext>>,
        what: &str,
    ) -> ScriptResult<()> {
        let here = self.client().host();
        let Some(there) = home.map(|d| d.client().host()).filter(|t| *t != here) else {
            return Ok(());
        };
        // A handle as first argument takes the call to its daemon; what is
        // left joins it to something of this daemon, or needs this machine.
        let function = self.name.trim_start_matches("network::");
        let what_to_do = match function.trim_start_matches("network_") {
            f @ ("connect" | "disconnect") => {
                format!(
                    "a container joins networks of its own daemon: h.network_{f}(net, ctr) there"
                )
            }
            _ => format!("{}() works with {what} of {here} only", self.name),
        };
        let is = if what == "containers" { "runs" } else { "is" };
        Err(self.invalid(format!(
            "{param} ({name}) {is} on {there}, not on {here}; {what_to_do}"
        )))
    }
}

impl Deref for Call<'_> {
    type Target = ScriptContext;

    fn deref(&self) -> &ScriptContext {
        self.daemon()
    }
}
