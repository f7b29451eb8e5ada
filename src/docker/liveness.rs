//! Whether a container can be used. A call that needs a running container
//! (an exec, a check from or to it, its address, a connect) asks first, and
//! one that is not running is reported with its exit code and the last
//! lines of its log — not as an empty address, a lost ping or Docker's bare
//! "container 3f2a… is not running".

use std::collections::HashMap;
use std::fmt;

use bollard::models::{ContainerInspectResponse, ContainerStateStatusEnum};

use super::batch::{BatchError, ItemError, PARALLELISM, in_order};
use super::client::Client;
use super::error::{DockerError, Result};

/// How many of a stopped container's last log lines an error shows.
pub(crate) const LOG_TAIL_LINES: usize = 10;

/// A container that is not running, with what a person needs to see why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRunning {
    /// Its name, as the call named it.
    pub(crate) container: String,
    /// Docker's state word: `exited`, `created`, `dead`, `restarting`, `removing`.
    pub(crate) state: String,
    /// The main process's exit code, once it has exited.
    pub(crate) exit_code: Option<i64>,
    /// The kernel killed it for using too much memory.
    pub(crate) oom_killed: bool,
    /// What Docker says went wrong starting it, if anything.
    pub(crate) error: Option<String>,
    /// The last lines of its log, oldest first.
    pub(crate) log_tail: Vec<String>,
}

impl NotRunning {
    /// Why `inspect` is not a usable container, or `None` when it runs (a
    /// paused container counts as running: its network still answers).
    pub(crate) fn from_inspect(
        container: &str,
        inspect: &ContainerInspectResponse,
    ) -> Option<Self> {
        let state = inspect.state.as_ref();
        let status = state.and_then(|s| s.status);
        let running = state.is_some_and(|s| s.running == Some(true))
            && !matches!(
                status,
                Some(ContainerStateStatusEnum::RESTARTING | ContainerStateStatusEnum::REMOVING)
            );
        if running {
            return None;
        }
        let status = status
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "stopped".to_string());
        let exit_code = state
            .and_then(|s| s.exit_code)
            .filter(|_| status != "created");
        Some(NotRunning {
            container: container.to_string(),
            state: status,
            exit_code,
            oom_killed: state.and_then(|s| s.oom_killed) == Some(true),
            error: state
                .and_then(|s| s.error.clone())
                .filter(|e| !e.trim().is_empty()),
            log_tail: Vec::new(),
        })
    }

    /// How it came to stop, for the parenthesis after "is not running".
    fn how(&self) -> String {
        let code = self.exit_code.map(|c| format!("code {c}"));
        let mut how = match (self.state.as_str(), code) {
            ("created", _) => "created but never started".to_string(),
            ("restarting", Some(code)) => format!("restarting after it exited with {code}"),
            ("removing", _) => "being removed".to_string(),
            (_, Some(code)) => format!("exited with {code}"),
            (state, None) => state.to_string(),
        };
        if self.oom_killed {
            how.push_str(", killed for using too much memory");
        }
        how
    }
}

impl fmt::Display for NotRunning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "container {} is not running ({})",
            self.container,
            self.how()
        )?;
        if let Some(error) = &self.error {
            write!(f, ": {error}")?;
        }
        if self.log_tail.is_empty() {
            return write!(f, "; its log is empty");
        }
        write!(f, "; the last lines of its log:")?;
        for line in &self.log_tail {
            write!(f, "\n    {line}")?;
        }
        Ok(())
    }
}

/// The last `n` non-empty-at-the-end lines of `text`.
pub(crate) fn last_lines(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.trim_end().to_string())
        .collect()
}

impl Client {
    /// Fails when `container` is known not to run, saying how it stopped
    /// and showing the end of its log. Anything else (no such container, a
    /// daemon that does not answer) is left to the call itself to report
    /// in its own words.
    pub(crate) async fn ensure_running(&self, container: &str) -> Result<()> {
        match self.stopped(container).await {
            None => Ok(()),
            Some(why) => Err(DockerError::NotRunning(Box::new(why))),
        }
    }

    /// The batch form of [`Client::ensure_running`]: checks every container
    /// the items name (each item its list) at once, and fails listing each
    /// item whose container is not running.
    pub(crate) async fn ensure_items_running(
        &self,
        items: &[Vec<String>],
    ) -> std::result::Result<(), BatchError> {
        let mut unique: Vec<&str> = Vec::new();
        for name in items.iter().flatten() {
            if !unique.contains(&name.as_str()) {
                unique.push(name);
            }
        }
        let answers = in_order(unique.iter().map(|n| self.stopped(n)), PARALLELISM).await;
        let stopped: HashMap<&str, NotRunning> = unique
            .into_iter()
            .zip(answers)
            .filter_map(|(name, why)| Some((name, why?)))
            .collect();
        let failures: Vec<ItemError> = items
            .iter()
            .enumerate()
            .filter_map(|(i, names)| {
                let why = names.iter().find_map(|n| stopped.get(n.as_str()))?;
                Some(ItemError {
                    index: Some(i),
                    error: DockerError::NotRunning(Box::new(why.clone())),
                })
            })
            .collect();
        if failures.is_empty() {
            return Ok(());
        }
        Err(BatchError {
            total: items.len(),
            failures,
            undone: None,
            undo_failures: Vec::new(),
        })
    }

    /// Why `container` is not running, when it is known not to be.
    pub(crate) async fn stopped(&self, container: &str) -> Option<NotRunning> {
        let inspect = self.inspect_container(container).await.ok()?;
        let mut why = NotRunning::from_inspect(container, &inspect)?;
        // The log only makes the message better: without it, still say why.
        if let Ok(log) = self.logs(container).await {
            why.log_tail = last_lines(&log, LOG_TAIL_LINES);
        }
        Some(why)
    }
}

#[cfg(test)]
mod tests {
    use bollard::models::ContainerState;

    use super::*;

    fn inspect(state: ContainerState) -> ContainerInspectResponse {
        ContainerInspectResponse {
            state: Some(state),
            ..Default::default()
        }
    }

    fn exited(code: i64) -> ContainerState {
        ContainerState {
            status: Some(ContainerStateStatusEnum::EXITED),
            running: Some(false),
            exit_code: Some(code),
            ..Default::default()
        }
    }

    #[test]
    fn running_and_paused_containers_are_usable() {
        for status in [
            ContainerStateStatusEnum::RUNNING,
            ContainerStateStatusEnum::PAUSED,
        ] {
            let state = ContainerState {
                status: Some(status),
                running: Some(true),
                ..Default::default()
            };
            assert_eq!(NotRunning::from_inspect("web", &inspect(state)), None);
        }
    }

    #[test]
    fn an_exited_container_says_its_code_and_log() {
        let mut why = NotRunning::from_inspect("web", &inspect(exited(3))).unwrap();
        assert_eq!(
            why.to_string(),
            "container web is not running (exited with code 3); its log is empty"
        );
        why.log_tail = last_lines("starting\nbad config on line 3\n\n", 10);
        assert_eq!(
            why.to_string(),
            "container web is not running (exited with code 3); the last lines of its log:\n    \
             starting\n    bad config on line 3"
        );
    }

    #[test]
    fn other_states_say_what_they_are() {
        let created = ContainerState {
            status: Some(ContainerStateStatusEnum::CREATED),
            running: Some(false),
            exit_code: Some(0),
            ..Default::default()
        };
        let why = NotRunning::from_inspect("db", &inspect(created)).unwrap();
        assert!(why.to_string().contains("(created but never started)"));

        let mut oom = exited(137);
        oom.oom_killed = Some(true);
        let why = NotRunning::from_inspect("db", &inspect(oom)).unwrap();
        assert!(
            why.to_string()
                .contains("(exited with code 137, killed for using too much memory)"),
            "{why}"
        );

        let restarting = ContainerState {
            status: Some(ContainerStateStatusEnum::RESTARTING),
            running: Some(true),
            restarting: Some(true),
            exit_code: Some(1),
            ..Default::default()
        };
        let why = NotRunning::from_inspect("db", &inspect(restarting)).unwrap();
        assert!(
            why.to_string()
                .contains("(restarting after it exited with code 1)")
        );

        let mut failed = exited(127);
        failed.error = Some("exec: \"nope\": executable file not found in $PATH".into());
        let why = NotRunning::from_inspect("db", &inspect(failed)).unwrap();
        assert!(
            why.to_string()
                .contains("(exited with code 127): exec: \"nope\""),
            "{why}"
        );
    }

    #[test]
    fn the_tail_keeps_the_last_lines() {
        let log: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        let tail = last_lines(&log, LOG_TAIL_LINES);
        assert_eq!(tail.len(), 10);
        assert_eq!(tail[0], "line 21");
        assert_eq!(tail[9], "line 30");
        assert!(last_lines("", 10).is_empty());
    }
}
