//! Writing what a run made as a Compose file: each container becomes a
//! service of the same name (pinned with `container_name`), each network a
//! network of the same name (pinned with `name:`), so `docker compose up`
//! recreates the same networks and attachments. Pure: the model is
//! gathered from the daemon elsewhere (`gather`).

use indexmap::IndexMap;

use docker_compose_types::{
    AdvancedNetworkSettings, AdvancedNetworks, Command, Compose, ComposeNetworks, Entrypoint,
    Environment, Healthcheck, HealthcheckTest, Ipam, IpamConfig, Labels, MapOrEmpty,
    NetworkSettings, Networks, Ports, Service, Services, SingleValue,
};

use saphyr::{Mapping, Scalar, Yaml, YamlEmitter};

use crate::docker::ports::PortMapping;
use crate::docker::spec::HealthSpec;

/// What a run made, as far as a Compose file can say it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunModel {
    /// The run's own networks.
    pub networks: Vec<ModelNetwork>,
    /// The run's containers, in creation order.
    pub containers: Vec<ModelContainer>,
}

/// A network the run created.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelNetwork {
    /// Name.
    pub name: String,
    /// Driver, when not `bridge`.
    pub driver: Option<String>,
    /// No route out.
    pub internal: bool,
    /// Standalone containers may attach.
    pub attachable: bool,
    /// IPv6 enabled.
    pub ipv6: bool,
    /// Address pools as `(subnet, gateway)`.
    pub subnets: Vec<(String, Option<String>)>,
    /// Driver options.
    pub options: Vec<(String, String)>,
    /// User labels (not netrig's).
    pub labels: Vec<(String, String)>,
}

/// A container the run made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelContainer {
    /// Name (becomes the service name and `container_name`).
    pub name: String,
    /// Image as given.
    pub image: String,
    /// User-defined networks it is on, in the order it joined them.
    pub networks: Vec<Attachment>,
    /// `host`, `none`, `bridge`, or `container:NAME` when not on user networks.
    pub network_mode: Option<String>,
    /// Published ports, as asked for.
    pub ports: Vec<PortMapping>,
    /// Command, when it is not the image's.
    pub cmd: Option<Vec<String>>,
    /// Entrypoint, when it is not the image's.
    pub entrypoint: Option<Vec<String>>,
    /// Environment set on top of the image's.
    pub env: Vec<(String, String)>,
    /// Host name, when one was given.
    pub hostname: Option<String>,
    /// Added capabilities.
    pub cap_add: Vec<String>,
    /// User labels (not netrig's).
    pub labels: Vec<(String, String)>,
    /// DNS servers, when set.
    pub dns: Vec<String>,
    /// Extra `/etc/hosts` entries, as Docker keeps them (`host:ip`).
    pub extra_hosts: Vec<String>,
    /// Ports exposed without being published, beyond the image's (`80/tcp`).
    pub expose: Vec<String>,
    /// A health check that replaces the image's.
    pub healthcheck: Option<HealthSpec>,
}

/// A container on one network.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attachment {
    /// Network name.
    pub network: String,
    /// Extra DNS names there (not the container's own name).
    pub aliases: Vec<String>,
    /// Fixed IPv4 address, when one was asked for.
    pub ipv4: Option<String>,
    /// Fixed IPv6 address, when one was asked for.
    pub ipv6: Option<String>,
}

/// The model as Compose file text, with a comment line saying where it came from.
pub fn to_compose(model: &RunModel, comment: &str) -> String {
    let compose = Compose {
        services: Services(
            model
                .containers
                .iter()
                .map(|c| (c.name.clone(), Some(service(c, model))))
                .collect(),
        ),
        networks: ComposeNetworks(
            model
                .networks
                .iter()
                .map(|n| (n.name.clone(), MapOrEmpty::Map(network(n))))
                .collect(),
        ),
        ..Default::default()
    };
    let value = serde_norway::to_value(&compose).expect("a Compose model always serialises");
    // saphyr's emitter quotes what YAML 1.1 readers (docker-compose 1's
    // PyYAML) would take for another type: `YES`, `on`, `1:30`; serde's
    // writer follows YAML 1.2 and leaves those plain.
    let mut body = String::new();
    YamlEmitter::new(&mut body)
        .dump(&to_saphyr(&value))
        .expect("writing to a string cannot fail");
    let body = body.strip_prefix("---\n").unwrap_or(&body);
    let header: String = comment.lines().map(|l| format!("# {l}\n")).collect();
    format!("{header}{body}\n")
}

fn to_saphyr(v: &serde_norway::Value) -> Yaml<'static> {
    use serde_norway::Value as V;
    match v {
        V::Null => Yaml::Value(Scalar::Null),
        V::Bool(b) => Yaml::Value(Scalar::Boolean(*b)),
        V::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Value(Scalar::Integer(i)),
            None => Yaml::Value(Scalar::FloatingPoint(n.as_f64().unwrap_or_default().into())),
        },
        V::String(s) => Yaml::Value(Scalar::String(s.clone().into())),
        V::Sequence(items) => Yaml::Sequence(items.iter().map(to_saphyr).collect()),
        V::Mapping(m) => {
            let mut out = Mapping::new();
            for (k, v) in m {
                out.insert(to_saphyr(k), to_saphyr(v));
            }
            Yaml::Mapping(out)
        }
        V::Tagged(t) => to_saphyr(&t.value),
    }
}

fn service(c: &ModelContainer, model: &RunModel) -> Service {
    let strings =
        |v: &[(String, String)]| -> IndexMap<String, String> { v.iter().cloned().collect() };
    let networks: IndexMap<String, MapOrEmpty<AdvancedNetworkSettings>> = c
        .networks
        .iter()
        .map(|a| {
            let settings = AdvancedNetworkSettings {
                ipv4_address: a.ipv4.clone(),
                ipv6_address: a.ipv6.clone(),
                aliases: a.aliases.clone(),
            };
            let body = match settings == AdvancedNetworkSettings::default() {
                true => MapOrEmpty::Empty,
                false => MapOrEmpty::Map(settings),
            };
            (a.network.clone(), body)
        })
        .collect();
    // A container sharing another's stack says so by service name when that one is exported too.
    let network_mode = c
        .network_mode
        .as_ref()
        .map(|m| match m.strip_prefix("container:") {
            Some(other) if model.containers.iter().any(|o| o.name == other) => {
                format!("service:{other}")
            }
            _ => m.clone(),
        });
    Service {
        image: Some(c.image.clone()),
        container_name: Some(c.name.clone()),
        hostname: c.hostname.clone(),
        command: c.cmd.clone().map(Command::Args),
        entrypoint: c.entrypoint.clone().map(Entrypoint::List),
        environment: Environment::KvPair(
            c.env
                .iter()
                .map(|(k, v)| (k.clone(), Some(SingleValue::String(v.clone()))))
                .collect(),
        ),
        networks: match networks.is_empty() {
            true => Networks::default(),
            false => Networks::Advanced(AdvancedNetworks(networks)),
        },
        network_mode,
        ports: Ports::Short(c.ports.iter().map(short_port).collect()),
        cap_add: c.cap_add.clone(),
        dns: c.dns.clone(),
        extra_hosts: c.extra_hosts.clone(),
        // Compose reads a bare port as TCP.
        expose: (c.expose.iter())
            .map(|e| e.strip_suffix("/tcp").unwrap_or(e).to_string())
            .collect(),
        healthcheck: c.healthcheck.as_ref().map(healthcheck),
        labels: match c.labels.is_empty() {
            true => Labels::default(),
            false => Labels::Map(strings(&c.labels)),
        },
        ..Default::default()
    }
}

/// A health check in Compose's words; Docker's `["NONE"]` is `disable: true`.
fn healthcheck(h: &HealthSpec) -> Healthcheck {
    if h.test.first().map(String::as_str) == Some("NONE") {
        return Healthcheck {
            disable: true,
            ..Default::default()
        };
    }
    Healthcheck {
        test: Some(HealthcheckTest::Multiple(h.test.clone())),
        interval: h.interval.map(go_duration),
        timeout: h.timeout.map(go_duration),
        start_period: h.start_period.map(go_duration),
        retries: h.retries.map(i64::from).unwrap_or_default(),
        ..Default::default()
    }
}

/// A duration as Compose writes it: `30s`, `1500ms`, `250us`.
pub(crate) fn go_duration(d: std::time::Duration) -> String {
    match (d.subsec_nanos(), d.subsec_nanos() % 1_000_000) {
        (0, _) => format!("{}s", d.as_secs()),
        (_, 0) => format!("{}ms", d.as_millis()),
        _ => format!("{}us", d.as_micros()),
    }
}

fn network(n: &ModelNetwork) -> NetworkSettings {
    NetworkSettings {
        name: Some(n.name.clone()),
        driver: n.driver.clone(),
        internal: n.internal,
        attachable: n.attachable,
        enable_ipv6: n.ipv6,
        driver_opts: n
            .options
            .iter()
            .map(|(k, v)| (k.clone(), Some(SingleValue::String(v.clone()))))
            .collect(),
        ipam: (!n.subnets.is_empty()).then(|| Ipam {
            driver: None,
            config: n
                .subnets
                .iter()
                .map(|(subnet, gateway)| IpamConfig {
                    subnet: subnet.clone(),
                    gateway: gateway.clone(),
                })
                .collect(),
        }),
        labels: match n.labels.is_empty() {
            true => Labels::default(),
            false => Labels::Map(n.labels.iter().cloned().collect()),
        },
        ..Default::default()
    }
}

/// A port in Compose's short form, always with its protocol: `8080:80` alone
/// would be read as a base-60 number by YAML 1.1 readers such as docker-compose 1.
pub(crate) fn short_port(p: &PortMapping) -> String {
    let host_ip = match p.host_ip.as_deref() {
        Some(ip) if ip.contains(':') => format!("[{ip}]:"),
        Some(ip) => format!("{ip}:"),
        None => String::new(),
    };
    let host_port = p.host_port.map(|h| h.to_string()).unwrap_or_default();
    let host = match (host_ip.is_empty(), host_port.is_empty()) {
        (true, true) => String::new(),
        (true, false) => format!("{host_port}:"),
        (false, _) => format!("{host_ip}{host_port}:"),
    };
    format!("{host}{}/{}", p.container_port, p.protocol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::ports::parse_publish;

    pub(crate) fn sample() -> RunModel {
        let mut ports = parse_publish("8080:80").unwrap();
        ports.extend(parse_publish("127.0.0.1::443").unwrap());
        ports.extend(parse_publish("[::1]:5353:53/udp").unwrap());
        RunModel {
            networks: vec![
                ModelNetwork {
                    name: "front".into(),
                    subnets: vec![("10.61.1.0/24".into(), Some("10.61.1.1".into()))],
                    ..Default::default()
                },
                ModelNetwork {
                    name: "back".into(),
                    internal: true,
                    options: vec![("com.docker.network.driver.mtu".into(), "1400".into())],
                    labels: vec![("tier".into(), "data".into())],
                    subnets: vec![("10.61.2.0/24".into(), None)],
                    ..Default::default()
                },
            ],
            containers: vec![
                ModelContainer {
                    name: "web".into(),
                    image: "busybox".into(),
                    networks: vec![
                        Attachment {
                            network: "front".into(),
                            aliases: vec!["www".into()],
                            ipv4: Some("10.61.1.10".into()),
                            ipv6: None,
                        },
                        Attachment {
                            network: "back".into(),
                            ..Default::default()
                        },
                    ],
                    ports,
                    cmd: Some(vec!["httpd".into(), "-f".into(), "-p".into(), "80".into()]),
                    env: vec![
                        ("MODE".into(), "1".into()),
                        ("EMPTY".into(), String::new()),
                        ("YES".into(), "on".into()),
                        ("AT".into(), "1:30".into()),
                    ],
                    cap_add: vec!["NET_ADMIN".into()],
                    ..Default::default()
                },
                ModelContainer {
                    name: "db".into(),
                    image: "busybox".into(),
                    networks: vec![Attachment {
                        network: "back".into(),
                        ..Default::default()
                    }],
                    cmd: Some(vec!["sleep".into(), "3600".into()]),
                    hostname: Some("database".into()),
                    dns: vec!["10.61.2.53".into()],
                    extra_hosts: vec!["backup:10.61.2.99".into()],
                    expose: vec!["5432/tcp".into(), "53/udp".into()],
                    healthcheck: Some(HealthSpec {
                        test: vec!["CMD-SHELL".into(), "test -f /ready".into()],
                        interval: Some(std::time::Duration::from_millis(1500)),
                        timeout: Some(std::time::Duration::from_secs(2)),
                        start_period: None,
                        retries: Some(3),
                    }),
                    ..Default::default()
                },
                ModelContainer {
                    name: "side".into(),
                    image: "busybox".into(),
                    network_mode: Some("container:db".into()),
                    ..Default::default()
                },
                ModelContainer {
                    name: "probe".into(),
                    image: "busybox".into(),
                    network_mode: Some("host".into()),
                    ..Default::default()
                },
            ],
        }
    }

    #[test]
    fn the_written_file_reads_back_as_the_same_model() {
        let text = to_compose(&sample(), "Written by netrig\nfrom run abc");
        assert!(
            text.starts_with("# Written by netrig\n# from run abc\n"),
            "{text}"
        );
        // Read back with netrig's own loader: the same names, attachments and ports.
        let plan = crate::compose::load::load_str(
            std::path::Path::new("/tmp/export/compose.yml"),
            &text,
            &Default::default(),
        )
        .unwrap();
        let web = &plan.service("web").unwrap().containers[0];
        assert_eq!(web.name.as_deref(), Some("web"));
        assert_eq!(web.networks, vec!["front", "back"]);
        assert_eq!(web.endpoints["front"].ipv4.as_deref(), Some("10.61.1.10"));
        assert_eq!(web.endpoints["front"].aliases, vec!["www"]);
        assert_eq!(web.ports, sample().containers[0].ports);
        assert_eq!(web.env, sample().containers[0].env);
        assert_eq!(web.cmd, sample().containers[0].cmd);
        let back = &plan.network("back").unwrap().spec;
        assert_eq!(back.name, "back");
        assert!(back.internal);
        assert_eq!(back.options["com.docker.network.driver.mtu"], "1400");
        assert_eq!(
            plan.service("side").unwrap().containers[0]
                .network_of
                .as_deref(),
            Some("db")
        );
        assert_eq!(
            plan.service("probe").unwrap().containers[0].networks,
            vec!["host"]
        );
        assert_eq!(
            plan.service("db").unwrap().containers[0]
                .hostname
                .as_deref(),
            Some("database")
        );
        let db = &plan.service("db").unwrap().containers[0];
        let asked = &sample().containers[1];
        assert_eq!(db.dns, asked.dns);
        assert_eq!(db.extra_hosts, asked.extra_hosts);
        assert_eq!(db.expose, asked.expose);
        assert_eq!(db.healthcheck, asked.healthcheck);
        assert!(text.contains("interval: 1500ms"), "{text}");
    }

    #[test]
    fn a_disabled_health_check_and_durations() {
        let none = HealthSpec {
            test: vec!["NONE".into()],
            ..Default::default()
        };
        assert!(healthcheck(&none).disable);
        let d = std::time::Duration::from_micros;
        assert_eq!(go_duration(d(30_000_000)), "30s");
        assert_eq!(go_duration(d(1_500_000)), "1500ms");
        assert_eq!(go_duration(d(250)), "250us");
    }

    #[test]
    fn ports_are_written_short_with_their_protocol() {
        let p = |s: &str| short_port(&parse_publish(s).unwrap()[0]);
        assert_eq!(p("8080:80"), "8080:80/tcp");
        assert_eq!(p("80"), "80/tcp");
        assert_eq!(p("127.0.0.1::80"), "127.0.0.1::80/tcp");
        assert_eq!(p("[::1]:53:53/udp"), "[::1]:53:53/udp");
    }
}
