//! Batch functions: `run_all`, `create_networks`, `ping_all`, `exec_all`.
//! Each does many independent calls at once and returns the results in the
//! order given; creation is all or nothing.

use rhai::{Array, Dynamic, Map};

use super::api::{Api, Call};
use super::checks::report_map;
use super::container::exec_map;
use super::convert::{self, describe};
use super::error::{ScriptResult, invalid};
use crate::docker::BatchError;
use crate::docker::ResourceKind;

/// Defines `run_all`, `create_networks`, `ping_all` and `exec_all`.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "run_all",
        &["specs: Array", "Array"],
        "Run many containers at once: each spec is a map with `image` and any `run` option.\n\
         Returns the handles in the order of the specs. If one fails, the others are removed\n\
         again and the error lists every failure.\n\
         ```rhai\nlet boxes = run_all([#{image: \"busybox\", name: \"a\", network: \"n\", cmd: \"sleep 600\"},\n                     #{image: \"busybox\", name: \"b\", network: \"n\", cmd: \"sleep 600\"}]);\n```",
        run_all,
    );
    api.function(
        "create_networks",
        &["specs: Array", "Array"],
        "Create many networks at once: each item is a name, or a map with `name` and any\n\
         `network::create` option. Returns the handles in order; if one fails, the others\n\
         are removed again and the error lists every failure.\n\
         ```rhai\nlet nets = create_networks([\"front\", #{name: \"back\", internal: true}]);\n```",
        create_networks,
    );
    api.function(
        "ping_all",
        &["pairs: Array", "[count: int]", "Array"],
        "Ping many `[from, target]` pairs at once, `count` times each (3 unless told); returns\n\
         one `#{from, target, ok, sent, received, loss_pct, rtt_ms}` per pair, in order.\n\
         ```rhai\nfor r in ping_all([[a, b], [b, a]]) { assert(r.ok, `${r.from} -> ${r.target}`); }\nlet results = ping_all([[a, \"b\"], [a, c.ip()]], 1);\n```",
        |cx: &Call, pairs: Array, count: Option<i64>| {
            let count = count.unwrap_or(3);
            if !(1..=1000).contains(&count) {
                return Err(cx.invalid(format!(
                    "count must be between 1 and 1000, got {count}"
                )));
            }
            ping_all(cx, pairs, count as u32)
        },
    );
    api.function(
        "exec_all",
        &["items: Array", "Array"],
        "Run many `[container, command]` items at once; returns one\n\
         `#{exit_code, stdout, stderr}` per item, in order.\n\
         ```rhai\nlet out = exec_all([[a, \"hostname\"], [b, [\"cat\", \"/etc/hosts\"]]]);\n```",
        exec_all,
    );
}

/// Waits for a batch, turning its failure into a script error of the
/// first failure's kind.
fn wait_batch<T>(cx: &Call, fut: impl Future<Output = Result<T, BatchError>>) -> ScriptResult<T> {
    cx.wait(async { Ok(fut.await) })?.map_err(|e| {
        // The script hears about its own names, not the run's Docker names.
        cx.fail(e.kind(), cx.session.names().script_text(&e.to_string()))
    })
}

/// Checks every item with `convert`, failing on the first bad one and
/// naming its position; nothing has been asked of the daemon yet.
fn items<T>(
    function: &str,
    items: Array,
    mut convert: impl FnMut(Dynamic) -> Result<T, String>,
) -> ScriptResult<Vec<T>> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| convert(item).map_err(|e| invalid(function, format!("item {i}: {e}"))))
        .collect()
}

fn run_all(cx: &Call, specs: Array) -> ScriptResult<Array> {
    let specs = items(cx.name(), specs, |item| {
        let Some(mut map) = item.clone().try_cast::<Map>() else {
            return Err(format!(
                "must be a map like #{{image: \"busybox\", name: \"a\"}}, got {}",
                describe(&item)
            ));
        };
        let image = match map.remove("image") {
            Some(v) if v.is_string() => v.to_string(),
            Some(v) => return Err(format!("\"image\" must be a string, got {}", describe(&v))),
            None => return Err("has no \"image\"; give one like #{image: \"busybox\"}".into()),
        };
        convert::run_spec(&image, Dynamic::from_map(map))
    })?;
    let observer = crate::progress::pull_observer(cx.show_progress);
    let ctrs = wait_batch(cx, cx.session.run_all(&specs, &*observer))?;
    Ok(ctrs
        .into_iter()
        .map(|c| Dynamic::from(cx.container_handle(c.id, &c.name)))
        .collect())
}

fn create_networks(cx: &Call, specs: Array) -> ScriptResult<Array> {
    let specs = items(cx.name(), specs, |item| {
        if item.is_string() {
            return convert::network_spec(&item.to_string(), Dynamic::UNIT);
        }
        let Some(mut map) = item.clone().try_cast::<Map>() else {
            return Err(format!(
                "must be a network name or a map like #{{name: \"front\"}}, got {}",
                describe(&item)
            ));
        };
        let name = match map.remove("name") {
            Some(v) if v.is_string() => v.to_string(),
            Some(v) => return Err(format!("\"name\" must be a string, got {}", describe(&v))),
            None => return Err("has no \"name\"; give one like #{name: \"front\"}".into()),
        };
        convert::network_spec(&name, Dynamic::from_map(map))
    })?;
    let nets = wait_batch(cx, cx.session.create_networks(&specs))?;
    Ok(nets
        .into_iter()
        .map(|n| Dynamic::from(cx.network_handle(n.id, &n.name)))
        .collect())
}

/// The two halves of a `[a, b]` item.
fn pair(item: &Dynamic, form: &str) -> Result<(Dynamic, Dynamic), String> {
    match item.clone().try_cast::<Array>() {
        Some(a) if a.len() == 2 => Ok((a[0].clone(), a[1].clone())),
        _ => Err(format!("must be a pair {form}, got {}", describe(item))),
    }
}

fn ping_all(cx: &Call, pairs: Array, count: u32) -> ScriptResult<Array> {
    let pairs = items(cx.name(), pairs, |item| {
        let (from, target) = pair(&item, "[from, target]")?;
        let from = convert::container_ref("from", &from)?;
        let target = convert::target_ref("target", &target)?;
        Ok((
            cx.session.docker_name(ResourceKind::Container, &from),
            target,
        ))
    })?;
    let reports = wait_batch(cx, cx.client().ping_all(&pairs, count))?;
    Ok(pairs
        .into_iter()
        .zip(reports)
        .map(|((from, target), r)| {
            let mut m = report_map(r);
            m.insert("from".into(), cx.script_name(&from).into());
            m.insert("target".into(), target.into());
            Dynamic::from_map(m)
        })
        .collect())
}

fn exec_all(cx: &Call, list: Array) -> ScriptResult<Array> {
    let list = items(cx.name(), list, |item| {
        let (ctr, cmd) = pair(&item, "[container, command]")?;
        let ctr = convert::container_ref("the container", &ctr)?;
        let words = convert::command_words("the command", &cmd)?;
        Ok((cx.session.docker_name(ResourceKind::Container, &ctr), words))
    })?;
    let outputs = wait_batch(cx, cx.client().exec_all(&list))?;
    Ok(outputs
        .iter()
        .map(|o| Dynamic::from_map(exec_map(o)))
        .collect())
}
