//! Checks and control: `ping`, `reachable`, the `assert*` family, `sleep`,
//! `wait_until`, and `table` for printing results.

use std::time::{Duration, Instant};

use rhai::{Array, Dynamic, FnPtr, Map};

use super::api::{Api, Call};
use super::convert::{container_ref, describe};
use super::error::{ScriptResult, kind};
use crate::docker::PingReport;

/// Defines the check functions.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "ping",
        &[
            "from: Container|String",
            "target: Container|String",
            "[count: int]",
            "Map",
        ],
        "Ping `target` (a container, a name or an address) `count` times (3 unless told) from\n\
         inside `from`; returns `#{ok, sent, received, loss_pct, rtt_ms}`.\n\
         ```rhai\nlet r = ping(client, \"web\");\nprint(r.rtt_ms);\nlet r = ping(client, web.ip(), 10);\n```",
        |cx: &Call, from: Dynamic, target: Dynamic, count: Option<i64>| {
            let count = count.unwrap_or(3);
            if !(1..=1000).contains(&count) {
                return Err(cx.invalid(format!(
                    "count must be between 1 and 1000, got {count}"
                )));
            }
            ping(cx, &from, &target, count as u32).map(report_map)
        },
    );
    api.function(
        "reachable",
        &["from: Container|String", "target: Container|String", "bool"],
        "Whether one ping from `from` to `target` gets an answer.\n\
         ```rhai\nif reachable(client, \"web\") { print(\"up\"); }\n```",
        |cx: &Call, from: Dynamic, target: Dynamic| Ok(ping(cx, &from, &target, 1)?.ok),
    );
    api.function(
        "assert_reachable",
        &["from: Container|String", "target: Container|String"],
        "Fail the scenario unless `from` reaches `target` (pings by name for a container or a name).\n\
         ```rhai\nassert_reachable(client, web);\n```",
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
         `timeout_secs`.\n```rhai\nwait_until(|| exec(web, \"ls /www\").exit_code == 0, 10);\n```",
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

/// `assert_reachable`: fails unless `from` reaches `target`.
fn assert_reachable(cx: &Call, from: Dynamic, target: Dynamic) -> ScriptResult<()> {
    let r = ping(cx, &from, &target, 1)?;
    if r.ok {
        return Ok(());
    }
    // One lost packet is not a verdict: try a few more before failing.
    let r = ping(cx, &from, &target, 3)?;
    if r.ok {
        Ok(())
    } else {
        Err(cx.fail(
            kind::ASSERTION,
            format!(
                "{} cannot reach {} ({}% of pings lost)",
                who(&from),
                who(&target),
                r.loss_pct
            ),
        ))
    }
}

/// `assert_unreachable`: fails if `from` reaches `target`.
fn assert_unreachable(cx: &Call, from: Dynamic, target: Dynamic) -> ScriptResult<()> {
    let r = ping(cx, &from, &target, 1)?;
    if r.ok {
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

fn ping(cx: &Call, from: &Dynamic, target: &Dynamic, count: u32) -> ScriptResult<PingReport> {
    let from = cx.container("from", from)?;
    let target = cx.target("target", target)?;
    cx.wait(cx.client().ping(&from, &target, count))
}

/// A ping report as a script map.
pub(crate) fn report_map(r: PingReport) -> Map {
    let mut m = Map::new();
    m.insert("ok".into(), r.ok.into());
    m.insert("sent".into(), i64::from(r.sent).into());
    m.insert("received".into(), i64::from(r.received).into());
    m.insert("loss_pct".into(), r.loss_pct.into());
    m.insert(
        "rtt_ms".into(),
        r.rtt_ms.map(Dynamic::from).unwrap_or(Dynamic::UNIT),
    );
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
            // Interruptions and limits end the wait; other errors count as "not yet".
            Err(e)
                if matches!(super::error::netrig_error(&e), Some((k, _)) if k == "interrupted")
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
