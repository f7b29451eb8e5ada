//! Batches: many independent operations at once, with a bounded number in
//! flight and results in the order asked. Creation is all or nothing: when
//! an item fails, the batch reports every failure and removes what it made.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;

use futures_util::{StreamExt, stream};

use super::client::Client;
use super::container::ContainerRef;
use super::error::{DockerError, Result};
use super::exec::ExecOutput;
use super::image::PullObserver;
use super::network::{NetworkRef, name_taken};
use super::ping::PingReport;
use super::pool::alloc::wants_pool;
use super::run::session::{ResourceKind, RunSession};
use super::spec::{NetworkSpec, RunSpec};

/// Requests a batch keeps in flight. Container starts keep the daemon's
/// cores busy whatever the client does, so more only queues in the daemon;
/// fewer leaves it idle between a request's answer and the next request.
pub(crate) const PARALLELISM: usize = 8;

/// Targets pinged from one container by one exec; more get another exec.
pub(crate) const TARGETS_PER_EXEC: usize = 32;

/// Runs `futures` with at most `limit` in flight; the outputs come back in
/// the order of the input.
pub(crate) async fn in_order<F: Future>(
    futures: impl IntoIterator<Item = F>,
    limit: usize,
) -> Vec<F::Output> {
    stream::iter(futures).buffered(limit.max(1)).collect().await
}

/// One failed item of a batch.
#[derive(Debug, Clone)]
pub(crate) struct ItemError {
    /// Position of the item in the batch (from 0, as scripts index), or
    /// `None` when the failure concerns the whole batch.
    pub(crate) index: Option<usize>,
    /// What went wrong.
    pub(crate) error: DockerError,
}

/// A batch in which at least one item failed.
#[derive(Debug, Clone)]
pub(crate) struct BatchError {
    /// Items in the batch.
    pub(crate) total: usize,
    /// Every failure, in the order of the items.
    pub(crate) failures: Vec<ItemError>,
    /// What the batch removed again because of the failures (`3 containers`).
    pub(crate) undone: Option<String>,
    /// Resources that could not be removed again (the run's teardown retries them).
    pub(crate) undo_failures: Vec<String>,
}

impl BatchError {
    fn new(total: usize, failures: Vec<ItemError>) -> Self {
        BatchError {
            total,
            failures,
            undone: None,
            undo_failures: Vec::new(),
        }
    }

    /// A batch error whose failures are listed in the order of the items.
    fn sorted(total: usize, mut failures: Vec<ItemError>) -> Self {
        failures.sort_by_key(|f| f.index);
        BatchError::new(total, failures)
    }

    fn whole(total: usize, error: DockerError) -> Self {
        BatchError::new(total, vec![ItemError { index: None, error }])
    }

    /// The kind of the first failure (`not_found`, `conflict`, …), so a
    /// script can catch a batch error as it would the single call's.
    pub(crate) fn kind(&self) -> &'static str {
        self.failures
            .first()
            .map(|f| f.error.kind())
            .unwrap_or("failed")
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items = self.failures.iter().filter(|e| e.index.is_some()).count();
        if items > 0 {
            write!(f, "{items} of {} items failed: ", self.total)?;
        }
        for (n, failure) in self.failures.iter().enumerate() {
            if n > 0 {
                f.write_str("; ")?;
            }
            match failure.index {
                Some(i) => write!(f, "item {i}: {}", failure.error)?,
                None => write!(f, "{}", failure.error)?,
            }
        }
        if let Some(undone) = &self.undone {
            write!(f, "; removed again the {undone} this call had made")?;
        }
        if !self.undo_failures.is_empty() {
            write!(
                f,
                "; could not remove (the run's teardown will retry): {}",
                self.undo_failures.join("; ")
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for BatchError {}

/// The items whose name already appeared earlier in `names`.
pub(crate) fn duplicates(names: &[String], what: &str) -> Vec<ItemError> {
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    let mut failures = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if let Some(first) = first_seen.insert(name, i) {
            first_seen.insert(name, first);
            failures.push(ItemError {
                index: Some(i),
                error: DockerError::InvalidArgument {
                    action: format!("create {what} {name:?}"),
                    message: format!("item {first} of the batch has the same name"),
                },
            });
        }
    }
    failures
}

/// Successes in order, or every failure.
fn all_ok<T>(results: Vec<Result<T>>) -> std::result::Result<Vec<T>, (Vec<T>, Vec<ItemError>)> {
    let mut done = Vec::new();
    let mut failures = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(v) => done.push(v),
            Err(error) => failures.push(ItemError {
                index: Some(i),
                error,
            }),
        }
    }
    if failures.is_empty() {
        Ok(done)
    } else {
        Err((done, failures))
    }
}

impl RunSession {
    /// Runs every container of `specs` at once (each like [`RunSession::run`]),
    /// returning them in the order of the specs. Each image is looked up
    /// once, not once per container. If any fails, the others are removed
    /// again and the error lists every failure.
    pub(crate) async fn run_all(
        &self,
        specs: &[RunSpec],
        observer: &PullObserver,
    ) -> std::result::Result<Vec<ContainerRef>, BatchError> {
        let admitted = self
            .admit(specs)
            .map_err(|e| BatchError::whole(specs.len(), e))?;
        let prepared: Vec<(String, RunSpec)> =
            specs.iter().map(|s| self.docker_run_spec(s)).collect();
        let names: Vec<String> = prepared.iter().map(|(name, _)| name.clone()).collect();
        let mut failures = duplicates(&names, "container");

        let mut images: Vec<&str> = prepared.iter().map(|(_, s)| s.image.as_str()).collect();
        images.sort_unstable();
        images.dedup();
        let looked_up = in_order(
            images
                .iter()
                .map(|image| self.client().ensure_image(image, observer)),
            PARALLELISM,
        )
        .await;
        let missing: HashMap<&str, DockerError> = images
            .iter()
            .zip(looked_up)
            .filter_map(|(image, r)| r.err().map(|e| (*image, e)))
            .collect();
        failures.extend(specs.iter().enumerate().filter_map(|(i, s)| {
            missing.get(s.image.as_str()).map(|e| ItemError {
                index: Some(i),
                error: e.clone(),
            })
        }));
        if !failures.is_empty() {
            return Err(BatchError::sorted(specs.len(), failures));
        }

        let results = in_order(
            prepared
                .into_iter()
                .map(|(name, spec)| self.run_present(admitted, name, spec)),
            PARALLELISM,
        )
        .await;
        match all_ok(results) {
            Ok(done) => Ok(done),
            Err((done, failures)) => {
                let ids = done.into_iter().map(|c| c.id).collect();
                Err(self
                    .undo(
                        ResourceKind::Container,
                        ids,
                        BatchError::new(specs.len(), failures),
                    )
                    .await)
            }
        }
    }

    /// Creates every network of `specs` at once (each like
    /// [`RunSession::create_network`]), in order. The names are checked in
    /// one request first; if any creation fails, the others are removed again.
    pub(crate) async fn create_networks(
        &self,
        specs: &[NetworkSpec],
    ) -> std::result::Result<Vec<NetworkRef>, BatchError> {
        let admitted = self
            .admit(specs)
            .map_err(|e| BatchError::whole(specs.len(), e))?;
        let specs: Vec<NetworkSpec> = specs
            .iter()
            .map(|s| NetworkSpec {
                name: self.docker_name(ResourceKind::Network, &s.name),
                ..s.clone()
            })
            .collect();
        let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
        let mut failures = duplicates(&names, "network");
        if specs.is_empty() {
            return Ok(Vec::new());
        }
        // The daemon's name filter matches substrings: compare exactly here.
        let existing = self
            .client()
            .quiet()
            .list_networks(HashMap::from([("name".to_string(), names.clone())]))
            .await
            .map_err(|e| BatchError::whole(specs.len(), e))?;
        failures.extend(names.iter().enumerate().filter_map(|(i, name)| {
            existing
                .iter()
                .find(|n| &n.name == name)
                .map(|n| ItemError {
                    index: Some(i),
                    error: name_taken(name, n),
                })
        }));
        if !failures.is_empty() {
            return Err(BatchError::sorted(specs.len(), failures));
        }

        // Subnets from the pool for all that want one, in one request: a
        // batch gets all of them or waits (or fails) as a whole.
        let pool = self.client().pool().clone();
        let run = self.run_id().to_string();
        let wanting = specs.iter().filter(|s| wants_pool(s)).count();
        let mut subnets = pool
            .acquire(self.client(), &run, wanting, "create networks")
            .await
            .map_err(|e| BatchError::whole(specs.len(), e))?
            .into_iter();
        let subnets: Vec<Option<_>> = specs
            .iter()
            .map(|s| {
                if wants_pool(s) {
                    subnets.next()
                } else {
                    if let Some(subnet) = &s.subnet {
                        pool.note_explicit(&run, &s.name, subnet);
                    }
                    None
                }
            })
            .collect();

        let results = in_order(
            specs.iter().zip(subnets).map(|(spec, subnet)| {
                let (client, spec) = (self.client().clone(), spec.clone());
                let labels = self.labels().merged_with(&spec.labels);
                let (pool, run) = (pool.clone(), run.clone());
                async move {
                    // Like a single create: it runs to its end even when the script stops waiting.
                    let net = self
                        .settled(admitted, async move {
                            match subnet {
                                Some(s) => pool
                                    .create_network(&client, &run, &spec, labels, s, true)
                                    .await
                                    .map(|(net, _)| net),
                                None => client.create_network_unchecked(&spec, labels).await,
                            }
                        })
                        .await?;
                    self.record(ResourceKind::Network, &net.id, &net.name);
                    Ok(net)
                }
            }),
            PARALLELISM,
        )
        .await;
        match all_ok(results) {
            Ok(done) => Ok(done),
            Err((done, failures)) => {
                for net in &done {
                    pool.release_network(&net.name);
                }
                let ids = done.into_iter().map(|n| n.id).collect();
                Err(self
                    .undo(
                        ResourceKind::Network,
                        ids,
                        BatchError::new(specs.len(), failures),
                    )
                    .await)
            }
        }
    }

    /// Removes what a failed batch made, and says so in its error.
    async fn undo(&self, kind: ResourceKind, ids: Vec<String>, mut err: BatchError) -> BatchError {
        if ids.is_empty() {
            return err;
        }
        // netrig's own rollback: not something the script asked for.
        let client = &self.client().quiet();
        let removed = in_order(
            ids.iter().map(|id| async move {
                match kind {
                    ResourceKind::Container => client.remove_container(id).await,
                    ResourceKind::Network => client.remove_network(id).await,
                    ResourceKind::Service => client.remove_service(id).await.map(|_| ()),
                }
            }),
            PARALLELISM,
        )
        .await;
        let mut gone = Vec::new();
        for (id, r) in ids.iter().zip(removed) {
            match r {
                Ok(()) => gone.push(id.clone()),
                Err(e) => err.undo_failures.push(e.to_string()),
            }
        }
        self.forget(&gone);
        let word = match kind {
            ResourceKind::Container => "container",
            ResourceKind::Network => "network",
            ResourceKind::Service => "service",
        };
        err.undone = Some(crate::text::plural(gone.len(), word));
        err
    }
}

impl Client {
    /// Pings each `(from, target)` pair `count` times, all at once, one
    /// report per pair in order. Pairs from the same container share an
    /// exec (up to [`TARGETS_PER_EXEC`] targets each).
    pub(crate) async fn ping_all(
        &self,
        pairs: &[(String, String)],
        count: u32,
    ) -> std::result::Result<Vec<PingReport>, BatchError> {
        let groups = group_by_source(pairs, TARGETS_PER_EXEC);
        let outcomes = in_order(
            groups.iter().map(|(from, items)| async move {
                let targets: Vec<String> = items.iter().map(|&i| pairs[i].1.clone()).collect();
                self.ping_many(from, &targets, count).await
            }),
            PARALLELISM,
        )
        .await;
        let mut reports: Vec<Option<Result<PingReport>>> = vec![None; pairs.len()];
        for ((_, items), outcome) in groups.iter().zip(outcomes) {
            match outcome {
                Ok(list) => {
                    for (&i, r) in items.iter().zip(list) {
                        reports[i] = Some(r);
                    }
                }
                Err(e) => {
                    for &i in items {
                        reports[i] = Some(Err(e.clone()));
                    }
                }
            }
        }
        let results = reports
            .into_iter()
            .map(|r| r.expect("every pair belongs to one group"))
            .collect();
        all_ok(results).map_err(|(_, failures)| BatchError::new(pairs.len(), failures))
    }

    /// Runs each `(container, command)` at once, one output per item in order.
    pub(crate) async fn exec_all(
        &self,
        items: &[(String, Vec<String>)],
    ) -> std::result::Result<Vec<ExecOutput>, BatchError> {
        let results = in_order(
            items.iter().map(|(ctr, cmd)| self.exec(ctr, cmd)),
            PARALLELISM,
        )
        .await;
        all_ok(results).map_err(|(_, failures)| BatchError::new(items.len(), failures))
    }
}

/// Pair indexes grouped by source container, in order of first appearance,
/// at most `per_group` targets a group.
pub(crate) fn group_by_source(
    pairs: &[(String, String)],
    per_group: usize,
) -> Vec<(String, Vec<usize>)> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    let mut open: HashMap<&str, usize> = HashMap::new();
    for (i, (from, _)) in pairs.iter().enumerate() {
        match open.get(from.as_str()) {
            Some(&g) if groups[g].1.len() < per_group.max(1) => groups[g].1.push(i),
            _ => {
                open.insert(from, groups.len());
                groups.push((from.clone(), vec![i]));
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn pairs_group_by_source_in_order_and_split_when_large() {
        let p = pairs(&[("a", "b"), ("b", "a"), ("a", "c"), ("a", "d"), ("b", "c")]);
        let groups = group_by_source(&p, 2);
        assert_eq!(
            groups,
            vec![
                ("a".to_string(), vec![0, 2]),
                ("b".to_string(), vec![1, 4]),
                ("a".to_string(), vec![3]),
            ]
        );
    }

    #[test]
    fn duplicate_names_point_at_the_first() {
        let names: Vec<String> = ["x", "y", "x", "x"].map(String::from).to_vec();
        let d = duplicates(&names, "network");
        assert_eq!(
            d.iter().map(|e| e.index).collect::<Vec<_>>(),
            [Some(2), Some(3)]
        );
        assert!(d[0].error.to_string().contains("item 0 of the batch"));
    }

    #[test]
    fn the_message_lists_every_failure_and_the_undo() {
        let fail = |i, m: &str| ItemError {
            index: Some(i),
            error: DockerError::NotFound {
                action: format!("create container \"c{i}\""),
                message: m.into(),
            },
        };
        let mut e = BatchError::new(5, vec![fail(1, "no net"), fail(3, "no image")]);
        e.undone = Some("3 containers".into());
        assert_eq!(e.kind(), "not_found");
        assert_eq!(
            e.to_string(),
            "2 of 5 items failed: item 1: create container \"c1\": no net; \
             item 3: create container \"c3\": no image; removed again the 3 containers this call had made"
        );
    }

    #[test]
    fn order_is_kept_whatever_finishes_first() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let out = rt.block_on(in_order(
            (0..6u64).map(|i| async move {
                tokio::time::sleep(std::time::Duration::from_millis(30 - 5 * i)).await;
                i
            }),
            3,
        ));
        assert_eq!(out, vec![0, 1, 2, 3, 4, 5]);
    }
}
