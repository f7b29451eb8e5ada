//! Which subnets of the pool are not free, and why: the daemon's networks
//! and the host's routes, seen against the pool. Pure: the caller lists the
//! networks and reads the routes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use ipnet::{IpNet, Ipv4Net};

use super::SubnetPool;
use super::routes::{Route, ipv4_routes};
use crate::docker::network::NetworkSummary;
use crate::docker::run::labels;

/// Why a subnet of the pool cannot be taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Blocker {
    /// A network of another netrig run: free again when that run ends.
    NetrigRun {
        /// The network's name.
        network: String,
        /// Its `netrig.run` label.
        run: String,
    },
    /// A network netrig did not make: it stays.
    Network {
        /// The network's name.
        network: String,
        /// Its subnet.
        subnet: IpNet,
    },
    /// A route of the host (a LAN, a VPN, another daemon's bridge): it stays.
    Route {
        /// The route's destination.
        net: Ipv4Net,
        /// Its interface.
        iface: String,
    },
}

impl Blocker {
    /// Whether waiting may free the subnet (another netrig run's network).
    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, Blocker::NetrigRun { .. })
    }
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::NetrigRun { network, run } => {
                write!(f, "network {network:?} of netrig run {run}")
            }
            Blocker::Network { network, subnet } => write!(f, "network {network:?} ({subnet})"),
            Blocker::Route { net, iface } => write!(f, "the host's route to {net} via {iface}"),
        }
    }
}

/// The pool's subnets that are taken outside this process's book.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Occupancy {
    /// Each blocked subnet of the pool with the first thing found on it.
    pub blocked: BTreeMap<Ipv4Net, Blocker>,
}

impl Occupancy {
    /// What blocks which subnet of `pool`: every network on the daemon
    /// except this process's own (`own`: the subnets its book holds) and
    /// every route of the host except a bridge's route to a network's own
    /// subnet (the network stands for it: it goes when the network goes).
    pub(crate) fn of(
        pool: &SubnetPool,
        networks: &[NetworkSummary],
        routes: &[Route],
        own: &BTreeSet<Ipv4Net>,
    ) -> Occupancy {
        let mut blocked = BTreeMap::new();
        let mut network_subnets = BTreeSet::new();
        for n in networks {
            for subnet in n.subnets.iter().filter_map(|s| s.parse::<IpNet>().ok()) {
                network_subnets.insert(subnet);
                let IpNet::V4(v4) = subnet else { continue };
                if own.contains(&v4) {
                    continue;
                }
                let blocker = match n.labels.get(labels::RUN) {
                    Some(run) if n.labels.contains_key(labels::MANAGED) => Blocker::NetrigRun {
                        network: n.name.clone(),
                        run: run.clone(),
                    },
                    _ => Blocker::Network {
                        network: n.name.clone(),
                        subnet,
                    },
                };
                for s in pool.subnets_overlapping(v4) {
                    blocked.entry(s).or_insert_with(|| blocker.clone());
                }
            }
        }
        for (net, iface) in ipv4_routes(routes) {
            if network_subnets.contains(&IpNet::V4(net)) || own.contains(&net) {
                continue;
            }
            for s in pool.subnets_overlapping(net) {
                blocked.entry(s).or_insert_with(|| Blocker::Route {
                    net,
                    iface: iface.to_string(),
                });
            }
        }
        Occupancy { blocked }
    }

    /// Whether `subnet` is taken outside the book.
    pub(crate) fn is_blocked(&self, subnet: &Ipv4Net) -> bool {
        self.blocked.contains_key(subnet)
    }

    /// How many subnets are blocked for good (routes, networks netrig did not make).
    pub(crate) fn permanent(&self) -> usize {
        self.blocked.values().filter(|b| !b.is_transient()).count()
    }

    /// How many subnets other netrig runs hold.
    pub(crate) fn transient(&self) -> usize {
        self.blocked.values().filter(|b| b.is_transient()).count()
    }

    /// Marks `subnet` as taken by someone the listing did not show yet
    /// (the daemon refused it as overlapping).
    pub(crate) fn refused(&mut self, subnet: Ipv4Net) {
        self.blocked.entry(subnet).or_insert(Blocker::NetrigRun {
            network: "(made just now by another process)".into(),
            run: "?".into(),
        });
    }

    /// A few of the permanent blockers, for messages: "…, and 3 more".
    pub(crate) fn describe_permanent(&self, at_most: usize) -> String {
        let mut seen: Vec<String> = Vec::new();
        for b in self.blocked.values().filter(|b| !b.is_transient()) {
            let text = b.to_string();
            if !seen.contains(&text) {
                seen.push(text);
            }
        }
        let more = seen.len().saturating_sub(at_most);
        seen.truncate(at_most);
        let mut text = seen.join(", ");
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn net(name: &str, subnet: &str, run: Option<&str>) -> NetworkSummary {
        let mut labels = HashMap::new();
        if let Some(run) = run {
            labels.insert(labels::MANAGED.to_string(), "true".to_string());
            labels.insert(labels::RUN.to_string(), run.to_string());
        }
        NetworkSummary {
            name: name.into(),
            id: format!("id-{name}"),
            driver: "bridge".into(),
            scope: "local".into(),
            subnets: vec![subnet.into()],
            internal: false,
            labels,
        }
    }

    fn route(net: &str, iface: &str) -> Route {
        Route {
            net: net.parse().unwrap(),
            iface: iface.into(),
        }
    }

    fn v4(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn networks_and_routes_block_what_they_overlap() {
        let pool: SubnetPool = "10.213.0.0/22".parse().unwrap();
        let networks = [
            net("theirs", "10.213.0.0/25", None),
            net("other-run", "10.213.1.0/24", Some("r2")),
            net("bridge", "172.17.0.0/16", None),
            net("v6", "fd00::/64", None),
        ];
        let routes = [
            route("10.213.2.0/23", "wg0"),
            // The bridge of a network: the network already says it.
            route("10.213.1.0/24", "br-abc"),
            route("172.17.0.0/16", "docker0"),
        ];
        let occ = Occupancy::of(&pool, &networks, &routes, &BTreeSet::new());
        assert_eq!(occ.blocked.len(), 4);
        assert_eq!(occ.permanent(), 3);
        assert_eq!(occ.transient(), 1);
        assert_eq!(
            occ.blocked[&v4("10.213.0.0/24")].to_string(),
            "network \"theirs\" (10.213.0.0/25)"
        );
        assert!(occ.blocked[&v4("10.213.1.0/24")].is_transient());
        assert_eq!(
            occ.blocked[&v4("10.213.3.0/24")].to_string(),
            "the host's route to 10.213.2.0/23 via wg0"
        );
        assert_eq!(
            occ.describe_permanent(1),
            "network \"theirs\" (10.213.0.0/25) and 1 more"
        );
    }

    #[test]
    fn this_processs_own_networks_do_not_block() {
        let pool: SubnetPool = "10.213.0.0/22".parse().unwrap();
        let networks = [net("mine", "10.213.0.0/24", Some("r1"))];
        let routes = [route("10.213.0.0/24", "br-mine")];
        let own = BTreeSet::from([v4("10.213.0.0/24")]);
        let occ = Occupancy::of(&pool, &networks, &routes, &own);
        assert!(occ.blocked.is_empty(), "{occ:?}");
    }

    #[test]
    fn a_refused_subnet_counts_as_another_runs() {
        let mut occ = Occupancy::default();
        occ.refused(v4("10.213.5.0/24"));
        assert!(occ.is_blocked(&v4("10.213.5.0/24")));
        assert_eq!(occ.transient(), 1);
    }
}
