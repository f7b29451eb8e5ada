//! How the book reaches the containers: every change is rendered into the
//! complete `NETRIG-INPUT` chain and root qdiscs of each container it
//! touches, inside that container's network namespace, with a rollback of
//! all of them when one fails (see the design notes in `faults/mod.rs`).

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use futures_util::future::join_all;

use super::firewall::{Family, InputRules, Installed};
use super::impair::{Qdisc, is_nothing_to_delete, is_unknown_qdisc, root_qdiscs};
use super::netns::Netns;
use super::{Book, Faults};
use crate::docker::error::{DockerError, Result};

/// A container as inspect showed it just now.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub(super) id: String,
    pub(super) name: String,
    /// Its main process, when it runs (paused counts as running).
    pub(super) pid: Option<u32>,
    /// `(network, address)` for every address the daemon gave it.
    pub(super) addresses: Vec<(String, IpAddr)>,
    pub(super) network_mode: String,
    pub(super) state: String,
}

impl Seen {
    pub(super) fn networks(&self) -> Vec<String> {
        let mut nets: Vec<String> = self.addresses.iter().map(|(n, _)| n.clone()).collect();
        nets.dedup();
        nets
    }
}

impl Faults {
    /// Applies `next` to the `affected` containers and makes it the book;
    /// if any of them fails, puts the old state back on all of them
    /// (best effort) and leaves the book as it was.
    pub(super) async fn transition(
        &self,
        action: &str,
        book: &mut Book,
        next: Book,
        affected: BTreeSet<String>,
    ) -> Result<()> {
        if affected.is_empty() {
            *book = next;
            return Ok(());
        }
        let mut wanted: BTreeSet<String> = affected.clone();
        for id in &affected {
            wanted.extend(next.peers(id).cloned());
            wanted.extend(book.peers(id).cloned());
        }
        let view = self.view(&wanted).await?;
        let results = join_all(
            affected
                .iter()
                .map(|id| self.apply(action, &next, id, &view)),
        )
        .await;
        if let Some(err) = results.into_iter().find_map(|r| r.err()) {
            let _ = join_all(
                affected
                    .iter()
                    .map(|id| self.apply(action, book, id, &view)),
            )
            .await;
            return Err(err);
        }
        *book = next;
        Ok(())
    }

    /// Inspects `ids` concurrently; a container that is gone is simply absent.
    pub(super) async fn view(&self, ids: &BTreeSet<String>) -> Result<HashMap<String, Seen>> {
        let seen = join_all(ids.iter().map(|id| self.inspect(id))).await;
        let mut view = HashMap::new();
        for s in seen {
            match s {
                Ok(s) => {
                    view.insert(s.id.clone(), s);
                }
                Err(DockerError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(view)
    }

    /// Renders `book` into container `id`'s namespace: queues first (they
    /// can fail for want of a kernel feature), then the drop chain.
    pub(super) async fn apply(
        &self,
        action: &str,
        book: &Book,
        id: &str,
        view: &HashMap<String, Seen>,
    ) -> Result<()> {
        // Gone or stopped: its namespace, and every rule in it, is gone too.
        let Some(seen) = view.get(id) else {
            return Ok(());
        };
        let Some(pid) = seen.pid else {
            return Ok(());
        };
        let ns = Netns::enter(&seen.name, &seen.id, pid)?;
        let interfaces = ns.addresses().await?;
        let mut devices = Vec::new();
        for (network, addr) in &seen.addresses {
            let dev = interfaces
                .iter()
                .find(|(_, a)| a == addr)
                .map(|(d, _)| d.clone())
                .ok_or_else(|| DockerError::Failed {
                    action: action.to_string(),
                    message: format!(
                        "the network namespace of pid {pid} has no interface with container {:?}'s \
                         address {addr} on {network:?}; it changed under netrig, try again",
                        seen.name
                    ),
                })?;
            if !devices.iter().any(|(_, d)| *d == dev) {
                devices.push((network.clone(), dev));
            }
        }

        if book.layers.contains_key(id) || book.shaped.contains(id) {
            self.sync_queues(action, &ns, book, id, &devices).await?;
        }

        let rules = InputRules {
            drop_from: book
                .peers(id)
                .filter_map(|p| view.get(p))
                .flat_map(|p| p.addresses.iter().map(|(_, a)| *a))
                .collect(),
            loss: devices
                .iter()
                .filter_map(|(net, dev)| Some((dev.clone(), book.effective(id, net).loss()?)))
                .collect(),
        };
        let has_v6 = interfaces
            .iter()
            .any(|(dev, a)| dev != "lo" && matches!(a, IpAddr::V6(v6) if !is_link_local(v6)));
        sync_chain(&ns, Family::V4, &rules).await?;
        if has_v6 {
            sync_chain(&ns, Family::V6, &rules).await?;
        }
        Ok(())
    }

    pub(super) async fn sync_queues(
        &self,
        action: &str,
        ns: &Netns,
        book: &Book,
        id: &str,
        devices: &[(String, String)],
    ) -> Result<()> {
        let show = ns
            .check("tc", &["qdisc".into(), "show".into()], None)
            .await?;
        let roots = root_qdiscs(&show);
        for (network, dev) in devices {
            let want = book.effective(id, network).qdisc();
            let have = roots
                .iter()
                .find(|(d, _)| d == dev)
                .map(|(_, k)| k.as_str());
            let ours = matches!(have, Some("tbf" | "netem"));
            if want == Qdisc::Default && !ours {
                continue;
            }
            let args = want.tc_args(dev);
            let out = ns.run("tc", &args, None).await?;
            if out.success || (want == Qdisc::Default && is_nothing_to_delete(&out.stderr)) {
                continue;
            }
            if is_unknown_qdisc(&out.stderr) {
                let (what, still) = match want {
                    Qdisc::Netem { .. } => (
                        "delay_ms and jitter_ms need",
                        "loss_pct and rate work without it",
                    ),
                    _ => ("rate needs", "loss_pct works without it"),
                };
                return Err(DockerError::Unsupported {
                    action: action.to_string(),
                    message: format!(
                        "{what} {}, which this kernel does not have (tc: {:?}); {still}",
                        want.feature(),
                        out.stderr.trim()
                    ),
                });
            }
            return Err(ns.failed("tc", &args, &out.stderr));
        }
        Ok(())
    }

    /// A container the script named, as it is now.
    pub(super) async fn seen(&self, action: &str, container: &str) -> Result<Seen> {
        self.inspect(container).await.map_err(|e| match e {
            DockerError::NotFound { message, .. } => DockerError::NotFound {
                action: action.to_string(),
                message,
            },
            other => other,
        })
    }

    /// A container the script named, which must be running and have a
    /// network namespace of its own.
    pub(super) async fn running(&self, action: &str, container: &str) -> Result<Seen> {
        let seen = self.seen(action, container).await?;
        if seen.pid.is_none() {
            return Err(DockerError::Conflict {
                action: action.to_string(),
                message: format!(
                    "container {:?} is not running ({}); start or restart it first",
                    seen.name, seen.state
                ),
            });
        }
        let mode = seen.network_mode.as_str();
        if mode == "host" || mode == "none" || mode.starts_with("container:") {
            let why = match mode {
                "host" => "it uses the host's own network (network mode \"host\")".to_string(),
                "none" => "it has no network (network mode \"none\")".to_string(),
                _ => format!(
                    "it shares the network of another container ({mode}); break that one instead"
                ),
            };
            return Err(DockerError::InvalidArgument {
                action: action.to_string(),
                message: format!("container {:?} cannot be given faults: {why}", seen.name),
            });
        }
        Ok(seen)
    }

    pub(super) async fn inspect(&self, container: &str) -> Result<Seen> {
        let i = self.client.quiet().inspect_container(container).await?;
        let state = i.state.unwrap_or_default();
        let running = state.running.unwrap_or(false);
        let pid = state
            .pid
            .filter(|p| running && *p > 0)
            .and_then(|p| u32::try_from(p).ok());
        let mut addresses = Vec::new();
        let mut networks: Vec<_> = i
            .network_settings
            .and_then(|s| s.networks)
            .unwrap_or_default()
            .into_iter()
            .collect();
        networks.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, ep) in networks {
            for text in [ep.ip_address, ep.global_ipv6_address]
                .into_iter()
                .flatten()
            {
                if let Ok(addr) = text.parse::<IpAddr>() {
                    addresses.push((name.clone(), addr));
                }
            }
        }
        Ok(Seen {
            id: i.id.unwrap_or_default(),
            name: i
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            pid,
            addresses,
            network_mode: i
                .host_config
                .and_then(|h| h.network_mode)
                .unwrap_or_default(),
            state: state.status.map(|s| s.to_string()).unwrap_or_default(),
        })
    }
}

/// Makes the `NETRIG-INPUT` chain of one family say exactly `rules`, or
/// removes it (and the jump to it) when there is nothing to drop.
async fn sync_chain(ns: &Netns, family: Family, rules: &InputRules) -> Result<()> {
    let save = ns
        .check(family.save(), &["-t".into(), "filter".into()], None)
        .await?;
    let installed = Installed::from_save(&save);
    if rules.lines(family).is_empty() {
        for args in installed.removal() {
            ns.check(family.iptables(), &args, None).await?;
        }
        return Ok(());
    }
    let doc = rules.restore_document(family, installed.jump);
    ns.check(
        family.restore(),
        &["-w".into(), "--noflush".into()],
        Some(&doc),
    )
    .await?;
    Ok(())
}

fn is_link_local(v6: &std::net::Ipv6Addr) -> bool {
    (v6.segments()[0] & 0xffc0) == 0xfe80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_local_v6_is_not_a_network_address() {
        assert!(is_link_local(&"fe80::1".parse().unwrap()));
        assert!(!is_link_local(&"fd00::1".parse().unwrap()));
    }
}
