//! The connection to one Docker daemon: address resolution, API version
//! negotiation and the error conversion every operation shares.

use std::time::Duration;

use bollard::Docker;

use super::error::{DockerError, Result};

/// How long one request may take before netrig gives up on the daemon.
pub const REQUEST_TIMEOUT_SECS: u64 = 120;

/// The request timeout in effect: `NETRIG_DOCKER_TIMEOUT` (seconds) when set,
/// so a slow remote daemon can have more and tests can have less.
pub fn request_timeout() -> Duration {
    std::env::var("NETRIG_DOCKER_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(REQUEST_TIMEOUT_SECS))
}
/// How long the first contact may take; a daemon that does not answer this
/// quickly is treated as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The daemon address when neither `--host` nor `DOCKER_HOST` names one.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// A connected, version-negotiated Docker client. Cheap to clone: bollard
/// shares one connection pool between clones.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) docker: Docker,
    host: String,
    /// For `ssh://`: the forward the client talks through, ended with the last clone.
    _tunnel: Option<std::sync::Arc<super::ssh::SshTunnel>>,
}

impl Client {
    /// Connects to `host` (or `DOCKER_HOST`, or the local socket) and
    /// negotiates the API version, so newer and older daemons both work.
    pub async fn connect(host: Option<&str>) -> Result<Client> {
        let host = resolve_host(host);
        let unreachable = |reason: String| DockerError::Unreachable {
            host: host.clone(),
            reason,
        };
        let tunnel = if host.starts_with("ssh://") {
            let t = super::ssh::SshTunnel::open(&host, CONNECT_TIMEOUT).await?;
            Some(std::sync::Arc::new(t))
        } else {
            None
        };
        let address = tunnel
            .as_ref()
            .map_or(host.as_str(), |t| t.local_url.as_str());
        let docker = Docker::connect_with_host(address)
            .map_err(|e| unreachable(e.to_string()))?
            .with_timeout(request_timeout());
        let docker = match tokio::time::timeout(
            CONNECT_TIMEOUT.min(request_timeout()),
            docker.negotiate_version(),
        )
        .await
        {
            Ok(Ok(docker)) => docker,
            Ok(Err(e)) => return Err(unreachable(root_cause(&e))),
            Err(_) => {
                return Err(unreachable(format!(
                    "no answer within {} s",
                    CONNECT_TIMEOUT.min(request_timeout()).as_secs_f64()
                )));
            }
        };
        Ok(Client {
            docker,
            host,
            _tunnel: tunnel,
        })
    }

    /// The daemon address this client talks to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The negotiated API version, e.g. `1.41`.
    pub fn api_version(&self) -> String {
        let v = self.docker.client_version();
        format!("{}.{}", v.major_version, v.minor_version)
    }

    /// The daemon's own version string, e.g. `20.10.24`.
    pub async fn server_version(&self) -> Result<String> {
        let v = self
            .docker
            .version()
            .await
            .map_err(|e| self.err("ask the daemon for its version", e))?;
        Ok(v.version.unwrap_or_default())
    }

    /// Turns a bollard error into a [`DockerError`] that names `action`.
    pub(crate) fn err(&self, action: impl Into<String>, e: bollard::errors::Error) -> DockerError {
        DockerError::from_bollard(action, &self.host, e)
    }
}

/// `--host` wins over `DOCKER_HOST`, which wins over the local socket; a
/// bare path means a unix socket.
pub fn resolve_host(host: Option<&str>) -> String {
    let chosen = host
        .map(str::to_string)
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| DEFAULT_HOST.to_string());
    if chosen.starts_with('/') {
        format!("unix://{chosen}")
    } else {
        chosen
    }
}

/// The innermost message of an error chain: "connection refused" says more
/// than "error trying to connect".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_paths_become_unix_urls() {
        assert_eq!(resolve_host(Some("/tmp/d.sock")), "unix:///tmp/d.sock");
        assert_eq!(
            resolve_host(Some("tcp://127.0.0.1:2375")),
            "tcp://127.0.0.1:2375"
        );
    }
}
