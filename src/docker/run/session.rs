//! A run session: everything one `netrig run` (or REPL session) creates goes
//! through here, so it is labelled, named and removed when the run ends.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures_util::future::join_all;

use super::access::{AccessPolicy, Admitted, HostAccess, HostRequest};
use super::labels::{self, RunLabels};
use super::names::Names;
use crate::docker::client::Client;
use crate::docker::container::ContainerRef;
use crate::docker::error::{DockerError, Result};
use crate::docker::image::PullObserver;
use crate::docker::network::NetworkRef;
use crate::docker::pool::alloc::wants_pool;
use crate::docker::spec::{ConnectSpec, NetworkSpec, RunSpec, is_builtin_network};
use crate::docker::swarm::hosts::Membership;

/// Kinds of resource a run creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    /// A container.
    Container,
    /// A network.
    Network,
    /// A swarm service.
    Service,
}

/// One resource the session created, in creation order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Created {
    /// Container or network.
    pub(crate) kind: ResourceKind,
    /// Full id.
    pub(crate) id: String,
    /// Name.
    pub(crate) name: String,
}

/// The resources of one run on one daemon, and the means to remove them.
/// A run that uses several daemons (`docker::connect`) has one session per
/// daemon, all with the same run id; the first (the default daemon's) keeps
/// the others, and its teardown covers them all.
///
/// Everything it creates first passes [`RunSession::admit`], the run's
/// host-access check, and the creating steps take the proof it gives.
///
/// Its state, that check, and its containers and networks are here; its
/// other methods sit with their subject: batches in `docker/batch.rs`,
/// services in `swarm/service.rs`, other daemons and swarm membership in
/// `swarm/hosts.rs`, the teardown in `run/teardown.rs`.
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
    hosts: Mutex<Vec<Arc<RunSession>>>,
    /// The swarm this run made the daemon start or join, to leave at the end.
    swarm: Mutex<Option<Membership>>,
    /// The default daemon's session, from another daemon's session.
    root: Weak<RunSession>,
    /// What the run may ask of the host; one policy for all its sessions.
    access: Arc<AccessPolicy>,
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
            root: Weak::new(),
            access: Arc::new(AccessPolicy::default()),
        }
    }

    /// A session for another daemon in the same run: same labels and name
    /// mapping, and one numbering of generated names, so names never repeat
    /// across daemons.
    fn sibling(self: &Arc<Self>, client: Client) -> Self {
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
            access: self.access.clone(),
        }
    }

    /// A session whose Docker names carry the run id as a prefix, so runs of
    /// scenarios that use the same names can share a daemon (`netrig test`).
    /// Containers also answer to their script name on their networks.
    pub(crate) fn isolated(client: Client, script: &str) -> Self {
        let mut session = RunSession::new(client, script);
        session.names = Names::prefixed(&session.labels.run_id);
        session
    }

    /// The session of this run on the daemon `client` talks to: this one
    /// for the same address, else the one made the first time, else a new
    /// one (same run id and labels) that this session's teardown covers.
    /// Reaching another daemon was admitted first (see
    /// [`RunSession::connect_host`]).
    pub(crate) fn for_host(self: &Arc<Self>, client: Client, _: Admitted) -> Arc<RunSession> {
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

    /// The other daemons' sessions of this run, in the order they were connected.
    pub(crate) fn other_hosts(&self) -> Vec<Arc<RunSession>> {
        self.hosts.lock().expect("hosts poisoned").clone()
    }

    /// The default daemon's session of this run (this one, from itself).
    pub(crate) fn root(self: &Arc<Self>) -> Arc<RunSession> {
        self.root.upgrade().unwrap_or_else(|| self.clone())
    }

    /// The swarm this run made the daemon start or join, if any.
    pub(crate) fn membership(&self) -> Option<Membership> {
        *self.swarm.lock().expect("swarm poisoned")
    }

    /// Notes that this run made the daemon start or join a swarm.
    pub(crate) fn remember_swarm(&self, membership: Membership) {
        *self.swarm.lock().expect("swarm poisoned") = Some(membership);
    }

    /// Forgets the swarm this run started or joined (it left), returning it.
    pub(crate) fn forget_swarm(&self) -> Option<Membership> {
        self.swarm.lock().expect("swarm poisoned").take()
    }

    /// Sets the run's policy on host access: `Allow` for
    /// `--allow-host-access`, `Warn` in the REPL.
    pub(crate) fn set_host_access(&self, mode: HostAccess) {
        self.access.set(mode);
    }

    /// The policy itself, for the checks outside the Docker layer that
    /// follow it (the script's file paths).
    pub(crate) fn access_policy(&self) -> Arc<AccessPolicy> {
        self.access.clone()
    }

    /// The one place every creation passes through: checks what `request`
    /// asks of the host against the run's policy. Refused, it is a
    /// `forbidden` error naming the option; under [`HostAccess::Warn`] the
    /// reasons go to the client's notes. The creating steps (`settled` for
    /// containers, networks and services, `for_host` for other daemons,
    /// [`Client::init_swarm`] and [`Client::join_swarm`]) take the proof.
    pub(crate) fn admit(&self, request: &(impl HostRequest + ?Sized)) -> Result<Admitted> {
        self.access.admit(request, &self.client.options().notes)
    }

    /// How this run's script names map to Docker names.
    pub(crate) fn names(&self) -> &Names {
        &self.names
    }

    /// The Docker client.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The run id carried by every resource of this run.
    pub fn run_id(&self) -> &str {
        &self.labels.run_id
    }

    /// The labels of this run. Whatever is labelled with them is removed at
    /// teardown; a run that never asked for them skips the teardown's queries.
    pub(crate) fn labels(&self) -> &RunLabels {
        self.labels_used.store(true, Ordering::SeqCst);
        &self.labels
    }

    /// What this session created so far, oldest first.
    pub(crate) fn created(&self) -> Vec<Created> {
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
    pub(crate) fn docker_name(&self, kind: ResourceKind, script_name: &str) -> String {
        self.names.docker(kind, script_name)
    }

    /// The name a script knows a Docker name by (the inverse of `docker_name`
    /// for the run's own resources; other names are unchanged).
    pub fn script_name<'a>(&self, docker_name: &'a str) -> &'a str {
        self.names.script(docker_name)
    }

    /// Creates a labelled network (named by `docker_name`; the returned ref
    /// carries the Docker name).
    ///
    /// A network without a subnet gets one from netrig's pool: it is chosen
    /// (and, when the pool is full, waited for) before the creation starts,
    /// so a wait can be interrupted; the creation then runs to its end.
    pub async fn create_network(&self, spec: &NetworkSpec) -> Result<NetworkRef> {
        let admitted = self.admit(spec)?;
        let mut spec = spec.clone();
        spec.name = self.docker_name(ResourceKind::Network, &spec.name);
        let (client, labels) = (self.client.clone(), self.labels().merged_with(&spec.labels));
        let pool = self.client.pool().clone();
        let run = self.run_id().to_string();
        let subnet = if wants_pool(&spec) {
            let action = format!("create network {:?}", spec.name);
            Some(pool.acquire(&client, &run, 1, &action).await?[0])
        } else {
            if let Some(subnet) = &spec.subnet {
                pool.note_explicit(&run, &spec.name, subnet);
            }
            None
        };
        let net = self
            .settled(admitted, async move {
                match subnet {
                    Some(s) => pool
                        .create_network(&client, &run, &spec, labels, s, false)
                        .await
                        .map(|(net, _)| net),
                    None => client.create_network(&spec, labels).await,
                }
            })
            .await?;
        self.record(ResourceKind::Network, &net.id, &net.name);
        Ok(net)
    }

    /// Runs a labelled container; one without a name gets
    /// `<image>-<run id>-<n>` (isolated: `<image>-<n>`, prefixed like any
    /// name), so it is recognisable and needs no inspect. The returned ref
    /// carries the Docker name.
    pub async fn run(&self, spec: &RunSpec, observer: &PullObserver) -> Result<ContainerRef> {
        let admitted = self.admit(spec)?;
        let (name, spec) = self.docker_run_spec(spec);
        // The pull may be abandoned (nothing exists yet); the rest runs to its end.
        self.client.ensure_image(&spec.image, observer).await?;
        self.run_present(admitted, name, spec).await
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
    pub(crate) async fn run_present(
        &self,
        admitted: Admitted,
        name: String,
        spec: RunSpec,
    ) -> Result<ContainerRef> {
        let (client, labels) = (self.client.clone(), self.labels().merged_with(&spec.labels));
        let container = self
            .settled(admitted, async move {
                client.create_and_start(&spec, &name, labels).await
            })
            .await?;
        self.record(ResourceKind::Container, &container.id, &container.name);
        Ok(container)
    }

    /// Forgets a resource the script removed itself (by its Docker name or
    /// id), so that `--keep` does not report it as kept.
    /// A network's subnet goes back to the pool.
    pub(crate) fn forget_removed(&self, kind: ResourceKind, name_or_id: &str) {
        if kind == ResourceKind::Network {
            self.client.pool().release_network(name_or_id);
        }
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
    pub(crate) async fn connect_network(
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
    /// has would otherwise finish after teardown looked, and leak. Only what
    /// [`RunSession::admit`] let through gets here.
    pub(crate) async fn settled<T: Send + 'static>(
        &self,
        _: Admitted,
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
            Err(DockerError::Failed {
                action: "create a resource".into(),
                message: "the creation task ended without an answer".into(),
            })
        })
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
