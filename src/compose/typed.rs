//! From checked YAML to `docker-compose-types`' typed `Compose`. Compose
//! accepts a few shorthands the crate's types do not (`ports: [80]`,
//! `dns: 1.1.1.1`, `extra_hosts` as a map, numbers in command lists), so
//! they are written out in the long form first. When the crate still
//! refuses a value, the key at fault is found and named with the form it
//! should have.

use docker_compose_types::{Compose, NetworkSettings, Service};
use serde_norway::{Mapping, Value};

use super::error::Problem;
use super::interpolate::key_text;
use super::source::child;

/// Reads `value` (already checked against the schema) as a typed Compose file.
pub(crate) fn parse(mut value: Value) -> Result<Compose, Vec<Problem>> {
    normalise(&mut value);
    serde_norway::from_value::<Compose>(value.clone()).map_err(|whole| {
        let found = locate(&value);
        match found.is_empty() {
            true => vec![Problem::at(
                "",
                format!("not a Compose file netrig can read: {whole}"),
            )],
            false => found,
        }
    })
}

/// Writes Compose's shorthands out in the forms the typed model reads.
fn normalise(value: &mut Value) {
    let Some(services) = value.get_mut("services").and_then(Value::as_mapping_mut) else {
        return;
    };
    for (_, svc) in services.iter_mut() {
        let Some(svc) = svc.as_mapping_mut() else {
            continue;
        };
        for key in [
            "ports",
            "expose",
            "dns",
            "cap_add",
            "command",
            "entrypoint",
            "env_file",
        ] {
            if let Some(v) = svc.get_mut(key) {
                scalars_to_strings(v, matches!(key, "dns" | "cap_add" | "expose"));
            }
        }
        if let Some(Value::Sequence(ports)) = svc.get_mut("ports") {
            mixed_ports(ports);
        }
        if let Some(test) = svc.get_mut("healthcheck").and_then(|h| h.get_mut("test")) {
            scalars_to_strings(test, false);
        }
        if let Some(hosts) = svc.get_mut("extra_hosts") {
            *hosts = Value::Sequence(extra_hosts(hosts));
        }
        if let Some(Value::Mapping(labels)) = svc.get_mut("labels") {
            map_values_to_strings(labels);
        }
    }
    if let Some(networks) = value.get_mut("networks").and_then(Value::as_mapping_mut) {
        for (_, net) in networks.iter_mut() {
            if let Some(Value::Mapping(labels)) = net.get_mut("labels") {
                map_values_to_strings(labels);
            }
        }
    }
}

/// Numbers and booleans in a list (or, with `listify`, a lone scalar) become strings.
fn scalars_to_strings(v: &mut Value, listify: bool) {
    match v {
        Value::Sequence(items) => items.iter_mut().for_each(scalar_to_string),
        Value::Number(_) | Value::String(_) if listify => {
            let mut one = v.clone();
            scalar_to_string(&mut one);
            *v = Value::Sequence(vec![one]);
        }
        _ => {}
    }
}

fn scalar_to_string(v: &mut Value) {
    match v {
        Value::Number(n) => *v = Value::String(n.to_string()),
        Value::Bool(b) => *v = Value::String(b.to_string()),
        _ => {}
    }
}

fn map_values_to_strings(map: &mut Mapping) {
    for (_, v) in map.iter_mut() {
        scalar_to_string(v);
    }
}

/// A list that mixes short and long port forms (valid Compose, but the
/// typed model takes one form per list): the long items are written short.
fn mixed_ports(ports: &mut [Value]) {
    let short = ports.iter().any(|p| p.is_string());
    if !short {
        return;
    }
    for p in ports.iter_mut() {
        let Value::Mapping(m) = p else { continue };
        let text = |k: &str| m.get(k).map(key_text);
        let only_known = m.keys().all(|k| {
            matches!(
                key_text(k).as_str(),
                "target" | "published" | "host_ip" | "protocol" | "mode"
            )
        });
        let mode_ok = text("mode").is_none_or(|m| m == "host" || m == "ingress");
        let Some(target) = text("target").filter(|_| only_known && mode_ok) else {
            continue;
        };
        let host = match (text("host_ip"), text("published")) {
            (Some(ip), p) if ip.contains(':') => format!("[{ip}]:{}:", p.unwrap_or_default()),
            (Some(ip), p) => format!("{ip}:{}:", p.unwrap_or_default()),
            (None, Some(p)) => format!("{p}:"),
            (None, None) => String::new(),
        };
        let proto = text("protocol").unwrap_or_else(|| "tcp".into());
        *p = Value::String(format!("{host}{target}/{proto}"));
    }
}

/// `extra_hosts` as Docker wants it: `name:address` strings, from a map or
/// from `name=address` items.
fn extra_hosts(v: &Value) -> Vec<Value> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => key_text(other),
    };
    match v {
        Value::Mapping(map) => map
            .iter()
            .map(|(k, addr)| Value::String(format!("{}:{}", key_text(k), text(addr))))
            .collect(),
        Value::Sequence(items) => items
            .iter()
            .map(|i| {
                let s = text(i);
                Value::String(match s.split_once('=') {
                    Some((host, addr)) => format!("{host}:{addr}"),
                    None => s,
                })
            })
            .collect(),
        other => vec![Value::String(text(other))],
    }
}

/// The keys the typed model refuses, each with the form it wants.
fn locate(value: &Value) -> Vec<Problem> {
    let mut found = Vec::new();
    for (section, one) in [("services", true), ("networks", false)] {
        let Some(map) = value.get(section).and_then(Value::as_mapping) else {
            continue;
        };
        for (name, body) in map {
            let base = child(section, &key_text(name));
            let Some(fields) = body.as_mapping() else {
                if !body.is_null() {
                    found.push(Problem::at(&base, "must be a map of settings"));
                }
                continue;
            };
            for (k, v) in fields {
                let key = key_text(k);
                let single = Value::Mapping(Mapping::from_iter([(k.clone(), v.clone())]));
                let refused = match one {
                    true => serde_norway::from_value::<Service>(single).err(),
                    false => serde_norway::from_value::<NetworkSettings>(single).err(),
                };
                if let Some(e) = refused {
                    found.push(Problem::at(
                        child(&base, &key),
                        explain(&key, &e.to_string()),
                    ));
                }
            }
        }
    }
    found
}

/// A message for a refused value: the form it should have, where serde's
/// own words ("did not match any variant") would not help.
fn explain(key: &str, serde_says: &str) -> String {
    let form = match key {
        "ports" => {
            "a list of \"[host_ip:][published:]target[/protocol]\" strings or of maps with target, published, host_ip, protocol, mode"
        }
        "environment" => "a map of NAME: value, or a list of \"NAME=value\" strings",
        "networks" => {
            "a list of network names, or a map of network name to {aliases, ipv4_address, ipv6_address}"
        }
        "depends_on" => {
            "a list of service names, or a map of service name to {condition, required}"
        }
        "command" | "entrypoint" => "a string or a list of strings",
        "labels" => "a map of strings, or a list of \"key=value\" strings",
        "env_file" => "a file name or a list of file names",
        "external" => "true, false or {name: NAME}",
        _ => "",
    };
    match (form, serde_says.contains("did not match any variant")) {
        ("", _) | (_, false) => format!("cannot read this value: {serde_says}"),
        (form, true) => format!("must be {form}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use docker_compose_types::{Networks, Ports};

    fn typed(yaml: &str) -> Result<Compose, Vec<Problem>> {
        parse(serde_norway::from_str(yaml).unwrap())
    }

    #[test]
    fn shorthands_are_read() {
        let c = typed(
            "services:\n  web:\n    image: busybox\n    ports: [80, \"8080:80\"]\n    expose: 9000\n    dns: 10.0.0.53\n    command: [sleep, 300]\n    extra_hosts: {gw: 10.0.0.1}\n    labels: {tier: 1}\n    networks: [front]\n",
        )
        .unwrap();
        let web = c.services.0["web"].clone().unwrap();
        assert_eq!(web.ports, Ports::Short(vec!["80".into(), "8080:80".into()]));
        assert_eq!(web.expose, vec!["9000"]);
        assert_eq!(web.dns, vec!["10.0.0.53"]);
        assert_eq!(web.extra_hosts, vec!["gw:10.0.0.1"]);
        assert_eq!(web.networks, Networks::Simple(vec!["front".into()]));
        let c =
            typed("services:\n  w:\n    extra_hosts: [\"a=1.2.3.4\", \"b:5.6.7.8\"]\n").unwrap();
        assert_eq!(
            c.services.0["w"].clone().unwrap().extra_hosts,
            vec!["a:1.2.3.4", "b:5.6.7.8"]
        );
    }

    #[test]
    fn refused_values_are_named_with_their_form() {
        let e =
            typed("services:\n  web:\n    image: busybox\n    ports: {a: b}\n    environment: 5\n")
                .unwrap_err();
        let paths: Vec<_> = e.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec!["services.web.ports", "services.web.environment"]
        );
        assert!(
            e[0].message.starts_with("must be a list of"),
            "{}",
            e[0].message
        );
        let e = typed("networks:\n  front:\n    internal: maybe\n").unwrap_err();
        assert_eq!(e[0].path, "networks.front.internal");
        assert!(
            e[0].message.contains("cannot read this value"),
            "{}",
            e[0].message
        );
        let e = typed("services:\n  web: 5\n").unwrap_err();
        assert_eq!(e[0].path, "services.web");
    }
}
