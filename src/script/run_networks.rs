//! `run`'s `network` option: network names, handles, or maps that give a
//! container a fixed address and extra aliases on one network, like
//! `network::connect` does for a running container:
//! `network: [#{name: "front", ip: "10.1.0.10", aliases: ["www"]}, "back"]`.

use std::collections::HashMap;
use std::net::IpAddr;

use rhai::{Array, Dynamic, Map};

use super::convert::{ArgResult, Options, describe, network_ref};
use crate::docker::spec::EndpointSpec;

/// Keys of one network map in `run`'s `network` option.
pub(crate) const RUN_NETWORK_KEYS: &[&str] = &["name", "ip", "ip6", "aliases"];

impl Options {
    /// `run`'s networks in order, and the settings given for single networks.
    pub(crate) fn run_networks(
        &mut self,
        key: &str,
    ) -> ArgResult<(Vec<String>, HashMap<String, EndpointSpec>)> {
        let items: Array = match self.take(key) {
            None => return Ok((Vec::new(), HashMap::new())),
            Some(v) if v.is_array() => v.cast::<Array>(),
            Some(v) => vec![v],
        };
        if items.is_empty() {
            return Err(format!(
                "option \"{key}\" is an empty array; leave it out for the default network"
            ));
        }
        let mut networks = Vec::new();
        let mut endpoints = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let what = match items.len() {
                1 => format!("option \"{key}\""),
                _ => format!("item {} of option \"{key}\"", i + 1),
            };
            let (name, endpoint) = match item.read_lock::<Map>() {
                Some(map) => network_map(&what, &map)?,
                None => (network_ref(&what, item)?, None),
            };
            if networks.contains(&name) {
                return Err(format!(
                    "option \"{key}\" names network {name:?} twice; give each network once"
                ));
            }
            if let Some(e) = endpoint {
                endpoints.insert(name.clone(), e);
            }
            networks.push(name);
        }
        Ok((networks, endpoints))
    }
}

/// One `#{name, ip, ip6, aliases}` map.
fn network_map(what: &str, map: &Map) -> ArgResult<(String, Option<EndpointSpec>)> {
    for k in map.keys() {
        if !RUN_NETWORK_KEYS.contains(&k.as_str()) {
            return Err(format!(
                "{what}: unknown key \"{k}\" in a network map; valid keys: {}",
                RUN_NETWORK_KEYS.join(", ")
            ));
        }
    }
    let name = match map.get("name") {
        Some(n) => network_ref(&format!("{what}: \"name\""), n)?,
        None => {
            return Err(format!(
                "{what}: a network map needs \"name\", like #{{name: \"front\", ip: \"10.1.0.10\"}}"
            ));
        }
    };
    let mut endpoint = EndpointSpec::default();
    if let Some(v) = map.get("ip") {
        match address(what, "ip", v)? {
            IpAddr::V4(a) => endpoint.ipv4 = Some(a.to_string()),
            IpAddr::V6(a) => endpoint.ipv6 = Some(a.to_string()),
        }
    }
    if let Some(v) = map.get("ip6") {
        let IpAddr::V6(a) = address(what, "ip6", v)? else {
            return Err(format!(
                "{what}: \"ip6\" must be an IPv6 address like \"fd00::10\"; put an IPv4 address in \"ip\""
            ));
        };
        if endpoint.ipv6.is_some() {
            return Err(format!(
                "{what}: \"ip\" and \"ip6\" both give an IPv6 address; give one of them"
            ));
        }
        endpoint.ipv6 = Some(a.to_string());
    }
    if let Some(v) = map.get("aliases") {
        endpoint.aliases = aliases(what, v)?;
    }
    let given = endpoint != EndpointSpec::default();
    Ok((name, given.then_some(endpoint)))
}

fn address(what: &str, key: &str, v: &Dynamic) -> ArgResult<IpAddr> {
    let text = v.clone().into_string().map_err(|_| {
        format!(
            "{what}: \"{key}\" must be an address string like \"10.1.0.10\", got {}",
            describe(v)
        )
    })?;
    text.trim()
        .parse()
        .map_err(|_| format!("{what}: \"{key}\": {text:?} is not an IP address"))
}

fn aliases(what: &str, v: &Dynamic) -> ArgResult<Vec<String>> {
    let form = format!("{what}: \"aliases\" must be an array of names");
    let items: Array = if v.is_string() {
        vec![v.clone()]
    } else {
        v.clone()
            .try_cast::<Array>()
            .ok_or_else(|| format!("{form}, got {}", describe(v)))?
    };
    items
        .iter()
        .map(|a| match a.clone().into_string() {
            Ok(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(format!("{form}, but one item is {}", describe(a))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::convert::{RUN_OPTIONS, run_spec};
    use rhai::Engine;

    fn map(src: &str) -> Dynamic {
        Engine::new().eval::<Dynamic>(src).unwrap()
    }

    #[test]
    fn maps_and_names_mix_in_order() {
        let spec = run_spec(
            "busybox",
            map(
                r#"#{network: [#{name: "a", ip: "10.1.0.10", aliases: ["x", "y"]}, "b",
                               #{name: "c", ip: "fd00::5"}]}"#,
            ),
        )
        .unwrap();
        assert_eq!(spec.networks, vec!["a", "b", "c"]);
        let a = &spec.endpoints["a"];
        assert_eq!(a.ipv4.as_deref(), Some("10.1.0.10"));
        assert_eq!(a.aliases, vec!["x", "y"]);
        assert!(!spec.endpoints.contains_key("b"));
        assert_eq!(spec.endpoints["c"].ipv6.as_deref(), Some("fd00::5"));
        // A lone map works like a lone name.
        let one = run_spec(
            "busybox",
            map(r#"#{network: #{name: "a", ip6: "fd00::9"}}"#),
        )
        .unwrap();
        assert_eq!(one.networks, vec!["a"]);
        assert_eq!(one.endpoints["a"].ipv6.as_deref(), Some("fd00::9"));
        assert!(RUN_OPTIONS.contains(&"network"));
    }

    #[test]
    fn bad_network_maps_say_what_is_wrong() {
        let err = |src: &str| run_spec("busybox", map(src)).unwrap_err();
        let e = err(r#"#{network: [#{ip: "10.1.0.10"}, "b"]}"#);
        assert!(
            e.contains("item 1 of option \"network\": a network map needs \"name\""),
            "{e}"
        );
        let e = err(r#"#{network: [#{name: "a", ipv4: "10.1.0.10"}]}"#);
        assert!(
            e.contains("unknown key \"ipv4\"") && e.contains("name, ip, ip6, aliases"),
            "{e}"
        );
        let e = err(r#"#{network: #{name: "a", ip: "10.1.0.300"}}"#);
        assert!(
            e.contains("\"ip\": \"10.1.0.300\" is not an IP address"),
            "{e}"
        );
        let e = err(r#"#{network: #{name: "a", ip: 10}}"#);
        assert!(e.contains("must be an address string"), "{e}");
        let e = err(r#"#{network: #{name: "a", ip6: "10.0.0.1"}}"#);
        assert!(e.contains("\"ip6\" must be an IPv6 address"), "{e}");
        let e = err(r#"#{network: #{name: "a", aliases: [1]}}"#);
        assert!(e.contains("\"aliases\" must be an array of names"), "{e}");
        let e = err(r#"#{network: ["a", #{name: "a"}]}"#);
        assert!(e.contains("names network \"a\" twice"), "{e}");
        let e = err(r#"#{network: []}"#);
        assert!(e.contains("empty array"), "{e}");
        let e = err(r#"#{network: [42]}"#);
        assert!(
            e.contains("network handle or a network name, got 42"),
            "{e}"
        );
    }
}
