//! The connection to one Docker daemon: address resolution, API version
//! negotiation and the error conversion every operation shares.

use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;

use super::error::{DockerError, Result};
use super::image::PullPolicy;

/// How long one request may take before netrig gives up on the daemon,
/// unless told otherwise ([`ClientOptions::timeout`]).
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the first contact may take; a daemon that does not answer this
/// quickly is treated as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The daemon address when none is named.
pub(crate) const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// How netrig talks to a daemon. The command line builds it (`--host`,
/// `--pull`, `--docker-timeout` and their environment variables) and every
/// client of the process is made from it: the default daemon's, the
/// reaper's, and those a script adds with `docker::connect`.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The daemon address (`unix:///path`, `tcp://host:port`,
    /// `ssh://user@host`, or a bare socket path); `None`: the local socket.
    pub(crate) host: Option<String>,
    /// How long one request may take.
    pub(crate) timeout: Duration,
    /// Whether a missing image may be pulled.
    pub(crate) pull: PullPolicy,
    /// Where the Docker layer's warnings go.
    pub(crate) notes: Notes,
}

impl Default for ClientOptions {
    /// The local socket, 120 s per request, pulls allowed, warnings dropped.
    fn default() -> Self {
        ClientOptions {
            host: None,
            timeout: REQUEST_TIMEOUT,
            pull: PullPolicy::default(),
            notes: Notes::ignored(),
        }
    }
}

impl ClientOptions {
    /// The same options for another daemon.
    pub(crate) fn for_host(&self, host: &str) -> ClientOptions {
        ClientOptions {
            host: Some(host.to_string()),
            ..self.clone()
        }
    }
}

/// Where the Docker layer's warnings go. It prints nothing itself: whoever
/// builds the client decides how (and whether) a warning is shown.
#[derive(Clone)]
pub(crate) struct Notes(Option<Arc<Show>>);

/// What shows a warning.
type Show = dyn Fn(&str) + Send + Sync;

impl Notes {
    /// Warnings go to `show`.
    pub(crate) fn new(show: impl Fn(&str) + Send + Sync + 'static) -> Notes {
        Notes(Some(Arc::new(show)))
    }

    /// Warnings are dropped (tests, the benchmark).
    pub(crate) fn ignored() -> Notes {
        Notes(None)
    }

    /// Hands a warning to whoever shows them.
    pub(crate) fn warn(&self, text: &str) {
        if let Some(show) = &self.0 {
            show(text);
        }
    }
}

impl std::fmt::Debug for Notes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Notes(shown)"
        } else {
            "Notes(ignored)"
        })
    }
}

/// A connected, version-negotiated Docker client. Cheap to clone: bollard
/// shares one connection pool between clones.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) docker: Docker,
    host: String,
    options: ClientOptions,
    /// For `ssh://`: the forward the client talks through, ended with the last clone.
    _tunnel: Option<Arc<super::ssh::SshTunnel>>,
}

impl Client {
    /// Connects to `options.host` (or the local socket) and negotiates the
    /// API version, so newer and older daemons both work.
    pub async fn connect(options: &ClientOptions) -> Result<Client> {
        let host = resolve_host(options.host.as_deref());
        let first_contact = CONNECT_TIMEOUT.min(options.timeout);
        let unreachable = |reason: String| DockerError::Unreachable {
            host: host.clone(),
            reason,
        };
        let tunnel = if host.starts_with("ssh://") {
            let t = super::ssh::SshTunnel::open(&host, CONNECT_TIMEOUT).await?;
            Some(Arc::new(t))
        } else {
            None
        };
        let address = tunnel
            .as_ref()
            .map_or(host.as_str(), |t| t.local_url.as_str());
        let docker = Docker::connect_with_host(address)
            .map_err(|e| unreachable(e.to_string()))?
            .with_timeout(options.timeout);
        let docker = match tokio::time::timeout(first_contact, docker.negotiate_version()).await {
            Ok(Ok(docker)) => docker,
            Ok(Err(e)) => return Err(unreachable(root_cause(&e))),
            Err(_) => {
                return Err(unreachable(format!(
                    "no answer within {} s",
                    first_contact.as_secs_f64()
                )));
            }
        };
        Ok(Client {
            docker,
            host,
            options: options.clone(),
            _tunnel: tunnel,
        })
    }

    /// A client that contacts no daemon: for building the script engine
    /// only to list its functions (`netrig defs`), where no call is made.
    /// Any call it did make would go to the local socket.
    pub fn detached(options: &ClientOptions) -> Result<Client> {
        let docker =
            Docker::connect_with_host(DEFAULT_HOST).map_err(|e| DockerError::Unreachable {
                host: DEFAULT_HOST.into(),
                reason: e.to_string(),
            })?;
        Ok(Client {
            docker,
            host: DEFAULT_HOST.into(),
            options: options.clone(),
            _tunnel: None,
        })
    }

    /// The daemon address this client talks to.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// The options it was made with (for a client of another daemon, made alike).
    pub(crate) fn options(&self) -> &ClientOptions {
        &self.options
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
        DockerError::from_bollard(action, &self.host, self.options.timeout, e)
    }
}

/// The address to dial for `host`: the local socket when none (or an empty
/// one) is given; a bare path means a unix socket.
pub(crate) fn resolve_host(host: Option<&str>) -> String {
    let chosen = host
        .filter(|h| !h.is_empty())
        .unwrap_or(DEFAULT_HOST)
        .to_string();
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
        assert_eq!(resolve_host(None), DEFAULT_HOST);
        assert_eq!(resolve_host(Some("")), DEFAULT_HOST);
    }
}
