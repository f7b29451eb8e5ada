//! Container functions (`run`, `ps`, `inspect`, `exec`, `logs`, `stop`,
//! `start`, `rm`) and the container handle's methods (`ip`, `port`).

use std::collections::HashMap;

use rhai::{Array, Dynamic, Map};

use super::api::{Api, Call};
use super::convert::{self, Options, PS_OPTIONS};
use super::error::ScriptResult;
use super::handles::{ContainerHandle, NetworkHandle};
use super::json_to_dynamic;
use crate::docker::ResourceKind;
use crate::docker::{ContainerAddresses, ContainerSummary, ExecOutput};

/// Defines the container functions.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "run",
        &["image: String", "[opts: Map]", "Container"],
        "Run a container detached (`docker run -d`) and return its handle once it runs.\n\
         Options mirror `docker run`'s flags: `name`, `network` (one or an array; an item may be\n\
         `#{name, ip, ip6, aliases}` for a fixed address and aliases on that network), `ports`\n\
         (`-p` strings), `cmd`, `entrypoint`, `env`, `aliases`, `hostname`, `labels`,\n\
         `cap_add`, `workdir`, `user`, `privileged`, `init`.\n\
         ```rhai\nlet web = run(\"busybox\", #{name: \"web\", network: \"my_net\", ports: [\"8080:80\"],\n                         cmd: \"httpd -f -p 80\"});\n```",
        run,
    );
    api.function(
        "ps",
        &["[opts: Map]", "Array"],
        "Running containers, like `docker ps`: maps with `name`, `id`, `image`, `state`,\n\
         `status`, `networks`, `ports`. Filters: `all` (stopped too), `label` (`\"key=value\"`),\n\
         `name`, `network`.\n\
         ```rhai\nfor c in ps() { print(c.name); }\nlet mine = ps(#{all: true, network: \"my_net\"});\n```",
        ps,
    );
    api.function(
        "inspect",
        &["x: Container|Network|String", "Map"],
        "The daemon's inspect answer for a container (or a network handle), keys as Docker spells them.\n\
         ```rhai\nlet info = inspect(web);\nprint(info.State.Status);\n```",
        inspect,
    );
    api.function(
        "exec",
        &["ctr: Container|String", "cmd: String|Array", "Map"],
        "Run a command in a container; returns `#{exit_code, stdout, stderr}`. A string is\n\
         split like a shell does; use `[\"sh\", \"-c\", \"…\"]` for pipes.\n\
         ```rhai\nlet r = exec(web, \"cat /etc/hostname\");\nprint(r.stdout);\n```",
        exec,
    );
    api.function(
        "logs",
        &["ctr: Container|String", "String"],
        "Everything a container wrote to stdout and stderr.\n```rhai\nprint(logs(web));\n```",
        logs,
    );
    api.function(
        "stop",
        &["ctr: Container|String", "[timeout_secs: int]"],
        "Stop a container: SIGTERM, then SIGKILL after `timeout_secs` (10 s like `docker stop`).\n\
         ```rhai\nstop(web);\nstop(db, 1);\n```",
        stop,
    );
    api.function(
        "start",
        &["ctr: Container|String"],
        "Start a stopped container again.\n```rhai\nstart(web);\n```",
        start,
    );
    api.function(
        "rm",
        &["x: Container|Network|String"],
        "Remove a container, running or not (`docker rm -f`); a network handle removes the network.\n\
         ```rhai\nrm(web);\n```",
        rm,
    );
    api.function(
        "ip",
        &["ctr: Container", "[net: Network|String]", "String"],
        "The container's address on its only network, or on the network `net`.\n\
         ```rhai\nlet addr = web.ip();\nlet back = api.ip(\"back\");\n```",
        ip,
    );
    api.function(
        "port",
        &["ctr: Container", "container_port: int|String", "int"],
        "The host port a container port is published on (`docker port`); `\"53/udp\"` for UDP.\n\
         ```rhai\nlet host_port = web.port(80);\n```",
        published_port,
    );
}

fn run(cx: &Call, image: Dynamic, opts: Dynamic) -> ScriptResult<ContainerHandle> {
    let image = cx.string("the image", &image)?;
    let spec = convert::run_spec(&image, opts).map_err(|e| cx.invalid(e))?;
    let observer = crate::progress::pull_observer(cx.show_progress);
    let ctr = cx.wait(cx.session.run(&spec, &*observer))?;
    Ok(cx.container_handle(ctr.id, &ctr.name))
}

/// One `ps` row as a script map; `shown` gives the name a script knows a
/// container or network by.
pub(crate) fn summary_map(c: &ContainerSummary, shown: impl Fn(&str) -> String) -> Map {
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

fn ps(cx: &Call, opts: Dynamic) -> ScriptResult<Array> {
    let invalid = |e: String| cx.invalid(e);
    let mut o = Options::new(opts, PS_OPTIONS).map_err(invalid)?;
    let all = o.bool("all").map_err(invalid)?;
    let mut filters: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(v) = o.string("label").map_err(invalid)? {
        filters.insert("label".into(), vec![v]);
    }
    if let Some(v) = o.string("name").map_err(invalid)? {
        let name = cx.container("option \"name\"", &v.into())?;
        filters.insert("name".into(), vec![name]);
    }
    if let Some(net) = o.networks("network").map_err(invalid)?.first() {
        let net = cx.network("option \"network\"", &net.clone().into())?;
        filters.insert("network".into(), vec![net]);
    }
    let rows = cx.wait(cx.client().list_containers(all, filters))?;
    Ok(rows
        .iter()
        .map(|c| Dynamic::from_map(summary_map(c, |n| cx.script_name(n))))
        .collect())
}

fn exec(cx: &Call, ctr: Dynamic, cmd: Dynamic) -> ScriptResult<Map> {
    let ctr = cx.container("the container", &ctr)?;
    let words = convert::command_words("the command", &cmd).map_err(|e| cx.invalid(e))?;
    let out = cx.wait(cx.client().exec(&ctr, &words))?;
    Ok(exec_map(&out))
}

/// An exec result as a script map.
pub(crate) fn exec_map(out: &ExecOutput) -> Map {
    let mut m = Map::new();
    m.insert("exit_code".into(), out.exit_code.into());
    m.insert("stdout".into(), out.stdout.clone().into());
    m.insert("stderr".into(), out.stderr.clone().into());
    m
}

fn stop(cx: &Call, ctr: Dynamic, secs: Option<i64>) -> ScriptResult<()> {
    let ctr = cx.container("the container", &ctr)?;
    let secs = match secs {
        Some(s) if !(0..=3600).contains(&s) => {
            return Err(cx.invalid(format!("timeout_secs must be between 0 and 3600, got {s}")));
        }
        Some(s) => Some(s as i32),
        None => None,
    };
    cx.wait(cx.client().stop_container(&ctr, secs))
}

fn addresses(cx: &Call, h: &ContainerHandle) -> ScriptResult<ContainerAddresses> {
    // The handle is the first argument: the call runs on its daemon.
    let inspect = cx.wait(cx.client().inspect_container(&h.id))?;
    Ok(ContainerAddresses::from_inspect(&inspect))
}

fn ip(cx: &Call, h: ContainerHandle, net: Dynamic) -> ScriptResult<String> {
    let addrs = addresses(cx, &h)?;
    let listed = || {
        addrs
            .networks
            .iter()
            .map(|(n, ip)| format!("{} ({ip})", cx.script_name(n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !net.is_unit() {
        let net = cx.network("the network", &net)?;
        return addrs
            .networks
            .iter()
            .find(|(n, _)| *n == net)
            .map(|(_, ip)| ip.clone())
            .ok_or_else(|| {
                cx.fail(
                    "not_found",
                    format!(
                        "container {} is not on network {:?}; it is on: {}",
                        h.name,
                        cx.script_name(&net),
                        listed()
                    ),
                )
            });
    }
    match addrs.networks.as_slice() {
        [(_, ip)] => Ok(ip.clone()),
        [] => Err(cx.fail(
            "not_found",
            format!("container {} is on no network", h.name),
        )),
        _ => Err(cx.invalid(format!(
            "container {} is on several networks ({}); say which: .ip(\"name\")",
            h.name,
            listed()
        ))),
    }
}

/// `inspect(x)`: a container's inspect answer, or a network handle's, with
/// the script's names.
fn inspect(cx: &Call, x: Dynamic) -> ScriptResult<Dynamic> {
    if x.is::<NetworkHandle>() {
        return super::network::inspect(cx, x);
    }
    let ctr = cx.container("the container", &x)?;
    let json = cx.wait(cx.client().inspect_container_json(&ctr))?;
    json_to_dynamic(cx.name(), cx.session.names().script_json(json))
}

fn logs(cx: &Call, ctr: Dynamic) -> ScriptResult<String> {
    let ctr = cx.container("the container", &ctr)?;
    cx.wait(cx.client().logs(&ctr))
}

fn start(cx: &Call, ctr: Dynamic) -> ScriptResult<()> {
    let ctr = cx.container("the container", &ctr)?;
    cx.wait(cx.client().start_container(&ctr))
}

/// `rm(x)`: removes a container (or a network handle's network), and
/// forgets it so `--keep` does not report it as kept.
fn rm(cx: &Call, x: Dynamic) -> ScriptResult<()> {
    if x.is::<NetworkHandle>() {
        return super::network::rm(cx, x);
    }
    let ctr = cx.container("the container", &x)?;
    cx.wait(cx.client().remove_container(&ctr))?;
    cx.session.forget_removed(ResourceKind::Container, &ctr);
    Ok(())
}

fn published_port(cx: &Call, h: ContainerHandle, port: Dynamic) -> ScriptResult<i64> {
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
        return Err(cx.invalid(format!(
            "the container port must be a number like 80 or a string like \"53/udp\", got {}",
            convert::describe(&port)
        )));
    };
    let addrs = addresses(cx, &h)?;
    addrs.host_port(&key).map(i64::from).ok_or_else(|| {
        let published: Vec<String> = addrs
            .published
            .iter()
            .map(|(k, ip, p)| format!("{ip}:{p}->{k}"))
            .collect();
        cx.fail(
            "not_found",
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
