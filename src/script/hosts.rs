//! Several daemons in one script: `docker::connect(url)` returns a host
//! handle whose methods are the familiar functions on that daemon
//! (`h.run(…)`, `h.network_create(…)`, `h.swarm_join(…)`, …). Everything
//! a host creates carries the run's labels, and the run's teardown covers
//! every daemon it connected to.

use std::fmt;
use std::sync::Arc;

use rhai::{Dynamic, Engine, Module, NativeCallContext};

use super::context::ScriptContext;
use super::error::{ScriptResult, at_call, throw};
use super::{checks, container, graph, network, register, service, string_arg, swarm};
use crate::docker::DockerError;
use crate::docker::client::resolve_host;

/// A daemon a script connected to. Shown as `host tcp://10.0.0.2:2375`.
#[derive(Clone)]
pub struct HostHandle {
    /// The script context bound to this daemon's session of the run.
    pub ctx: Arc<ScriptContext>,
}

impl HostHandle {
    /// The daemon's address.
    pub fn url(&self) -> String {
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

/// `docker::connect` and the default host: the handle for `url` (or the
/// default daemon), reusing the run's session for a daemon already used.
fn connect(
    ctx: &Arc<ScriptContext>,
    function: &str,
    url: Option<String>,
) -> ScriptResult<HostHandle> {
    let Some(url) = url else {
        return Ok(HostHandle { ctx: ctx.clone() });
    };
    let wanted = resolve_host(Some(&url));
    if wanted == ctx.client().host() {
        return Ok(HostHandle { ctx: ctx.clone() });
    }
    let session = match ctx
        .session
        .other_hosts()
        .into_iter()
        .find(|s| s.client().host() == wanted)
    {
        Some(existing) => existing,
        None => {
            // The session asks the run's host-access policy before dialling.
            let token = ctx.interrupt.token();
            let connected = ctx.runtime.block_on(async {
                tokio::select! {
                    r = ctx.session.connect_host(&wanted) => r,
                    _ = token.cancelled() => Err(DockerError::Interrupted { action: format!("{function}()") }),
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
                    throw(
                        "unreachable",
                        function,
                        format!("cannot reach the Docker daemon at {host}: {reason}{hint}"),
                    )
                }
                other => super::error::docker(function, other),
            })?
        }
    };
    Ok(HostHandle {
        ctx: Arc::new(ctx.for_host(session)),
    })
}

/// Registers `docker::connect`, the host handle type and its methods.
pub fn register_all(engine: &mut Engine, ctx: &Arc<ScriptContext>) {
    engine
        .register_type_with_name::<HostHandle>("Host")
        .register_get("url", |h: &mut HostHandle| h.url())
        .register_fn("to_string", |h: &mut HostHandle| h.to_string())
        .register_fn("to_debug", |h: &mut HostHandle| h.to_string());

    let mut m = Module::new();
    let c = ctx.clone();
    super::register_in(
        &mut m,
        "connect",
        &["url: String", "Host"],
        "Connect to another Docker daemon (`unix:///path`, `tcp://host:port`, `ssh://user@host`)\n\
         and return a host handle: its methods are the usual functions on that daemon. What\n\
         it creates is removed when the run ends, like everything else.\n\
         ```rhai\nlet b = docker::connect(\"tcp://198.18.0.2:2375\");\nlet c = b.run(\"busybox\", #{name: \"far\", cmd: \"sleep 3600\"});\n```",
        move |cx: NativeCallContext, url: Dynamic| {
            let url = at_call(
                &cx,
                string_arg("docker::connect", "the daemon address", &url),
            )?;
            at_call(&cx, connect(&c, "docker::connect", Some(url)))
        },
    );
    let c = ctx.clone();
    super::register_in(
        &mut m,
        "connect",
        &["Host"],
        "The default daemon (`--host`, `DOCKER_HOST` or the local socket) as a host handle.\n\
         ```rhai\nlet a = docker::connect();\nprint(a.url);\n```",
        move |cx: NativeCallContext| at_call(&cx, connect(&c, "docker::connect", None)),
    );
    super::register_module(engine, "docker", m);

    register_container_methods(engine);
    register_network_methods(engine);
    register_check_methods(engine);
    register_swarm_methods(engine);
    register_service_methods(engine);
}

fn register_container_methods(engine: &mut Engine) {
    register(
        engine,
        "run",
        &["h: Host", "image: String", "Container"],
        "Run a container on this host (`docker run -d`).\n\
         ```rhai\nlet c = b.run(\"busybox\");\n```",
        |h: &mut HostHandle, image: Dynamic| container::run(&h.ctx, image, Dynamic::UNIT),
    );
    register(
        engine,
        "run",
        &["h: Host", "image: String", "opts: Map", "Container"],
        "Run a container on this host with `run`'s options.\n\
         ```rhai\nlet c = b.run(\"busybox\", #{name: \"far\", network: \"ovl\", cmd: \"sleep 3600\"});\n```",
        |h: &mut HostHandle, image: Dynamic, opts: Dynamic| container::run(&h.ctx, image, opts),
    );
    register(
        engine,
        "ps",
        &["h: Host", "Array"],
        "Running containers on this host, like `ps()`.\n```rhai\nprint(table(b.ps()));\n```",
        |h: &mut HostHandle| container::ps(&h.ctx, Dynamic::UNIT),
    );
    register(
        engine,
        "ps",
        &["h: Host", "opts: Map", "Array"],
        "Containers on this host with `ps` filters (`all`, `label`, `name`, `network`).\n\
         ```rhai\nlet all = b.ps(#{all: true});\n```",
        |h: &mut HostHandle, opts: Dynamic| container::ps(&h.ctx, opts),
    );
    register(
        engine,
        "inspect",
        &["h: Host", "x: Container|Network|String", "Map"],
        "The inspect answer of a container (or network handle) on this host.\n\
         ```rhai\nprint(b.inspect(c).State.Status);\n```",
        |h: &mut HostHandle, x: Dynamic| container::inspect(&h.ctx, &x),
    );
    register(
        engine,
        "exec",
        &[
            "h: Host",
            "ctr: Container|String",
            "cmd: String|Array",
            "Map",
        ],
        "Run a command in a container on this host; returns `#{exit_code, stdout, stderr}`.\n\
         ```rhai\nlet r = b.exec(c, \"hostname\");\n```",
        |h: &mut HostHandle, ctr: Dynamic, cmd: Dynamic| {
            container::exec(&h.ctx, "exec", &ctr, &cmd)
        },
    );
    register(
        engine,
        "logs",
        &["h: Host", "ctr: Container|String", "String"],
        "What a container on this host wrote.\n```rhai\nprint(b.logs(c));\n```",
        |h: &mut HostHandle, ctr: Dynamic| container::logs(&h.ctx, &ctr),
    );
    register(
        engine,
        "stop",
        &["h: Host", "ctr: Container|String"],
        "Stop a container on this host.\n```rhai\nb.stop(c);\n```",
        |h: &mut HostHandle, ctr: Dynamic| container::stop(&h.ctx, &ctr, None),
    );
    register(
        engine,
        "start",
        &["h: Host", "ctr: Container|String"],
        "Start a stopped container on this host.\n```rhai\nb.start(c);\n```",
        |h: &mut HostHandle, ctr: Dynamic| container::start(&h.ctx, &ctr),
    );
    register(
        engine,
        "rm",
        &["h: Host", "x: Container|Network|String"],
        "Remove a container (or a network handle) on this host.\n```rhai\nb.rm(c);\n```",
        |h: &mut HostHandle, x: Dynamic| container::rm(&h.ctx, &x),
    );
    register(
        engine,
        "ip",
        &["h: Host", "ctr: Container", "String"],
        "The address of a container on this host, on its only network.\n```rhai\nlet addr = b.ip(c);\n```",
        |h: &mut HostHandle, ctr: super::handles::ContainerHandle| {
            container::ip(&h.ctx, &ctr, None)
        },
    );
    register(
        engine,
        "ip",
        &["h: Host", "ctr: Container", "net: Network|String", "String"],
        "The address of a container on this host, on the network `net`.\n\
         ```rhai\nlet addr = b.ip(c, \"ovl\");\n```",
        |h: &mut HostHandle, ctr: super::handles::ContainerHandle, net: Dynamic| {
            container::ip(&h.ctx, &ctr, Some(net))
        },
    );
}

fn register_network_methods(engine: &mut Engine) {
    register(
        engine,
        "network_ls",
        &["h: Host", "Array"],
        "This host's networks, like `network::ls()`.\n```rhai\nprint(table(b.network_ls()));\n```",
        |h: &mut HostHandle| network::ls(&h.ctx),
    );
    register(
        engine,
        "graph",
        &["h: Host", "String"],
        "This run's live topology on this host, like `graph()` (Mermaid).\n\
         ```rhai\nprint(b.graph());\n```",
        |h: &mut HostHandle| graph::graph(&h.ctx, Dynamic::UNIT),
    );
    register(
        engine,
        "graph",
        &["h: Host", "opts: Map", "String"],
        "The topology on this host with `graph`'s options (`format`, `managed`, `all`, `file`).\n\
         ```rhai\nb.graph(#{format: \"svg\", file: \"far.svg\"});\n```",
        |h: &mut HostHandle, opts: Dynamic| graph::graph(&h.ctx, opts),
    );
    register(
        engine,
        "expect_topology",
        &["h: Host", "intended: Map"],
        "Fail unless this run's networks on this host hold exactly the containers named, like `expect_topology`.\n\
         ```rhai\nb.expect_topology(#{far_net: [\"far\"]});\n```",
        |h: &mut HostHandle, intended: Dynamic| {
            graph::expect_topology(&h.ctx, intended, Dynamic::UNIT)
        },
    );
    register(
        engine,
        "expect_topology",
        &["h: Host", "intended: Map", "opts: Map"],
        "`expect_topology` on this host with options (`managed`, `all`).\n\
         ```rhai\nb.expect_topology(#{far_net: [\"far\"]}, #{managed: true});\n```",
        |h: &mut HostHandle, intended: Dynamic, opts: Dynamic| {
            graph::expect_topology(&h.ctx, intended, opts)
        },
    );
    register(
        engine,
        "network_create",
        &["h: Host", "name: String", "Network"],
        "Create a network on this host, like `network::create`.\n\
         ```rhai\nlet net = b.network_create(\"far_net\");\n```",
        |h: &mut HostHandle, name: Dynamic| network::create(&h.ctx, name, Dynamic::UNIT),
    );
    register(
        engine,
        "network_create",
        &["h: Host", "name: String", "opts: Map", "Network"],
        "Create a network on this host with `network::create`'s options.\n\
         ```rhai\nlet ovl = a.network_create(\"ovl\", #{driver: \"overlay\", attachable: true});\n```",
        |h: &mut HostHandle, name: Dynamic, opts: Dynamic| network::create(&h.ctx, name, opts),
    );
    register(
        engine,
        "network_inspect",
        &["h: Host", "net: Network|String", "Map"],
        "This host's inspect answer for a network.\n```rhai\nprint(b.network_inspect(\"ovl\").Scope);\n```",
        |h: &mut HostHandle, net: Dynamic| network::inspect(&h.ctx, "network_inspect", &net),
    );
    register(
        engine,
        "network_rm",
        &["h: Host", "net: Network|String"],
        "Remove a network on this host.\n```rhai\nb.network_rm(\"far_net\");\n```",
        |h: &mut HostHandle, net: Dynamic| network::rm(&h.ctx, "network_rm", &net),
    );
    register(
        engine,
        "network_connect",
        &["h: Host", "net: Network|String", "ctr: Container|String"],
        "Connect a container on this host to a network.\n```rhai\nb.network_connect(\"ovl\", c);\n```",
        |h: &mut HostHandle, net: Dynamic, ctr: Dynamic| {
            network::connect(&h.ctx, "network_connect", &net, &ctr, Dynamic::UNIT)
        },
    );
    register(
        engine,
        "network_connect",
        &[
            "h: Host",
            "net: Network|String",
            "ctr: Container|String",
            "opts: Map",
        ],
        "Connect a container on this host to a network with `aliases` / `ip`.\n\
         ```rhai\nb.network_connect(\"ovl\", c, #{aliases: [\"far\"]});\n```",
        |h: &mut HostHandle, net: Dynamic, ctr: Dynamic, opts: Dynamic| {
            network::connect(&h.ctx, "network_connect", &net, &ctr, opts)
        },
    );
    register(
        engine,
        "network_disconnect",
        &["h: Host", "net: Network|String", "ctr: Container|String"],
        "Disconnect a container on this host from a network.\n\
         ```rhai\nb.network_disconnect(\"ovl\", c);\n```",
        |h: &mut HostHandle, net: Dynamic, ctr: Dynamic| {
            network::disconnect(&h.ctx, "network_disconnect", &net, &ctr)
        },
    );
}

fn register_check_methods(engine: &mut Engine) {
    register(
        engine,
        "ping",
        &[
            "h: Host",
            "from: Container|String",
            "target: Container|String",
            "Map",
        ],
        "Ping `target` 3 times from inside `from`, a container on this host.\n\
         ```rhai\nlet r = b.ping(far, \"near\");\n```",
        |h: &mut HostHandle, from: Dynamic, target: Dynamic| {
            checks::ping(&h.ctx, "ping", &from, &target, 3).map(checks::report_map)
        },
    );
    register(
        engine,
        "reachable",
        &[
            "h: Host",
            "from: Container|String",
            "target: Container|String",
            "bool",
        ],
        "Whether one ping from `from` (on this host) to `target` gets an answer.\n\
         ```rhai\nif b.reachable(far, \"near\") { print(\"up\"); }\n```",
        |h: &mut HostHandle, from: Dynamic, target: Dynamic| {
            checks::reachable(&h.ctx, "reachable", &from, &target)
        },
    );
    register(
        engine,
        "assert_reachable",
        &[
            "h: Host",
            "from: Container|String",
            "target: Container|String",
        ],
        "Fail the scenario unless `from` (a container on this host) reaches `target`.\n\
         ```rhai\nb.assert_reachable(far, \"near\");\n```",
        |h: &mut HostHandle, from: Dynamic, target: Dynamic| {
            checks::assert_reachable(&h.ctx, "assert_reachable", &from, &target)
        },
    );
    register(
        engine,
        "assert_unreachable",
        &[
            "h: Host",
            "from: Container|String",
            "target: Container|String",
        ],
        "Fail the scenario if `from` (a container on this host) reaches `target`.\n\
         ```rhai\nb.assert_unreachable(far, \"hidden\");\n```",
        |h: &mut HostHandle, from: Dynamic, target: Dynamic| {
            checks::assert_unreachable(&h.ctx, "assert_unreachable", &from, &target)
        },
    );
}

fn register_swarm_methods(engine: &mut Engine) {
    register(
        engine,
        "swarm_active",
        &["h: Host", "bool"],
        "Whether this host is in a swarm.\n```rhai\nassert(b.swarm_active());\n```",
        |h: &mut HostHandle| swarm::active(&h.ctx, "swarm_active"),
    );
    register(
        engine,
        "swarm_init",
        &["h: Host", "Map"],
        "Start a swarm with this host as manager, like `swarm::init()`.\n\
         ```rhai\nlet s = a.swarm_init();\n```",
        |h: &mut HostHandle| swarm::init(&h.ctx, "swarm_init", Dynamic::UNIT),
    );
    register(
        engine,
        "swarm_init",
        &["h: Host", "opts: Map", "Map"],
        "Start a swarm on this host with `swarm::init`'s options.\n\
         ```rhai\na.swarm_init(#{advertise_addr: \"198.18.0.1\"});\n```",
        |h: &mut HostHandle, opts: Dynamic| swarm::init(&h.ctx, "swarm_init", opts),
    );
    register(
        engine,
        "swarm_join",
        &["h: Host", "manager: Host|Map"],
        "Make this host join a swarm: the one another host handle manages, or `#{remote, token}`.\n\
         ```rhai\nb.swarm_join(a);\n```",
        |h: &mut HostHandle, target: Dynamic| {
            swarm::join(&h.ctx, "swarm_join", &target, Dynamic::UNIT)
        },
    );
    register(
        engine,
        "swarm_join",
        &["h: Host", "manager: Host", "opts: Map"],
        "Make this host join another host's swarm with `role`, `advertise_addr`, `listen_addr`,\n\
         `data_path_addr`.\n```rhai\nb.swarm_join(a, #{advertise_addr: \"198.18.0.2\"});\n```",
        |h: &mut HostHandle, target: Dynamic, opts: Dynamic| {
            swarm::join(&h.ctx, "swarm_join", &target, opts)
        },
    );
    register(
        engine,
        "swarm_leave",
        &["h: Host"],
        "Make this host leave its swarm (forced).\n```rhai\nb.swarm_leave();\n```",
        |h: &mut HostHandle| swarm::leave(&h.ctx, "swarm_leave"),
    );
    register(
        engine,
        "swarm_nodes",
        &["h: Host", "Array"],
        "The nodes of the swarm this host manages.\n```rhai\nassert_eq(a.swarm_nodes().len(), 2);\n```",
        |h: &mut HostHandle| swarm::nodes(&h.ctx, "swarm_nodes"),
    );
}

fn register_service_methods(engine: &mut Engine) {
    register(
        engine,
        "service_create",
        &["h: Host", "name: String", "opts: Map", "Service"],
        "Create a service through this host (a manager), like `service::create`.\n\
         ```rhai\nlet web = a.service_create(\"web\", #{image: \"busybox\", replicas: 2, cmd: \"httpd -f\"});\n```",
        |h: &mut HostHandle, name: Dynamic, opts: Dynamic| {
            service::create(&h.ctx, "service_create", name, opts)
        },
    );
    register(
        engine,
        "service_scale",
        &["h: Host", "svc: Service|String", "replicas: int"],
        "Scale a service through this host.\n```rhai\na.service_scale(web, 3);\n```",
        |h: &mut HostHandle, svc: Dynamic, replicas: Dynamic| {
            service::scale(&h.ctx, "service_scale", &svc, &replicas)
        },
    );
    register(
        engine,
        "service_ps",
        &["h: Host", "svc: Service|String", "Array"],
        "A service's tasks, as this host sees them.\n```rhai\nprint(table(a.service_ps(web)));\n```",
        |h: &mut HostHandle, svc: Dynamic| service::ps(&h.ctx, "service_ps", &svc),
    );
    register(
        engine,
        "service_rm",
        &["h: Host", "svc: Service|String"],
        "Remove a service through this host.\n```rhai\na.service_rm(web);\n```",
        |h: &mut HostHandle, svc: Dynamic| service::rm(&h.ctx, "service_rm", &svc),
    );
    register(
        engine,
        "service_ls",
        &["h: Host", "Array"],
        "The services of the swarm this host manages.\n```rhai\nprint(table(a.service_ls()));\n```",
        |h: &mut HostHandle| service::ls(&h.ctx, "service_ls"),
    );
    register(
        engine,
        "service_inspect",
        &["h: Host", "svc: Service|String", "Map"],
        "The inspect answer for a service, from this host.\n\
         ```rhai\nprint(a.service_inspect(web).Spec.Name);\n```",
        |h: &mut HostHandle, svc: Dynamic| service::inspect(&h.ctx, "service_inspect", &svc),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

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
