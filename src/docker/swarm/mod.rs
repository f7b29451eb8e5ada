//! Swarm membership: whether a daemon is in a swarm, `docker swarm
//! init/join/leave`, join tokens and `docker node ls`.

pub(crate) mod hosts;
pub(crate) mod service;
pub(crate) mod tasks;

use std::collections::HashMap;

use bollard::models::{LocalNodeState, SwarmInitRequest, SwarmJoinRequest, SwarmSpec};
use bollard::query_parameters::{LeaveSwarmOptions, ListNodesOptions};
use serde_json::json;

use super::client::Client;
use super::error::{DockerError, Result};
use super::explain::DockerOp;
use super::run::access::{Admitted, HostRequest};

/// The port managers listen on for joining nodes when none is given.
pub(crate) const MANAGER_PORT: u16 = 2377;

/// The bridge Docker creates on a node the first time it joins or starts a
/// swarm, and keeps after it leaves.
pub(crate) const GWBRIDGE: &str = "docker_gwbridge";

/// A daemon's view of its swarm membership (`docker info`'s Swarm section).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SwarmState {
    /// `inactive`, `pending`, `active`, `error` or `locked`.
    pub(crate) state: String,
    /// This node's id in the swarm (empty when inactive).
    pub(crate) node_id: String,
    /// The address other nodes reach this node at.
    pub(crate) node_addr: String,
    /// This node is a manager (it can create services and overlay networks).
    pub(crate) manager: bool,
    /// The address (`ip:port`) a node joins this swarm at, when this node is a manager.
    pub(crate) manager_addr: Option<String>,
    /// Nodes in the swarm (known on managers only).
    pub(crate) nodes: Option<i64>,
    /// What went wrong, when `state` is `error`.
    pub(crate) error: String,
}

impl SwarmState {
    /// The daemon is a working member of a swarm.
    pub(crate) fn is_active(&self) -> bool {
        self.state == "active"
    }

    /// Reads the Swarm section of `docker info`.
    pub(crate) fn from_info(info: Option<&bollard::models::SwarmInfo>) -> Self {
        let Some(info) = info else {
            return SwarmState {
                state: "inactive".into(),
                ..Default::default()
            };
        };
        let state = match info.local_node_state {
            Some(LocalNodeState::ACTIVE) => "active",
            Some(LocalNodeState::PENDING) => "pending",
            Some(LocalNodeState::ERROR) => "error",
            Some(LocalNodeState::LOCKED) => "locked",
            _ => "inactive",
        };
        let node_id = info.node_id.clone().unwrap_or_default();
        let manager = info.control_available.unwrap_or(false);
        // A manager finds itself among the remote managers, with the port.
        let manager_addr = manager
            .then(|| {
                info.remote_managers
                    .iter()
                    .flatten()
                    .find(|p| p.node_id.as_deref() == Some(node_id.as_str()))
                    .and_then(|p| p.addr.clone())
            })
            .flatten();
        SwarmState {
            state: state.into(),
            node_addr: info.node_addr.clone().unwrap_or_default(),
            node_id,
            manager,
            manager_addr,
            nodes: info.nodes,
            error: info.error.clone().unwrap_or_default(),
        }
    }

    /// Where a node joins this swarm: the manager address the daemon
    /// reports, else its node address with the default manager port.
    pub(crate) fn join_addr(&self) -> Option<String> {
        if !self.manager {
            return None;
        }
        self.manager_addr.clone().or_else(|| {
            (!self.node_addr.is_empty()).then(|| format!("{}:{MANAGER_PORT}", self.node_addr))
        })
    }
}

/// `docker swarm init` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwarmInitSpec {
    /// The address other nodes reach this one at (`ip`, `ip:port` or an interface).
    pub(crate) advertise_addr: Option<String>,
    /// The address to listen on for other nodes (`ip:port`).
    pub(crate) listen_addr: Option<String>,
    /// The address overlay (VXLAN) traffic leaves from.
    pub(crate) data_path_addr: Option<String>,
    /// Subnets overlay networks are allocated from (Docker's default: 10.0.0.0/8).
    pub(crate) default_addr_pool: Vec<String>,
    /// Prefix length of each overlay network taken from the pool (default 24).
    pub(crate) subnet_size: Option<u32>,
}

impl SwarmInitSpec {
    /// The body of `POST /swarm/init`; `labels` go on the swarm itself so
    /// `netrig clean` can tell which run made it.
    pub fn to_request(&self, labels: HashMap<String, String>) -> SwarmInitRequest {
        SwarmInitRequest {
            listen_addr: Some(
                self.listen_addr
                    .clone()
                    .unwrap_or_else(|| format!("0.0.0.0:{MANAGER_PORT}")),
            ),
            advertise_addr: self.advertise_addr.clone(),
            data_path_addr: self.data_path_addr.clone(),
            default_addr_pool: (!self.default_addr_pool.is_empty())
                .then(|| self.default_addr_pool.clone()),
            subnet_size: self.subnet_size,
            spec: Some(SwarmSpec {
                labels: Some(labels),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

/// Starting a swarm needs host access: the daemon becomes a manager that
/// other machines can join, listening on a port of the host.
impl HostRequest for SwarmInitSpec {
    fn host_access(&self) -> Vec<String> {
        let listen = self
            .listen_addr
            .clone()
            .unwrap_or_else(|| format!("0.0.0.0:{MANAGER_PORT}"));
        vec![format!(
            "starting a swarm makes the daemon a manager that other machines can join (listening on {listen})"
        )]
    }
}

/// Joining a swarm needs host access: its managers may then run any
/// container on this daemon.
impl HostRequest for SwarmJoinSpec {
    fn host_access(&self) -> Vec<String> {
        vec!["joining a swarm lets its managers run any container on this daemon".to_string()]
    }
}

/// `docker swarm join` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwarmJoinSpec {
    /// Managers to contact (`ip:port`; the port defaults to 2377).
    pub(crate) remote_addrs: Vec<String>,
    /// The worker or manager join token.
    pub(crate) token: String,
    /// The address other nodes reach this one at.
    pub(crate) advertise_addr: Option<String>,
    /// The address to listen on (`ip:port`).
    pub(crate) listen_addr: Option<String>,
    /// The address overlay (VXLAN) traffic leaves from.
    pub(crate) data_path_addr: Option<String>,
}

impl SwarmJoinSpec {
    /// The body of `POST /swarm/join`; a manager address without a port gets 2377.
    pub fn to_request(&self) -> SwarmJoinRequest {
        SwarmJoinRequest {
            listen_addr: Some(
                self.listen_addr
                    .clone()
                    .unwrap_or_else(|| format!("0.0.0.0:{MANAGER_PORT}")),
            ),
            advertise_addr: self.advertise_addr.clone(),
            data_path_addr: self.data_path_addr.clone(),
            remote_addrs: Some(self.remote_addrs.iter().map(|a| with_port(a)).collect()),
            join_token: Some(self.token.clone()),
        }
    }
}

/// `10.0.0.1` → `10.0.0.1:2377`; `10.0.0.1:4000` and `[fd00::1]:2377` stay.
fn with_port(addr: &str) -> String {
    let has_port = if let Some(rest) = addr.strip_prefix('[') {
        rest.contains("]:")
    } else {
        addr.matches(':').count() == 1
    };
    if has_port {
        addr.to_string()
    } else if addr.contains(':') {
        format!("[{addr}]:{MANAGER_PORT}")
    } else {
        format!("{addr}:{MANAGER_PORT}")
    }
}

/// The tokens that let a node join as a worker or as a manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JoinTokens {
    /// Join as a worker.
    pub(crate) worker: String,
    /// Join as a manager.
    pub(crate) manager: String,
}

/// One row of `docker node ls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeSummary {
    /// Node id.
    pub(crate) id: String,
    /// The host name of the machine the node's daemon runs on.
    pub(crate) hostname: String,
    /// `manager` or `worker`.
    pub(crate) role: String,
    /// `active`, `pause` or `drain`.
    pub(crate) availability: String,
    /// `ready`, `down`, `disconnected` or `unknown`.
    pub(crate) state: String,
    /// The node's address.
    pub(crate) addr: String,
    /// This manager is the leader.
    pub(crate) leader: bool,
}

impl Client {
    /// Whether and how this daemon is in a swarm.
    pub(crate) async fn swarm_state(&self) -> Result<SwarmState> {
        let info = self
            .api("GET /info", self.args(|| json!({})), |d| d.info())
            .await
            .map_err(|e| self.err("ask the daemon about its swarm", e))?;
        Ok(SwarmState::from_info(info.swarm.as_ref()))
    }

    /// Starts a new swarm with this daemon as its only manager; returns the
    /// node id. Fails with `Conflict` when the daemon is already in a swarm.
    /// Only what a run's policy admitted ([`RunSession::admit`](crate::docker::RunSession::admit)).
    pub(crate) async fn init_swarm(
        &self,
        spec: &SwarmInitSpec,
        labels: HashMap<String, String>,
        _: Admitted,
    ) -> Result<String> {
        const ACTION: &str = "initialise a swarm";
        self.must_be_outside_a_swarm(ACTION).await?;
        self.explain(&DockerOp::SwarmInit(spec));
        let body = spec.to_request(labels);
        let args = self.args(|| json!({"body": &body}));
        self.api("POST /swarm/init", args, |d| d.init_swarm(body))
            .await
            .map_err(|e| self.swarm_err(ACTION, e))
    }

    /// Joins the swarm of the managers in `spec`, as a run's policy admitted.
    pub(crate) async fn join_swarm(&self, spec: &SwarmJoinSpec, _: Admitted) -> Result<()> {
        let action = format!("join the swarm at {}", spec.remote_addrs.join(", "));
        self.must_be_outside_a_swarm(&action).await?;
        self.explain(&DockerOp::SwarmJoin(spec));
        let body = spec.to_request();
        // The join token is a secret: a trace file is for sharing.
        let args = self.args(|| {
            json!({"RemoteAddrs": &body.remote_addrs, "ListenAddr": &body.listen_addr,
                   "AdvertiseAddr": &body.advertise_addr, "JoinToken": "(hidden)"})
        });
        self.api("POST /swarm/join", args, |d| d.join_swarm(body))
            .await
            .map_err(|e| self.swarm_err(&action, e))
    }

    /// Leaves the swarm; `force` lets a manager (even the last one) go.
    pub(crate) async fn leave_swarm(&self, force: bool) -> Result<()> {
        self.explain(&DockerOp::SwarmLeave { force });
        let args = self.args(|| json!({"force": force}));
        self.api("POST /swarm/leave", args, |d| {
            d.leave_swarm(Some(LeaveSwarmOptions { force }))
        })
        .await
        .map_err(|e| self.swarm_err("leave the swarm", e))
    }

    /// The join tokens (managers only).
    pub(crate) async fn join_tokens(&self) -> Result<JoinTokens> {
        let swarm = self
            .api("GET /swarm", self.args(|| json!({})), |d| d.inspect_swarm())
            .await
            .map_err(|e| self.swarm_err("read the swarm's join tokens", e))?;
        let tokens = swarm.join_tokens.unwrap_or_default();
        Ok(JoinTokens {
            worker: tokens.worker.unwrap_or_default(),
            manager: tokens.manager.unwrap_or_default(),
        })
    }

    /// The labels on the swarm itself (managers only).
    pub(crate) async fn swarm_labels(&self) -> Result<HashMap<String, String>> {
        let swarm = self
            .api("GET /swarm", self.args(|| json!({})), |d| d.inspect_swarm())
            .await
            .map_err(|e| self.swarm_err("inspect the swarm", e))?;
        Ok(swarm.spec.and_then(|s| s.labels).unwrap_or_default())
    }

    /// The swarm's nodes, like `docker node ls` (managers only).
    pub(crate) async fn list_nodes(&self) -> Result<Vec<NodeSummary>> {
        self.explain(&DockerOp::NodeLs);
        let nodes = self
            .api("GET /nodes", self.args(|| json!({})), |d| {
                d.list_nodes(None::<ListNodesOptions>)
            })
            .await
            .map_err(|e| self.swarm_err("list the swarm's nodes", e))?;
        let text = |s: Option<String>| s.unwrap_or_default();
        let mut rows: Vec<NodeSummary> = nodes
            .into_iter()
            .map(|n| {
                let spec = n.spec.unwrap_or_default();
                let status = n.status.unwrap_or_default();
                NodeSummary {
                    id: text(n.id),
                    hostname: text(n.description.and_then(|d| d.hostname)),
                    role: spec.role.map(|r| r.to_string()).unwrap_or_default(),
                    availability: spec.availability.map(|a| a.to_string()).unwrap_or_default(),
                    state: status.state.map(|s| s.to_string()).unwrap_or_default(),
                    addr: text(status.addr),
                    leader: n.manager_status.and_then(|m| m.leader).unwrap_or(false),
                }
            })
            .collect();
        rows.sort_by(|a, b| (&a.hostname, &a.id).cmp(&(&b.hostname, &b.id)));
        Ok(rows)
    }

    async fn must_be_outside_a_swarm(&self, action: &str) -> Result<()> {
        let state = self.swarm_state().await?;
        if state.state == "inactive" {
            return Ok(());
        }
        Err(DockerError::Conflict {
            action: action.to_string(),
            message: format!(
                "the daemon at {} is already in a swarm (state {}, node {}); leave it first with swarm::leave()",
                self.host(),
                state.state,
                state.node_id
            ),
        })
    }

    /// Swarm calls answer 503 when the daemon is in the wrong swarm state
    /// ("not a swarm manager", "not part of a swarm"): that is a conflict
    /// with the daemon's state, not a daemon failure.
    pub(crate) fn swarm_err(&self, action: &str, e: bollard::errors::Error) -> DockerError {
        match self.err(action, e) {
            DockerError::Daemon {
                action,
                status: 503,
                message,
            } => {
                let hint = if message.contains("not a swarm manager") {
                    "; in netrig: swarm::init(), or swarm::join(…) a manager"
                } else {
                    ""
                };
                DockerError::Conflict {
                    action,
                    message: format!("{message} (daemon at {}){hint}", self.host()),
                }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{PeerNode, SwarmInfo};

    #[test]
    fn init_body_listens_on_the_manager_port_and_labels_the_swarm() {
        let spec = SwarmInitSpec {
            advertise_addr: Some("198.18.0.1".into()),
            default_addr_pool: vec!["10.60.0.0/16".into()],
            subnet_size: Some(26),
            ..Default::default()
        };
        let body = serde_json::to_value(
            spec.to_request(HashMap::from([("netrig.run".into(), "abc".into())])),
        )
        .unwrap();
        assert_eq!(body["ListenAddr"], "0.0.0.0:2377");
        assert_eq!(body["AdvertiseAddr"], "198.18.0.1");
        assert_eq!(body["DefaultAddrPool"][0], "10.60.0.0/16");
        assert_eq!(body["SubnetSize"], 26);
        assert_eq!(body["Spec"]["Labels"]["netrig.run"], "abc");
        assert!(body.get("DataPathAddr").is_none());
    }

    #[test]
    fn join_body_adds_the_default_port() {
        let spec = SwarmJoinSpec {
            remote_addrs: vec![
                "198.18.0.1".into(),
                "10.1.1.1:4000".into(),
                "fd00::1".into(),
            ],
            token: "SWMTKN-1-x".into(),
            advertise_addr: Some("198.18.0.2".into()),
            ..Default::default()
        };
        let body = serde_json::to_value(spec.to_request()).unwrap();
        assert_eq!(body["RemoteAddrs"][0], "198.18.0.1:2377");
        assert_eq!(body["RemoteAddrs"][1], "10.1.1.1:4000");
        assert_eq!(body["RemoteAddrs"][2], "[fd00::1]:2377");
        assert_eq!(body["JoinToken"], "SWMTKN-1-x");
        assert_eq!(body["AdvertiseAddr"], "198.18.0.2");
    }

    #[test]
    fn a_manager_knows_its_join_address() {
        let info = SwarmInfo {
            node_id: Some("n1".into()),
            node_addr: Some("198.18.0.1".into()),
            local_node_state: Some(LocalNodeState::ACTIVE),
            control_available: Some(true),
            remote_managers: Some(vec![PeerNode {
                node_id: Some("n1".into()),
                addr: Some("198.18.0.1:2377".into()),
            }]),
            ..Default::default()
        };
        let state = SwarmState::from_info(Some(&info));
        assert!(state.is_active() && state.manager);
        assert_eq!(state.join_addr().as_deref(), Some("198.18.0.1:2377"));

        let worker = SwarmState::from_info(Some(&SwarmInfo {
            control_available: Some(false),
            ..info
        }));
        assert_eq!(worker.join_addr(), None);
        assert_eq!(SwarmState::from_info(None).state, "inactive");
    }
}
