//! Where a check runs: inside the container's network namespace, made by
//! netrig itself (`via: "netns"`), or — when netrig cannot enter it (a
//! remote daemon, not root) — through the image's own tools by exec
//! (`via: "exec"`). Also the run's namespaces and listeners, which end with
//! the run.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use rhai::Dynamic;

use super::api::Call;
use super::error::ScriptResult;
use crate::cgroup::cgroup_names;
use crate::docker::process::ContainerProcess;
use crate::docker::{DockerError, ExecOutput};
use crate::probe::{Listener, Namespaces, Netns, ProbeError};

/// The run's probe state: each container's namespace entered once, and the
/// listeners `listen` started.
#[derive(Default)]
pub(crate) struct Probes {
    namespaces: Namespaces,
    /// Docker name → (id, pid) of containers entered, so a check from one
    /// asks the daemon only when its process changed.
    entered: Mutex<HashMap<String, (String, u32)>>,
    listeners: Mutex<Vec<Listening>>,
}

/// One listener and what it listens for.
struct Listening {
    container: String,
    port: u16,
    _listener: Listener,
}

impl Probes {
    /// Keeps `listener` running until [`Probes::unlisten`] or the run's end;
    /// a listener already on that container and port is replaced.
    pub(crate) fn keep(&self, container: &str, listener: Listener) {
        let mut all = self.listeners.lock().expect("listeners poisoned");
        let port = listener.port();
        all.retain(|l| !(l.container == container && l.port == port));
        all.push(Listening {
            container: container.to_string(),
            port,
            _listener: listener,
        });
    }

    /// Stops the listener on `container` port `port`; false when there was none.
    pub(crate) fn unlisten(&self, container: &str, port: u16) -> bool {
        let mut all = self.listeners.lock().expect("listeners poisoned");
        let before = all.len();
        all.retain(|l| !(l.container == container && l.port == port));
        all.len() < before
    }

    /// Stops every listener and leaves every namespace: the run is over.
    pub(crate) fn stop_all(&self) {
        self.listeners.lock().expect("listeners poisoned").clear();
        self.entered.lock().expect("entered poisoned").clear();
        self.namespaces.clear();
    }

    /// The namespace of container `name` entered before, if the same
    /// process still runs it (its cgroup still names the container).
    pub(crate) fn still_entered(&self, name: &str) -> Option<Netns> {
        let (id, pid) = self.entered.lock().ok()?.get(name).cloned()?;
        let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        if !cgroup_names(&cgroup, &id) {
            return None;
        }
        self.namespaces.get(name, &id, pid).ok()
    }
}

/// How `via` says a check was made.
pub(crate) mod via {
    /// netrig's own sockets inside the container's namespace.
    pub(crate) const NETNS: &str = "netns";
    /// netrig's own sockets on this machine (`http(url)`).
    pub(crate) const HOST: &str = "host";
    /// The image's own tools, by exec.
    pub(crate) const EXEC: &str = "exec";
}

/// Where a check from a container runs.
pub(crate) enum Side {
    /// In the namespace, with netrig's own sockets.
    Netns(Netns),
    /// By exec in the container (Docker name), because of `why`.
    Exec {
        /// The container's Docker name.
        container: String,
        /// Why netrig could not enter the namespace.
        why: String,
    },
}

/// The side a check from the container `value` (argument `param`) runs
/// on, and its Docker name.
pub(crate) fn side(cx: &Call, param: &str, value: &Dynamic) -> ScriptResult<(Side, String)> {
    let name = cx.container(param, value)?;
    Ok((side_named(cx, &name)?, name))
}

/// The side a check from the container with Docker name `name` runs on.
pub(crate) fn side_named(cx: &Call, name: &str) -> ScriptResult<Side> {
    if let Some(ns) = cx.probes.still_entered(name) {
        return Ok(Side::Netns(ns));
    }
    let process = cx.wait(cx.client().process(name))?;
    side_of(cx, name, process)
}

/// The side of the running container `name` whose main process is `process`.
pub(crate) fn side_of(cx: &Call, name: &str, process: ContainerProcess) -> ScriptResult<Side> {
    let name = name.to_string();
    match cx
        .probes
        .namespaces
        .get(&process.name, &process.id, process.pid)
    {
        Ok(ns) => {
            if let Ok(mut entered) = cx.probes.entered.lock() {
                entered.insert(name, (process.id, process.pid));
            }
            Ok(Side::Netns(ns))
        }
        Err(ProbeError::Unsupported { message, .. }) => Ok(Side::Exec {
            container: name,
            why: message,
        }),
        Err(e) => wait_probe(cx, async { Err(e) }),
    }
}

/// The namespace of the container `value`, for checks that have no exec
/// fallback (`listen`, `throughput`, `udp`, ICMP `latency`): an
/// `unsupported` error saying why when netrig cannot enter it.
pub(crate) fn netns_only(cx: &Call, param: &str, value: &Dynamic) -> ScriptResult<(Netns, String)> {
    match side(cx, param, value)? {
        (Side::Netns(ns), name) => Ok((ns, name)),
        (Side::Exec { why, container }, _) => Err(cx.fail(
            "unsupported",
            format!(
                "netrig makes this check from inside the container's network namespace and \
                 cannot enter {:?}'s: {why}",
                cx.script_name(&container)
            ),
        )),
    }
}

/// Waits for a probe, interruptibly; its errors keep their kind.
pub(crate) fn wait_probe<T>(
    cx: &Call,
    fut: impl Future<Output = Result<T, ProbeError>>,
) -> ScriptResult<T> {
    cx.wait(async { fut.await.map_err(docker_error) })
}

/// The same failure in the Docker layer's terms, so it reads like the rest.
fn docker_error(e: ProbeError) -> DockerError {
    match e {
        ProbeError::Unsupported { action, message } => DockerError::Unsupported { action, message },
        ProbeError::InvalidArgument { action, message } => {
            DockerError::InvalidArgument { action, message }
        }
        ProbeError::Failed { action, message } => DockerError::Failed { action, message },
    }
}

/// Runs a fallback tool in `container` and times it (milliseconds);
/// `None` when the exec itself could not start the tool.
pub(crate) fn exec_timed(
    cx: &Call,
    container: &str,
    cmd: &[String],
) -> ScriptResult<Option<(ExecOutput, f64)>> {
    let start = std::time::Instant::now();
    let ran = cx.wait(async { Ok(cx.client().exec(container, cmd).await) })?;
    match ran {
        Ok(out) => Ok(Some((out, start.elapsed().as_secs_f64() * 1000.0))),
        Err(DockerError::Failed { .. }) => Ok(None),
        Err(e) => cx.wait(async { Err(e) }),
    }
}

/// The error for a fallback whose tool the image lacks (or whose output
/// netrig cannot read): honest about both reasons.
pub(crate) fn no_fallback(
    cx: &Call,
    container: &str,
    why: &str,
    tool: &str,
) -> Box<rhai::EvalAltResult> {
    cx.fail(
        "unsupported",
        format!(
            "netrig cannot enter {:?}'s network namespace ({why}), and the image has no usable \
             `{tool}` to check with instead",
            cx.script_name(container)
        ),
    )
}
