//! Node failures: pause (freeze every process, the network stack still
//! answers), unpause, kill with a signal, restart.

use bollard::query_parameters::{KillContainerOptions, RestartContainerOptions};

use serde_json::json;

use crate::docker::client::Client;
use crate::docker::error::Result;
use crate::docker::explain::DockerOp;

impl Client {
    /// Freezes every process of a container (`docker pause`).
    pub(crate) async fn pause_container(&self, container: &str) -> Result<()> {
        self.explain(&DockerOp::Pause(container));
        let args = self.args(|| json!({"container": container}));
        self.api("POST /containers/{id}/pause", args, |d| {
            d.pause_container(container)
        })
        .await
        .map_err(|e| self.err(format!("pause container {container:?}"), e))
    }

    /// Thaws a paused container (`docker unpause`).
    pub(crate) async fn unpause_container(&self, container: &str) -> Result<()> {
        self.explain(&DockerOp::Unpause(container));
        let args = self.args(|| json!({"container": container}));
        self.api("POST /containers/{id}/unpause", args, |d| {
            d.unpause_container(container)
        })
        .await
        .map_err(|e| self.err(format!("unpause container {container:?}"), e))
    }

    /// Sends `signal` (`SIGKILL`, `TERM`, `9`, …) to a container's main
    /// process (`docker kill --signal`).
    pub(crate) async fn kill_container(&self, container: &str, signal: &str) -> Result<()> {
        self.explain(&DockerOp::Kill { container, signal });
        let args = self.args(|| json!({"container": container, "signal": signal}));
        self.api("POST /containers/{id}/kill", args, |d| {
            d.kill_container(
                container,
                Some(KillContainerOptions {
                    signal: signal.to_string(),
                }),
            )
        })
        .await
        .map_err(|e| self.err(format!("kill container {container:?} with {signal}"), e))
    }

    /// Stops a container (SIGKILL after `timeout_secs`, Docker's default 10)
    /// and starts it again (`docker restart`).
    pub(crate) async fn restart_container(
        &self,
        container: &str,
        timeout_secs: Option<i32>,
    ) -> Result<()> {
        self.explain(&DockerOp::Restart {
            container,
            timeout_secs,
        });
        let args = self.args(|| json!({"container": container, "t": timeout_secs}));
        self.api("POST /containers/{id}/restart", args, |d| {
            d.restart_container(
                container,
                Some(RestartContainerOptions {
                    signal: None,
                    t: timeout_secs,
                }),
            )
        })
        .await
        .map_err(|e| self.err(format!("restart container {container:?}"), e))?;
        self.started(container).await;
        Ok(())
    }
}

/// Checks a signal the way `docker kill --signal` spells them: a name with or
/// without `SIG` (`KILL`, `SIGUSR1`, `RTMIN+3`) or a number 1–64.
pub(crate) fn check_signal(signal: &str) -> std::result::Result<String, String> {
    let s = signal.trim();
    if let Ok(n) = s.parse::<i64>() {
        return if (1..=64).contains(&n) {
            Ok(n.to_string())
        } else {
            Err(format!("signal numbers go from 1 to 64, got {n}"))
        };
    }
    let upper = s.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-');
    if ok {
        Ok(format!("SIG{name}"))
    } else {
        Err(format!(
            "the signal must be a name like \"SIGKILL\" or \"TERM\", or a number, got {signal:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_spelt_like_docker_kill() {
        assert_eq!(check_signal("KILL"), Ok("SIGKILL".into()));
        assert_eq!(check_signal("sigusr1"), Ok("SIGUSR1".into()));
        assert_eq!(check_signal("9"), Ok("9".into()));
        assert_eq!(check_signal("RTMIN+3"), Ok("SIGRTMIN+3".into()));
        assert!(check_signal("0").is_err());
        assert!(check_signal("").is_err());
        assert!(check_signal("kill -9").unwrap_err().contains("\"SIGKILL\""));
    }
}
