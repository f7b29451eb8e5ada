//! Compose files both ways, against the real daemon and the real
//! docker-compose: an app brought up through a run session (checked from
//! outside through bollard), and an exported run read by docker-compose.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use netrig::tools::{
    Attachment, Client, EndpointSpec, HealthSpec, ModelContainer, ModelNetwork, NetworkSpec,
    RunModel, RunSession, RunSpec, gather, parse_publish, to_compose,
};

use crate::support;
use crate::support::{LabelGuard, daemon, daemon_shared};

/// A client for the daemon the tests use, as the command line would make it.
fn connect(rt: &tokio::runtime::Runtime) -> Client {
    let options = netrig::tools::DaemonArgs::from_env()
        .unwrap()
        .client_options();
    rt.block_on(Client::connect(&options)).unwrap()
}

/// The example's Compose file.
fn shop_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/compose-shop/compose.yml")
}

fn started_at(name: &str) -> String {
    daemon()
        .container(name)
        .unwrap()
        .state
        .unwrap()
        .started_at
        .unwrap()
}

/// A daemon timestamp (`2026-12-02T01:12:15.010577Z`) as seconds since 1970.
fn seconds(stamp: &str) -> f64 {
    let (date, time) = stamp.trim_end_matches('Z').split_once('T').unwrap();
    let num = |s: &str| s.parse::<i64>().unwrap();
    let d: Vec<i64> = date.split('-').map(num).collect();
    // Days from civil (Howard Hinnant's algorithm).
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let t: Vec<f64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    days as f64 * 86_400.0 + t[0] * 3600.0 + t[1] * 60.0 + t[2]
}

/// An HTTP GET from the host; the body, or the error.
fn http_get(port: u16) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
}

#[test]
fn the_compose_example_checks_the_shops_segmentation_and_leaves_nothing() {
    let _daemon = daemon_shared();
    let d = daemon();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/compose-segmentation.rhai");
    let label = support::script_label(&script);
    let _guard = LabelGuard(label.clone());
    let out = support::netrig()
        .arg("run")
        .arg(&script)
        .arg("--keep")
        .output()
        .unwrap();
    support::assert_exit(&out, 0);
    let stdout = support::text(&out).0;
    assert!(stdout.contains("segmentation holds"), "{stdout}");

    // Compose's names, from outside.
    let (web, api, db) = (
        "compose-shop-web-1",
        "compose-shop-api-1",
        "compose-shop-db-1",
    );
    assert_eq!(
        d.container_networks(web),
        vec!["compose-shop_backend", "compose-shop_frontend"]
    );
    assert_eq!(
        d.container_networks(api),
        vec!["compose-shop_backend", "compose-shop_data"]
    );
    assert_eq!(d.container_networks(db), vec!["compose-shop_data"]);
    // web started only once api's health check had passed: api makes
    // /ready a second after it starts, so web cannot have started sooner.
    // (The daemon keeps only the last few health results, so the first
    // passing one is not there to compare with.)
    let (web_at, api_at) = (seconds(&started_at(web)), seconds(&started_at(api)));
    assert!(
        web_at >= api_at + 1.0,
        "web started {:.2} s after api, before api could be healthy",
        web_at - api_at
    );
    let api_health = d.container(api).unwrap().state.unwrap().health.unwrap();
    assert_eq!(
        api_health.status,
        Some(bollard::models::HealthStatusEnum::HEALTHY)
    );
    // The published port answers on the host with web's page.
    let port = stdout
        .split("its port 80 is published on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("no port in {stdout}"));
    let page = http_get(port);
    assert!(page.ends_with("web\n"), "{page}");

    support::clean_runs_with(&label);
    support::assert_nothing_left(&label);
    assert!(
        !d.network_names()
            .iter()
            .any(|n| n.starts_with("compose-shop_"))
    );
}

/// A scenario using the shop's file with its own database subnet.
fn shop_scenario(net: &str) -> String {
    format!(
        r#"//! timeout: 120
let sleep = "sleep 3600";
let app = compose::up("compose.yml", #{{image: "busybox", env: #{{DB_NET: "{net}"}},
    cmd: #{{web: sleep, db: sleep, api: ["sh", "-c", "touch /ready; sleep 3600"]}}}});
assert_reachable(app.services.web, "api");
assert_reachable(app.services.api, "db");
assert_unreachable(app.services.web, "db");
assert_unreachable(app.services.web, app.services.db.ip());
assert_eq(app.services.db.ip(app.networks.data), "{net}.10");
"#
    )
}

#[test]
fn two_test_scenarios_on_the_same_compose_file_pass_at_once() {
    let _daemon = daemon_shared();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(shop_file(), dir.path().join("compose.yml")).unwrap();
    let scripts: Vec<PathBuf> = [("shop-a", "10.231.70"), ("shop-b", "10.231.71")]
        .iter()
        .map(|(name, net)| {
            let path = dir.path().join(format!("{name}.rhai"));
            std::fs::write(&path, shop_scenario(net)).unwrap();
            path
        })
        .collect();
    let _guards: Vec<LabelGuard> = scripts
        .iter()
        .map(|p| LabelGuard(support::script_label(p)))
        .collect();
    let out = support::netrig()
        .arg("test")
        .arg(dir.path())
        .args(["-j", "2"])
        .output()
        .unwrap();
    let (stdout, stderr) = support::text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("2 passed"),
        "{stdout}\n{stderr}"
    );
    for p in &scripts {
        support::assert_nothing_left(&support::script_label(p));
    }
}

/// (what the case is, Compose file, `.env`, what the message must say, the file line named).
const BAD_FILES: &[(&str, &str, &str, &str, usize)] = &[
    (
        "not YAML",
        "services:\n  web:\n    image: busybox\n   ports: [\n",
        "",
        "not valid YAML",
        4,
    ),
    (
        "unknown service in depends_on",
        "services:\n  web:\n    image: busybox\n    depends_on: [dbb]\n  db:\n    image: busybox\n",
        "",
        "depends on \"dbb\", which is not a service of this file",
        4,
    ),
    (
        "a cycle",
        "services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [a]\n",
        "",
        "cycle: a → b → a",
        4,
    ),
    (
        "an unsupported key",
        "services:\n  web:\n    image: busybox\n    volumes: [\"data:/data\"]\n",
        "",
        "services.web.volumes: netrig does not support \"volumes\"",
        4,
    ),
    (
        "a variable neither set nor defaulted",
        "services:\n  web:\n    image: busybox\n    networks: [front]\nnetworks:\n  front:\n    ipam:\n      config:\n        - subnet: ${SUBNET}\n",
        "OTHER=1\n",
        "variable SUBNET is not set",
        9,
    ),
    (
        "a dependency that never gets healthy",
        "services:\n  web:\n    image: busybox\n    command: sleep 300\n    depends_on: {db: {condition: service_healthy}}\n  db:\n    image: busybox\n    command: sleep 300\n    healthcheck: {test: \"echo not yet; exit 1\", interval: 200ms, retries: 2}\n",
        "",
        "its health check fails; last check exited 1: not yet",
        0,
    ),
];

#[test]
fn bad_compose_input_names_the_script_line_and_the_file_line_and_leaves_nothing() {
    let _daemon = daemon_shared();
    let mut problems = Vec::new();
    for (what, compose, dotenv, message, line) in BAD_FILES {
        let s = support::Scenario::new(
            "f16-bad",
            "// a Compose file that cannot come up\nlet app = compose::up(\"compose.yml\", #{wait: 10});\n",
        );
        let dir = s.path.parent().unwrap();
        std::fs::write(dir.join("compose.yml"), compose).unwrap();
        if !dotenv.is_empty() {
            std::fs::write(dir.join(".env"), dotenv).unwrap();
        }
        let out = s.run(&[]);
        let stderr = support::text(&out).1;
        let mut wanted = vec![format!("{}:2:", s.path.display()), message.to_string()];
        if *line > 0 {
            wanted.push(format!("compose.yml:{line}:"));
        }
        for w in wanted {
            if !stderr.contains(&w) {
                problems.push(format!("{what}: no {w:?} in\n{stderr}"));
            }
        }
        if out.status.code() != Some(1) {
            problems.push(format!("{what}: exit code {:?}", out.status.code()));
        }
        let d = daemon();
        let left = [d.containers_with(&s.label()), d.networks_with(&s.label())].concat();
        if !left.is_empty() {
            problems.push(format!("{what}: left {left:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

fn sample_model() -> RunModel {
    let mut ports = parse_publish("127.0.0.1:18080:80").unwrap();
    ports.extend(parse_publish("127.0.0.1::53/udp").unwrap());
    RunModel {
        networks: vec![
            ModelNetwork {
                name: "f16x-front".into(),
                subnets: vec![("10.231.62.0/24".into(), Some("10.231.62.1".into()))],
                ..Default::default()
            },
            ModelNetwork {
                name: "f16x-back".into(),
                internal: true,
                labels: vec![("tier".into(), "data".into())],
                ..Default::default()
            },
        ],
        containers: vec![
            ModelContainer {
                name: "f16x-web".into(),
                image: "busybox".into(),
                networks: vec![
                    Attachment {
                        network: "f16x-front".into(),
                        aliases: vec!["www".into()],
                        ipv4: Some("10.231.62.10".into()),
                        ipv6: None,
                    },
                    Attachment {
                        network: "f16x-back".into(),
                        ..Default::default()
                    },
                ],
                ports,
                cmd: Some(vec!["sleep".into(), "300".into()]),
                env: vec![("N".into(), "1".into()), ("YES".into(), "true".into())],
                dns: vec!["10.231.62.53".into()],
                extra_hosts: vec!["backup:10.231.62.99".into()],
                expose: vec!["5432/tcp".into()],
                healthcheck: Some(HealthSpec {
                    test: vec!["CMD-SHELL".into(), "true".into()],
                    interval: Some(Duration::from_millis(1500)),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ModelContainer {
                name: "f16x-probe".into(),
                image: "busybox".into(),
                network_mode: Some("container:f16x-web".into()),
                cmd: Some(vec!["sleep".into(), "300".into()]),
                ..Default::default()
            },
        ],
    }
}

#[test]
fn an_exported_model_is_a_file_docker_compose_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.yml");
    std::fs::write(&file, to_compose(&sample_model(), "netrig export test")).unwrap();
    let out = Command::new("docker-compose")
        .arg("-f")
        .arg(&file)
        .arg("config")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "docker-compose config refused the file:\n{stderr}"
    );
    // What docker-compose understood, read back.
    let seen: serde_norway::Value = serde_norway::from_str(&stdout).unwrap();
    let web = &seen["services"]["f16x-web"];
    assert_eq!(web["container_name"], "f16x-web");
    assert_eq!(
        web["networks"]["f16x-front"]["ipv4_address"],
        "10.231.62.10"
    );
    assert_eq!(web["networks"]["f16x-front"]["aliases"][0], "www");
    assert!(web["networks"].get("f16x-back").is_some());
    assert_eq!(web["environment"]["N"], "1", "numbers stay strings");
    assert_eq!(web["environment"]["YES"], "true");
    assert_eq!(web["ports"][0], "127.0.0.1:18080:80/tcp");
    assert_eq!(web["ports"][1], "127.0.0.1::53/udp");
    assert_eq!(web["dns"][0], "10.231.62.53");
    assert_eq!(web["extra_hosts"][0], "backup:10.231.62.99");
    assert_eq!(web["expose"][0], "5432");
    assert_eq!(web["healthcheck"]["test"][0], "CMD-SHELL");
    assert!(web["healthcheck"].get("interval").is_some(), "{stdout}");
    assert_eq!(
        seen["services"]["f16x-probe"]["network_mode"],
        "service:f16x-web"
    );
    assert_eq!(seen["networks"]["f16x-front"]["name"], "f16x-front");
    assert_eq!(
        seen["networks"]["f16x-front"]["ipam"]["config"][0]["subnet"],
        "10.231.62.0/24"
    );
    assert_eq!(seen["networks"]["f16x-back"]["internal"], true);
}

/// `docker-compose down` for a project when dropped, so a failed assertion
/// does not leave docker-compose's containers and networks behind.
struct ComposeDown<'a>(&'a Path, &'a str);

impl Drop for ComposeDown<'_> {
    fn drop(&mut self) {
        let _ = Command::new("docker-compose")
            .arg("-f")
            .arg(self.0)
            .args(["-p", self.1, "down", "--timeout", "1"])
            .output();
    }
}

/// A container's network, fixed address and aliases.
type Joined = (String, Option<String>, Vec<String>);

/// Each container's networks with its fixed address and its own aliases
/// (not Docker's id alias), as the daemon shows them.
fn attachments(names: &[&str]) -> Vec<(String, Vec<Joined>)> {
    let d = daemon();
    names
        .iter()
        .map(|n| {
            let c = d.container(n).unwrap();
            let id = c.id.clone().unwrap();
            let mut nets: Vec<_> = c
                .network_settings
                .unwrap()
                .networks
                .unwrap()
                .into_iter()
                .map(|(net, ep)| {
                    let fixed = ep.ipam_config.and_then(|i| i.ipv4_address);
                    let mut aliases: Vec<String> = ep
                        .aliases
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|a| !id.starts_with(a.as_str()) && a != n)
                        .collect();
                    aliases.sort();
                    (net, fixed, aliases)
                })
                .collect();
            nets.sort();
            (n.to_string(), nets)
        })
        .collect()
}

/// What else of a container shapes its networking: DNS servers, host
/// entries, exposed ports and its health check.
fn settings(name: &str) -> String {
    let c = daemon().container(name).unwrap();
    let (host, config) = (c.host_config.unwrap(), c.config.unwrap());
    let mut exposed = config.exposed_ports.unwrap_or_default();
    exposed.sort();
    let settings = format!(
        "dns {:?}, hosts {:?}, exposed {exposed:?}, health {:?}",
        host.dns, host.extra_hosts, config.healthcheck
    );
    assert!(settings.contains("10.231.64.53"), "{settings}");
    settings
}

#[test]
fn a_run_exported_and_brought_up_by_docker_compose_has_the_same_networks() {
    let _daemon = daemon_shared();
    let d = daemon();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = connect(&rt);
    let session = RunSession::new(client.clone(), "f16-roundtrip");
    let _guard = LabelGuard(format!("netrig.run={}", session.run_id()));
    let sleep = Some(vec!["sleep".to_string(), "300".to_string()]);
    rt.block_on(async {
        let front = NetworkSpec {
            name: "f16rt-front".into(),
            subnet: Some("10.231.64.0/24".into()),
            ..Default::default()
        };
        let back = NetworkSpec {
            name: "f16rt-back".into(),
            internal: true,
            ..Default::default()
        };
        session.create_network(&front).await.unwrap();
        session.create_network(&back).await.unwrap();
        let web = RunSpec {
            image: "busybox".into(),
            name: Some("f16rt-web".into()),
            networks: vec!["f16rt-front".into(), "f16rt-back".into()],
            endpoints: HashMap::from([(
                "f16rt-front".into(),
                EndpointSpec {
                    aliases: vec!["www".into()],
                    ipv4: Some("10.231.64.10".into()),
                    ipv6: None,
                },
            )]),
            ports: parse_publish("127.0.0.1::80").unwrap(),
            env: vec![("MODE".into(), "on".into())],
            cmd: sleep.clone(),
            ..Default::default()
        };
        let db = RunSpec {
            image: "busybox".into(),
            name: Some("f16rt-db".into()),
            networks: vec!["f16rt-back".into()],
            aliases: vec!["database".into()],
            cmd: sleep.clone(),
            dns: vec!["10.231.64.53".into()],
            extra_hosts: vec!["backup:10.231.64.99".into()],
            expose: vec!["5432/tcp".into()],
            healthcheck: Some(HealthSpec {
                test: vec!["CMD-SHELL".into(), "true".into()],
                interval: Some(Duration::from_millis(1500)),
                retries: Some(3),
                ..Default::default()
            }),
            ..Default::default()
        };
        session.run(&web, &|_| {}).await.unwrap();
        session.run(&db, &|_| {}).await.unwrap();
    });
    let before = attachments(&["f16rt-web", "f16rt-db"]);
    let db_before = settings("f16rt-db");
    let (model, notes) = rt.block_on(gather(&client, session.run_id())).unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    let web = model
        .containers
        .iter()
        .find(|c| c.name == "f16rt-web")
        .unwrap();
    assert_eq!(web.cmd, sleep, "the command given, not the image's");
    assert_eq!(
        web.env,
        vec![("MODE".to_string(), "on".to_string())],
        "not the image's PATH"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.yml");
    std::fs::write(&file, to_compose(&model, "round trip")).unwrap();
    let report = rt.block_on(session.teardown());
    assert!(report.failures.is_empty(), "{report:?}");

    let _down = ComposeDown(&file, "f16rt");
    let up = Command::new("docker-compose")
        .arg("-f")
        .arg(&file)
        .args(["-p", "f16rt", "up", "-d"])
        .output()
        .unwrap();
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let mut after = attachments(&["f16rt-web", "f16rt-db"]);
    // docker-compose adds the service name as an alias, which here is the container name.
    for (_, nets) in &mut after {
        for (_, _, aliases) in nets.iter_mut() {
            aliases.retain(|a| !a.starts_with("f16rt-"));
        }
    }
    assert_eq!(after, before);
    assert_eq!(settings("f16rt-db"), db_before);
    let front = d
        .block(d.docker().inspect_network(
            "f16rt-front",
            None::<bollard::query_parameters::InspectNetworkOptions>,
        ))
        .unwrap();
    assert_eq!(
        front.ipam.unwrap().config.unwrap()[0].subnet.as_deref(),
        Some("10.231.64.0/24")
    );
    let back = d
        .block(d.docker().inspect_network(
            "f16rt-back",
            None::<bollard::query_parameters::InspectNetworkOptions>,
        ))
        .unwrap();
    assert_eq!(back.internal, Some(true));
    let env = d
        .container("f16rt-web")
        .unwrap()
        .config
        .unwrap()
        .env
        .unwrap();
    assert!(env.contains(&"MODE=on".to_string()), "{env:?}");
    let down = Command::new("docker-compose")
        .arg("-f")
        .arg(&file)
        .args(["-p", "f16rt", "down", "--timeout", "1"])
        .output()
        .unwrap();
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert!(d.container("f16rt-web").is_none());
    assert!(!d.network_names().contains(&"f16rt-front".to_string()));
}

#[test]
fn netrig_export_writes_a_kept_run_as_a_compose_file() {
    let _daemon = daemon_shared();
    let s = support::Scenario::new(
        "f16-export",
        r#"
        let front = network::create("f16ex-front", #{subnet: "10.231.66.0/24"});
        let back = network::create("f16ex-back", #{internal: true});
        run("busybox", #{name: "f16ex-web", cmd: "sleep 300", ports: ["127.0.0.1::80"],
                         env: #{MODE: "yes"},
                         network: [#{name: front, ip: "10.231.66.20", aliases: ["www"]}, back]});
        run("busybox", #{name: "f16ex-db", cmd: "sleep 300", network: back, aliases: ["database"]});
        "#,
    );
    let out = s.run(&["--keep"]);
    support::assert_exit(&out, 0);
    let ids = daemon().run_ids_with(&s.label());
    assert_eq!(ids.len(), 1, "{ids:?}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exported.yml");
    let out = support::netrig()
        .args(["export", "--compose", "--run", &ids[0], "-o"])
        .arg(&file)
        .output()
        .unwrap();
    support::assert_exit(&out, 0);
    let stderr = support::text(&out).1;
    assert!(
        stderr.contains("wrote 2 services and 2 networks to"),
        "{stderr}"
    );
    let config = Command::new("docker-compose")
        .arg("-f")
        .arg(&file)
        .arg("config")
        .output()
        .unwrap();
    assert!(
        config.status.success(),
        "{}",
        String::from_utf8_lossy(&config.stderr)
    );
    let seen: serde_norway::Value = serde_norway::from_slice(&config.stdout).unwrap();
    let web = &seen["services"]["f16ex-web"];
    assert_eq!(
        web["networks"]["f16ex-front"]["ipv4_address"],
        "10.231.66.20"
    );
    assert_eq!(web["networks"]["f16ex-front"]["aliases"][0], "www");
    assert_eq!(web["ports"][0], "127.0.0.1::80/tcp");
    assert_eq!(
        web["environment"]["MODE"], "yes",
        "a YAML 1.1 boolean word stays a string"
    );
    assert_eq!(web["command"][0], "sleep");
    assert_eq!(
        seen["services"]["f16ex-db"]["networks"]["f16ex-back"]["aliases"][0],
        "database"
    );
    assert_eq!(seen["networks"]["f16ex-back"]["internal"], true);
    support::clean_runs_with(&s.label());
    s.assert_nothing_left();

    let missing = support::netrig()
        .args(["export", "--compose", "--run", "0000dead", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    support::assert_exit(&missing, 1);
    assert!(
        support::text(&missing)
            .1
            .contains("nothing of run 0000dead is on the daemon")
    );
}

#[test]
fn replicas_shared_stacks_profiles_external_networks_and_warnings_on_the_daemon() {
    let _daemon = daemon_shared();
    let s = support::Scenario::new(
        "f16-forms",
        r#"
        let outside = network::create("f16fm-outside");
        let app = compose::up("compose.yml", #{image: "busybox", cmd: "sleep 3600",
            project: "f16fm", profiles: ["debug"], ignore_unsupported: true});
        let web = app.services.web;
        assert_eq(web.len(), 2, "two replicas");
        assert_eq(web.map(|c| c.name), ["f16fm-web-1", "f16fm-web-2"]);
        // The service name answers with every replica's address.
        let answer = exec(app.services.client, "nslookup web").stdout;
        for c in web { assert(answer.contains(c.ip()), answer); }
        // The debug probe shares web-1's network stack.
        assert_eq(exec(app.services.probe, "hostname -i").stdout, exec(web[0], "hostname -i").stdout);
        // The external network is the script's own, joined but not made.
        assert_eq(app.networks.outside.id, outside.id);
        assert_reachable(app.services.client, "f16fm-peer");
        assert_eq(app.warnings.len(), 1, app.warnings);
        assert(app.warnings[0].contains("services.client.volumes"), app.warnings[0]);
        assert(!("quiet" in app.services), "a service of a profile not asked for is left out");
        "#,
    );
    std::fs::write(
        s.path.parent().unwrap().join("compose.yml"),
        "services:\n  web:\n    image: nginx\n    deploy: {replicas: 2}\n    networks: [front]\n  \
         probe:\n    image: busybox\n    network_mode: service:web\n    profiles: [debug]\n  \
         quiet:\n    image: busybox\n    profiles: [other]\n  \
         peer:\n    image: busybox\n    container_name: f16fm-peer\n    networks: [outside]\n  \
         client:\n    image: busybox\n    networks: [front, outside]\n    volumes: [\"x:/x\"]\n\
         networks:\n  front: {}\n  outside: {external: true, name: f16fm-outside}\n",
    )
    .unwrap();
    let out = s.run(&[]);
    let (stdout, stderr) = support::text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("services.client.volumes") && stderr.contains("warning"),
        "{stderr}"
    );
    s.assert_nothing_left();
}
