//! The live topology: which networks exist, which containers run, and which
//! container sits on which network with which address. Read from the daemon
//! in two list calls, then narrowed to a scope (one run, everything netrig
//! manages, or the whole daemon) by a pure function.

use std::collections::{BTreeMap, HashMap};

use bollard::query_parameters::ListContainersOptions;

use super::client::Client;
use super::error::Result;
use super::network::NetworkSummary;
use super::run::labels;

/// Which part of the daemon a topology shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TopologyScope {
    /// The resources of one run (label `netrig.run=<id>`).
    Run(String),
    /// Everything netrig manages (label `netrig.managed=true`).
    Managed,
    /// Every network and container on the daemon.
    All,
}

impl TopologyScope {
    /// Whether a resource with these labels belongs to the scope.
    pub(crate) fn includes(&self, resource_labels: &HashMap<String, String>) -> bool {
        match self {
            TopologyScope::Run(id) => resource_labels.get(labels::RUN) == Some(id),
            TopologyScope::Managed => {
                resource_labels.get(labels::MANAGED).map(String::as_str) == Some("true")
            }
            TopologyScope::All => true,
        }
    }

    /// `run 1a2b3c4d`, `everything netrig manages`, `the whole daemon`.
    pub(crate) fn describe(&self) -> String {
        match self {
            TopologyScope::Run(id) => format!("run {id}"),
            TopologyScope::Managed => "everything netrig manages".into(),
            TopologyScope::All => "the whole daemon".into(),
        }
    }
}

/// A network in the topology.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NetworkNode {
    /// Name.
    pub(crate) name: String,
    /// Full id.
    pub(crate) id: String,
    /// Driver (`bridge`, `overlay`, `null`, …).
    pub(crate) driver: String,
    /// Subnets in CIDR form.
    pub(crate) subnets: Vec<String>,
    /// No route to the outside.
    pub(crate) internal: bool,
    /// Outside the scope (Docker's `bridge`, another run's network), shown
    /// only because a container in the scope is attached to it.
    pub(crate) external: bool,
}

/// A container in the topology.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ContainerNode {
    /// Name.
    pub(crate) name: String,
    /// Full id.
    pub(crate) id: String,
    /// Image as given at create.
    pub(crate) image: String,
    /// `running`, `exited`, `created`, …
    pub(crate) state: String,
    /// Published ports like `8080->80/tcp` or `127.0.0.1:8080->80/tcp`.
    pub(crate) ports: Vec<String>,
}

/// One container on one network: an edge of the graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Attachment {
    /// Network name.
    pub(crate) network: String,
    /// Container name.
    pub(crate) container: String,
    /// The container's IPv4 address on that network (empty on `host` / `none`
    /// or while the container is stopped).
    pub(crate) ip: String,
}

/// Networks, containers and the attachments between them, each sorted by
/// name so the same state always renders the same text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Topology {
    /// Networks, sorted by name.
    pub(crate) networks: Vec<NetworkNode>,
    /// Containers, sorted by name.
    pub(crate) containers: Vec<ContainerNode>,
    /// Attachments, sorted by network then container.
    pub(crate) attachments: Vec<Attachment>,
}

impl Topology {
    /// Nothing to show.
    pub(crate) fn is_empty(&self) -> bool {
        self.networks.is_empty() && self.containers.is_empty()
    }

    /// The same topology with every network and container name passed
    /// through `name` (an isolated run shows its script names), re-sorted.
    pub(crate) fn renamed(&self, name: impl Fn(&str) -> String) -> Topology {
        let mut t = self.clone();
        for n in &mut t.networks {
            n.name = name(&n.name);
        }
        for c in &mut t.containers {
            c.name = name(&c.name);
        }
        for a in &mut t.attachments {
            a.network = name(&a.network);
            a.container = name(&a.container);
        }
        t.networks.sort_by(|a, b| a.name.cmp(&b.name));
        t.containers.sort_by(|a, b| a.name.cmp(&b.name));
        t.attachments
            .sort_by(|a, b| (&a.network, &a.container).cmp(&(&b.network, &b.container)));
        t
    }

    /// The attachments of `container`.
    pub(crate) fn networks_of<'a>(
        &'a self,
        container: &'a str,
    ) -> impl Iterator<Item = &'a Attachment> {
        self.attachments
            .iter()
            .filter(move |a| a.container == container)
    }
}

/// A container as the daemon lists it, before scoping: labels and the
/// network ids of its attachments, which [`Topology`] no longer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedContainer {
    /// What the topology shows of it.
    pub(crate) node: ContainerNode,
    /// Labels.
    pub(crate) labels: HashMap<String, String>,
    /// `(network name, network id, IPv4 address)`.
    pub(crate) endpoints: Vec<(String, String, String)>,
}

impl Client {
    /// The live topology of `scope` (a drawing: no docker command to explain).
    pub(crate) async fn topology(&self, scope: &TopologyScope) -> Result<Topology> {
        let quiet = self.quiet();
        let (networks, containers) =
            futures_util::try_join!(quiet.list_networks(HashMap::new()), self.list_endpoints())?;
        Ok(select(scope, &networks, &containers))
    }

    /// Every container (stopped ones too) with its addresses on each network.
    async fn list_endpoints(&self) -> Result<Vec<ListedContainer>> {
        let args = self.args(|| serde_json::json!({"all": true}));
        let list = self
            .api("GET /containers/json", args, |d| {
                d.list_containers(Some(ListContainersOptions {
                    all: true,
                    ..Default::default()
                }))
            })
            .await
            .map_err(|e| self.err("list containers", e))?;
        Ok(list
            .into_iter()
            .map(|c| {
                let endpoints = c
                    .network_settings
                    .and_then(|s| s.networks)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(name, ep)| {
                        (
                            name,
                            ep.network_id.unwrap_or_default(),
                            ep.ip_address.unwrap_or_default(),
                        )
                    })
                    .collect();
                let ports = published_ports(
                    c.ports
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|p| {
                            let proto =
                                p.typ.map(|t| t.to_string()).unwrap_or_else(|| "tcp".into());
                            p.public_port.map(|public| {
                                (p.ip.unwrap_or_default(), public, p.private_port, proto)
                            })
                        })
                        .collect(),
                );
                ListedContainer {
                    node: ContainerNode {
                        name: c
                            .names
                            .and_then(|n| n.into_iter().next())
                            .map(|n| n.trim_start_matches('/').to_string())
                            .unwrap_or_default(),
                        id: c.id.unwrap_or_default(),
                        image: c.image.unwrap_or_default(),
                        state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                        ports,
                    },
                    labels: c.labels.unwrap_or_default(),
                    endpoints,
                }
            })
            .collect())
    }
}

/// `(host ip, host port, container port, protocol)` → `8080->80/tcp`, one
/// line per mapping: the daemon lists a mapping on all addresses twice
/// (0.0.0.0 and ::), and a reader wants it once.
pub(crate) fn published_ports(mappings: Vec<(String, u16, u16, String)>) -> Vec<String> {
    let mut lines: Vec<String> = mappings
        .into_iter()
        .map(|(ip, public, private, proto)| match ip.as_str() {
            "" | "0.0.0.0" | "::" => format!("{public}->{private}/{proto}"),
            ip if ip.contains(':') => format!("[{ip}]:{public}->{private}/{proto}"),
            ip => format!("{ip}:{public}->{private}/{proto}"),
        })
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

/// Narrows the daemon's networks and containers to `scope`. A network
/// outside the scope is kept (marked `external`) when a container in the
/// scope is attached to it, so every attachment has both ends; containers
/// outside the scope never appear.
pub(crate) fn select(
    scope: &TopologyScope,
    networks: &[NetworkSummary],
    containers: &[ListedContainer],
) -> Topology {
    let by_id: HashMap<&str, &NetworkSummary> =
        networks.iter().map(|n| (n.id.as_str(), n)).collect();
    let by_name: HashMap<&str, &NetworkSummary> =
        networks.iter().map(|n| (n.name.as_str(), n)).collect();

    let mut chosen: BTreeMap<String, NetworkNode> = networks
        .iter()
        .filter(|n| scope.includes(&n.labels))
        .map(|n| (n.name.clone(), network_node(n, false)))
        .collect();
    let mut topology = Topology::default();
    for c in containers.iter().filter(|c| scope.includes(&c.labels)) {
        for (name, id, ip) in &c.endpoints {
            // The endpoint's network id is exact; names can be ambiguous.
            let net = by_id
                .get(id.as_str())
                .or_else(|| by_name.get(name.as_str()));
            let net_name = net.map(|n| n.name.clone()).unwrap_or_else(|| name.clone());
            if !chosen.contains_key(&net_name) {
                let node = match net {
                    Some(n) => network_node(n, true),
                    // Listed between the two calls: show what the endpoint says.
                    None => NetworkNode {
                        name: net_name.clone(),
                        id: id.clone(),
                        driver: String::new(),
                        subnets: Vec::new(),
                        internal: false,
                        external: true,
                    },
                };
                chosen.insert(net_name.clone(), node);
            }
            topology.attachments.push(Attachment {
                network: net_name,
                container: c.node.name.clone(),
                ip: ip.clone(),
            });
        }
        topology.containers.push(c.node.clone());
    }
    topology.networks = chosen.into_values().collect();
    topology.containers.sort_by(|a, b| a.name.cmp(&b.name));
    topology.attachments.sort();
    topology
}

fn network_node(n: &NetworkSummary, external: bool) -> NetworkNode {
    NetworkNode {
        name: n.name.clone(),
        id: n.id.clone(),
        driver: n.driver.clone(),
        subnets: n.subnets.clone(),
        internal: n.internal,
        external,
    }
}

#[cfg(test)]
mod renamed_tests {
    use super::*;

    #[test]
    fn renaming_reaches_every_name_and_keeps_the_order() {
        let t = Topology {
            networks: vec![NetworkNode {
                name: "r1-net".into(),
                ..Default::default()
            }],
            containers: vec![
                ContainerNode {
                    name: "r1-web".into(),
                    ..Default::default()
                },
                ContainerNode {
                    name: "r1-api".into(),
                    ..Default::default()
                },
            ],
            attachments: vec![Attachment {
                network: "r1-net".into(),
                container: "r1-web".into(),
                ip: "10.0.0.2".into(),
            }],
        };
        let r = t.renamed(|n| n.trim_start_matches("r1-").to_string());
        assert_eq!(r.networks[0].name, "net");
        assert_eq!(r.containers[0].name, "api");
        assert_eq!(
            (
                r.attachments[0].network.as_str(),
                r.attachments[0].container.as_str()
            ),
            ("net", "web")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(name: &str, run: Option<&str>) -> NetworkSummary {
        let mut labels = HashMap::new();
        if let Some(run) = run {
            labels.insert(labels::RUN.to_string(), run.to_string());
            labels.insert(labels::MANAGED.to_string(), "true".to_string());
        }
        NetworkSummary {
            name: name.into(),
            id: format!("id-{name}"),
            driver: "bridge".into(),
            scope: "local".into(),
            subnets: vec!["10.0.0.0/24".into()],
            internal: false,
            labels,
        }
    }

    fn ctr(name: &str, run: Option<&str>, nets: &[(&str, &str)]) -> ListedContainer {
        let mut labels = HashMap::new();
        if let Some(run) = run {
            labels.insert(labels::RUN.to_string(), run.to_string());
            labels.insert(labels::MANAGED.to_string(), "true".to_string());
        }
        ListedContainer {
            node: ContainerNode {
                name: name.into(),
                id: format!("id-{name}"),
                image: "busybox".into(),
                state: "running".into(),
                ports: Vec::new(),
            },
            labels,
            endpoints: nets
                .iter()
                .map(|(n, ip)| (n.to_string(), format!("id-{n}"), ip.to_string()))
                .collect(),
        }
    }

    fn daemon() -> (Vec<NetworkSummary>, Vec<ListedContainer>) {
        (
            vec![
                net("bridge", None),
                net("front", Some("r1")),
                net("back", Some("r1")),
                net("other", Some("r2")),
            ],
            vec![
                ctr(
                    "api",
                    Some("r1"),
                    &[("front", "10.0.0.2"), ("back", "10.0.1.2")],
                ),
                ctr("probe", Some("r1"), &[("bridge", "172.17.0.5")]),
                ctr(
                    "intruder",
                    Some("r2"),
                    &[("front", "10.0.0.9"), ("other", "10.0.2.2")],
                ),
                ctr("someone", None, &[("bridge", "172.17.0.2")]),
            ],
        )
    }

    fn names<T>(items: &[T], name: impl Fn(&T) -> &str) -> Vec<&str> {
        items.iter().map(name).collect()
    }

    #[test]
    fn a_run_shows_its_own_resources_and_the_networks_they_use() {
        let (n, c) = daemon();
        let t = select(&TopologyScope::Run("r1".into()), &n, &c);
        assert_eq!(names(&t.networks, |n| &n.name), ["back", "bridge", "front"]);
        assert!(
            t.networks
                .iter()
                .find(|n| n.name == "bridge")
                .unwrap()
                .external
        );
        assert!(
            !t.networks
                .iter()
                .find(|n| n.name == "front")
                .unwrap()
                .external
        );
        assert_eq!(names(&t.containers, |c| &c.name), ["api", "probe"]);
        // Another run's container on this run's network stays out.
        assert_eq!(
            t.attachments,
            vec![
                Attachment {
                    network: "back".into(),
                    container: "api".into(),
                    ip: "10.0.1.2".into()
                },
                Attachment {
                    network: "bridge".into(),
                    container: "probe".into(),
                    ip: "172.17.0.5".into()
                },
                Attachment {
                    network: "front".into(),
                    container: "api".into(),
                    ip: "10.0.0.2".into()
                },
            ]
        );
    }

    #[test]
    fn managed_and_all_widen_the_scope() {
        let (n, c) = daemon();
        let managed = select(&TopologyScope::Managed, &n, &c);
        assert_eq!(
            names(&managed.containers, |c| &c.name),
            ["api", "intruder", "probe"]
        );
        let all = select(&TopologyScope::All, &n, &c);
        assert_eq!(all.containers.len(), 4);
        assert_eq!(all.networks.len(), 4);
        assert!(all.networks.iter().all(|n| !n.external));
        assert_eq!(all.attachments.len(), 6);
    }

    #[test]
    fn published_ports_are_shown_once_each() {
        let lines = published_ports(vec![
            ("0.0.0.0".into(), 8888, 8888, "tcp".into()),
            ("::".into(), 8888, 8888, "tcp".into()),
            ("127.0.0.1".into(), 5353, 53, "udp".into()),
        ]);
        assert_eq!(lines, ["127.0.0.1:5353->53/udp", "8888->8888/tcp"]);
    }
}
