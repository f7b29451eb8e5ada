//! `ssh://[user@]host[:port][/remote/socket]`: netrig forwards the remote
//! daemon's socket to a local one with the system's ssh client (`ssh -L
//! local.sock:/var/run/docker.sock`) and talks to that like a local daemon.
//! One ssh process per daemon, owned by netrig: it ends when the client is
//! dropped, and with netrig even when netrig is killed (parent-death signal).
//! (bollard's own ssh transport starts an ssh master per connection and,
//! when the process ends without closing them, leaves them running.)

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::error::{DockerError, Result};

/// The remote socket when the URL names none.
pub(crate) const DEFAULT_REMOTE_SOCKET: &str = "/var/run/docker.sock";

/// The parts of an `ssh://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SshTarget {
    /// `user@host` or `host`, as ssh takes it.
    pub(crate) destination: String,
    /// A port other than 22.
    pub(crate) port: Option<u16>,
    /// The daemon's socket on the remote machine.
    pub(crate) remote_socket: String,
}

impl SshTarget {
    /// Parses `ssh://[user@]host[:port][/path]`.
    pub(crate) fn parse(url: &str) -> std::result::Result<SshTarget, String> {
        let rest = url
            .strip_prefix("ssh://")
            .ok_or_else(|| format!("{url:?} is not an ssh:// address"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        // `host:port`, `[v6]:port`; a bare `[v6]` has no port.
        let (destination, port) = match authority.rsplit_once(':') {
            Some((d, p)) if !authority.ends_with(']') => {
                let port: u16 = p
                    .parse()
                    .map_err(|_| format!("{url:?}: the port {p:?} is not a number"))?;
                (d, Some(port))
            }
            _ => (authority, None),
        };
        let destination = destination.replace(['[', ']'], "");
        let host = destination.rsplit('@').next().unwrap_or("");
        if host.is_empty() {
            return Err(format!("{url:?} names no host; write ssh://user@host"));
        }
        Ok(SshTarget {
            destination,
            port,
            remote_socket: if path.is_empty() || path == "/" {
                DEFAULT_REMOTE_SOCKET.to_string()
            } else {
                path.to_string()
            },
        })
    }

    /// The ssh command line that forwards `local` to the remote socket.
    pub(crate) fn ssh_args(&self, local: &str) -> Vec<String> {
        let mut args: Vec<String> = [
            "-nNT",
            // No prompts: scripts cannot answer them (use keys or an agent).
            "-o",
            "BatchMode=yes",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "StreamLocalBindUnlink=yes",
            "-o",
            "ServerAliveInterval=15",
            "-L",
        ]
        .map(String::from)
        .to_vec();
        args.push(format!("{local}:{}", self.remote_socket));
        if let Some(port) = self.port {
            args.push("-p".into());
            args.push(port.to_string());
        }
        args.push(self.destination.clone());
        args
    }
}

/// A running `ssh -L` forward; dropping it ends ssh and removes the socket.
#[derive(Debug)]
pub(crate) struct SshTunnel {
    child: Child,
    dir: PathBuf,
    /// The local end: `unix://…` for bollard.
    pub(crate) local_url: String,
}

impl SshTunnel {
    /// Starts ssh and waits (up to `timeout`) until the local socket accepts.
    pub(crate) async fn open(url: &str, timeout: Duration) -> Result<SshTunnel> {
        let unreachable = |reason: String| DockerError::Unreachable {
            host: url.to_string(),
            reason,
        };
        let target = SshTarget::parse(url).map_err(unreachable)?;
        let dir = std::env::temp_dir().join(format!(
            "netrig-ssh-{}-{}",
            std::process::id(),
            super::run::labels::new_run_id()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| unreachable(e.to_string()))?;
        let socket = dir.join("docker.sock");
        let mut command = Command::new("ssh");
        command
            .args(target.ssh_args(&socket.display().to_string()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            command.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)
                    .map_err(std::io::Error::from)
            });
        }
        let child = command.spawn().map_err(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            unreachable(format!("cannot run ssh (the OpenSSH client): {e}"))
        })?;
        let mut tunnel = SshTunnel {
            child,
            local_url: format!("unix://{}", socket.display()),
            dir,
        };
        let deadline = Instant::now() + timeout;
        loop {
            // Connect, not just look for the file: ssh binds the socket
            // before it listens, and a client in between is refused.
            if socket.exists() && tokio::net::UnixStream::connect(&socket).await.is_ok() {
                return Ok(tunnel);
            }
            if let Ok(Some(status)) = tunnel.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut e) = tunnel.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
                }
                let said = stderr.trim();
                return Err(unreachable(if said.is_empty() {
                    format!("ssh ended ({status})")
                } else {
                    format!("ssh: {said}")
                }));
            }
            if Instant::now() >= deadline {
                return Err(unreachable(format!(
                    "ssh did not connect within {} s",
                    timeout.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SshTunnel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_targets() {
        let t = SshTarget::parse("ssh://root@10.0.0.2").unwrap();
        assert_eq!(t.destination, "root@10.0.0.2");
        assert_eq!(t.port, None);
        assert_eq!(t.remote_socket, DEFAULT_REMOTE_SOCKET);
        let t = SshTarget::parse("ssh://me@box:2222/run/user/1000/docker.sock").unwrap();
        assert_eq!(t.destination, "me@box");
        assert_eq!(t.port, Some(2222));
        assert_eq!(t.remote_socket, "/run/user/1000/docker.sock");
        assert_eq!(SshTarget::parse("ssh://box").unwrap().destination, "box");
        let t = SshTarget::parse("ssh://me@[fd00::2]:22").unwrap();
        assert_eq!((t.destination.as_str(), t.port), ("me@fd00::2", Some(22)));
    }

    #[test]
    fn bad_urls_say_why() {
        assert!(
            SshTarget::parse("ssh://me@box:x")
                .unwrap_err()
                .contains("port")
        );
        assert!(SshTarget::parse("ssh://").unwrap_err().contains("no host"));
        assert!(
            SshTarget::parse("ssh://me@")
                .unwrap_err()
                .contains("no host")
        );
    }

    #[test]
    fn ssh_forwards_the_remote_socket_without_prompting() {
        let t = SshTarget::parse("ssh://me@box:2222").unwrap();
        let args = t.ssh_args("/tmp/x/docker.sock");
        assert!(args.contains(&"BatchMode=yes".to_string()));
        assert!(args.contains(&"ExitOnForwardFailure=yes".to_string()));
        let l = args.iter().position(|a| a == "-L").unwrap();
        assert_eq!(args[l + 1], "/tmp/x/docker.sock:/var/run/docker.sock");
        assert_eq!(&args[args.len() - 3..], ["-p", "2222", "me@box"]);
    }
}
