//! The docker CLI command lines equivalent to what netrig asks the Engine
//! API for, so a script and the tutorial's commands read side by side
//! (`netrig run --explain`, `:explain on`). Pure functions of netrig's own
//! specs; every word is shell-quoted, so a line pastes into a shell as is.
//!
//! ```
//! use netrig::docker::NetworkSpec;
//! use netrig::explain::{explain, DockerOp};
//! let spec = NetworkSpec::named("my_net");
//! assert_eq!(explain(&DockerOp::NetworkCreate(&spec)), ["docker network create my_net"]);
//! ```

use std::collections::HashMap;

use crate::docker::ports::{PortMapping, Protocol};
use crate::docker::spec::is_builtin_network;
use crate::docker::{ConnectSpec, NetworkSpec, RunSpec};

/// One operation netrig performs on a daemon, in the terms the docker CLI
/// would need to do the same.
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
}

/// The docker CLI command lines that do what `op` does, in order (one,
/// except a run on several networks: create, connect each, start).
pub fn explain(op: &DockerOp<'_>) -> Vec<String> {
    match *op {
        DockerOp::NetworkCreate(spec) => vec![network_create(spec)],
        DockerOp::NetworkLs => vec![line(["docker", "network", "ls"], [])],
        DockerOp::NetworkInspect(n) => vec![line(["docker", "network", "inspect"], [n])],
        DockerOp::NetworkRm(n) => vec![line(["docker", "network", "rm"], [n])],
        DockerOp::NetworkConnect {
            network,
            container,
            spec,
        } => vec![network_connect(
            network,
            container,
            &spec.aliases,
            spec.ip.as_deref(),
        )],
        DockerOp::NetworkDisconnect { network, container } => vec![line(
            ["docker", "network", "disconnect"],
            [network, container],
        )],
        DockerOp::Run { spec, name } => run(spec, name),
        DockerOp::Exec { container, cmd } => {
            let mut words = vec!["docker", "exec", container];
            words.extend(cmd.iter().map(String::as_str));
            vec![join(words)]
        }
        DockerOp::Start(c) => vec![line(["docker", "start"], [c])],
        DockerOp::Stop {
            container,
            timeout_secs,
        } => {
            let t = timeout_secs.map(|t| t.to_string());
            let mut words = vec!["docker", "stop"];
            if let Some(t) = &t {
                words.extend(["-t", t]);
            }
            words.push(container);
            vec![join(words)]
        }
        DockerOp::Rm(c) => vec![line(["docker", "rm", "-f", "-v"], [c])],
        DockerOp::Inspect(c) => vec![line(["docker", "inspect"], [c])],
        DockerOp::Logs(c) => vec![line(["docker", "logs"], [c])],
        DockerOp::Ps => vec![line(["docker", "ps", "-a"], [])],
        DockerOp::Pull(image) => vec![line(["docker", "pull"], [image])],
        DockerOp::Build { context, tag } => vec![line(["docker", "build", "-t"], [tag, context])],
        DockerOp::Images => vec![line(["docker", "image", "ls"], [])],
    }
}

/// A fixed command followed by quoted arguments.
fn line<const N: usize, const M: usize>(command: [&str; N], args: [&str; M]) -> String {
    join(command.into_iter().chain(args))
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

fn network_create(spec: &NetworkSpec) -> String {
    let mut w = Words::new(["docker", "network", "create"]);
    w.opt("--driver", spec.driver.as_deref());
    w.opt("--subnet", spec.subnet.as_deref());
    w.opt("--gateway", spec.gateway.as_deref());
    w.opt("--ip-range", spec.ip_range.as_deref());
    w.flag("--internal", spec.internal);
    w.flag("--attachable", spec.attachable);
    w.flag("--ipv6", spec.ipv6);
    w.pairs("--label", &spec.labels);
    w.pairs("--opt", &spec.options);
    w.push(&spec.name);
    w.join()
}

fn network_connect(network: &str, container: &str, aliases: &[String], ip: Option<&str>) -> String {
    let mut w = Words::new(["docker", "network", "connect"]);
    for alias in aliases {
        w.opt("--alias", Some(alias));
    }
    w.opt("--ip", ip);
    w.push(network);
    w.push(container);
    w.join()
}

/// `docker run -d …`, or — since `docker run` joins one network only before
/// the process starts — `docker create`, a `docker network connect` per
/// further network, and `docker start`, which is what netrig does.
fn run(spec: &RunSpec, name: &str) -> Vec<String> {
    let several = spec.networks.len() > 1;
    let mut w = Words::new(if several {
        ["docker", "create", ""]
    } else {
        ["docker", "run", "-d"]
    });
    w.opt("--name", Some(name));
    if let Some(first) = spec.networks.first() {
        w.opt("--network", Some(first));
        if !is_builtin_network(first) {
            for alias in &spec.aliases {
                w.opt("--network-alias", Some(alias));
            }
        }
    }
    for port in &spec.ports {
        w.opt("-p", Some(&publish(port)));
    }
    for (k, v) in &spec.env {
        w.opt("-e", Some(&format!("{k}={v}")));
    }
    w.opt("--hostname", spec.hostname.as_deref());
    w.pairs("--label", &spec.labels);
    for cap in &spec.cap_add {
        w.opt("--cap-add", Some(cap));
    }
    w.opt("-w", spec.workdir.as_deref());
    w.opt("-u", spec.user.as_deref());
    w.flag("--privileged", spec.privileged);
    w.flag("--init", spec.init);
    // --entrypoint takes one word; the rest of netrig's entrypoint array
    // goes before the command, which is where Docker puts it anyway.
    let entry_rest = match spec.entrypoint.as_deref() {
        Some([first, rest @ ..]) => {
            w.opt("--entrypoint", Some(first));
            rest
        }
        Some([]) => {
            w.opt("--entrypoint", Some(""));
            &[]
        }
        None => &[],
    };
    w.push(&spec.image);
    for word in entry_rest.iter().chain(spec.cmd.iter().flatten()) {
        w.push(word);
    }
    let mut lines = vec![w.join()];
    if several {
        for network in &spec.networks[1..] {
            let aliases: &[String] = if is_builtin_network(network) {
                &[]
            } else {
                &spec.aliases
            };
            lines.push(network_connect(network, name, aliases, None));
        }
        lines.push(line(["docker", "start"], [name]));
    }
    lines
}

/// A `-p` value: `[ip:][host_port:]container_port[/proto]`.
fn publish(p: &PortMapping) -> String {
    let proto = match p.protocol {
        Protocol::Tcp => String::new(),
        other => format!("/{other}"),
    };
    let host_port = p.host_port.map(|h| h.to_string());
    let host = match (&p.host_ip, host_port) {
        (None, None) => String::new(),
        (None, Some(port)) => format!("{port}:"),
        (Some(ip), port) => {
            let ip = if ip.contains(':') {
                format!("[{ip}]")
            } else {
                ip.clone()
            };
            format!("{ip}:{}:", port.unwrap_or_default())
        }
    };
    format!("{host}{}{proto}", p.container_port)
}

/// A command line being built, word by word.
struct Words(Vec<String>);

impl Words {
    fn new<const N: usize>(start: [&str; N]) -> Words {
        Words(
            start
                .iter()
                .filter(|w| !w.is_empty())
                .map(|w| w.to_string())
                .collect(),
        )
    }

    fn push(&mut self, word: &str) {
        self.0.push(word.to_string());
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

    fn join(self) -> String {
        join(self.0.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::ports::parse_publish;

    fn words(cmd: &str) -> Vec<String> {
        shell_words::split(cmd).unwrap()
    }

    #[test]
    fn the_tutorials_own_commands() {
        assert_eq!(
            explain(&DockerOp::NetworkCreate(&NetworkSpec::named("my_net"))),
            ["docker network create my_net"]
        );
        assert_eq!(explain(&DockerOp::NetworkLs), ["docker network ls"]);
        let jupyter = RunSpec {
            image: "busybox".into(),
            name: Some("jupyter".into()),
            networks: vec!["my_net".into()],
            ports: parse_publish("8888:8888").unwrap(),
            cmd: Some(words("httpd -f -p 8888")),
            ..Default::default()
        };
        assert_eq!(
            explain(&DockerOp::Run {
                spec: &jupyter,
                name: "jupyter"
            }),
            ["docker run -d --name jupyter --network my_net -p 8888:8888 busybox httpd -f -p 8888"]
        );
        let ping = words("ping -c 4 jupyter");
        assert_eq!(
            explain(&DockerOp::Exec {
                container: "debian",
                cmd: &ping
            }),
            ["docker exec debian ping -c 4 jupyter"]
        );
        assert_eq!(
            explain(&DockerOp::Rm("gigantic_brown")),
            ["docker rm -f -v gigantic_brown"]
        );
        assert_eq!(
            explain(&DockerOp::NetworkInspect("bridge")),
            ["docker network inspect bridge"]
        );
    }

    #[test]
    fn words_that_a_shell_would_split_or_expand_are_quoted() {
        let cmd: Vec<String> = vec!["sh".into(), "-c".into(), "echo $HOME; sleep 300".into()];
        let line = &explain(&DockerOp::Exec {
            container: "my app",
            cmd: &cmd,
        })[0];
        assert_eq!(line, "docker exec 'my app' sh -c 'echo $HOME; sleep 300'");
        assert_eq!(
            shell_words::split(line).unwrap(),
            [
                "docker",
                "exec",
                "my app",
                "sh",
                "-c",
                "echo $HOME; sleep 300"
            ],
            "a shell gets back exactly the words netrig sends"
        );
        let quote: Vec<String> = vec!["echo".into(), "it's".into(), "".into()];
        let line = &explain(&DockerOp::Exec {
            container: "c",
            cmd: &quote,
        })[0];
        assert_eq!(
            shell_words::split(line).unwrap(),
            ["docker", "exec", "c", "echo", "it's", ""]
        );
    }

    #[test]
    fn equals_signs_stay_bare_and_everything_else_a_shell_minds_is_quoted() {
        assert_eq!(quote("tier=db"), "tier=db");
        assert_eq!(quote("A="), "A=");
        assert_eq!(quote("a=b c"), "'a=b c'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$x"), "'$x'");
        for word in [
            "tier=db", "A=", "=", "x==y", "it's", "a b", "*", "~", "#c", "!", "",
        ] {
            assert_eq!(
                shell_words::split(&quote(word)).unwrap(),
                [word],
                "{word:?}"
            );
        }
    }

    #[test]
    fn every_network_option_has_its_flag() {
        let spec = NetworkSpec {
            name: "back".into(),
            driver: Some("bridge".into()),
            subnet: Some("10.9.0.0/24".into()),
            gateway: Some("10.9.0.1".into()),
            ip_range: Some("10.9.0.128/25".into()),
            internal: true,
            attachable: true,
            ipv6: true,
            labels: HashMap::from([("tier".into(), "db".into()), ("a".into(), "b c".into())]),
            options: HashMap::from([("com.docker.network.bridge.name".into(), "br-back".into())]),
        };
        assert_eq!(
            explain(&DockerOp::NetworkCreate(&spec)),
            [
                "docker network create --driver bridge --subnet 10.9.0.0/24 --gateway 10.9.0.1 \
              --ip-range 10.9.0.128/25 --internal --attachable --ipv6 --label 'a=b c' \
              --label tier=db --opt com.docker.network.bridge.name=br-back back"
            ]
        );
    }

    #[test]
    fn every_run_option_has_its_flag() {
        let mut ports = parse_publish("127.0.0.1::80").unwrap();
        ports.extend(parse_publish("5353:53/udp").unwrap());
        ports.extend(parse_publish("9000").unwrap());
        ports.extend(parse_publish("[::1]:8080:80").unwrap());
        let spec = RunSpec {
            image: "busybox:latest".into(),
            networks: vec!["front".into()],
            ports,
            cmd: Some(vec!["-c".into(), "sleep 300".into()]),
            entrypoint: Some(vec!["sh".into()]),
            env: vec![("GREETING".into(), "hello world".into())],
            aliases: vec!["web".into()],
            hostname: Some("h1".into()),
            labels: HashMap::from([("role".into(), "web".into())]),
            cap_add: vec!["NET_ADMIN".into()],
            workdir: Some("/tmp".into()),
            user: Some("nobody".into()),
            privileged: true,
            init: true,
            ..Default::default()
        };
        assert_eq!(
            explain(&DockerOp::Run {
                spec: &spec,
                name: "web-1"
            }),
            [
                "docker run -d --name web-1 --network front --network-alias web \
              -p 127.0.0.1::80 -p 5353:53/udp -p 9000 -p '[::1]:8080:80' \
              -e 'GREETING=hello world' --hostname h1 --label role=web --cap-add NET_ADMIN \
              -w /tmp -u nobody --privileged --init --entrypoint sh busybox:latest -c 'sleep 300'"
            ]
        );
    }

    #[test]
    fn several_networks_are_create_connect_start() {
        let spec = RunSpec {
            image: "busybox".into(),
            networks: vec!["front".into(), "back".into(), "bridge".into()],
            aliases: vec!["api".into()],
            cmd: Some(words("sleep 3600")),
            ..Default::default()
        };
        assert_eq!(
            explain(&DockerOp::Run {
                spec: &spec,
                name: "api"
            }),
            [
                "docker create --name api --network front --network-alias api busybox sleep 3600",
                "docker network connect --alias api back api",
                "docker network connect bridge api",
                "docker start api",
            ]
        );
    }

    #[test]
    fn an_entrypoint_array_keeps_its_words_in_order() {
        let spec = RunSpec {
            image: "busybox".into(),
            entrypoint: Some(vec!["sh".into(), "-c".into()]),
            cmd: Some(vec!["echo hi".into()]),
            ..Default::default()
        };
        assert_eq!(
            explain(&DockerOp::Run {
                spec: &spec,
                name: "e"
            }),
            ["docker run -d --name e --entrypoint sh busybox -c 'echo hi'"]
        );
        let cleared = RunSpec {
            entrypoint: Some(vec![]),
            cmd: None,
            ..spec
        };
        assert_eq!(
            explain(&DockerOp::Run {
                spec: &cleared,
                name: "e"
            }),
            ["docker run -d --name e --entrypoint '' busybox"]
        );
    }

    #[test]
    fn container_and_network_lifecycle() {
        let connect = ConnectSpec {
            aliases: vec!["db".into()],
            ip: Some("10.1.0.9".into()),
        };
        assert_eq!(
            explain(&DockerOp::NetworkConnect {
                network: "back",
                container: "web",
                spec: &connect
            }),
            ["docker network connect --alias db --ip 10.1.0.9 back web"]
        );
        assert_eq!(
            explain(&DockerOp::NetworkDisconnect {
                network: "back",
                container: "web"
            }),
            ["docker network disconnect back web"]
        );
        assert_eq!(
            explain(&DockerOp::Stop {
                container: "web",
                timeout_secs: Some(1)
            }),
            ["docker stop -t 1 web"]
        );
        assert_eq!(
            explain(&DockerOp::Stop {
                container: "web",
                timeout_secs: None
            }),
            ["docker stop web"]
        );
        assert_eq!(explain(&DockerOp::Start("web")), ["docker start web"]);
        assert_eq!(
            explain(&DockerOp::NetworkRm("back")),
            ["docker network rm back"]
        );
        assert_eq!(explain(&DockerOp::Inspect("web")), ["docker inspect web"]);
        assert_eq!(explain(&DockerOp::Logs("web")), ["docker logs web"]);
        assert_eq!(explain(&DockerOp::Ps), ["docker ps -a"]);
        assert_eq!(explain(&DockerOp::Pull("busybox")), ["docker pull busybox"]);
        assert_eq!(
            explain(&DockerOp::Build {
                context: "./my app",
                tag: "t:1"
            }),
            ["docker build -t t:1 './my app'"]
        );
        assert_eq!(explain(&DockerOp::Images), ["docker image ls"]);
    }
}
