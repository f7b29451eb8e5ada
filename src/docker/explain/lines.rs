//! The command line for each operation, as words.

use super::{DockerOp, Words, join};
use crate::docker::ports::{PortMapping, Protocol};
use crate::docker::spec::is_builtin_network;
use crate::docker::spec::{NetworkSpec, RunSpec};
use crate::docker::swarm::service::{EndpointMode, ServiceSpec};
use crate::docker::swarm::{SwarmInitSpec, SwarmJoinSpec};

/// The command lines of `op`, in order.
pub(super) fn words_for(op: &DockerOp<'_>) -> Vec<Words> {
    let one = |w: Words| vec![w];
    match *op {
        DockerOp::NetworkCreate(spec) => one(network_create(spec)),
        DockerOp::NetworkLs => one(Words::docker(&["network", "ls"])),
        DockerOp::NetworkInspect(n) => one(Words::docker(&["network", "inspect"]).with(&[n])),
        DockerOp::NetworkRm(n) => one(Words::docker(&["network", "rm"]).with(&[n])),
        DockerOp::NetworkConnect {
            network,
            container,
            spec,
        } => one(network_connect(
            network,
            container,
            &spec.aliases,
            spec.ip.as_deref(),
        )),
        DockerOp::NetworkDisconnect { network, container } => {
            one(Words::docker(&["network", "disconnect"]).with(&[network, container]))
        }
        DockerOp::Run { spec, name } => run(spec, name),
        DockerOp::Exec { container, cmd } => {
            let mut w = Words::docker(&["exec"]).with(&[container]);
            for word in cmd {
                w.push(word);
            }
            one(w)
        }
        DockerOp::Start(c) => one(Words::docker(&["start"]).with(&[c])),
        DockerOp::Stop {
            container,
            timeout_secs,
        } => {
            let mut w = Words::docker(&["stop"]);
            w.opt("-t", timeout_secs.map(|t| t.to_string()).as_deref());
            one(w.with(&[container]))
        }
        DockerOp::Rm(c) => one(Words::docker(&["rm", "-f", "-v"]).with(&[c])),
        DockerOp::Inspect(c) => one(Words::docker(&["inspect"]).with(&[c])),
        DockerOp::Logs(c) => one(Words::docker(&["logs"]).with(&[c])),
        DockerOp::Ps => one(Words::docker(&["ps", "-a"])),
        DockerOp::Pull(image) => one(Words::docker(&["pull"]).with(&[image])),
        DockerOp::Build { context, tag } => {
            one(Words::docker(&["build", "-t"]).with(&[tag, context]))
        }
        DockerOp::Images => one(Words::docker(&["image", "ls"])),
        DockerOp::Pause(c) => one(Words::docker(&["pause"]).with(&[c])),
        DockerOp::Unpause(c) => one(Words::docker(&["unpause"]).with(&[c])),
        DockerOp::Kill { container, signal } => {
            one(Words::docker(&["kill", "--signal"]).with(&[signal, container]))
        }
        DockerOp::Restart {
            container,
            timeout_secs,
        } => {
            let mut w = Words::docker(&["restart"]);
            w.opt("-t", timeout_secs.map(|t| t.to_string()).as_deref());
            one(w.with(&[container]))
        }
        DockerOp::SwarmInit(spec) => one(swarm_init(spec)),
        DockerOp::SwarmJoin(spec) => one(swarm_join(spec)),
        DockerOp::SwarmLeave { force } => {
            let mut w = Words::docker(&["swarm", "leave"]);
            w.flag("--force", force);
            one(w)
        }
        DockerOp::NodeLs => one(Words::docker(&["node", "ls"])),
        DockerOp::ServiceCreate(spec) => one(service_create(spec)),
        DockerOp::ServiceScale { service, replicas } => {
            one(Words::docker(&["service", "scale"]).with(&[&format!("{service}={replicas}")]))
        }
        DockerOp::ServiceLs => one(Words::docker(&["service", "ls"])),
        DockerOp::ServicePs(s) => one(Words::docker(&["service", "ps"]).with(&[s])),
        DockerOp::ServiceInspect(s) => one(Words::docker(&["service", "inspect"]).with(&[s])),
        DockerOp::ServiceRm(s) => one(Words::docker(&["service", "rm"]).with(&[s])),
    }
}

fn network_create(spec: &NetworkSpec) -> Words {
    let mut w = Words::docker(&["network", "create"]);
    w.opt("--driver", spec.driver.as_deref());
    w.opt("--subnet", spec.subnet.as_deref());
    // Dual stack: the CLI takes --subnet once per subnet, and gives each
    // --gateway to the subnet that contains it.
    for (extra, _) in &spec.extra_subnets {
        w.opt("--subnet", Some(extra.as_str()));
    }
    w.opt("--gateway", spec.gateway.as_deref());
    for (_, gateway) in &spec.extra_subnets {
        w.opt("--gateway", gateway.as_deref());
    }
    w.opt("--ip-range", spec.ip_range.as_deref());
    w.flag("--internal", spec.internal);
    w.flag("--attachable", spec.attachable);
    w.flag("--ipv6", spec.ipv6);
    w.pairs("--label", &spec.labels);
    w.pairs("--opt", &spec.options);
    w.with(&[&spec.name])
}

fn network_connect(network: &str, container: &str, aliases: &[String], ip: Option<&str>) -> Words {
    let mut w = Words::docker(&["network", "connect"]);
    for alias in aliases {
        w.opt("--alias", Some(alias));
    }
    w.opt("--ip", ip);
    w.with(&[network, container])
}

/// `docker run -d …`, or — since `docker run` joins one network only before
/// the process starts — `docker create`, a `docker network connect` per
/// further network, and `docker start`, which is what netrig does.
fn run(spec: &RunSpec, name: &str) -> Vec<Words> {
    let several = spec.networks.len() > 1;
    let mut w = Words::docker(if several { &["create"] } else { &["run", "-d"] });
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
    let mut lines = vec![w];
    if several {
        for network in &spec.networks[1..] {
            let aliases: &[String] = if is_builtin_network(network) {
                &[]
            } else {
                &spec.aliases
            };
            lines.push(network_connect(network, name, aliases, None));
        }
        lines.push(Words::docker(&["start"]).with(&[name]));
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

fn swarm_init(spec: &SwarmInitSpec) -> Words {
    let mut w = Words::docker(&["swarm", "init"]);
    w.opt("--advertise-addr", spec.advertise_addr.as_deref());
    w.opt("--listen-addr", spec.listen_addr.as_deref());
    w.opt("--data-path-addr", spec.data_path_addr.as_deref());
    for pool in &spec.default_addr_pool {
        w.opt("--default-addr-pool", Some(pool));
    }
    w.opt(
        "--default-addr-pool-mask-length",
        spec.subnet_size.map(|s| s.to_string()).as_deref(),
    );
    w
}

/// The CLI joins through one manager; netrig's spec may list several, the
/// first of which is the one to show.
fn swarm_join(spec: &SwarmJoinSpec) -> Words {
    let mut w = Words::docker(&["swarm", "join"]);
    w.opt("--token", Some(&spec.token));
    w.opt("--advertise-addr", spec.advertise_addr.as_deref());
    w.opt("--listen-addr", spec.listen_addr.as_deref());
    w.opt("--data-path-addr", spec.data_path_addr.as_deref());
    if let Some(manager) = spec.remote_addrs.first() {
        w.push(manager);
    }
    w
}

fn service_create(spec: &ServiceSpec) -> Words {
    let mut w = Words::docker(&["service", "create"]);
    w.opt("--name", Some(&spec.name));
    w.opt("--replicas", Some(&spec.replicas.to_string()));
    for network in &spec.networks {
        // Aliases need the long form: --network name=N,alias=A.
        let value = if spec.aliases.is_empty() {
            network.clone()
        } else {
            let aliases: Vec<String> = spec.aliases.iter().map(|a| format!("alias={a}")).collect();
            format!("name={network},{}", aliases.join(","))
        };
        w.opt("--network", Some(&value));
    }
    for p in &spec.ports {
        let proto = match p.protocol {
            Protocol::Tcp => String::new(),
            other => format!(",protocol={other}"),
        };
        let value = match p.host_port {
            Some(published) => format!("published={published},target={}{proto}", p.container_port),
            None => format!("target={}{proto}", p.container_port),
        };
        w.opt("--publish", Some(&value));
    }
    for (k, v) in &spec.env {
        w.opt("-e", Some(&format!("{k}={v}")));
    }
    // netrig labels the service and its task containers alike.
    w.pairs("--label", &spec.labels);
    w.pairs("--container-label", &spec.labels);
    for c in &spec.constraints {
        w.opt("--constraint", Some(c));
    }
    if spec.endpoint_mode == EndpointMode::Dnsrr {
        w.opt("--endpoint-mode", Some("dnsrr"));
    }
    w.opt("--hostname", spec.hostname.as_deref());
    // The service CLI splits --entrypoint like a shell, so all its words fit in one.
    if let Some(entry) = &spec.entrypoint {
        w.opt(
            "--entrypoint",
            Some(&join(entry.iter().map(String::as_str))),
        );
    }
    w.push(&spec.image);
    for word in spec.cmd.iter().flatten() {
        w.push(word);
    }
    w
}
