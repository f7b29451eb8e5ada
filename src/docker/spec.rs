//! What a script asks for, in netrig's own terms, and the pure functions that
//! turn it into bollard request bodies. No daemon is needed to test these.

use std::collections::HashMap;

use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, EndpointIpamConfig, EndpointSettings, HealthConfig, HostConfig, Ipam,
    IpamConfig, NetworkConnectRequest, NetworkCreateRequest, NetworkingConfig, PortBinding,
};

use super::ports::PortMapping;

/// A network to create (`docker network create`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkSpec {
    /// Network name.
    pub name: String,
    /// Driver (`bridge` when `None`).
    pub driver: Option<String>,
    /// Subnet in CIDR form.
    pub subnet: Option<String>,
    /// Gateway address.
    pub gateway: Option<String>,
    /// Range to allocate container addresses from, in CIDR form.
    pub ip_range: Option<String>,
    /// No route to the outside world.
    pub internal: bool,
    /// Standalone containers may attach (swarm overlays).
    pub attachable: bool,
    /// Enable IPv6.
    pub ipv6: bool,
    /// User labels (the run's labels are added on top).
    pub labels: HashMap<String, String>,
    /// Driver options.
    pub options: HashMap<String, String>,
    /// Further address pools as `(subnet, gateway)`: an IPv6 one beside an
    /// IPv4 `subnet` makes a dual-stack network (a script's subnet list, a
    /// Compose file's `ipam.config` list).
    pub extra_subnets: Vec<(String, Option<String>)>,
}

impl NetworkSpec {
    /// A spec with only a name: a default bridge network.
    pub(crate) fn named(name: &str) -> Self {
        NetworkSpec {
            name: name.to_string(),
            ..Default::default()
        }
    }

    /// The request body for `POST /networks/create`, with `labels` as the
    /// final label set. An IPv6 subnet turns IPv6 on; `gateway` and
    /// `ip_range` go with the first subnet of their address family. A
    /// network without addresses of its own is marked (`netrig.ipam=daemon`)
    /// so an export knows the daemon picked them.
    pub fn to_request(&self, mut labels: HashMap<String, String>) -> NetworkCreateRequest {
        let is_v6 = |text: &str| text.contains(':');
        let subnets: Vec<(&String, Option<&String>)> = self
            .subnet
            .iter()
            .map(|s| (s, None))
            .chain(self.extra_subnets.iter().map(|(s, g)| (s, g.as_ref())))
            .collect();
        let mut config: Vec<IpamConfig> = subnets
            .iter()
            .map(|(s, g)| IpamConfig {
                subnet: Some((*s).clone()),
                gateway: g.cloned(),
                ..Default::default()
            })
            .collect();
        for (value, is_gateway) in [(&self.gateway, true), (&self.ip_range, false)] {
            let Some(value) = value else { continue };
            let slot = match subnets.iter().position(|(s, _)| is_v6(s) == is_v6(value)) {
                Some(i) => i,
                None if config.is_empty() => {
                    config.push(IpamConfig::default());
                    0
                }
                None => 0,
            };
            if is_gateway {
                config[slot].gateway = Some(value.clone());
            } else {
                config[slot].ip_range = Some(value.clone());
            }
        }
        if config.is_empty() {
            labels
                .entry(crate::docker::run::labels::IPAM.into())
                .or_insert_with(|| "daemon".into());
        }
        let ipv6 = self.ipv6 || subnets.iter().any(|(s, _)| is_v6(s));
        NetworkCreateRequest {
            name: self.name.clone(),
            driver: self.driver.clone(),
            internal: self.internal.then_some(true),
            attachable: self.attachable.then_some(true),
            enable_ipv6: ipv6.then_some(true),
            ipam: (!config.is_empty()).then(|| Ipam {
                config: Some(config),
                ..Default::default()
            }),
            options: (!self.options.is_empty()).then(|| self.options.clone()),
            labels: Some(labels),
            ..Default::default()
        }
    }
}

/// A container to run (`docker run -d`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSpec {
    /// Image reference.
    pub image: String,
    /// Container name; netrig picks one when `None`.
    pub name: Option<String>,
    /// Networks to be on before the process starts; the first is the one it is created on.
    pub networks: Vec<String>,
    /// Published ports.
    pub ports: Vec<PortMapping>,
    /// Command (replaces the image's CMD).
    pub cmd: Option<Vec<String>>,
    /// Entrypoint (replaces the image's ENTRYPOINT).
    pub entrypoint: Option<Vec<String>>,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// Extra DNS names on every user-defined network the container joins.
    pub aliases: Vec<String>,
    /// Host name inside the container.
    pub hostname: Option<String>,
    /// User labels (the run's labels are added on top).
    pub labels: HashMap<String, String>,
    /// Added kernel capabilities (`NET_ADMIN`, …).
    pub cap_add: Vec<String>,
    /// Working directory.
    pub workdir: Option<String>,
    /// User to run as.
    pub user: Option<String>,
    /// Give the container all privileges.
    pub privileged: bool,
    /// Run an init process as PID 1 (`docker run --init`).
    pub init: bool,
    /// Settings for single networks (extra aliases, a fixed address), keyed
    /// by network name as in `networks`; `aliases` above apply on all of them.
    pub endpoints: HashMap<String, EndpointSpec>,
    /// Join another container's network stack instead of networks
    /// (`--network container:NAME`); `networks` is then empty.
    pub network_of: Option<String>,
    /// Ports exposed without publishing them (`--expose`), as Docker's
    /// keys: `"5432/tcp"`, `"53/udp"`.
    pub expose: Vec<String>,
    /// Extra `/etc/hosts` entries as `name:address` (`--add-host`).
    pub extra_hosts: Vec<String>,
    /// DNS servers (`--dns`).
    pub dns: Vec<String>,
    /// DNS search domains (`--dns-search`).
    pub dns_search: Vec<String>,
    /// A health check that replaces the image's (`--health-cmd` and friends).
    pub healthcheck: Option<HealthSpec>,
}

/// How a container joins one network: extra DNS names there and a fixed address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointSpec {
    /// Extra DNS names on this network only.
    pub aliases: Vec<String>,
    /// A fixed IPv4 address in the network's subnet.
    pub ipv4: Option<String>,
    /// A fixed IPv6 address in the network's subnet.
    pub ipv6: Option<String>,
}

/// A container health check, as Docker runs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthSpec {
    /// Docker's form: `["CMD", prog, args…]`, `["CMD-SHELL", line]` or `["NONE"]`.
    pub test: Vec<String>,
    /// Time between checks.
    pub interval: Option<Duration>,
    /// Time after which one check counts as failed.
    pub timeout: Option<Duration>,
    /// Grace time after start in which failures do not count.
    pub start_period: Option<Duration>,
    /// Failures in a row that make the container unhealthy.
    pub retries: Option<u32>,
}

impl HealthSpec {
    /// The `Healthcheck` part of a create request (durations in nanoseconds).
    pub fn to_config(&self) -> HealthConfig {
        let nanos = |d: Option<Duration>| d.map(|d| d.as_nanos().min(i64::MAX as u128) as i64);
        HealthConfig {
            test: Some(self.test.clone()),
            interval: nanos(self.interval),
            timeout: nanos(self.timeout),
            start_period: nanos(self.start_period),
            retries: self.retries.map(i64::from),
            ..Default::default()
        }
    }
}

/// Networks that Docker itself defines and that take no aliases.
pub(crate) fn is_builtin_network(name: &str) -> bool {
    matches!(name, "bridge" | "default" | "host" | "none")
}

impl RunSpec {
    /// The endpoint settings for joining `network`: the aliases, except on
    /// the built-in networks, which reject them.
    pub(crate) fn endpoint_for(&self, network: &str) -> EndpointSettings {
        let own = self.endpoints.get(network);
        let mut aliases = Vec::new();
        if !is_builtin_network(network) {
            for alias in self
                .aliases
                .iter()
                .chain(own.iter().flat_map(|e| &e.aliases))
            {
                if !aliases.contains(alias) {
                    aliases.push(alias.clone());
                }
            }
        }
        let fixed = own.filter(|e| e.ipv4.is_some() || e.ipv6.is_some());
        EndpointSettings {
            aliases: (!aliases.is_empty()).then_some(aliases),
            ipam_config: fixed.map(|e| EndpointIpamConfig {
                ipv4_address: e.ipv4.clone(),
                ipv6_address: e.ipv6.clone(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// The request body for `POST /containers/create`, joined to the first
    /// network only (the daemon takes one at create; see `extra_networks`).
    pub fn to_create_body(&self, labels: HashMap<String, String>) -> ContainerCreateBody {
        let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
        let mut exposed = Vec::new();
        for p in &self.ports {
            let key = p.container_key();
            if !exposed.contains(&key) {
                exposed.push(key.clone());
            }
            port_bindings
                .entry(key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: p.host_ip.clone(),
                    host_port: Some(p.host_port.map(|h| h.to_string()).unwrap_or_default()),
                });
        }
        for key in &self.expose {
            if !exposed.contains(key) {
                exposed.push(key.clone());
            }
        }
        let first_network = self.networks.first();
        let network_mode = match &self.network_of {
            Some(container) => Some(format!("container:{container}")),
            None => first_network.cloned(),
        };
        let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        ContainerCreateBody {
            image: Some(self.image.clone()),
            cmd: self.cmd.clone(),
            entrypoint: self.entrypoint.clone(),
            env: (!self.env.is_empty())
                .then(|| self.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            hostname: self.hostname.clone(),
            working_dir: self.workdir.clone(),
            user: self.user.clone(),
            labels: Some(labels),
            exposed_ports: (!exposed.is_empty()).then_some(exposed),
            healthcheck: self.healthcheck.as_ref().map(HealthSpec::to_config),
            host_config: Some(HostConfig {
                port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
                cap_add: list(&self.cap_add),
                privileged: self.privileged.then_some(true),
                init: self.init.then_some(true),
                network_mode,
                extra_hosts: list(&self.extra_hosts),
                dns: list(&self.dns),
                dns_search: list(&self.dns_search),
                ..Default::default()
            }),
            networking_config: first_network.map(|net| NetworkingConfig {
                endpoints_config: Some(HashMap::from([(net.clone(), self.endpoint_for(net))])),
            }),
            ..Default::default()
        }
    }

    /// Connect requests for the networks after the first, to send before start.
    pub fn extra_networks(&self, container: &str) -> Vec<(String, NetworkConnectRequest)> {
        self.networks
            .iter()
            .skip(1)
            .map(|net| {
                (
                    net.clone(),
                    NetworkConnectRequest {
                        container: container.to_string(),
                        endpoint_config: Some(self.endpoint_for(net)),
                    },
                )
            })
            .collect()
    }
}

/// Options for `network::connect`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectSpec {
    /// Extra DNS names for the container on this network.
    pub aliases: Vec<String>,
    /// A fixed IPv4 address on the network.
    pub ip: Option<String>,
}

impl ConnectSpec {
    /// The request body for `POST /networks/{id}/connect`.
    pub fn to_request(&self, container: &str) -> NetworkConnectRequest {
        NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(EndpointSettings {
                aliases: (!self.aliases.is_empty()).then(|| self.aliases.clone()),
                ipam_config: self.ip.as_ref().map(|ip| EndpointIpamConfig {
                    ipv4_address: Some(ip.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::docker::ports::parse_publish;

    #[test]
    fn plain_network_has_no_ipam_and_carries_labels() {
        let req = NetworkSpec::named("my_net")
            .to_request(HashMap::from([("netrig.managed".into(), "true".into())]));
        assert_eq!(req.name, "my_net");
        assert!(req.ipam.is_none());
        let labels = req.labels.unwrap();
        assert_eq!(labels["netrig.managed"], "true");
        assert_eq!(labels["netrig.ipam"], "daemon", "the daemon picks its pool");
        assert_eq!(req.internal, None);
    }

    #[test]
    fn network_options_reach_the_body() {
        let spec = NetworkSpec {
            name: "n".into(),
            driver: Some("bridge".into()),
            subnet: Some("10.9.0.0/24".into()),
            gateway: Some("10.9.0.1".into()),
            internal: true,
            options: HashMap::from([("com.docker.network.bridge.name".into(), "br-n".into())]),
            ..Default::default()
        };
        let body = serde_json::to_value(spec.to_request(HashMap::new())).unwrap();
        assert_eq!(body["IPAM"]["Config"][0]["Subnet"], "10.9.0.0/24");
        assert_eq!(body["IPAM"]["Config"][0]["Gateway"], "10.9.0.1");
        assert_eq!(body["Internal"], true);
        assert_eq!(body["Driver"], "bridge");
        assert_eq!(body["Options"]["com.docker.network.bridge.name"], "br-n");
        assert!(body["Labels"].get("netrig.ipam").is_none());

        let dual = NetworkSpec {
            name: "d".into(),
            subnet: Some("10.9.0.0/24".into()),
            ipv6: true,
            extra_subnets: vec![("fd00:9::/64".into(), Some("fd00:9::1".into()))],
            ..Default::default()
        };
        let body = serde_json::to_value(dual.to_request(HashMap::new())).unwrap();
        assert_eq!(body["IPAM"]["Config"][0]["Subnet"], "10.9.0.0/24");
        assert_eq!(body["IPAM"]["Config"][1]["Subnet"], "fd00:9::/64");
        assert_eq!(body["IPAM"]["Config"][1]["Gateway"], "fd00:9::1");
        assert_eq!(body["EnableIPv6"], true);
    }

    #[test]
    fn an_ipv6_subnet_makes_a_dual_stack_network() {
        let spec = NetworkSpec {
            name: "n".into(),
            subnet: Some("10.9.0.0/24".into()),
            extra_subnets: vec![("fd09::/64".into(), None)],
            gateway: Some("fd09::1".into()),
            ..Default::default()
        };
        let body = serde_json::to_value(spec.to_request(HashMap::new())).unwrap();
        assert_eq!(body["EnableIPv6"], true);
        let config = &body["IPAM"]["Config"];
        assert_eq!(config[0]["Subnet"], "10.9.0.0/24");
        assert_eq!(config[1]["Subnet"], "fd09::/64");
        assert_eq!(
            config[1]["Gateway"], "fd09::1",
            "the gateway of its family: {config}"
        );
        assert!(
            config[0].get("Gateway").is_none_or(|g| g.is_null()),
            "{config}"
        );
        let v4 = NetworkSpec {
            subnet: Some("10.9.0.0/24".into()),
            ..NetworkSpec::named("n")
        };
        let body = serde_json::to_value(v4.to_request(HashMap::new())).unwrap();
        assert!(body.get("EnableIPv6").is_none_or(|v| v.is_null()), "{body}");
    }

    #[test]
    fn run_body_publishes_ports_and_joins_the_first_network() {
        let mut ports = parse_publish("8888:8888").unwrap();
        ports.extend(parse_publish("127.0.0.1::80").unwrap());
        let spec = RunSpec {
            image: "busybox".into(),
            networks: vec!["front".into(), "back".into()],
            ports,
            aliases: vec!["web".into()],
            cmd: Some(vec!["sleep".into(), "60".into()]),
            env: vec![("A".into(), "1".into())],
            cap_add: vec!["NET_ADMIN".into()],
            ..Default::default()
        };
        let body = serde_json::to_value(spec.to_create_body(HashMap::new())).unwrap();
        assert_eq!(
            body["HostConfig"]["PortBindings"]["8888/tcp"][0]["HostPort"],
            "8888"
        );
        assert_eq!(
            body["HostConfig"]["PortBindings"]["80/tcp"][0]["HostIp"],
            "127.0.0.1"
        );
        assert_eq!(
            body["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"],
            ""
        );
        assert!(body["ExposedPorts"].get("80/tcp").is_some());
        assert_eq!(body["HostConfig"]["NetworkMode"], "front");
        assert_eq!(body["HostConfig"]["CapAdd"][0], "NET_ADMIN");
        assert_eq!(
            body["NetworkingConfig"]["EndpointsConfig"]["front"]["Aliases"][0],
            "web"
        );
        assert!(
            body["NetworkingConfig"]["EndpointsConfig"]
                .get("back")
                .is_none()
        );
        assert_eq!(body["Env"][0], "A=1");
        assert_eq!(body["Cmd"][1], "60");

        let extra = spec.extra_networks("c1");
        assert_eq!(extra.len(), 1);
        assert_eq!(extra[0].0, "back");
        assert_eq!(
            extra[0].1.endpoint_config.as_ref().unwrap().aliases,
            Some(vec!["web".into()])
        );
    }

    #[test]
    fn aliases_are_left_out_on_the_default_bridge() {
        let spec = RunSpec {
            image: "busybox".into(),
            networks: vec!["bridge".into()],
            aliases: vec!["x".into()],
            ..Default::default()
        };
        assert!(spec.endpoint_for("bridge").aliases.is_none());
    }

    #[test]
    fn no_network_means_docker_default() {
        let spec = RunSpec {
            image: "busybox".into(),
            ..Default::default()
        };
        let body = spec.to_create_body(HashMap::new());
        assert!(body.networking_config.is_none());
        assert!(body.host_config.unwrap().network_mode.is_none());
    }

    #[test]
    fn connect_with_fixed_ip() {
        let req = ConnectSpec {
            aliases: vec![],
            ip: Some("10.1.0.9".into()),
        }
        .to_request("c");
        let body = serde_json::to_value(req).unwrap();
        assert_eq!(
            body["EndpointConfig"]["IPAMConfig"]["IPv4Address"],
            "10.1.0.9"
        );
        assert_eq!(body["Container"], "c");
    }

    #[test]
    fn per_network_aliases_and_fixed_addresses() {
        let spec = RunSpec {
            image: "busybox".into(),
            networks: vec!["front".into(), "back".into()],
            aliases: vec!["web".into()],
            endpoints: HashMap::from([
                (
                    "front".into(),
                    EndpointSpec {
                        aliases: vec!["www".into(), "web".into()],
                        ipv4: Some("10.1.0.10".into()),
                        ipv6: None,
                    },
                ),
                (
                    "back".into(),
                    EndpointSpec {
                        ipv6: Some("fd00::10".into()),
                        ..Default::default()
                    },
                ),
            ]),
            ..Default::default()
        };
        let body = serde_json::to_value(spec.to_create_body(HashMap::new())).unwrap();
        let front = &body["NetworkingConfig"]["EndpointsConfig"]["front"];
        assert_eq!(front["Aliases"], serde_json::json!(["web", "www"]));
        assert_eq!(front["IPAMConfig"]["IPv4Address"], "10.1.0.10");
        let extra = spec.extra_networks("c1");
        let back = serde_json::to_value(&extra[0].1).unwrap();
        assert_eq!(
            back["EndpointConfig"]["Aliases"],
            serde_json::json!(["web"])
        );
        assert_eq!(
            back["EndpointConfig"]["IPAMConfig"]["IPv6Address"],
            "fd00::10"
        );
        assert!(
            back["EndpointConfig"]["IPAMConfig"]
                .get("IPv4Address")
                .is_none()
        );
        // A network without settings of its own gets no IPAM config at all.
        let plain = RunSpec {
            networks: vec!["n".into()],
            ..spec.clone()
        };
        assert!(plain.endpoint_for("n").ipam_config.is_none());
    }

    #[test]
    fn host_settings_health_and_shared_network_stack() {
        let spec = RunSpec {
            image: "busybox".into(),
            network_of: Some("db".into()),
            expose: vec!["5432/tcp".into(), "53/udp".into()],
            extra_hosts: vec!["gw:10.0.0.1".into()],
            dns: vec!["10.0.0.53".into()],
            dns_search: vec!["example.test".into()],
            healthcheck: Some(HealthSpec {
                test: vec!["CMD-SHELL".into(), "true".into()],
                interval: Some(Duration::from_millis(500)),
                retries: Some(3),
                ..Default::default()
            }),
            ..Default::default()
        };
        let body = serde_json::to_value(spec.to_create_body(HashMap::new())).unwrap();
        assert_eq!(body["HostConfig"]["NetworkMode"], "container:db");
        assert!(body.get("NetworkingConfig").is_none());
        assert!(body["ExposedPorts"].get("5432/tcp").is_some());
        assert!(body["ExposedPorts"].get("53/udp").is_some());
        assert_eq!(body["HostConfig"]["ExtraHosts"][0], "gw:10.0.0.1");
        assert_eq!(body["HostConfig"]["Dns"][0], "10.0.0.53");
        assert_eq!(body["HostConfig"]["DnsSearch"][0], "example.test");
        assert_eq!(body["Healthcheck"]["Test"][1], "true");
        assert_eq!(body["Healthcheck"]["Interval"], 500_000_000);
        assert_eq!(body["Healthcheck"]["Retries"], 3);
        assert!(body["Healthcheck"].get("Timeout").is_none());
    }
}
