//! Whole Compose files through `load`: what each becomes, and each kind of
//! bad input with the path and line it names.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::ComposeError;
use super::load::load;
use super::plan::{self, CmdOverride, Condition, Dependency, LoadOptions, Plan};

/// A Compose file (and optional `.env`) in a temporary folder named `shop`.
struct Files {
    _dir: tempfile::TempDir,
    file: PathBuf,
}

fn files(compose: &str, dotenv: Option<&str>) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("Shop App");
    std::fs::create_dir(&folder).unwrap();
    let file = folder.join("compose.yml");
    std::fs::write(&file, compose).unwrap();
    if let Some(env) = dotenv {
        std::fs::write(folder.join(".env"), env).unwrap();
    }
    Files { _dir: dir, file }
}

fn load_file(f: &Files, opts: &LoadOptions) -> Result<Plan, ComposeError> {
    load(&f.file, opts)
}

const THREE_TIER: &str = r#"
services:
  web:
    image: nginx:${WEB_TAG:-1.25}
    ports:
      - "8080:80"
      - target: 443
        published: 8443
        host_ip: 127.0.0.1
        protocol: tcp
    networks:
      frontend:
        aliases: [www]
      backend: {}
    depends_on:
      api:
        condition: service_healthy
  api:
    image: ${REGISTRY}/api
    command: serve --port 5000
    expose: ["5000"]
    environment:
      DB_HOST: db
      DEBUG:
    env_file: api.env
    networks: [backend, data]
    depends_on: [db]
    healthcheck:
      test: ["CMD-SHELL", "nc -z localhost 5000"]
      interval: 1s
      timeout: 500ms
      retries: 5
      start_period: 1m30s
    deploy:
      replicas: 2
  db:
    image: postgres
    networks:
      data:
        ipv4_address: 10.30.2.10
    cap_add: [NET_ADMIN]
  debug:
    image: busybox
    profiles: [debug]
networks:
  frontend: {}
  backend: {}
  data:
    internal: true
    ipam:
      config:
        - subnet: 10.30.2.0/24
          gateway: 10.30.2.1
"#;

fn three_tier() -> Files {
    let f = files(THREE_TIER, Some("REGISTRY=registry.test\nDEBUG=1\n"));
    std::fs::write(
        f.file.with_file_name("api.env"),
        "LOG=info\nDB_HOST=wrong\n",
    )
    .unwrap();
    f
}

#[test]
fn a_three_tier_file_becomes_networks_and_containers_in_start_order() {
    let f = three_tier();
    let plan = load_file(&f, &LoadOptions::default()).unwrap();
    assert_eq!(plan.project, "shopapp");
    let nets: Vec<(&str, &str)> = plan
        .networks
        .iter()
        .map(|n| (n.key.as_str(), n.spec.name.as_str()))
        .collect();
    assert_eq!(
        nets,
        vec![
            ("frontend", "shopapp_frontend"),
            ("backend", "shopapp_backend"),
            ("data", "shopapp_data")
        ]
    );
    let data = plan.network("data").unwrap();
    assert!(data.spec.internal);
    assert_eq!(data.spec.subnet.as_deref(), Some("10.30.2.0/24"));

    let order: Vec<(&str, usize)> = plan
        .services
        .iter()
        .map(|s| (s.name.as_str(), s.stage))
        .collect();
    assert_eq!(order, vec![("db", 0), ("api", 1), ("web", 2)]);
    assert!(
        plan.service("debug").is_none(),
        "a service of a profile not enabled"
    );

    let web = &plan.service("web").unwrap().containers[0];
    assert_eq!(web.name.as_deref(), Some("shopapp-web-1"));
    assert_eq!(web.image, "nginx:1.25");
    assert_eq!(web.networks, vec!["shopapp_frontend", "shopapp_backend"]);
    assert_eq!(web.aliases, vec!["web"]);
    assert_eq!(web.endpoints["shopapp_frontend"].aliases, vec!["www"]);
    assert!(!web.endpoints.contains_key("shopapp_backend"));
    let ports: Vec<(Option<&str>, Option<u16>, u16)> = web
        .ports
        .iter()
        .map(|p| (p.host_ip.as_deref(), p.host_port, p.container_port))
        .collect();
    assert_eq!(
        ports,
        vec![(None, Some(8080), 80), (Some("127.0.0.1"), Some(8443), 443)]
    );
    assert_eq!(web.labels[plan::SERVICE_LABEL], "web");
    assert_eq!(web.labels[plan::PROJECT_LABEL], "shopapp");
    assert_eq!(
        plan.service("web").unwrap().depends_on,
        vec![Dependency {
            service: "api".into(),
            condition: Condition::Healthy
        }]
    );

    let api = plan.service("api").unwrap();
    let names: Vec<_> = api
        .containers
        .iter()
        .map(|c| c.name.clone().unwrap())
        .collect();
    assert_eq!(names, vec!["shopapp-api-1", "shopapp-api-2"]);
    let a = &api.containers[0];
    assert_eq!(a.image, "registry.test/api");
    assert_eq!(
        a.cmd,
        Some(vec!["serve".into(), "--port".into(), "5000".into()])
    );
    assert_eq!(a.expose, vec!["5000/tcp"]);
    // env_file first, environment over it; DEBUG takes the variable's value.
    assert_eq!(
        a.env,
        vec![
            ("LOG".into(), "info".into()),
            ("DB_HOST".into(), "db".into()),
            ("DEBUG".into(), "1".into())
        ]
    );
    let h = a.healthcheck.as_ref().unwrap();
    assert_eq!(h.test, vec!["CMD-SHELL", "nc -z localhost 5000"]);
    assert_eq!(h.interval, Some(Duration::from_secs(1)));
    assert_eq!(h.timeout, Some(Duration::from_millis(500)));
    assert_eq!(h.start_period, Some(Duration::from_secs(90)));
    assert_eq!(h.retries, Some(5));

    let db = &plan.service("db").unwrap().containers[0];
    assert_eq!(
        db.endpoints["shopapp_data"].ipv4.as_deref(),
        Some("10.30.2.10")
    );
    assert_eq!(db.cap_add, vec!["NET_ADMIN"]);
    assert!(plan.warnings.is_empty());
}

#[test]
fn profiles_project_names_and_the_environment() {
    let f = three_tier();
    let opts = LoadOptions {
        profiles: vec!["debug".into()],
        project: Some("p1".into()),
        environment: HashMap::from([
            ("WEB_TAG".into(), "2".into()),
            ("REGISTRY".into(), "r".into()),
        ]),
        ..Default::default()
    };
    let plan = load_file(&f, &opts).unwrap();
    assert_eq!(plan.project, "p1");
    assert_eq!(plan.service("web").unwrap().containers[0].image, "nginx:2");
    assert_eq!(
        plan.service("api").unwrap().containers[0].image,
        "r/api",
        "the environment wins over .env"
    );
    let debug = plan.service("debug").unwrap();
    assert_eq!(debug.containers[0].networks, vec!["p1_default"]);
    assert_eq!(plan.networks.last().unwrap().key, "default");

    let named = files(
        "name: from-file\nservices:\n  a:\n    image: busybox\n",
        None,
    );
    assert_eq!(
        load_file(&named, &LoadOptions::default()).unwrap().project,
        "from-file"
    );
    let bad = LoadOptions {
        project: Some("Bad Name".into()),
        ..Default::default()
    };
    let e = load_file(&named, &bad).unwrap_err();
    assert!(
        e.to_string()
            .contains("\"Bad Name\" is not a valid project name"),
        "{e}"
    );
}

#[test]
fn an_image_override_keeps_names_networks_aliases_and_ports() {
    let f = three_tier();
    let opts = LoadOptions {
        image: Some("busybox".into()),
        cmd: CmdOverride::PerService(HashMap::from([(
            "db".into(),
            vec!["nc".into(), "-lk".into(), "-p".into(), "5432".into()],
        )])),
        environment: HashMap::from([("REGISTRY".into(), "r".into())]),
        ..Default::default()
    };
    let plan = load_file(&f, &opts).unwrap();
    for s in &plan.services {
        for c in &s.containers {
            assert_eq!(c.image, "busybox", "{}", s.name);
            assert_eq!(c.entrypoint, None);
        }
    }
    let web = &plan.service("web").unwrap().containers[0];
    assert_eq!(web.name.as_deref(), Some("shopapp-web-1"));
    assert_eq!(web.endpoints["shopapp_frontend"].aliases, vec!["www"]);
    assert_eq!(web.ports.len(), 2);
    assert_eq!(
        plan.service("db").unwrap().containers[0]
            .cmd
            .as_ref()
            .unwrap()[0],
        "nc"
    );
    // Services not named keep their own command.
    assert_eq!(
        plan.service("api").unwrap().containers[0]
            .cmd
            .as_ref()
            .unwrap()[0],
        "serve"
    );

    let all = LoadOptions {
        cmd: CmdOverride::All(vec!["sleep".into(), "60".into()]),
        ..opts.clone()
    };
    let plan = load_file(&f, &all).unwrap();
    assert!(plan.services.iter().all(|s| {
        s.containers
            .iter()
            .all(|c| c.cmd.as_deref() == Some(&["sleep".to_string(), "60".to_string()][..]))
    }));

    let wrong = LoadOptions {
        cmd: CmdOverride::PerService(HashMap::from([("nope".into(), vec![])])),
        ..opts
    };
    assert!(
        load_file(&f, &wrong)
            .unwrap_err()
            .to_string()
            .contains("names service \"nope\"")
    );
}

#[test]
fn network_modes_external_networks_and_shorthands() {
    let f = files(
        r#"
services:
  app:
    image: busybox
    networks: [edge]
    extra_hosts: {gw: 10.0.0.1}
    dns: 10.0.0.53
  sidecar:
    image: busybox
    network_mode: service:app
  probe:
    image: busybox
    network_mode: host
networks:
  edge:
    external: true
    name: shared-edge
"#,
        None,
    );
    let plan = load_file(&f, &LoadOptions::default()).unwrap();
    let edge = plan.network("edge").unwrap();
    assert!(edge.external);
    assert_eq!(edge.spec.name, "shared-edge");
    let app = &plan.service("app").unwrap().containers[0];
    assert_eq!(app.networks, vec!["shared-edge"]);
    assert_eq!(app.extra_hosts, vec!["gw:10.0.0.1"]);
    assert_eq!(app.dns, vec!["10.0.0.53"]);
    let sidecar = plan.service("sidecar").unwrap();
    assert_eq!(
        sidecar.containers[0].network_of.as_deref(),
        Some("shopapp-app-1")
    );
    assert!(sidecar.containers[0].networks.is_empty());
    assert_eq!(
        sidecar.stage, 1,
        "it starts after the service whose stack it shares"
    );
    assert_eq!(
        plan.service("probe").unwrap().containers[0].networks,
        vec!["host"]
    );
}

/// The rendered error, and the `(line, path)` of each problem.
fn error_of(compose: &str, dotenv: Option<&str>) -> (String, Vec<(usize, String)>) {
    let f = files(compose, dotenv);
    let e = load_file(&f, &LoadOptions::default()).unwrap_err();
    let at = e
        .problems
        .iter()
        .map(|p| (p.at.map(|a| a.line).unwrap_or(0), p.path.clone()))
        .collect();
    (e.to_string(), at)
}

#[test]
fn bad_files_name_the_key_and_its_line() {
    let (text, at) = error_of(
        "services:\n  web:\n    image: busybox\n    depends_on: [dbb]\n  db:\n    image: busybox\n",
        None,
    );
    assert_eq!(at, vec![(4, "services.web.depends_on[0]".to_string())]);
    assert!(text.contains("compose.yml:4:"), "{text}");
    assert!(
        text.contains("\"dbb\", which is not a service of this file"),
        "{text}"
    );

    let (text, at) = error_of(
        "services:\n  a:\n    image: busybox\n    depends_on: {b: {condition: service_started}}\n  b:\n    image: busybox\n    depends_on: [a]\n",
        None,
    );
    assert_eq!(at, vec![(4, "services.a.depends_on.b".to_string())]);
    assert!(text.contains("cycle: a → b → a"), "{text}");

    let (text, at) = error_of(
        "services:\n  web:\n    image: busybox\n    volumes: [\"data:/d\"]\n    restart: always\nvolumes:\n  data: {}\n",
        None,
    );
    assert_eq!(
        at,
        vec![
            (4, "services.web.volumes".to_string()),
            (5, "services.web.restart".to_string()),
            (6, "volumes".to_string())
        ]
    );
    assert!(text.starts_with("3 problems in Compose file"), "{text}");
    assert!(text.contains("ignore_unsupported: true"), "{text}");

    let (text, at) = error_of(
        "services:\n  web:\n    image: app:${TAG}\n",
        Some("OTHER=1\n"),
    );
    assert_eq!(at, vec![(3, "services.web.image".to_string())]);
    assert!(text.contains("variable TAG is not set"), "{text}");

    let (text, at) = error_of(
        "services:\n  web:\n    image: busybox\n    networks: [front]\n",
        None,
    );
    assert_eq!(at, vec![(4, "services.web.networks[0]".to_string())]);
    assert!(text.contains("network \"front\" is not declared"), "{text}");

    let (text, _) = error_of("services:\n  web:\n    image: busybox\n   ports: [\n", None);
    assert!(
        text.contains("compose.yml:4:") && text.contains("not valid YAML"),
        "{text}"
    );

    let (text, at) = error_of(
        "services:\n  db:\n    image: busybox\n    networks:\n      back:\n        ipv4_address: 10.9.0.5\nnetworks:\n  back: {}\n",
        None,
    );
    assert_eq!(
        at,
        vec![(6, "services.db.networks.back.ipv4_address".to_string())]
    );
    assert!(text.contains("has no ipam subnet"), "{text}");

    let (text, at) = error_of("services:\n  web:\n    ports: [\"99999:80\"]\n", None);
    assert_eq!(at.len(), 2, "{text}");
    assert!(
        text.contains("has no image") && text.contains("99999"),
        "{text}"
    );
}

#[test]
fn ignoring_unsupported_keys_warns_with_positions() {
    let f = files(
        "services:\n  web:\n    image: busybox\n    restart: always\n    volumes: [a:/a]\n",
        None,
    );
    let opts = LoadOptions {
        ignore_unsupported: true,
        ..Default::default()
    };
    let plan = load_file(&f, &opts).unwrap();
    let w: Vec<(usize, &str)> = plan
        .warnings
        .iter()
        .map(|p| (p.at.unwrap().line, p.path.as_str()))
        .collect();
    assert_eq!(
        w,
        vec![(4, "services.web.restart"), (5, "services.web.volumes")]
    );
    assert_eq!(plan.services.len(), 1);
}

#[test]
fn durations_read_like_go() {
    use super::fields::go_duration;
    assert_eq!(go_duration("1m30s").unwrap(), Duration::from_secs(90));
    assert_eq!(go_duration("1.5s").unwrap(), Duration::from_millis(1500));
    assert_eq!(go_duration("2h").unwrap(), Duration::from_secs(7200));
    assert_eq!(go_duration("250ms").unwrap(), Duration::from_millis(250));
    assert!(go_duration("10").unwrap_err().contains("not a duration"));
    assert!(go_duration("5 sec").is_err());
    assert!(Path::new("x").is_relative());
}
