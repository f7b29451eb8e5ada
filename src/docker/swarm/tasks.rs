//! A service's tasks: `docker service ps` with nodes and addresses,
//! waiting until the replicas run, and removing task containers that the
//! swarm leaves behind a removed service.

use std::collections::HashMap;
use std::time::Instant;

use bollard::models::TaskState;
use bollard::query_parameters::{InspectNetworkOptions, ListTasksOptions};
use serde_json::json;

use super::service::{CONVERGE_TIMEOUT, POLL, SERVICE_ID_LABEL};
use crate::docker::client::Client;
use crate::docker::error::{DockerError, Result};
use crate::docker::explain::DockerOp;

/// One row of `docker service ps`: a task, where it runs and its addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TaskSummary {
    /// Task id.
    pub(crate) id: String,
    /// `<service>.<slot>`, as `docker service ps` shows it.
    pub(crate) name: String,
    /// Slot number (1-based).
    pub(crate) slot: i64,
    /// The node it is placed on.
    pub(crate) node_id: String,
    /// The node's host name.
    pub(crate) node: String,
    /// `running`, `pending`, `failed`, …
    pub(crate) state: String,
    /// What the orchestrator wants: `running` or `shutdown`.
    pub(crate) desired_state: String,
    /// Why it failed, if it did.
    pub(crate) error: String,
    /// Its container's id, once it has one.
    pub(crate) container_id: String,
    /// `(network name, IPv4 address)` on each network, where known.
    pub(crate) addresses: Vec<(String, String)>,
}

impl TaskSummary {
    fn is_current(&self) -> bool {
        self.desired_state == "running"
    }
}

impl Client {
    /// The tasks of a service, current ones first within each slot, with
    /// node names and, where this daemon knows them, addresses.
    pub(crate) async fn service_tasks(&self, service: &str) -> Result<Vec<TaskSummary>> {
        let action = format!("list the tasks of service {service:?}");
        self.explain(&DockerOp::ServicePs(service));
        let quiet = self.quiet();
        let inspect = self
            .inspect_service(service)
            .await
            .map_err(|e| self.swarm_err(&action, e))?;
        let id = inspect.id.clone().unwrap_or_else(|| service.to_string());
        let spec = inspect.spec.unwrap_or_default();
        let name = spec.name.clone().unwrap_or_else(|| service.to_string());
        let filters = HashMap::from([("service".to_string(), vec![id])]);
        let args = self.args(|| json!({"filters": &filters}));
        let (tasks, nodes) = futures_util::join!(
            self.api("GET /tasks", args, |d| {
                d.list_tasks(Some(ListTasksOptions {
                    filters: Some(filters),
                }))
            }),
            quiet.list_nodes()
        );
        let tasks = tasks.map_err(|e| self.swarm_err(&action, e))?;
        let hostnames: HashMap<String, String> = nodes
            .unwrap_or_default()
            .into_iter()
            .map(|n| (n.id, n.hostname))
            .collect();
        let mut rows: Vec<TaskSummary> = tasks
            .into_iter()
            .map(|t| {
                let status = t.status.unwrap_or_default();
                let node_id = t.node_id.unwrap_or_default();
                let slot = t.slot.unwrap_or_default();
                TaskSummary {
                    id: t.id.unwrap_or_default(),
                    name: format!("{name}.{slot}"),
                    slot,
                    node: hostnames.get(&node_id).cloned().unwrap_or_default(),
                    node_id,
                    state: status.state.map(|s| s.to_string()).unwrap_or_default(),
                    desired_state: t.desired_state.map(|s| s.to_string()).unwrap_or_default(),
                    error: status.err.unwrap_or_default(),
                    container_id: status
                        .container_status
                        .and_then(|c| c.container_id)
                        .unwrap_or_default(),
                    addresses: Vec::new(),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            (a.slot, !a.is_current(), &a.id).cmp(&(b.slot, !b.is_current(), &b.id))
        });
        let networks: Vec<String> = spec
            .task_template
            .and_then(|t| t.networks)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| n.target)
            .collect();
        quiet.fill_task_addresses(&name, &networks, &mut rows).await;
        Ok(rows)
    }

    /// Task addresses come from a verbose inspect of each of the service's
    /// networks: the tasks API of Engine 1.41 has them, but bollard's task
    /// model drops them. A daemon that is not on a network knows none.
    async fn fill_task_addresses(
        &self,
        service_name: &str,
        networks: &[String],
        tasks: &mut [TaskSummary],
    ) {
        for network in networks {
            let args = self.args(|| json!({"network": network, "verbose": true}));
            let Ok(net) = self
                .api("GET /networks/{id}", args, |d| {
                    d.inspect_network(
                        network,
                        Some(InspectNetworkOptions {
                            verbose: true,
                            scope: Some("swarm".into()),
                        }),
                    )
                })
                .await
            else {
                continue;
            };
            let net_name = net.name.clone().unwrap_or_else(|| network.clone());
            let entries = net
                .services
                .as_ref()
                .and_then(|s| s.get(service_name))
                .and_then(|info| info.get("Tasks"))
                .and_then(|t| t.as_array())
                .cloned()
                .unwrap_or_default();
            for entry in entries {
                let task_name = entry.get("Name").and_then(|v| v.as_str()).unwrap_or("");
                let ip = entry
                    .get("EndpointIP")
                    .and_then(|v| v.as_str())
                    .unwrap_or("");
                if ip.is_empty() {
                    continue;
                }
                // Network task names are `<service>.<slot>.<task id>`.
                if let Some(task) = tasks.iter_mut().find(|t| task_name.ends_with(&t.id)) {
                    task.addresses.push((net_name.clone(), ip.to_string()));
                }
            }
        }
        for t in tasks.iter_mut() {
            t.addresses.sort();
        }
    }

    /// The ids of a service's tasks now (to tell later tasks from them).
    pub(crate) async fn task_ids(&self, service: &str) -> Result<Vec<String>> {
        Ok(self
            .quiet()
            .service_tasks(service)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect())
    }

    /// Waits until the service has `replicas` running tasks, failing early
    /// with Docker's own words when a task fails or is rejected — a task
    /// other than those in `earlier` (failures from before this change).
    pub(crate) async fn wait_running(
        &self,
        service: &str,
        replicas: u64,
        earlier: &[String],
    ) -> Result<()> {
        let action = format!("wait for service {service:?} to run {replicas} tasks");
        let deadline = Instant::now() + CONVERGE_TIMEOUT;
        loop {
            let tasks = self.quiet().service_tasks(service).await?;
            let current: Vec<&TaskSummary> = tasks.iter().filter(|t| t.is_current()).collect();
            if let Some(bad) = tasks.iter().find(|t| {
                matches!(t.state.as_str(), "failed" | "rejected") && !earlier.contains(&t.id)
            }) {
                return Err(DockerError::Failed {
                    action,
                    message: format!(
                        "task {} on node {} is {}: {}",
                        bad.name,
                        if bad.node.is_empty() {
                            "(none)"
                        } else {
                            &bad.node
                        },
                        bad.state,
                        if bad.error.is_empty() {
                            "no reason given"
                        } else {
                            &bad.error
                        }
                    ),
                });
            }
            let running = current
                .iter()
                .filter(|t| t.state == TaskState::RUNNING.to_string())
                .count() as u64;
            if running == replicas && current.len() as u64 == replicas {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let states: Vec<String> = current
                    .iter()
                    .map(|t| format!("{} {}", t.name, t.state))
                    .collect();
                return Err(DockerError::Timeout {
                    action: format!("{action} (tasks now: {})", states.join(", ")),
                    after: CONVERGE_TIMEOUT,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Force-removes the task containers of the services `ids` that this
    /// daemon runs, then waits until none is left: a removed service's
    /// tasks otherwise linger for their stop grace period (10 s), keeping
    /// their networks busy. Returns the names of the containers it found.
    pub(crate) async fn remove_task_containers(&self, ids: &[String]) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Label filters are ANDed by the daemon: ask for every task
        // container and pick the services' here.
        let filter = HashMap::from([("label".to_string(), vec![SERVICE_ID_LABEL.to_string()])]);
        let deadline = Instant::now() + CONVERGE_TIMEOUT;
        let mut found: Vec<String> = Vec::new();
        loop {
            let mut left = self.quiet().list_containers(true, filter.clone()).await?;
            left.retain(|c| {
                c.labels
                    .get(SERVICE_ID_LABEL)
                    .is_some_and(|id| ids.contains(id))
            });
            for c in &left {
                if !found.contains(&c.name) {
                    found.push(c.name.clone());
                }
            }
            if left.is_empty() {
                return Ok(found);
            }
            if Instant::now() >= deadline {
                return Err(DockerError::Timeout {
                    action: format!("remove the task containers of {} service(s)", ids.len()),
                    after: CONVERGE_TIMEOUT,
                });
            }
            for c in &left {
                // The agent may be removing it at the same moment: either way it goes.
                let _ = self.quiet().remove_container(&c.id).await;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_tasks_sort_before_old_ones_in_a_slot() {
        let old = TaskSummary {
            id: "a".into(),
            slot: 1,
            desired_state: "shutdown".into(),
            ..Default::default()
        };
        let new = TaskSummary {
            id: "b".into(),
            slot: 1,
            desired_state: "running".into(),
            ..Default::default()
        };
        let mut v = [old, new];
        v.sort_by(|a, b| (a.slot, !a.is_current(), &a.id).cmp(&(b.slot, !b.is_current(), &b.id)));
        assert_eq!(v[0].id, "b");
    }
}
