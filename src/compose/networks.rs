//! The file's `networks:` section as netrig network specs, named as Compose
//! names them: `<project>_<key>` unless the network sets `name:`.

use std::net::IpAddr;

use docker_compose_types::{ComposeNetwork, Labels, NetworkSettings};

use super::error::Problem;
use super::plan::PlannedNetwork;
use crate::docker::spec::NetworkSpec;

/// A network a service may join, as the services' conversion needs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Known {
    /// The network as planned.
    pub planned: PlannedNetwork,
    /// Its subnets, to check fixed addresses against (empty: Docker picks).
    pub subnets: Vec<String>,
}

/// Converts one network entry (`settings` is `None` for `front:` with no body).
pub(crate) fn convert(
    project: &str,
    key: &str,
    settings: Option<&NetworkSettings>,
) -> Result<Known, Vec<Problem>> {
    let base = format!("networks.{key}");
    let default = NetworkSettings::default();
    let s = settings.unwrap_or(&default);
    let mut problems = Vec::new();
    let external_name = match &s.external {
        Some(ComposeNetwork::Bool(true)) => Some(s.name.clone().unwrap_or_else(|| key.to_string())),
        Some(ComposeNetwork::Detailed(d)) => Some(d.name.clone()),
        Some(ComposeNetwork::Bool(false)) | None => None,
    };
    if let Some(name) = external_name {
        let set = s.driver.is_some()
            || s.ipam.is_some()
            || s.internal
            || s.attachable
            || s.enable_ipv6
            || !s.driver_opts.is_empty();
        if set {
            problems.push(Problem::at(
                format!("{base}.external"),
                "an external network is made elsewhere: its driver, ipam, internal, attachable and enable_ipv6 cannot be set here",
            ));
            return Err(problems);
        }
        return Ok(Known {
            planned: PlannedNetwork {
                key: key.to_string(),
                spec: NetworkSpec::named(&name),
                external: true,
            },
            subnets: Vec::new(),
        });
    }
    let mut spec =
        NetworkSpec::named(&s.name.clone().unwrap_or_else(|| format!("{project}_{key}")));
    spec.driver = s.driver.clone();
    spec.internal = s.internal;
    spec.attachable = s.attachable;
    spec.ipv6 = s.enable_ipv6;
    spec.options = s
        .driver_opts
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_ref().map(|v| v.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    spec.labels = labels(&s.labels);
    let mut subnets = Vec::new();
    if let Some(ipam) = &s.ipam {
        if let Some(driver) = ipam.driver.as_deref().filter(|d| *d != "default") {
            problems.push(Problem::at(
                format!("{base}.ipam.driver"),
                format!(
                    "netrig creates networks with Docker's default IPAM driver, not {driver:?}"
                ),
            ));
        }
        for (i, pool) in ipam.config.iter().enumerate() {
            let at = format!("{base}.ipam.config[{i}]");
            if let Err(e) = check_cidr(&pool.subnet) {
                problems.push(Problem::at(format!("{at}.subnet"), e));
                continue;
            }
            if let Some(gw) = &pool.gateway {
                match gw.parse::<IpAddr>() {
                    Ok(ip) if !contains(&pool.subnet, ip) => problems.push(Problem::at(
                        format!("{at}.gateway"),
                        format!("gateway {gw} is not in subnet {}", pool.subnet),
                    )),
                    Ok(_) => {}
                    Err(_) => problems.push(Problem::at(
                        format!("{at}.gateway"),
                        format!("{gw:?} is not an IP address"),
                    )),
                }
            }
            subnets.push(pool.subnet.clone());
            if spec.subnet.is_none() {
                spec.subnet = Some(pool.subnet.clone());
                spec.gateway = pool.gateway.clone();
            } else {
                spec.extra_subnets
                    .push((pool.subnet.clone(), pool.gateway.clone()));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Known {
        planned: PlannedNetwork {
            key: key.to_string(),
            spec,
            external: false,
        },
        subnets,
    })
}

/// Compose labels (a map, or `key=value` items) as a map.
pub(crate) fn labels(labels: &Labels) -> std::collections::HashMap<String, String> {
    match labels {
        Labels::Map(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Labels::List(items) => items
            .iter()
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (kv.clone(), String::new()),
            })
            .collect(),
    }
}

/// Checks a CIDR such as `10.1.0.0/24` or `fd00::/64`.
pub(crate) fn check_cidr(cidr: &str) -> Result<(IpAddr, u8), String> {
    let bad = || format!("{cidr:?} is not a subnet like \"10.1.0.0/24\"");
    let (addr, len) = cidr.split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if len > max {
        return Err(format!(
            "{cidr:?}: a prefix of /{len} is longer than /{max}"
        ));
    }
    Ok((addr, len))
}

/// Whether `ip` lies in `cidr` (false when the families differ or the CIDR is bad).
pub(crate) fn contains(cidr: &str, ip: IpAddr) -> bool {
    let Ok((net, len)) = check_cidr(cidr) else {
        return false;
    };
    let (a, b, bits) = match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => (u32::from(n) as u128, u32::from(i) as u128, 32),
        (IpAddr::V6(n), IpAddr::V6(i)) => (u128::from(n), u128::from(i), 128),
        _ => return false,
    };
    let shift = bits - u32::from(len);
    shift >= bits || (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(yaml: &str) -> NetworkSettings {
        serde_norway::from_str(yaml).unwrap()
    }

    #[test]
    fn networks_take_compose_names_and_settings() {
        let s = settings(
            "driver: bridge\ninternal: true\nattachable: true\nenable_ipv6: true\ndriver_opts: {com.docker.network.bridge.name: br-x, mtu: 1400}\nlabels: [tier=back]\nipam:\n  config:\n    - subnet: 10.5.0.0/24\n      gateway: 10.5.0.1\n    - subnet: fd00:5::/64\n",
        );
        let k = convert("shop", "back", Some(&s)).unwrap();
        let spec = &k.planned.spec;
        assert_eq!(spec.name, "shop_back");
        assert!(spec.internal && spec.attachable && spec.ipv6);
        assert_eq!(spec.driver.as_deref(), Some("bridge"));
        assert_eq!(spec.subnet.as_deref(), Some("10.5.0.0/24"));
        assert_eq!(spec.gateway.as_deref(), Some("10.5.0.1"));
        assert_eq!(spec.extra_subnets, vec![("fd00:5::/64".to_string(), None)]);
        assert_eq!(spec.options["mtu"], "1400");
        assert_eq!(spec.labels["tier"], "back");
        assert_eq!(k.subnets, vec!["10.5.0.0/24", "fd00:5::/64"]);
        assert!(!k.planned.external);

        let named = convert("shop", "x", Some(&settings("name: exact-name\n"))).unwrap();
        assert_eq!(named.planned.spec.name, "exact-name");
        let plain = convert("shop", "default", None).unwrap();
        assert_eq!(plain.planned.spec.name, "shop_default");
    }

    #[test]
    fn external_networks_keep_their_name_and_take_no_settings() {
        let ext = convert("shop", "proxy", Some(&settings("external: true\n"))).unwrap();
        assert!(ext.planned.external);
        assert_eq!(ext.planned.spec.name, "proxy");
        let named = convert("shop", "p", Some(&settings("external: true\nname: edge\n"))).unwrap();
        assert_eq!(named.planned.spec.name, "edge");
        let legacy = convert("shop", "p", Some(&settings("external: {name: old}\n"))).unwrap();
        assert_eq!(legacy.planned.spec.name, "old");
        let e = convert(
            "shop",
            "p",
            Some(&settings("external: true\ninternal: true\n")),
        )
        .unwrap_err();
        assert_eq!(e[0].path, "networks.p.external");
    }

    #[test]
    fn bad_subnets_and_gateways_are_named() {
        let s = settings(
            "ipam:\n  driver: other\n  config:\n    - subnet: 10.5.0.0/33\n    - subnet: 10.6.0.0/24\n      gateway: 10.7.0.1\n",
        );
        let e = convert("p", "n", Some(&s)).unwrap_err();
        let paths: Vec<_> = e.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "networks.n.ipam.driver",
                "networks.n.ipam.config[0].subnet",
                "networks.n.ipam.config[1].gateway"
            ]
        );
        assert!(e[2].message.contains("not in subnet 10.6.0.0/24"));
    }

    #[test]
    fn subnet_membership() {
        assert!(contains("10.1.0.0/24", "10.1.0.9".parse().unwrap()));
        assert!(!contains("10.1.0.0/24", "10.1.1.9".parse().unwrap()));
        assert!(contains("0.0.0.0/0", "8.8.8.8".parse().unwrap()));
        assert!(contains("fd00::/64", "fd00::5".parse().unwrap()));
        assert!(!contains("fd00::/64", "10.1.0.9".parse().unwrap()));
    }
}
