//! The docker CLI command lines equivalent to what netrig asks the Engine
//! API for, so a script and the tutorial's commands read side by side
//! (`netrig run --explain`, `:explain on`). Pure functions of netrig's own
//! specs; every word is shell-quoted, so a line pastes into a shell as is.
//!
//! ```text
//! use netrig::docker::NetworkSpec;
//! use netrig::docker::explain::{explain, DockerOp};
//! let spec = NetworkSpec::named("my_net");
//! assert_eq!(explain(&DockerOp::NetworkCreate(&spec)), ["docker network create my_net"]);
//! ```

mod lines;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::docker::spec::{ConnectSpec, NetworkSpec, RunSpec};
use crate::docker::swarm::service::ServiceSpec;
use crate::docker::swarm::{SwarmInitSpec, SwarmJoinSpec};

/// One operation netrig performs on a daemon, in the terms the docker CLI
/// would need to do the same. Names are the daemon's (as created), not the
/// script's.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum DockerOp<'a> {
    /// `docker network create`.
    NetworkCreate(&'a NetworkSpec),
    /// `docker network ls`.
    NetworkLs,
    /// `docker network inspect`.
    NetworkInspect(&'a str),
    /// `docker network rm`.
    NetworkRm(&'a str),
    /// `docker network connect`.
    NetworkConnect {
        /// The network.
        network: &'a str,
        /// The container.
        container: &'a str,
        /// Aliases and fixed address.
        spec: &'a ConnectSpec,
    },
    /// `docker network disconnect`.
    NetworkDisconnect {
        /// The network.
        network: &'a str,
        /// The container.
        container: &'a str,
    },
    /// `docker run -d` (or create, connect, start for several networks).
    Run {
        /// What to run.
        spec: &'a RunSpec,
        /// The container's name as created (netrig picks one when the spec has none).
        name: &'a str,
    },
    /// `docker exec`.
    Exec {
        /// The container.
        container: &'a str,
        /// The command, one word per element.
        cmd: &'a [String],
    },
    /// `docker start`.
    Start(&'a str),
    /// `docker stop`.
    Stop {
        /// The container.
        container: &'a str,
        /// Seconds before SIGKILL, when not Docker's default.
        timeout_secs: Option<i32>,
    },
    /// `docker rm -f -v`.
    Rm(&'a str),
    /// `docker inspect`.
    Inspect(&'a str),
    /// `docker logs`.
    Logs(&'a str),
    /// `docker ps -a`.
    Ps,
    /// `docker pull`.
    Pull(&'a str),
    /// `docker build -t`.
    Build {
        /// The build context directory.
        context: &'a str,
        /// The image tag.
        tag: &'a str,
    },
    /// `docker image ls`.
    Images,
    /// `docker pause`.
    Pause(&'a str),
    /// `docker unpause`.
    Unpause(&'a str),
    /// `docker kill --signal`.
    Kill {
        /// The container.
        container: &'a str,
        /// The signal as given (`KILL`, `SIGUSR1`, `9`).
        signal: &'a str,
    },
    /// `docker restart`.
    Restart {
        /// The container.
        container: &'a str,
        /// Seconds before SIGKILL, when not Docker's default.
        timeout_secs: Option<i32>,
    },
    /// `docker swarm init`.
    SwarmInit(&'a SwarmInitSpec),
    /// `docker swarm join`.
    SwarmJoin(&'a SwarmJoinSpec),
    /// `docker swarm leave`.
    SwarmLeave {
        /// Leave even as the last manager.
        force: bool,
    },
    /// `docker node ls`.
    NodeLs,
    /// `docker service create`.
    ServiceCreate(&'a ServiceSpec),
    /// `docker service scale`.
    ServiceScale {
        /// The service.
        service: &'a str,
        /// Tasks wanted.
        replicas: u64,
    },
    /// `docker service ls`.
    ServiceLs,
    /// `docker service ps`.
    ServicePs(&'a str),
    /// `docker service inspect`.
    ServiceInspect(&'a str),
    /// `docker service rm`.
    ServiceRm(&'a str),
}

/// The docker CLI command lines that do what `op` does, in order (one,
/// except a run on several networks: create, connect each, start).
pub fn explain(op: &DockerOp<'_>) -> Vec<String> {
    explain_on(None, op)
}

/// Like [`explain`], for a daemon other than the default one: each line
/// names it with `-H` (`docker -H ssh://node2 network ls`).
pub(crate) fn explain_on(host: Option<&str>, op: &DockerOp<'_>) -> Vec<String> {
    lines::words_for(op)
        .into_iter()
        .map(|mut words| {
            if let Some(host) = host {
                words.0.splice(1..1, ["-H".to_string(), host.to_string()]);
            }
            words.join()
        })
        .collect()
}

/// Where explanations go, and whether they are wanted now. Cloned into
/// every client of a run (the `ClientOptions` carry it); off by default.
/// The REPL's `:explain on|off` flips the shared switch.
#[derive(Clone, Default)]
pub(crate) struct Explainer {
    shared: Option<Arc<Shared>>,
    /// A clone for netrig's own lookups, which no script asked for.
    muted: bool,
}

struct Shared {
    on: AtomicBool,
    /// The daemon the run talks to by default: lines for any other name it with `-H`.
    default_host: Mutex<Option<String>>,
    show: Box<dyn Fn(&str) + Send + Sync>,
}

impl Explainer {
    /// Explanations go to `show`, one line at a time, when switched on.
    pub(crate) fn new(on: bool, show: impl Fn(&str) + Send + Sync + 'static) -> Explainer {
        Explainer {
            shared: Some(Arc::new(Shared {
                on: AtomicBool::new(on),
                default_host: Mutex::new(None),
                show: Box::new(show),
            })),
            muted: false,
        }
    }

    /// Lines on stderr, `$ ` first, as a terminal shows a typed command.
    pub(crate) fn to_stderr(on: bool) -> Explainer {
        Explainer::new(on, |line| eprintln!("$ {line}"))
    }

    /// Switches explanations on or off (for every clone).
    pub(crate) fn set(&self, on: bool) {
        if let Some(shared) = &self.shared {
            shared.on.store(on, Ordering::Relaxed);
        }
    }

    /// Whether explanations are shown now.
    pub(crate) fn is_on(&self) -> bool {
        !self.muted
            && self
                .shared
                .as_ref()
                .is_some_and(|s| s.on.load(Ordering::Relaxed))
    }

    /// A clone that shows nothing: for what netrig asks the daemon on its
    /// own (name checks, addresses), which no docker command of the user's
    /// would do.
    pub(crate) fn muted(&self) -> Explainer {
        Explainer {
            shared: self.shared.clone(),
            muted: true,
        }
    }

    /// Notes the daemon lines need no `-H` for (the first one set wins).
    pub(crate) fn set_default_host(&self, host: &str) {
        if let Some(shared) = &self.shared {
            let mut default = shared
                .default_host
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            default.get_or_insert_with(|| host.to_string());
        }
    }

    /// Shows the command lines of `op` on the daemon at `host`, if on.
    pub(crate) fn show(&self, host: &str, op: &DockerOp<'_>) {
        if !self.is_on() {
            return;
        }
        let Some(shared) = &self.shared else { return };
        let other = {
            let default = shared
                .default_host
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            default.as_deref().is_some_and(|d| d != host)
        };
        for line in explain_on(other.then_some(host), op) {
            (shared.show)(&line);
        }
    }
}

impl std::fmt::Debug for Explainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Explainer(on: {})", self.is_on())
    }
}

/// Words quoted for a POSIX shell and joined with spaces.
fn join<'w>(words: impl IntoIterator<Item = &'w str>) -> String {
    words.into_iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// One word quoted for a POSIX shell. shell-words also quotes `=`, which
/// only means something in a command's first word; left bare, `--label
/// tier=db` reads the way people type it.
fn quote(word: &str) -> std::borrow::Cow<'_, str> {
    let bare = !word.is_empty()
        && word
            .split('=')
            .all(|part| part.is_empty() || shell_words::quote(part) == part);
    if bare {
        word.into()
    } else {
        shell_words::quote(word)
    }
}

/// A command line being built, word by word (starting with `docker`).
#[derive(Debug)]
struct Words(Vec<String>);

impl Words {
    /// `docker` and the command's fixed words.
    fn docker(command: &[&str]) -> Words {
        let mut w = Words(vec!["docker".to_string()]);
        for word in command {
            w.push(word);
        }
        w
    }

    fn push(&mut self, word: &str) {
        self.0.push(word.to_string());
    }

    /// A command followed by its arguments.
    fn with(mut self, args: &[&str]) -> Words {
        for a in args {
            self.push(a);
        }
        self
    }

    fn opt(&mut self, flag: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.push(flag);
            self.push(v);
        }
    }

    fn flag(&mut self, flag: &str, on: bool) {
        if on {
            self.push(flag);
        }
    }

    /// `flag k=v` for each entry, sorted so the line is the same every run.
    fn pairs(&mut self, flag: &str, map: &HashMap<String, String>) {
        let mut entries: Vec<_> = map.iter().collect();
        entries.sort();
        for (k, v) in entries {
            self.opt(flag, Some(&format!("{k}={v}")));
        }
    }

    fn join(&self) -> String {
        join(self.0.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests;
