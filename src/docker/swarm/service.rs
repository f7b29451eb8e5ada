//! Swarm services: `docker service create/scale/ps/ls/inspect/rm`, and
//! waiting until a service's tasks run (or are gone).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, NetworkAttachmentConfig, ServiceSpec as ServiceBody,
    ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec, TaskSpecPlacement,
    TaskState,
};
use bollard::query_parameters::{
    InspectNetworkOptions, InspectServiceOptions, ListServicesOptions, ListTasksOptions,
    UpdateServiceOptions,
};

use std::sync::Arc;

use futures_util::future::join_all;

use crate::docker::client::Client;
use crate::docker::error::{DockerError, Result};
use crate::docker::ports::{PortMapping, Protocol};
use crate::docker::run::session::{ResourceKind, RunSession};

/// How long `create` and `scale` wait for the tasks to run, and `rm` for them to go.
pub const CONVERGE_TIMEOUT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(250);

/// The label the daemon puts on every task container of a service.
pub const SERVICE_ID_LABEL: &str = "com.docker.swarm.service.id";

/// How a service's name resolves on its networks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EndpointMode {
    /// One virtual IP, balanced by the kernel's IPVS (Docker's default).
    #[default]
    Vip,
    /// DNS round robin: the name resolves to every task's own address.
    Dnsrr,
}

/// A service to create (`docker service create`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceSpec {
    /// Service name (also its DNS name on its networks).
    pub name: String,
    /// Image reference.
    pub image: String,
    /// Number of tasks.
    pub replicas: u64,
    /// Networks (usually overlays) the tasks join.
    pub networks: Vec<String>,
    /// More DNS names for the service on each of its networks.
    pub aliases: Vec<String>,
    /// Published ports (`published:target[/proto]`, on every node through the ingress mesh).
    pub ports: Vec<PortMapping>,
    /// Arguments (replace the image's CMD).
    pub cmd: Option<Vec<String>>,
    /// Entrypoint (replaces the image's ENTRYPOINT).
    pub entrypoint: Option<Vec<String>>,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// User labels (the run's labels are added on top).
    pub labels: HashMap<String, String>,
    /// Placement constraints such as `node.role==manager`.
    pub constraints: Vec<String>,
    /// VIP or DNS round robin.
    pub endpoint_mode: EndpointMode,
    /// Host name inside each task (Go templates such as `{{.Task.Name}}` work).
    pub hostname: Option<String>,
}

impl ServiceSpec {
    /// The body of `POST /services/create`. The labels go on the service
    /// and on its task containers, so teardown and `netrig clean` find both.
    pub fn to_request(&self, labels: HashMap<String, String>) -> ServiceBody {
        let networks: Vec<NetworkAttachmentConfig> = self
            .networks
            .iter()
            .map(|n| NetworkAttachmentConfig {
                target: Some(n.clone()),
                aliases: (!self.aliases.is_empty()).then(|| self.aliases.clone()),
                ..Default::default()
            })
            .collect();
        let ports: Vec<EndpointPortConfig> = self
            .ports
            .iter()
            .map(|p| EndpointPortConfig {
                protocol: Some(match p.protocol {
                    Protocol::Tcp => EndpointPortConfigProtocolEnum::TCP,
                    Protocol::Udp => EndpointPortConfigProtocolEnum::UDP,
                    Protocol::Sctp => EndpointPortConfigProtocolEnum::SCTP,
                }),
                target_port: Some(i64::from(p.container_port)),
                published_port: p.host_port.map(i64::from),
                publish_mode: Some(EndpointPortConfigPublishModeEnum::INGRESS),
                ..Default::default()
            })
            .collect();
        ServiceBody {
            name: Some(self.name.clone()),
            labels: Some(labels.clone()),
            mode: Some(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(self.replicas as i64),
                }),
                ..Default::default()
            }),
            task_template: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    image: Some(self.image.clone()),
                    labels: Some(labels),
                    command: self.entrypoint.clone(),
                    args: self.cmd.clone(),
                    hostname: self.hostname.clone(),
                    env: (!self.env.is_empty())
                        .then(|| self.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
                    ..Default::default()
                }),
                placement: (!self.constraints.is_empty()).then(|| TaskSpecPlacement {
                    constraints: Some(self.constraints.clone()),
                    ..Default::default()
                }),
                networks: (!networks.is_empty()).then_some(networks),
                ..Default::default()
            }),
            endpoint_spec: Some(EndpointSpec {
                mode: Some(match self.endpoint_mode {
                    EndpointMode::Vip => EndpointSpecModeEnum::VIP,
                    EndpointMode::Dnsrr => EndpointSpecModeEnum::DNSRR,
                }),
                ports: (!ports.is_empty()).then_some(ports),
            }),
            ..Default::default()
        }
    }
}

impl ServiceSpec {
    /// Why creating this service needs host access (empty: it does not).
    pub fn needs_host_access(&self) -> Vec<String> {
        self.networks
            .iter()
            .filter(|n| n.as_str() == "host")
            .map(|_| {
                "option \"network\": \"host\" puts the tasks on the hosts' own network stack"
                    .to_string()
            })
            .collect()
    }
}

/// A service as netrig refers to it after creating or finding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    /// Full id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// One row of `docker service ls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSummary {
    /// Full id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Image.
    pub image: String,
    /// Tasks wanted (`None` for a global service).
    pub replicas: Option<u64>,
    /// Tasks running now.
    pub running: u64,
    /// Labels.
    pub labels: HashMap<String, String>,
}

/// One row of `docker service ps`: a task, where it runs and its addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskSummary {
    /// Task id.
    pub id: String,
    /// `<service>.<slot>`, as `docker service ps` shows it.
    pub name: String,
    /// Slot number (1-based).
    pub slot: i64,
    /// The node it is placed on.
    pub node_id: String,
    /// The node's host name.
    pub node: String,
    /// `running`, `pending`, `failed`, …
    pub state: String,
    /// What the orchestrator wants: `running` or `shutdown`.
    pub desired_state: String,
    /// Why it failed, if it did.
    pub error: String,
    /// Its container's id, once it has one.
    pub container_id: String,
    /// `(network name, IPv4 address)` on each network, where known.
    pub addresses: Vec<(String, String)>,
}

impl TaskSummary {
    fn is_current(&self) -> bool {
        self.desired_state == "running"
    }
}

impl Client {
    /// Creates a labelled service; does not wait for it (see [`Client::wait_running`]).
    pub async fn create_service(
        &self,
        spec: &ServiceSpec,
        labels: HashMap<String, String>,
    ) -> Result<ServiceRef> {
        let action = format!("create service {:?}", spec.name);
        let created = self
            .docker
            .create_service(spec.to_request(labels), None)
            .await
            .map_err(|e| self.swarm_err(&action, e))?;
        Ok(ServiceRef {
            id: created.id.unwrap_or_default(),
            name: spec.name.clone(),
        })
    }

    /// Changes the number of tasks of a replicated service.
    pub async fn scale_service(&self, service: &str, replicas: u64) -> Result<()> {
        let action = format!("scale service {service:?} to {replicas}");
        let current = self
            .docker
            .inspect_service(service, None::<InspectServiceOptions>)
            .await
            .map_err(|e| self.swarm_err(&action, e))?;
        let mut spec = current.spec.unwrap_or_default();
        match spec.mode.as_mut().and_then(|m| m.replicated.as_mut()) {
            Some(r) => r.replicas = Some(replicas as i64),
            None => {
                return Err(DockerError::InvalidArgument {
                    action,
                    message:
                        "it is a global service (one task per node); only replicated services scale"
                            .into(),
                });
            }
        }
        let version = current.version.and_then(|v| v.index).unwrap_or_default();
        self.docker
            .update_service(
                service,
                spec,
                UpdateServiceOptions {
                    version: version as i32,
                    ..Default::default()
                },
                None,
            )
            .await
            .map_err(|e| self.swarm_err(&action, e))?;
        Ok(())
    }

    /// Services like `docker service ls`, with `docker service ls --filter` filters.
    pub async fn list_services(
        &self,
        filters: HashMap<String, Vec<String>>,
    ) -> Result<Vec<ServiceSummary>> {
        let services = self
            .docker
            .list_services(Some(ListServicesOptions {
                filters: (!filters.is_empty()).then_some(filters),
                status: Some(true),
            }))
            .await
            .map_err(|e| self.swarm_err("list services", e))?;
        let mut rows: Vec<ServiceSummary> = services
            .into_iter()
            .map(|s| {
                let spec = s.spec.unwrap_or_default();
                ServiceSummary {
                    id: s.id.unwrap_or_default(),
                    name: spec.name.unwrap_or_default(),
                    image: spec
                        .task_template
                        .and_then(|t| t.container_spec)
                        .and_then(|c| c.image)
                        .unwrap_or_default(),
                    replicas: spec
                        .mode
                        .and_then(|m| m.replicated)
                        .and_then(|r| r.replicas)
                        .map(|r| r as u64),
                    running: s
                        .service_status
                        .and_then(|st| st.running_tasks)
                        .unwrap_or(0),
                    labels: spec.labels.unwrap_or_default(),
                }
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }

    /// The daemon's inspect answer for a service, as JSON with Docker's key names.
    pub async fn inspect_service_json(&self, service: &str) -> Result<serde_json::Value> {
        let action = format!("inspect service {service:?}");
        let s = self
            .docker
            .inspect_service(service, None::<InspectServiceOptions>)
            .await
            .map_err(|e| self.swarm_err(&action, e))?;
        serde_json::to_value(s).map_err(|e| DockerError::Failed {
            action,
            message: e.to_string(),
        })
    }

    /// Removes a service; its tasks stop afterwards (see
    /// [`Client::remove_task_containers`]). Returns the service's id.
    pub async fn remove_service(&self, service: &str) -> Result<String> {
        let action = format!("remove service {service:?}");
        let found = self
            .docker
            .inspect_service(service, None::<InspectServiceOptions>)
            .await
            .map_err(|e| self.swarm_err(&action, e))?;
        let id = found.id.unwrap_or_else(|| service.to_string());
        self.docker
            .delete_service(&id)
            .await
            .map_err(|e| self.swarm_err(&action, e))?;
        Ok(id)
    }

    /// The tasks of a service, current ones first within each slot, with
    /// node names and, where this daemon knows them, addresses.
    pub async fn service_tasks(&self, service: &str) -> Result<Vec<TaskSummary>> {
        let action = format!("list the tasks of service {service:?}");
        let inspect = self
            .docker
            .inspect_service(service, None::<InspectServiceOptions>)
            .await
            .map_err(|e| self.swarm_err(&action, e))?;
        let id = inspect.id.clone().unwrap_or_else(|| service.to_string());
        let spec = inspect.spec.unwrap_or_default();
        let name = spec.name.clone().unwrap_or_else(|| service.to_string());
        let (tasks, nodes) = futures_util::join!(
            self.docker.list_tasks(Some(ListTasksOptions {
                filters: Some(HashMap::from([("service".to_string(), vec![id])])),
            })),
            self.list_nodes()
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
        self.fill_task_addresses(&name, &networks, &mut rows).await;
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
            let Ok(net) = self
                .docker
                .inspect_network(
                    network,
                    Some(InspectNetworkOptions {
                        verbose: true,
                        scope: Some("swarm".into()),
                    }),
                )
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
    pub async fn task_ids(&self, service: &str) -> Result<Vec<String>> {
        Ok(self
            .service_tasks(service)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect())
    }

    /// Waits until the service has `replicas` running tasks, failing early
    /// with Docker's own words when a task fails or is rejected — a task
    /// other than those in `earlier` (failures from before this change).
    pub async fn wait_running(
        &self,
        service: &str,
        replicas: u64,
        earlier: &[String],
    ) -> Result<()> {
        let action = format!("wait for service {service:?} to run {replicas} tasks");
        let deadline = Instant::now() + CONVERGE_TIMEOUT;
        loop {
            let tasks = self.service_tasks(service).await?;
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
    pub async fn remove_task_containers(&self, ids: &[String]) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Label filters are ANDed by the daemon: ask for every task
        // container and pick the services' here.
        let filter = HashMap::from([("label".to_string(), vec![SERVICE_ID_LABEL.to_string()])]);
        let deadline = Instant::now() + CONVERGE_TIMEOUT;
        let mut found: Vec<String> = Vec::new();
        loop {
            let mut left = self.list_containers(true, filter.clone()).await?;
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
                let _ = self.remove_container(&c.id).await;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl RunSession {
    /// Creates a labelled service (its task containers carry the run's
    /// labels too) and waits until its replicas run.
    /// Names are mapped like a container's (`netrig test` prefixes them,
    /// and the script's name stays a DNS alias on the service's networks).
    pub async fn create_service(&self, spec: &ServiceSpec) -> Result<ServiceRef> {
        let mut spec = spec.clone();
        let script_name = spec.name.clone();
        spec.name = self.docker_name(ResourceKind::Service, &script_name);
        spec.networks = spec
            .networks
            .iter()
            .map(|n| self.docker_name(ResourceKind::Network, n))
            .collect();
        if spec.name != script_name && !spec.aliases.contains(&script_name) {
            spec.aliases.push(script_name);
        }
        let replicas = spec.replicas;
        let (client, labels) = (
            self.client().clone(),
            self.labels().merged_with(&spec.labels),
        );
        // Created to its end even if the script stops waiting, so teardown sees it.
        let service = self
            .settled(async move { client.create_service(&spec, labels).await })
            .await?;
        self.record(ResourceKind::Service, &service.id, &service.name);
        self.client()
            .wait_running(&service.id, replicas, &[])
            .await?;
        Ok(service)
    }

    /// Removes a service and waits until its task containers are gone from
    /// every daemon of the run, so its networks are free at once.
    pub async fn remove_service(self: &Arc<Self>, service: &str) -> Result<()> {
        let id = self.client().remove_service(service).await?;
        let ids = [id];
        for result in join_all(
            self.all_clients()
                .iter()
                .map(|c| c.remove_task_containers(&ids)),
        )
        .await
        {
            result?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::ports::parse_publish;

    fn spec() -> ServiceSpec {
        ServiceSpec {
            name: "web".into(),
            image: "busybox".into(),
            replicas: 2,
            networks: vec!["ovl".into()],
            aliases: vec!["www".into()],
            ports: parse_publish("8080:80").unwrap(),
            cmd: Some(vec!["httpd".into(), "-f".into()]),
            entrypoint: Some(vec!["/bin/sh".into()]),
            env: vec![("A".into(), "1".into())],
            constraints: vec!["node.role==manager".into()],
            endpoint_mode: EndpointMode::Vip,
            hostname: Some("{{.Task.Name}}".into()),
            ..Default::default()
        }
    }

    #[test]
    fn service_body_has_replicas_networks_ports_and_labels_on_tasks() {
        let labels = HashMap::from([("netrig.run".to_string(), "abc".to_string())]);
        let body = serde_json::to_value(spec().to_request(labels)).unwrap();
        assert_eq!(body["Name"], "web");
        assert_eq!(body["Labels"]["netrig.run"], "abc");
        assert_eq!(body["Mode"]["Replicated"]["Replicas"], 2);
        let task = &body["TaskTemplate"];
        assert_eq!(task["ContainerSpec"]["Image"], "busybox");
        assert_eq!(task["ContainerSpec"]["Labels"]["netrig.run"], "abc");
        assert_eq!(task["ContainerSpec"]["Args"][0], "httpd");
        assert_eq!(task["ContainerSpec"]["Command"][0], "/bin/sh");
        assert_eq!(task["ContainerSpec"]["Env"][0], "A=1");
        assert_eq!(task["ContainerSpec"]["Hostname"], "{{.Task.Name}}");
        assert_eq!(task["Networks"][0]["Target"], "ovl");
        assert_eq!(task["Networks"][0]["Aliases"][0], "www");
        assert_eq!(task["Placement"]["Constraints"][0], "node.role==manager");
        let port = &body["EndpointSpec"]["Ports"][0];
        assert_eq!(port["TargetPort"], 80);
        assert_eq!(port["PublishedPort"], 8080);
        assert_eq!(port["Protocol"], "tcp");
        assert_eq!(port["PublishMode"], "ingress");
        assert_eq!(body["EndpointSpec"]["Mode"], "vip");
    }

    #[test]
    fn dnsrr_and_no_ports_leave_the_ports_out() {
        let s = ServiceSpec {
            ports: Vec::new(),
            endpoint_mode: EndpointMode::Dnsrr,
            networks: Vec::new(),
            constraints: Vec::new(),
            ..spec()
        };
        let body = serde_json::to_value(s.to_request(HashMap::new())).unwrap();
        assert_eq!(body["EndpointSpec"]["Mode"], "dnsrr");
        assert!(body["EndpointSpec"].get("Ports").is_none());
        assert!(body["TaskTemplate"].get("Networks").is_none());
        assert!(body["TaskTemplate"].get("Placement").is_none());
    }

    #[test]
    fn a_free_published_port_is_left_to_the_swarm() {
        let s = ServiceSpec {
            ports: parse_publish("53/udp").unwrap(),
            ..spec()
        };
        let body = serde_json::to_value(s.to_request(HashMap::new())).unwrap();
        let port = &body["EndpointSpec"]["Ports"][0];
        assert!(port.get("PublishedPort").is_none());
        assert_eq!(port["Protocol"], "udp");
    }

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
