//! Container operations: run (create, join networks, start), inspect, ps,
//! logs, stop, start, rm.

use std::collections::HashMap;

use bollard::container::LogOutput;
use bollard::models::ContainerInspectResponse;
use bollard::query_parameters::{
    CreateContainerOptions, InspectContainerOptions, ListContainersOptions, LogsOptions,
    RemoveContainerOptions, StartContainerOptions, StopContainerOptions,
};
use futures_util::StreamExt;
use serde_json::json;

use super::client::Client;
use super::error::{DockerError, Result};
use super::explain::DockerOp;
use super::spec::RunSpec;

/// A container as netrig refers to it after creating or finding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerRef {
    /// Full id.
    pub(crate) id: String,
    /// Name (without Docker's leading `/`).
    pub(crate) name: String,
}

/// One row of `ps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    /// Full id.
    pub(crate) id: String,
    /// Name.
    pub(crate) name: String,
    /// Image as given at create.
    pub(crate) image: String,
    /// `running`, `exited`, `created`, …
    pub(crate) state: String,
    /// Human status, e.g. `Up 3 seconds`.
    pub(crate) status: String,
    /// Names of the networks it is on.
    pub(crate) networks: Vec<String>,
    /// Published ports as `host_ip:host_port->port/proto`.
    pub(crate) ports: Vec<String>,
    /// Labels.
    pub(crate) labels: HashMap<String, String>,
}

/// Where a container can be reached: its address on each network and its published ports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ContainerAddresses {
    /// `(network name, IPv4 address)`, sorted by network name.
    pub(crate) networks: Vec<(String, String)>,
    /// `(network name, global IPv6 address or "")`, in the same order.
    pub(crate) networks6: Vec<(String, String)>,
    /// `(container key like "80/tcp", host address, host port)`, by
    /// container key, IPv4 addresses before IPv6 ones, then by address.
    pub(crate) published: Vec<(String, String, u16)>,
}

impl ContainerAddresses {
    /// Reads addresses out of an inspect answer.
    pub(crate) fn from_inspect(inspect: &ContainerInspectResponse) -> Self {
        let settings = inspect.network_settings.as_ref();
        let mut networks: Vec<(String, String)> = settings
            .and_then(|s| s.networks.as_ref())
            .map(|nets| {
                nets.iter()
                    .map(|(name, ep)| (name.clone(), ep.ip_address.clone().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default();
        networks.sort();
        let mut networks6: Vec<(String, String)> = settings
            .and_then(|s| s.networks.as_ref())
            .map(|nets| {
                nets.iter()
                    .map(|(name, ep)| {
                        let ip = ep.global_ipv6_address.clone().unwrap_or_default();
                        (name.clone(), ip)
                    })
                    .collect()
            })
            .unwrap_or_default();
        networks6.sort();
        let mut published = Vec::new();
        if let Some(ports) = settings.and_then(|s| s.ports.as_ref()) {
            for (key, bindings) in ports {
                for b in bindings.iter().flatten() {
                    if let Some(port) = b.host_port.as_deref().and_then(|p| p.parse().ok()) {
                        published.push((key.clone(), b.host_ip.clone().unwrap_or_default(), port));
                    }
                }
            }
        }
        // By container port, IPv4 bindings before IPv6 ones, then by address:
        // `.ports()` lists them in this order and `.port()` takes the first.
        published.sort_by(|a, b| {
            (&a.0, a.1.contains(':'), &a.1, a.2).cmp(&(&b.0, b.1.contains(':'), &b.1, b.2))
        });
        ContainerAddresses {
            networks,
            networks6,
            published,
        }
    }

    /// The host port of the first binding of `container_key` (e.g.
    /// `"80/tcp"`) in [`ContainerAddresses::published`]'s order: IPv4 first.
    pub(crate) fn host_port(&self, container_key: &str) -> Option<u16> {
        self.published
            .iter()
            .find(|(k, _, _)| k == container_key)
            .map(|(_, _, port)| *port)
    }
}

impl Client {
    /// `docker run -d` for an image known to be here (the caller made sure
    /// of it): creates the container on the first network, connects the
    /// others, starts it; anything that fails after create removes the
    /// container again, so nothing is left half-made.
    pub async fn create_and_start(
        &self,
        spec: &RunSpec,
        name: &str,
        labels: HashMap<String, String>,
    ) -> Result<ContainerRef> {
        let action = format!("create container {name:?} from image {:?}", spec.image);
        self.explain(&DockerOp::Run { spec, name });
        // The lines above stand for every step below: each is quiet.
        let quiet = self.quiet();
        let body = spec.to_create_body(labels);
        let args = self.args(|| json!({"name": name, "body": &body}));
        let created = self
            .api("POST /containers/create", args, |d| {
                d.create_container(
                    Some(CreateContainerOptions {
                        name: Some(name.to_string()),
                        ..Default::default()
                    }),
                    body,
                )
            })
            .await;
        let created = match created {
            Ok(c) => c,
            Err(e) => {
                return Err(match self.err(&action, e) {
                    DockerError::Conflict { action, .. } => {
                        let owner = match quiet.inspect_container(name).await {
                            Ok(c) => super::run::labels::owner(
                                &c.config.and_then(|c| c.labels).unwrap_or_default(),
                            ),
                            Err(_) => "another container".to_string(),
                        };
                        DockerError::Conflict {
                            action,
                            message: format!(
                                "the name {name:?} is in use: a container with that name already exists (made by {owner})"
                            ),
                        }
                    }
                    other => other,
                });
            }
        };
        let container = ContainerRef {
            id: created.id,
            name: name.to_string(),
        };
        if let Err(e) = quiet.join_and_start(spec, &container).await {
            // Docker creates a container even when a network is missing and
            // fails only later: take it away again at once.
            let _ = quiet.remove_container(&container.id).await;
            return Err(e);
        }
        Ok(container)
    }

    async fn join_and_start(&self, spec: &RunSpec, container: &ContainerRef) -> Result<()> {
        for (network, request) in spec.extra_networks(&container.id) {
            let args = self.args(|| json!({"network": &network, "body": &request}));
            self.api("POST /networks/{id}/connect", args, |d| {
                d.connect_network(&network, request)
            })
            .await
            .map_err(|e| {
                self.err(
                    format!(
                        "connect container {:?} to network {network:?}",
                        container.name
                    ),
                    e,
                )
            })?;
        }
        self.start_container(&container.name).await
    }

    /// Starts a created or stopped container.
    pub(crate) async fn start_container(&self, container: &str) -> Result<()> {
        self.explain(&DockerOp::Start(container));
        let args = self.args(|| json!({"container": container}));
        self.api("POST /containers/{id}/start", args, |d| {
            d.start_container(container, None::<StartContainerOptions>)
        })
        .await
        .map_err(|e| self.err(format!("start container {container:?}"), e))?;
        // A fresh start is a fresh network namespace: captures follow it.
        self.started(container).await;
        Ok(())
    }

    /// Stops a container: SIGTERM, then SIGKILL after `timeout_secs` (Docker's default is 10).
    pub(crate) async fn stop_container(
        &self,
        container: &str,
        timeout_secs: Option<i32>,
    ) -> Result<()> {
        self.explain(&DockerOp::Stop {
            container,
            timeout_secs,
        });
        let args = self.args(|| json!({"container": container, "t": timeout_secs}));
        self.api("POST /containers/{id}/stop", args, |d| {
            d.stop_container(
                container,
                Some(StopContainerOptions {
                    t: timeout_secs,
                    signal: None,
                }),
            )
        })
        .await
        .map_err(|e| self.err(format!("stop container {container:?}"), e))
    }

    /// Removes a container whatever its state (`docker rm -f -v`).
    pub(crate) async fn remove_container(&self, container: &str) -> Result<()> {
        self.explain(&DockerOp::Rm(container));
        let args = self.args(|| json!({"container": container, "force": true, "v": true}));
        self.api("DELETE /containers/{id}", args, |d| {
            d.remove_container(
                container,
                Some(RemoveContainerOptions {
                    force: true,
                    v: true,
                    link: false,
                }),
            )
        })
        .await
        .map_err(|e| self.err(format!("remove container {container:?}"), e))
    }

    /// The daemon's typed inspect answer.
    pub(crate) async fn inspect_container(
        &self,
        container: &str,
    ) -> Result<ContainerInspectResponse> {
        self.explain(&DockerOp::Inspect(container));
        let args = self.args(|| json!({"container": container}));
        self.api("GET /containers/{id}/json", args, |d| {
            d.inspect_container(container, None::<InspectContainerOptions>)
        })
        .await
        .map_err(|e| self.err(format!("inspect container {container:?}"), e))
    }

    /// The daemon's inspect answer as JSON with Docker's key names.
    pub(crate) async fn inspect_container_json(
        &self,
        container: &str,
    ) -> Result<serde_json::Value> {
        let inspect = self.inspect_container(container).await?;
        serde_json::to_value(inspect).map_err(|e| DockerError::Failed {
            action: format!("inspect container {container:?}"),
            message: e.to_string(),
        })
    }

    /// Lists containers like `docker ps` (`all` adds stopped ones), with `docker ps --filter` filters.
    pub async fn list_containers(
        &self,
        all: bool,
        filters: HashMap<String, Vec<String>>,
    ) -> Result<Vec<ContainerSummary>> {
        self.explain(&DockerOp::Ps);
        let args = self.args(|| json!({"all": all, "filters": &filters}));
        let list = self
            .api("GET /containers/json", args, |d| {
                d.list_containers(Some(ListContainersOptions {
                    all,
                    filters: (!filters.is_empty()).then_some(filters),
                    ..Default::default()
                }))
            })
            .await
            .map_err(|e| self.err("list containers", e))?;
        let mut rows: Vec<ContainerSummary> = list
            .into_iter()
            .map(|c| {
                let mut networks: Vec<String> = c
                    .network_settings
                    .and_then(|s| s.networks)
                    .map(|n| n.into_keys().collect())
                    .unwrap_or_default();
                networks.sort();
                let mut ports: Vec<String> = c
                    .ports
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| {
                        let proto = p.typ.map(|t| t.to_string()).unwrap_or_else(|| "tcp".into());
                        match p.public_port {
                            Some(public) => format!(
                                "{}:{public}->{}/{proto}",
                                p.ip.unwrap_or_default(),
                                p.private_port
                            ),
                            None => format!("{}/{proto}", p.private_port),
                        }
                    })
                    .collect();
                ports.sort();
                ports.dedup();
                ContainerSummary {
                    id: c.id.unwrap_or_default(),
                    name: c
                        .names
                        .and_then(|n| n.into_iter().next())
                        .map(|n| n.trim_start_matches('/').to_string())
                        .unwrap_or_default(),
                    image: c.image.unwrap_or_default(),
                    state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                    status: c.status.unwrap_or_default(),
                    networks,
                    ports,
                    labels: c.labels.unwrap_or_default(),
                }
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }

    /// Everything the container wrote to stdout and stderr so far, in order.
    pub(crate) async fn logs(&self, container: &str) -> Result<String> {
        self.read_logs(container, None).await
    }

    /// The last `lines` lines the container wrote (a test report's excerpt).
    pub(crate) async fn logs_tail(&self, container: &str, lines: usize) -> Result<String> {
        self.read_logs(container, Some(lines)).await
    }

    async fn read_logs(&self, container: &str, tail: Option<usize>) -> Result<String> {
        let action = format!("read logs of container {container:?}");
        self.explain(&DockerOp::Logs(container));
        let args = self.args(|| json!({"container": container, "tail": tail}));
        let mut stream = self.api_stream("GET /containers/{id}/logs", args, |d| {
            d.logs(
                container,
                Some(LogsOptions {
                    stdout: true,
                    stderr: true,
                    tail: tail.map_or_else(|| "all".to_string(), |n| n.to_string()),
                    ..Default::default()
                }),
            )
        });
        let mut text = Vec::new();
        while let Some(chunk) = stream.next().await {
            match chunk.map_err(|e| self.err(&action, e))? {
                LogOutput::StdOut { message }
                | LogOutput::StdErr { message }
                | LogOutput::Console { message } => text.extend_from_slice(&message),
                LogOutput::StdIn { .. } => {}
            }
        }
        Ok(String::from_utf8_lossy(&text).into_owned())
    }
}
