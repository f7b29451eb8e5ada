//! netrig's subnet pool against the real daemon: a network made outside
//! netrig is skipped, two processes choosing the same subnet at once both
//! end up with a network, a full pool waits or fails with the clear error.
//!
//! Each test uses its own range of 10.217.0.0/16 (tests run in parallel).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::models::{Ipam, IpamConfig, NetworkCreateRequest};
use netrig::tools::{
    Allocator, Client, ClientOptions, NetworkSpec, PoolEvent, SubnetPool, WhenFull,
};

use crate::support::{self, LabelGuard, daemon, daemon_shared, netrig_command, script_label, text};

/// The label every resource of these tests carries, for the guard.
const LABEL: &str = "netrig.test.pool";

fn labels(test: &str) -> HashMap<String, String> {
    HashMap::from([
        (LABEL.to_string(), test.to_string()),
        ("netrig.managed".to_string(), "true".to_string()),
        ("netrig.run".to_string(), format!("pooltest-{test}")),
    ])
}

/// A spec with only a name: a default bridge network.
fn named(name: &str) -> NetworkSpec {
    NetworkSpec {
        name: name.to_string(),
        ..Default::default()
    }
}

fn client() -> Client {
    daemon()
        .block(Client::connect(&ClientOptions::default()))
        .unwrap()
}

/// The subnets of the daemon's networks carrying this test's label, sorted.
fn subnets_of(test: &str) -> Vec<String> {
    let nets = daemon()
        .block(daemon().docker().list_networks(Some(
            bollard::query_parameters::ListNetworksOptions {
                filters: Some(HashMap::from([(
                    "label".to_string(),
                    vec![format!("{LABEL}={test}")],
                )])),
            },
        )))
        .unwrap();
    let mut subnets: Vec<String> = nets
        .into_iter()
        .flat_map(|n| n.ipam.and_then(|i| i.config).unwrap_or_default())
        .filter_map(|c| c.subnet)
        .collect();
    subnets.sort();
    subnets
}

#[test]
fn a_network_made_outside_netrig_is_skipped_not_clashed_with() {
    let _daemon = daemon_shared();
    let _guard = LabelGuard(format!("{LABEL}=outside"));
    // Not netrig's: no netrig.managed label, and on the subnet netrig would take first.
    daemon()
        .block(daemon().docker().create_network(NetworkCreateRequest {
            name: "pooltest-outside-theirs".into(),
            labels: Some(HashMap::from([(LABEL.to_string(), "outside".to_string())])),
            ipam: Some(Ipam {
                config: Some(vec![IpamConfig {
                    subnet: Some("10.217.0.0/24".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }))
        .unwrap();

    let client = client();
    let pool: SubnetPool = "10.217.0.0/22".parse().unwrap();
    let alloc = Allocator::new(pool, client.host());
    let rt = daemon();
    let subnet = rt
        .block(alloc.acquire(&client, "r1", 1, "create network"))
        .unwrap()[0];
    assert_eq!(subnet.to_string(), "10.217.1.0/24");
    let (_, got) = rt
        .block(alloc.create_network(
            &client,
            "r1",
            &named("pooltest-outside-ours"),
            labels("outside"),
            subnet,
            false,
        ))
        .unwrap();
    assert_eq!(got, subnet);
    let ipam = rt
        .block(
            daemon()
                .docker()
                .inspect_network("pooltest-outside-ours", None),
        )
        .unwrap()
        .ipam
        .and_then(|i| i.config)
        .unwrap();
    assert_eq!(ipam[0].subnet.as_deref(), Some("10.217.1.0/24"));
    assert_eq!(ipam[0].gateway.as_deref(), Some("10.217.1.1"));
    assert_eq!(subnets_of("outside"), ["10.217.0.0/24", "10.217.1.0/24"]);
}

#[test]
fn two_processes_that_choose_the_same_subnets_both_get_networks() {
    let _daemon = daemon_shared();
    let _guard = LabelGuard(format!("{LABEL}=race"));
    let client = client();
    let pool: SubnetPool = "10.217.8.0/22".parse().unwrap();
    // Two allocators are two netrig processes: neither knows the other's book.
    let (a, b) = (
        Allocator::new(pool, client.host()),
        Allocator::new(pool, client.host()),
    );
    let rt = daemon();
    let for_a = rt.block(a.acquire(&client, "ra", 2, "create")).unwrap();
    let for_b = rt.block(b.acquire(&client, "rb", 2, "create")).unwrap();
    assert_eq!(for_a, for_b, "both saw the same free subnets");
    for (i, s) in for_b.iter().enumerate() {
        let spec = named(&format!("pooltest-race-b{i}"));
        rt.block(b.create_network(&client, "rb", &spec, labels("race"), *s, false))
            .unwrap();
    }
    // The daemon refuses a's choices as overlapping; a takes the next ones.
    let mut got = Vec::new();
    for (i, s) in for_a.iter().enumerate() {
        let spec = named(&format!("pooltest-race-a{i}"));
        let (_, subnet) = rt
            .block(a.create_network(&client, "ra", &spec, labels("race"), *s, false))
            .unwrap();
        got.push(subnet.to_string());
    }
    assert_eq!(got, ["10.217.10.0/24", "10.217.11.0/24"]);
    assert_eq!(
        subnets_of("race"),
        [
            "10.217.10.0/24",
            "10.217.11.0/24",
            "10.217.8.0/24",
            "10.217.9.0/24"
        ]
    );
}

#[test]
fn a_full_pool_waits_for_a_release_or_fails_with_the_pool_named() {
    let _daemon = daemon_shared();
    let _guard = LabelGuard(format!("{LABEL}=full"));
    let client = client();
    let pool: SubnetPool = "10.217.16.0/23".parse().unwrap();
    let alloc = Arc::new(Allocator::new(pool, client.host()));
    let rt = daemon();
    for (i, s) in rt
        .block(alloc.acquire(&client, "r1", 2, "create"))
        .unwrap()
        .into_iter()
        .enumerate()
    {
        let spec = named(&format!("pooltest-full-{i}"));
        rt.block(alloc.create_network(&client, "r1", &spec, labels("full"), s, false))
            .unwrap();
    }

    // netrig run: no waiting, the error names the pool and how to widen it.
    let err = rt
        .block(alloc.acquire(&client, "r2", 1, "create network \"x\""))
        .unwrap_err();
    assert_eq!(err.kind(), "pool_full");
    assert_eq!(
        err.to_string(),
        "create network \"x\": no free subnet in netrig's subnet pool 10.217.16.0/23/24 (2 subnets: 0 by this run, 2 by other runs of this netrig): widen the pool with --subnet-pool 10.217.16.0/22/24 (or NETRIG_SUBNET_POOL=10.217.16.0/22/24), or give networks an explicit `subnet`"
    );
    let err = rt
        .block(alloc.acquire(&client, "r1", 1, "create network \"y\""))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("this run needs 3 subnets at once from netrig's subnet pool 10.217.16.0/23/24, which has only 2 for it"),
        "{err}"
    );

    // netrig test: the waiter is told, and gets the subnet once a network goes.
    alloc.set_when_full(WhenFull::Wait);
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = events.clone();
    alloc.set_observer(Arc::new(move |e: &PoolEvent| {
        seen.lock().unwrap().push(e.clone());
    }));
    let waiter = {
        let (alloc, client) = (alloc.clone(), client.clone());
        std::thread::spawn(move || {
            daemon().block(async move { alloc.acquire(&client, "r2", 1, "create").await })
        })
    };
    assert!(
        daemon().wait_for(10, || alloc.waiting() == 1),
        "r2 never waited"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(!waiter.is_finished(), "r2 must wait while the pool is full");
    rt.block(daemon().docker().remove_network("pooltest-full-1"))
        .unwrap();
    alloc.release_network("pooltest-full-1");
    let got = waiter.join().unwrap().unwrap();
    assert_eq!(got[0].to_string(), "10.217.17.0/24");
    assert_eq!(
        *events.lock().unwrap(),
        [
            PoolEvent::Waiting {
                run: "r2".into(),
                needed: 1
            },
            PoolEvent::Resumed { run: "r2".into() }
        ]
    );
}

/// Scenario files in a temporary directory; dropping it removes whatever
/// its scenarios left, after the test has checked that nothing was.
struct Suite {
    dir: tempfile::TempDir,
    _guards: Vec<LabelGuard>,
}

impl Suite {
    fn new(files: &[(String, String)]) -> Suite {
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

    fn command(&self, extra: &[&str]) -> std::process::Command {
        let mut cmd = netrig_command();
        cmd.arg("test").arg(self.dir.path()).args(extra);
        cmd
    }

    fn assert_nothing_left(&self) {
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            support::assert_nothing_left(&script_label(&entry.unwrap().path()));
        }
    }
}

/// `n` scenarios that each create `nets` networks without a subnet and
/// check that every one came from `prefix` (the pool).
fn network_scenarios(tag: &str, n: usize, nets: usize, prefix: &str) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let source = format!(
                r#"let nets = [];
for i in 0..{nets} {{ nets.push(network::create(`{tag}-net${{i}}`)); }}
for n in nets {{
    let s = network::inspect(n).IPAM.Config[0].Subnet;
    assert(s.starts_with("{prefix}"), `${{n.name}} got ${{s}}, not a subnet of netrig's pool`);
}}
"#
            );
            (format!("{tag}{i:02}.rhai"), source)
        })
        .collect()
}

fn passes(out: &std::process::Output, n: usize) {
    let (stdout, stderr) = text(out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("{n} passed")), "{stdout}");
}

#[test]
fn eight_scenarios_of_five_networks_pass_at_jobs_8_on_the_default_pool() {
    let _daemon = daemon_shared();
    let suite = Suite::new(&network_scenarios("p85", 8, 5, "10.213."));
    let out = suite.command(&["--jobs", "8"]).output().unwrap();
    passes(&out, 8);
    suite.assert_nothing_left();
}

#[test]
fn sixteen_scenarios_of_six_networks_pass_at_jobs_16() {
    let _daemon = daemon_shared();
    let suite = Suite::new(&network_scenarios("p166", 16, 6, "10.213."));
    let out = suite.command(&["--jobs", "16"]).output().unwrap();
    passes(&out, 16);
    suite.assert_nothing_left();
}

#[test]
fn a_pool_of_four_makes_scenarios_wait_and_one_that_needs_five_fails_clearly() {
    let _daemon = daemon_shared();
    let mut files: Vec<(String, String)> = (0..4)
        .map(|i| {
            (
                format!("two{i}.rhai"),
                "let a = network::create(\"w-a\");\nsleep(0.5);\nlet b = network::create(\"w-b\");\nsleep(1);\n".to_string(),
            )
        })
        .collect();
    files.push((
        "five.rhai".to_string(),
        "for i in 0..5 { network::create(`big${i}`); }\n".to_string(),
    ));
    let suite = Suite::new(&files);
    let out = suite
        .command(&["--jobs", "4", "--subnet-pool", "10.219.0.0/22"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("4 passed, 1 failed"), "{stdout}");
    for i in 0..4 {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("ok") && l.contains(&format!("two{i}"))),
            "{stdout}"
        );
    }
    assert!(
        stdout.lines().any(|l| l.starts_with("wait")
            && l.contains("netrig's subnet pool 10.219.0.0/22/24 is full")),
        "no scenario said it waited:\n{stdout}"
    );
    let too_big = "this run needs 5 subnets at once from netrig's subnet pool 10.219.0.0/22/24, which has only 4 for it: widen the pool with --subnet-pool 10.219.0.0/21/24 (or NETRIG_SUBNET_POOL=10.219.0.0/21/24), or give networks an explicit `subnet`";
    assert!(stdout.contains(too_big), "{stdout}");
    suite.assert_nothing_left();

    // netrig run: the same error, exit 1, the environment variable works too.
    let five = support::Scenario::new("five", "for i in 0..5 { network::create(`big${i}`); }\n");
    let out = netrig_command()
        .arg("run")
        .arg(&five.path)
        .env("NETRIG_SUBNET_POOL", "10.219.0.0/22")
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(too_big), "{stderr}");
    assert!(
        stderr.contains("five.rhai:1:"),
        "the error has the script position: {stderr}"
    );
    five.assert_nothing_left();
}

#[test]
fn netrig_skips_a_subnet_that_a_network_made_outside_it_holds() {
    let _daemon = daemon_shared();
    let _guard = LabelGuard(format!("{LABEL}=cli-outside"));
    daemon()
        .block(daemon().docker().create_network(NetworkCreateRequest {
            name: "pooltest-cli-theirs".into(),
            labels: Some(HashMap::from([(
                LABEL.to_string(),
                "cli-outside".to_string(),
            )])),
            ipam: Some(Ipam {
                config: Some(vec![IpamConfig {
                    subnet: Some("10.219.8.0/24".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }))
        .unwrap();
    let s = support::Scenario::new(
        "outside",
        r#"let n = network::create("mine");
let ipam = network::inspect(n).IPAM.Config[0];
assert_eq(ipam.Subnet, "10.219.9.0/24");
assert_eq(ipam.Gateway, "10.219.9.1");
assert_eq(n.subnet, "10.219.9.0/24");
assert_eq(n.gateway, "10.219.9.1");
let batch = create_networks([#{name: "b1"}, #{name: "b2", subnet: "10.219.200.0/24"}]);
assert_eq(batch[0].subnet, "10.219.10.0/24");
assert_eq(batch[1].subnet, "10.219.200.0/24");
let c = run("busybox", #{network: n, cmd: "sleep 30"});
assert_eq(c.ip(n), "10.219.9.2");
"#,
    );
    let out = s.run(&["--subnet-pool", "10.219.8.0/22"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    s.assert_nothing_left();
    // Theirs is untouched.
    assert!(
        daemon()
            .network_names()
            .contains(&"pooltest-cli-theirs".to_string())
    );
}

#[test]
fn two_suites_with_the_same_names_at_once_both_pass_and_leave_nothing() {
    let _daemon = daemon_shared();
    let files: Vec<(String, String)> = (0..3)
        .map(|i| {
            (
                format!("same{i}.rhai"),
                r#"let nets = [network::create("front"), network::create("back")];
let a = run("busybox", #{name: "a", network: nets, cmd: "sleep 60"});
let b = run("busybox", #{name: "b", network: "back", cmd: "sleep 60"});
assert_reachable(a, "b");
sleep(1);
"#
                .to_string(),
            )
        })
        .collect();
    let (one, two) = (Suite::new(&files), Suite::new(&files));
    let (first, second) = (
        one.command(&["--jobs", "3"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
        two.command(&["--jobs", "3"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    passes(&first.wait_with_output().unwrap(), 3);
    passes(&second.wait_with_output().unwrap(), 3);
    one.assert_nothing_left();
    two.assert_nothing_left();
}
