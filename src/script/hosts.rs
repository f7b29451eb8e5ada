//! Several daemons in one script: `docker::connect(url)` returns a host
//! handle whose methods are the familiar functions on that daemon
//! (`h.run(…)`, `h.network_create(…)`, `h.swarm_join(…)`, …), registered
//! from each function's one definition (`api.rs`). Everything a host
//! creates carries the run's labels, and the run's teardown covers every
//! daemon it connected to.

use std::fmt;
use std::sync::Arc;

use rhai::{Dynamic, Engine};

use super::api::{Api, Call};
use super::context::ScriptContext;
use super::error::ScriptResult;
use crate::docker::DockerError;
use crate::docker::client::resolve_host;

/// A daemon a script connected to. Shown as `host tcp://10.0.0.2:2375`.
#[derive(Clone)]
pub(crate) struct HostHandle {
    /// The script context bound to this daemon's session of the run.
    pub(crate) ctx: Arc<ScriptContext>,
}

impl HostHandle {
    /// The daemon's address.
    pub(crate) fn url(&self) -> String {
        self.ctx.client().host().to_string()
    }
}

impl fmt::Display for HostHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "host {}", self.url())
    }
}

impl fmt::Debug for HostHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `docker::connect([url])`: the handle for `url` (or the default daemon),
/// reusing the run's session for a daemon already used.
fn connect(cx: &Call, url: Dynamic) -> ScriptResult<HostHandle> {
    let here = cx.daemon();
    if url.is_unit() {
        return Ok(HostHandle { ctx: here.clone() });
    }
    let url = cx.string("the daemon address", &url)?;
    let wanted = resolve_host(Some(&url));
    if wanted == cx.client().host() {
        return Ok(HostHandle { ctx: here.clone() });
    }
    let session = match cx
        .session
        .other_hosts()
        .into_iter()
        .find(|s| s.client().host() == wanted)
    {
        Some(existing) => existing,
        None => {
            // The session asks the run's host-access policy before dialling.
            let token = cx.interrupt.token();
            let connected = cx.runtime.block_on(async {
                tokio::select! {
                    r = cx.session.connect_host(&wanted) => r,
                    _ = token.cancelled() => Err(DockerError::Interrupted { action: format!("connect to {wanted}") }),
                }
            });
            connected.map_err(|e| match e {
                // Not the --host / DOCKER_HOST advice of the default daemon.
                DockerError::Unreachable { host, reason } => {
                    let hint = if reason.starts_with("ssh") {
                        ""
                    } else {
                        "; is one listening there?"
                    };
                    cx.fail(
                        "unreachable",
                        format!("cannot reach the Docker daemon at {host}: {reason}{hint}"),
                    )
                }
                other => super::error::docker(cx.name(), other),
            })?
        }
    };
    Ok(HostHandle {
        ctx: Arc::new(cx.for_host(session)),
    })
}

/// Registers the host handle type.
pub(super) fn register_types(engine: &mut Engine) {
    engine
        .register_type_with_name::<HostHandle>("Host")
        .register_get("url", |h: &mut HostHandle| h.url())
        .register_fn("to_string", |h: &mut HostHandle| h.to_string())
        .register_fn("to_debug", |h: &mut HostHandle| h.to_string());
}

/// Defines `docker::connect`. Every other function gets its host method
/// from its own definition (`api.rs`).
pub(super) fn functions(api: &mut Api) {
    api.function(
        "docker::connect",
        &["[url: String]", "Host"],
        "Connect to another Docker daemon (`unix:///path`, `tcp://host:port`, `ssh://user@host`),\n\
         or without `url` the default one (`--host`, `DOCKER_HOST` or the local socket), and\n\
         return a host handle: its methods are the usual functions on that daemon (`h.run(…)`,\n\
         `h.network_create(…)`). What it creates is removed when the run ends, like everything else.\n\
         ```rhai\nlet b = docker::connect(\"tcp://198.18.0.2:2375\");\nlet c = b.run(\"busybox\", #{name: \"far\", cmd: \"sleep 3600\"});\n```",
        connect,
    )
    .global_only();
}

#[cfg(test)]
mod tests {
    use super::*;
    use rhai::Dynamic;

    /// Host methods share names with the global functions (`run`, `ps`);
    /// Rhai must pick the host's overload for a host handle and the global
    /// one otherwise. Checked on signatures alone, without a daemon.
    #[test]
    fn host_methods_do_not_shadow_the_global_functions() {
        let mut engine = Engine::new();
        engine.register_type_with_name::<Marker>("Host");
        engine.register_fn("run", |_: &mut Marker, _: Dynamic| "host");
        engine.register_fn("run", |_: Dynamic, _: Dynamic| "global");
        engine.register_fn("ps", |_: &mut Marker| "host");
        engine.register_fn("ps", |_: Dynamic| "global");
        engine.register_fn("host", || Marker);
        let eval = |s: &str| engine.eval::<String>(s).unwrap();
        assert_eq!(eval(r#"host().run("busybox")"#), "host");
        assert_eq!(eval(r#"run("busybox", #{})"#), "global");
        assert_eq!(eval(r#"run(host(), "busybox")"#), "host");
        assert_eq!(eval("host().ps()"), "host");
        assert_eq!(eval("ps(#{all: true})"), "global");
    }

    #[derive(Clone)]
    struct Marker;
}
