//! Results shown for people: arrays of maps as aligned tables, handles as a
//! one-line summary (name, short id, networks with addresses, published
//! ports), maps pretty-printed; or everything as raw JSON after `:json`.

use std::fmt::Write;

use rhai::{Array, Dynamic, Map};
use serde_json::Value;

use crate::script::handles::{ContainerHandle, NetworkHandle};
use crate::text::plural;
use crate::text::short_id;

/// What the daemon says about a container, for its summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ContainerFacts {
    /// `running`, `exited`, …
    pub(crate) state: String,
    /// `(network, address)`.
    pub(crate) networks: Vec<(String, String)>,
    /// `host_ip:host_port->port/proto`.
    pub(crate) ports: Vec<String>,
}

/// What the daemon says about a network, for its summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NetworkFacts {
    /// Driver.
    pub(crate) driver: String,
    /// Subnets.
    pub(crate) subnets: Vec<String>,
    /// Names of attached containers.
    pub(crate) containers: Vec<String>,
}

/// Where summaries get their facts (the daemon, in the REPL). `None` means
/// the resource is gone.
pub(crate) trait Facts {
    /// Facts about these containers (by id), in order.
    fn containers(&self, ids: &[String]) -> Vec<Option<ContainerFacts>>;
    /// Facts about these networks (by id), in order.
    fn networks(&self, ids: &[String]) -> Vec<Option<NetworkFacts>>;
}

/// The text to print for a result, or `None` for nothing (`()`).
pub(crate) fn render(value: &Dynamic, json: bool, facts: &dyn Facts) -> Option<String> {
    if value.is_unit() {
        return None;
    }
    if json {
        return Some(serde_json::to_string_pretty(&to_json(value)).unwrap_or_default());
    }
    if let Some(h) = value.read_lock::<ContainerHandle>() {
        let f = facts
            .containers(std::slice::from_ref(&h.id))
            .pop()
            .flatten();
        return Some(container_line(&h, f.as_ref()));
    }
    if let Some(h) = value.read_lock::<NetworkHandle>() {
        let f = facts.networks(std::slice::from_ref(&h.id)).pop().flatten();
        return Some(network_line(&h, f.as_ref()));
    }
    if let Some(h) = value.read_lock::<crate::script::hosts::HostHandle>() {
        return Some(h.to_string());
    }
    if let Some(h) = value.read_lock::<crate::script::service::ServiceHandle>() {
        return Some(h.to_string());
    }
    if let Some(items) = value.read_lock::<Array>() {
        return Some(array(&items, facts));
    }
    if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
        // Text as text: `logs(web)` reads better without quotes and `\n`s.
        return Some(s.trim_end_matches('\n').to_string());
    }
    Some(pretty(value, 0))
}

/// `container web 3f2a1b2c4d5e  running  my_net 172.18.0.2  0.0.0.0:8080->80/tcp`.
pub(crate) fn container_line(h: &ContainerHandle, facts: Option<&ContainerFacts>) -> String {
    let mut line = format!("container {} {}", h.name, short_id(&h.id));
    let Some(f) = facts else {
        return format!("{line}  (removed)");
    };
    let _ = write!(line, "  {}", f.state);
    let nets: Vec<String> = f
        .networks
        .iter()
        .map(|(n, ip)| {
            if ip.is_empty() {
                n.clone()
            } else {
                format!("{n} {ip}")
            }
        })
        .collect();
    if !nets.is_empty() {
        let _ = write!(line, "  {}", nets.join(", "));
    }
    if !f.ports.is_empty() {
        let _ = write!(line, "  {}", f.ports.join(", "));
    }
    line
}

/// `network my_net 9a8b7c6d5e4f  bridge 172.18.0.0/16  2 containers: web, db`.
pub(crate) fn network_line(h: &NetworkHandle, facts: Option<&NetworkFacts>) -> String {
    let mut line = format!("network {} {}", h.name, short_id(&h.id));
    let Some(f) = facts else {
        return format!("{line}  (removed)");
    };
    let _ = write!(line, "  {}", f.driver);
    if !f.subnets.is_empty() {
        let _ = write!(line, " {}", f.subnets.join(", "));
    }
    match f.containers.as_slice() {
        [] => line.push_str("  no containers"),
        names => {
            let _ = write!(
                line,
                "  {}: {}",
                plural(names.len(), "container"),
                names.join(", ")
            );
        }
    }
    line
}

fn array(items: &Array, facts: &dyn Facts) -> String {
    if items.is_empty() {
        return "[]".to_string();
    }
    if items.iter().all(|i| i.is::<ContainerHandle>()) {
        let handles: Vec<ContainerHandle> = items
            .iter()
            .filter_map(|i| i.read_lock::<ContainerHandle>().map(|h| h.clone()))
            .collect();
        let ids: Vec<String> = handles.iter().map(|h| h.id.clone()).collect();
        let rows = handles
            .iter()
            .zip(facts.containers(&ids))
            .map(|(h, f)| {
                let f = f.unwrap_or_else(|| ContainerFacts {
                    state: "removed".into(),
                    ..Default::default()
                });
                vec![
                    h.name.clone(),
                    short_id(&h.id).to_string(),
                    f.state,
                    f.networks
                        .iter()
                        .map(|(n, ip)| format!("{n} {ip}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    f.ports.join(", "),
                ]
            })
            .collect::<Vec<_>>();
        let headers = ["name", "id", "state", "networks", "ports"].map(String::from);
        return crate::table::render(&headers, &rows);
    }
    if items.iter().all(|i| i.is::<NetworkHandle>()) {
        let handles: Vec<NetworkHandle> = items
            .iter()
            .filter_map(|i| i.read_lock::<NetworkHandle>().map(|h| h.clone()))
            .collect();
        let ids: Vec<String> = handles.iter().map(|h| h.id.clone()).collect();
        let rows = handles
            .iter()
            .zip(facts.networks(&ids))
            .map(|(h, f)| {
                let f = f.unwrap_or_default();
                vec![
                    h.name.clone(),
                    short_id(&h.id).to_string(),
                    f.driver,
                    f.subnets.join(", "),
                    f.containers.join(", "),
                ]
            })
            .collect::<Vec<_>>();
        let headers = ["name", "id", "driver", "subnet", "containers"].map(String::from);
        return crate::table::render(&headers, &rows);
    }
    if items.iter().all(Dynamic::is_map)
        && let Ok(text) = crate::table::from_rows(items)
    {
        return text;
    }
    pretty(&Dynamic::from_array(items.clone()), 0)
}

/// Rhai-literal text of a value, on one line when it fits, else indented.
pub(crate) fn pretty(value: &Dynamic, indent: usize) -> String {
    let flat = flat(value);
    if flat.chars().count() + indent <= 78 || !(value.is_map() || value.is_array()) {
        return flat;
    }
    let pad = "  ".repeat(indent + 1);
    let close = "  ".repeat(indent);
    if let Some(map) = value.read_lock::<Map>() {
        let body: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{pad}{}: {}", key(k), block(v, indent + 1)))
            .collect();
        return format!("#{{\n{}\n{close}}}", body.join(",\n"));
    }
    if let Some(items) = value.read_lock::<Array>() {
        let body: Vec<String> = items
            .iter()
            .map(|v| format!("{pad}{}", pretty(v, indent + 1)))
            .collect();
        return format!("[\n{}\n{close}]", body.join(",\n"));
    }
    flat
}

/// Like [`pretty`], but text of several lines (an exec's `stdout`) is shown
/// as it reads, in a backtick string, which Rhai also accepts.
fn block(value: &Dynamic, indent: usize) -> String {
    if let Some(s) = value.read_lock::<rhai::ImmutableString>()
        && s.trim_end().contains('\n')
        && !s.contains('`')
        && !s.contains("${")
    {
        return format!("`{}`", s.as_str());
    }
    pretty(value, indent)
}

fn flat(value: &Dynamic) -> String {
    if let Some(map) = value.read_lock::<Map>() {
        let body: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{}: {}", key(k), flat(v)))
            .collect();
        return format!("#{{{}}}", body.join(", "));
    }
    if let Some(items) = value.read_lock::<Array>() {
        let body: Vec<String> = items.iter().map(flat).collect();
        return format!("[{}]", body.join(", "));
    }
    if let Some(h) = value.read_lock::<ContainerHandle>() {
        return h.to_string();
    }
    if let Some(h) = value.read_lock::<NetworkHandle>() {
        return h.to_string();
    }
    if value.is_unit() {
        return "()".to_string();
    }
    format!("{value:?}")
}

/// A map key as Rhai would accept it: bare when it is a name, quoted if not.
fn key(k: &str) -> String {
    let mut chars = k.chars();
    let bare = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_');
    if bare {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

/// A value as JSON; handles become `{"container": name, "id": id}`.
pub(crate) fn to_json(value: &Dynamic) -> Value {
    if let Some(h) = value.read_lock::<ContainerHandle>() {
        return serde_json::json!({"container": h.name, "id": h.id});
    }
    if let Some(h) = value.read_lock::<NetworkHandle>() {
        return serde_json::json!({"network": h.name, "id": h.id});
    }
    if let Some(map) = value.read_lock::<Map>() {
        return Value::Object(
            map.iter()
                .map(|(k, v)| (k.to_string(), to_json(v)))
                .collect(),
        );
    }
    if let Some(items) = value.read_lock::<Array>() {
        return Value::Array(items.iter().map(to_json).collect());
    }
    rhai::serde::from_dynamic::<Value>(value).unwrap_or_else(|_| Value::String(value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Known;
    impl Facts for Known {
        fn containers(&self, ids: &[String]) -> Vec<Option<ContainerFacts>> {
            ids.iter()
                .map(|id| {
                    (id != "gone").then(|| ContainerFacts {
                        state: "running".into(),
                        networks: vec![("my_net".into(), "172.18.0.2".into())],
                        ports: vec!["0.0.0.0:8080->80/tcp".into()],
                    })
                })
                .collect()
        }
        fn networks(&self, ids: &[String]) -> Vec<Option<NetworkFacts>> {
            ids.iter()
                .map(|_| {
                    Some(NetworkFacts {
                        driver: "bridge".into(),
                        subnets: vec!["172.18.0.0/16".into()],
                        containers: vec!["db".into(), "web".into()],
                    })
                })
                .collect()
        }
    }

    fn web(id: &str) -> Dynamic {
        Dynamic::from(ContainerHandle::detached(id, "web"))
    }

    #[test]
    fn handles_are_one_line_summaries() {
        assert_eq!(
            render(&web("3f2a1b2c4d5e6f"), false, &Known).unwrap(),
            "container web 3f2a1b2c4d5e  running  my_net 172.18.0.2  0.0.0.0:8080->80/tcp"
        );
        assert_eq!(
            render(&web("gone"), false, &Known).unwrap(),
            "container web gone  (removed)"
        );
        let net = Dynamic::from(NetworkHandle::detached("9a8b7c6d5e4f00", "my_net"));
        assert_eq!(
            render(&net, false, &Known).unwrap(),
            "network my_net 9a8b7c6d5e4f  bridge 172.18.0.0/16  2 containers: db, web"
        );
    }

    #[test]
    fn arrays_of_handles_and_maps_are_tables() {
        let handles = Dynamic::from_array(vec![web("aaaaaaaaaaaaaaa"), web("bbbbbbbbbbbbbbbb")]);
        let text = render(&handles, false, &Known).unwrap();
        assert!(text.starts_with("NAME"), "{text}");
        assert_eq!(text.lines().count(), 3, "{text}");
        let rows: Dynamic = rhai::Engine::new()
            .eval(r#"[#{name: "a", id: "1"}, #{name: "bb", id: "2"}]"#)
            .unwrap();
        let text = render(&rows, false, &Known).unwrap();
        assert_eq!(
            text.lines()
                .next()
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["NAME", "ID"]
        );
    }

    #[test]
    fn maps_are_pretty_and_json_is_raw() {
        let small: Dynamic = rhai::Engine::new()
            .eval(r#"#{exit_code: 0, stdout: "hi\n", "com.docker.x": true}"#)
            .unwrap();
        assert_eq!(
            render(&small, false, &Known).unwrap(),
            r#"#{"com.docker.x": true, exit_code: 0, stdout: "hi\n"}"#
        );
        let big: Dynamic = rhai::Engine::new()
            .eval(r#"#{Name: "bridge", IPAM: #{Config: [#{Subnet: "172.17.0.0/16", Gateway: "172.17.0.1"}], Driver: "default"}}"#)
            .unwrap();
        let text = render(&big, false, &Known).unwrap();
        assert!(text.starts_with("#{\n  IPAM: #{"), "{text}");
        let exec: Dynamic = rhai::Engine::new()
            .eval(r#"#{exit_code: 0, stderr: "", stdout: "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"}"#)
            .unwrap();
        let text = render(&exec, false, &Known).unwrap();
        assert!(
            text.contains(
                "  stdout: `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n`"
            ),
            "{text}"
        );
        let back: Dynamic = rhai::Engine::new().eval(&text).unwrap();
        assert_eq!(back.to_string(), exec.to_string(), "the text is Rhai again");
        let json = render(&big, true, &Known).unwrap();
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["IPAM"]["Config"][0]["Subnet"], "172.17.0.0/16");
        assert_eq!(
            to_json(&web("x")),
            serde_json::json!({"container": "web", "id": "x"})
        );
    }

    #[test]
    fn strings_print_as_text_and_unit_as_nothing() {
        assert_eq!(
            render(&Dynamic::from("a\nb\n"), false, &Known).unwrap(),
            "a\nb"
        );
        assert_eq!(render(&Dynamic::UNIT, false, &Known), None);
        assert_eq!(render(&Dynamic::from(42_i64), false, &Known).unwrap(), "42");
    }
}
