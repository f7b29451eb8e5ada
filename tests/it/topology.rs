//! Seeing the topology: `netrig graph` and `graph()` draw exactly the run's
//! networks, containers and addresses (checked against what the daemon
//! reports through bollard, not through netrig), and `expect_topology`
//! names exactly the drift between an intended map and the live state.

use std::collections::BTreeSet;
use std::process::Output;

use crate::support;
use crate::support::{Scenario, assert_exit, clean_runs_with, daemon, daemon_shared, netrig, text};

/// Three networks, five containers; `web` publishes a port, `back` is internal.
const TOPOLOGY: &str = r#"
let front = network::create("i9-g-front", #{subnet: "10.91.1.0/24"});
let back = network::create("i9-g-back", #{subnet: "10.91.2.0/24", internal: true});
let mgmt = network::create("i9-g-mgmt", #{subnet: "10.91.3.0/24"});
let web = run("busybox", #{name: "i9-g-web", network: front, ports: ["127.0.0.1::80"], cmd: "sleep 3600"});
let api = run("busybox", #{name: "i9-g-api", network: [front, back], cmd: "sleep 3600"});
let db = run("busybox", #{name: "i9-g-db", network: [back, mgmt], cmd: "sleep 3600"});
let worker = run("busybox", #{name: "i9-g-worker", network: back, cmd: "sleep 3600"});
let ops = run("busybox", #{name: "i9-g-ops", network: mgmt, cmd: "sleep 3600"});

// What the script means; a failure here fails the run.
expect_topology(#{"i9-g-front": [web, api], "i9-g-back": [api, db, worker], "i9-g-mgmt": [db, ops]});

// The intended map also puts ops on front: one missing attachment.
try {
    expect_topology(#{"i9-g-front": [web, api, ops], "i9-g-back": [api, db, worker], "i9-g-mgmt": [db, ops]});
    print("MISSING: no drift reported");
} catch (e) { print(`MISSING: ${e.kind}: ${e.message}`); }

// The intended map leaves api off front: one extra attachment.
try {
    expect_topology(#{"i9-g-front": [web], "i9-g-back": [api, db, worker], "i9-g-mgmt": [db, ops]});
    print("EXTRA: no drift reported");
} catch (e) { print(`EXTRA: ${e.kind}: ${e.message}`); }

print(`SCRIPT GRAPH: ${graph(#{format: "dot"}).len()}`);
graph(#{format: "svg", file: "from-script.svg"});
"#;

const NETWORKS: [&str; 3] = ["i9-g-back", "i9-g-front", "i9-g-mgmt"];
const CONTAINERS: [&str; 5] = ["i9-g-api", "i9-g-db", "i9-g-ops", "i9-g-web", "i9-g-worker"];

/// `(network, container, ip)` for our containers, read from the daemon directly.
fn live_edges() -> BTreeSet<(String, String, String)> {
    let d = daemon();
    let mut edges = BTreeSet::new();
    for c in CONTAINERS {
        let nets = d
            .container(c)
            .and_then(|i| i.network_settings)
            .and_then(|s| s.networks)
            .unwrap_or_default();
        for (net, ep) in nets {
            edges.insert((net, c.to_string(), ep.ip_address.unwrap_or_default()));
        }
    }
    edges
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn graph(args: &[&str]) -> Output {
    netrig().arg("graph").args(args).output().unwrap()
}

/// What a graph's text shows: network names, container names, `(network, container, ip)` edges.
#[derive(Debug, Default)]
struct Drawn {
    nets: BTreeSet<String>,
    ctrs: BTreeSet<String>,
    edges: BTreeSet<(String, String, String)>,
}

/// Node names and edges read back out of Mermaid text.
fn parse_mermaid(text: &str) -> Drawn {
    let Drawn {
        mut nets,
        mut ctrs,
        mut edges,
    } = Drawn::default();
    let mut names = std::collections::HashMap::new();
    for line in text.lines().map(str::trim) {
        let first_label = |open: &str| {
            let start = line.find(open).unwrap() + open.len();
            line[start..].split("<br/>").next().unwrap().to_string()
        };
        if line.ends_with(":::network") || line.ends_with(":::external") {
            let name = first_label("[[\"");
            names.insert(line.split('[').next().unwrap().to_string(), name.clone());
            nets.insert(name);
        } else if line.ends_with(":::container") {
            let name = first_label("(\"");
            names.insert(line.split('(').next().unwrap().to_string(), name.clone());
            ctrs.insert(name);
        } else if let Some((net, rest)) = line.split_once(" ---|\"") {
            let (ip, ctr) = rest.split_once("\"| ").unwrap();
            edges.insert((names[net].clone(), names[ctr].clone(), ip.to_string()));
        }
    }
    Drawn { nets, ctrs, edges }
}

/// Node names and edges read back out of DOT text.
fn parse_dot(text: &str) -> Drawn {
    let Drawn {
        mut nets,
        mut ctrs,
        mut edges,
    } = Drawn::default();
    let unquote = |s: &str| s.trim().trim_matches('"').to_string();
    for line in text.lines().map(str::trim) {
        if let Some((left, rest)) = line.split_once(" -- ") {
            // Other tenants' stopped containers, or ones on host / none, have no address.
            let (right, label) = rest.split_once(" [label=").unwrap_or((rest, ""));
            let net = unquote(left).strip_prefix("net:").unwrap().to_string();
            let ctr = unquote(right.trim_end_matches(';'))
                .strip_prefix("ctr:")
                .unwrap()
                .to_string();
            edges.insert((net, ctr, unquote(label.trim_end_matches("];"))));
        } else if let Some(rest) = line.strip_prefix("\"net:") {
            nets.insert(rest.split('"').next().unwrap().to_string());
        } else if let Some(rest) = line.strip_prefix("\"ctr:") {
            ctrs.insert(rest.split('"').next().unwrap().to_string());
        }
    }
    Drawn { nets, ctrs, edges }
}

#[test]
fn graph_and_drift_of_three_networks_and_five_containers() {
    let _daemon = daemon_shared();
    let scenario = Scenario::new("i9-topology", TOPOLOGY);
    let out = scenario.run(&["--keep"]);
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    let run_ids = daemon().run_ids_with(&scenario.label());
    assert_eq!(run_ids.len(), 1, "{run_ids:?}");
    let run = &run_ids[0];

    // Drift: exactly the one difference each time, as an assertion.
    assert!(
        stdout.contains(
            "MISSING: assertion: expect_topology(): the live topology differs from the intended one (1 difference):\n  \
             - missing attachment: i9-g-ops is not on network i9-g-front\n"
        ),
        "{stdout}"
    );
    let extra_ip = live_edges()
        .into_iter()
        .find(|(n, c, _)| n == "i9-g-front" && c == "i9-g-api")
        .unwrap()
        .2;
    assert!(
        stdout.contains(&format!(
            "EXTRA: assertion: expect_topology(): the live topology differs from the intended one (1 difference):\n  \
             + extra attachment: i9-g-api is also on network i9-g-front ({extra_ip})\n"
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("SCRIPT GRAPH: 0"), "{stdout}");

    let edges = live_edges();
    assert_eq!(edges.len(), 7, "{edges:?}");
    assert!(edges.iter().all(|(_, _, ip)| !ip.is_empty()), "{edges:?}");

    // Mermaid: every network, container and edge of the run, nothing else.
    let out = graph(&["--run", run, "--format", "mermaid"]);
    assert_exit(&out, 0);
    let (mermaid, _) = text(&out);
    let Drawn {
        nets,
        ctrs,
        edges: got,
    } = parse_mermaid(&mermaid);
    assert_eq!(nets, set(&NETWORKS), "{mermaid}");
    assert_eq!(ctrs, set(&CONTAINERS), "{mermaid}");
    assert_eq!(got, edges, "{mermaid}");
    assert!(
        mermaid.contains("127.0.0.1:"),
        "web's published port: {mermaid}"
    );
    assert!(mermaid.contains("internal"), "back is internal: {mermaid}");

    // DOT: the same.
    let out = graph(&["--run", run, "--format", "dot"]);
    assert_exit(&out, 0);
    let (dot, _) = text(&out);
    let Drawn {
        nets,
        ctrs,
        edges: got,
    } = parse_dot(&dot);
    assert_eq!(nets, set(&NETWORKS), "{dot}");
    assert_eq!(ctrs, set(&CONTAINERS), "{dot}");
    assert_eq!(got, edges, "{dot}");

    // SVG (format from the file name): well-formed, a node per network and container.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.svg");
    let out = graph(&["--run", run, "-o", file.to_str().unwrap()]);
    assert_exit(&out, 0);
    let svg = std::fs::read_to_string(&file).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let named = |class: &str| -> BTreeSet<String> {
        doc.descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
            .map(|n| n.attribute("data-name").unwrap().to_string())
            .collect()
    };
    assert_eq!(named("network"), set(&NETWORKS));
    assert_eq!(named("container"), set(&CONTAINERS));
    let svg_edges: BTreeSet<(String, String)> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("attachment"))
        .map(|n| {
            (
                n.attribute("data-network").unwrap().to_string(),
                n.attribute("data-container").unwrap().to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = edges
        .iter()
        .map(|(n, c, _)| (n.clone(), c.clone()))
        .collect();
    assert_eq!(svg_edges, want);
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    for (_, _, ip) in &edges {
        assert!(texts.contains(&ip.as_str()), "address {ip} labelled");
    }

    // The script's own picture, written beside it, shows the same nodes.
    let from_script =
        std::fs::read_to_string(scenario.path.with_file_name("from-script.svg")).unwrap();
    let doc2 = roxmltree::Document::parse(&from_script).expect("well-formed");
    let script_nodes = doc2
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("data-name").is_some())
        .count();
    assert_eq!(script_nodes, NETWORKS.len() + CONTAINERS.len());

    // Wider scopes are asked for: --all shows Docker's own bridge as one of
    // its networks; in the managed scope (the default) it can appear only
    // as external, under some other run's container.
    let bridge_line = |dot: &str| {
        dot.lines()
            .find(|l| l.trim_start().starts_with("\"net:bridge\" ["))
            .map(str::to_string)
    };
    let out = graph(&["--all", "--format", "dot"]);
    assert_exit(&out, 0);
    let (dot, _) = text(&out);
    let Drawn { nets, ctrs, .. } = parse_dot(&dot);
    assert!(nets.is_superset(&set(&NETWORKS)), "{nets:?}");
    assert!(ctrs.is_superset(&set(&CONTAINERS)));
    let bridge = bridge_line(&dot).expect("--all shows bridge");
    assert!(bridge.contains("filled,bold"), "{bridge}");
    let out = graph(&["--format", "dot"]);
    assert_exit(&out, 0);
    let (dot, _) = text(&out);
    let Drawn { nets, ctrs, .. } = parse_dot(&dot);
    assert!(nets.is_superset(&set(&NETWORKS)) && ctrs.is_superset(&set(&CONTAINERS)));
    if let Some(bridge) = bridge_line(&dot) {
        assert!(
            bridge.contains("filled,dashed"),
            "external in the managed scope: {bridge}"
        );
    }

    clean_runs_with(&scenario.label());
    scenario.assert_nothing_left();
}

#[test]
fn uncaught_drift_fails_the_run_names_the_difference_and_cleans_up() {
    let _daemon = daemon_shared();
    let scenario = Scenario::new(
        "i9-drift",
        r#"
        let net = network::create("i9-d-net");
        let a = run("busybox", #{name: "i9-d-a", network: net, cmd: "sleep 3600"});
        let b = run("busybox", #{name: "i9-d-b", cmd: "sleep 3600"});
        // b runs on Docker's bridge, which the map does not name: not drift.
        expect_topology(#{"i9-d-net": [a]});
        expect_topology(#{"i9-d-net": [a, b]});
        print("not reached");
        "#,
    );
    let out = scenario.run(&[]);
    assert_exit(&out, 1);
    let (stdout, stderr) = text(&out);
    assert!(!stdout.contains("not reached"));
    assert!(
        stderr.contains("(1 difference):")
            && stderr.contains("- missing attachment: i9-d-b is not on network i9-d-net"),
        "{stderr}"
    );
    assert!(
        stderr.contains("i9-drift.rhai:7:"),
        "names the script line: {stderr}"
    );
    scenario.assert_nothing_left();
}

#[test]
fn bad_arguments_are_named() {
    let _daemon = daemon_shared();
    let scenario = Scenario::new(
        "i9-bad-graph",
        r#"
        for f in [
            || graph(#{format: "png"}),
            || graph(#{managed: true, all: true}),
            || graph(#{fromat: "dot"}),
            || expect_topology(42),
            || expect_topology(#{"n": "web"}),
            || expect_topology(#{"n": [3]}),
        ] {
            try { f.call(); print("accepted"); } catch (e) { print(`${e.kind}: ${e.message}`); }
        }
        "#,
    );
    let out = scenario.run(&[]);
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    assert!(
        lines.iter().all(|l| l.starts_with("invalid_argument: ")),
        "{stdout}"
    );
    assert!(lines[0].contains(
        "graph(): option \"format\": unknown graph format \"png\"; valid formats: mermaid, dot, svg"
    ));
    assert!(lines[1].contains("\"managed\" and \"all\" exclude each other"));
    assert!(lines[2].contains("unknown option \"fromat\" (did you mean \"format\"?)"));
    assert!(lines[3].contains("expect_topology(): the intended topology must be a map"));
    assert!(lines[4].contains("network \"n\" must map to an array of containers"));
    assert!(lines[5].contains(
        "each container of network \"n\" must be a container handle or a container name, got 3"
    ));

    let out = graph(&["--run", "i9-no-such-run"]);
    assert_exit(&out, 1);
    assert!(
        text(&out)
            .1
            .contains("nothing of run i9-no-such-run is on the daemon")
    );
}

/// The library calls the lead wires into the REPL (`:graph`) and into
/// `netrig test --report DIR`, driven on a session of their own.
#[test]
fn library_hooks_for_the_repl_and_the_report() {
    let _daemon = daemon_shared();
    use netrig::tools::{
        Client, DaemonArgs, Format, NetworkSpec, RunSession, RunSpec, session_graph, write_run_svg,
    };

    daemon();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let options = DaemonArgs::from_env().unwrap().client_options();
    let client = rt.block_on(Client::connect(&options)).unwrap();
    let session = RunSession::new(client.clone(), "i9-hooks");
    let _guard = support::LabelGuard(format!("netrig.run={}", session.run_id()));
    rt.block_on(async {
        let net = NetworkSpec {
            name: "i9-h-net".into(),
            ..Default::default()
        };
        session.create_network(&net).await.unwrap();
        let box_ = RunSpec {
            image: "busybox".into(),
            name: Some("i9-h-box".into()),
            networks: vec!["i9-h-net".into()],
            cmd: Some(vec!["sleep".into(), "3600".into()]),
            ..Default::default()
        };
        session.run(&box_, &|_| {}).await.unwrap();
    });
    let ip = daemon()
        .container("i9-h-box")
        .unwrap()
        .network_settings
        .unwrap()
        .networks
        .unwrap()["i9-h-net"]
        .ip_address
        .clone()
        .unwrap();

    let mermaid = rt
        .block_on(session_graph(&session, Format::Mermaid))
        .unwrap();
    assert!(
        mermaid.contains(&format!("  n_i9_h_net ---|\"{ip}\"| c_i9_h_box\n")),
        "{mermaid}"
    );

    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let path = rt
        .block_on(write_run_svg(
            &client,
            session.run_id(),
            &report,
            "scenarios/i9 hooks.rhai",
        ))
        .unwrap();
    assert_eq!(path, report.join("i9_hooks.svg"));
    let svg = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed");
    let nodes: BTreeSet<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("data-name"))
        .collect();
    assert_eq!(nodes, BTreeSet::from(["i9-h-box", "i9-h-net"]));

    let report = rt.block_on(session.teardown());
    assert!(report.is_clean(), "{report:?}");
    support::assert_nothing_left(&format!("netrig.run={}", session.run_id()));
}
