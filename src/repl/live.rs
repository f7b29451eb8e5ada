//! The REPL's view of the daemon: container and network names for
//! completion (cached briefly, so Tab stays instant), and facts for the
//! one-line summaries of handles.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::runtime::Handle;

use super::complete::LiveNames;
use super::display::{ContainerFacts, Facts, NetworkFacts};
use crate::docker::{Client, ContainerAddresses};

/// How long listed names are reused: long enough for a burst of Tabs,
/// short enough to see what another terminal just made.
const NAMES_TTL: Duration = Duration::from_secs(2);
/// Tab must not hang on a slow daemon.
const LIST_TIMEOUT: Duration = Duration::from_millis(1500);

/// The daemon, as the REPL asks it things.
pub(crate) struct Daemon {
    runtime: Handle,
    client: Client,
    names: Mutex<Option<(Instant, LiveNames)>>,
}

impl Daemon {
    /// A view through `client`, blocking on `runtime`.
    pub(crate) fn new(runtime: Handle, client: Client) -> Self {
        Daemon {
            runtime,
            client,
            names: Mutex::new(None),
        }
    }

    /// Container and network names, from the cache when it is fresh. A
    /// daemon that does not answer in time gives no names rather than a wait.
    pub(crate) fn names(&self) -> LiveNames {
        let mut cache = self.names.lock().expect("names cache poisoned");
        if let Some((at, names)) = cache.as_ref()
            && at.elapsed() < NAMES_TTL
        {
            return names.clone();
        }
        // Completion's own lookups: never explained.
        let client = &self.client.quiet();
        let listed = self.runtime.block_on(async {
            tokio::time::timeout(LIST_TIMEOUT, async {
                let (containers, networks) = futures_util::join!(
                    client.list_containers(true, HashMap::new()),
                    client.list_networks(HashMap::new())
                );
                LiveNames {
                    containers: containers
                        .unwrap_or_default()
                        .into_iter()
                        .map(|c| c.name)
                        .collect(),
                    networks: networks
                        .unwrap_or_default()
                        .into_iter()
                        .map(|n| n.name)
                        .collect(),
                }
            })
            .await
        });
        match listed {
            Ok(names) => {
                *cache = Some((Instant::now(), names.clone()));
                names
            }
            Err(_) => LiveNames::default(),
        }
    }

    /// Drops cached names (after a line that may have made or removed some).
    pub(crate) fn forget_names(&self) {
        *self.names.lock().expect("names cache poisoned") = None;
    }
}

impl Facts for Daemon {
    fn containers(&self, ids: &[String]) -> Vec<Option<ContainerFacts>> {
        let client = &self.client;
        self.runtime
            .block_on(join_all(ids.iter().map(|id| async move {
                let inspect = client.quiet().inspect_container(id).await.ok()?;
                let addrs = ContainerAddresses::from_inspect(&inspect);
                Some(ContainerFacts {
                    state: inspect
                        .state
                        .and_then(|s| s.status)
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    networks: addrs.networks,
                    ports: addrs
                        .published
                        .iter()
                        .map(|(key, ip, port)| format!("{ip}:{port}->{key}"))
                        .collect(),
                })
            })))
    }

    fn networks(&self, ids: &[String]) -> Vec<Option<NetworkFacts>> {
        let client = &self.client;
        self.runtime
            .block_on(join_all(ids.iter().map(|id| async move {
                let json = client.quiet().inspect_network(id).await.ok()?;
                let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
                let mut containers: Vec<String> = json["Containers"]
                    .as_object()
                    .map(|m| m.values().map(|c| text(&c["Name"])).collect())
                    .unwrap_or_default();
                containers.sort();
                Some(NetworkFacts {
                    driver: text(&json["Driver"]),
                    subnets: json["IPAM"]["Config"]
                        .as_array()
                        .map(|cs| cs.iter().map(|c| text(&c["Subnet"])).collect())
                        .unwrap_or_default(),
                    containers,
                })
            })))
    }
}
