//! The allocator: one [`Book`] per daemon behind a lock, the daemon's and
//! the host's view fetched fresh for each request, and the waiting.
//!
//! Two netrig processes may choose the same subnet at once: each sees it
//! free, and the daemon creates the first network and refuses the second
//! ("Pool overlaps with other one on this address space"). The refused one
//! marks that subnet taken and takes the next free one
//! ([`Allocator::create_network`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipnet::Ipv4Net;
use tokio::sync::Notify;

use super::book::{Book, Decision, FullMessage, Released, TooBigMessage, WhenFull};
use super::occupancy::Occupancy;
use super::routes::{Route, host_routes};
use super::{SubnetPool, gateway};
use crate::docker::client::Client;
use crate::docker::error::{DockerError, Result};
use crate::docker::network::NetworkRef;
use crate::docker::spec::NetworkSpec;

/// How often a waiting request looks at the daemon again even when no run
/// of this process gave subnets back: another process's run may have.
const RECHECK: Duration = Duration::from_secs(2);

/// How long runs that wait for each other may wait for other processes to
/// give subnets back before the youngest is evicted anyway.
const STALL_GRACE: Duration = Duration::from_secs(20);

/// How many times a creation the daemon refused as overlapping is tried
/// again with the next subnet.
const OVERLAP_RETRIES: usize = 16;

/// How long a subnet the daemon refused stays marked as taken, for
/// listings that do not show the other process's network yet.
const REFUSED_FOR: Duration = Duration::from_secs(30);

/// What a waiting run tells whoever watches (the harness's progress line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolEvent {
    /// `run` waits for `needed` subnets: the pool is full.
    Waiting {
        /// The run id.
        run: String,
        /// Subnets it asked for.
        needed: usize,
    },
    /// `run` got its subnets after waiting.
    Resumed {
        /// The run id.
        run: String,
    },
    /// `run` was chosen to give its subnets back and be run again.
    Evicted {
        /// The run id.
        run: String,
    },
}

/// Called for every [`PoolEvent`].
pub type Observer = Arc<dyn Fn(&PoolEvent) + Send + Sync>;

/// netrig's subnet pool on one daemon, shared by every run of this process
/// there.
pub struct Allocator {
    book: Mutex<Book>,
    /// Subnets the daemon refused lately, with when.
    refused: Mutex<HashMap<Ipv4Net, Instant>>,
    /// Which network holds which lease, to free it when the network goes.
    networks: Mutex<HashMap<String, Ipv4Net>>,
    changed: Notify,
    when_full: Mutex<WhenFull>,
    observer: Mutex<Option<Observer>>,
    /// Whether the host's routes matter (the daemon runs on this machine).
    local: bool,
}

impl std::fmt::Debug for Allocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Allocator")
            .field("pool", &self.pool().to_string())
            .finish_non_exhaustive()
    }
}

impl Allocator {
    /// An allocator for `pool` on the daemon at `host` (its routes count
    /// only when the daemon is on this machine: a unix socket).
    pub fn new(pool: SubnetPool, host: &str) -> Allocator {
        Allocator {
            book: Mutex::new(Book::new(pool)),
            refused: Mutex::new(HashMap::new()),
            networks: Mutex::new(HashMap::new()),
            changed: Notify::new(),
            when_full: Mutex::new(WhenFull::Fail),
            observer: Mutex::new(None),
            local: host.starts_with("unix://"),
        }
    }

    /// The pool.
    pub(crate) fn pool(&self) -> SubnetPool {
        *self.book().pool()
    }

    /// What a request does when the pool is full: `netrig test` waits.
    pub fn set_when_full(&self, when: WhenFull) {
        *self.when_full.lock().expect("pool policy poisoned") = when;
    }

    /// Tells `observer` when runs wait, resume or are evicted.
    pub fn set_observer(&self, observer: Observer) {
        *self.observer.lock().expect("pool observer poisoned") = Some(observer);
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().expect("pool book poisoned")
    }

    fn tell(&self, event: PoolEvent) {
        let observer = self
            .observer
            .lock()
            .expect("pool observer poisoned")
            .clone();
        if let Some(o) = observer {
            o(&event);
        }
    }

    /// The pool's subnets that are taken outside this process: the
    /// daemon's networks, the host's routes, what the daemon refused lately.
    async fn occupancy(&self, client: &Client) -> Result<Occupancy> {
        let networks = client.list_networks(HashMap::new()).await?;
        let routes: Vec<Route> = if self.local {
            host_routes()
        } else {
            Vec::new()
        };
        let (pool, own) = {
            let book = self.book();
            (*book.pool(), book.leased())
        };
        let mut occ = Occupancy::of(&pool, &networks, &routes, &own);
        let mut refused = self.refused.lock().expect("refused list poisoned");
        refused.retain(|_, at| at.elapsed() < REFUSED_FOR);
        for s in refused.keys().filter(|s| !own.contains(s)) {
            occ.refused(*s);
        }
        Ok(occ)
    }

    /// Leases `n` subnets to `run`, waiting when the policy says so.
    /// `action` names what asked, for errors.
    pub async fn acquire(
        &self,
        client: &Client,
        run: &str,
        n: usize,
        action: &str,
    ) -> Result<Vec<Ipv4Net>> {
        self.ask(client, run, n, action, false).await
    }

    /// Leases `n` subnets to `run` ahead of use (a run started again after
    /// an eviction reserves what it needed last time).
    pub(crate) async fn reserve(&self, client: &Client, run: &str, n: usize) -> Result<()> {
        self.ask(client, run, n, "reserve subnets", true)
            .await
            .map(drop)
    }

    async fn ask(
        &self,
        client: &Client,
        run: &str,
        n: usize,
        action: &str,
        spare: bool,
    ) -> Result<Vec<Ipv4Net>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        // Clears the run's waiting mark however this ends (cancelled included).
        struct Waiting<'a>(&'a Allocator, &'a str);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.book().stop_waiting(self.1);
            }
        }
        let _waiting = Waiting(self, run);
        let since = Instant::now();
        let mut told = false;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let occ = self.occupancy(client).await?;
            let when = *self.when_full.lock().expect("pool policy poisoned");
            let (decision, evicted) = {
                let mut book = self.book();
                let d = if spare {
                    book.reserve(run, n, &occ, when)
                } else {
                    book.request(run, n, &occ, when)
                };
                let stuck = occ.transient() == 0 || since.elapsed() > STALL_GRACE;
                let victim = (d == Decision::Wait && stuck)
                    .then(|| book.victim())
                    .flatten();
                if let Some(v) = &victim {
                    book.evict(v);
                }
                (d, victim)
            };
            if let Some(v) = evicted {
                self.tell(PoolEvent::Evicted { run: v });
                self.changed.notify_waiters();
                continue;
            }
            match decision {
                Decision::Take(subnets) => {
                    if told {
                        self.tell(PoolEvent::Resumed { run: run.into() });
                    }
                    return Ok(subnets);
                }
                Decision::Wait => {
                    if !told {
                        self.tell(PoolEvent::Waiting {
                            run: run.into(),
                            needed: n,
                        });
                        told = true;
                    }
                    let _ = tokio::time::timeout(RECHECK, changed).await;
                }
                Decision::Full(full) => {
                    return Err(DockerError::PoolFull {
                        action: action.into(),
                        message: FullMessage(&full).to_string(),
                    });
                }
                Decision::TooBig(full) => {
                    return Err(DockerError::PoolFull {
                        action: action.into(),
                        message: TooBigMessage(&full).to_string(),
                    });
                }
                Decision::Evicted => {
                    return Err(DockerError::Interrupted {
                        action: format!(
                            "{action} (the subnet pool is full and scenarios waited for each other: netrig stops this one and runs it again)"
                        ),
                    });
                }
            }
        }
    }

    /// Creates `spec` (which has no subnet) on `subnet`, a lease of `run`;
    /// when the daemon refuses it as overlapping a network another process
    /// made meanwhile, takes the next free subnet. Returns the network and
    /// the subnet it got. `name_checked`: the caller made sure the name is
    /// free (a batch checks all at once). Run it to its end (see
    /// `RunSession::settled`).
    pub async fn create_network(
        &self,
        client: &Client,
        run: &str,
        spec: &NetworkSpec,
        labels: HashMap<String, String>,
        mut subnet: Ipv4Net,
        name_checked: bool,
    ) -> Result<(NetworkRef, Ipv4Net)> {
        let action = format!("create network {:?}", spec.name);
        // The export leaves a subnet netrig chose out of a Compose file.
        let mut labels = labels;
        labels.insert(crate::docker::run::labels::IPAM.into(), "pool".into());
        for attempt in 0.. {
            let with_subnet = NetworkSpec {
                subnet: Some(subnet.to_string()),
                gateway: Some(gateway(subnet).to_string()),
                ..spec.clone()
            };
            let created = if name_checked || attempt > 0 {
                client
                    .create_network_unchecked(&with_subnet, labels.clone())
                    .await
            } else {
                client.create_network(&with_subnet, labels.clone()).await
            };
            match created {
                Ok(net) => {
                    self.networks
                        .lock()
                        .expect("pool networks poisoned")
                        .insert(net.name.clone(), subnet);
                    return Ok((net, subnet));
                }
                Err(e) if is_overlap(&e) && attempt < OVERLAP_RETRIES => {
                    self.refused
                        .lock()
                        .expect("refused list poisoned")
                        .insert(subnet, Instant::now());
                    self.book().release(subnet);
                    subnet = self.acquire(client, run, 1, &action).await?[0];
                }
                Err(e) => {
                    self.release(subnet);
                    return Err(e);
                }
            }
        }
        unreachable!("the loop returns")
    }

    /// Frees a subnet whose network is gone (or was never made).
    pub(crate) fn release(&self, subnet: Ipv4Net) {
        self.book().release(subnet);
        self.changed.notify_waiters();
    }

    /// Frees the subnet of the network `name`, if it came from the pool.
    pub fn release_network(&self, name: &str) {
        let subnet = self
            .networks
            .lock()
            .expect("pool networks poisoned")
            .remove(name);
        if let Some(s) = subnet {
            self.release(s);
        }
    }

    /// Notes a network `run` creates with an explicit subnet inside the
    /// pool, so this process hands out none of the pool's subnets it covers.
    pub(crate) fn note_explicit(&self, run: &str, name: &str, subnet: &str) {
        let Ok(net) = subnet.parse::<Ipv4Net>() else {
            return;
        };
        let pool = self.pool().range();
        if super::overlaps(pool, net) {
            self.book().note_explicit(run, net);
            self.networks
                .lock()
                .expect("pool networks poisoned")
                .insert(name.to_string(), net);
        }
    }

    /// Whether `run` was evicted, and the most subnets it needed at once.
    pub(crate) fn status(&self, run: &str) -> Released {
        self.book().status(run)
    }

    /// `run` ended and its teardown finished: frees all it held, and says
    /// whether it was evicted (run it again, reserving `peak` subnets).
    pub(crate) fn release_run(&self, run: &str) -> Released {
        let released = self.book().release_run(run);
        self.changed.notify_waiters();
        released
    }

    /// Runs waiting for subnets now.
    pub fn waiting(&self) -> usize {
        self.book().waiting()
    }
}

/// Whether the daemon refused a network because its subnet overlaps another.
pub(crate) fn is_overlap(e: &DockerError) -> bool {
    e.to_string()
        .contains("overlaps with other one on this address space")
}

/// Whether a network spec leaves its addresses to the pool: a bridge
/// network (the default driver) with no subnet, gateway or range of its own.
pub(crate) fn wants_pool(spec: &NetworkSpec) -> bool {
    let bridge = matches!(spec.driver.as_deref(), None | Some("" | "bridge"));
    bridge && spec.subnet.is_none() && spec.gateway.is_none() && spec.ip_range.is_none()
}
