//! Every scripts/ file (the seed tutorial) runs green against the real
//! daemon, its effects are checked from outside with --keep, and nothing
//! remains afterwards.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use crate::support::{
    LabelGuard, assert_exit, assert_nothing_left, clean_runs_with, daemon, daemon_shared, netrig,
    script_label, text,
};

/// The seed scripts use fixed names (my_net, app, port 8888): one at a time.
pub(crate) static SERIAL: Mutex<()> = Mutex::new(());

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name)
}

/// Runs a seed script; with `keep`, leaves its resources for the caller to
/// check (the guard removes them should the check fail).
fn run_seed(name: &str, keep: bool) -> (LabelGuard, std::process::Output) {
    let path = script(name);
    let label = script_label(&path);
    daemon().remove_all_with(&label);
    let mut cmd = netrig();
    cmd.arg("run").arg(&path);
    if keep {
        cmd.arg("--keep");
    }
    let out = cmd.output().unwrap();
    (LabelGuard(label), out)
}

/// Runs a seed script without --keep: it passes and leaves nothing.
fn passes_and_leaves_nothing(name: &str) {
    let (guard, out) = run_seed(name, false);
    assert_exit(&out, 0);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("passed"), "{stderr}");
    assert_nothing_left(&guard.0);
}

/// Cleans up a kept run through `netrig clean`, then checks nothing is left.
fn clean_kept(guard: &LabelGuard) {
    clean_runs_with(&guard.0);
    assert_nothing_left(&guard.0);
}

#[test]
fn default_networks() {
    let _daemon = daemon_shared();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    passes_and_leaves_nothing("01-default-networks.rhai");

    let (guard, out) = run_seed("01-default-networks.rhai", true);
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    for net in ["bridge", "host", "none"] {
        assert!(
            stdout.contains(net),
            "network ls output lacks {net}: {stdout}"
        );
    }
    let d = daemon();
    assert_eq!(d.container_networks("alone"), vec!["none"]);
    let (_, links) = d.exec("alone", &["ip", "-o", "link"]);
    assert!(!links.contains("eth0"), "{links}");
    clean_kept(&guard);
}

#[test]
fn publishing_a_port_answers_on_the_host() {
    let _daemon = daemon_shared();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    passes_and_leaves_nothing("02-publish-a-port.rhai");

    let (guard, out) = run_seed("02-publish-a-port.rhai", true);
    assert_exit(&out, 0);
    // From the host, through the published port.
    let body = http_get("127.0.0.1:8888");
    assert!(body.contains("hello from netrig"), "{body}");
    // The first, unpublished app was removed by the script itself.
    let d = daemon();
    let left = d.containers_with(&guard.0);
    assert!(left.contains(&"notebook".to_string()), "{left:?}");
    assert_eq!(
        left.len(),
        2,
        "notebook and the probe, not the first app: {left:?}"
    );
    clean_kept(&guard);
    assert!(
        std::net::TcpStream::connect("127.0.0.1:8888").is_err(),
        "port 8888 still answers after clean"
    );
}

#[test]
fn bridge_network_ips() {
    let _daemon = daemon_shared();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    passes_and_leaves_nothing("03-bridge-ips.rhai");

    let (guard, out) = run_seed("03-bridge-ips.rhai", true);
    assert_exit(&out, 0);
    let d = daemon();
    let app = d.container("app").unwrap();
    let ip = app.network_settings.unwrap().networks.unwrap()["bridge"]
        .ip_address
        .clone()
        .unwrap();
    assert!(
        text(&out).0.contains(&format!("app: {ip}/")),
        "inspect output names app's IP"
    );
    assert!(d.can_ping("visitor", &ip), "visitor reaches app by IP");
    assert!(
        !d.can_ping("visitor", "app"),
        "visitor must not resolve app on the default bridge"
    );
    clean_kept(&guard);
}

#[test]
fn user_network_resolves_names() {
    let _daemon = daemon_shared();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    passes_and_leaves_nothing("04-user-network-dns.rhai");

    let (guard, out) = run_seed("04-user-network-dns.rhai", true);
    assert_exit(&out, 0);
    let d = daemon();
    let labels = d.network_labels("my_net").expect("my_net exists");
    assert_eq!(labels["netrig.managed"], "true");
    assert_eq!(
        labels["netrig.script"],
        script("04-user-network-dns.rhai").display().to_string()
    );
    assert_eq!(d.network_members("my_net"), vec!["debian", "jupyter"]);
    assert!(d.can_ping("debian", "jupyter"));
    clean_kept(&guard);
    assert!(
        d.network_labels("my_net").is_none(),
        "my_net removed by clean"
    );
}

#[test]
fn several_networks_layers() {
    let _daemon = daemon_shared();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    passes_and_leaves_nothing("05-several-networks.rhai");

    let (guard, out) = run_seed("05-several-networks.rhai", true);
    assert_exit(&out, 0);
    let d = daemon();
    assert_eq!(d.container_networks("api"), vec!["back", "front"]);
    assert_eq!(
        d.container_networks("client"),
        vec!["front"],
        "disconnected again at the end"
    );
    assert!(d.can_ping("api", "client") && d.can_ping("api", "db"));
    assert!(!d.can_ping("client", "db"));
    let db_ip = d
        .container("db")
        .unwrap()
        .network_settings
        .unwrap()
        .networks
        .unwrap()["back"]
        .ip_address
        .clone()
        .unwrap();
    assert!(
        !d.can_ping("client", &db_ip),
        "isolated by address too, not only by name"
    );
    clean_kept(&guard);
}

fn http_get(addr: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut body = String::new();
    let _ = stream.read_to_string(&mut body);
    body
}

#[test]
fn three_tiers_checked_port_by_port() {
    let _daemon = daemon_shared();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (guard, out) = run_seed("06-three-tiers-by-port.rhai", false);
    assert_exit(&out, 0);
    let (stdout, _) = crate::support::text(&out);
    // The table the script prints: the web tier reaches the API, not the db.
    let row = |from: &str, to: &str| {
        stdout
            .lines()
            .find(|l| l.contains(from) && l.contains(to))
            .unwrap_or_else(|| panic!("no row {from} -> {to}: {stdout}"))
            .to_string()
    };
    assert!(
        row("tiers-web", "tiers-api:8080").contains("open"),
        "{stdout}"
    );
    assert!(
        row("tiers-web", "tiers-db:5432").contains("no_such_name"),
        "{stdout}"
    );
    assert!(
        row("tiers-api", "tiers-db:5432").contains("open"),
        "{stdout}"
    );
    crate::support::assert_nothing_left(&guard.0);
}
