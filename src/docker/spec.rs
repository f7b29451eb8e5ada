//! What a script asks for, in netrig's own terms, and the pure functions that
//! turn it into bollard request bodies. No daemon is needed to test these.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, EndpointIpamConfig, EndpointSettings, HostConfig, Ipam, IpamConfig,
    NetworkConnectRequest, NetworkCreateRequest, NetworkingConfig, PortBinding,
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
}

impl NetworkSpec {
    /// The request body for `POST /networks/create`, with `labels` as the final label set.
    pub fn to_request(&self, labels: HashMap<String, String>) -> NetworkCreateRequest {
        let has_ipam = self.subnet.is_some() || self.gateway.is_some() || self.ip_range.is_some();
        NetworkCreateRequest {
            name: self.name.clone(),
            driver: self.driver.clone(),
            internal: self.internal.then_some(true),
            attachable: self.attachable.then_some(true),
            enable_ipv6: self.ipv6.then_some(true),
            ipam: has_ipam.then(|| Ipam {
                config: Some(vec![IpamConfig {
                    subnet: self.subnet.clone(),
                    gateway: self.gateway.clone(),
                    ip_range: self.ip_range.clone(),
                    ..Default::default()
                }]),
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
}

/// Networks that Docker itself defines and that take no aliases.
pub(crate) fn is_builtin_network(name: &str) -> bool {
    matches!(name, "bridge" | "default" | "host" | "none")
}

impl RunSpec {
    /// The endpoint settings for joining `network`: the aliases, except on
    /// the built-in networks, which reject them.
    pub(crate) fn endpoint_for(&self, network: &str) -> EndpointSettings {
        EndpointSettings {
            aliases: (!self.aliases.is_empty() && !is_builtin_network(network))
                .then(|| self.aliases.clone()),
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
        let first_network = self.networks.first();
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
            host_config: Some(HostConfig {
                port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
                cap_add: (!self.cap_add.is_empty()).then(|| self.cap_add.clone()),
                privileged: self.privileged.then_some(true),
                init: self.init.then_some(true),
                network_mode: first_network.cloned(),
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

    impl NetworkSpec {
        /// A spec with only a name: a default bridge network.
        pub(crate) fn named(name: &str) -> Self {
            NetworkSpec {
                name: name.to_string(),
                ..Default::default()
            }
        }
    }
    use crate::docker::ports::parse_publish;

    #[test]
    fn plain_network_has_no_ipam_and_carries_labels() {
        let req = NetworkSpec::named("my_net")
            .to_request(HashMap::from([("netrig.managed".into(), "true".into())]));
        assert_eq!(req.name, "my_net");
        assert!(req.ipam.is_none());
        assert_eq!(req.labels.unwrap()["netrig.managed"], "true");
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
}
