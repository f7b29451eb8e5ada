//! Drift: the intended topology (which containers sit on which network)
//! against the live one, as a list of differences a person can read.
//!
//! The comparison covers the networks the intended map names and the
//! scope's own networks; a network outside the scope (Docker's `bridge`
//! under a run's containers) counts only when the map names it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::docker::topology::Topology;

/// The intended topology: for each network, the containers meant to sit on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Intended {
    /// Network name → container names.
    pub(crate) networks: BTreeMap<String, BTreeSet<String>>,
}

/// One way the live topology differs from the intended one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Difference {
    /// An intended network does not exist.
    MissingNetwork {
        /// The network.
        network: String,
        /// The containers meant to sit on it.
        containers: Vec<String>,
    },
    /// A network of the scope that the intended map does not name.
    ExtraNetwork {
        /// The network.
        network: String,
        /// The containers on it.
        containers: Vec<String>,
    },
    /// An intended container does not exist (in the scope).
    MissingContainer {
        /// The container.
        container: String,
        /// The networks it was meant to be on.
        networks: Vec<String>,
    },
    /// A container is on other networks than intended.
    WrongNetwork {
        /// The container.
        container: String,
        /// Intended networks it is not on.
        expected: Vec<String>,
        /// Networks it is on that were not intended.
        actual: Vec<String>,
    },
    /// A container is not on a network it was meant to be on.
    MissingAttachment {
        /// The network.
        network: String,
        /// The container.
        container: String,
    },
    /// A container is on a network it was not meant to be on.
    ExtraAttachment {
        /// The network.
        network: String,
        /// The container.
        container: String,
        /// Its address there.
        ip: String,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::MissingNetwork {
                network,
                containers,
            } => write!(
                f,
                "- missing network: {network} does not exist{}",
                holding(" (meant to hold ", containers)
            ),
            Difference::ExtraNetwork {
                network,
                containers,
            } => write!(
                f,
                "+ extra network: {network} exists but is not in the intended topology{}",
                holding(" (holding ", containers)
            ),
            Difference::MissingContainer {
                container,
                networks,
            } => write!(
                f,
                "- missing container: {container} does not exist (meant to be on {})",
                list(networks)
            ),
            Difference::WrongNetwork {
                container,
                expected,
                actual,
            } => write!(
                f,
                "~ wrong network: {container} is on {} instead of {}",
                list(actual),
                list(expected)
            ),
            Difference::MissingAttachment { network, container } => write!(
                f,
                "- missing attachment: {container} is not on network {network}"
            ),
            Difference::ExtraAttachment {
                network,
                container,
                ip,
            } => {
                write!(
                    f,
                    "+ extra attachment: {container} is also on network {network}"
                )?;
                if !ip.is_empty() {
                    write!(f, " ({ip})")?;
                }
                Ok(())
            }
        }
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "no network".into()
    } else {
        items.join(", ")
    }
}

fn holding(prefix: &str, containers: &[String]) -> String {
    if containers.is_empty() {
        String::new()
    } else {
        format!("{prefix}{})", containers.join(", "))
    }
}

/// A readable report of differences, one per line, `-` for what is
/// missing, `+` for what is extra, `~` for what moved.
pub(crate) fn report(differences: &[Difference]) -> String {
    let mut text = format!(
        "the live topology differs from the intended one ({} difference{}):",
        differences.len(),
        if differences.len() == 1 { "" } else { "s" }
    );
    for d in differences {
        text.push_str("\n  ");
        text.push_str(&d.to_string());
    }
    text
}

/// Every difference between `intended` and `live`, sorted; empty when they agree.
pub(crate) fn compare(intended: &Intended, live: &Topology) -> Vec<Difference> {
    let mut diffs = Vec::new();
    let live_networks: BTreeMap<&str, bool> = live
        .networks
        .iter()
        .map(|n| (n.name.as_str(), n.external))
        .collect();
    let live_containers: BTreeSet<&str> = live.containers.iter().map(|c| c.name.as_str()).collect();
    let members = |network: &str| -> Vec<String> {
        let mut names: Vec<String> = live
            .attachments
            .iter()
            .filter(|a| a.network == network)
            .map(|a| a.container.clone())
            .collect();
        names.sort();
        names
    };

    for (network, containers) in &intended.networks {
        if !live_networks.contains_key(network.as_str()) {
            diffs.push(Difference::MissingNetwork {
                network: network.clone(),
                containers: containers.iter().cloned().collect(),
            });
        }
    }
    for (&network, &external) in &live_networks {
        if !external && !intended.networks.contains_key(network) {
            diffs.push(Difference::ExtraNetwork {
                network: network.to_string(),
                containers: members(network),
            });
        }
    }

    // Networks whose membership is compared: intended and live.
    let compared: Vec<&String> = intended
        .networks
        .keys()
        .filter(|n| live_networks.contains_key(n.as_str()))
        .collect();
    let mut intended_on: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (network, containers) in &intended.networks {
        for c in containers {
            intended_on
                .entry(c.as_str())
                .or_default()
                .insert(network.as_str());
        }
    }
    for (&container, networks) in &intended_on {
        if !live_containers.contains(container) {
            diffs.push(Difference::MissingContainer {
                container: container.to_string(),
                networks: networks.iter().map(|n| n.to_string()).collect(),
            });
        }
    }

    for &container in &live_containers {
        let meant: BTreeSet<&str> = compared
            .iter()
            .map(|n| n.as_str())
            .filter(|n| intended_on.get(container).is_some_and(|s| s.contains(n)))
            .collect();
        let is: BTreeMap<&str, &str> = live
            .networks_of(container)
            .filter(|a| compared.contains(&&a.network))
            .map(|a| (a.network.as_str(), a.ip.as_str()))
            .collect();
        let missing: Vec<String> = meant
            .iter()
            .filter(|n| !is.contains_key(*n))
            .map(|n| n.to_string())
            .collect();
        let extra: Vec<(&str, &str)> = is
            .iter()
            .filter(|(n, _)| !meant.contains(*n))
            .map(|(n, ip)| (*n, *ip))
            .collect();
        if !missing.is_empty() && !extra.is_empty() {
            diffs.push(Difference::WrongNetwork {
                container: container.to_string(),
                expected: missing,
                actual: extra.iter().map(|(n, _)| n.to_string()).collect(),
            });
            continue;
        }
        diffs.extend(
            missing
                .into_iter()
                .map(|network| Difference::MissingAttachment {
                    network,
                    container: container.to_string(),
                }),
        );
        diffs.extend(
            extra
                .into_iter()
                .map(|(network, ip)| Difference::ExtraAttachment {
                    network: network.to_string(),
                    container: container.to_string(),
                    ip: ip.to_string(),
                }),
        );
    }
    diffs.sort();
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::sample;

    impl Intended {
        /// From `(network, [containers])` pairs.
        fn new<N, C, I>(networks: I) -> Self
        where
            N: Into<String>,
            C: Into<String>,
            I: IntoIterator<Item = (N, Vec<C>)>,
        {
            Intended {
                networks: networks
                    .into_iter()
                    .map(|(n, cs)| (n.into(), cs.into_iter().map(Into::into).collect()))
                    .collect(),
            }
        }
    }

    /// What `sample()` really is.
    fn matching() -> Intended {
        Intended::new([
            ("back", vec!["api", "db", "worker"]),
            ("front", vec!["api", "web"]),
            ("mgmt", vec!["db", "ops"]),
        ])
    }

    fn with(edit: impl FnOnce(&mut Intended)) -> Vec<Difference> {
        let mut intended = matching();
        edit(&mut intended);
        compare(&intended, &sample())
    }

    #[test]
    fn a_matching_map_has_no_differences() {
        assert_eq!(compare(&matching(), &sample()), vec![]);
    }

    #[test]
    fn a_missing_attachment_is_named_exactly() {
        let diffs = with(|i| {
            i.networks.get_mut("mgmt").unwrap().insert("web".into());
        });
        assert_eq!(
            diffs,
            vec![Difference::MissingAttachment {
                network: "mgmt".into(),
                container: "web".into()
            }]
        );
        assert_eq!(
            report(&diffs),
            "the live topology differs from the intended one (1 difference):\n  \
             - missing attachment: web is not on network mgmt"
        );
    }

    #[test]
    fn an_extra_attachment_is_named_exactly() {
        let diffs = with(|i| {
            i.networks.get_mut("front").unwrap().remove("api");
        });
        assert_eq!(
            diffs,
            vec![Difference::ExtraAttachment {
                network: "front".into(),
                container: "api".into(),
                ip: "10.9.1.3".into()
            }]
        );
        assert_eq!(
            diffs[0].to_string(),
            "+ extra attachment: api is also on network front (10.9.1.3)"
        );
    }

    #[test]
    fn a_container_on_the_wrong_network() {
        let diffs = with(|i| {
            i.networks.get_mut("mgmt").unwrap().remove("ops");
            i.networks.get_mut("front").unwrap().insert("ops".into());
        });
        assert_eq!(
            diffs[0].to_string(),
            "~ wrong network: ops is on mgmt instead of front"
        );
        assert_eq!(diffs.len(), 1);
    }

    #[test]
    fn missing_and_extra_networks_and_containers() {
        let diffs = with(|i| {
            i.networks.remove("mgmt");
            i.networks
                .insert("dmz".into(), ["proxy".to_string()].into());
        });
        let lines: Vec<String> = diffs.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            lines,
            [
                "- missing network: dmz does not exist (meant to hold proxy)",
                "+ extra network: mgmt exists but is not in the intended topology (holding db, ops)",
                "- missing container: proxy does not exist (meant to be on dmz)",
            ]
        );
    }

    #[test]
    fn networks_outside_the_scope_count_only_when_named() {
        let mut live = sample();
        live.networks[2].external = true; // mgmt
        let mut intended = matching();
        intended.networks.remove("mgmt");
        assert_eq!(compare(&intended, &live), vec![]);
    }
}
