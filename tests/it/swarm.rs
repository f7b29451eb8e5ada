//! Beyond one machine: swarm mode, overlay networks, services and several
//! daemons in one script, against real daemons — the host's, and a second
//! `dockerd` each test starts in a network namespace of its own
//! (tests/it/support/dockerd.rs). Effects are checked from outside through
//! bollard; the swarm state after a run must equal the state before.
//!
//! The host's daemon is shared: a test that puts it into swarm mode holds
//! [`HostSwarm`], which has the daemon to itself while the test runs (no
//! other test of the suite runs meanwhile) and makes it leave the swarm
//! again however the test ends.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::RwLockWriteGuard;
use std::sync::mpsc;
use std::time::Duration;

use bollard::query_parameters::{ListContainersOptions, ListServicesOptions};

use crate::support;
use crate::support::dockerd::SecondDaemon;
use crate::support::{
    Daemon, Scenario, assert_exit, daemon, daemon_exclusive, daemon_shared, netrig, netrig_command,
    text,
};

const HOST_URL: &str = "unix:///var/run/docker.sock";

/// `inactive`, `active`, … as the daemon reports it.
fn swarm_state(d: &Daemon) -> String {
    let info = d.block(d.docker().info()).unwrap();
    info.swarm
        .and_then(|s| s.local_node_state)
        .map(|s| s.to_string())
        .unwrap_or_else(|| "inactive".into())
}

/// The swarm's node id as the daemon reports it.
fn swarm_node_id(d: &Daemon) -> String {
    let info = d.block(d.docker().info()).unwrap();
    info.swarm.and_then(|s| s.node_id).unwrap_or_default()
}

/// What swarm mode changes in a daemon's network list: `ingress`,
/// `docker_gwbridge` and overlay networks. (Other tests make and remove
/// bridges on the shared daemon at the same time; those are not compared.)
fn swarm_networks(d: &Daemon) -> BTreeSet<String> {
    d.block(d.docker().list_networks(None))
        .unwrap()
        .into_iter()
        .filter(|n| {
            let name = n.name.as_deref().unwrap_or("");
            name == "ingress" || name == "docker_gwbridge" || n.driver.as_deref() == Some("overlay")
        })
        .filter_map(|n| n.name)
        .collect()
}

/// Names of services carrying `label`.
fn services_with(d: &Daemon, label: &str) -> Vec<String> {
    let list = d.block(d.docker().list_services(Some(ListServicesOptions {
        filters: Some(HashMap::from([(
            "label".to_string(),
            vec![label.to_string()],
        )])),
        status: None,
    })));
    // A daemon outside a swarm has no services (it answers 503).
    list.map(|l| l.into_iter().filter_map(|s| s.spec?.name).collect())
        .unwrap_or_default()
}

/// Containers (name, labels) carrying `label`, on any daemon.
fn containers_labelled(d: &Daemon, label: &str) -> Vec<(String, HashMap<String, String>)> {
    d.block(d.docker().list_containers(Some(ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([(
            "label".to_string(),
            vec![label.to_string()],
        )])),
        ..Default::default()
    })))
    .unwrap()
    .into_iter()
    .map(|c| {
        let name = c
            .names
            .and_then(|n| n.into_iter().next())
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string();
        (name, c.labels.unwrap_or_default())
    })
    .collect()
}

/// Fails unless nothing carrying `label` is left on `d`: no service,
/// container or network.
fn assert_nothing_left_on(d: &Daemon, label: &str) {
    let (s, c, n) = (
        services_with(d, label),
        d.containers_with(label),
        d.networks_with(label),
    );
    assert!(
        s.is_empty() && c.is_empty() && n.is_empty(),
        "left behind for {label}: services {s:?}, containers {c:?}, networks {n:?}"
    );
}

/// The host daemon in swarm mode for one test: taken while it is outside a
/// swarm; dropping it removes what the test's label left, makes the daemon
/// leave the swarm and removes a `docker_gwbridge` that was not there before.
struct HostSwarm {
    _lock: RwLockWriteGuard<'static, ()>,
    label: String,
    gwbridge_before: bool,
}

impl HostSwarm {
    fn take(label: &str) -> HostSwarm {
        let lock = daemon_exclusive();
        let d = daemon();
        assert_eq!(
            swarm_state(d),
            "inactive",
            "the host's daemon is already in a swarm; these tests start their own and need it outside one"
        );
        HostSwarm {
            _lock: lock,
            label: label.to_string(),
            gwbridge_before: d.network_labels("docker_gwbridge").is_some(),
        }
    }
}

impl Drop for HostSwarm {
    fn drop(&mut self) {
        let d = daemon();
        for s in services_with(d, &self.label) {
            let _ = d.block(d.docker().delete_service(&s));
        }
        if swarm_state(d) != "inactive" {
            eprintln!("test guard: making the host daemon leave the swarm a failed test left");
            let _ = d.block(d.docker().leave_swarm(Some(
                bollard::query_parameters::LeaveSwarmOptions { force: true },
            )));
        }
        if !self.gwbridge_before {
            for _ in 0..50 {
                if d.network_labels("docker_gwbridge").is_none()
                    || d.block(d.docker().remove_network("docker_gwbridge"))
                        .is_ok()
                {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

/// A `netrig run` in the background whose stdout is read line by line.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn spawn(script: &std::path::Path, extra: &[&str]) -> Running {
        Running::spawn_with(script, extra, &[])
    }

    fn spawn_with(script: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> Running {
        let mut child = netrig_command()
            .envs(env.iter().copied())
            .arg("run")
            .arg(script)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Running { child, lines }
    }

    /// Waits for the script to print `ready`; fails with its output if it ends first.
    fn wait_ready(&mut self) {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(180)) {
                Ok(line) if line.trim() == "ready" => return,
                Ok(_) => {}
                Err(_) => {
                    let _ = self.child.kill();
                    let (_, stderr) = self.wait();
                    panic!("the scenario never got ready; stderr:\n{stderr}");
                }
            }
        }
    }

    /// Exit code and stderr, once it has ended.
    fn wait(&mut self) -> (Option<i32>, String) {
        let status = self.child.wait().unwrap();
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut stderr);
        }
        (status.code(), stderr)
    }
}

/// The address of `container` on `network`, as the daemon reports it.
fn ip_on(d: &Daemon, container: &str, network: &str) -> String {
    d.container(container)
        .and_then(|c| c.network_settings)
        .and_then(|s| s.networks)
        .and_then(|n| n.get(network).cloned())
        .and_then(|e| e.ip_address)
        .unwrap_or_default()
}

/// Task containers of a service on one daemon: (name, address on `network`, host name).
fn task_containers(d: &Daemon, service: &str, network: &str) -> Vec<(String, String, String)> {
    let mut tasks: Vec<(String, String, String)> =
        containers_labelled(d, &format!("com.docker.swarm.service.name={service}"))
            .into_iter()
            .map(|(name, _)| {
                let hostname = d
                    .container(&name)
                    .and_then(|c| c.config)
                    .and_then(|c| c.hostname)
                    .unwrap_or_default();
                let ip = ip_on(d, &name, network);
                (name, ip, hostname)
            })
            .collect();
    tasks.sort();
    tasks
}

/// The body of `GET /` from `target` port 8888, fetched with busybox `nc` inside `from`.
fn http_body(d: &Daemon, from: &str, target: &str) -> String {
    let (_, out) = d.exec(
        from,
        &[
            "sh",
            "-c",
            &format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {target} 8888"),
        ],
    );
    out.rsplit("\r\n\r\n")
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Addresses `name` resolves to inside `from` (Docker's DNS), sorted.
fn resolve(d: &Daemon, from: &str, name: &str) -> Vec<String> {
    let (_, out) = d.exec(from, &["nslookup", name, "127.0.0.11"]);
    let mut addrs: Vec<String> = out
        .lines()
        .skip_while(|l| !l.contains("answer"))
        .filter_map(|l| l.strip_prefix("Address:"))
        .map(|a| a.trim().to_string())
        .filter(|a| !a.contains(':'))
        .collect();
    addrs.sort();
    addrs.dedup();
    addrs
}

/// A scripts/ example, with lines appended: they let the test look at the
/// running scenario from outside before the run ends normally.
fn example(name: &str, replace: &[(&str, String)], append: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name);
    let mut source = std::fs::read_to_string(&path).unwrap();
    for (line_start, with) in replace {
        let line = source
            .lines()
            .find(|l| l.starts_with(line_start))
            .unwrap_or_else(|| panic!("{name} has no line starting {line_start:?}"))
            .to_string();
        source = source.replace(&line, with);
    }
    format!("{source}\n{append}\n")
}

#[test]
fn single_node_swarm_overlay_and_service_leave_the_daemon_as_found() {
    let s = Scenario::new(
        "i7-single-node",
        &example(
            "overlay-on-swarm.rhai",
            &[],
            "print(\"ready\");\nwait_until(|| exec(debian, \"test -e /done\").exit_code == 0, 120);",
        ),
    );
    let d = daemon();
    let swarm = HostSwarm::take(&s.label());
    let networks_before = swarm_networks(d);

    let mut run = Running::spawn(&s.path, &["--allow-host-access"]);
    run.wait_ready();

    // From outside: the swarm, the overlay, the service and its tasks.
    assert_eq!(swarm_state(d), "active");
    let net = d
        .block(d.docker().inspect_network("swarm_net", None))
        .unwrap();
    assert_eq!(net.driver.as_deref(), Some("overlay"));
    assert_eq!(net.scope.as_deref(), Some("swarm"));
    assert_eq!(net.attachable, Some(true));
    assert_eq!(services_with(d, &s.label()), vec!["ovl-web"]);
    let tasks = task_containers(d, "ovl-web", "swarm_net");
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let labelled = containers_labelled(d, &s.label());
    for (name, _, _) in &tasks {
        let labels = &labelled
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("task container {name} lacks the run's labels"))
            .1;
        assert_eq!(labels["netrig.managed"], "true");
    }
    // Two containers reach each other by name across the overlay …
    assert!(d.can_ping("ovl-debian", "ovl-jupyter"));
    assert!(d.can_ping("ovl-jupyter", "ovl-debian"));
    // … the service's name resolves to its two tasks, and answers.
    // Both sorted: tasks come in name order, addresses in any order.
    let mut task_ips: Vec<String> = tasks.iter().map(|(_, ip, _)| ip.clone()).collect();
    task_ips.sort();
    assert_eq!(resolve(d, "ovl-debian", "ovl-web"), task_ips);
    let hostnames: Vec<String> = tasks.iter().map(|(_, _, h)| h.clone()).collect();
    for (_, ip, hostname) in &tasks {
        assert_eq!(&http_body(d, "ovl-debian", ip), hostname);
    }
    let answer = http_body(d, "ovl-debian", "ovl-web");
    assert!(
        hostnames.contains(&answer),
        "{answer:?} not in {hostnames:?}"
    );

    d.exec("ovl-debian", &["touch", "/done"]);
    let (code, stderr) = run.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("removed 1 service, 4 containers, 1 network"),
        "{stderr}"
    );
    assert!(stderr.contains("left the swarm"), "{stderr}");

    // The swarm state after the run equals the state before.
    assert_eq!(swarm_state(d), "inactive");
    assert_eq!(swarm_networks(d), networks_before);
    assert_nothing_left_on(d, &s.label());
    drop(swarm);
}

#[test]
fn a_second_daemon_over_tcp_gets_its_share_and_teardown_reaches_it() {
    let _daemon = daemon_shared();
    let second = SecondDaemon::start();
    let tcp = second.tcp_url();
    let s = Scenario::new(
        "i7-tcp",
        &format!(
            r#"
let b = docker::connect("{tcp}");
assert_eq(b.url, "{tcp}");
let near_net = network::create("i7-t-near-net");
let far_net = b.network_create("i7-t-far-net");
let near = run("busybox", #{{name: "i7-t-near", network: near_net, cmd: "sleep 3600"}});
let far = b.run("busybox", #{{name: "i7-t-far", network: far_net, cmd: "sleep 3600"}});
let far2 = b.run("busybox", #{{network: far_net, cmd: "sleep 3600"}});
b.assert_reachable(far, far2);
b.assert_reachable(far2, "i7-t-far");
assert_eq(b.ps().len(), 2);
assert_eq(b.exec(far, "hostname").exit_code, 0);
assert(docker::connect("{tcp}").url == b.url);
// The far daemon gave an address in the /24 netrig's pool chose for far_net.
let o = far_net.subnet.split(".");
assert(b.ip(far).starts_with(`${{o[0]}}.${{o[1]}}.${{o[2]}}.`), `${{b.ip(far)}} in ${{far_net.subnet}}`);
// A far handle goes to its own daemon, also through the default functions …
assert_eq(far.ip(), b.ip(far));
assert_eq(exec(far, "hostname").exit_code, 0);
assert_eq(far.exec(["sh", "-c", "hostname"]).exit_code, 0);
assert_reachable(far, far2);
assert_eq(inspect(far).Name, "/i7-t-far");
// Every overload has its host form; a network handle goes home too.
assert_eq(b.ping(far, far2, 2).sent, 2);
assert_eq(network::inspect(far_net).Name, "i7-t-far-net");
// … but cannot join a network of another daemon.
try {{ near_net.connect(far); throw #{{message: "connecting a far container should have failed"}}; }}
catch (e) {{
    assert(e.message.contains("runs on {tcp}"), e.message);
    assert(e.message.contains("h.network_connect(net, ctr)"), e.message);
}}
// Each daemon draws and checks its own share of the run.
let far_graph = b.graph();
assert(far_graph.contains("i7-t-far-net") && far_graph.contains("i7-t-far"), far_graph);
assert(!far_graph.contains("i7-t-near"), far_graph);
let near_graph = graph();
assert(near_graph.contains("i7-t-near-net") && !near_graph.contains("i7-t-far"), near_graph);
b.expect_topology(#{{"i7-t-far-net": [far, far2]}});
try {{ b.expect_topology(#{{"i7-t-far-net": [far]}}); throw #{{message: "drift not seen"}}; }}
catch (e) {{ assert_eq(e.kind, "assertion", e.message); assert(e.message.contains(far2.name), e.message); }}
"#
        ),
    );
    let (host, far) = (daemon(), second.daemon());

    // Kept: each daemon has exactly its own share, under one run id.
    let out = s.run(&["--keep", "--allow-host-access"]);
    assert_exit(&out, 0);
    let stderr = text(&out).1;
    assert_eq!(host.containers_with(&s.label()), vec!["i7-t-near"]);
    assert_eq!(host.networks_with(&s.label()), vec!["i7-t-near-net"]);
    let far_containers = far.containers_with(&s.label());
    assert_eq!(far_containers.len(), 2, "{far_containers:?}");
    assert!(far_containers.contains(&"i7-t-far".to_string()));
    assert_eq!(far.networks_with(&s.label()), vec!["i7-t-far-net"]);
    assert!(host.container("i7-t-far").is_none());
    let run_ids: BTreeSet<String> = host
        .run_ids_with(&s.label())
        .into_iter()
        .chain(far.run_ids_with(&s.label()))
        .collect();
    assert_eq!(run_ids.len(), 1, "{run_ids:?}");
    let run_id = run_ids.into_iter().next().unwrap();
    // --keep says how to remove each daemon's part, and that works.
    let hint = format!("netrig clean --run {run_id} --host {tcp}");
    assert!(stderr.contains(&hint), "{stderr}");
    let out = netrig().args(["clean", "--run", &run_id]).output().unwrap();
    assert_exit(&out, 0);
    assert!(text(&out).1.contains("add --host URL"), "{}", text(&out).1);
    assert!(far.containers_with(&s.label()).len() == 2);
    let out = netrig()
        .args(["clean", "--run", &run_id, "--host", &tcp])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(text(&out).1.contains("removed 2 containers, 1 network"));
    assert_nothing_left_on(host, &s.label());
    assert_nothing_left_on(far, &s.label());

    // Not kept: the run's own teardown reaches both daemons.
    let out = s.run(&["--allow-host-access"]);
    assert_exit(&out, 0);
    assert!(
        text(&out)
            .1
            .contains("removed 3 containers, 2 networks on 2 daemons"),
        "{}",
        text(&out).1
    );
    assert_nothing_left_on(host, &s.label());
    assert_nothing_left_on(far, &s.label());
}

#[test]
fn two_node_swarm_overlay_reaches_across_daemons() {
    let second = SecondDaemon::start();
    // scripts/overlay-two-hosts.rhai, pointed at the host's daemon and the
    // second one with --set, as its header tells a user to.
    let s = Scenario::new(
        "i7-two-node",
        &example(
            "overlay-two-hosts.rhai",
            &[],
            "print(\"ready\");\nwait_until(|| a.exec(left, \"test -e /done\").exit_code == 0, 120);",
        ),
    );
    let settings = [
        format!("host_a={HOST_URL}"),
        format!("addr_a={}", second.host_addr),
        format!("host_b={}", second.url),
        format!("addr_b={}", second.addr),
    ];
    let (host, far) = (daemon(), second.daemon());
    let swarm = HostSwarm::take(&s.label());
    let host_networks_before = swarm_networks(host);
    assert!(swarm_networks(far).is_empty());

    let mut args = vec!["--allow-host-access"];
    for setting in &settings {
        args.extend(["--set", setting.as_str()]);
    }
    let mut run = Running::spawn(&s.path, &args);
    run.wait_ready();

    // Two nodes in one swarm; each daemon runs its own container and one task.
    assert_eq!(swarm_state(host), "active");
    assert_eq!(swarm_state(far), "active");
    assert!(host.container("span-left").is_some() && host.container("span-right").is_none());
    assert!(far.container("span-right").is_some() && far.container("span-left").is_none());
    assert_eq!(task_containers(host, "span-web", "span_net").len(), 1);
    assert_eq!(task_containers(far, "span-web", "span_net").len(), 1);
    // Each reaches the other by name over the overlay, seen from outside.
    assert!(host.can_ping("span-left", "span-right"));
    assert!(far.can_ping("span-right", "span-left"));
    let right_ip = ip_on(far, "span-right", "span_net");
    assert_eq!(resolve(host, "span-left", "span-right"), vec![right_ip]);

    host.exec("span-left", &["touch", "/done"]);
    let (code, stderr) = run.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("removed 1 service, 4 containers, 1 network on 2 daemons"),
        "{stderr}"
    );

    // Both daemons left the swarm, and nothing of the run is on either.
    assert_eq!(swarm_state(host), "inactive");
    assert_eq!(swarm_state(far), "inactive");
    assert_eq!(swarm_networks(host), host_networks_before);
    assert!(swarm_networks(far).is_empty(), "{:?}", swarm_networks(far));
    assert_nothing_left_on(host, &s.label());
    assert_nothing_left_on(far, &s.label());
    drop(swarm);

    // The second daemon, its namespace and its files go with the fixture.
    let (netns, dir, pid) = (
        second.netns.clone(),
        second.dir().to_path_buf(),
        second.pid(),
    );
    drop(second);
    assert!(!std::path::Path::new(&format!("/run/netns/{netns}")).exists());
    assert!(!dir.exists(), "{} is still there", dir.display());
    assert!(!std::path::Path::new(&format!("/proc/{}", pid.unwrap())).exists());
}

#[test]
fn a_swarm_the_run_did_not_start_is_left_alone_and_one_it_did_is_left() {
    let _daemon = daemon_shared();
    let second = SecondDaemon::start();
    let (d, url, addr) = (second.daemon(), second.url.clone(), second.addr.clone());

    // A run that starts a swarm and leaves it itself: no trace, no gwbridge.
    let s = Scenario::new(
        "i7-own-swarm",
        &format!(
            r#"
let s = swarm::init(#{{advertise_addr: "{addr}"}});
assert(s.worker_token.starts_with("SWMTKN-"));
assert_eq(s.addr, "{addr}:2377");
assert(swarm::active());
swarm::leave();
assert(!swarm::active());
"#
        ),
    );
    let out = s.run(&["--host", &url, "--allow-host-access"]);
    assert_exit(&out, 0);
    assert_eq!(swarm_state(d), "inactive");
    assert!(swarm_networks(d).is_empty(), "{:?}", swarm_networks(d));

    // A swarm that was there before: used, not left, not re-initialised.
    d.block(d.docker().init_swarm(bollard::models::SwarmInitRequest {
        listen_addr: Some(format!("{addr}:2377")),
        advertise_addr: Some(addr.clone()),
        ..Default::default()
    }))
    .unwrap();
    let node = swarm_node_id(d);
    let s = Scenario::new(
        "i7-their-swarm",
        r#"
assert(swarm::active());
try { swarm::init(); throw "init should have failed"; }
catch (e) { assert_eq(e.kind, "conflict"); assert(e.message.contains("already in a swarm")); }
let ovl = network::create("i7-p-ovl", #{driver: "overlay", attachable: true});
let c = run("busybox", #{name: "i7-p-c", network: ovl, cmd: "sleep 3600"});
let web = service::create("i7-p-web", #{image: "busybox", network: ovl, cmd: "sleep 3600"});
let db = service::create("i7-p-db", #{image: "busybox", replicas: 2, network: ovl, cmd: "sleep 3600"});
service::scale(web, 3);
assert_eq(service::ps(web).filter(|t| t.desired_state == "running" && t.state == "running").len(), 3);
assert_eq(service::ls().map(|s| s.running), [2, 3]);
let gone = service::create("i7-p-gone", #{image: "busybox", cmd: "sleep 3600"});
service::rm(gone);
assert_eq(ps(#{label: "com.docker.swarm.service.name=i7-p-gone", all: true}).len(), 0);
try {
    service::create("i7-p-bad", #{image: "i7-no-such-image:never"});
    throw #{message: "a service without its image should fail"};
} catch (e) {
    assert_eq(e.kind, "failed", e.message);
    assert(e.message.contains("task i7-p-bad.1"), e.message);
}
"#,
    );
    let out = s.run(&["--host", &url, "--allow-host-access"]);
    assert_exit(&out, 0);
    let stderr = text(&out).1;
    assert!(!stderr.contains("left the swarm"), "{stderr}");
    // Three services at once, and their task containers with them.
    assert!(
        stderr.contains("removed 3 services, 6 containers, 1 network"),
        "{stderr}"
    );
    assert_eq!(swarm_state(d), "active");
    assert_eq!(swarm_node_id(d), node);
    assert_nothing_left_on(d, &s.label());
    assert_eq!(
        swarm_networks(d),
        BTreeSet::from(["docker_gwbridge".to_string(), "ingress".to_string()])
    );
    d.block(
        d.docker()
            .leave_swarm(Some(bollard::query_parameters::LeaveSwarmOptions {
                force: true,
            })),
    )
    .unwrap();
    d.block(d.docker().remove_network("docker_gwbridge"))
        .unwrap();

    // --keep keeps the swarm too, says how to leave it, and `netrig clean` can.
    let s = Scenario::new(
        "i7-kept-swarm",
        &format!("swarm::init(#{{advertise_addr: \"{addr}\"}});\n"),
    );
    let out = s.run(&["--host", &url, "--keep", "--allow-host-access"]);
    assert_exit(&out, 0);
    let stderr = text(&out).1;
    assert!(
        stderr.contains(&format!(
            "kept the swarm this run started or joined on {url}; leave it with: docker -H {url} swarm leave --force"
        )),
        "{stderr}"
    );
    assert_eq!(swarm_state(d), "active");
    let out = netrig().args(["clean", "--host", &url]).output().unwrap();
    assert_exit(&out, 0);
    assert!(text(&out).1.contains("left the swarm"), "{}", text(&out).1);
    assert_eq!(swarm_state(d), "inactive");
    assert!(swarm_networks(d).is_empty(), "{:?}", swarm_networks(d));

    // A run killed with SIGKILL cannot leave its swarm: its reaper does, and
    // with the reaper off, `netrig clean` does.
    let killed = |tag: &str, reaper: &str| -> Scenario {
        let s = Scenario::new(
            tag,
            &format!(
                r#"
swarm::init(#{{advertise_addr: "{addr}"}});
let ovl = network::create("{tag}-ovl", #{{driver: "overlay", attachable: true}});
service::create("{tag}-web", #{{image: "busybox", network: ovl, cmd: "sleep 3600"}});
print("ready");
sleep(300);
"#
            ),
        );
        let mut run = Running::spawn_with(
            &s.path,
            &["--host", &url, "--allow-host-access"],
            &[("NETRIG_REAPER", reaper)],
        );
        run.wait_ready();
        let _ = Command::new("kill")
            .args(["-KILL", &run.child.id().to_string()])
            .status();
        let _ = run.wait();
        s
    };

    let s = killed("i7-reaped", "on");
    assert!(
        d.wait_for(60, || swarm_state(d) == "inactive"),
        "the reaper did not leave the swarm"
    );
    assert!(
        d.wait_for(30, || swarm_networks(d).is_empty()),
        "{:?}",
        swarm_networks(d)
    );
    assert_nothing_left_on(d, &s.label());

    let s = killed("i7-killed", "off");
    assert_eq!(swarm_state(d), "active");
    assert_eq!(services_with(d, &s.label()), vec!["i7-killed-web"]);
    let out = netrig().args(["clean", "--host", &url]).output().unwrap();
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("i7-killed-web"), "{stdout}");
    assert!(
        stderr.contains("removed 1 service, 1 container, 1 network"),
        "{stderr}"
    );
    assert!(stderr.contains("left the swarm"), "{stderr}");
    assert_eq!(swarm_state(d), "inactive");
    assert!(swarm_networks(d).is_empty(), "{:?}", swarm_networks(d));
    assert_nothing_left_on(d, &s.label());
}

#[test]
fn swarm_and_host_mistakes_are_named_with_their_line() {
    // Shared: no test holds the host in swarm mode meanwhile.
    let _daemon = daemon_shared();
    assert_eq!(swarm_state(daemon()), "inactive");
    let cases: &[(&str, &str, i32, &[&str])] = &[
        (
            "i7-e-connect-forbidden",
            "let x = 1;\nlet b = docker::connect(\"tcp://127.0.0.1:9\");\n",
            1,
            &[
                "docker::connect()",
                "reaches another Docker daemon",
                "--allow-host-access",
                ":2:",
            ],
        ),
        (
            "i7-e-init-forbidden",
            "swarm::init();\n",
            1,
            &[
                "swarm::init()",
                "other machines can join (listening on 0.0.0.0:2377)",
                "--allow-host-access",
                ":1:",
            ],
        ),
        (
            "i7-e-service",
            "let x = 1;\nservice::create(\"i7-e-web\", #{image: \"busybox\"});\n",
            1,
            &["service::create()", "not a swarm manager", ":2:"],
        ),
        (
            "i7-e-leave",
            "swarm::leave();\n",
            1,
            &["swarm::leave()", "not part of a swarm", ":1:"],
        ),
        (
            "i7-e-join",
            "\nswarm::join(#{remote: \"10.0.0.1\"});\n",
            1,
            &["swarm::join()", "\"token\" is missing", ":2:"],
        ),
        (
            "i7-e-join-host",
            "let a = docker::connect();\nswarm::join(a);\n",
            1,
            &["swarm::join()", "manages no swarm", ":2:"],
        ),
        (
            "i7-e-service-opts",
            "service::create(\"i7-e-web\", #{image: \"busybox\", replica: 2});\n",
            1,
            &["service::create()", "did you mean \"replicas\"?", ":1:"],
        ),
        (
            "i7-e-connect",
            "let x = 1;\nlet b = docker::connect(\"tcp://127.0.0.1:9\");\n",
            3,
            &[
                "docker::connect()",
                "cannot reach the Docker daemon at tcp://127.0.0.1:9",
                ":2:",
            ],
        ),
        (
            "i7-e-connect-type",
            "docker::connect(42);\n",
            1,
            &["docker::connect()", "must be a string", ":1:"],
        ),
    ];
    for (name, source, code, wanted) in cases {
        let s = Scenario::new(name, source);
        let extra: &[&str] = if name.ends_with("-forbidden") {
            &[]
        } else {
            &["--allow-host-access"]
        };
        let out = s.run(extra);
        assert_exit(&out, *code);
        let stderr = text(&out).1;
        for w in *wanted {
            assert!(stderr.contains(w), "{name}: {w:?} missing from\n{stderr}");
        }
        s.assert_nothing_left();
    }
    assert_eq!(swarm_state(daemon()), "inactive");
}

/// An sshd on 127.0.0.1 with throwaway keys, and an `ssh` wrapper that
/// points the client at them: what `ssh://` needs, without touching the
/// machine's own ssh setup. The remote side runs `docker system
/// dial-stdio`, so over it the host's daemon answers.
struct Sshd {
    dir: tempfile::TempDir,
    child: Child,
}

impl Sshd {
    fn start() -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        let p = |name: &str| dir.path().join(name).display().to_string();
        for key in ["host_key", "client_key"] {
            let out = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f", &p(key)])
                .output()
                .expect("ssh-keygen (openssh-client) is needed");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::fs::copy(p("client_key.pub"), p("authorized_keys")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::write(
            p("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
                 PermitRootLogin prohibit-password\nPasswordAuthentication no\nStrictModes no\n\
                 UsePAM no\nPidFile {}\n",
                p("host_key"),
                p("authorized_keys"),
                p("sshd.pid")
            ),
        )
        .unwrap();
        std::fs::write(
            p("ssh_config"),
            format!(
                "Host nr7-ssh\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {}\n  \
                 IdentitiesOnly yes\n  UserKnownHostsFile {}\n  StrictHostKeyChecking accept-new\n",
                p("client_key"),
                p("known_hosts")
            ),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        let wrapper = dir.path().join("bin/ssh");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec /usr/bin/ssh -F {} \"$@\"\n",
                p("ssh_config")
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        // sshd's privilege separation directory; the package's service makes it.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f", &p("sshd_config")])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(p("sshd.log")).unwrap())
            .spawn()
            .expect("sshd (openssh-server) is needed: see .ci/run");
        let up = daemon().wait_for(20, || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(
            up,
            "sshd did not listen: {}",
            std::fs::read_to_string(p("sshd.log")).unwrap_or_default()
        );
        Sshd { dir, child }
    }

    /// PATH with the wrapper first.
    fn path(&self) -> String {
        format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_daemon_over_ssh() {
    let _daemon = daemon_shared();
    let sshd = Sshd::start();
    let s = Scenario::new(
        "i7-ssh",
        r#"
let b = docker::connect("ssh://nr7-ssh");
assert_eq(b.url, "ssh://nr7-ssh");
let net = b.network_create("i7-ssh-net");
let c = b.run("busybox", #{name: "i7-ssh-c", network: net, cmd: "sleep 3600"});
assert_eq(b.exec(c, "hostname").exit_code, 0);
assert_eq(b.ps(#{name: "i7-ssh-c"}).len(), 1);
"#,
    );
    let d = daemon();
    let run = |extra: &[&str]| {
        netrig()
            .env("PATH", sshd.path())
            .arg("run")
            .arg(&s.path)
            .arg("--allow-host-access")
            .args(extra)
            .output()
            .unwrap()
    };
    // Kept: what went through ssh is on the daemon at its other end.
    let out = run(&["--keep"]);
    assert_exit(&out, 0);
    assert_eq!(d.containers_with(&s.label()), vec!["i7-ssh-c"]);
    assert_eq!(d.network_members("i7-ssh-net"), vec!["i7-ssh-c"]);
    support::clean_runs_with(&s.label());
    s.assert_nothing_left();
    // Not kept: teardown goes through ssh too.
    let out = run(&[]);
    assert_exit(&out, 0);
    assert!(
        text(&out).1.contains("removed 1 container, 1 network"),
        "{}",
        text(&out).1
    );
    s.assert_nothing_left();
    // netrig's ssh forward ended with netrig: no ssh client of this test is left.
    let config = sshd.dir.path().join("ssh_config").display().to_string();
    let left = Command::new("pgrep")
        .args(["-f", &config])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "ssh processes left: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

#[test]
fn an_ssh_daemon_that_cannot_be_reached_says_what_ssh_said() {
    let _daemon = daemon_shared();
    let sshd = Sshd::start();
    let s = Scenario::new(
        "i7-ssh-bad",
        "let x = 1;\nlet b = docker::connect(\"ssh://nobody-here@nr7-ssh\");\n",
    );
    let out = netrig()
        .env("PATH", sshd.path())
        .arg("run")
        .arg(&s.path)
        .arg("--allow-host-access")
        .output()
        .unwrap();
    assert_exit(&out, 3);
    let stderr = text(&out).1;
    assert!(stderr.contains("docker::connect()"), "{stderr}");
    assert!(stderr.contains("ssh: "), "{stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    assert!(stderr.contains(":2:"), "{stderr}");
}
