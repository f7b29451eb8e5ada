//! Running a command in a container (`docker exec`) and collecting its output.

use bollard::container::LogOutput;
use bollard::exec::StartExecResults;
use bollard::models::ExecConfig;
use futures_util::StreamExt;
use serde_json::json;

use super::client::Client;
use super::error::{DockerError, Result};
use super::explain::DockerOp;
use crate::trace::Category;

/// What a command run in a container produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ExecOutput {
    /// The command's exit code (126/127 when it could not be run).
    pub(crate) exit_code: i64,
    /// Everything written to stdout.
    pub(crate) stdout: String,
    /// Everything written to stderr.
    pub(crate) stderr: String,
}

impl Client {
    /// Runs `cmd` in `container` and waits for it to finish.
    pub(crate) async fn exec(&self, container: &str, cmd: &[String]) -> Result<ExecOutput> {
        self.explain(&DockerOp::Exec { container, cmd });
        let span = self.tracer().span(
            Category::Exec,
            "exec",
            || json!({"container": container, "cmd": cmd}),
        );
        let result = self.exec_steps(container, cmd).await;
        span.end(match &result {
            Ok(out) => json!({"exit_code": out.exit_code}),
            Err(e) => json!({"error": e.to_string()}),
        });
        result
    }

    /// Create, start and attach, inspect: the three requests of one exec.
    async fn exec_steps(&self, container: &str, cmd: &[String]) -> Result<ExecOutput> {
        let action = format!("exec {:?} in container {container:?}", cmd.join(" "));
        if cmd.is_empty() {
            return Err(DockerError::InvalidArgument {
                action,
                message: "the command is empty".into(),
            });
        }
        let config = ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(cmd.to_vec()),
            ..Default::default()
        };
        let args = self.args(|| json!({"container": container, "body": &config}));
        let created = self
            .api("POST /containers/{id}/exec", args, |d| {
                d.create_exec(container, config)
            })
            .await
            .map_err(|e| self.err(&action, e))?;
        let mut out = ExecOutput::default();
        let args = self.args(|| json!({"exec": &created.id}));
        match self
            .api("POST /exec/{id}/start", args, |d| {
                d.start_exec(&created.id, None)
            })
            .await
            .map_err(|e| self.err(&action, e))?
        {
            StartExecResults::Attached { mut output, .. } => {
                let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
                while let Some(chunk) = output.next().await {
                    match chunk.map_err(|e| self.err(&action, e))? {
                        LogOutput::StdOut { message } | LogOutput::Console { message } => {
                            stdout.extend_from_slice(&message);
                        }
                        LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                        LogOutput::StdIn { .. } => {}
                    }
                }
                out.stdout = String::from_utf8_lossy(&stdout).into_owned();
                out.stderr = String::from_utf8_lossy(&stderr).into_owned();
            }
            StartExecResults::Detached => {}
        }
        let args = self.args(|| json!({"exec": &created.id}));
        let inspect = self
            .api("GET /exec/{id}/json", args, |d| d.inspect_exec(&created.id))
            .await
            .map_err(|e| self.err(&action, e))?;
        out.exit_code = inspect.exit_code.unwrap_or(-1);
        Ok(out)
    }
}
