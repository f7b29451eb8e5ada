//! Checks and control: `ping`, `reachable`, the `assert*` family, `sleep`,
//! `wait_until`, and `table` for printing results.

use std::time::{Duration, Instant};

use rhai::{Array, Dynamic, FnPtr, Map};

use super::api::{Api, Call};
use super::convert::{container_ref, describe};
use super::error::{ScriptResult, kind};
use super::probe_maps::{ping_map, ping_options, reachable_options};
use super::probe_side::{Side, side, via, wait_probe};
use serde_json::json;

use crate::docker::PingReport;
use crate::docker::explain::DockerOp;
use crate::docker::ping::ping_command;
use crate::probe::{self, PingOptions};
use crate::trace::Category;

/// Defines the check functions.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "ping",
        &[
            "from: Container|String",
            "target: Container|String",
            "[count: int|Map]",
            "[opts: Map]",
            "Map",
        ],
        "Ping `target` (a container, a name or an address) from inside `from`, 3 times or\n\
         `count` times, with netrig's own ICMP socket in `from`'s namespace (the image needs no\n\
         `ping`). Returns `#{ok, sent, received, loss_pct, rtt_ms, rtt_min, rtt_avg, rtt_max,\n\
         error, via}`; `error` says why nothing came back: `no_such_name`, `unreachable` or\n\
         `timeout`. Options: `count`, `interval`, `timeout` (seconds), `family` (4 or 6: on a dual-stack network a name\n\
         resolves to IPv6 first). The options may come in the count's place or after it.\n\
         ```rhai\nlet r = ping(client, \"web\");\nprint(r.rtt_ms);\nlet r = ping(client, web.ip(), 10);\nlet r = ping(client, \"web\", #{count: 5, family: 6});\n```",
        |cx: &Call, from: Dynamic, target: Dynamic, count: Dynamic, opts: Dynamic| {
            // `ping(a, b, 10, #{family: 4})`: the count joins the options.
            let given = match (count.as_int(), opts.read_lock::<Map>()) {
                (Ok(n), Some(map)) => {
                    let mut map = map.clone();
                    map.insert("count".into(), n.into());
                    Dynamic::from_map(map)
                }
                _ if opts.is_unit() => count,
                _ => {
                    return Err(cx.invalid(format!(
                        "ping(from, target, count, opts) takes a whole number then a map, got {} and {}",
                        describe(&count),
                        describe(&opts)
                    )));
                }
            };
            let options = if given.is_unit() {
                PingOptions::default()
            } else {
                ping_options(given).map_err(|e| cx.invalid(e))?
            };
            ping(cx, &from, &target, &options)
        },
    );
    api.function(
        "reachable",
        &["from: Container|String", "target: Container|String", "bool"],
        "Whether one ping from `from` to `target` gets an answer.\n\
         ```rhai\nif reachable(client, \"web\") { print(\"up\"); }\n```",
        |cx: &Call, from: Dynamic, target: Dynamic| {
            let once = PingOptions {
                count: 1,
                ..PingOptions::default()
            };
            Ok(answered(&ping(cx, &from, &target, &once)?))
        },
    );
    api.function(
        "assert_reachable",
        &["from: Container|String", "target: Container|String", "[opts: Map]"],
        "Fail the scenario unless `from` reaches `target` (pings by name for a container or a\n\
         name). One reply is enough unless told otherwise: `#{max_loss_pct, max_rtt_ms}` pings\n\
         `count` (10) times and fails above either threshold.\n\
         ```rhai\nassert_reachable(client, web);\nassert_reachable(client, web, #{max_loss_pct: 10, max_rtt_ms: 50});\n```",
        assert_reachable,
    );
    api.function(
        "assert_unreachable",
        &["from: Container|String", "target: Container|String"],
        "Fail the scenario if `from` reaches `target`.\n```rhai\nassert_unreachable(outsider, db);\n```",
        assert_unreachable,
    );

    api.function(
        "assert",
        &["cond: bool", "[msg: String]"],
        "Fail the scenario (with `msg`, if given) when `cond` is false.\n\
         ```rhai\nassert(ps().len() > 0);\nassert(r.ok, \"web should answer\");\n```",
        assert,
    )
    .global_only();
    api.function(
        "assert_eq",
        &["left: Dynamic", "right: Dynamic", "[msg: String]"],
        "Fail the scenario unless `left == right`, showing both (and `msg`, if given).\n\
         ```rhai\nassert_eq(r.exit_code, 0);\nassert_eq(web.name, \"web\", \"name kept\");\n```",
        assert_eq,
    )
    .global_only();

    // Typed overloads on purpose: Rhai's own `sleep(int)` / `sleep(float)`
    // block the thread and ignore Ctrl-C; these replace them.
    const SLEEP: &str = "Pause the script for `secs` seconds (a fraction too); Ctrl-C interrupts it.\n\
                         ```rhai\nsleep(2);\nsleep(0.5);\n```";
    api.function("sleep", &["secs: int"], SLEEP, |cx: &Call, secs: i64| {
        sleep(cx, Dynamic::from(secs))
    })
    .global_only();
    api.function("sleep", &["secs: float"], SLEEP, |cx: &Call, secs: f64| {
        sleep(cx, Dynamic::from(secs))
    })
    .global_only();
    // Anything but a number of seconds is an error that says so.
    api.function("sleep", &["secs: Dynamic"], SLEEP, sleep)
        .global_only();

    api.function(
        "wait_until",
        &["check: Fn", "timeout_secs: float|int"],
        "Call `check` until it returns true (every 0.2 s, retrying on errors) or fail after\n\
         `timeout_secs`; a container the check needs that has stopped fails it at once.\n```rhai\nwait_until(|| exec(web, \"ls /www\").exit_code == 0, 10);\n```",
        |cx: &Call, check: FnPtr, timeout: Dynamic| {
            wait_until(cx, &check, seconds(cx, "timeout_secs", &timeout)?)
        },
    )
    .global_only();

    api.function(
        "table",
        &["rows: Array", "String"],
        "Format an array of maps (like `ps()` or `network::ls()`) as an aligned table.\n\
         ```rhai\nprint(table(network::ls()));\n```",
        |cx: &Call, rows: Dynamic| -> ScriptResult<String> {
            let rows = rows.clone().try_cast::<Array>().ok_or_else(|| {
                cx.invalid(format!(
                    "rows must be an array of maps, got {}",
                    describe(&rows)
                ))
            })?;
            crate::table::from_rows(&rows).map_err(|e| cx.invalid(e))
        },
    )
    .global_only();
}

fn sleep(cx: &Call, secs: Dynamic) -> ScriptResult<()> {
    cx.sleep(seconds(cx, "secs", &secs)?)
}

/// `assert_reachable`: fails unless `from` reaches `target` (within the
/// thresholds, when given), saying why not.
fn assert_reachable(cx: &Call, from: Dynamic, target: Dynamic, opts: Dynamic) -> ScriptResult<()> {
    let want = reachable_options(opts).map_err(|e| cx.invalid(e))?;
    let thresholds = want.max_loss_pct.is_some() || want.max_rtt_ms.is_some();
    let mut r = ping(cx, &from, &target, &want.ping)?;
    if !thresholds && !answered(&r) && r.get("error").is_some_and(|e| e.to_string() == "timeout") {
        // One lost packet is not a verdict: try a few more before failing.
        r = ping(cx, &from, &target, &PingOptions::default())?;
    }
    let (from, target) = (who(&from), who(&target));
    let number = |key: &str| r.get(key).and_then(|v| v.as_float().ok());
    let loss = number("loss_pct").unwrap_or(100.0);
    let failed = |text: String| Err(cx.fail(kind::ASSERTION, text));
    if !answered(&r) {
        let error = r.get("error").map(ToString::to_string).unwrap_or_default();
        let detail = r
            .get("detail")
            .filter(|d| !d.is_unit())
            .map(ToString::to_string);
        return match (error.as_str(), detail) {
            ("no_such_name" | "no_answer", _) => failed(format!(
                "{from} cannot reach {target}: the name {target:?} does not resolve from {from}"
            )),
            ("unreachable", Some(d)) => failed(format!("{from} cannot reach {target}: {d}")),
            _ => failed(format!(
                "{from} cannot reach {target} ({loss}% of pings lost)"
            )),
        };
    }
    if let Some(max) = want.max_loss_pct.filter(|max| loss > *max) {
        return failed(format!(
            "{from} reaches {target}, but {loss}% of pings were lost (max_loss_pct: {max})"
        ));
    }
    let avg = number("rtt_avg").unwrap_or(0.0);
    if let Some(max) = want.max_rtt_ms.filter(|max| avg > *max) {
        return failed(format!(
            "{from} reaches {target}, but the average round trip is {avg} ms (max_rtt_ms: {max})"
        ));
    }
    Ok(())
}

/// `assert_unreachable`: fails if `from` reaches `target`.
fn assert_unreachable(cx: &Call, from: Dynamic, target: Dynamic) -> ScriptResult<()> {
    let once = PingOptions {
        count: 1,
        ..PingOptions::default()
    };
    if answered(&ping(cx, &from, &target, &once)?) {
        Err(cx.fail(
            kind::ASSERTION,
            format!("{} can reach {}, but should not", who(&from), who(&target)),
        ))
    } else {
        Ok(())
    }
}

fn who(v: &Dynamic) -> String {
    container_ref("x", v).unwrap_or_else(|_| describe(v))
}

/// Whether a ping result map says a reply came.
fn answered(r: &Map) -> bool {
    r.get("ok").and_then(|v| v.as_bool().ok()).unwrap_or(false)
}

/// Pings from inside `from`'s namespace; by exec of the image's `ping`
/// where netrig cannot enter it.
fn ping(cx: &Call, from: &Dynamic, target: &Dynamic, options: &PingOptions) -> ScriptResult<Map> {
    let target = cx.target("target", target)?;
    let family = options.family.map(|f| match f {
        probe::Family::V4 => 4,
        probe::Family::V6 => 6,
    });
    match side(cx, "from", from)? {
        (Side::Netns(ns), name) => {
            // What the tutorial would type; netrig pings from inside the
            // namespace instead, traced as one check.
            let mut cmd = ping_command(&target, options.count);
            if let Some(family) = family {
                cmd.insert(1, format!("-{family}"));
            }
            cx.client().explain(&DockerOp::Exec {
                container: &name,
                cmd: &cmd,
            });
            let span = cx.client().tracer().span(
                Category::Check,
                "ping",
                || json!({"from": name, "target": target, "count": options.count, "via": "netns"}),
            );
            let report = wait_probe(cx, probe::ping(&ns, &target, options));
            span.end(match &report {
                Ok(r) => json!({"sent": r.sent, "received": r.received()}),
                Err(e) => json!({"error": e.to_string()}),
            });
            Ok(ping_map(&report?))
        }
        (Side::Exec { container, .. }, _) => Ok(report_map(cx.wait(cx.client().ping_family(
            &container,
            &target,
            options.count,
            family,
        ))?)),
    }
}

/// A ping report of the image's own `ping` (by exec) as a script map: the
/// same fields as netrig's own, `via: "exec"`.
pub(crate) fn report_map(r: PingReport) -> Map {
    let mut m = Map::new();
    let opt = |v: Option<f64>| v.map_or(Dynamic::UNIT, Dynamic::from);
    m.insert("ok".into(), r.ok.into());
    m.insert("sent".into(), i64::from(r.sent).into());
    m.insert("received".into(), i64::from(r.received).into());
    m.insert("loss_pct".into(), r.loss_pct.into());
    m.insert("rtt_ms".into(), opt(r.rtt_ms));
    m.insert("rtt_min".into(), opt(r.rtt_min_max.map(|m| m.0)));
    m.insert("rtt_avg".into(), opt(r.rtt_ms));
    m.insert("rtt_max".into(), opt(r.rtt_min_max.map(|m| m.1)));
    m.insert("error".into(), r.error.map_or(Dynamic::UNIT, Dynamic::from));
    m.insert("detail".into(), Dynamic::UNIT);
    m.insert("via".into(), via::EXEC.into());
    m
}

fn assert(cx: &Call, cond: Dynamic, msg: Dynamic) -> ScriptResult<()> {
    match cond.as_bool() {
        Ok(true) => Ok(()),
        Ok(false) => Err(cx.fail(
            kind::ASSERTION,
            if msg.is_unit() {
                "the condition is false".to_string()
            } else {
                msg.to_string()
            },
        )),
        Err(_) => Err(cx.invalid(format!(
            "the condition must be true or false, got {}",
            describe(&cond)
        ))),
    }
}

fn assert_eq(cx: &Call, a: Dynamic, b: Dynamic, msg: Dynamic) -> ScriptResult<()> {
    // Use the script's own `==` so ints, strings, arrays and maps compare as
    // the script would; values of different types are simply unequal.
    let equal = cx
        .native()
        .call_native_fn::<bool>("==", (a.clone(), b.clone()))
        .unwrap_or(false);
    if equal {
        return Ok(());
    }
    let shown = format!("left: {a:?}, right: {b:?}");
    Err(cx.fail(
        kind::ASSERTION,
        if msg.is_unit() {
            format!("the values differ ({shown})")
        } else {
            format!("{msg} ({shown})")
        },
    ))
}

fn seconds(cx: &Call, param: &str, v: &Dynamic) -> ScriptResult<f64> {
    let secs = if let Ok(i) = v.as_int() {
        i as f64
    } else if let Ok(f) = v.as_float() {
        f
    } else {
        return Err(cx.invalid(format!(
            "{param} must be a number of seconds, got {}",
            describe(v)
        )));
    };
    if !(0.0..=86_400.0).contains(&secs) || secs.is_nan() {
        return Err(cx.invalid(format!(
            "{param} must be between 0 and 86400 seconds, got {secs}"
        )));
    }
    Ok(secs)
}

fn wait_until(cx: &Call, check: &FnPtr, timeout: f64) -> ScriptResult<()> {
    let deadline = Instant::now() + Duration::from_secs_f64(timeout);
    let mut last_problem = String::from("it never returned true");
    loop {
        match check.call_within_context::<Dynamic>(cx.native(), ()) {
            Ok(v) if v.as_bool() == Ok(true) => return Ok(()),
            Ok(v) if v.is_bool() => {}
            Ok(v) => {
                return Err(cx.invalid(format!(
                    "the check must return true or false, got {}",
                    describe(&v)
                )));
            }
            // Interruptions, limits and a container that has stopped (it will
            // not start by itself) end the wait; other errors count as "not yet".
            Err(e)
                if matches!(super::error::netrig_error(&e), Some((k, _)) if k == "interrupted" || k == "not_running")
                    || matches!(*e, rhai::EvalAltResult::ErrorTerminated(..)) =>
            {
                return Err(e);
            }
            Err(e) => {
                last_problem = format!(
                    "the last try failed: {}",
                    super::error::netrig_error(&e)
                        .map(|(_, m)| m)
                        .unwrap_or_else(|| e.to_string())
                );
            }
        }
        if Instant::now() >= deadline {
            return Err(cx.fail(
                kind::TIMEOUT,
                format!("the condition did not hold within {timeout} s; {last_problem}"),
            ));
        }
        cx.sleep(0.2)?;
    }
}
