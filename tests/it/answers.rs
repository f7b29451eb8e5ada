//! Answers that tell the truth (issue 14): a container that is not running
//! is named as such by every call that uses it, `netrig test` counts what
//! it ran the way the console and JUnit both say, the reachability matrix
//! pings once and can go by address, and the options people reach for
//! (dual-stack networks, `sh`, every published port, the run id in a file).

use std::time::{Duration, Instant};

use crate::support::{
    LabelGuard, Scenario, assert_exit, daemon, daemon_shared, netrig, script_label, text,
};

/// Runs a scenario that must pass; returns its stdout.
fn passes(s: &Scenario) -> String {
    let out = s.run(&[]);
    assert_exit(&out, 0);
    s.assert_nothing_left();
    text(&out).0
}

// ── a container that is not running ─────────────────────────────────────

#[test]
fn ip_of_an_exited_container_names_its_exit_code_and_log() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "exited-ip",
        r#"let net = network::create("ans-x1-net");
let c = run("busybox", #{name: "ans-x1", network: net,
    cmd: ["sh", "-c", "echo starting up; echo bad config on line 3 >&2; exit 3"]});
sleep(1);
print(`address: "${c.ip()}"`);
"#,
    );
    let out = s.run(&[]);
    assert_exit(&out, 1);
    s.assert_nothing_left();
    let (stdout, stderr) = text(&out);
    assert!(!stdout.contains("address"), "ip() returned: {stdout}");
    assert!(
        stderr.contains("ip(): container ans-x1 is not running (exited with code 3)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("starting up") && stderr.contains("bad config on line 3"),
        "the log's last lines: {stderr}"
    );
    assert!(stderr.contains(":5:"), "the position of the call: {stderr}");
}

#[test]
fn wait_until_stops_at_once_when_the_container_has_exited() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "exited-wait",
        r#"let net = network::create("ans-x2-net");
let c = run("busybox", #{name: "ans-x2", network: net,
    cmd: ["sh", "-c", "sleep 0.5; echo no ready file today; exit 4"]});
wait_until(|| exec(c, "cat /ready").exit_code == 0, 30);
"#,
    );
    let started = Instant::now();
    let out = s.run(&[]);
    assert_exit(&out, 1);
    s.assert_nothing_left();
    let stderr = text(&out).1;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "wait_until waited for a container that had exited: {stderr}"
    );
    assert!(
        stderr.contains("container ans-x2 is not running (exited with code 4)")
            && stderr.contains("no ready file today"),
        "{stderr}"
    );
}

/// Every call that needs a running container says it exited, with its code
/// and its log, whatever form it takes (a handle, a name, a target, a batch).
#[test]
fn every_call_that_uses_an_exited_container_says_so() {
    let _daemon = daemon_shared();
    let calls = [
        "exec",
        "sh",
        "ip",
        "port",
        "ping_from",
        "ping_to",
        "ping_name",
        "reachable",
        "assert_reachable",
        "connect",
        "ping_all",
        "exec_all",
        "matrix",
    ];
    let s = Scenario::new(
        "exited-calls",
        r#"import "std/reach" as reach;
let net = network::create("ans-x3-net");
let other = network::create("ans-x3-other");
let peer = run("busybox", #{name: "ans-x3-peer", network: net, cmd: "sleep 300"});
let c = run("busybox", #{name: "ans-x3", network: net, ports: ["127.0.0.1::80"],
    cmd: ["sh", "-c", "echo hello from x3; echo config broken >&2; exit 7"]});
sleep(1);
let calls = #{
    exec: || exec(c, "true"),
    sh: || sh(c, "true"),
    ip: || c.ip(),
    port: || c.port(80),
    ping_from: || ping(c, peer, 1),
    ping_to: || ping(peer, c, 1),
    ping_name: || ping(peer, "ans-x3", 1),
    reachable: || reachable(peer, c),
    assert_reachable: || assert_reachable(c, peer),
    connect: || network::connect(other, c),
    ping_all: || ping_all([[peer, c]], 1),
    exec_all: || exec_all([[c, "true"]]),
    matrix: || reach::matrix([peer, c]),
};
for k in calls.keys() {
    try {
        calls[k].call();
        print(`${k}: no error`);
    } catch (e) {
        print(`${k}: ${e.kind}: ${e.message.split("\n")[0]}`);
        if e.message.contains("config broken") && e.message.contains("hello from x3") { print(`${k}: log shown`); }
    }
}
// Functions that need no running container still work.
assert(logs(c).contains("config broken"));
assert_eq(inspect(c).State.ExitCode, 7);
"#,
    );
    let stdout = passes(&s);
    for call in calls {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{call}: ")))
            .unwrap_or_else(|| panic!("no line for {call}: {stdout}"));
        assert!(
            line.contains("not_running: ")
                && line.contains("container ans-x3 is not running (exited with code 7)"),
            "{call}: {line}\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("{call}: log shown")),
            "{call} shows the log's tail: {stdout}"
        );
    }
}

// ── netrig test: filters and counts ──────────────────────────────────────

/// Scenario files in a temporary directory, removed with what they made.
struct Suite {
    dir: tempfile::TempDir,
    _guards: Vec<LabelGuard>,
}

impl Suite {
    fn new(files: &[(&str, &str)]) -> Suite {
        daemon();
        let dir = tempfile::tempdir().unwrap();
        let mut guards = Vec::new();
        for (name, source) in files {
            let path = dir.path().join(name);
            std::fs::write(&path, source).unwrap();
            guards.push(LabelGuard(script_label(&path)));
        }
        Suite {
            dir,
            _guards: guards,
        }
    }

    fn test(&self, extra: &[&str]) -> std::process::Output {
        netrig()
            .arg("test")
            .arg(self.dir.path())
            .args(extra)
            .output()
            .unwrap()
    }
}

#[test]
fn a_filter_that_matches_nothing_is_a_usage_error() {
    let _daemon = daemon_shared();
    let suite = Suite::new(&[
        ("alpha.rhai", "//! tags: smoke\nassert(true);\n"),
        ("beta.rhai", "assert(true);\n"),
    ]);
    let out = suite.test(&["--filter", "gamma"]);
    assert_exit(&out, 2);
    let (stdout, stderr) = text(&out);
    assert!(
        stderr.contains("--filter") && stderr.contains("gamma") && stderr.contains("2 scenarios"),
        "says what matched nothing among what: {stderr}"
    );
    assert!(
        !stdout.contains("passed"),
        "no summary of nothing: {stdout}"
    );
    // Several filters: a scenario runs when any of them matches.
    let out = suite.test(&["--filter", "alpha", "--filter", "beta"]);
    assert_exit(&out, 0);
    let stdout = text(&out).0;
    assert!(
        stdout.lines().any(|l| l == "2 passed, 0 failed"),
        "{stdout}"
    );
    let out = suite.test(&["--filter", "smoke", "--filter", "gamma"]);
    assert_exit(&out, 0);
    let stdout = text(&out).0;
    assert!(
        stdout
            .lines()
            .any(|l| l == "1 passed, 0 failed, 1 filtered out"),
        "{stdout}"
    );
}

#[test]
fn errors_are_counted_apart_from_failures_in_the_console_and_junit() {
    let _daemon = daemon_shared();
    let suite = Suite::new(&[
        ("a.rhai", "assert(true);\n"),
        ("b.rhai", "assert_eq(1, 1);\n"),
        ("c.rhai", "assert(false, \"a check that does not hold\");\n"),
        ("d.rhai", "network::inspect(\"ans-no-such-network\");\n"),
        ("e.rhai", "//! tags: elsewhere\nassert(true);\n"),
    ]);
    let junit = suite.dir.path().join("report.xml");
    let out = suite.test(&[
        "--filter",
        "a.rhai",
        "--filter",
        "b.rhai",
        "--filter",
        "c.rhai",
        "--filter",
        "d.rhai",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_exit(&out, 1);
    let stdout = text(&out).0;
    assert!(
        stdout
            .lines()
            .any(|l| l == "2 passed, 1 failed, 1 error, 1 filtered out"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let suite = &report.test_suites[0];
    assert_eq!(
        (suite.tests, suite.failures, suite.errors, suite.skipped),
        (4, 1, 1, 0),
        "the console's counts: {xml}"
    );
    assert_eq!(
        (report.tests, report.failures, report.errors),
        (4, 1, 1),
        "{xml}"
    );
}

// ── the reachability matrix ──────────────────────────────────────────────

/// ICMP echo requests a container's kernel has answered so far.
fn echoes_answered(container: &str) -> u64 {
    let (_, snmp) = daemon().exec(container, &["cat", "/proc/net/snmp"]);
    let mut icmp = snmp.lines().filter(|l| l.starts_with("Icmp:"));
    let (names, values) = (icmp.next().unwrap(), icmp.next().unwrap());
    let column = names
        .split_whitespace()
        .position(|n| n == "InEchos")
        .unwrap();
    values
        .split_whitespace()
        .nth(column)
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn print_matrix_pings_each_pair_once_and_prints_what_it_returns() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "matrix-once",
        r#"import "std/reach" as reach;
let net = network::create("ans-m1-net");
let a = run("busybox", #{name: "ans-m1-a", network: net, cmd: "sleep 300"});
let b = run("busybox", #{name: "ans-m1-b", network: net, cmd: "sleep 300"});
let m = reach::print_matrix([a, b]);
print(`returned: ${m["ans-m1-a"]["ans-m1-b"]} ${m["ans-m1-b"]["ans-m1-a"]}`);
"#,
    );
    let out = s.run(&["--keep"]);
    let _cleanup = LabelGuard(s.label());
    assert_exit(&out, 0);
    let stdout = text(&out).0;
    assert!(stdout.contains("returned: true true"), "{stdout}");
    assert_eq!(
        (echoes_answered("ans-m1-a"), echoes_answered("ans-m1-b")),
        (1, 1),
        "one ping each way, for the table and the map alike"
    );
}

#[test]
fn the_matrix_goes_by_address_on_the_default_bridge() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "matrix-by-ip",
        r#"import "std/reach" as reach;
// On Docker's default bridge there is no DNS: names do not resolve, addresses work.
let a = run("busybox", #{name: "ans-m2-a", cmd: "sleep 300"});
let b = run("busybox", #{name: "ans-m2-b", cmd: "sleep 300"});
let by_name = reach::matrix([a, b]);
let by_ip = reach::print_matrix([a, b], #{by: "ip"});
print(`by name: ${by_name["ans-m2-a"]["ans-m2-b"]}, by ip: ${by_ip["ans-m2-a"]["ans-m2-b"]} ${by_ip["ans-m2-b"]["ans-m2-a"]}`);
print(reach::matrix_table([a, b], #{by: "ip"}));
try { reach::matrix([a, b], #{by: "mac"}); } catch (e) { print(`bad by: ${e}`); }
"#,
    );
    let stdout = passes(&s);
    assert!(
        stdout.contains("by name: false, by ip: true true"),
        "{stdout}"
    );
    assert!(
        stdout.contains("bad by:") && stdout.contains("\"name\" or \"ip\""),
        "{stdout}"
    );
}

// ── options people reach for ─────────────────────────────────────────────

#[test]
fn dual_stack_networks_give_each_container_both_addresses() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "dual-stack",
        r#"let net = network::create("ans-v6-net", #{subnet: ["10.237.14.0/24", "fd14:14::/64"]});
let other = network::create("ans-v6-other", #{subnet: "10.237.15.0/24"});
let c = run("busybox", #{name: "ans-v6", network: [net, other], cmd: "sleep 300"});
print(`v4=${c.ip(net)} v6=${c.ip6(net)} v6name=${c.ip6("ans-v6-net")}`);
try { c.ip6(other); } catch (e) { print(`no v6: ${e.kind}: ${e.message}`); }
try { c.ip6(); } catch (e) { print(`which: ${e.kind}: ${e.message}`); }
// ping's family: a name resolves to that family only; an address of the other one fails.
let peer = run("busybox", #{name: "ans-v6-peer", network: net, cmd: "sleep 300"});
let v4 = peer.ip(net);
let v6 = peer.ip6(net);
print(`by name: v4 ${ping(c, "ans-v6-peer", 1, #{family: 4}).ok} v6 ${ping(c, "ans-v6-peer", #{family: 6}).ok}`);
print(`by address: v6 ${ping(c, v6, 1).ok} v6-as-4 ${ping(c, v6, 1, #{family: 4}).ok} v4-as-6 ${ping(c, v4, 1, #{family: 6}).ok}`);
try { ping(c, peer, 1, #{family: 5}); } catch (e) { print(`bad family: ${e.message}`); }
for bad in ["fd14::/129", "fd14:::1/64", ["10.237.16.0/24", 5]] {
    try { network::create("ans-v6-bad", #{subnet: bad}); } catch (e) { print(`bad: ${e.message}`); }
}
"#,
    );
    let out = s.run(&["--keep"]);
    let _cleanup = LabelGuard(s.label());
    assert_exit(&out, 0);
    let stdout = text(&out).0;
    // From outside: the network has both pools, the container both addresses.
    let d = daemon();
    let c = d.container("ans-v6").unwrap();
    let ep = c.network_settings.unwrap().networks.unwrap()["ans-v6-net"].clone();
    let (v4, v6) = (ep.ip_address.unwrap(), ep.global_ipv6_address.unwrap());
    assert!(
        v4.starts_with("10.237.14.") && v6.starts_with("fd14:14::"),
        "{v4} {v6}"
    );
    assert!(
        stdout.contains(&format!("v4={v4} v6={v6} v6name={v6}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("no v6: not_found:") && stdout.contains("has no IPv6 address on network"),
        "{stdout}"
    );
    assert!(stdout.contains("which: invalid_argument:"), "{stdout}");
    assert!(stdout.contains("by name: v4 true v6 true"), "{stdout}");
    assert!(
        stdout.contains("by address: v6 true v6-as-4 false v4-as-6 false"),
        "the family reaches ping: {stdout}"
    );
    assert!(
        stdout
            .contains("bad family: ping(): option \"family\" must be 4 (IPv4) or 6 (IPv6), got 5"),
        "{stdout}"
    );
    assert!(stdout.contains("/129 is longer than /128"), "{stdout}");
    assert!(stdout.contains("\"fd14:::1/64\" is not a CIDR"), "{stdout}");
    assert!(
        stdout.contains("option \"subnet\" must be a CIDR string or an array of them"),
        "{stdout}"
    );
}

#[test]
fn exec_refuses_shell_syntax_and_sh_runs_a_shell() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "shell",
        r#"let c = run("busybox", #{name: "ans-sh", cmd: "sleep 300"});
try { exec(c, "echo hi | wc -c"); print("piped without a shell"); } catch (e) { print(`refused: ${e.kind}: ${e.message}`); }
let n = sh(c, "echo hi | wc -c").stdout;
n.trim();
assert_eq(n, "3");
assert_eq(c.sh("mkdir -p /tmp; echo $((2 + 3)) > /tmp/x; cat /tmp/x").stdout, "5\n");
assert_eq(exec(c, "echo 'a | b' \"c;d\"").stdout, "a | b c;d\n");
assert_eq(exec(c, ["echo", "|"]).stdout, "|\n");
let r = sh(c, "echo out; echo err >&2; exit 5");
assert_eq([r.exit_code, r.stdout, r.stderr], [5, "out\n", "err\n"]);
"#,
    );
    let stdout = passes(&s);
    assert!(
        stdout.contains("refused: invalid_argument:")
            && stdout.contains("shell syntax")
            && stdout.contains("sh(ctr, \"echo hi | wc -c\")"),
        "{stdout}"
    );
}

#[test]
fn ports_lists_every_binding_and_port_gives_the_first() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "ports",
        r#"let c = run("busybox", #{name: "ans-ports", cmd: "sleep 300",
    ports: ["127.0.0.1::80", "127.0.0.2::80", "127.0.0.1::53/udp"]});
let all = c.ports();
for p in all { print(`binding ${p.container_port} ${p.host_ip} ${p.host_port}`); }
assert_eq(all.len(), 3);
let tcp = all.filter(|p| p.container_port == "80/tcp");
assert_eq(tcp.len(), 2);
assert_eq(c.port(80), tcp[0].host_port);
assert_eq(tcp[0].host_ip, "127.0.0.1");
assert_eq(tcp[1].host_ip, "127.0.0.2");
assert_eq(c.port("53/udp"), all.filter(|p| p.container_port == "53/udp")[0].host_port);
"#,
    );
    let out = s.run(&["--keep"]);
    let _cleanup = LabelGuard(s.label());
    assert_exit(&out, 0);
    let stdout = text(&out).0;
    // From outside: each binding the script listed is one Docker made.
    let c = daemon().container("ans-ports").unwrap();
    let ports = c.network_settings.unwrap().ports.unwrap();
    let mut outside = Vec::new();
    for (key, bindings) in ports {
        for b in bindings.into_iter().flatten() {
            outside.push(format!(
                "binding {key} {} {}",
                b.host_ip.unwrap(),
                b.host_port.unwrap()
            ));
        }
    }
    assert_eq!(outside.len(), 3, "{outside:?}");
    for line in outside {
        assert!(stdout.contains(&line), "{line} in {stdout}");
    }
}

#[test]
fn run_id_file_holds_the_id_of_a_kept_run() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "run-id-file",
        "run(\"busybox\", #{name: \"ans-id\", cmd: \"sleep 300\"});\n",
    );
    let id_file = s.path.with_extension("id");
    let out = s.run(&["--keep", "--run-id-file", id_file.to_str().unwrap()]);
    let _cleanup = LabelGuard(s.label());
    assert_exit(&out, 0);
    let id = std::fs::read_to_string(&id_file).unwrap();
    assert!(
        id.ends_with('\n') && !id.trim().contains(char::is_whitespace),
        "{id:?}"
    );
    let id = id.trim();
    assert_eq!(
        daemon().containers_with(&format!("netrig.run={id}")),
        vec!["ans-id"],
        "the file names the run that kept ans-id"
    );
    let out = netrig().args(["clean", "--run", id]).output().unwrap();
    assert_exit(&out, 0);
    s.assert_nothing_left();

    let out = s.run(&["--run-id-file", "/nonexistent-ans/id"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).1.contains("/nonexistent-ans/id"),
        "{}",
        text(&out).1
    );
    s.assert_nothing_left();
}
