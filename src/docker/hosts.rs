//! A run on several daemons: one [`RunSession`] per daemon, all with the
//! same run id; the default daemon's session keeps the others. Also the
//! swarm a run starts or joins, which is left again when the run ends, and
//! the teardown that covers every daemon the run touched.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::client::Client;
use super::error::{DockerError, Result};
use super::labels;
use super::session::{RunSession, TeardownReport, remove_matching_on};
use super::swarm::{GWBRIDGE, SwarmInitSpec, SwarmJoinSpec};

/// This run made the daemon start or join a swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    /// It is a manager (leaving needs force, and goes after the workers).
    pub manager: bool,
    /// Joining created `docker_gwbridge`: leaving removes it again.
    pub made_gwbridge: bool,
}

impl RunSession {
    /// The session of this run on the daemon `client` talks to: this one
    /// for the same address, else the one made the first time, else a new
    /// one (same run id and labels) that this session's teardown covers.
    pub fn for_host(self: &Arc<Self>, client: Client) -> Arc<RunSession> {
        if client.host() == self.client().host() {
            return self.clone();
        }
        let mut hosts = self.hosts.lock().expect("hosts poisoned");
        if let Some(existing) = hosts.iter().find(|h| h.client().host() == client.host()) {
            return existing.clone();
        }
        let session = Arc::new(self.sibling(client));
        hosts.push(session.clone());
        session
    }

    /// The clients of every daemon this run uses, the default daemon's first.
    pub fn all_clients(self: &Arc<Self>) -> Vec<Client> {
        let root = self.root.upgrade().unwrap_or_else(|| self.clone());
        std::iter::once(root.client().clone())
            .chain(root.other_hosts().iter().map(|s| s.client().clone()))
            .collect()
    }

    /// The other daemons' sessions of this run, in the order they were connected.
    pub fn other_hosts(&self) -> Vec<Arc<RunSession>> {
        self.hosts.lock().expect("hosts poisoned").clone()
    }

    /// The swarm this run made the daemon start or join, if any.
    pub fn membership(&self) -> Option<Membership> {
        *self.swarm.lock().expect("swarm poisoned")
    }

    /// Starts a swarm on this daemon (labelled with the run, so `netrig
    /// clean` knows whose it is); the run leaves it when it ends.
    pub async fn init_swarm(&self, spec: &SwarmInitSpec) -> Result<String> {
        let made_gwbridge = self.client().find_network(GWBRIDGE).await?.is_none();
        let mut swarm_labels = self.labels().merged_with(&HashMap::new());
        swarm_labels.insert(
            labels::GWBRIDGE.into(),
            if made_gwbridge { "made" } else { "kept" }.into(),
        );
        let node_id = self.client().init_swarm(spec, swarm_labels).await?;
        *self.swarm.lock().expect("swarm poisoned") = Some(Membership {
            manager: true,
            made_gwbridge,
        });
        Ok(node_id)
    }

    /// Joins this daemon to a swarm; the run makes it leave when it ends.
    pub async fn join_swarm(&self, spec: &SwarmJoinSpec) -> Result<()> {
        let made_gwbridge = self.client().find_network(GWBRIDGE).await?.is_none();
        self.client().join_swarm(spec).await?;
        let manager = self
            .client()
            .swarm_state()
            .await
            .map(|s| s.manager)
            .unwrap_or(false);
        *self.swarm.lock().expect("swarm poisoned") = Some(Membership {
            manager,
            made_gwbridge,
        });
        Ok(())
    }

    /// Leaves the swarm (forced: a scenario's manager may be the last one).
    /// A swarm this run started or joined is forgotten, and the
    /// `docker_gwbridge` that came with it removed.
    pub async fn leave_swarm(&self) -> Result<()> {
        self.client().leave_swarm(true).await?;
        let membership = self.swarm.lock().expect("swarm poisoned").take();
        if membership.is_some_and(|m| m.made_gwbridge) {
            remove_gwbridge(self.client()).await?;
        }
        Ok(())
    }
}

/// Removes `docker_gwbridge` after leaving a swarm; its last endpoints go
/// a moment after the daemon says it left.
pub async fn remove_gwbridge(client: &Client) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match client.remove_network(GWBRIDGE).await {
            Ok(()) | Err(DockerError::NotFound { .. }) => return Ok(()),
            Err(DockerError::Conflict { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The run's teardown on every daemon it used: resources first (see
/// [`remove_matching_on`]), then the swarms it started or joined — workers
/// before managers, so no worker is left with a vanished manager.
pub(super) async fn teardown(root: &RunSession) -> TeardownReport {
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
    }
    report.other_hosts = others
        .iter()
        .map(|s| s.client().host().to_string())
        .collect();
    report.elapsed = started.elapsed();
    report
}

/// The labels of the swarm this daemon manages, if netrig started it.
pub async fn swarm_made_by_netrig(client: &Client) -> Result<Option<HashMap<String, String>>> {
    let state = client.swarm_state().await?;
    if !state.is_active() || !state.manager {
        return Ok(None);
    }
    match client.swarm_labels().await {
        Ok(l) if l.contains_key(labels::MANAGED) => Ok(Some(l)),
        Ok(_) | Err(DockerError::Conflict { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `netrig clean` for a swarm a dead run left: leave it, and remove the
/// `docker_gwbridge` that starting it made.
pub async fn leave_netrig_swarm(client: &Client) -> Result<()> {
    match swarm_made_by_netrig(client).await? {
        Some(swarm_labels) => leave_labelled_swarm(client, &swarm_labels).await,
        None => Ok(()),
    }
}

/// The reaper's part: leave the swarm only if the netrig process `pid` on
/// this machine started it.
pub async fn leave_swarm_made_by(client: &Client, pid: u32) -> Result<()> {
    match swarm_made_by_netrig(client).await? {
        Some(l)
            if l.get(labels::PID) == Some(&pid.to_string())
                && l.get(labels::HOST) == Some(&labels::this_host()) =>
        {
            leave_labelled_swarm(client, &l).await
        }
        _ => Ok(()),
    }
}

async fn leave_labelled_swarm(
    client: &Client,
    swarm_labels: &HashMap<String, String>,
) -> Result<()> {
    client.leave_swarm(true).await?;
    if swarm_labels.get(labels::GWBRIDGE).map(String::as_str) == Some("made") {
        remove_gwbridge(client).await?;
    }
    Ok(())
}
