//! What a capture opens: the container's network namespace (through its
//! main process) and which of its interfaces, read from the daemon's
//! inspect answer.

use std::net::IpAddr;

use bollard::models::ContainerInspectResponse;

use crate::docker::{Client, DockerError};

/// The interfaces a capture listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Interfaces {
    /// Every interface in the namespace, loopback included (libpcap's `any`).
    All,
    /// The one interface joined to `network`, found inside the namespace by
    /// the address Docker gave the container there.
    Network {
        /// The network's name, for messages.
        network: String,
        /// The container's addresses on it (IPv4, and IPv6 when enabled).
        addresses: Vec<IpAddr>,
    },
}

/// A running container's network namespace and the interfaces to capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureTarget {
    /// The container's name, for messages and file names.
    pub container: String,
    /// Its full id (the namespace check compares it with the pid's cgroup).
    pub id: String,
    /// Its main process on the daemon's machine.
    pub pid: u32,
    /// Which interfaces.
    pub(crate) interfaces: Interfaces,
}

impl CaptureTarget {
    /// Reads the target out of an inspect answer: the container must be
    /// running, have a network of its own, and be on `network` when one is named.
    pub(crate) fn from_inspect(
        inspect: &ContainerInspectResponse,
        network: Option<&str>,
    ) -> Result<CaptureTarget, DockerError> {
        let container = inspect
            .name
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string();
        let action = format!("capture packets on container {container:?}");
        let state = inspect.state.as_ref();
        let running = state.and_then(|s| s.running).unwrap_or(false);
        let pid = state.and_then(|s| s.pid).unwrap_or(0);
        if !running || pid <= 0 {
            let status = state
                .and_then(|s| s.status)
                .map(|s| s.to_string())
                .unwrap_or_else(|| "unknown".into());
            return Err(DockerError::Conflict {
                action,
                message: format!(
                    "it is not running (state {status}); a stopped container has no network \
                     to listen on, so start it first"
                ),
            });
        }
        let mode = inspect
            .host_config
            .as_ref()
            .and_then(|h| h.network_mode.as_deref())
            .unwrap_or_default();
        if mode == "host" {
            return Err(DockerError::InvalidArgument {
                action,
                message: "it shares the host's network (network mode \"host\"); netrig only \
                          captures container networks"
                    .into(),
            });
        }
        let interfaces = match network {
            None => Interfaces::All,
            Some(wanted) => {
                let joined = inspect
                    .network_settings
                    .as_ref()
                    .and_then(|s| s.networks.as_ref());
                let endpoint = joined.and_then(|nets| {
                    nets.iter().find(|(name, ep)| {
                        name.as_str() == wanted
                            || ep
                                .network_id
                                .as_deref()
                                .is_some_and(|id| wanted.len() >= 12 && id.starts_with(wanted))
                    })
                });
                let Some((name, ep)) = endpoint else {
                    let mut names: Vec<&str> = joined
                        .map(|n| n.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    names.sort();
                    return Err(DockerError::InvalidArgument {
                        action,
                        message: format!(
                            "option \"network\": the container is not on network {wanted:?}; \
                             it is on {}",
                            if names.is_empty() {
                                "none".to_string()
                            } else {
                                names.join(", ")
                            }
                        ),
                    });
                };
                let addresses: Vec<IpAddr> = [&ep.ip_address, &ep.global_ipv6_address]
                    .into_iter()
                    .filter_map(|a| a.as_deref()?.parse().ok())
                    .collect();
                if addresses.is_empty() {
                    return Err(DockerError::InvalidArgument {
                        action,
                        message: format!(
                            "option \"network\": the container has no address on {name:?} \
                             (network driver \"null\"?), so netrig cannot tell its interface"
                        ),
                    });
                }
                Interfaces::Network {
                    network: name.clone(),
                    addresses,
                }
            }
        };
        Ok(CaptureTarget {
            container,
            id: inspect.id.clone().unwrap_or_default(),
            pid: pid as u32,
            interfaces,
        })
    }

    /// Asks the daemon about `container` and reads the target from its answer.
    pub async fn resolve(
        client: &Client,
        container: &str,
        network: Option<&str>,
    ) -> Result<CaptureTarget, DockerError> {
        // netrig's own lookup: no docker command to explain.
        let inspect = client.quiet().inspect_container(container).await?;
        CaptureTarget::from_inspect(&inspect, network)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspect(json: serde_json::Value) -> ContainerInspectResponse {
        serde_json::from_value(json).unwrap()
    }

    fn running_on_two_networks() -> ContainerInspectResponse {
        inspect(serde_json::json!({
            "Id": "0d33040f5c10f8f626ad16b77894100b2fc48f76051001e60422af95f04bd1a9",
            "Name": "/web",
            "State": {"Status": "running", "Running": true, "Pid": 4242},
            "HostConfig": {"NetworkMode": "front"},
            "NetworkSettings": {"Networks": {
                "front": {"NetworkID": "aaaabbbbccccdddd", "IPAddress": "172.30.0.2"},
                "back": {"NetworkID": "eeeeffff00001111", "IPAddress": "172.31.0.5",
                         "GlobalIPv6Address": "fd00::5"}
            }}
        }))
    }

    #[test]
    fn all_interfaces_without_a_network() {
        let t = CaptureTarget::from_inspect(&running_on_two_networks(), None).unwrap();
        assert_eq!(t.container, "web");
        assert_eq!(t.pid, 4242);
        assert_eq!(t.interfaces, Interfaces::All);
    }

    #[test]
    fn a_network_is_found_by_name_or_id_with_its_addresses() {
        let t = CaptureTarget::from_inspect(&running_on_two_networks(), Some("back")).unwrap();
        assert_eq!(
            t.interfaces,
            Interfaces::Network {
                network: "back".into(),
                addresses: vec!["172.31.0.5".parse().unwrap(), "fd00::5".parse().unwrap()],
            }
        );
        let t =
            CaptureTarget::from_inspect(&running_on_two_networks(), Some("aaaabbbbcccc")).unwrap();
        assert!(matches!(t.interfaces, Interfaces::Network { network, .. } if network == "front"));
    }

    #[test]
    fn a_network_the_container_is_not_on_lists_the_ones_it_is_on() {
        let err = CaptureTarget::from_inspect(&running_on_two_networks(), Some("side"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("option \"network\""), "{err}");
        assert!(
            err.contains("\"side\"") && err.contains("back, front"),
            "{err}"
        );
    }

    #[test]
    fn a_stopped_container_is_a_conflict() {
        let stopped = inspect(serde_json::json!({
            "Id": "x", "Name": "/db",
            "State": {"Status": "exited", "Running": false, "Pid": 0}
        }));
        let err = CaptureTarget::from_inspect(&stopped, None).unwrap_err();
        assert_eq!(err.kind(), "conflict");
        assert!(
            err.to_string().contains("not running (state exited)"),
            "{err}"
        );
    }

    #[test]
    fn the_host_network_is_refused() {
        let host = inspect(serde_json::json!({
            "Id": "x", "Name": "/h",
            "State": {"Status": "running", "Running": true, "Pid": 7},
            "HostConfig": {"NetworkMode": "host"}
        }));
        let err = CaptureTarget::from_inspect(&host, None).unwrap_err();
        assert_eq!(err.kind(), "invalid_argument");
    }
}
