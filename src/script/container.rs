//! Container functions (`run`, `ps`, `inspect`, `exec`, `logs`, `stop`,
//! `start`, `rm`) and the container handle's properties and methods.

use std::collections::HashMap;
use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, Map};

use super::context::ScriptContext;
use super::convert::{self, Options, PS_OPTIONS};
use super::error::{ScriptResult, invalid};
use super::handles::{ContainerHandle, NetworkHandle};
use super::{json_to_dynamic, register, string_arg};
use crate::docker::ResourceKind;
use crate::docker::{ContainerAddresses, ContainerSummary, ExecOutput};

/// Registers the container functions and the container handle type.
pub fn register_all(engine: &mut Engine, ctx: &Arc<ScriptContext>) {
    engine
        .register_type_with_name::<ContainerHandle>("Container")
        .register_get("name", |h: &mut ContainerHandle| h.name.clone())
        .register_get("id", |h: &mut ContainerHandle| h.id.clone())
        .register_fn("to_string", |h: &mut ContainerHandle| h.to_string())
        .register_fn("to_debug", |h: &mut ContainerHandle| h.to_string());

    let c = ctx.clone();
    register(
        engine,
        "run",
        &["image: String", "Container"],
        "Run a container detached (`docker run -d`) and return its handle once it runs.\n\
         ```rhai\nlet box = run(\"busybox\", #{cmd: \"sleep 3600\"});\n```",
        move |image: Dynamic| run(&c, image, Dynamic::UNIT),
    );
    let c = ctx.clone();
    register(
        engine,
        "run",
        &["image: String", "opts: Map", "Container"],
        "Run a container with `docker run` options: `name`, `network` (one or an array; an item\n\
         may be `#{name, ip, ip6, aliases}` for a fixed address and aliases on that network),\n\
         `ports` (`-p` strings), `cmd`, `entrypoint`, `env`, `aliases`, `hostname`, `labels`,\n\
         `cap_add`, `workdir`, `user`, `privileged`, `init`.\n\
         ```rhai\nlet web = run(\"busybox\", #{name: \"web\", network: \"my_net\", ports: [\"8080:80\"],\n                         cmd: \"httpd -f -p 80\"});\n```",
        move |image: Dynamic, opts: Dynamic| run(&c, image, opts),
    );

    let c = ctx.clone();
    register(
        engine,
        "ps",
        &["Array"],
        "Running containers, like `docker ps`: maps with `name`, `id`, `image`, `state`,\n\
         `status`, `networks`, `ports`.\n```rhai\nfor c in ps() { print(c.name); }\n```",
        move || ps(&c, Dynamic::UNIT),
    );
    let c = ctx.clone();
    register(
        engine,
        "ps",
        &["opts: Map", "Array"],
        "Containers with filters: `all` (stopped too), `label` (`\"key=value\"`), `name`, `network`.\n\
         ```rhai\nlet mine = ps(#{all: true, network: \"my_net\"});\n```",
        move |opts: Dynamic| ps(&c, opts),
    );

    let c = ctx.clone();
    register(
        engine,
        "inspect",
        &["x: Container|Network|String", "Map"],
        "The daemon's inspect answer for a container (or a network handle), keys as Docker spells them.\n\
         ```rhai\nlet info = inspect(web);\nprint(info.State.Status);\n```",
        move |x: Dynamic| inspect(&c.routed(&x), &x),
    );

    let c = ctx.clone();
    register(
        engine,
        "exec",
        &["ctr: Container|String", "cmd: String|Array", "Map"],
        "Run a command in a container; returns `#{exit_code, stdout, stderr}`. A string is\n\
         split like a shell does; use `[\"sh\", \"-c\", \"…\"]` for pipes.\n\
         ```rhai\nlet r = exec(web, \"cat /etc/hostname\");\nprint(r.stdout);\n```",
        move |ctr: Dynamic, cmd: Dynamic| exec(&c.routed(&ctr), "exec", &ctr, &cmd),
    );

    let c = ctx.clone();
    register(
        engine,
        "logs",
        &["ctr: Container|String", "String"],
        "Everything a container wrote to stdout and stderr.\n```rhai\nprint(logs(web));\n```",
        move |ctr: Dynamic| logs(&c.routed(&ctr), &ctr),
    );

    let c = ctx.clone();
    register(
        engine,
        "stop",
        &["ctr: Container|String"],
        "Stop a container (SIGTERM, then SIGKILL after 10 s like `docker stop`).\n```rhai\nstop(web);\n```",
        move |ctr: Dynamic| stop(&c.routed(&ctr), &ctr, None),
    );
    let c = ctx.clone();
    register(
        engine,
        "stop",
        &["ctr: Container|String", "timeout_secs: int"],
        "Stop a container, killing it after `timeout_secs`.\n```rhai\nstop(web, 1);\n```",
        move |ctr: Dynamic, secs: i64| stop(&c.routed(&ctr), &ctr, Some(secs)),
    );

    let c = ctx.clone();
    register(
        engine,
        "start",
        &["ctr: Container|String"],
        "Start a stopped container again.\n```rhai\nstart(web);\n```",
        move |ctr: Dynamic| start(&c.routed(&ctr), &ctr),
    );

    let c = ctx.clone();
    register(
        engine,
        "rm",
        &["x: Container|Network|String"],
        "Remove a container, running or not (`docker rm -f`); a network handle removes the network.\n\
         ```rhai\nrm(web);\n```",
        move |x: Dynamic| rm(&c.routed(&x), &x),
    );

    let c = ctx.clone();
    register(
        engine,
        "ip",
        &["ctr: Container", "String"],
        "The container's address on its only network.\n```rhai\nlet addr = web.ip();\n```",
        move |h: &mut ContainerHandle| ip(&c.routed_to(h), h, None),
    );
    let c = ctx.clone();
    register(
        engine,
        "ip",
        &["ctr: Container", "net: Network|String", "String"],
        "The container's address on the network `net`.\n```rhai\nlet addr = web.ip(\"my_net\");\n```",
        move |h: &mut ContainerHandle, net: Dynamic| ip(&c.routed_to(h), h, Some(net)),
    );

    let c = ctx.clone();
    register(
        engine,
        "port",
        &["ctr: Container", "container_port: int|String", "int"],
        "The host port a container port is published on (`docker port`); `\"53/udp\"` for UDP.\n\
         ```rhai\nlet host_port = web.port(80);\n```",
        move |h: &mut ContainerHandle, port: Dynamic| published_port(&c.routed_to(h), h, &port),
    );
}

pub(crate) fn run(
    ctx: &ScriptContext,
    image: Dynamic,
    opts: Dynamic,
) -> ScriptResult<ContainerHandle> {
    let image = string_arg("run", "the image", &image)?;
    let spec = convert::run_spec(&image, opts).map_err(|e| invalid("run", e))?;
    let observer = crate::progress::pull_observer(ctx.show_progress);
    let ctr = ctx.wait("run", ctx.session.run(&spec, &*observer))?;
    Ok(ContainerHandle {
        name: ctx.script_name(&ctr.name),
        id: ctr.id,
    })
}

/// One `ps` row as a script map; `shown` gives the name a script knows a
/// container or network by.
pub fn summary_map(c: &ContainerSummary, shown: impl Fn(&str) -> String) -> Map {
    let strings = |v: &[String]| -> Array { v.iter().map(|s| shown(s).into()).collect() };
    let mut m = Map::new();
    m.insert("name".into(), shown(&c.name).into());
    m.insert("id".into(), crate::text::short_id(&c.id).to_string().into());
    m.insert("image".into(), c.image.clone().into());
    m.insert("state".into(), c.state.clone().into());
    m.insert("status".into(), c.status.clone().into());
    m.insert("networks".into(), strings(&c.networks).into());
    m.insert(
        "ports".into(),
        c.ports
            .iter()
            .map(|p| Dynamic::from(p.clone()))
            .collect::<Array>()
            .into(),
    );
    m
}

pub(crate) fn ps(ctx: &ScriptContext, opts: Dynamic) -> ScriptResult<Array> {
    let mut o = Options::new(opts, PS_OPTIONS).map_err(|e| invalid("ps", e))?;
    let all = o.bool("all").map_err(|e| invalid("ps", e))?;
    let mut filters: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(v) = o.string("label").map_err(|e| invalid("ps", e))? {
        filters.insert("label".into(), vec![v]);
    }
    if let Some(v) = o.string("name").map_err(|e| invalid("ps", e))? {
        let name = ctx.container("ps", "option \"name\"", &v.into())?;
        filters.insert("name".into(), vec![name]);
    }
    if let Some(net) = o.networks("network").map_err(|e| invalid("ps", e))?.first() {
        let net = ctx.network("ps", "option \"network\"", &net.clone().into())?;
        filters.insert("network".into(), vec![net]);
    }
    let rows = ctx.wait("ps", ctx.client().list_containers(all, filters))?;
    Ok(rows
        .iter()
        .map(|c| Dynamic::from_map(summary_map(c, |n| ctx.script_name(n))))
        .collect())
}

/// `exec` and `handle.exec`.
pub fn exec(
    ctx: &ScriptContext,
    function: &str,
    ctr: &Dynamic,
    cmd: &Dynamic,
) -> ScriptResult<Map> {
    let ctr = ctx.container(function, "the container", ctr)?;
    let words = convert::command_words("the command", cmd).map_err(|e| invalid(function, e))?;
    let out = ctx.wait(function, ctx.client().exec(&ctr, &words))?;
    Ok(exec_map(&out))
}

/// An exec result as a script map.
pub fn exec_map(out: &ExecOutput) -> Map {
    let mut m = Map::new();
    m.insert("exit_code".into(), out.exit_code.into());
    m.insert("stdout".into(), out.stdout.clone().into());
    m.insert("stderr".into(), out.stderr.clone().into());
    m
}

pub(crate) fn stop(ctx: &ScriptContext, ctr: &Dynamic, secs: Option<i64>) -> ScriptResult<()> {
    let ctr = ctx.container("stop", "the container", ctr)?;
    let secs = match secs {
        Some(s) if !(0..=3600).contains(&s) => {
            return Err(invalid(
                "stop",
                format!("timeout_secs must be between 0 and 3600, got {s}"),
            ));
        }
        Some(s) => Some(s as i32),
        None => None,
    };
    ctx.wait("stop", ctx.client().stop_container(&ctr, secs))
}

fn addresses(
    ctx: &ScriptContext,
    function: &str,
    h: &ContainerHandle,
) -> ScriptResult<ContainerAddresses> {
    ctx.on_this_daemon(function, "the container", h)?;
    let inspect = ctx.wait(function, ctx.client().inspect_container(&h.id))?;
    Ok(ContainerAddresses::from_inspect(&inspect))
}

pub(crate) fn ip(
    ctx: &ScriptContext,
    h: &ContainerHandle,
    net: Option<Dynamic>,
) -> ScriptResult<String> {
    let addrs = addresses(ctx, "ip", h)?;
    let listed = || {
        addrs
            .networks
            .iter()
            .map(|(n, ip)| format!("{} ({ip})", ctx.script_name(n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match net {
        Some(net) => {
            let net = ctx.network("ip", "the network", &net)?;
            addrs
                .networks
                .iter()
                .find(|(n, _)| *n == net)
                .map(|(_, ip)| ip.clone())
                .ok_or_else(|| {
                    super::error::throw(
                        "not_found",
                        "ip",
                        format!(
                            "container {} is not on network {:?}; it is on: {}",
                            h.name,
                            ctx.script_name(&net),
                            listed()
                        ),
                    )
                })
        }
        None => match addrs.networks.as_slice() {
            [(_, ip)] => Ok(ip.clone()),
            [] => Err(super::error::throw(
                "not_found",
                "ip",
                format!("container {} is on no network", h.name),
            )),
            _ => Err(invalid(
                "ip",
                format!(
                    "container {} is on several networks ({}); say which: .ip(\"name\")",
                    h.name,
                    listed()
                ),
            )),
        },
    }
}

/// `inspect(x)` and `h.inspect(x)`: a container's inspect answer, or a
/// network handle's, with the script's names.
pub(super) fn inspect(ctx: &ScriptContext, x: &Dynamic) -> ScriptResult<Dynamic> {
    if x.is::<NetworkHandle>() {
        return super::network::inspect(ctx, "inspect", x);
    }
    let ctr = ctx.container("inspect", "the container", x)?;
    let json = ctx.wait("inspect", ctx.client().inspect_container_json(&ctr))?;
    json_to_dynamic("inspect", ctx.session.names().script_json(json))
}

/// `logs(ctr)` and `h.logs(ctr)`.
pub(super) fn logs(ctx: &ScriptContext, ctr: &Dynamic) -> ScriptResult<String> {
    let ctr = ctx.container("logs", "the container", ctr)?;
    ctx.wait("logs", ctx.client().logs(&ctr))
}

/// `start(ctr)` and `h.start(ctr)`.
pub(super) fn start(ctx: &ScriptContext, ctr: &Dynamic) -> ScriptResult<()> {
    let ctr = ctx.container("start", "the container", ctr)?;
    ctx.wait("start", ctx.client().start_container(&ctr))
}

/// `rm(x)` and `h.rm(x)`: removes a container (or a network handle's
/// network), and forgets it so `--keep` does not report it as kept.
pub(super) fn rm(ctx: &ScriptContext, x: &Dynamic) -> ScriptResult<()> {
    if x.is::<NetworkHandle>() {
        return super::network::rm(ctx, "rm", x);
    }
    let ctr = ctx.container("rm", "the container", x)?;
    ctx.wait("rm", ctx.client().remove_container(&ctr))?;
    ctx.session.forget_removed(ResourceKind::Container, &ctr);
    Ok(())
}

fn published_port(ctx: &ScriptContext, h: &ContainerHandle, port: &Dynamic) -> ScriptResult<i64> {
    let key = if let Ok(n) = port.as_int() {
        format!("{n}/tcp")
    } else if port.is_string() {
        let s = port.to_string();
        if s.contains('/') {
            s
        } else {
            format!("{s}/tcp")
        }
    } else {
        return Err(invalid(
            "port",
            format!(
                "the container port must be a number like 80 or a string like \"53/udp\", got {}",
                convert::describe(port)
            ),
        ));
    };
    let addrs = addresses(ctx, "port", h)?;
    addrs.host_port(&key).map(i64::from).ok_or_else(|| {
        let published: Vec<String> = addrs
            .published
            .iter()
            .map(|(k, ip, p)| format!("{ip}:{p}->{k}"))
            .collect();
        super::error::throw(
            "not_found",
            "port",
            format!(
                "container {} does not publish {key}; published: {}",
                h.name,
                if published.is_empty() {
                    "nothing".to_string()
                } else {
                    published.join(", ")
                }
            ),
        )
    })
}
