//! Breaking the network on purpose, and undoing it.
//!
//! # Design
//!
//! **Where the rules live.** Every fault is applied inside the network
//! namespace of the container it concerns, never on the host: netrig enters
//! the namespace with `nsenter -t <pid> -n` (the pid from inspect) and runs
//! the host's own `iptables` and `tc` there (see `netns.rs`). So the test
//! image needs no tools, nothing of netrig's touches the host's firewall,
//! and every rule dies with the container's namespace: a run that is
//! killed outright leaves nothing that `netrig clean` must find besides the
//! containers themselves (paused ones are thawed before removal).
//!
//! **What is applied.**
//! - A cut between two containers is a DROP of the peer's addresses in each
//!   container's `NETRIG-INPUT` chain (jumped to from INPUT): both directions
//!   stop, and senders see silence, not errors (`firewall.rs` says why INPUT).
//! - `loss_pct` is a random DROP on arrival (`-m statistic`) per interface,
//!   in the same chain.
//! - `rate` is a `tbf` root qdisc on each interface (it shapes what the
//!   container sends); `delay_ms` / `jitter_ms` need `netem`, and where the
//!   kernel lacks it the call fails and says so (`impair.rs`).
//!
//! **Desired state, not commands.** The [`Faults`] book records what the
//! script asked for — a set of cut pairs and, per container, a stack of
//! impairment layers — and every change re-renders the complete chain and
//! qdiscs of each container it touches. The chain is replaced in one
//! `iptables-restore --noflush`, so a change is atomic per container;
//! `heal`, `restore` and `clear` are the same rendering with less in the
//! book, and an emptied book removes the chain and the qdiscs, leaving the
//! namespace as Docker made it. Layers make impairments combine: a later
//! call overrides only the settings it names, and an expiring
//! `duration_secs` layer uncovers what was there before.
//!
//! **Restarts.** A restart gives a container a new namespace (and maybe new
//! addresses), so [`Faults::restart`] re-renders the container and its cut
//! peers from the book. A container stopped by other means loses its rules
//! with its namespace; the book keeps them for the next `restart`.
//!
//! **A remote daemon** reports pids of another machine; netrig checks the
//! pid's cgroup names the container before entering and otherwise fails
//! with a message saying to run netrig on the Docker host. (A helper
//! container sharing the target's namespace with NET_ADMIN would reach a
//! remote daemon too, but needs an image with `iptables` and `tc`, which a
//! registry-less daemon may not have; it can be added behind the same book.)

pub(crate) mod failure;
pub(crate) mod firewall;
pub(crate) mod impair;
pub(crate) mod netns;
pub(crate) mod partition;

mod apply;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::future::join_all;

use super::client::Client;
use super::error::{DockerError, Result};
use apply::Seen;
use impair::{Impairment, Qdisc};
use partition::{pair, pairs_across};

/// Which interfaces of a container an impairment is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Scope {
    /// Every interface it has (loopback excluded).
    All,
    /// Only its interface on this network.
    Network(String),
}

/// One `impair()` call, kept until it expires or `clear()` removes it.
#[derive(Debug, Clone, PartialEq)]
struct Layer {
    id: u64,
    scope: Scope,
    settings: Impairment,
}

/// What the script asked for. Containers are keyed by full id.
#[derive(Debug, Clone, Default, PartialEq)]
struct Book {
    cuts: BTreeSet<(String, String)>,
    layers: BTreeMap<String, Vec<Layer>>,
    /// Containers whose queues netrig has changed at some point, so their
    /// qdiscs are checked (and removed) even when no layer is left.
    shaped: BTreeSet<String>,
    names: BTreeMap<String, String>,
}

impl Book {
    fn peers<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.cuts.iter().filter_map(move |(a, b)| {
            if a == id {
                Some(b)
            } else if b == id {
                Some(a)
            } else {
                None
            }
        })
    }

    /// The impairment in force on `id`'s interface on `network`.
    fn effective(&self, id: &str, network: &str) -> Impairment {
        self.layers
            .get(id)
            .into_iter()
            .flatten()
            .filter(|l| match &l.scope {
                Scope::All => true,
                Scope::Network(n) => n == network,
            })
            .fold(Impairment::default(), |acc, l| acc.then(&l.settings))
    }

    fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.names.get(id).map(String::as_str).unwrap_or(id)
    }
}

/// A container in a partition group: shown by name, compared by id.
#[derive(Debug, Clone)]
struct Member {
    id: String,
    name: String,
}

impl PartialEq for Member {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Member {}
impl PartialOrd for Member {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Member {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id.cmp(&other.id)
    }
}
impl std::fmt::Display for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// What is broken right now, for people.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FaultSummary {
    /// Cut pairs by container name, sorted.
    pub(crate) cuts: Vec<(String, String)>,
    /// `(container, scope, impairment in force)`; scope is `all` or a network name.
    pub(crate) impairments: Vec<(String, String, String)>,
}

/// The faults of one run: the book of what is broken, and the means to
/// apply it to the containers. One per run; calls are serialised.
pub(crate) struct Faults {
    client: Client,
    book: tokio::sync::Mutex<Book>,
    next_layer: AtomicU64,
}

impl Faults {
    /// No faults yet.
    pub(crate) fn new(client: Client) -> Arc<Faults> {
        Arc::new(Faults {
            client,
            book: tokio::sync::Mutex::new(Book::default()),
            next_layer: AtomicU64::new(1),
        })
    }

    /// Cuts every pair of containers in different groups (both directions);
    /// pairs inside a group are untouched. Returns how many pairs are cut.
    pub(crate) async fn partition(&self, groups: &[Vec<String>]) -> Result<usize> {
        let action = "partition containers";
        let mut resolved = Vec::new();
        for group in groups {
            let seen = join_all(group.iter().map(|c| self.running(action, c))).await;
            resolved.push(seen.into_iter().collect::<Result<Vec<Seen>>>()?);
        }
        let members: Vec<Vec<Member>> = resolved
            .iter()
            .map(|g| {
                g.iter()
                    .map(|s| Member {
                        id: s.id.clone(),
                        name: s.name.clone(),
                    })
                    .collect()
            })
            .collect();
        let pairs = pairs_across(&members).map_err(|message| DockerError::InvalidArgument {
            action: action.into(),
            message,
        })?;
        let mut book = self.book.lock().await;
        let mut next = book.clone();
        for s in resolved.iter().flatten() {
            next.names.insert(s.id.clone(), s.name.clone());
        }
        for (a, b) in &pairs {
            next.cuts.insert((a.id.clone(), b.id.clone()));
        }
        let affected = resolved.iter().flatten().map(|s| s.id.clone()).collect();
        self.transition(action, &mut book, next, affected).await?;
        Ok(pairs.len())
    }

    /// Cuts `a` and `b` off from each other, both directions.
    pub(crate) async fn cut(&self, a: &str, b: &str) -> Result<()> {
        let action = format!("cut {a:?} off from {b:?}");
        let (sa, sb) = futures_util::try_join!(self.running(&action, a), self.running(&action, b))?;
        if sa.id == sb.id {
            return Err(DockerError::InvalidArgument {
                action,
                message: "a container cannot be cut off from itself".into(),
            });
        }
        let mut book = self.book.lock().await;
        let mut next = book.clone();
        next.names.insert(sa.id.clone(), sa.name.clone());
        next.names.insert(sb.id.clone(), sb.name.clone());
        next.cuts.insert(pair(&sa.id, &sb.id));
        let affected = BTreeSet::from([sa.id, sb.id]);
        self.transition(&action, &mut book, next, affected).await
    }

    /// Undoes the cut between `a` and `b` (from `cut` or a `partition`).
    /// Returns whether they were cut.
    pub(crate) async fn restore(&self, a: &str, b: &str) -> Result<bool> {
        let action = format!("restore the link between {a:?} and {b:?}");
        let (sa, sb) = futures_util::try_join!(self.seen(&action, a), self.seen(&action, b))?;
        let mut book = self.book.lock().await;
        let mut next = book.clone();
        if !next.cuts.remove(&pair(&sa.id, &sb.id)) {
            return Ok(false);
        }
        let affected = BTreeSet::from([sa.id, sb.id]);
        self.transition(&action, &mut book, next, affected).await?;
        Ok(true)
    }

    /// Undoes every cut. Returns how many pairs were cut.
    pub(crate) async fn heal(&self) -> Result<usize> {
        let mut book = self.book.lock().await;
        let count = book.cuts.len();
        let affected: BTreeSet<String> = book
            .cuts
            .iter()
            .flat_map(|(a, b)| [a.clone(), b.clone()])
            .collect();
        let mut next = book.clone();
        next.cuts.clear();
        self.transition("heal every partition", &mut book, next, affected)
            .await?;
        Ok(count)
    }

    /// Adds an impairment to `container`'s interfaces (all, or the one on a
    /// network); with `duration`, it is taken away again by itself.
    pub(crate) async fn impair(
        self: &Arc<Self>,
        container: &str,
        scope: Scope,
        settings: Impairment,
        duration: Option<Duration>,
    ) -> Result<()> {
        let action = format!("impair container {container:?} ({settings})");
        settings
            .validate()
            .map_err(|message| DockerError::InvalidArgument {
                action: action.clone(),
                message,
            })?;
        let seen = self.running(&action, container).await?;
        if let Scope::Network(net) = &scope
            && !seen.networks().contains(net)
        {
            return Err(DockerError::InvalidArgument {
                action,
                message: format!(
                    "container {:?} is not on network {net:?}; it is on: {}",
                    seen.name,
                    seen.networks().join(", ")
                ),
            });
        }
        let layer = self.next_layer.fetch_add(1, Ordering::Relaxed);
        {
            let mut book = self.book.lock().await;
            let mut next = book.clone();
            next.names.insert(seen.id.clone(), seen.name.clone());
            next.layers.entry(seen.id.clone()).or_default().push(Layer {
                id: layer,
                scope,
                settings,
            });
            if settings.qdisc() != Qdisc::Default {
                next.shaped.insert(seen.id.clone());
            }
            let affected = BTreeSet::from([seen.id.clone()]);
            self.transition(&action, &mut book, next, affected).await?;
        }
        if let Some(after) = duration {
            let faults = Arc::clone(self);
            let (id, name) = (seen.id, seen.name);
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                if let Err(e) = faults.expire(&id, layer).await {
                    // Nobody waits for this task: the caller's warnings hear of it.
                    faults.client.options().notes.warn(&format!(
                        "could not end the impairment of {name} after {} s: {e}",
                        after.as_secs_f64()
                    ));
                }
            });
        }
        Ok(())
    }

    /// Takes away one layer when its time is up, unless `clear` did already.
    async fn expire(&self, id: &str, layer: u64) -> Result<()> {
        let mut book = self.book.lock().await;
        let mut next = book.clone();
        let Some(layers) = next.layers.get_mut(id) else {
            return Ok(());
        };
        let before = layers.len();
        layers.retain(|l| l.id != layer);
        if layers.len() == before {
            return Ok(());
        }
        let action = format!("end an impairment of container {:?}", book.name(id));
        match self
            .transition(&action, &mut book, next, BTreeSet::from([id.to_string()]))
            .await
        {
            // The container went away (the run ended): nothing to undo.
            Err(DockerError::NotFound { .. }) => Ok(()),
            other => other,
        }
    }

    /// Removes every impairment of `container` (partitions stay).
    pub(crate) async fn clear(&self, container: &str) -> Result<()> {
        let action = format!("clear the impairments of container {container:?}");
        let seen = self.seen(&action, container).await?;
        let mut book = self.book.lock().await;
        let mut next = book.clone();
        if next.layers.remove(&seen.id).is_none() {
            return Ok(());
        }
        let affected = BTreeSet::from([seen.id]);
        self.transition(&action, &mut book, next, affected).await
    }

    /// Restarts `container` (SIGKILL after `timeout_secs`) and puts its
    /// faults back: its new namespace starts clean, and its addresses may
    /// have changed under its cut peers' rules.
    pub(crate) async fn restart(&self, container: &str, timeout_secs: Option<i32>) -> Result<()> {
        let action = format!("restart container {container:?}");
        let seen = self.seen(&action, container).await?;
        self.client
            .restart_container(&seen.id, timeout_secs)
            .await?;
        let mut book = self.book.lock().await;
        let mut affected: BTreeSet<String> = book.peers(&seen.id).cloned().collect();
        if affected.is_empty() && !book.layers.contains_key(&seen.id) {
            return Ok(());
        }
        affected.insert(seen.id);
        let same = book.clone();
        self.transition(
            &format!("{action}: put its faults back"),
            &mut book,
            same,
            affected,
        )
        .await
    }

    /// What is broken now.
    pub(crate) async fn summary(&self) -> FaultSummary {
        let book = self.book.lock().await;
        let mut cuts: Vec<(String, String)> = book
            .cuts
            .iter()
            .map(|(a, b)| {
                let (a, b) = (book.name(a).to_string(), book.name(b).to_string());
                if a <= b { (a, b) } else { (b, a) }
            })
            .collect();
        cuts.sort();
        let mut impairments = Vec::new();
        for (id, layers) in &book.layers {
            let scopes: BTreeSet<&Scope> = layers.iter().map(|l| &l.scope).collect();
            for scope in scopes {
                let settings = layers
                    .iter()
                    .filter(|l| &l.scope == scope)
                    .fold(Impairment::default(), |acc, l| acc.then(&l.settings));
                let scope = match scope {
                    Scope::All => "all".to_string(),
                    Scope::Network(n) => n.clone(),
                };
                impairments.push((book.name(id).to_string(), scope, settings.to_string()));
            }
        }
        impairments.sort();
        FaultSummary { cuts, impairments }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(id: u64, scope: Scope, settings: Impairment) -> Layer {
        Layer {
            id,
            scope,
            settings,
        }
    }

    #[test]
    fn layers_for_all_and_for_one_network_combine() {
        let mut book = Book::default();
        book.layers.insert(
            "c".into(),
            vec![
                layer(
                    1,
                    Scope::All,
                    Impairment {
                        loss_pct: Some(10.0),
                        ..Default::default()
                    },
                ),
                layer(
                    2,
                    Scope::Network("back".into()),
                    Impairment {
                        rate_bps: Some(1_000_000),
                        loss_pct: Some(30.0),
                        ..Default::default()
                    },
                ),
            ],
        );
        let front = book.effective("c", "front");
        assert_eq!(front.loss(), Some(10.0));
        assert_eq!(front.rate_bps, None);
        let back = book.effective("c", "back");
        assert_eq!(back.loss(), Some(30.0));
        assert_eq!(back.rate_bps, Some(1_000_000));
        assert!(book.effective("other", "front").is_empty());
    }

    #[test]
    fn peers_are_found_on_either_side_of_a_pair() {
        let mut book = Book::default();
        book.cuts.insert(pair(&"a".to_string(), &"c".to_string()));
        book.cuts.insert(pair(&"b".to_string(), &"a".to_string()));
        let peers: Vec<&String> = book.peers("a").collect();
        assert_eq!(peers, vec!["b", "c"]);
        assert_eq!(book.peers("c").collect::<Vec<_>>(), vec!["a"]);
    }
}
