//! The reaper: a small companion process that removes what a netrig process
//! made if that process dies without cleaning up (SIGKILL, a crash, the
//! machine's OOM killer) — the job Testcontainers gives Ryuk.
//!
//! netrig starts it with a pipe on its stdin and its own process group (so
//! the terminal's Ctrl-C does not reach it). When netrig ends normally it
//! writes `done` first and the reaper leaves quietly, whatever `--keep`
//! kept. If the pipe closes without `done`, netrig died: the reaper removes
//! every service, container and network labelled with netrig's pid on this
//! host, and leaves a swarm that process started on the daemon.
//! `NETRIG_REAPER=off` turns it off (to leave a killed run for `netrig clean`).

use std::io::{BufRead, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;

use crate::daemon_args::DaemonArgs;
use crate::docker::run::labels;
use crate::docker::run::teardown::remove_matching;
use crate::docker::{Client, ClientOptions};

/// What the parent writes when it ends on purpose.
const DONE: &str = "done";

/// The parent's end of the reaper: dropping it without [`Reaper::release`]
/// (a panic, an early exit) lets the reaper clean up.
pub(crate) struct Reaper {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Reaper {
    /// Starts a reaper for this process, reaching the daemon as `docker`
    /// says; `None` when turned off or when it cannot start (netrig then
    /// works as before, with `netrig clean` as the fallback).
    pub(crate) fn spawn(docker: &ClientOptions) -> Option<Reaper> {
        if matches!(
            std::env::var("NETRIG_REAPER").as_deref(),
            Ok("off" | "0" | "false")
        ) {
            return None;
        }
        let exe = std::env::current_exe().ok()?;
        let mut cmd = Command::new(exe);
        cmd.args(DaemonArgs::to_args(docker));
        use std::os::unix::process::CommandExt;
        let mut child = cmd
            .args(["reap", "--pid", &std::process::id().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok()?;
        let stdin = child.stdin.take();
        Some(Reaper { child, stdin })
    }

    /// Tells the reaper this process ended on purpose, and lets it go.
    pub(crate) fn release(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "{DONE}");
        }
        // The reaper exits on its own; do not wait for it.
        let _ = self.child.try_wait();
    }
}

/// This process's reaper, once started.
static REAPER: Mutex<Option<Reaper>> = Mutex::new(None);

/// Starts this process's reaper (see [`Reaper::spawn`]).
pub(crate) fn start(docker: &ClientOptions) {
    let reaper = Reaper::spawn(docker);
    *REAPER.lock().unwrap_or_else(|e| e.into_inner()) = reaper;
}

/// Tells this process's reaper that everything ends on purpose: call it
/// before leaving normally, including through `std::process::exit`.
pub(crate) fn release() {
    if let Some(r) = REAPER.lock().unwrap_or_else(|e| e.into_inner()).take() {
        r.release();
    }
}

/// In the reaper (`netrig reap`): waits until the parent's pipe closes;
/// true when the parent said it ended on purpose (nothing to reap).
pub(crate) fn parent_ended_on_purpose() -> bool {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map(|_| line.trim() == DONE)
        .unwrap_or(false)
}

/// Removes what netrig process `pid` made on this host's daemon: every
/// service, container and network labelled with its pid, and a swarm it
/// started there (other daemons it used are left to `netrig clean
/// --host`). False when something stayed.
pub(crate) async fn reap(client: &Client, pid: u32) -> bool {
    let filters = [
        format!("{}={pid}", labels::PID),
        format!("{}={}", labels::HOST, labels::this_host()),
    ];
    let report = remove_matching(client, &filters).await;
    let left = crate::docker::swarm::hosts::leave_swarm_made_by(client, pid).await;
    report.is_clean() && left.is_ok()
}
