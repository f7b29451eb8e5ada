//! Batch functions: `run_all`, `create_networks`, `exec_all` and `pingall`
//! (`ping_all` and `tcp_all` are in `probe_batch.rs`).
//! Each does many independent calls at once and returns the results in the
//! order given; creation is all or nothing.

use rhai::{Array, Dynamic, Map};

use super::api::{Api, Call};
use super::container::exec_map;
use super::convert::{self, describe};
use super::error::{ScriptResult, invalid};
use crate::docker::ResourceKind;

/// Defines `run_all`, `create_networks`, `pingall` and `exec_all`.
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
        "pingall",
        &["String"],
        "Ping between every running container this run (or REPL session) created, once\n\
         each way, like Mininet's `pingall`; returns the table of who reaches whom. No import\n\
         needed; `reach::matrix` gives the same as data.\n\
         ```rhai\nprint(pingall());\n```",
        pingall,
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

/// Checks every item with `convert`, failing on the first bad one and
/// naming its position; nothing has been asked of the daemon yet.
pub(super) fn items<T>(
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
    let ctrs = cx.wait_batch(cx.session.run_all(&specs, &*observer))?;
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
    let nets = cx.wait_batch(cx.session.create_networks(&specs))?;
    Ok(nets
        .into_iter()
        .map(|n| {
            let handle = cx.network_handle(n.id, &n.name);
            Dynamic::from(handle.with_addresses(n.subnet, n.gateway))
        })
        .collect())
}

/// The two halves of a `[a, b]` item.
fn pair(item: &Dynamic, form: &str) -> Result<(Dynamic, Dynamic), String> {
    match item.clone().try_cast::<Array>() {
        Some(a) if a.len() == 2 => Ok((a[0].clone(), a[1].clone())),
        _ => Err(format!("must be a pair {form}, got {}", describe(item))),
    }
}

fn pingall(cx: &Call) -> ScriptResult<String> {
    let filter = std::collections::HashMap::from([(
        "label".to_string(),
        vec![cx.session.labels().run_filter()],
    )]);
    let mut names: Vec<String> = cx
        .wait(cx.client().list_containers(false, filter))?
        .into_iter()
        .map(|c| c.name)
        .collect();
    names.sort();
    if names.len() < 2 {
        return Ok(format!(
            "pingall needs two running containers of this session; it has {}",
            names.len()
        ));
    }
    let pairs: Vec<(String, String)> = names
        .iter()
        .flat_map(|a| {
            names
                .iter()
                .filter(move |b| *b != a)
                .map(move |b| (a.clone(), b.clone()))
        })
        .collect();
    let reports = cx.wait_batch(cx.client().ping_all(&pairs, 1))?;
    let ok: std::collections::HashSet<(&str, &str)> = pairs
        .iter()
        .zip(&reports)
        .filter(|(_, r)| r.ok)
        .map(|((a, b), _)| (a.as_str(), b.as_str()))
        .collect();
    let shown: Vec<String> = names.iter().map(|n| cx.script_name(n)).collect();
    let headers: Vec<String> = std::iter::once("FROM \\ TO".to_string())
        .chain(shown.iter().cloned())
        .collect();
    let rows: Vec<Vec<String>> = names
        .iter()
        .zip(&shown)
        .map(|(from, label)| {
            std::iter::once(label.clone())
                .chain(names.iter().map(|to| {
                    if from == to {
                        "-".into()
                    } else if ok.contains(&(from.as_str(), to.as_str())) {
                        "yes".into()
                    } else {
                        "no".into()
                    }
                }))
                .collect()
        })
        .collect();
    let dropped = pairs.len() - ok.len();
    Ok(format!(
        "{}\n{} of {} pairs reach each other ({dropped} dropped)",
        crate::table::render(&headers, &rows).trim_end(),
        ok.len(),
        pairs.len()
    ))
}

fn exec_all(cx: &Call, list: Array) -> ScriptResult<Array> {
    let list = items(cx.name(), list, |item| {
        let (ctr, cmd) = pair(&item, "[container, command]")?;
        let ctr = convert::container_ref("the container", &ctr)?;
        let words = super::container::exec_words(&cmd)?;
        Ok((cx.session.docker_name(ResourceKind::Container, &ctr), words))
    })?;
    let containers: Vec<Vec<String>> = list.iter().map(|(ctr, _)| vec![ctr.clone()]).collect();
    cx.running_items(&containers)?;
    let outputs = cx.wait_batch(cx.client().exec_all(&list))?;
    Ok(outputs
        .iter()
        .map(|o| Dynamic::from_map(exec_map(o)))
        .collect())
}
