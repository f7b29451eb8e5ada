//! A container's main process as the daemon reports it: what the probe
//! layer needs to enter the container's network namespace.

use super::client::Client;
use super::error::{DockerError, Result};

/// A container's identity and main process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerProcess {
    /// Full id.
    pub(crate) id: String,
    /// Name, without Docker's leading `/`.
    pub(crate) name: String,
    /// The main process on the daemon's machine.
    pub(crate) pid: u32,
}

impl Client {
    /// The running container `container`'s main process; a container that
    /// is not running is an error saying so (with its exit code), since
    /// there is no namespace to check from.
    pub(crate) async fn process(&self, container: &str) -> Result<ContainerProcess> {
        let inspect = self.inspect_container(container).await?;
        let state = inspect.state.unwrap_or_default();
        let name = inspect
            .name
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string();
        let pid = state.pid.unwrap_or(0);
        if state.running != Some(true) || pid <= 0 {
            let status = state
                .status
                .map_or("stopped".to_string(), |s| s.to_string());
            let code = state
                .exit_code
                .map(|c| format!(", exit code {c}"))
                .unwrap_or_default();
            return Err(DockerError::Conflict {
                action: format!("check from container {name:?}"),
                message: format!("the container is not running ({status}{code}); start it first"),
            });
        }
        Ok(ContainerProcess {
            id: inspect.id.unwrap_or_default(),
            name,
            pid: u32::try_from(pid).unwrap_or(0),
        })
    }
}
