//! Checks in bulk: `ping_all` and `tcp_all` run every item at once from
//! inside the containers' namespaces (hundreds in well under a second),
//! falling back to exec per source container where netrig cannot enter,
//! and return one result per item, in order.

use std::collections::HashMap;

use rhai::{Array, Dynamic, Map};

use super::api::{Api, Call};
use super::batch::items;
use super::checks::report_map;
use super::convert::{self, describe};
use super::error::ScriptResult;
use super::probe_maps::{ping_map, ping_options, port, tcp_map, tcp_options};
use super::probe_side::{Side, side_of, via};
use super::probes::tcp_check;
use crate::docker::{DockerError, ResourceKind};
use crate::probe::batch::DEFAULT_CONCURRENCY;
use crate::probe::{self, Check, Outcome, PingOptions, ProbeError};

/// Defines `ping_all` and `tcp_all`.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "ping_all",
        &["pairs: Array", "[count: int|Map]", "Array"],
        "Ping many `[from, target]` pairs at once, `count` times each (3 unless told; or `ping`'s\n\
         options map); returns one `ping` result plus `from` and `target` per pair, in order.\n\
         ```rhai\nfor r in ping_all([[a, b], [b, a]]) { assert(r.ok, `${r.from} -> ${r.target}`); }\nlet results = ping_all([[a, \"b\"], [a, c.ip()]], 1);\n```",
        |cx: &Call, pairs: Array, count: Dynamic| {
            let options = if count.is_unit() {
                PingOptions::default()
            } else {
                ping_options(count).map_err(|e| cx.invalid(e))?
            };
            ping_all(cx, pairs, &options)
        },
    );
    api.function(
        "tcp_all",
        &["items: Array", "[opts: Map]", "Array"],
        "Make many TCP checks at once: each item is `[from, target, port]` (or a map with\n\
         those keys); returns one `tcp` result plus `from`, `target` and `port` per item, in\n\
         order. Options as `tcp`'s.\n\
         ```rhai\nlet rs = tcp_all([[web, \"api\", 8080], [web, \"db\", 5432]]);\nassert_eq(rs.map(|r| r.state), [\"open\", \"filtered\"]);\n```",
        tcp_all,
    );
}

/// A source container (Docker name) and a target as it sees it.
type Pair = (String, String);

/// The side of every distinct source (Docker names, one per item),
/// entered once each. A source that is missing or not running fails the
/// call, every such item listed by index.
fn sides(cx: &Call, sources: &[&String]) -> ScriptResult<HashMap<String, Side>> {
    let mut sides = HashMap::new();
    let mut missing: HashMap<String, DockerError> = HashMap::new();
    for from in sources {
        if sides.contains_key(*from) || missing.contains_key(*from) {
            continue;
        }
        if let Some(ns) = cx.probes.still_entered(from) {
            sides.insert((*from).clone(), Side::Netns(ns));
            continue;
        }
        match cx.wait(async { Ok(cx.client().process(from).await) })? {
            Ok(process) => {
                let side = side_of(cx, from, process)?;
                sides.insert((*from).clone(), side);
            }
            Err(e) => {
                missing.insert((*from).clone(), e);
            }
        }
    }
    let failed: Vec<(usize, String, &'static str)> = sources
        .iter()
        .enumerate()
        .filter_map(|(i, s)| missing.get(*s).map(|e| (i, e.to_string(), e.kind())))
        .collect();
    match failed.first() {
        None => Ok(sides),
        Some((_, _, kind)) => Err(cx.fail(
            kind,
            listing(
                cx,
                sources.len(),
                failed.iter().map(|(i, m, _)| (*i, m.clone())),
            ),
        )),
    }
}

/// `2 of 5 items failed: item 1: …; item 3: …`, in the script's names.
fn listing(cx: &Call, total: usize, failed: impl Iterator<Item = (usize, String)>) -> String {
    let listed: Vec<String> = failed.map(|(i, e)| format!("item {i}: {e}")).collect();
    cx.session.names().script_text(&format!(
        "{} of {total} items failed: {}",
        listed.len(),
        listed.join("; ")
    ))
}

/// Fails the call listing every item whose check could not be made.
fn all_made(cx: &Call, total: usize, results: &[(usize, ProbeError)]) -> ScriptResult<()> {
    let Some((_, first)) = results.first() else {
        return Ok(());
    };
    Err(cx.fail(
        first.kind(),
        listing(cx, total, results.iter().map(|(i, e)| (*i, e.to_string()))),
    ))
}

fn ping_all(cx: &Call, pairs: Array, options: &PingOptions) -> ScriptResult<Array> {
    let pairs: Vec<Pair> = items(cx.name(), pairs, |item| {
        let (from, target) = pair(&item)?;
        let from = convert::container_ref("from", &from)?;
        let target = convert::target_ref("target", &target)?;
        Ok((
            cx.session.docker_name(ResourceKind::Container, &from),
            target,
        ))
    })?;
    let sides = sides(cx, &pairs.iter().map(|p| &p.0).collect::<Vec<_>>())?;
    let mut checks = Vec::new();
    let mut by_exec: Vec<(usize, Pair)> = Vec::new();
    for (i, (from, target)) in pairs.iter().enumerate() {
        match &sides[from] {
            Side::Netns(ns) => checks.push((
                i,
                Check::Ping {
                    from: ns.clone(),
                    target: target.clone(),
                    options: *options,
                },
            )),
            Side::Exec { .. } => by_exec.push((i, (from.clone(), target.clone()))),
        }
    }
    let exec_pairs: Vec<Pair> = by_exec.iter().map(|(_, p)| p.clone()).collect();
    let (made, execs) = cx.wait(async {
        let made = probe::run_all(
            checks.iter().map(|c| c.1.clone()).collect(),
            DEFAULT_CONCURRENCY,
        );
        let execs = async {
            if exec_pairs.is_empty() {
                Ok(Vec::new())
            } else {
                cx.client().ping_all(&exec_pairs, options.count).await
            }
        };
        Ok(tokio::join!(made, execs))
    })?;
    let execs =
        execs.map_err(|e| cx.fail(e.kind(), cx.session.names().script_text(&e.to_string())))?;
    let mut maps: Vec<Option<Map>> = vec![None; pairs.len()];
    let mut failures = Vec::new();
    for ((i, _), outcome) in checks.iter().zip(made) {
        match outcome {
            Ok(Outcome::Ping(r)) => maps[*i] = Some(ping_map(&r)),
            Ok(other) => unreachable!("a ping check gave {other:?}"),
            Err(e) => failures.push((*i, e)),
        }
    }
    all_made(cx, pairs.len(), &failures)?;
    for ((i, _), r) in by_exec.iter().zip(execs) {
        maps[*i] = Some(report_map(r));
    }
    Ok(pairs
        .into_iter()
        .zip(maps)
        .map(|((from, target), m)| {
            let mut m = m.expect("every pair was checked");
            m.insert("from".into(), cx.script_name(&from).into());
            m.insert("target".into(), target.into());
            Dynamic::from_map(m)
        })
        .collect())
}

/// One `tcp_all` item: source (Docker name), target, port.
type TcpItem = (String, String, u16);

fn tcp_all(cx: &Call, list: Array, opts: Dynamic) -> ScriptResult<Array> {
    let options = tcp_options(opts).map_err(|e| cx.invalid(e))?;
    let list: Vec<TcpItem> = items(cx.name(), list, |item| {
        let (from, target, p) = triple(&item)?;
        let from = convert::container_ref("from", &from)?;
        let target = convert::target_ref("target", &target)?;
        let p = p
            .as_int()
            .map_err(|_| format!("port must be a whole number, got {}", describe(&p)))?;
        let p = port("port", p)?;
        Ok((
            cx.session.docker_name(ResourceKind::Container, &from),
            target,
            p,
        ))
    })?;
    let sides = sides(cx, &list.iter().map(|t| &t.0).collect::<Vec<_>>())?;
    let mut checks = Vec::new();
    let mut by_exec = Vec::new();
    for (i, (from, target, p)) in list.iter().enumerate() {
        match &sides[from] {
            Side::Netns(ns) => checks.push((
                i,
                Check::Tcp {
                    from: ns.clone(),
                    target: target.clone(),
                    port: *p,
                    options,
                },
            )),
            Side::Exec { .. } => by_exec.push(i),
        }
    }
    let made = cx.wait(async {
        Ok(probe::run_all(
            checks.iter().map(|c| c.1.clone()).collect(),
            DEFAULT_CONCURRENCY,
        )
        .await)
    })?;
    let mut maps: Vec<Option<Map>> = vec![None; list.len()];
    let mut failures = Vec::new();
    for ((i, _), outcome) in checks.iter().zip(made) {
        match outcome {
            Ok(Outcome::Tcp(r)) => maps[*i] = Some(tcp_map(&r, via::NETNS)),
            Ok(other) => unreachable!("a tcp check gave {other:?}"),
            Err(e) => failures.push((*i, e)),
        }
    }
    all_made(cx, list.len(), &failures)?;
    // Where netrig cannot enter, one exec of `nc` each, one after another.
    for i in by_exec {
        let (from, target, p) = &list[i];
        let (r, via) = tcp_check(
            cx,
            &Dynamic::from(cx.script_name(from)),
            target,
            *p,
            &options,
        )?;
        maps[i] = Some(tcp_map(&r, via));
    }
    Ok(list
        .into_iter()
        .zip(maps)
        .map(|((from, target, p), m)| {
            let mut m = m.expect("every item was checked");
            m.insert("from".into(), cx.script_name(&from).into());
            m.insert("target".into(), target.into());
            m.insert("port".into(), i64::from(p).into());
            Dynamic::from_map(m)
        })
        .collect())
}

/// `[from, target]`.
fn pair(item: &Dynamic) -> Result<(Dynamic, Dynamic), String> {
    match item.clone().try_cast::<Array>() {
        Some(a) if a.len() == 2 => Ok((a[0].clone(), a[1].clone())),
        _ => Err(format!(
            "must be a pair [from, target], got {}",
            describe(item)
        )),
    }
}

/// `[from, target, port]` or `#{from, target, port}`.
fn triple(item: &Dynamic) -> Result<(Dynamic, Dynamic, Dynamic), String> {
    let form = "[from, target, port] or #{from, target, port}";
    if let Some(a) = item.clone().try_cast::<Array>() {
        if let [from, target, p] = a.as_slice() {
            return Ok((from.clone(), target.clone(), p.clone()));
        }
    } else if let Some(mut m) = item.clone().try_cast::<Map>() {
        let mut get = |k: &str| {
            m.remove(k)
                .ok_or_else(|| format!("has no \"{k}\"; give {form}"))
        };
        let found = (get("from")?, get("target")?, get("port")?);
        if let Some(extra) = m.keys().next() {
            return Err(format!("has the unknown key \"{extra}\"; give {form}"));
        }
        return Ok(found);
    }
    Err(format!("must be {form}, got {}", describe(item)))
}
