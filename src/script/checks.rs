//! Checks and control: `ping`, `reachable`, the `assert*` family, `sleep`,
//! `wait_until`, and `table` for printing results.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::{Array, Dynamic, Engine, FnPtr, Map, NativeCallContext};

use super::context::ScriptContext;
use super::convert::{container_ref, describe};
use super::error::{ScriptResult, invalid, kind, throw};
use super::register;
use crate::docker::PingReport;

/// Registers the check functions.
pub fn register_all(engine: &mut Engine, ctx: &Arc<ScriptContext>) {
    let c = ctx.clone();
    register(
        engine,
        "ping",
        &["from: Container|String", "target: Container|String", "Map"],
        "Ping `target` (a container, a name or an address) 3 times from inside `from`;\n\
         returns `#{ok, sent, received, loss_pct, rtt_ms}`.\n\
         ```rhai\nlet r = ping(client, \"web\");\nprint(r.rtt_ms);\n```",
        move |from: Dynamic, target: Dynamic| {
            ping(&c.routed(&from), "ping", &from, &target, 3).map(report_map)
        },
    );
    let c = ctx.clone();
    register(
        engine,
        "ping",
        &[
            "from: Container|String",
            "target: Container|String",
            "count: int",
            "Map",
        ],
        "Ping `count` times.\n```rhai\nlet r = ping(client, web.ip(), 10);\n```",
        move |from: Dynamic, target: Dynamic, count: i64| {
            if !(1..=1000).contains(&count) {
                return Err(invalid(
                    "ping",
                    format!("count must be between 1 and 1000, got {count}"),
                ));
            }
            ping(&c.routed(&from), "ping", &from, &target, count as u32).map(report_map)
        },
    );

    let c = ctx.clone();
    register(
        engine,
        "reachable",
        &["from: Container|String", "target: Container|String", "bool"],
        "Whether one ping from `from` to `target` gets an answer.\n\
         ```rhai\nif reachable(client, \"web\") { print(\"up\"); }\n```",
        move |from: Dynamic, target: Dynamic| {
            reachable(&c.routed(&from), "reachable", &from, &target)
        },
    );

    let c = ctx.clone();
    register(
        engine,
        "assert_reachable",
        &["from: Container|String", "target: Container|String"],
        "Fail the scenario unless `from` reaches `target` (pings by name for a container or a name).\n\
         ```rhai\nassert_reachable(client, web);\n```",
        move |from: Dynamic, target: Dynamic| {
            assert_reachable(&c.routed(&from), "assert_reachable", &from, &target)
        },
    );

    let c = ctx.clone();
    register(
        engine,
        "assert_unreachable",
        &["from: Container|String", "target: Container|String"],
        "Fail the scenario if `from` reaches `target`.\n```rhai\nassert_unreachable(outsider, db);\n```",
        move |from: Dynamic, target: Dynamic| {
            assert_unreachable(&c.routed(&from), "assert_unreachable", &from, &target)
        },
    );

    register(
        engine,
        "assert",
        &["cond: bool"],
        "Fail the scenario when `cond` is false.\n```rhai\nassert(ps().len() > 0);\n```",
        |cond: Dynamic| assert(&cond, None),
    );
    register(
        engine,
        "assert",
        &["cond: bool", "msg: String"],
        "Fail the scenario with `msg` when `cond` is false.\n```rhai\nassert(r.ok, \"web should answer\");\n```",
        |cond: Dynamic, msg: Dynamic| assert(&cond, Some(msg.to_string())),
    );

    register(
        engine,
        "assert_eq",
        &["left: Dynamic", "right: Dynamic"],
        "Fail the scenario unless `left == right`, showing both.\n```rhai\nassert_eq(r.exit_code, 0);\n```",
        |ctx: NativeCallContext, a: Dynamic, b: Dynamic| assert_eq(&ctx, a, b, None),
    );
    register(
        engine,
        "assert_eq",
        &["left: Dynamic", "right: Dynamic", "msg: String"],
        "Fail the scenario with `msg` unless `left == right`.\n\
         ```rhai\nassert_eq(web.name, \"web\", \"name kept\");\n```",
        |ctx: NativeCallContext, a: Dynamic, b: Dynamic, msg: Dynamic| {
            assert_eq(&ctx, a, b, Some(msg.to_string()))
        },
    );

    // Typed overloads on purpose: Rhai's own `sleep(int)` / `sleep(float)`
    // block the thread and ignore Ctrl-C; these replace them.
    let c = ctx.clone();
    register(
        engine,
        "sleep",
        &["secs: int"],
        "Pause the script; Ctrl-C interrupts it.\n```rhai\nsleep(2);\n```",
        move |secs: i64| c.sleep("sleep", seconds("sleep", "secs", &Dynamic::from(secs))?),
    );
    let c = ctx.clone();
    register(
        engine,
        "sleep",
        &["secs: float"],
        "Pause the script for a fraction of a second or more; Ctrl-C interrupts it.\n```rhai\nsleep(0.5);\n```",
        move |secs: f64| c.sleep("sleep", seconds("sleep", "secs", &Dynamic::from(secs))?),
    );

    register(
        engine,
        "sleep",
        &["secs: Dynamic"],
        "Anything but a number of seconds is an error.\n```rhai\nsleep(1);\n```",
        |secs: Dynamic| -> ScriptResult<()> { seconds("sleep", "secs", &secs).map(|_| ()) },
    );

    let c = ctx.clone();
    register(
        engine,
        "wait_until",
        &["check: Fn", "timeout_secs: float|int"],
        "Call `check` until it returns true (every 0.2 s, retrying on errors) or fail after\n\
         `timeout_secs`.\n```rhai\nwait_until(|| exec(web, \"ls /www\").exit_code == 0, 10);\n```",
        move |ctx: NativeCallContext, check: FnPtr, timeout: Dynamic| {
            wait_until(
                &c,
                &ctx,
                &check,
                seconds("wait_until", "timeout_secs", &timeout)?,
            )
        },
    );

    register(
        engine,
        "table",
        &["rows: Array", "String"],
        "Format an array of maps (like `ps()` or `network::ls()`) as an aligned table.\n\
         ```rhai\nprint(table(network::ls()));\n```",
        |rows: Dynamic| -> ScriptResult<String> {
            let rows = rows.clone().try_cast::<Array>().ok_or_else(|| {
                invalid(
                    "table",
                    format!("rows must be an array of maps, got {}", describe(&rows)),
                )
            })?;
            crate::table::from_rows(&rows).map_err(|e| invalid("table", e))
        },
    );
}

/// `reachable`: one ping gets an answer.
pub(crate) fn reachable(
    ctx: &ScriptContext,
    function: &str,
    from: &Dynamic,
    target: &Dynamic,
) -> ScriptResult<bool> {
    Ok(ping(ctx, function, from, target, 1)?.ok)
}

/// `assert_reachable`: fails unless `from` reaches `target`.
pub(crate) fn assert_reachable(
    ctx: &ScriptContext,
    function: &str,
    from: &Dynamic,
    target: &Dynamic,
) -> ScriptResult<()> {
    let r = ping(ctx, function, from, target, 1)?;
    if r.ok {
        return Ok(());
    }
    // One lost packet is not a verdict: try a few more before failing.
    let r = ping(ctx, function, from, target, 3)?;
    if r.ok {
        Ok(())
    } else {
        Err(throw(
            kind::ASSERTION,
            function,
            format!(
                "{} cannot reach {} ({}% of pings lost)",
                who(from),
                who(target),
                r.loss_pct
            ),
        ))
    }
}

/// `assert_unreachable`: fails if `from` reaches `target`.
pub(crate) fn assert_unreachable(
    ctx: &ScriptContext,
    function: &str,
    from: &Dynamic,
    target: &Dynamic,
) -> ScriptResult<()> {
    let r = ping(ctx, function, from, target, 1)?;
    if r.ok {
        Err(throw(
            kind::ASSERTION,
            function,
            format!("{} can reach {}, but should not", who(from), who(target)),
        ))
    } else {
        Ok(())
    }
}

fn who(v: &Dynamic) -> String {
    container_ref("x", v).unwrap_or_else(|_| describe(v))
}

pub(crate) fn ping(
    ctx: &ScriptContext,
    function: &str,
    from: &Dynamic,
    target: &Dynamic,
    count: u32,
) -> ScriptResult<PingReport> {
    let from = ctx.container(function, "from", from)?;
    let target = ctx.target(function, "target", target)?;
    ctx.wait(function, ctx.client().ping(&from, &target, count))
}

/// A ping report as a script map.
pub fn report_map(r: PingReport) -> Map {
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

fn assert(cond: &Dynamic, msg: Option<String>) -> ScriptResult<()> {
    match cond.as_bool() {
        Ok(true) => Ok(()),
        Ok(false) => Err(throw(
            kind::ASSERTION,
            "assert",
            msg.unwrap_or_else(|| "the condition is false".into()),
        )),
        Err(_) => Err(invalid(
            "assert",
            format!(
                "the condition must be true or false, got {}",
                describe(cond)
            ),
        )),
    }
}

fn assert_eq(
    ctx: &NativeCallContext,
    a: Dynamic,
    b: Dynamic,
    msg: Option<String>,
) -> ScriptResult<()> {
    // Use the script's own `==` so ints, strings, arrays and maps compare as
    // the script would; values of different types are simply unequal.
    let equal = ctx
        .call_native_fn::<bool>("==", (a.clone(), b.clone()))
        .unwrap_or(false);
    if equal {
        return Ok(());
    }
    let shown = format!("left: {a:?}, right: {b:?}");
    Err(throw(
        kind::ASSERTION,
        "assert_eq",
        match msg {
            Some(m) => format!("{m} ({shown})"),
            None => format!("the values differ ({shown})"),
        },
    ))
}

fn seconds(function: &str, param: &str, v: &Dynamic) -> ScriptResult<f64> {
    let secs = if let Ok(i) = v.as_int() {
        i as f64
    } else if let Ok(f) = v.as_float() {
        f
    } else {
        return Err(invalid(
            function,
            format!("{param} must be a number of seconds, got {}", describe(v)),
        ));
    };
    if !(0.0..=86_400.0).contains(&secs) || secs.is_nan() {
        return Err(invalid(
            function,
            format!("{param} must be between 0 and 86400 seconds, got {secs}"),
        ));
    }
    Ok(secs)
}

fn wait_until(
    sc: &ScriptContext,
    ctx: &NativeCallContext,
    check: &FnPtr,
    timeout: f64,
) -> ScriptResult<()> {
    let deadline = Instant::now() + Duration::from_secs_f64(timeout);
    let mut last_problem = String::from("it never returned true");
    loop {
        match check.call_within_context::<Dynamic>(ctx, ()) {
            Ok(v) if v.as_bool() == Ok(true) => return Ok(()),
            Ok(v) if v.is_bool() => {}
            Ok(v) => {
                return Err(invalid(
                    "wait_until",
                    format!("the check must return true or false, got {}", describe(&v)),
                ));
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
            return Err(throw(
                kind::TIMEOUT,
                "wait_until",
                format!("the condition did not hold within {timeout} s; {last_problem}"),
            ));
        }
        sc.sleep("wait_until", 0.2)?;
    }
}
