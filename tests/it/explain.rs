//! `--explain`'s command lines, judged by the real docker CLI: pasted into
//! a shell they must make the same networks and containers netrig makes
//! from the same specs (compared through the daemon's inspect answers).

use std::collections::HashMap;
use std::process::Command;

use crate::support::{LabelGuard, daemon, daemon_shared};
use netrig::tools::parse_publish;
use netrig::tools::{Client, ClientOptions, ConnectSpec, NetworkSpec, RunSpec};
use netrig::tools::{DockerOp, explain};
use serde_json::{Value, json};

/// What one round made, as the daemon describes it.
#[derive(Debug, PartialEq)]
struct Made {
    networks: Vec<Value>,
    containers: Vec<Value>,
    exec_output: String,
}

struct Specs {
    networks: Vec<NetworkSpec>,
    web: RunSpec,
    db: RunSpec,
    connect: ConnectSpec,
    exec: Vec<String>,
}

fn specs(tag: &str) -> Specs {
    let (front, back) = (format!("{tag}-front"), format!("{tag}-back"));
    let mut ports = parse_publish("127.0.0.1::80").unwrap();
    ports.extend(parse_publish("127.0.0.1::53/udp").unwrap());
    Specs {
        networks: vec![
            NetworkSpec {
                name: front.clone(),
                subnet: Some("10.231.177.0/24".into()),
                gateway: Some("10.231.177.1".into()),
                ip_range: Some("10.231.177.128/25".into()),
                labels: HashMap::from([("tier".into(), "a b".into())]),
                options: HashMap::from([("com.docker.network.driver.mtu".into(), "1400".into())]),
                ..Default::default()
            },
            NetworkSpec {
                name: back.clone(),
                subnet: Some("10.231.178.0/24".into()),
                internal: true,
                attachable: true,
                ..Default::default()
            },
        ],
        web: RunSpec {
            image: "busybox".into(),
            name: Some(format!("{tag}-web")),
            networks: vec![front.clone(), back.clone()],
            aliases: vec!["www".into()],
            ports,
            entrypoint: Some(vec!["sh".into(), "-c".into()]),
            cmd: Some(vec!["echo \"$HOME\" \"it's\"; sleep 300".into()]),
            env: vec![("GREETING".into(), "hello world; $USER".into())],
            hostname: Some("web-host".into()),
            labels: HashMap::from([("role".into(), "web server".into())]),
            cap_add: vec!["NET_ADMIN".into()],
            workdir: Some("/tmp".into()),
            user: Some("1000:1000".into()),
            ..Default::default()
        },
        db: RunSpec {
            image: "busybox".into(),
            name: Some(format!("{tag}-db")),
            networks: vec![front],
            cmd: Some(vec!["sleep".into(), "300".into()]),
            ..Default::default()
        },
        connect: ConnectSpec {
            aliases: vec!["database".into()],
            ip: Some("10.231.178.200".into()),
        },
        exec: vec![
            "sh".into(),
            "-c".into(),
            "echo \"$HOME\" \"it's\" * $GREETING".into(),
        ],
    }
}

/// The daemon's description of what a round made, minus what differs
/// between any two creations (ids, times, random host ports, addresses
/// Docker picked).
fn describe(specs: &Specs, exec_output: String) -> Made {
    let d = daemon();
    let networks = specs
        .networks
        .iter()
        .map(|n| {
            let v =
                serde_json::to_value(d.block(d.docker().inspect_network(&n.name, None)).unwrap())
                    .unwrap();
            json!({
                "Name": v["Name"], "Driver": v["Driver"], "IPAM": v["IPAM"]["Config"],
                "Internal": v["Internal"], "Attachable": v["Attachable"],
                "EnableIPv6": v["EnableIPv6"], "Options": v["Options"], "Labels": v["Labels"],
            })
        })
        .collect();
    let containers = [&specs.web, &specs.db]
        .iter()
        .map(|spec| {
            let name = spec.name.as_deref().unwrap();
            let v = serde_json::to_value(d.container(name).unwrap()).unwrap();
            let id = v["Id"].as_str().unwrap()[..12].to_string();
            let mut networks = v["NetworkSettings"]["Networks"].clone();
            for (_, ep) in networks.as_object_mut().into_iter().flatten() {
                let aliases: Vec<Value> = ep["Aliases"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| a.as_str() != Some(id.as_str()))
                    .collect();
                // The CLI sends an empty IPAM config where netrig sends none.
                let ipam = match &ep["IPAMConfig"] {
                    Value::Object(m) if m.is_empty() => Value::Null,
                    other => other.clone(),
                };
                *ep = json!({"Aliases": aliases, "IPAMConfig": ipam});
            }
            // No ports: the CLI sends an empty map, netrig none.
            let mut bindings = match &v["HostConfig"]["PortBindings"] {
                Value::Object(m) if m.is_empty() => Value::Null,
                other => other.clone(),
            };
            for (_, list) in bindings.as_object_mut().into_iter().flatten() {
                for b in list.as_array_mut().into_iter().flatten() {
                    b["HostPort"] = json!("");
                }
            }
            // --entrypoint takes one word, so the CLI moves the rest of a
            // longer entrypoint into the command: the process is the same.
            let argv: Vec<Value> = ["Entrypoint", "Cmd"]
                .iter()
                .flat_map(|k| v["Config"][k].as_array().cloned().unwrap_or_default())
                .collect();
            // The CLI spells capabilities with their CAP_ prefix.
            let caps: Vec<Value> = v["HostConfig"]["CapAdd"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|c| json!(c.as_str().unwrap().trim_start_matches("CAP_")))
                .collect();
            json!({
                "Name": v["Name"], "Running": v["State"]["Running"], "Argv": argv,
                "Env": v["Config"]["Env"], "Hostname": if v["Config"]["Hostname"] == json!(id) { json!("(its id)") } else { v["Config"]["Hostname"].clone() },
                "User": v["Config"]["User"], "WorkingDir": v["Config"]["WorkingDir"],
                "ExposedPorts": v["Config"]["ExposedPorts"], "Labels": v["Config"]["Labels"],
                "PortBindings": bindings, "CapAdd": caps,
                "NetworkMode": v["HostConfig"]["NetworkMode"],
                "Privileged": v["HostConfig"]["Privileged"], "Networks": networks,
            })
        })
        .collect();
    Made {
        networks,
        containers,
        exec_output,
    }
}

/// The spec's own labels and the test's, as a run session merges them.
fn labels(user: &HashMap<String, String>, test_label: &str) -> HashMap<String, String> {
    let (k, v) = test_label.split_once('=').unwrap();
    let mut all = user.clone();
    all.insert("netrig.managed".into(), "true".into());
    all.insert(k.into(), v.into());
    all
}

/// Every command line of the round, in order.
fn explained(specs: &Specs) -> Vec<String> {
    let mut lines = Vec::new();
    for n in &specs.networks {
        lines.extend(explain(&DockerOp::NetworkCreate(n)));
    }
    for spec in [&specs.web, &specs.db] {
        let name = spec.name.as_deref().unwrap();
        lines.extend(explain(&DockerOp::Run { spec, name }));
    }
    lines.extend(explain(&DockerOp::NetworkConnect {
        network: &specs.networks[1].name,
        container: specs.db.name.as_deref().unwrap(),
        spec: &specs.connect,
    }));
    lines.extend(explain(&DockerOp::Exec {
        container: specs.web.name.as_deref().unwrap(),
        cmd: &specs.exec,
    }));
    lines
}

#[test]
fn the_docker_cli_makes_what_netrig_makes_from_the_same_specs() {
    let _daemon = daemon_shared();
    let tag = format!("exp{}", std::process::id());
    let test_label = format!("netrig.test={tag}");
    let _guard = LabelGuard(test_label.clone());
    let specs = specs(&tag);
    let d = daemon();

    // netrig, through the Engine API.
    let client = d.block(Client::connect(&ClientOptions::default())).unwrap();
    for n in &specs.networks {
        d.block(client.create_network(n, labels(&n.labels, &test_label)))
            .unwrap();
    }
    for spec in [&specs.web, &specs.db] {
        let name = spec.name.as_deref().unwrap();
        d.block(client.create_and_start(spec, name, labels(&spec.labels, &test_label)))
            .unwrap();
    }
    d.block(client.connect_network(
        &specs.networks[1].name,
        specs.db.name.as_deref().unwrap(),
        &specs.connect,
    ))
    .unwrap();
    // The command netrig's exec sends, word for word.
    let argv: Vec<&str> = specs.exec.iter().map(String::as_str).collect();
    let (code, out) = d.exec(specs.web.name.as_deref().unwrap(), &argv);
    assert_eq!(code, 0, "{out}");
    let by_netrig = describe(&specs, out);
    d.remove_all_with(&test_label);

    // The docker CLI, each printed line run by a shell as a user would
    // paste it, labelled so the guard removes what it made.
    let label_flags = format!("--label netrig.managed=true --label {test_label}");
    let mut exec_output = String::new();
    for line in explained(&specs) {
        let line = ["docker network create", "docker run -d", "docker create"]
            .iter()
            .find(|p| line.starts_with(*p))
            .map_or(line.clone(), |p| {
                line.replacen(p, &format!("{p} {label_flags}"), 1)
            });
        let out = Command::new("sh").arg("-c").arg(&line).output().unwrap();
        assert!(
            out.status.success(),
            "{line}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if line.starts_with("docker exec") {
            exec_output = String::from_utf8_lossy(&out.stdout).into_owned();
        }
    }
    let by_cli = describe(&specs, exec_output);

    assert_eq!(by_cli.networks, by_netrig.networks);
    assert_eq!(by_cli.containers[0], by_netrig.containers[0]);
    assert_eq!(by_cli.containers[1], by_netrig.containers[1]);
    assert_eq!(by_cli.exec_output, by_netrig.exec_output);
    assert!(
        by_netrig.exec_output.starts_with("/ it's "),
        "{}",
        by_netrig.exec_output
    );
}
