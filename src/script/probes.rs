//! Checks at every layer, made by netrig from inside the container's
//! network namespace (no tools needed in the image): `resolve`, `tcp`,
//! `assert_port_open`, `assert_port_closed`, `udp`, `http`, `listen`,
//! `unlisten`, `throughput`, `latency`. Where netrig cannot enter a
//! namespace, `resolve`, `tcp` and `http` fall back to the image's `nslookup`,
//! `nc` and `wget` (`via: "exec"`); the others say why they cannot run.

use rhai::{Dynamic, Map};

use super::api::{Api, Call};
use super::error::{ScriptResult, kind};
use super::probe_maps::{
    http_map, http_options, latency_map, latency_options, listen_mode, port, port_assert_options,
    resolution_map, resolve_options, tcp_map, tcp_options, throughput_map, throughput_options,
    udp_map, udp_options,
};
use super::probe_side::{Side, exec_timed, netns_only, no_fallback, side, via, wait_probe};
use crate::probe::{self, Netns, TcpReport, TcpState, fallback};

/// Defines the check functions.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "resolve",
        &["from: Container|String", "name: Container|String", "[opts: Map]", "Map"],
        "Resolve `name` through `from`'s own resolver (its /etc/hosts, then its nameservers:\n\
         Docker's DNS on user networks); returns `#{ok, addresses, ms, error, source, via}`.\n\
         `error` is `no_such_name` (the server said so) or `no_answer` (no server answered).\n\
         Options: `timeout` (seconds), `family` (4 or 6).\n\
         ```rhai\nlet r = resolve(client, \"db\");\nassert(r.ok, \"db resolves\");\nprint(r.addresses);\n```",
        resolve,
    );
    api.function(
        "tcp",
        &[
            "from: Container|String",
            "target: Container|String",
            "port: int",
            "[opts: Map]",
            "Map",
        ],
        "Connect to `port` of `target` from inside `from`; returns `#{ok, state, ms, address,\n\
         detail, via}` with `state` one of `open`, `refused` (nothing listens), `filtered` (no\n\
         answer before `timeout`, 2 s by default), `unreachable`, `no_such_name`.\n\
         ```rhai\nlet r = tcp(web, \"db\", 5432);\nassert_eq(r.state, \"open\");\n```",
        tcp,
    );
    api.function(
        "assert_port_open",
        &[
            "from: Container|String",
            "target: Container|String",
            "port: int",
            "[opts: Map]",
        ],
        "Fail the scenario unless `from` can connect to `port` of `target`.\n\
         ```rhai\nassert_port_open(web, \"api\", 8080);\n```",
        |cx: &Call, from: Dynamic, target: Dynamic, port: i64, opts: Dynamic| {
            assert_port(cx, &from, &target, port, opts, true)
        },
    );
    api.function(
        "assert_port_closed",
        &["from: Container|String", "target: Container|String", "port: int", "[opts: Map]"],
        "Fail the scenario if `from` can connect to `port` of `target`; with `#{state: \"filtered\"}`\n\
         (or `refused`, `unreachable`) it must be closed in exactly that way.\n\
         ```rhai\nassert_port_closed(web, \"db\", 5432);\nassert_port_closed(web, \"db\", 5432, #{state: \"filtered\"});\n```",
        |cx: &Call, from: Dynamic, target: Dynamic, port: i64, opts: Dynamic| {
            assert_port(cx, &from, &target, port, opts, false)
        },
    );
    api.function(
        "udp",
        &["from: Container|String", "target: Container|String", "port: int", "payload: String", "[opts: Map]", "Map"],
        "Send `payload` to UDP `port` of `target` from inside `from` and wait for one datagram back;\n\
         returns `#{ok, state, reply, ms, detail, via}` with `state` `reply`, `refused` (port\n\
         unreachable), `timeout`, `unreachable` or `no_such_name`.\n\
         ```rhai\nlisten(dns, 53, #{proto: \"udp\"});\nlet r = udp(client, \"dns\", 53, \"hello\");\nassert_eq(r.reply, \"hello\");\n```",
        udp,
    );
    api.function(
        "http",
        &["url: String", "[opts: Map]", "Map"],
        "Send one HTTP request from this machine (where netrig runs), as a browser on it would:\n\
         for published ports. Returns `#{ok, status, headers, body, ms, error, via}`.\n\
         ```rhai\nlet r = http(\"http://127.0.0.1:8888/\");\nassert_eq(r.status, 200);\n```",
        |cx: &Call, url: String, opts: Dynamic| {
            let options = http_options(opts).map_err(|e| cx.invalid(e))?;
            let r = wait_probe(cx, probe::http(&Netns::host(), &url, &options))?;
            Ok(http_map(&r, via::HOST))
        },
    )
    .global_only();
    api.function(
        "http",
        &[
            "from: Container|String",
            "url: String",
            "[opts: Map]",
            "Map",
        ],
        "Send one HTTP request from inside `from`; returns `#{ok, status, headers, body, ms,\n\
         error, via}` (`ok`: a status below 400). No response is not a failure: `error` says\n\
         `timeout` (connected, but no answer: a paused or hung server), `refused`,\n\
         `unreachable` or `no_such_name`. Options: `method`, `headers`, `body`, `timeout`\n\
         (5 s), `family`.\n\
         ```rhai\nlet r = http(client, \"http://web/\");\nassert_eq(r.status, 200);\n```",
        http,
    );
    api.function(
        "listen",
        &["ctr: Container|String", "port: int", "[opts: Map]", "Map"],
        "netrig itself answers on `port` inside `ctr`'s namespace until the run ends (or\n\
         `unlisten`): TCP echo, `#{proto: \"http\"}` answering 200 with the container's name\n\
         (or `name`), or `#{proto: \"udp\"}` echo. Any container can be a target, even one\n\
         whose image has no server. Returns `#{container, port, proto}`.\n\
         ```rhai\nlisten(db, 5432);\nlisten(web, 80, #{proto: \"http\"});\n```",
        listen,
    );
    api.function(
        "unlisten",
        &["ctr: Container|String", "port: int", "bool"],
        "Stop netrig's listener on `port` of `ctr`; false when there was none.\n\
         ```rhai\nunlisten(db, 5432);\n```",
        |cx: &Call, ctr: Dynamic, p: i64| {
            let p = port("port", p).map_err(|e| cx.invalid(e))?;
            let name = cx.container("ctr", &ctr)?;
            Ok(cx.probes.unlisten(&name, p))
        },
    );
    api.function(
        "throughput",
        &["from: Container|String", "target: Container|String", "[opts: Map]", "Map"],
        "Measure the rate from `from` to the container `target`: netrig sends for `secs` (2)\n\
         and its own receiver in `target` counts; returns `#{mbit_per_s, bytes, secs, via}`.\n\
         Options: `secs`, `port` (any free one by default), `timeout`, `family`.\n\
         ```rhai\nimpair(a, #{rate: \"8mbit\"});\nlet r = throughput(a, b);\nassert(r.mbit_per_s < 10.0);\n```",
        throughput,
    );
    api.function(
        "latency",
        &[
            "from: Container|String",
            "target: Container|String",
            "[opts: Map]",
            "Map",
        ],
        "Round trips from `from` to `target` in ms: `#{min, p50, p90, p99, max, avg, loss_pct,\n\
         samples, method}` over `count` (20) ICMP echoes, or TCP handshakes when `port` is given.\n\
         Options: `count`, `port`, `interval`, `timeout`, `family`.\n\
         ```rhai\nlet l = latency(client, \"web\", #{count: 50});\nprint(`p99 ${l.p99} ms`);\n```",
        latency,
    );
}

fn resolve(cx: &Call, from: Dynamic, name: Dynamic, opts: Dynamic) -> ScriptResult<Map> {
    let name = cx.target("name", &name)?;
    let options = resolve_options(opts).map_err(|e| cx.invalid(e))?;
    match side(cx, "from", &from)?.0 {
        Side::Netns(ns) => {
            let r = wait_probe(cx, probe::resolve(&ns, &name, &options))?;
            Ok(resolution_map(&name, &r, via::NETNS))
        }
        Side::Exec { container, why } => {
            let found = exec_timed(cx, &container, &fallback::resolve_command(&name))?
                .and_then(|(out, ms)| {
                    fallback::read_resolve(
                        out.exit_code,
                        &format!("{}{}", out.stdout, out.stderr),
                        ms,
                    )
                })
                .ok_or_else(|| no_fallback(cx, &container, &why, "nslookup"))?;
            Ok(resolution_map(&name, &found, via::EXEC))
        }
    }
}

/// One TCP check, in the namespace or by exec; with the `via` it took.
pub(crate) fn tcp_check(
    cx: &Call,
    from: &Dynamic,
    target: &str,
    port: u16,
    options: &probe::TcpOptions,
) -> ScriptResult<(TcpReport, &'static str)> {
    match side(cx, "from", from)?.0 {
        Side::Netns(ns) => Ok((
            wait_probe(cx, probe::tcp(&ns, target, port, options))?,
            via::NETNS,
        )),
        Side::Exec { container, why } => {
            let cmd = fallback::tcp_command(target, port, options.timeout);
            let r = exec_timed(cx, &container, &cmd)?
                .and_then(|(out, ms)| {
                    fallback::read_tcp(out.exit_code, &format!("{}{}", out.stdout, out.stderr), ms)
                })
                .ok_or_else(|| no_fallback(cx, &container, &why, "nc"))?;
            Ok((r, via::EXEC))
        }
    }
}

fn tcp(cx: &Call, from: Dynamic, target: Dynamic, p: i64, opts: Dynamic) -> ScriptResult<Map> {
    let target = cx.target("target", &target)?;
    let p = port("port", p).map_err(|e| cx.invalid(e))?;
    let options = tcp_options(opts).map_err(|e| cx.invalid(e))?;
    let (r, via) = tcp_check(cx, &from, &target, p, &options)?;
    Ok(tcp_map(&r, via))
}

fn assert_port(
    cx: &Call,
    from: &Dynamic,
    target: &Dynamic,
    p: i64,
    opts: Dynamic,
    open: bool,
) -> ScriptResult<()> {
    let shown = cx.target("target", target)?;
    let p = port("port", p).map_err(|e| cx.invalid(e))?;
    let (options, state) = port_assert_options(opts).map_err(|e| cx.invalid(e))?;
    if open && state.is_some() {
        return Err(cx.invalid(
            "option \"state\" belongs to assert_port_closed; an open port has one state",
        ));
    }
    let (r, _) = tcp_check(cx, from, &shown, p, &options)?;
    let who = cx.script_name(&cx.container("from", from)?);
    let why = r
        .detail
        .clone()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    let failed = |text: String| Err(cx.fail(kind::ASSERTION, text));
    match (open, r.state, state) {
        (true, TcpState::Open, _) => Ok(()),
        (true, s, _) => failed(format!(
            "{who} cannot connect to {shown} port {p} ({}){why}",
            s.as_str()
        )),
        (false, TcpState::Open, _) => failed(format!(
            "{who} can connect to {shown} port {p}, but it should be closed"
        )),
        (false, TcpState::NoSuchName, want) if want != Some(TcpState::NoSuchName) => failed(
            format!("{who} cannot check {shown} port {p}: the name does not resolve{why}"),
        ),
        (false, s, Some(want)) if s != want => failed(format!(
            "{shown} port {p} from {who} is {}, not {}{why}",
            s.as_str(),
            want.as_str()
        )),
        (false, _, _) => Ok(()),
    }
}

fn udp(
    cx: &Call,
    from: Dynamic,
    target: Dynamic,
    p: i64,
    payload: String,
    opts: Dynamic,
) -> ScriptResult<Map> {
    let target = cx.target("target", &target)?;
    let p = port("port", p).map_err(|e| cx.invalid(e))?;
    let options = udp_options(opts).map_err(|e| cx.invalid(e))?;
    let (ns, _) = netns_only(cx, "from", &from)?;
    let r = wait_probe(
        cx,
        probe::udp(&ns, &target, p, payload.as_bytes(), &options),
    )?;
    Ok(udp_map(&r))
}

fn http(cx: &Call, from: Dynamic, url: String, opts: Dynamic) -> ScriptResult<Map> {
    let options = http_options(opts).map_err(|e| cx.invalid(e))?;
    // A bad URL is the caller's mistake, whichever way the check would go.
    probe::http::parse_url(&url).map_err(|e| cx.invalid(e))?;
    match side(cx, "from", &from)?.0 {
        Side::Netns(ns) => Ok(http_map(
            &wait_probe(cx, probe::http(&ns, &url, &options))?,
            via::NETNS,
        )),
        Side::Exec { container, why } => {
            let cmd = fallback::http_command(&url, options.timeout);
            let r = exec_timed(cx, &container, &cmd)?
                .and_then(|(out, ms)| {
                    fallback::read_http(out.exit_code, &out.stdout, &out.stderr, ms)
                })
                .ok_or_else(|| no_fallback(cx, &container, &why, "wget"))?;
            Ok(http_map(&r, via::EXEC))
        }
    }
}

fn listen(cx: &Call, ctr: Dynamic, p: i64, opts: Dynamic) -> ScriptResult<Map> {
    let p = port("port", p).map_err(|e| cx.invalid(e))?;
    let shown = cx.target("ctr", &ctr)?;
    let mode = listen_mode(opts, &shown).map_err(|e| cx.invalid(e))?;
    let (ns, name) = netns_only(cx, "ctr", &ctr)?;
    let proto = mode.as_str();
    let listener = wait_probe(cx, probe::listen(&ns, p, mode))?;
    cx.probes.keep(&name, listener);
    let mut m = Map::new();
    m.insert("container".into(), shown.into());
    m.insert("port".into(), i64::from(p).into());
    m.insert("proto".into(), proto.into());
    Ok(m)
}

fn throughput(cx: &Call, from: Dynamic, target: Dynamic, opts: Dynamic) -> ScriptResult<Map> {
    let options = throughput_options(opts).map_err(|e| cx.invalid(e))?;
    let dial = cx.target("target", &target)?;
    let (sender, _) = netns_only(cx, "from", &from)?;
    let (receiver, _) = netns_only(cx, "target", &target)?;
    let r = wait_probe(cx, probe::throughput(&sender, &receiver, &dial, &options))?;
    Ok(throughput_map(&r))
}

fn latency(cx: &Call, from: Dynamic, target: Dynamic, opts: Dynamic) -> ScriptResult<Map> {
    let options = latency_options(opts).map_err(|e| cx.invalid(e))?;
    let target = cx.target("target", &target)?;
    let (ns, _) = netns_only(cx, "from", &from)?;
    let r = wait_probe(cx, probe::latency(&ns, &target, &options))?;
    Ok(latency_map(&r))
}
