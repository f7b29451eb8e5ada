//! A run on several daemons: one [`RunSession`] per daemon, all with the
//! same run id; the default daemon's session keeps the others (see
//! [`RunSession::connect_host`]). Also the swarm a run starts or joins,
//! which is left again when the run ends.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{GWBRIDGE, SwarmInitSpec, SwarmJoinSpec};
use crate::docker::client::Client;
use crate::docker::error::{DockerError, Result};
use crate::docker::run::access::OtherDaemon;
use crate::docker::run::labels;
use crate::docker::run::session::RunSession;

/// This run made the daemon start or join a swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Membership {
    /// It is a manager (leaving needs force, and goes after the workers).
    pub(crate) manager: bool,
    /// Joining created `docker_gwbridge`: leaving removes it again.
    pub(crate) made_gwbridge: bool,
}

impl RunSession {
    /// Connects this run to the daemon at `url` (as the default daemon's
    /// client is connected: same timeout, pull policy and notes) and returns
    /// its session, made on first use. Reaching another daemon is host
    /// access: the run's policy is asked before anything is dialled.
    pub(crate) async fn connect_host(self: &Arc<Self>, url: &str) -> Result<Arc<RunSession>> {
        let admitted = self.admit(&OtherDaemon(url))?;
        let client = Client::connect(&self.client().options().for_host(url)).await?;
        Ok(self.for_host(client, admitted))
    }

    /// The clients of every daemon this run uses, the default daemon's first.
    pub(crate) fn all_clients(self: &Arc<Self>) -> Vec<Client> {
        let root = self.root();
        std::iter::once(root.client().clone())
            .chain(root.other_hosts().iter().map(|s| s.client().clone()))
            .collect()
    }

    /// Starts a swarm on this daemon (labelled with the run, so `netrig
    /// clean` knows whose it is); the run leaves it when it ends.
    pub(crate) async fn init_swarm(&self, spec: &SwarmInitSpec) -> Result<String> {
        let admitted = self.admit(spec)?;
        let made_gwbridge = self.client().find_network(GWBRIDGE).await?.is_none();
        let mut swarm_labels = self.labels().merged_with(&HashMap::new());
        swarm_labels.insert(
            labels::GWBRIDGE.into(),
            if made_gwbridge { "made" } else { "kept" }.into(),
        );
        let node_id = self
            .client()
            .init_swarm(spec, swarm_labels, admitted)
            .await?;
        self.remember_swarm(Membership {
            manager: true,
            made_gwbridge,
        });
        Ok(node_id)
    }

    /// Joins this daemon to a swarm; the run makes it leave when it ends.
    pub(crate) async fn join_swarm(&self, spec: &SwarmJoinSpec) -> Result<()> {
        let admitted = self.admit(spec)?;
        let made_gwbridge = self.client().find_network(GWBRIDGE).await?.is_none();
        self.client().join_swarm(spec, admitted).await?;
        let manager = self
            .client()
            .swarm_state()
            .await
            .map(|s| s.manager)
            .unwrap_or(false);
        self.remember_swarm(Membership {
            manager,
            made_gwbridge,
        });
        Ok(())
    }

    /// Leaves the swarm (forced: a scenario's manager may be the last one).
    /// A swarm this run started or joined is forgotten, and the
    /// `docker_gwbridge` that came with it removed.
    pub(crate) async fn leave_swarm(&self) -> Result<()> {
        self.client().leave_swarm(true).await?;
        let membership = self.forget_swarm();
        if membership.is_some_and(|m| m.made_gwbridge) {
            remove_gwbridge(self.client()).await?;
        }
        Ok(())
    }
}

/// Removes `docker_gwbridge` after leaving a swarm; its last endpoints go
/// a moment after the daemon says it left.
pub(crate) async fn remove_gwbridge(client: &Client) -> Result<()> {
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

/// The labels of the swarm this daemon manages, if netrig started it.
pub(crate) async fn swarm_made_by_netrig(
    client: &Client,
) -> Result<Option<HashMap<String, String>>> {
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
pub(crate) async fn leave_netrig_swarm(client: &Client) -> Result<()> {
    match swarm_made_by_netrig(client).await? {
        Some(swarm_labels) => leave_labelled_swarm(client, &swarm_labels).await,
        None => Ok(()),
    }
}

/// The reaper's part: leave the swarm only if the netrig process `pid` on
/// this machine started it.
pub(crate) async fn leave_swarm_made_by(client: &Client, pid: u32) -> Result<()> {
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
