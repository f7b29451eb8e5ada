//! Running the host's `iptables`, `tc` and `ip` inside a container's network
//! namespace with `nsenter -t <pid> -n`, where `<pid>` is the container's
//! main process as the daemon reports it. The tools come from the host, so
//! the container's image needs none of them (busybox has no usable ones).
//!
//! Before entering, netrig makes sure the pid really is that container's on
//! this machine (its cgroup names the container id) and that the namespace
//! is not the host's own: a remote daemon's pid means nothing here, and
//! rules put into the wrong namespace would cut the wrong machine off.

use std::net::IpAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::cgroup::cgroup_names;
use crate::docker::error::{DockerError, Result};

/// How long one tool may run; iptables waits for its lock at most this long too.
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

/// The network namespace of one running container, entered through its pid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Netns {
    /// The container's name, for messages.
    pub(crate) container: String,
    /// Its main process on this machine.
    pub(crate) pid: u32,
}

/// What a tool printed, and whether it succeeded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ToolOutput {
    /// Exit status 0.
    pub(crate) success: bool,
    /// Standard output.
    pub(crate) stdout: String,
    /// Standard error.
    pub(crate) stderr: String,
}

impl Netns {
    /// The namespace of container `name` (full id `id`) whose main process
    /// the daemon reports as `pid`, after checking that this machine sees
    /// that container under that pid and that it has a namespace of its own.
    pub(crate) fn enter(name: &str, id: &str, pid: u32) -> Result<Netns> {
        let action = format!("enter the network namespace of container {name:?}");
        let remote = |why: String| DockerError::Unsupported {
            action: action.clone(),
            message: format!(
                "{why}. netrig breaks networks from the daemon's own machine (it enters the \
                 container's network namespace with nsenter), so run netrig on the Docker host, as root"
            ),
        };
        let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).map_err(|_| {
            remote(format!(
                "the daemon says its process is pid {pid}, and this machine has no such process"
            ))
        })?;
        if !cgroup_names(&cgroup, id) {
            return Err(remote(format!(
                "pid {pid} on this machine is not container {name:?}'s process (the daemon is on another machine?)"
            )));
        }
        let theirs = std::fs::read_link(format!("/proc/{pid}/ns/net")).ok();
        let ours = std::fs::read_link("/proc/self/ns/net").ok();
        if theirs.is_some() && theirs == ours {
            return Err(DockerError::InvalidArgument {
                action,
                message:
                    "the container shares this machine's own network (network mode \"host\"); \
                          netrig only breaks container networks"
                        .into(),
            });
        }
        Ok(Netns {
            container: name.to_string(),
            pid,
        })
    }

    /// Runs `program args…` in the namespace, feeding it `stdin`. A tool
    /// that fails is an `Ok` with `success: false`; a missing tool or
    /// privilege is an error that says what to install or how to run.
    pub(crate) async fn run(
        &self,
        program: &str,
        args: &[String],
        stdin: Option<&str>,
    ) -> Result<ToolOutput> {
        let shown = format!("{program} {}", args.join(" "));
        let action = format!(
            "run `{}` in the network namespace of container {:?}",
            shown.trim(),
            self.container
        );
        let mut cmd = tokio::process::Command::new("nsenter");
        cmd.arg("-t")
            .arg(self.pid.to_string())
            .arg("-n")
            .arg("--")
            .arg(program)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| DockerError::Unsupported {
            action: action.clone(),
            message: if e.kind() == std::io::ErrorKind::NotFound {
                "this machine has no `nsenter` (Debian: apt-get install util-linux)".into()
            } else {
                format!("cannot start nsenter: {e}")
            },
        })?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes())
                .await
                .map_err(|e| DockerError::Failed {
                    action: action.clone(),
                    message: format!("cannot write to {program}: {e}"),
                })?;
        }
        let out = tokio::time::timeout(TOOL_TIMEOUT, child.wait_with_output())
            .await
            .map_err(|_| DockerError::Timeout {
                action: action.clone(),
                after: TOOL_TIMEOUT,
            })?
            .map_err(|e| DockerError::Failed {
                action: action.clone(),
                message: e.to_string(),
            })?;
        let output = ToolOutput {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        if !output.success
            && let Some(message) = environment_problem(program, &output.stderr)
        {
            return Err(DockerError::Unsupported { action, message });
        }
        Ok(output)
    }

    /// Like [`Netns::run`], but a failing tool is an error quoting its complaint.
    pub(crate) async fn check(
        &self,
        program: &str,
        args: &[String],
        stdin: Option<&str>,
    ) -> Result<String> {
        let out = self.run(program, args, stdin).await?;
        if out.success {
            Ok(out.stdout)
        } else {
            Err(self.failed(program, args, &out.stderr))
        }
    }

    /// The error for a tool that ran and failed.
    pub(crate) fn failed(&self, program: &str, args: &[String], stderr: &str) -> DockerError {
        DockerError::Failed {
            action: format!(
                "run `{program} {}` in the network namespace of container {:?}",
                args.join(" "),
                self.container
            ),
            message: stderr.trim().to_string(),
        }
    }

    /// The container's interfaces and their addresses (`ip -o addr show`).
    pub(crate) async fn addresses(&self) -> Result<Vec<(String, IpAddr)>> {
        let out = self
            .check("ip", &["-o".into(), "addr".into(), "show".into()], None)
            .await?;
        Ok(parse_addresses(&out))
    }
}

/// A failure that is about this machine rather than the request: a tool
/// missing on the host, or netrig lacking the privilege to use it.
pub(crate) fn environment_problem(program: &str, stderr: &str) -> Option<String> {
    if stderr.contains("failed to execute") && stderr.contains("No such file") {
        return Some(format!(
            "this machine has no `{program}` (Debian: apt-get install {})",
            package_for(program)
        ));
    }
    let lower = stderr.to_ascii_lowercase();
    if (stderr.contains("nsenter") && lower.contains("operation not permitted"))
        || lower.contains("permission denied (you must be root)")
    {
        return Some(
            "entering a container's network namespace and changing its firewall or queues needs \
             root (CAP_SYS_ADMIN and CAP_NET_ADMIN): run netrig as root, e.g. with sudo"
                .into(),
        );
    }
    None
}

/// The Debian package that provides a tool netrig runs.
pub(crate) fn package_for(program: &str) -> &'static str {
    match program {
        "tc" | "ip" => "iproute2",
        p if p.starts_with("ip6tables") || p.starts_with("iptables") => "iptables",
        _ => "util-linux",
    }
}

/// `(interface, address)` pairs from `ip -o addr show` output, loopback
/// included (`246: eth0    inet 172.17.0.2/16 brd … scope global eth0\ …`).
pub(crate) fn parse_addresses(ip_o_addr: &str) -> Vec<(String, IpAddr)> {
    ip_o_addr
        .lines()
        .filter_map(|line| {
            let w: Vec<&str> = line.split_whitespace().collect();
            let dev = w.get(1)?.split('@').next()?;
            let family = w.iter().position(|x| *x == "inet" || *x == "inet6")?;
            let addr = w.get(family + 1)?.split('/').next()?.parse().ok()?;
            Some((dev.to_string(), addr))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_per_interface() {
        let out = "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n\
                   290: eth0    inet 192.168.80.2/20 brd 192.168.95.255 scope global eth0\\       valid_lft forever\n\
                   291: eth1    inet6 fd00::2/64 scope global \\       valid_lft forever\n";
        assert_eq!(
            parse_addresses(out),
            vec![
                ("lo".to_string(), "127.0.0.1".parse().unwrap()),
                ("eth0".to_string(), "192.168.80.2".parse().unwrap()),
                ("eth1".to_string(), "fd00::2".parse().unwrap()),
            ]
        );
    }

    #[test]
    fn a_pid_that_is_not_the_containers_is_refused() {
        // This test process is in no container with that id: exactly what
        // a remote daemon's pid looks like from here.
        let id = "f".repeat(64);
        let err = Netns::enter("far", &id, std::process::id()).unwrap_err();
        assert_eq!(err.kind(), "unsupported");
        assert!(
            err.to_string().contains("run netrig on the Docker host"),
            "{err}"
        );
        let err = Netns::enter("far", &id, u32::MAX).unwrap_err();
        assert!(err.to_string().contains("no such process"), "{err}");
    }

    #[test]
    fn missing_tools_and_privileges_say_what_to_do() {
        let tool = environment_problem(
            "tc",
            "nsenter: failed to execute tc: No such file or directory\n",
        )
        .unwrap();
        assert!(
            tool.contains("no `tc`") && tool.contains("iproute2"),
            "{tool}"
        );
        let root = environment_problem(
            "iptables",
            "nsenter: reassociate to namespace 'ns/net' failed: Operation not permitted\n",
        )
        .unwrap();
        assert!(root.contains("root"), "{root}");
        assert_eq!(
            environment_problem(
                "iptables",
                "iptables: Bad rule (does a matching rule exist?)"
            ),
            None
        );
        assert_eq!(package_for("ip6tables-restore"), "iptables");
    }
}
