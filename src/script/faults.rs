//! Breaking the network on purpose: `partition`, `heal`, `cut`, `restore`,
//! `impair`, `clear`, `faults`, and node failures `pause`, `unpause`,
//! `kill`, `restart`. How faults are applied is explained in
//! `docker/faults/`; this file turns script values into its calls.

use std::sync::Arc;
use std::time::Duration;

use rhai::{Array, Dynamic, Engine, ImmutableString, Map};

use super::context::ScriptContext;
use super::convert::{ArgResult, Options, container_ref, describe, network_ref};
use super::error::{ScriptResult, invalid};
use super::handles::ContainerHandle;
use super::register;
use crate::docker::ResourceKind;
use crate::docker::faults::failure::check_signal;
use crate::docker::faults::impair::parse_rate;
use crate::docker::{Faults, Impairment, Scope};

/// Options accepted by `impair`.
pub const IMPAIR_OPTIONS: &[&str] = &[
    "loss_pct",
    "rate",
    "delay_ms",
    "jitter_ms",
    "network",
    "duration_secs",
];

/// Registers the fault and failure functions; they share one book of
/// faults per engine (per run).
pub fn register_all(engine: &mut Engine, ctx: &Arc<ScriptContext>) {
    let faults = Faults::new(ctx.client().clone());

    let (c, f) = (ctx.clone(), faults.clone());
    register(
        engine,
        "partition",
        &["groups: Array", "int"],
        "Split containers into groups that cannot reach each other (both directions);\n\
         containers in one group still reach each other. Returns how many pairs are cut.\n\
         ```rhai\npartition([[\"a\", \"b\"], [\"c\", \"d\"]]);\n```",
        move |groups: Dynamic| -> ScriptResult<i64> {
            const F: &str = "partition";
            let names = groups_arg(&groups).map_err(|e| invalid(F, e))?;
            let names: Vec<Vec<String>> = names
                .into_iter()
                .map(|g| {
                    g.iter()
                        .map(|n| c.session.docker_name(ResourceKind::Container, n))
                        .collect()
                })
                .collect();
            let cut = c.wait(F, f.partition(&names))?;
            Ok(cut as i64)
        },
    );

    let (c, f) = (ctx.clone(), faults.clone());
    register(
        engine,
        "heal",
        &["int"],
        "Undo every partition and cut; returns how many pairs were cut.\n```rhai\nheal();\n```",
        move || -> ScriptResult<i64> { Ok(c.wait("heal", f.heal())? as i64) },
    );

    let (c, f) = (ctx.clone(), faults.clone());
    register(
        engine,
        "cut",
        &["a: Container|String", "b: Container|String"],
        "Cut two containers off from each other, both directions.\n```rhai\ncut(\"app\", \"db\");\n```",
        move |a: Dynamic, b: Dynamic| {
            let a = c.container("cut", "the first container", &a)?;
            let b = c.container("cut", "the second container", &b)?;
            c.wait("cut", f.cut(&a, &b))
        },
    );

    let (c, f) = (ctx.clone(), faults.clone());
    register(
        engine,
        "restore",
        &["a: Container|String", "b: Container|String", "bool"],
        "Undo the cut between two containers (from `cut` or `partition`); returns whether they were cut.\n\
         ```rhai\nrestore(\"app\", \"db\");\n```",
        move |a: Dynamic, b: Dynamic| {
            let a = c.container("restore", "the first container", &a)?;
            let b = c.container("restore", "the second container", &b)?;
            c.wait("restore", f.restore(&a, &b))
        },
    );

    let (c, f) = (ctx.clone(), faults.clone());
    register(
        engine,
        "impair",
        &["ctr: Container|String", "opts: Map"],
        "Degrade a container's links: `loss_pct` (share of arriving packets dropped),\n\
         `rate` (sending rate like \"8mbit\"), `delay_ms` and `jitter_ms` (need the kernel's\n\
         netem), on every interface or only on `network`; `duration_secs` undoes it by itself.\n\
         A later call changes only the settings it names.\n\
         ```rhai\nimpair(\"db\", #{loss_pct: 20, rate: \"8mbit\", network: \"back\", duration_secs: 30});\n```",
        move |ctr: Dynamic, opts: Dynamic| {
            const F: &str = "impair";
            let ctr = c.container(F, "the container", &ctr)?;
            let request = impair_options(opts).map_err(|e| invalid(F, e))?;
            let scope = match request.network {
                Some(n) => Scope::Network(c.session.docker_name(ResourceKind::Network, &n)),
                None => Scope::All,
            };
            c.wait(F, f.impair(&ctr, scope, request.settings, request.duration))
        },
    );

    // `clear` is also Rhai's own method on arrays, maps and strings. Without
    // an exact String overload, `clear("db")` would silently empty a
    // temporary string; with it, a string always names a container (so
    // `s.clear()` on a string variable fails loudly: assign "" instead).
    let (c, f) = (ctx.clone(), faults.clone());
    register(
        engine,
        "clear",
        &["ctr: String"],
        "Remove every impairment of the container this string names (partitions stay).\n\
         On a string that names no impaired container, `clear` keeps Rhai's meaning and\n\
         empties the string.\n```rhai\nclear(\"db\");\n```",
        move |s: &mut ImmutableString| -> ScriptResult<()> {
            let name = c.session.docker_name(ResourceKind::Container, s);
            let impaired = c
                .runtime
                .block_on(f.summary())
                .impairments
                .iter()
                .any(|(ctr, _, _)| *ctr == name || ctr == s.as_str());
            if impaired {
                clear(&c, &f, Dynamic::from(s.clone()))
            } else {
                // Rhai's own string `clear`, which this overload shadows.
                s.make_mut().clear();
                Ok(())
            }
        },
    );
    let (c, f) = (ctx.clone(), faults.clone());
    register(
        engine,
        "clear",
        &["ctr: Container"],
        "Remove every impairment of a container (partitions stay).\n```rhai\nclear(db);\n```",
        move |ctr: ContainerHandle| clear(&c, &f, Dynamic::from(ctr)),
    );

    let (c, f) = (ctx.clone(), faults.clone());
    register(
        engine,
        "faults",
        &["Map"],
        "What is broken now: `#{cuts: [[a, b], …], impairments: [#{container, network, settings}, …]}`.\n\
         ```rhai\nprint(faults().cuts);\n```",
        move || -> ScriptResult<Map> {
            let summary = c.runtime.block_on(f.summary());
            let cuts: Array = summary
                .cuts
                .into_iter()
                .map(|(a, b)| Dynamic::from_array(vec![a.into(), b.into()]))
                .collect();
            let impairments: Array = summary
                .impairments
                .into_iter()
                .map(|(ctr, scope, settings)| {
                    let mut m = Map::new();
                    m.insert("container".into(), ctr.into());
                    m.insert("network".into(), scope.into());
                    m.insert("settings".into(), settings.into());
                    Dynamic::from_map(m)
                })
                .collect();
            let mut m = Map::new();
            m.insert("cuts".into(), cuts.into());
            m.insert("impairments".into(), impairments.into());
            Ok(m)
        },
    );

    let c = ctx.clone();
    register(
        engine,
        "pause",
        &["ctr: Container|String"],
        "Freeze every process of a container (`docker pause`); its kernel still answers pings,\n\
         its services do not. Teardown thaws it.\n```rhai\npause(\"db\");\n```",
        move |ctr: Dynamic| {
            let ctr = c.container("pause", "the container", &ctr)?;
            c.wait("pause", c.client().pause_container(&ctr))
        },
    );

    let c = ctx.clone();
    register(
        engine,
        "unpause",
        &["ctr: Container|String"],
        "Thaw a paused container.\n```rhai\nunpause(\"db\");\n```",
        move |ctr: Dynamic| {
            let ctr = c.container("unpause", "the container", &ctr)?;
            c.wait("unpause", c.client().unpause_container(&ctr))
        },
    );

    let c = ctx.clone();
    register(
        engine,
        "kill",
        &["ctr: Container|String"],
        "Kill a container's main process with SIGKILL (`docker kill`).\n```rhai\nkill(\"db\");\n```",
        move |ctr: Dynamic| {
            let ctr = c.container("kill", "the container", &ctr)?;
            c.wait("kill", c.client().kill_container(&ctr, "SIGKILL"))
        },
    );
    let c = ctx.clone();
    register(
        engine,
        "kill",
        &["ctr: Container|String", "signal: String|int"],
        "Send a signal to a container's main process (`docker kill --signal`).\n\
         ```rhai\nkill(\"db\", \"SIGTERM\");\n```",
        move |ctr: Dynamic, signal: Dynamic| {
            let ctr = c.container("kill", "the container", &ctr)?;
            let signal = if signal.is_string() || signal.is_int() {
                check_signal(&signal.to_string())
            } else {
                Err(format!(
                    "the signal must be a name like \"SIGTERM\" or a number, got {}",
                    describe(&signal)
                ))
            }
            .map_err(|e| invalid("kill", e))?;
            c.wait("kill", c.client().kill_container(&ctr, &signal))
        },
    );

    let (c, f) = (ctx.clone(), faults.clone());
    register(
        engine,
        "restart",
        &["ctr: Container|String"],
        "Restart a container (SIGKILL after 10 s, like `docker restart`), running or not;\n\
         its partitions and impairments are put back on its new network namespace.\n\
         ```rhai\nrestart(\"db\");\n```",
        move |ctr: Dynamic| {
            let ctr = c.container("restart", "the container", &ctr)?;
            c.wait("restart", f.restart(&ctr, None))
        },
    );
    let (c, f) = (ctx.clone(), faults);
    register(
        engine,
        "restart",
        &["ctr: Container|String", "timeout_secs: int"],
        "Restart a container, killing it after `timeout_secs` (0: at once).\n```rhai\nrestart(\"db\", 0);\n```",
        move |ctr: Dynamic, secs: i64| {
            let ctr = c.container("restart", "the container", &ctr)?;
            if !(0..=3600).contains(&secs) {
                return Err(invalid(
                    "restart",
                    format!("timeout_secs must be between 0 and 3600, got {secs}"),
                ));
            }
            c.wait("restart", f.restart(&ctr, Some(secs as i32)))
        },
    );
}

fn clear(ctx: &ScriptContext, faults: &Arc<Faults>, ctr: Dynamic) -> ScriptResult<()> {
    let ctr = ctx.container("clear", "the container", &ctr)?;
    ctx.wait("clear", faults.clear(&ctr))
}

/// `[[a, b], [c]]` → container names per group.
pub fn groups_arg(value: &Dynamic) -> ArgResult<Vec<Vec<String>>> {
    let form =
        "an array of groups, each an array of containers, like [[\"a\", \"b\"], [\"c\", \"d\"]]";
    let groups = value
        .clone()
        .try_cast::<Array>()
        .ok_or_else(|| format!("the groups must be {form}, got {}", describe(value)))?;
    groups
        .iter()
        .enumerate()
        .map(|(i, group)| {
            let members = group.clone().try_cast::<Array>().ok_or_else(|| {
                format!(
                    "the groups must be {form}, but group {} is {}",
                    i + 1,
                    describe(group)
                )
            })?;
            members
                .iter()
                .map(|m| container_ref(&format!("each member of group {}", i + 1), m))
                .collect()
        })
        .collect()
}

/// An `impair` options map, read.
#[derive(Debug, Clone, PartialEq)]
pub struct ImpairRequest {
    /// The settings to add.
    pub settings: Impairment,
    /// Only this network's interface, or every one.
    pub network: Option<String>,
    /// Undo by itself after this long.
    pub duration: Option<Duration>,
}

/// Reads `impair`'s options: every key checked, every value's form explained.
pub fn impair_options(opts: Dynamic) -> ArgResult<ImpairRequest> {
    if opts.is_unit() {
        return Err(format!(
            "say what to impair with options like #{{loss_pct: 20}}; valid options: {}",
            IMPAIR_OPTIONS.join(", ")
        ));
    }
    // Checks the keys (with a did-you-mean) before reading the values.
    Options::new(opts.clone(), IMPAIR_OPTIONS)?;
    let map = opts.cast::<Map>();
    let get = |key: &str| map.get(key).filter(|v| !v.is_unit());

    let number = |key: &str| -> ArgResult<Option<f64>> {
        match get(key) {
            None => Ok(None),
            Some(v) => v
                .as_int()
                .map(|i| i as f64)
                .or_else(|_| v.as_float())
                .map(Some)
                .map_err(|_| format!("option \"{key}\" must be a number, got {}", describe(v))),
        }
    };
    let millis = |key: &str| -> ArgResult<Option<u32>> {
        match number(key)? {
            None => Ok(None),
            Some(ms) if (0.0..=60_000.0).contains(&ms) => Ok(Some(ms.round() as u32)),
            Some(ms) => Err(format!(
                "option \"{key}\" must be between 0 and 60000 milliseconds, got {ms}"
            )),
        }
    };

    let rate_bps = match get("rate") {
        None => None,
        Some(v) if v.is_string() => Some(parse_rate(&v.to_string())?),
        Some(v) => {
            return Err(format!(
                "option \"rate\" must be a string like \"8mbit\", got {}",
                describe(v)
            ));
        }
    };
    let settings = Impairment {
        loss_pct: number("loss_pct")?,
        rate_bps,
        delay_ms: millis("delay_ms")?,
        jitter_ms: millis("jitter_ms")?,
    };
    if settings.is_empty() {
        return Err(
            "say what to impair: give at least one of loss_pct, rate, delay_ms, jitter_ms".into(),
        );
    }
    settings.validate()?;
    let network = get("network")
        .map(|n| network_ref("option \"network\"", n))
        .transpose()?;
    let duration = match number("duration_secs")? {
        None => None,
        Some(s) if s > 0.0 && s <= 86_400.0 => Some(Duration::from_secs_f64(s)),
        Some(s) => {
            return Err(format!(
                "option \"duration_secs\" must be more than 0 and at most 86400, got {s}"
            ));
        }
    };
    Ok(ImpairRequest {
        settings,
        network,
        duration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str) -> Dynamic {
        rhai::Engine::new().eval::<Dynamic>(src).unwrap()
    }

    #[test]
    fn impair_options_become_settings() {
        let r = impair_options(eval(
            r#"#{loss_pct: 50, rate: "8mbit", network: "back", duration_secs: 1.5}"#,
        ))
        .unwrap();
        assert_eq!(r.settings.loss_pct, Some(50.0));
        assert_eq!(r.settings.rate_bps, Some(8_000_000));
        assert_eq!(r.network.as_deref(), Some("back"));
        assert_eq!(r.duration, Some(Duration::from_millis(1500)));
        let d = impair_options(eval("#{delay_ms: 100, jitter_ms: 10}")).unwrap();
        assert_eq!(
            (d.settings.delay_ms, d.settings.jitter_ms),
            (Some(100), Some(10))
        );
    }

    #[test]
    fn bad_impair_options_are_explained() {
        let err = |src: &str| impair_options(eval(src)).unwrap_err();
        assert!(err("#{los_pct: 5}").contains("did you mean \"loss_pct\""));
        assert!(err("#{loss_pct: 150}").contains("between 0 and 100"));
        assert!(
            err("#{loss_pct: \"half\"}").contains("\"loss_pct\" must be a number, got \"half\"")
        );
        assert!(err("#{rate: 8}").contains("\"rate\" must be a string like \"8mbit\""));
        assert!(err("#{rate: \"fast\"}").contains("\"fast\""));
        assert!(err("#{jitter_ms: 5}").contains("give \"delay_ms\""));
        assert!(err("#{network: \"back\"}").contains("at least one of loss_pct"));
        assert!(err("#{loss_pct: 5, duration_secs: 0}").contains("duration_secs"));
        assert!(
            impair_options(Dynamic::UNIT)
                .unwrap_err()
                .contains("valid options: loss_pct")
        );
    }

    #[test]
    fn groups_are_arrays_of_containers() {
        assert_eq!(
            groups_arg(&eval(r#"[["a", "b"], ["c"]]"#)).unwrap(),
            vec![
                vec!["a".to_string(), "b".to_string()],
                vec!["c".to_string()]
            ]
        );
        assert!(
            groups_arg(&eval(r#"["a", "b"]"#))
                .unwrap_err()
                .contains("group 1 is \"a\"")
        );
        assert!(groups_arg(&eval("42")).unwrap_err().contains("got 42"));
        assert!(
            groups_arg(&eval(r#"[["a"], [1]]"#))
                .unwrap_err()
                .contains("each member of group 2")
        );
    }
}
