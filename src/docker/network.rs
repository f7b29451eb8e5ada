//! Network operations: `docker network create/ls/inspect/rm/connect/disconnect`.

use std::collections::HashMap;

use bollard::models::NetworkDisconnectRequest;
use bollard::query_parameters::{InspectNetworkOptions, ListNetworksOptions};
use serde_json::json;

use super::client::Client;
use super::error::{DockerError, Result};
use super::explain::DockerOp;
use super::spec::{ConnectSpec, NetworkSpec};

/// A network as netrig refers to it after creating or finding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRef {
    /// Full id.
    pub(crate) id: String,
    /// Name.
    pub(crate) name: String,
    /// The subnet it got (from netrig's pool, or the one asked for), when known.
    pub(crate) subnet: Option<String>,
    /// Its gateway, when known.
    pub(crate) gateway: Option<String>,
}

/// One row of `network ls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NetworkSummary {
    /// Name.
    pub(crate) name: String,
    /// Full id.
    pub(crate) id: String,
    /// Driver (`bridge`, `host`, `null`, `overlay`, …).
    pub(crate) driver: String,
    /// `local` or `swarm`.
    pub(crate) scope: String,
    /// Subnets in CIDR form.
    pub(crate) subnets: Vec<String>,
    /// No route to the outside.
    pub(crate) internal: bool,
    /// Labels.
    pub(crate) labels: HashMap<String, String>,
}

impl Client {
    /// Creates a network. Fails with `Conflict` when the name is taken:
    /// the daemon would otherwise make a second network with the same name.
    pub async fn create_network(
        &self,
        spec: &NetworkSpec,
        labels: HashMap<String, String>,
    ) -> Result<NetworkRef> {
        if let Some(existing) = self.find_network(&spec.name).await? {
            return Err(name_taken(&spec.name, &existing));
        }
        self.create_network_unchecked(spec, labels).await
    }

    /// Creates a network without asking first whether the name is free:
    /// for callers that checked already (a batch checks all names at once).
    pub(crate) async fn create_network_unchecked(
        &self,
        spec: &NetworkSpec,
        labels: HashMap<String, String>,
    ) -> Result<NetworkRef> {
        let action = format!("create network {:?}", spec.name);
        self.explain(&DockerOp::NetworkCreate(spec));
        let body = spec.to_request(labels);
        let args = self.args(|| json!({"body": &body}));
        let created = self
            .api("POST /networks/create", args, |d| d.create_network(body))
            .await
            .map_err(|e| self.err(&action, e))?;
        Ok(NetworkRef {
            id: created.id,
            name: spec.name.clone(),
            subnet: spec.subnet.clone(),
            gateway: spec.gateway.clone(),
        })
    }

    /// The network with exactly this name, if any (the daemon's name filter
    /// matches substrings, so the answer is filtered again here).
    pub(crate) async fn find_network(&self, name: &str) -> Result<Option<NetworkSummary>> {
        // A check of netrig's own: no docker command of the user's.
        let nets = self
            .quiet()
            .list_networks(HashMap::from([(
                "name".to_string(),
                vec![name.to_string()],
            )]))
            .await?;
        Ok(nets.into_iter().find(|n| n.name == name))
    }

    /// Lists networks, optionally filtered the way `docker network ls --filter` does.
    pub(crate) async fn list_networks(
        &self,
        filters: HashMap<String, Vec<String>>,
    ) -> Result<Vec<NetworkSummary>> {
        self.explain(&DockerOp::NetworkLs);
        let args = self.args(|| json!({"filters": &filters}));
        let options = ListNetworksOptions {
            filters: (!filters.is_empty()).then_some(filters),
        };
        let nets = self
            .api("GET /networks", args, |d| d.list_networks(Some(options)))
            .await
            .map_err(|e| self.err("list networks", e))?;
        let mut rows: Vec<NetworkSummary> = nets
            .into_iter()
            .map(|n| NetworkSummary {
                name: n.name.unwrap_or_default(),
                id: n.id.unwrap_or_default(),
                driver: n.driver.unwrap_or_default(),
                scope: n.scope.unwrap_or_default(),
                subnets: n
                    .ipam
                    .and_then(|i| i.config)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|c| c.subnet)
                    .collect(),
                internal: n.internal.unwrap_or(false),
                labels: n.labels.unwrap_or_default(),
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }

    /// The daemon's inspect answer for a network, as JSON with Docker's key names.
    pub(crate) async fn inspect_network(&self, network: &str) -> Result<serde_json::Value> {
        let action = format!("inspect network {network:?}");
        self.explain(&DockerOp::NetworkInspect(network));
        let args = self.args(|| json!({"network": network}));
        let net = self
            .api("GET /networks/{id}", args, |d| {
                d.inspect_network(network, None::<InspectNetworkOptions>)
            })
            .await
            .map_err(|e| self.err(&action, e))?;
        serde_json::to_value(net).map_err(|e| DockerError::Failed {
            action,
            message: e.to_string(),
        })
    }

    /// Removes a network.
    pub(crate) async fn remove_network(&self, network: &str) -> Result<()> {
        self.explain(&DockerOp::NetworkRm(network));
        let args = self.args(|| json!({"network": network}));
        self.api("DELETE /networks/{id}", args, |d| d.remove_network(network))
            .await
            .map_err(|e| self.err(format!("remove network {network:?}"), e))
    }

    /// Connects a container to a network (live: a running container gets a new interface).
    pub async fn connect_network(
        &self,
        network: &str,
        container: &str,
        spec: &ConnectSpec,
    ) -> Result<()> {
        self.explain(&DockerOp::NetworkConnect {
            network,
            container,
            spec,
        });
        let body = spec.to_request(container);
        let args = self.args(|| json!({"network": network, "body": &body}));
        self.api("POST /networks/{id}/connect", args, |d| {
            d.connect_network(network, body)
        })
        .await
        .map_err(|e| {
            self.err(
                format!("connect container {container:?} to network {network:?}"),
                e,
            )
        })
    }

    /// Disconnects a container from a network.
    pub(crate) async fn disconnect_network(&self, network: &str, container: &str) -> Result<()> {
        self.explain(&DockerOp::NetworkDisconnect { network, container });
        let body = NetworkDisconnectRequest {
            container: container.to_string(),
            force: Some(false),
        };
        let args = self.args(|| json!({"network": network, "body": &body}));
        self.api("POST /networks/{id}/disconnect", args, |d| {
            d.disconnect_network(network, body)
        })
        .await
        .map_err(|e| {
            self.err(
                format!("disconnect container {container:?} from network {network:?}"),
                e,
            )
        })
    }
}

/// The error for creating a network whose name `existing` already has.
pub(crate) fn name_taken(name: &str, existing: &NetworkSummary) -> DockerError {
    DockerError::Conflict {
        action: format!("create network {name:?}"),
        message: format!(
            "the name {name:?} is in use: a network with that name already exists (id {}, made by {})",
            crate::text::short_id(&existing.id),
            super::run::labels::owner(&existing.labels)
        ),
    }
}
