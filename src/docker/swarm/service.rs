//! Swarm services: `docker service create/scale/ls/inspect/rm`; their
//! tasks (`docker service ps`, waiting until they run) are in `tasks.rs`.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, NetworkAttachmentConfig, ServiceSpec as ServiceBody,
    ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec, TaskSpecPlacement,
};
use bollard::query_parameters::{InspectServiceOptions, ListServicesOptions, UpdateServiceOptions};

use std::sync::Arc;

use futures_util::future::join_all;
use serde_json::json;

pub(crate) use super::tasks::TaskSummary;
use crate::docker::client::Client;
use crate::docker::error::{DockerError, Result};
use crate::docker::explain::DockerOp;
use crate::docker::ports::{PortMapping, Protocol};
use crate::docker::run::access::HostRequest;
use crate::docker::run::session::{ResourceKind, RunSession};

/// How long `create` and `scale` wait for the tasks to run, and `rm` for them to go.
pub(crate) const CONVERGE_TIMEOUT: Duration = Duration::from_secs(120);
pub(super) const POLL: Duration = Duration::from_millis(250);

/// The label the daemon puts on every task container of a service.
pub(crate) const SERVICE_ID_LABEL: &str = "com.docker.swarm.service.id";

/// How a service's name resolves on its networks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum EndpointMode {
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
    pub(crate) name: String,
    /// Image reference.
    pub(crate) image: String,
    /// Number of tasks.
    pub(crate) replicas: u64,
    /// Networks (usually overlays) the tasks join.
    pub(crate) networks: Vec<String>,
    /// More DNS names for the service on each of its networks.
    pub(crate) aliases: Vec<String>,
    /// Published ports (`published:target[/proto]`, on every node through the ingress mesh).
    pub(crate) ports: Vec<PortMapping>,
    /// Arguments (replace the image's CMD).
    pub(crate) cmd: Option<Vec<String>>,
    /// Entrypoint (replaces the image's ENTRYPOINT).
    pub(crate) entrypoint: Option<Vec<String>>,
    /// Environment variables.
    pub(crate) env: Vec<(String, String)>,
    /// User labels (the run's labels are added on top).
    pub(crate) labels: HashMap<String, String>,
    /// Placement constraints such as `node.role==manager`.
    pub(crate) constraints: Vec<String>,
    /// VIP or DNS round robin.
    pub(crate) endpoint_mode: EndpointMode,
    /// Host name inside each task (Go templates such as `{{.Task.Name}}` work).
    pub(crate) hostname: Option<String>,
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

/// A service on the host network puts its tasks on every node's own stack.
impl HostRequest for ServiceSpec {
    fn host_access(&self) -> Vec<String> {
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
pub(crate) struct ServiceRef {
    /// Full id.
    pub(crate) id: String,
    /// Name.
    pub(crate) name: String,
}

/// One row of `docker service ls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceSummary {
    /// Full id.
    pub(crate) id: String,
    /// Name.
    pub(crate) name: String,
    /// Image.
    pub(crate) image: String,
    /// Tasks wanted (`None` for a global service).
    pub(crate) replicas: Option<u64>,
    /// Tasks running now.
    pub(crate) running: u64,
    /// Labels.
    pub(crate) labels: HashMap<String, String>,
}

impl Client {
    /// The daemon's typed answer about a service (`GET /services/{id}`).
    pub(super) async fn inspect_service(
        &self,
        service: &str,
    ) -> std::result::Result<bollard::models::Service, bollard::errors::Error> {
        let args = self.args(|| json!({"service": service}));
        self.api("GET /services/{id}", args, |d| {
            d.inspect_service(service, None::<InspectServiceOptions>)
        })
        .await
    }

    /// Creates a labelled service; does not wait for it (see [`Client::wait_running`]).
    pub(crate) async fn create_service(
        &self,
        spec: &ServiceSpec,
        labels: HashMap<String, String>,
    ) -> Result<ServiceRef> {
        let action = format!("create service {:?}", spec.name);
        self.explain(&DockerOp::ServiceCreate(spec));
        let body = spec.to_request(labels);
        let args = self.args(|| json!({"body": &body}));
        let created = self
            .api("POST /services/create", args, |d| {
                d.create_service(body, None)
            })
            .await
            .map_err(|e| self.swarm_err(&action, e))?;
        Ok(ServiceRef {
            id: created.id.unwrap_or_default(),
            name: spec.name.clone(),
        })
    }

    /// Changes the number of tasks of a replicated service.
    pub(crate) async fn scale_service(&self, service: &str, replicas: u64) -> Result<()> {
        let action = format!("scale service {service:?} to {replicas}");
        self.explain(&DockerOp::ServiceScale { service, replicas });
        let current = self
            .inspect_service(service)
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
        let args = self.args(|| json!({"service": service, "version": version, "body": &spec}));
        self.api("POST /services/{id}/update", args, |d| {
            d.update_service(
                service,
                spec,
                UpdateServiceOptions {
                    version: version as i32,
                    ..Default::default()
                },
                None,
            )
        })
        .await
        .map_err(|e| self.swarm_err(&action, e))?;
        Ok(())
    }

    /// Services like `docker service ls`, with `docker service ls --filter` filters.
    pub(crate) async fn list_services(
        &self,
        filters: HashMap<String, Vec<String>>,
    ) -> Result<Vec<ServiceSummary>> {
        self.explain(&DockerOp::ServiceLs);
        let args = self.args(|| json!({"filters": &filters}));
        let services = self
            .api("GET /services", args, |d| {
                d.list_services(Some(ListServicesOptions {
                    filters: (!filters.is_empty()).then_some(filters),
                    status: Some(true),
                }))
            })
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
    pub(crate) async fn inspect_service_json(&self, service: &str) -> Result<serde_json::Value> {
        let action = format!("inspect service {service:?}");
        self.explain(&DockerOp::ServiceInspect(service));
        let s = self
            .inspect_service(service)
            .await
            .map_err(|e| self.swarm_err(&action, e))?;
        serde_json::to_value(s).map_err(|e| DockerError::Failed {
            action,
            message: e.to_string(),
        })
    }

    /// Removes a service; its tasks stop afterwards (see
    /// [`Client::remove_task_containers`]). Returns the service's id.
    pub(crate) async fn remove_service(&self, service: &str) -> Result<String> {
        let action = format!("remove service {service:?}");
        self.explain(&DockerOp::ServiceRm(service));
        let found = self
            .inspect_service(service)
            .await
            .map_err(|e| self.swarm_err(&action, e))?;
        let id = found.id.unwrap_or_else(|| service.to_string());
        let args = self.args(|| json!({"service": &id}));
        self.api("DELETE /services/{id}", args, |d| d.delete_service(&id))
            .await
            .map_err(|e| self.swarm_err(&action, e))?;
        Ok(id)
    }
}

impl RunSession {
    /// Creates a labelled service (its task containers carry the run's
    /// labels too) and waits until its replicas run.
    /// Names are mapped like a container's (`netrig test` prefixes them,
    /// and the script's name stays a DNS alias on the service's networks).
    pub(crate) async fn create_service(&self, spec: &ServiceSpec) -> Result<ServiceRef> {
        let admitted = self.admit(spec)?;
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
            .settled(admitted, async move {
                client.create_service(&spec, labels).await
            })
            .await?;
        self.record(ResourceKind::Service, &service.id, &service.name);
        self.client()
            .wait_running(&service.id, replicas, &[])
            .await?;
        Ok(service)
    }

    /// Removes a service and waits until its task containers are gone from
    /// every daemon of the run, so its networks are free at once.
    pub(crate) async fn remove_service(self: &Arc<Self>, service: &str) -> Result<()> {
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
}
