//! Removal by label: the engine behind a run's teardown, the reaper and
//! `netrig clean`. Whatever carries the labels goes, on every daemon asked,
//! in dependency order but as concurrently as the daemon allows.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared, join_all};
use tokio::sync::Semaphore;

use super::labels;
use super::session::RunSession;
use crate::docker::client::Client;
use crate::docker::error::DockerError;
use crate::docker::explain::DockerOp;
use crate::text::plural;

/// What a teardown removed and what it could not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeardownReport {
    /// Names of removed swarm services.
    pub(crate) services: Vec<String>,
    /// Names of removed containers.
    pub containers: Vec<String>,
    /// Names of removed networks.
    pub networks: Vec<String>,
    /// One line per resource that could not be removed.
    pub failures: Vec<String>,
    /// Wall time taken.
    pub(crate) elapsed: Duration,
    /// Daemons that left the swarm the run had started or joined.
    pub(crate) swarms_left: Vec<String>,
    /// The daemons besides the default one that the run used.
    pub(crate) other_hosts: Vec<String>,
}

impl TeardownReport {
    /// True when nothing was left behind.
    pub fn is_clean(&self) -> bool {
        self.failures.is_empty()
    }

    /// `2 containers, 1 network` (`1 service, 2 containers, 1 network` when
    /// services went too).
    pub(crate) fn summary(&self) -> String {
        let resources = format!(
            "{}, {}",
            plural(self.containers.len(), "container"),
            plural(self.networks.len(), "network")
        );
        if self.services.is_empty() {
            resources
        } else {
            format!("{}, {resources}", plural(self.services.len(), "service"))
        }
    }
}

impl RunSession {
    /// Removes everything carrying this run's label, on every daemon the
    /// run used: services, then containers, each network as soon as its
    /// containers are gone, all concurrently (see [`remove_matching_on`]);
    /// then leaves the swarms the run started or joined — workers before
    /// managers, so no worker is left with a vanished manager.
    pub async fn teardown(&self) -> TeardownReport {
        let root = self;
        let started = Instant::now();
        let others = root.other_hosts();
        let sessions: Vec<&RunSession> = std::iter::once(root)
            .chain(others.iter().map(|s| s.as_ref()))
            .collect();
        if !sessions
            .iter()
            .any(|s| s.labels_were_used() || s.membership().is_some())
        {
            // Nothing was ever labelled for this run, nor is being: spare the
            // start-up of a one-line script its round trips.
            return TeardownReport::default();
        }
        join_all(sessions.iter().map(|s| s.settle())).await;
        let clients: Vec<Client> = sessions.iter().map(|s| s.client().clone()).collect();
        let mut report = remove_matching_on(&clients, &[root.labels().run_filter()]).await;

        for managers in [false, true] {
            let leaving: Vec<&RunSession> = sessions
                .iter()
                .copied()
                .filter(|s| s.membership().is_some_and(|m| m.manager == managers))
                .collect();
            let results = join_all(leaving.iter().map(|s| s.leave_swarm())).await;
            for (s, result) in leaving.iter().zip(results) {
                match result {
                    Ok(()) => report.swarms_left.push(s.client().host().to_string()),
                    Err(e) => report.failures.push(e.to_string()),
                }
            }
        }
        for s in &sessions {
            s.forget_created();
            // What the daemon still holds (a removal that failed) shows in
            // its listing, so the book can let go of everything.
            s.client().pool().release_run(root.run_id());
        }
        report.other_hosts = others
            .iter()
            .map(|s| s.client().host().to_string())
            .collect();
        report.elapsed = started.elapsed();
        report
    }
}

type Removal = Shared<BoxFuture<'static, std::result::Result<(), String>>>;

/// How long a swarm-scoped network's removal is retried while the swarm
/// still counts a just-removed container's attachment.
const SWARM_NETWORK_RETRY: Duration = Duration::from_secs(15);

/// Container removals in flight at once. All at once (what teardown did
/// before) finishes each network's last container late, so the network
/// removals, which the daemon runs one at a time, pile up at the end; a
/// few at a time in network order lets them overlap with the containers'.
/// 16: the floor's teardown was as fast at 16 as at 32 and slower at 4–8.
const REMOVALS_AT_ONCE: usize = 16;

/// Removes every service, container and network matching the label filter
/// `key=value`. Networks wait only for their own containers, because the
/// daemon serialises removals: overlapping them is where the time goes.
pub async fn remove_labelled(client: &Client, label_filter: &str) -> TeardownReport {
    remove_matching(client, &[label_filter.to_string()]).await
}

/// Like [`remove_labelled`], for resources carrying every one of `label_filters`.
pub(crate) async fn remove_matching(client: &Client, label_filters: &[String]) -> TeardownReport {
    remove_matching_on(std::slice::from_ref(client), label_filters).await
}

/// [`remove_matching`] on several daemons at once. Services go first (their
/// tasks are containers on any node). A swarm-scoped network is one network
/// on every node: it waits for the containers of all daemons and is removed
/// by whichever daemon (a manager) can.
pub(crate) async fn remove_matching_on(
    clients: &[Client],
    label_filters: &[String],
) -> TeardownReport {
    let started = Instant::now();
    let mut report = TeardownReport::default();
    let filter = HashMap::from([("label".to_string(), label_filters.to_vec())]);

    remove_services(clients, &filter, &mut report).await;

    let listed = join_all(clients.iter().map(|client| {
        let filter = filter.clone();
        // Finding what to remove is netrig's own business: not explained.
        let client = client.quiet();
        async move {
            futures_util::join!(
                client.list_containers(true, filter.clone()),
                client.list_networks(filter)
            )
        }
    }))
    .await;

    let mut every_removal: Vec<Removal> = Vec::new();
    let mut container_jobs = Vec::new();
    let mut network_jobs = Vec::new();
    // Swarm-scoped networks by id: name, and the daemons that list them.
    let mut swarm_networks: BTreeMap<String, (String, Vec<Client>)> = BTreeMap::new();
    // Ids are random: one seen through two addresses is one daemon's (a
    // unix socket and ssh://localhost, say), and is removed once.
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (client, (containers, networks)) in clients.iter().zip(listed) {
        let mut containers = containers.unwrap_or_else(|e| {
            report
                .failures
                .push(format!("could not list containers: {e}"));
            Vec::new()
        });
        let mut networks = networks.unwrap_or_else(|e| {
            report
                .failures
                .push(format!("could not list networks: {e}"));
            Vec::new()
        });
        let local = |scope: &str| scope != "swarm";
        containers.retain(|c| seen.insert(c.id.clone()));
        networks.retain(|n| !local(&n.scope) || seen.insert(n.id.clone()));

        // Network by network, a few at a time: each network's containers go
        // together, so the network can go while the others' are still being
        // removed (the daemon serialises both kinds of removal).
        containers.sort_by(|a, b| a.networks.first().cmp(&b.networks.first()));
        let at_once = Arc::new(Semaphore::new(REMOVALS_AT_ONCE));
        let removals: BTreeMap<String, Removal> = containers
            .iter()
            .map(|c| {
                let client = client.clone();
                let id = c.id.clone();
                let paused = c.state == "paused";
                let at_once = at_once.clone();
                // Removed by id (a name may have been taken since), explained by name.
                client.explain(&DockerOp::Rm(&c.name));
                let fut: BoxFuture<'static, _> = async move {
                    let _turn = at_once.acquire_owned().await;
                    let client = client.quiet();
                    // Thaw a paused container first: some daemons refuse, or
                    // wait forever, to stop one whose processes are frozen.
                    if paused {
                        let _ = client.unpause_container(&id).await;
                    }
                    client
                        .remove_container(&id)
                        .await
                        .map_err(|e| e.to_string())
                }
                .boxed();
                (c.id.clone(), fut.shared())
            })
            .collect();
        every_removal.extend(removals.values().cloned());

        for net in networks
            .iter()
            .filter(|n| !labels::PREDEFINED_NETWORKS.contains(&n.name.as_str()))
        {
            if net.scope == "swarm" {
                swarm_networks
                    .entry(net.id.clone())
                    .or_insert_with(|| (net.name.clone(), Vec::new()))
                    .1
                    .push(client.clone());
                continue;
            }
            let waits: Vec<Removal> = containers
                .iter()
                .filter(|c| c.networks.contains(&net.name))
                .map(|c| removals[&c.id].clone())
                .collect();
            let client = client.clone();
            let (id, name) = (net.id.clone(), net.name.clone());
            network_jobs.push(async move {
                join_all(waits).await;
                client.explain(&DockerOp::NetworkRm(&name));
                (
                    name,
                    client
                        .quiet()
                        .remove_network(&id)
                        .await
                        .map(|()| true)
                        .map_err(|e| e.to_string()),
                )
            });
        }
        for c in &containers {
            let removal = removals[&c.id].clone();
            let name = c.name.clone();
            container_jobs.push(async move { (name, removal.await) });
        }
    }
    let swarm_jobs = swarm_networks.into_iter().map(|(id, (name, holders))| {
        let waits = every_removal.clone();
        async move {
            join_all(waits).await;
            (name, remove_swarm_network(&holders, &id).await)
        }
    });

    let (container_results, network_results, swarm_results) = futures_util::join!(
        join_all(container_jobs),
        join_all(network_jobs),
        join_all(swarm_jobs)
    );
    for (name, result) in container_results {
        match result {
            Ok(()) => report.containers.push(name),
            Err(e) => report.failures.push(e),
        }
    }
    for (name, result) in network_results.into_iter().chain(swarm_results) {
        match result {
            Ok(true) => report.networks.push(name),
            Ok(false) => {}
            Err(e) => report.failures.push(e),
        }
    }
    report.elapsed = started.elapsed();
    report
}

/// Removes the labelled services of every daemon that is a manager (the
/// others answer "not a swarm manager"), then their task containers, so
/// the networks they used are free.
async fn remove_services(
    clients: &[Client],
    filter: &HashMap<String, Vec<String>>,
    report: &mut TeardownReport,
) {
    let listed = join_all(clients.iter().map(|c| {
        let (client, filter) = (c.quiet(), filter.clone());
        async move { client.list_services(filter).await }
    }))
    .await;
    // By id: several managers of one swarm list the same service.
    let mut services: BTreeMap<String, (String, Client)> = BTreeMap::new();
    for (client, result) in clients.iter().zip(listed) {
        match result {
            Ok(list) => {
                for s in list {
                    services
                        .entry(s.id)
                        .or_insert_with(|| (s.name, client.clone()));
                }
            }
            // Not a manager, or not in a swarm: no services here.
            Err(DockerError::Conflict { .. }) => {}
            Err(e) => report
                .failures
                .push(format!("could not list services: {e}")),
        }
    }
    if services.is_empty() {
        return;
    }
    let removed = join_all(services.iter().map(|(id, (name, client))| async move {
        (name.clone(), client.remove_service(id).await)
    }))
    .await;
    for (name, result) in removed {
        match result {
            Ok(_) => report.services.push(name),
            Err(e) => report.failures.push(e.to_string()),
        }
    }
    let ids: Vec<String> = services.into_keys().collect();
    for result in join_all(clients.iter().map(|c| c.remove_task_containers(&ids))).await {
        match result {
            Ok(names) => report.containers.extend(names),
            Err(e) => report.failures.push(e.to_string()),
        }
    }
}

/// A removed swarm network stays in the daemons' lists for a moment (the
/// manager tells the nodes afterwards): wait, briefly, until it is gone.
async fn wait_network_gone(holders: &[Client], id: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let filter = HashMap::from([("id".to_string(), vec![id.to_string()])]);
    for client in holders {
        while Instant::now() < deadline {
            match client.quiet().list_networks(filter.clone()).await {
                Ok(list) if list.iter().any(|n| n.id == id) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                _ => break,
            }
        }
    }
}

/// Removes a swarm-scoped network through any daemon that can (a manager),
/// retrying while the swarm still counts an attachment of a container that
/// was just removed. `Ok(false)`: it was already gone.
async fn remove_swarm_network(holders: &[Client], id: &str) -> std::result::Result<bool, String> {
    let deadline = Instant::now() + SWARM_NETWORK_RETRY;
    loop {
        let mut errors = Vec::new();
        for client in holders {
            match client.remove_network(id).await {
                Ok(()) => {
                    wait_network_gone(holders, id).await;
                    return Ok(true);
                }
                Err(DockerError::NotFound { .. }) => {}
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            return Ok(false);
        }
        let busy = errors
            .iter()
            .any(|e| matches!(e, DockerError::Conflict { .. }) || e.to_string().contains("in use"));
        if !busy || Instant::now() >= deadline {
            let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            return Err(messages.join("; "));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts() {
        let r = TeardownReport {
            containers: vec!["a".into(), "b".into()],
            networks: vec!["n".into()],
            ..Default::default()
        };
        assert_eq!(r.summary(), "2 containers, 1 network");
    }
}
