//! Container functions (`run`, `ps`, `inspect`, `exec`, `sh`, `logs`, `stop`,
//! `start`, `rm`) and the container handle's methods (`ip`, `ip6`, `port`, `ports`).

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
        &["ctr: Container|String", "cmd: String|Array", "[opts: Map]", "Map"],
        "Run a command in a container, without a shell; returns `#{exit_code, stdout, stderr}`.\n\
         A string is split into words as a shell would split it, but pipes, redirections, `;`,\n\
         `&&` and `$VAR` are refused: use `sh` for those, or an array to pass them as words.\n\
         Option `timeout` (seconds) stops the command and fails with kind `timeout` when it runs\n\
         longer; Ctrl-C stops it too (its processes carry `NETRIG_EXEC_ID` in their environment\n\
         to be found).\n\
         ```rhai\nlet r = exec(web, \"cat /etc/hostname\");\nprint(r.stdout);\nexec(web, [\"echo\", \"a | b\"]);\nexec(web, \"sleep 30\", #{timeout: 5});   // fails after 5 s\n```",
        exec,
    );
    api.function(
        "sh",
        &["ctr: Container|String", "script: String", "Map"],
        "Run `script` with the container's shell (`sh -c`): pipes, redirections, `$VAR`, `;`.\n\
         Returns `#{exit_code, stdout, stderr}` like `exec`.\n\
         ```rhai\nlet r = sh(web, \"ps | grep httpd\");\nprint(web.sh(\"ls /www | wc -l\").stdout);\n```",
        sh,
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
        "The container's IPv4 address on its only network, or on the network `net` (`ip6` for IPv6).\n\
         ```rhai\nlet addr = web.ip();\nlet back = api.ip(\"back\");\n```",
        ip,
    );
    api.function(
        "ip6",
        &["ctr: Container", "[net: Network|String]", "String"],
        "The container's IPv6 address on its only network, or on the network `net` (one with\n\
         an IPv6 subnet: `#{subnet: [\"10.1.0.0/24\", \"fd00:1::/64\"]}`).\n\
         ```rhai\nlet addr6 = web.ip6();\nlet back6 = api.ip6(\"back\");\n```",
        ip6,
    );
    api.function(
        "port",
        &["ctr: Container", "container_port: int|String", "int"],
        "The host port a container port is published on (`docker port`); `\"53/udp\"` for UDP.\n\
         With several bindings (two host addresses, IPv4 and IPv6) it returns the first that\n\
         `ports()` lists, IPv4 before IPv6; `ports()` gives them all.\n\
         ```rhai\nlet host_port = web.port(80);\n```",
        published_port,
    );
    api.function(
        "ports",
        &["ctr: Container", "Array"],
        "Every published port binding, like `docker port`: maps `#{container_port, host_ip,\n\
         host_port}` (`\"80/tcp\"`, `\"0.0.0.0\"`, `32768`), by container port, IPv4 first.\n\
         ```rhai\nfor p in web.ports() { print(`${p.host_ip}:${p.host_port} -> ${p.container_port}`); }\n```",
        ports,
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
        let name = cx.container_name("option \"name\"", &v.into())?;
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

fn exec(cx: &Call, ctr: Dynamic, cmd: Dynamic, opts: Dynamic) -> ScriptResult<Map> {
    let words = exec_words(&cmd).map_err(|e| cx.invalid(e))?;
    let name = cx.container("the container", &ctr)?;
    let mut o = Options::new(opts, EXEC_OPTIONS).map_err(|e| cx.invalid(e))?;
    let timeout = o.secs("timeout").map_err(|e| cx.invalid(e))?;
    let Some(secs) = timeout else {
        return Ok(exec_map(&cx.wait(cx.client().exec(&name, &words))?));
    };
    let client = cx.client();
    let ran = cx.wait(async {
        let limit = std::time::Duration::from_secs_f64(secs);
        match tokio::time::timeout(limit, client.exec(&name, &words)).await {
            Ok(out) => out.map(Ok),
            // The exec was dropped: wait for its processes to be stopped.
            Err(_) => Ok(Err(client.stops_settled(super::context::STOP_GRACE).await)),
        }
    })?;
    match ran {
        Ok(out) => Ok(exec_map(&out)),
        Err(unstopped) => {
            let mut message = format!(
                "`{}` in container {} did not finish within {secs} s (option \"timeout\") and was stopped",
                words.join(" "),
                cx.script_name(&name)
            );
            for line in unstopped {
                message = format!("{message}; {}", cx.session.names().script_text(&line));
            }
            Err(cx.fail(super::error::kind::TIMEOUT, message))
        }
    }
}

/// The words of `exec`'s command: an array as given, a string split like a
/// shell splits it, refused when it holds syntax only a shell would act on.
pub(crate) fn exec_words(cmd: &Dynamic) -> Result<Vec<String>, String> {
    if let Some(text) = cmd.read_lock::<rhai::ImmutableString>()
        && let Some(found) = super::shell::shell_syntax(&text)
    {
        return Err(super::shell::refusal(&text, &found));
    }
    convert::command_words("the command", cmd)
}

fn sh(cx: &Call, ctr: Dynamic, script: Dynamic) -> ScriptResult<Map> {
    let script = cx.string("the script", &script)?;
    let ctr = cx.container("the container", &ctr)?;
    let words = ["sh".to_string(), "-c".to_string(), script];
    let out = cx.wait(cx.client().exec(&ctr, &words))?;
    Ok(exec_map(&out))
}

/// Options of `exec`.
const EXEC_OPTIONS: &[&str] = &["timeout"];

/// An exec result as a script map.
pub(crate) fn exec_map(out: &ExecOutput) -> Map {
    let mut m = Map::new();
    m.insert("exit_code".into(), out.exit_code.into());
    m.insert("stdout".into(), out.stdout.clone().into());
    m.insert("stderr".into(), out.stderr.clone().into());
    m
}

fn stop(cx: &Call, ctr: Dynamic, secs: Option<i64>) -> ScriptResult<()> {
    let ctr = cx.container_name("the container", &ctr)?;
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
    // A stopped container has no address and publishes nothing: say it stopped.
    cx.container("the container", &Dynamic::from(h.clone()))?;
    // The handle is the first argument: the call runs on its daemon.
    let inspect = cx.wait(cx.client().inspect_container(&h.id))?;
    Ok(ContainerAddresses::from_inspect(&inspect))
}

fn ip(cx: &Call, h: ContainerHandle, net: Dynamic) -> ScriptResult<String> {
    address(cx, &h, &net, false)
}

fn ip6(cx: &Call, h: ContainerHandle, net: Dynamic) -> ScriptResult<String> {
    address(cx, &h, &net, true)
}

/// The container's IPv4 (or IPv6) address on its only network, or on `net`.
fn address(cx: &Call, h: &ContainerHandle, net: &Dynamic, v6: bool) -> ScriptResult<String> {
    let addrs = addresses(cx, h)?;
    let (family, method) = if v6 { ("IPv6", "ip6") } else { ("IPv4", "ip") };
    let found = if v6 {
        &addrs.networks6
    } else {
        &addrs.networks
    };
    let listed = || {
        found
            .iter()
            .map(|(n, ip)| match ip.as_str() {
                "" => format!("{} (no {family} address)", cx.script_name(n)),
                ip => format!("{} ({ip})", cx.script_name(n)),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let no_address = |net: &str| {
        cx.fail(
            "not_found",
            format!(
                "container {} has no {family} address on network {:?}{}",
                h.name,
                cx.script_name(net),
                if v6 {
                    "; give the network an IPv6 subnet: #{subnet: [\"10.1.0.0/24\", \"fd00:1::/64\"]}"
                } else {
                    ""
                }
            ),
        )
    };
    if !net.is_unit() {
        let net = cx.network("the network", net)?;
        return match found.iter().find(|(n, _)| *n == net) {
            Some((_, ip)) if !ip.is_empty() => Ok(ip.clone()),
            Some(_) => Err(no_address(&net)),
            None => Err(cx.fail(
                "not_found",
                format!(
                    "container {} is not on network {:?}; it is on: {}",
                    h.name,
                    cx.script_name(&net),
                    listed()
                ),
            )),
        };
    }
    match found.as_slice() {
        [(_, ip)] if !ip.is_empty() => Ok(ip.clone()),
        [(net, _)] => Err(no_address(net)),
        [] => Err(cx.fail(
            "not_found",
            format!("container {} is on no network", h.name),
        )),
        _ => Err(cx.invalid(format!(
            "container {} is on several networks ({}); say which: .{method}(\"name\")",
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
    let ctr = cx.container_name("the container", &x)?;
    let json = cx.wait(cx.client().inspect_container_json(&ctr))?;
    json_to_dynamic(cx.name(), cx.session.names().script_json(json))
}

fn logs(cx: &Call, ctr: Dynamic) -> ScriptResult<String> {
    let ctr = cx.container_name("the container", &ctr)?;
    cx.wait(cx.client().logs(&ctr))
}

fn start(cx: &Call, ctr: Dynamic) -> ScriptResult<()> {
    let ctr = cx.container_name("the container", &ctr)?;
    cx.wait(cx.client().start_container(&ctr))
}

/// `rm(x)`: removes a container (or a network handle's network), and
/// forgets it so `--keep` does not report it as kept.
fn rm(cx: &Call, x: Dynamic) -> ScriptResult<()> {
    if x.is::<NetworkHandle>() {
        return super::network::rm(cx, x);
    }
    let ctr = cx.container_name("the container", &x)?;
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

fn ports(cx: &Call, h: ContainerHandle) -> ScriptResult<Array> {
    let addrs = addresses(cx, &h)?;
    Ok(addrs
        .published
        .into_iter()
        .map(|(key, ip, port)| {
            let mut m = Map::new();
            m.insert("container_port".into(), key.into());
            m.insert("host_ip".into(), ip.into());
            m.insert("host_port".into(), i64::from(port).into());
            Dynamic::from_map(m)
        })
        .collect())
}
