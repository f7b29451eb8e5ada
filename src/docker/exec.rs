//! Running a command in a container (`docker exec`) and collecting its
//! output; stopping it when the caller gives up.
//!
//! Docker has no call that ends an exec: a `docker exec` whose client goes
//! away leaves its process running in the container (moby#9098). So every
//! exec carries a marker in its environment (`NETRIG_EXEC_ID`), which its
//! children inherit; when the future running it is dropped before the
//! command ends (Ctrl-C, a timeout), a task finds the processes with that
//! marker and signals them — through a second exec in the container, or,
//! for an image without a shell on a daemon of this machine, from the host.
//! [`Client::stops_settled`] waits for those tasks.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::StartExecResults;
use bollard::models::ExecConfig;
use futures_util::StreamExt;
use serde_json::json;
use tokio::task::JoinHandle;

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

/// The environment variable that marks an exec's processes.
pub(crate) const MARKER_VAR: &str = "NETRIG_EXEC_ID";

/// How long a stop may take: SIGTERM, a moment to exit, then SIGKILL.
const STOP_WITHIN: Duration = Duration::from_secs(8);

/// Finds the marked processes from inside the container: SIGTERM, up to two
/// seconds to exit, then SIGKILL. `$1` is the marker, `NAME=value`: one
/// line of `environ` once its NULs are newlines (grep stops at a NUL).
const STOP_SCRIPT: &str = r#"m="$1"
mine() { for d in /proc/[0-9]*; do tr '\0' '\n' < "$d/environ" 2>/dev/null | grep -qxF "$m" && echo "${d#/proc/}"; done; }
p=$(mine); [ -z "$p" ] && exit 0
kill -TERM $p 2>/dev/null
i=0; while [ $i -lt 20 ]; do p=$(mine); [ -z "$p" ] && exit 0; sleep 0.1; i=$((i+1)); done
kill -KILL $p 2>/dev/null; exit 0"#;

/// The stops still under way, shared by a client's clones.
#[derive(Debug, Default)]
pub(crate) struct Stops {
    pending: Mutex<Vec<JoinHandle<Option<String>>>>,
}

/// A started exec whose processes are stopped if it is dropped unfinished.
struct Running {
    client: Client,
    container: String,
    exec_id: String,
    marker: String,
    command: String,
    finished: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // Dropped inside the runtime (a select or timeout gave up on it).
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let client = self.client.clone();
        let (container, exec_id, marker, command) = (
            self.container.clone(),
            self.exec_id.clone(),
            self.marker.clone(),
            self.command.clone(),
        );
        let task = runtime.spawn(async move {
            let stopped = tokio::time::timeout(
                STOP_WITHIN,
                client.stop_exec(&container, &exec_id, &marker),
            )
            .await;
            match stopped {
                Ok(Ok(())) => None,
                Ok(Err(why)) => Some(format!(
                    "could not stop `{command}` in container {container:?}: {why}; it may still be running there"
                )),
                Err(_) => Some(format!(
                    "`{command}` in container {container:?} did not stop within {} s; it may still be running there",
                    STOP_WITHIN.as_secs()
                )),
            }
        });
        self.client
            .stops
            .pending
            .lock()
            .expect("stops poisoned")
            .push(task);
    }
}

/// A marker value no other exec of this process shares, of fixed length.
fn new_marker() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:08x}{:08x}", std::process::id(), n & 0xffff_ffff)
}

impl Client {
    /// Runs `cmd` in `container` and waits for it to finish. Dropping the
    /// future before then stops the command's processes in the container.
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
        let marker = new_marker();
        let config = ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(cmd.to_vec()),
            env: Some(vec![format!("{MARKER_VAR}={marker}")]),
            ..Default::default()
        };
        let args = self.args(|| json!({"container": container, "body": &config}));
        let created = self
            .api("POST /containers/{id}/exec", args, |d| {
                d.create_exec(container, config)
            })
            .await
            .map_err(|e| self.err(&action, e))?;
        let mut running = Running {
            client: self.clone(),
            container: container.to_string(),
            exec_id: created.id.clone(),
            marker,
            command: cmd.join(" "),
            finished: false,
        };
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
        // The output ended: the command has ended (or closed its output and
        // goes on; then it is stopped like an abandoned one).
        let args = self.args(|| json!({"exec": &created.id}));
        let mut inspect = self
            .api("GET /exec/{id}/json", args, |d| d.inspect_exec(&created.id))
            .await
            .map_err(|e| self.err(&action, e))?;
        // The daemon may learn of the exit a moment after the output ends.
        for _ in 0..10 {
            if inspect.running != Some(true) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            inspect = self
                .api("GET /exec/{id}/json", None, |d| d.inspect_exec(&created.id))
                .await
                .map_err(|e| self.err(&action, e))?;
        }
        running.finished = inspect.running != Some(true);
        out.exit_code = inspect.exit_code.unwrap_or(-1);
        Ok(out)
    }

    /// Waits for the stops of abandoned execs to finish, at most `within`.
    /// Returns what could not be stopped, for the person to hear about.
    pub(crate) async fn stops_settled(&self, within: Duration) -> Vec<String> {
        let pending: Vec<JoinHandle<Option<String>>> =
            std::mem::take(&mut *self.stops.pending.lock().expect("stops poisoned"));
        if pending.is_empty() {
            return Vec::new();
        }
        let all = futures_util::future::join_all(pending);
        match tokio::time::timeout(within, all).await {
            Ok(results) => results
                .into_iter()
                .filter_map(|r| r.ok().flatten())
                .collect(),
            Err(_) => vec!["commands interrupted in containers are still being stopped".into()],
        }
    }

    /// Stops the processes of exec `exec_id` (marked `marker`) in `container`.
    async fn stop_exec(&self, container: &str, exec_id: &str, marker: &str) -> Result<(), String> {
        let inspect = self
            .api("GET /exec/{id}/json", None, |d| d.inspect_exec(exec_id))
            .await
            .map_err(|e| e.to_string())?;
        if inspect.running != Some(true) {
            return Ok(());
        }
        let needle = format!("{MARKER_VAR}={marker}");
        let script = [STOP_SCRIPT, "netrig-stop", &needle].map(String::from);
        let inside = self
            .run_stop_script(
                container,
                &["sh", "-c", script[0].as_str(), &script[1], &script[2]],
            )
            .await;
        match inside {
            Ok(0) => Ok(()),
            other => {
                // No shell (or no grep) in the image: a daemon on this
                // machine runs its containers' processes here too.
                let pid = inspect.pid.unwrap_or(0);
                if self.host().starts_with("unix://") && pid > 0 && stop_local(&needle).await {
                    return Ok(());
                }
                Err(match other {
                    Ok(code) => {
                        format!("the image has no shell to stop it with (exit code {code})")
                    }
                    Err(e) => e,
                })
            }
        }
    }

    /// Runs the stop script (an exec without a marker) and returns its exit code.
    async fn run_stop_script(&self, container: &str, cmd: &[&str]) -> Result<i64, String> {
        let config = ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        };
        let created = self
            .api("POST /containers/{id}/exec", None, |d| {
                d.create_exec(container, config)
            })
            .await
            .map_err(|e| e.to_string())?;
        if let StartExecResults::Attached { mut output, .. } = self
            .api("POST /exec/{id}/start", None, |d| {
                d.start_exec(&created.id, None)
            })
            .await
            .map_err(|e| e.to_string())?
        {
            while output.next().await.is_some() {}
        }
        let inspect = self
            .api("GET /exec/{id}/json", None, |d| d.inspect_exec(&created.id))
            .await
            .map_err(|e| e.to_string())?;
        Ok(inspect.exit_code.unwrap_or(-1))
    }
}

/// Signals the processes of this machine whose environment holds `needle`
/// (`NETRIG_EXEC_ID=…`): SIGTERM, then SIGKILL for those still there.
/// True when some were found and none is left.
async fn stop_local(needle: &str) -> bool {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let marked = || -> Vec<i32> {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == needle.as_bytes()))
            })
            .collect()
    };
    let found = marked();
    if found.is_empty() {
        return false;
    }
    for pid in &found {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGTERM);
    }
    for _ in 0..20 {
        if marked().is_empty() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for pid in marked() {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    marked().is_empty()
}
