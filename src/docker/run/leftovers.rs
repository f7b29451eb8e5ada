//! The runs netrig left on a daemon, found by their labels: what `netrig
//! clean` lists and removes.

use std::collections::{BTreeMap, HashMap};

use super::labels;
use crate::docker::client::Client;
use crate::docker::error::{DockerError, Result};

/// One run found on the daemon by its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeftoverRun {
    /// The run id.
    pub(crate) run_id: String,
    /// The script it ran.
    pub(crate) script: String,
    /// Its swarm service names.
    pub(crate) services: Vec<String>,
    /// Its container names.
    pub(crate) containers: Vec<String>,
    /// Its network names.
    pub(crate) networks: Vec<String>,
    /// The run started the swarm this daemon manages (and left it in place).
    pub(crate) swarm: bool,
    /// The netrig process that made it is still running on this machine.
    pub(crate) alive: bool,
}

/// Every run that left netrig-managed resources on the daemon (or the swarm
/// it started: a swarm carries the labels of the run that made it).
pub(crate) async fn leftover_runs(client: &Client) -> Result<Vec<LeftoverRun>> {
    let filter = HashMap::from([(
        "label".to_string(),
        vec![format!("{}=true", labels::MANAGED)],
    )]);
    let containers = client.quiet().list_containers(true, filter.clone()).await?;
    let networks = client.quiet().list_networks(filter.clone()).await?;
    let services = match client.quiet().list_services(filter).await {
        Ok(s) => s,
        Err(DockerError::Conflict { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    let swarm_labels = crate::docker::swarm::hosts::swarm_made_by_netrig(client).await?;

    let mut runs: BTreeMap<String, LeftoverRun> = BTreeMap::new();
    let this_host = labels::this_host();
    fn entry<'a>(
        runs: &'a mut BTreeMap<String, LeftoverRun>,
        l: &HashMap<String, String>,
        this_host: &str,
    ) -> &'a mut LeftoverRun {
        let run_id = l.get(labels::RUN).cloned().unwrap_or_default();
        runs.entry(run_id.clone()).or_insert_with(|| LeftoverRun {
            run_id,
            script: l.get(labels::SCRIPT).cloned().unwrap_or_default(),
            services: Vec::new(),
            containers: Vec::new(),
            networks: Vec::new(),
            swarm: false,
            alive: is_alive(l, this_host),
        })
    }
    for s in &services {
        entry(&mut runs, &s.labels, &this_host)
            .services
            .push(s.name.clone());
    }
    for c in &containers {
        entry(&mut runs, &c.labels, &this_host)
            .containers
            .push(c.name.clone());
    }
    for n in &networks {
        entry(&mut runs, &n.labels, &this_host)
            .networks
            .push(n.name.clone());
    }
    if let Some(l) = &swarm_labels {
        entry(&mut runs, l, &this_host).swarm = true;
    }
    Ok(runs.into_values().collect())
}

/// A run is alive when the netrig process that labelled it still runs here.
fn is_alive(labels: &HashMap<String, String>, this_host: &str) -> bool {
    let Some(pid) = labels.get(labels::PID) else {
        return false;
    };
    if labels.get(labels::HOST).map(String::as_str) != Some(this_host) {
        // Another machine's run: we cannot tell, so treat it as alive and
        // leave it alone unless asked by run id.
        return true;
    }
    if pid == &std::process::id().to_string() {
        return false;
    }
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmd| String::from_utf8_lossy(&cmd).contains("netrig"))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_pid_is_not_alive() {
        let labels = HashMap::from([
            (labels::PID.to_string(), "999999999".to_string()),
            (labels::HOST.to_string(), labels::this_host()),
        ]);
        assert!(!is_alive(&labels, &labels::this_host()));
    }

    #[test]
    fn another_hosts_run_is_left_alone() {
        let labels = HashMap::from([
            (labels::PID.to_string(), "1".to_string()),
            (labels::HOST.to_string(), "elsewhere".to_string()),
        ]);
        assert!(is_alive(&labels, "here"));
    }
}
