//! The Docker layer's error type: one meaning per variant, so callers (and
//! scripts, through `kind`) can tell a missing network from a name clash.

use std::time::Duration;

use super::liveness::NotRunning;

/// Everything that can go wrong when netrig asks the Docker daemon for
/// something. `action` says what was asked (`create network "my_net"`),
/// `message` what the daemon or the transport answered.
// Every variant's `action` and `message` mean the same, as said above.
#[allow(missing_docs)]
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DockerError {
    /// The named network, container or image does not exist.
    #[error("{action}: {message}")]
    NotFound { action: String, message: String },
    /// The name is already taken, or the resource is in a state that forbids the call.
    #[error("{action}: {message}")]
    Conflict { action: String, message: String },
    /// The request itself is malformed (bad subnet, bad port, bad name …).
    #[error("{action}: {message}")]
    InvalidArgument { action: String, message: String },
    /// No daemon answers at the configured address.
    #[error(
        "cannot reach the Docker daemon at {host}: {reason}. Is it running? Choose another one with --host or DOCKER_HOST"
    )]
    Unreachable { host: String, reason: String },
    /// The daemon did not answer in time.
    #[error("{action}: no answer from the Docker daemon within {} s; is it overloaded or stopped?", .after.as_secs_f64())]
    Timeout { action: String, after: Duration },
    /// The daemon answered with an error that fits none of the above.
    #[error("{action}: the daemon answered {status}: {message}")]
    Daemon {
        action: String,
        status: u16,
        message: String,
    },
    /// A command or stream failed in a way the daemon reported in-band
    /// (a pull or build step, an exec that could not start).
    #[error("{action}: {message}")]
    Failed { action: String, message: String },
    /// The run was interrupted (Ctrl-C, SIGTERM) while waiting for the daemon.
    #[error("{action}: interrupted")]
    Interrupted { action: String },
    /// The run's policy refuses what the request asks of the host
    /// (`reason` names the option); `--allow-host-access` allows it.
    #[error(
        "{reason}; scenarios may not reach the host unless you run them with --allow-host-access"
    )]
    Forbidden { reason: String },
    /// This machine lacks what the call needs: a kernel feature, a host tool
    /// or a privilege. `message` names it and says how to get it.
    #[error("{action}: {message}")]
    Unsupported { action: String, message: String },
    /// The container the call needs is not running: how it stopped and the
    /// end of its log.
    #[error("{0}")]
    NotRunning(Box<NotRunning>),
    /// netrig's subnet pool has no subnet for a network; `message` names the
    /// pool, who holds it and how to widen it.
    #[error("{action}: {message}")]
    PoolFull { action: String, message: String },
}

/// Shorthand for results of the Docker layer.
pub(crate) type Result<T, E = DockerError> = std::result::Result<T, E>;

impl DockerError {
    /// A short, stable name for the variant; scripts see it as `e.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            DockerError::NotFound { .. } => "not_found",
            DockerError::Conflict { .. } => "conflict",
            DockerError::InvalidArgument { .. } => "invalid_argument",
            DockerError::Unreachable { .. } => "unreachable",
            // A daemon that does not answer is, to a script, one it cannot reach.
            DockerError::Timeout { .. } => "unreachable",
            DockerError::Daemon { .. } => "daemon",
            DockerError::Failed { .. } => "failed",
            DockerError::Interrupted { .. } => "interrupted",
            DockerError::Unsupported { .. } => "unsupported",
            DockerError::PoolFull { .. } => "pool_full",
            DockerError::Forbidden { .. } => "forbidden",
            DockerError::NotRunning(_) => "not_running",
        }
    }

    /// Classifies a bollard error, naming what was asked; `timeout` is the
    /// request timeout the client had, for the message when it ran out.
    pub(crate) fn from_bollard(
        action: impl Into<String>,
        host: &str,
        timeout: Duration,
        err: bollard::errors::Error,
    ) -> Self {
        use bollard::errors::Error as B;
        let action = action.into();
        match err {
            B::DockerResponseServerError {
                status_code,
                message,
            } => {
                let message = message.trim().to_string();
                match status_code {
                    404 => DockerError::NotFound { action, message },
                    409 => DockerError::Conflict { action, message },
                    400 => DockerError::InvalidArgument { action, message },
                    // The daemon answers 500 for some plain conflicts and bad
                    // arguments; sort those by their well-known wording.
                    _ if is_conflict_text(&message) => DockerError::Conflict { action, message },
                    _ if is_invalid_text(&message) => {
                        DockerError::InvalidArgument { action, message }
                    }
                    _ if is_not_found_text(&message) => DockerError::NotFound { action, message },
                    status => DockerError::Daemon {
                        action,
                        status,
                        message,
                    },
                }
            }
            B::RequestTimeoutError => DockerError::Timeout {
                action,
                after: timeout,
            },
            B::DockerStreamError { error } => DockerError::Failed {
                action,
                message: error,
            },
            B::IOError { .. }
            | B::HyperResponseError { .. }
            | B::HyperLegacyError { .. }
            | B::SocketNotFoundError(_)
            | B::HttpClientError { .. } => DockerError::Unreachable {
                host: host.to_string(),
                reason: err.to_string(),
            },
            other => DockerError::Failed {
                action,
                message: other.to_string(),
            },
        }
    }
}

fn is_conflict_text(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("already exists")
        || m.contains("is already in use")
        || m.contains("has active endpoints")
}

fn is_invalid_text(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("invalid") || m.contains("not supported") || m.contains("overlaps")
}

fn is_not_found_text(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("not found") || m.contains("no such")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(status_code: u16, message: &str) -> bollard::errors::Error {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message: message.to_string(),
        }
    }

    #[test]
    fn status_codes_map_to_kinds() {
        let kind = |s, m| {
            DockerError::from_bollard("x", "unix:///s", Duration::from_secs(1), server(s, m)).kind()
        };
        assert_eq!(kind(404, "No such container: a"), "not_found");
        assert_eq!(
            kind(409, "Conflict. The container name is in use"),
            "conflict"
        );
        assert_eq!(kind(400, "bad"), "invalid_argument");
        assert_eq!(kind(500, "network with name n already exists"), "conflict");
        assert_eq!(kind(500, "invalid subnet 10.0.0.0/99"), "invalid_argument");
        assert_eq!(kind(500, "something broke"), "daemon");
    }

    #[test]
    fn message_names_the_action_and_the_answer() {
        let e = DockerError::from_bollard(
            "inspect network \"nope\"",
            "unix:///s",
            Duration::from_secs(1),
            server(404, "network nope not found"),
        );
        assert_eq!(
            e.to_string(),
            "inspect network \"nope\": network nope not found"
        );
    }
}
