//! Compose files both ways, against the real daemon and the real
//! docker-compose: an app brought up through a run session (checked from
//! outside through bollard), and an exported run read by docker-compose.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use netrig::compose::export::{Attachment, ModelContainer, ModelNetwork, RunModel, to_compose};
use netrig::compose::{CmdOverride, LoadOptions, load};
use netrig::docker::ports::parse_publish;
use netrig::docker::{Client, RunSession};
use support::{LabelGuard, daemon};

/// A client for the daemon the tests use, as the command line would make it.
fn connect(rt: &tokio::runtime::Runtime) -> Client {
    let options = netrig::daemon_args::DaemonArgs::from_env()
        .unwrap()
        .client_options();
    rt.block_on(Client::connect(&options)).unwrap()
}

/// The fixture, copied into a folder called `shop` (the project name).
fn shop() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("shop");
    std::fs::create_dir(&folder).unwrap();
    let file = folder.join("compose.yml");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compose/three-tier.yml");
    std::fs::copy(fixture, &file).unwrap();
    (dir, file)
}

/// busybox in place of every image: each tier listens on its port; the
/// api says it is ready only after two seconds.
fn busybox_opts() -> LoadOptions {
    let sh = |s: &str| vec!["sh".to_string(), "-c".to_string(), s.to_string()];
    LoadOptions {
        image: Some("busybox".into()),
        cmd: CmdOverride::PerService(HashMap::from([
            ("web".into(), sh("httpd -f -p 80")),
            ("api".into(), sh("sleep 2; touch /ready; httpd -f -p 5000")),
            ("db".into(), sh("httpd -f -p 5432")),
        ])),
        ..Default::default()
    }
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

#[test]
fn a_three_tier_app_comes_up_isolated_in_order_and_leaves_nothing() {
    let d = daemon();
    let (_dir, file) = shop();
    let plan = load(&file, &busybox_opts()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = connect(&rt);
    let session = RunSession::isolated(client, &file.display().to_string());
    let run = session.run_id().to_string();
    let _guard = LabelGuard(format!("netrig.run={run}"));
    let app = rt
        .block_on(netrig::compose::up::up(
            &session,
            &plan,
            &|_| {},
            Duration::from_secs(60),
        ))
        .unwrap();

    let net = |key: &str| {
        app.networks
            .iter()
            .find(|(k, _)| k == key)
            .unwrap()
            .1
            .name
            .clone()
    };
    assert_eq!(net("data"), format!("{run}-shop_data"));
    let ctr = |svc: &str| {
        app.services.iter().find(|(s, _)| s == svc).unwrap().1[0]
            .name
            .clone()
    };
    let (web, api, db) = (ctr("web"), ctr("api"), ctr("db"));
    assert_eq!(web, format!("{run}-shop-web-1"));
    assert_eq!(
        d.container_networks(&web),
        vec![net("backend"), net("frontend")]
    );
    assert_eq!(d.container_networks(&db), vec![net("data")]);
    let db_ip = d
        .container(&db)
        .unwrap()
        .network_settings
        .unwrap()
        .networks
        .unwrap()[&net("data")]
        .ip_address
        .clone();
    assert_eq!(db_ip.as_deref(), Some("10.231.60.10"));

    // The app's own names work: service names and aliases, on the right networks only.
    assert!(
        d.can_ping(&web, "api"),
        "web reaches api by its service name"
    );
    assert!(d.can_ping(&web, "orders"), "and by its alias on backend");
    assert!(d.can_ping(&api, "db"), "api reaches db on data");
    assert!(!d.can_ping(&web, "db"), "web shares no network with db");
    assert!(!d.can_ping(&web, "10.231.60.10"), "not even by address");
    assert!(
        !d.can_ping(&api, "www"),
        "an alias answers on its own network only"
    );
    let data = d
        .block(d.docker().inspect_network(
            &net("data"),
            None::<bollard::query_parameters::InspectNetworkOptions>,
        ))
        .unwrap();
    assert_eq!(data.internal, Some(true), "the data network has no way out");

    // web started only once api's health check passed (two seconds in).
    let api_health = d.container(&api).unwrap().state.unwrap().health.unwrap();
    let healthy_at = api_health
        .log
        .unwrap()
        .into_iter()
        .find(|l| l.exit_code == Some(0))
        .unwrap()
        .end
        .unwrap();
    assert!(
        started_at(&web) > healthy_at,
        "web {} vs api healthy {healthy_at}",
        started_at(&web)
    );

    let report = rt.block_on(session.teardown());
    assert!(report.failures.is_empty(), "{report:?}");
    assert!(d.containers_with(&format!("netrig.run={run}")).is_empty());
    assert!(d.networks_with(&format!("netrig.run={run}")).is_empty());
}

#[test]
fn a_dependency_that_never_gets_healthy_fails_and_leaves_nothing() {
    let d = daemon();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compose.yml");
    std::fs::write(
        &file,
        "services:\n  web:\n    image: busybox\n    command: sleep 300\n    depends_on: {db: {condition: service_healthy}}\n  db:\n    image: busybox\n    command: sleep 300\n    healthcheck: {test: \"echo not yet; exit 1\", interval: 200ms, retries: 2}\n",
    )
    .unwrap();
    let opts = LoadOptions {
        project: Some("sick".into()),
        ..Default::default()
    };
    let plan = load(&file, &opts).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = connect(&rt);
    let session = RunSession::isolated(client, &file.display().to_string());
    let label = format!("netrig.run={}", session.run_id());
    let _guard = LabelGuard(label.clone());
    let err = rt
        .block_on(netrig::compose::up::up(
            &session,
            &plan,
            &|_| {},
            Duration::from_secs(20),
        ))
        .unwrap_err()
        .to_string();
    assert!(err.contains("wait for \"db\""), "{err}");
    assert!(
        err.contains("its health check fails; last check exited 1: not yet"),
        "{err}"
    );
    assert!(
        d.containers_with(&label).is_empty(),
        "the db container was removed again"
    );
    assert!(
        d.networks_with(&label).is_empty(),
        "and the default network"
    );
    assert!(session.created().is_empty());
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

#[test]
fn a_run_exported_and_brought_up_by_docker_compose_has_the_same_networks() {
    let d = daemon();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = connect(&rt);
    let session = RunSession::new(client.clone(), "f16-roundtrip");
    let _guard = LabelGuard(format!("netrig.run={}", session.run_id()));
    let sleep = Some(vec!["sleep".to_string(), "300".to_string()]);
    rt.block_on(async {
        let front = netrig::docker::NetworkSpec {
            name: "f16rt-front".into(),
            subnet: Some("10.231.64.0/24".into()),
            ..Default::default()
        };
        let back = netrig::docker::NetworkSpec {
            name: "f16rt-back".into(),
            internal: true,
            ..Default::default()
        };
        session.create_network(&front).await.unwrap();
        session.create_network(&back).await.unwrap();
        let web = netrig::docker::RunSpec {
            image: "busybox".into(),
            name: Some("f16rt-web".into()),
            networks: vec!["f16rt-front".into(), "f16rt-back".into()],
            endpoints: HashMap::from([(
                "f16rt-front".into(),
                netrig::docker::spec::EndpointSpec {
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
        let db = netrig::docker::RunSpec {
            image: "busybox".into(),
            name: Some("f16rt-db".into()),
            networks: vec!["f16rt-back".into()],
            aliases: vec!["database".into()],
            cmd: sleep.clone(),
            ..Default::default()
        };
        session.run(&web, &|_| {}).await.unwrap();
        session.run(&db, &|_| {}).await.unwrap();
    });
    let before = attachments(&["f16rt-web", "f16rt-db"]);
    let (model, notes) = rt
        .block_on(netrig::compose::gather::gather(&client, session.run_id()))
        .unwrap();
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
