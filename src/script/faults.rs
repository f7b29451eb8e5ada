//! Breaking the network on purpose: `partition`, `heal`, `cut`, `restore`,
//! `impair`, `clear`, `faults`, and node failures `pause`, `unpause`,
//! `kill`, `restart`. How faults are applied is explained in
//! `docker/faults.rs`; this file turns script values into its calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rhai::{Array, Dynamic, ImmutableString, Map};

use super::api::{Api, Call};
use super::convert::{ArgResult, Options, container_ref, describe, network_ref};
use super::error::ScriptResult;
use super::handles::ContainerHandle;
use crate::docker::ResourceKind;
use crate::docker::faults::failure::check_signal;
use crate::docker::faults::impair::parse_rate;
use crate::docker::{FaultSummary, Faults, Impairment, Scope};

/// Options accepted by `impair`.
pub(crate) const IMPAIR_OPTIONS: &[&str] = &[
    "loss_pct",
    "rate",
    "delay_ms",
    "jitter_ms",
    "network",
    "duration_secs",
];

/// Each daemon's book of faults, made when a script first breaks something
/// there; one set per engine (per run).
#[derive(Default)]
struct Books(Mutex<HashMap<String, Arc<Faults>>>);

impl Books {
    /// The book of the daemon `cx` runs on.
    fn of(&self, cx: &Call) -> Arc<Faults> {
        let mut books = self.0.lock().expect("fault books poisoned");
        books
            .entry(cx.client().host().to_string())
            .or_insert_with(|| Faults::new(cx.client().clone()))
            .clone()
    }
}

/// Defines the fault and failure functions.
pub(super) fn functions(api: &mut Api) {
    let books = Arc::new(Books::default());

    let b = books.clone();
    api.function(
        "partition",
        &["groups: Array", "int"],
        "Split containers into groups that cannot reach each other (both directions);\n\
         containers in one group still reach each other. Returns how many pairs are cut.\n\
         ```rhai\npartition([[\"a\", \"b\"], [\"c\", \"d\"]]);\n```",
        move |cx: &Call, groups: Dynamic| -> ScriptResult<i64> {
            let names = groups_arg(&groups).map_err(|e| cx.invalid(e))?;
            let names: Vec<Vec<String>> = names
                .into_iter()
                .map(|g| {
                    g.iter()
                        .map(|n| cx.session.docker_name(ResourceKind::Container, n))
                        .collect()
                })
                .collect();
            cx.running(&names.concat())?;
            Ok(cx.wait(b.of(cx).partition(&names))? as i64)
        },
    );
    let b = books.clone();
    api.function(
        "heal",
        &["int"],
        "Undo every partition and cut; returns how many pairs were cut.\n```rhai\nheal();\n```",
        move |cx: &Call| -> ScriptResult<i64> { Ok(cx.wait(b.of(cx).heal())? as i64) },
    );
    let b = books.clone();
    api.function(
        "cut",
        &["a: Container|String", "b: Container|String"],
        "Cut two containers off from each other, both directions.\n```rhai\ncut(\"app\", \"db\");\n```",
        move |cx: &Call, x: Dynamic, y: Dynamic| {
            let x = cx.container("the first container", &x)?;
            let y = cx.container("the second container", &y)?;
            cx.wait(b.of(cx).cut(&x, &y))
        },
    );
    let b = books.clone();
    api.function(
        "restore",
        &["a: Container|String", "b: Container|String", "bool"],
        "Undo the cut between two containers (from `cut` or `partition`); returns whether they were cut.\n\
         ```rhai\nrestore(\"app\", \"db\");\n```",
        move |cx: &Call, x: Dynamic, y: Dynamic| {
            let x = cx.container_name("the first container", &x)?;
            let y = cx.container_name("the second container", &y)?;
            cx.wait(b.of(cx).restore(&x, &y))
        },
    );
    let b = books.clone();
    api.function(
        "impair",
        &["ctr: Container|String", "opts: Map"],
        "Degrade a container's links: `loss_pct` (share of arriving packets dropped),\n\
         `rate` (sending rate like \"8mbit\"), `delay_ms` and `jitter_ms` (need the kernel's\n\
         netem), on every interface or only on `network`; `duration_secs` undoes it by itself.\n\
         A later call changes only the settings it names.\n\
         ```rhai\nimpair(\"db\", #{loss_pct: 20, rate: \"8mbit\", network: \"back\", duration_secs: 30});\n```",
        move |cx: &Call, ctr: Dynamic, opts: Dynamic| {
            let ctr = cx.container("the container", &ctr)?;
            let request = impair_options(opts).map_err(|e| cx.invalid(e))?;
            let scope = match request.network {
                Some(n) => Scope::Network(cx.session.docker_name(ResourceKind::Network, &n)),
                None => Scope::All,
            };
            let faults = b.of(cx);
            cx.wait(faults.impair(&ctr, scope, request.settings, request.duration))
        },
    );

    // `clear` is also Rhai's own method on arrays, maps and strings. Without
    // an exact String overload, `clear("db")` would silently empty a
    // temporary string; with it, a string names a container when one of
    // that name is impaired, and is emptied (Rhai's meaning) otherwise.
    const CLEAR: &str = "Remove every impairment of a container (partitions stay). On a string that\n\
                         names no impaired container, `clear` keeps Rhai's meaning and empties it.\n\
                         ```rhai\nclear(\"db\");\nclear(db);\n```";
    let b = books.clone();
    api.function(
        "clear",
        &["ctr: String"],
        CLEAR,
        move |cx: &Call, s: &mut ImmutableString| -> ScriptResult<()> {
            let faults = b.of(cx);
            let name = cx.session.docker_name(ResourceKind::Container, s);
            let impaired = cx
                .runtime
                .block_on(faults.summary())
                .impairments
                .iter()
                .any(|(ctr, _, _)| *ctr == name || ctr == s.as_str());
            if impaired {
                cx.wait(faults.clear(&name))
            } else {
                // Rhai's own string `clear`, which this overload shadows.
                s.make_mut().clear();
                Ok(())
            }
        },
    );
    let b = books.clone();
    api.function(
        "clear",
        &["ctr: Container"],
        CLEAR,
        move |cx: &Call, ctr: ContainerHandle| {
            let ctr = cx.container_name("the container", &Dynamic::from(ctr))?;
            cx.wait(b.of(cx).clear(&ctr))
        },
    );

    let b = books.clone();
    api.function(
        "faults",
        &["Map"],
        "What is broken now: `#{cuts: [[a, b], …], impairments: [#{container, network, settings}, …]}`.\n\
         ```rhai\nprint(faults().cuts);\n```",
        move |cx: &Call| -> ScriptResult<Map> { Ok(summary_map(cx.runtime.block_on(b.of(cx).summary()))) },
    );

    api.function(
        "pause",
        &["ctr: Container|String"],
        "Freeze every process of a container (`docker pause`); its kernel still answers pings,\n\
         its services do not. Teardown thaws it.\n```rhai\npause(\"db\");\n```",
        |cx: &Call, ctr: Dynamic| {
            let ctr = cx.container("the container", &ctr)?;
            cx.wait(cx.client().pause_container(&ctr))
        },
    );
    api.function(
        "unpause",
        &["ctr: Container|String"],
        "Thaw a paused container.\n```rhai\nunpause(\"db\");\n```",
        |cx: &Call, ctr: Dynamic| {
            let ctr = cx.container_name("the container", &ctr)?;
            cx.wait(cx.client().unpause_container(&ctr))
        },
    );
    api.function(
        "kill",
        &["ctr: Container|String", "[signal: String|int]"],
        "Send a signal to a container's main process (`docker kill`): SIGKILL, or `signal`\n\
         (a name like \"SIGTERM\" or a number).\n```rhai\nkill(\"db\");\nkill(\"web\", \"SIGTERM\");\n```",
        kill,
    );
    let b = books;
    api.function(
        "restart",
        &["ctr: Container|String", "[timeout_secs: int]"],
        "Restart a container (SIGKILL after `timeout_secs`, 10 unless told, like `docker restart`),\n\
         running or not; its partitions and impairments are put back on its new network namespace.\n\
         ```rhai\nrestart(\"db\");\nrestart(\"web\", 0);\n```",
        move |cx: &Call, ctr: Dynamic, secs: Option<i64>| {
            let ctr = cx.container_name("the container", &ctr)?;
            if let Some(secs) = secs.filter(|s| !(0..=3600).contains(s)) {
                return Err(cx.invalid(format!(
                    "timeout_secs must be between 0 and 3600, got {secs}"
                )));
            }
            cx.wait(b.of(cx).restart(&ctr, secs.map(|s| s as i32)))
        },
    );
}

fn kill(cx: &Call, ctr: Dynamic, signal: Dynamic) -> ScriptResult<()> {
    let ctr = cx.container("the container", &ctr)?;
    let signal = if signal.is_unit() {
        Ok("SIGKILL".to_string())
    } else if signal.is_string() || signal.is_int() {
        check_signal(&signal.to_string())
    } else {
        Err(format!(
            "the signal must be a name like \"SIGTERM\" or a number, got {}",
            describe(&signal)
        ))
    }
    .map_err(|e| cx.invalid(e))?;
    cx.wait(cx.client().kill_container(&ctr, &signal))
}

/// `faults()`: the book as a script map.
fn summary_map(summary: FaultSummary) -> Map {
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
    m
}

/// `[[a, b], [c]]` → container names per group.
pub(crate) fn groups_arg(value: &Dynamic) -> ArgResult<Vec<Vec<String>>> {
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
pub(crate) struct ImpairRequest {
    /// The settings to add.
    pub(crate) settings: Impairment,
    /// Only this network's interface, or every one.
    pub(crate) network: Option<String>,
    /// Undo by itself after this long.
    pub(crate) duration: Option<Duration>,
}

/// Reads `impair`'s options: every key checked, every value's form explained.
pub(crate) fn impair_options(opts: Dynamic) -> ArgResult<ImpairRequest> {
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
