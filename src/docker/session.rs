//! A run session: everything one `netrig run` (or REPL session) creates goes
//! through here, so it is labelled, named and removed when the run ends.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared, join_all};

use super::client::Client;
use super::container::ContainerRef;
use super::error::{DockerError, Result};
use super::image::PullObserver;
use super::labels::{self, RunLabels};
use super::names::Names;
use super::network::NetworkRef;
use super::spec::{ConnectSpec, NetworkSpec, RunSpec, is_builtin_network};

/// Kinds of resource a run creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// A container.
    Container,
    /// A network.
    Network,
    /// A swarm service.
    Service,
}

/// One resource the session created, in creation order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// Container or network.
    pub kind: ResourceKind,
    /// Full id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// The resources of one run on one daemon, and the means to remove them.
/// A run that uses several daemons (`docker::connect`) has one session per
/// daemon, all with the same run id; the first (the default daemon's) keeps
/// the others, and its teardown covers them all (see `hosts.rs`).
pub struct RunSession {
    client: Client,
    labels: RunLabels,
    names: Names,
    next_name: Arc<AtomicUsize>,
    created: Mutex<Vec<Created>>,
    /// Creations still running; teardown waits for them (see `settled`).
    in_flight: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Set once anyone asked for the run's labels: until then nothing can
    /// carry them, and teardown has nothing to look for.
    labels_used: AtomicBool,
    /// The other daemons' sessions (kept by the default daemon's session only).
    pub(super) hosts: Mutex<Vec<Arc<RunSession>>>,
    /// The swarm this run made the daemon start or join, to leave at the end.
    pub(super) swarm: Mutex<Option<super::hosts::Membership>>,
    /// The default daemon's session, from another daemon's session.
    pub(super) root: std::sync::Weak<RunSession>,
}

/// How long teardown waits for creations still in flight.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(60);

impl RunSession {
    /// A new session with a fresh run id for `script` (a path, or `<repl>`).
    pub fn new(client: Client, script: &str) -> Self {
        RunSession {
            client,
            labels: RunLabels::for_this_process(&labels::new_run_id(), script),
            names: Names::unchanged(),
            next_name: Arc::new(AtomicUsize::new(1)),
            created: Mutex::new(Vec::new()),
            in_flight: Mutex::new(Vec::new()),
            labels_used: AtomicBool::new(false),
            hosts: Mutex::new(Vec::new()),
            swarm: Mutex::new(None),
            root: std::sync::Weak::new(),
        }
    }

    /// A session for another daemon in the same run: same labels and name
    /// mapping, and one numbering of generated names, so names never repeat
    /// across daemons.
    pub(super) fn sibling(self: &Arc<Self>, client: Client) -> Self {
        RunSession {
            client,
            labels: self.labels.clone(),
            names: self.names.clone(),
            next_name: self.next_name.clone(),
            created: Mutex::new(Vec::new()),
            in_flight: Mutex::new(Vec::new()),
            labels_used: AtomicBool::new(false),
            hosts: Mutex::new(Vec::new()),
            swarm: Mutex::new(None),
            root: Arc::downgrade(self),
        }
    }

    /// A session whose Docker names carry the run id as a prefix, so runs of
    /// scenarios that use the same names can share a daemon (`netrig test`).
    /// Containers also answer to their script name on their networks.
    pub fn isolated(client: Client, script: &str) -> Self {
        let mut session = RunSession::new(client, script);
        session.names = Names::prefixed(&session.labels.run_id);
        session
    }

    /// How this run's script names map to Docker names.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The Docker client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The run id carried by every resource of this run.
    pub fn run_id(&self) -> &str {
        &self.labels.run_id
    }

    /// The labels of this run. Whatever is labelled with them is removed at
    /// teardown; a run that never asked for them skips the teardown's queries.
    pub fn labels(&self) -> &RunLabels {
        self.labels_used.store(true, Ordering::SeqCst);
        &self.labels
    }

    /// What this session created so far, oldest first.
    pub fn created(&self) -> Vec<Created> {
        self.created.lock().expect("created list poisoned").clone()
    }

    /// Notes a resource this session created, for `--keep` and reports.
    pub(crate) fn record(&self, kind: ResourceKind, id: &str, name: &str) {
        self.created
            .lock()
            .expect("created list poisoned")
            .push(Created {
                kind,
                id: id.to_string(),
                name: name.to_string(),
            });
    }

    /// The name Docker knows a resource by, for a name a script uses: the
    /// one place where names are mapped when runs are isolated.
    pub fn docker_name(&self, kind: ResourceKind, script_name: &str) -> String {
        self.names.docker(kind, script_name)
    }

    /// The name a script knows a Docker name by (the inverse of `docker_name`
    /// for the run's own resources; other names are unchanged).
    pub fn script_name<'a>(&self, docker_name: &'a str) -> &'a str {
        self.names.script(docker_name)
    }

    /// Creates a labelled network (named by `docker_name`; the returned ref
    /// carries the Docker name).
    pub async fn create_network(&self, spec: &NetworkSpec) -> Result<NetworkRef> {
        let mut spec = spec.clone();
        spec.name = self.docker_name(ResourceKind::Network, &spec.name);
        let (client, labels) = (self.client.clone(), self.labels().merged_with(&spec.labels));
        let net = self
            .settled(async move { client.create_network(&spec, labels).await })
            .await?;
        self.record(ResourceKind::Network, &net.id, &net.name);
        Ok(net)
    }

    /// Runs a labelled container; one without a name gets
    /// `<image>-<run id>-<n>` (isolated: `<image>-<n>`, prefixed like any
    /// name), so it is recognisable and needs no inspect. The returned ref
    /// carries the Docker name.
    pub async fn run(&self, spec: &RunSpec, observer: &PullObserver) -> Result<ContainerRef> {
        let (name, spec) = self.docker_run_spec(spec);
        // The pull may be abandoned (nothing exists yet); the rest runs to its end.
        self.client.ensure_image(&spec.image, observer).await?;
        self.run_present(name, spec).await
    }

    /// The Docker name and spec for what a script asked to run: names
    /// mapped, a name picked when none was given, and (isolated) the
    /// script's name as an alias.
    pub(crate) fn docker_run_spec(&self, spec: &RunSpec) -> (String, RunSpec) {
        let script_name = match &spec.name {
            Some(name) => name.clone(),
            None => self.generated_name(&spec.image),
        };
        let name = self.docker_name(ResourceKind::Container, &script_name);
        let mut spec = spec.clone();
        spec.networks = spec
            .networks
            .iter()
            .map(|n| self.docker_name(ResourceKind::Network, n))
            .collect();
        spec.endpoints = std::mem::take(&mut spec.endpoints)
            .into_iter()
            .map(|(n, e)| (self.docker_name(ResourceKind::Network, &n), e))
            .collect();
        spec.network_of =
            (spec.network_of.as_deref()).map(|c| self.docker_name(ResourceKind::Container, c));
        if self.names.prefix().is_some() && !spec.aliases.contains(&script_name) {
            // Other containers find it by the script's name through DNS.
            spec.aliases.push(script_name);
        }
        (name, spec)
    }

    /// Creates and starts a container from [`RunSession::docker_run_spec`]
    /// whose image is known to be here; runs to its end even when the
    /// script stops waiting.
    pub(crate) async fn run_present(&self, name: String, spec: RunSpec) -> Result<ContainerRef> {
        let (client, labels) = (self.client.clone(), self.labels().merged_with(&spec.labels));
        let container = self
            .settled(async move { client.create_and_start(&spec, &name, labels).await })
            .await?;
        self.record(ResourceKind::Container, &container.id, &container.name);
        Ok(container)
    }

    /// Forgets a resource the script removed itself (by its Docker name or
    /// id), so that `--keep` does not report it as kept.
    pub fn forget_removed(&self, kind: ResourceKind, name_or_id: &str) {
        self.created
            .lock()
            .expect("created list poisoned")
            .retain(|c| {
                !(c.kind == kind && (c.name == name_or_id || c.id.starts_with(name_or_id)))
            });
    }

    /// Forgets resources that were removed again before the run ended.
    pub(crate) fn forget(&self, ids: &[String]) {
        self.created
            .lock()
            .expect("created list poisoned")
            .retain(|c| !ids.contains(&c.id));
    }

    /// Connects a container to a network, live (both by Docker name). In an
    /// isolated run the run's own container answers to its script name there too.
    pub async fn connect_network(
        &self,
        network: &str,
        container: &str,
        spec: &ConnectSpec,
    ) -> Result<()> {
        let script_name = self.script_name(container);
        let mut spec = spec.clone();
        if script_name != container
            && !is_builtin_network(network)
            && !spec.aliases.iter().any(|a| a == script_name)
        {
            spec.aliases.push(script_name.to_string());
        }
        self.client.connect_network(network, container, &spec).await
    }

    /// The name of a container the script did not name.
    pub(crate) fn generated_name(&self, image: &str) -> String {
        let base = image
            .rsplit('/')
            .next()
            .unwrap_or(image)
            .split([':', '@'])
            .next()
            .unwrap_or("ctr");
        let n = self.next_name.fetch_add(1, Ordering::Relaxed);
        match self.names.prefix() {
            // The prefix already makes the name unique.
            Some(_) => format!("{base}-{n}"),
            None => format!("{base}-{}-{n}", self.labels.run_id),
        }
    }

    /// Runs a creation to its end even when the script stops waiting for it
    /// (Ctrl-C, a scenario's timeout): a create request the daemon already
    /// has would otherwise finish after teardown looked, and leak.
    pub(crate) async fn settled<T: Send + 'static>(
        &self,
        creation: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let _ = tx.send(creation.await);
        });
        {
            let mut in_flight = self.in_flight.lock().expect("in-flight list poisoned");
            in_flight.retain(|t| !t.is_finished());
            in_flight.push(task);
        }
        rx.await.unwrap_or_else(|_| {
            Err(super::error::DockerError::Failed {
                action: "create a resource".into(),
                message: "the creation task ended without an answer".into(),
            })
        })
    }

    /// Removes everything carrying this run's label, on every daemon the
    /// run used: services, then containers, each network as soon as its
    /// containers are gone, all concurrently; then leaves the swarms the
    /// run started or joined.
    pub async fn teardown(&self) -> TeardownReport {
        super::hosts::teardown(self).await
    }

    /// Forgets what was created (after a teardown).
    pub(super) fn forget_created(&self) {
        self.created.lock().expect("created list poisoned").clear();
    }

    /// Whether anything was ever labelled for this run here (or is being):
    /// if not, teardown has nothing to look for on this daemon.
    pub(super) fn labels_were_used(&self) -> bool {
        self.labels_used.load(Ordering::SeqCst)
    }

    /// Waits for creations still in flight, so teardown sees what they made.
    pub(super) async fn settle(&self) {
        let pending = std::mem::take(&mut *self.in_flight.lock().expect("in-flight list poisoned"));
        let _ = tokio::time::timeout(IN_FLIGHT_WAIT, join_all(pending)).await;
    }
}

/// What a teardown removed and what it could not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeardownReport {
    /// Names of removed swarm services.
    pub services: Vec<String>,
    /// Names of removed containers.
    pub containers: Vec<String>,
    /// Names of removed networks.
    pub networks: Vec<String>,
    /// One line per resource that could not be removed.
    pub failures: Vec<String>,
    /// Wall time taken.
    pub elapsed: Duration,
    /// Daemons that left the swarm the run had started or joined.
    pub swarms_left: Vec<String>,
    /// The daemons besides the default one that the run used.
    pub other_hosts: Vec<String>,
}

impl TeardownReport {
    /// True when nothing was left behind.
    pub fn is_clean(&self) -> bool {
        self.failures.is_empty()
    }

    /// `2 containers, 1 network` (`1 service, 2 containers, 1 network` when
    /// services went too).
    pub fn summary(&self) -> String {
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

/// `1 network`, `2 networks`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

type Removal = Shared<BoxFuture<'static, std::result::Result<(), String>>>;

/// How long a swarm-scoped network's removal is retried while the swarm
/// still counts a just-removed container's attachment.
const SWARM_NETWORK_RETRY: Duration = Duration::from_secs(15);

/// Removes every service, container and network matching the label filter
/// `key=value`. Networks wait only for their own containers, because the
/// daemon serialises removals: overlapping them is where the time goes.
pub async fn remove_labelled(client: &Client, label_filter: &str) -> TeardownReport {
    remove_matching(client, &[label_filter.to_string()]).await
}

/// Like [`remove_labelled`], for resources carrying every one of `label_filters`.
pub async fn remove_matching(client: &Client, label_filters: &[String]) -> TeardownReport {
    remove_matching_on(std::slice::from_ref(client), label_filters).await
}

/// [`remove_matching`] on several daemons at once. Services go first (their
/// tasks are containers on any node). A swarm-scoped network is one network
/// on every node: it waits for the containers of all daemons and is removed
/// by whichever daemon (a manager) can.
pub async fn remove_matching_on(clients: &[Client], label_filters: &[String]) -> TeardownReport {
    let started = Instant::now();
    let mut report = TeardownReport::default();
    let filter = HashMap::from([("label".to_string(), label_filters.to_vec())]);

    remove_services(clients, &filter, &mut report).await;

    let listed = join_all(clients.iter().map(|client| {
        let filter = filter.clone();
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

        let removals: BTreeMap<String, Removal> = containers
            .iter()
            .map(|c| {
                let client = client.clone();
                let id = c.id.clone();
                let paused = c.state == "paused";
                let fut: BoxFuture<'static, _> = async move {
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
                (
                    name,
                    client
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
    let listed = join_all(clients.iter().map(|c| c.list_services(filter.clone()))).await;
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
            match client.list_networks(filter.clone()).await {
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

/// One run found on the daemon by its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftoverRun {
    /// The run id.
    pub run_id: String,
    /// The script it ran.
    pub script: String,
    /// Its swarm service names.
    pub services: Vec<String>,
    /// Its container names.
    pub containers: Vec<String>,
    /// Its network names.
    pub networks: Vec<String>,
    /// The run started the swarm this daemon manages (and left it in place).
    pub swarm: bool,
    /// The netrig process that made it is still running on this machine.
    pub alive: bool,
}

/// Every run that left netrig-managed resources on the daemon (or the swarm
/// it started: a swarm carries the labels of the run that made it).
pub async fn leftover_runs(client: &Client) -> Result<Vec<LeftoverRun>> {
    let filter = HashMap::from([(
        "label".to_string(),
        vec![format!("{}=true", labels::MANAGED)],
    )]);
    let containers = client.list_containers(true, filter.clone()).await?;
    let networks = client.list_networks(filter.clone()).await?;
    let services = match client.list_services(filter).await {
        Ok(s) => s,
        Err(DockerError::Conflict { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    let swarm_labels = super::hosts::swarm_made_by_netrig(client).await?;

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
