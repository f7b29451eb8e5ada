//! The command lines people know, and the ones netrig's options add.

use super::*;
use crate::docker::ports::parse_publish;

fn words(cmd: &str) -> Vec<String> {
    shell_words::split(cmd).unwrap()
}

#[test]
fn the_tutorials_own_commands() {
    assert_eq!(
        explain(&DockerOp::NetworkCreate(&NetworkSpec::named("my_net"))),
        ["docker network create my_net"]
    );
    assert_eq!(explain(&DockerOp::NetworkLs), ["docker network ls"]);
    let jupyter = RunSpec {
        image: "busybox".into(),
        name: Some("jupyter".into()),
        networks: vec!["my_net".into()],
        ports: parse_publish("8888:8888").unwrap(),
        cmd: Some(words("httpd -f -p 8888")),
        ..Default::default()
    };
    assert_eq!(
        explain(&DockerOp::Run {
            spec: &jupyter,
            name: "jupyter"
        }),
        ["docker run -d --name jupyter --network my_net -p 8888:8888 busybox httpd -f -p 8888"]
    );
    let ping = words("ping -c 4 jupyter");
    assert_eq!(
        explain(&DockerOp::Exec {
            container: "debian",
            cmd: &ping
        }),
        ["docker exec debian ping -c 4 jupyter"]
    );
    assert_eq!(
        explain(&DockerOp::Rm("gigantic_brown")),
        ["docker rm -f -v gigantic_brown"]
    );
    assert_eq!(
        explain(&DockerOp::NetworkInspect("bridge")),
        ["docker network inspect bridge"]
    );
}

#[test]
fn words_that_a_shell_would_split_or_expand_are_quoted() {
    let cmd: Vec<String> = vec!["sh".into(), "-c".into(), "echo $HOME; sleep 300".into()];
    let line = &explain(&DockerOp::Exec {
        container: "my app",
        cmd: &cmd,
    })[0];
    assert_eq!(line, "docker exec 'my app' sh -c 'echo $HOME; sleep 300'");
    assert_eq!(
        shell_words::split(line).unwrap(),
        [
            "docker",
            "exec",
            "my app",
            "sh",
            "-c",
            "echo $HOME; sleep 300"
        ],
        "a shell gets back exactly the words netrig sends"
    );
    let quote: Vec<String> = vec!["echo".into(), "it's".into(), "".into()];
    let line = &explain(&DockerOp::Exec {
        container: "c",
        cmd: &quote,
    })[0];
    assert_eq!(
        shell_words::split(line).unwrap(),
        ["docker", "exec", "c", "echo", "it's", ""]
    );
}

#[test]
fn equals_signs_stay_bare_and_everything_else_a_shell_minds_is_quoted() {
    assert_eq!(quote("tier=db"), "tier=db");
    assert_eq!(quote("A="), "A=");
    assert_eq!(quote("a=b c"), "'a=b c'");
    assert_eq!(quote(""), "''");
    assert_eq!(quote("$x"), "'$x'");
    for word in [
        "tier=db", "A=", "=", "x==y", "it's", "a b", "*", "~", "#c", "!", "",
    ] {
        assert_eq!(
            shell_words::split(&quote(word)).unwrap(),
            [word],
            "{word:?}"
        );
    }
}

#[test]
fn every_network_option_has_its_flag() {
    let spec = NetworkSpec {
        name: "back".into(),
        driver: Some("bridge".into()),
        subnet: Some("10.9.0.0/24".into()),
        extra_subnets: vec![("fd09::/64".into(), Some("fd09::1".into()))],
        gateway: Some("10.9.0.1".into()),
        ip_range: Some("10.9.0.128/25".into()),
        internal: true,
        attachable: true,
        ipv6: true,
        labels: HashMap::from([("tier".into(), "db".into()), ("a".into(), "b c".into())]),
        options: HashMap::from([("com.docker.network.bridge.name".into(), "br-back".into())]),
    };
    assert_eq!(
        explain(&DockerOp::NetworkCreate(&spec)),
        [
            "docker network create --driver bridge --subnet 10.9.0.0/24 --subnet fd09::/64 --gateway 10.9.0.1 --gateway fd09::1 \
          --ip-range 10.9.0.128/25 --internal --attachable --ipv6 --label 'a=b c' \
          --label tier=db --opt com.docker.network.bridge.name=br-back back"
        ]
    );
}

#[test]
fn every_run_option_has_its_flag() {
    let mut ports = parse_publish("127.0.0.1::80").unwrap();
    ports.extend(parse_publish("5353:53/udp").unwrap());
    ports.extend(parse_publish("9000").unwrap());
    ports.extend(parse_publish("[::1]:8080:80").unwrap());
    let spec = RunSpec {
        image: "busybox:latest".into(),
        networks: vec!["front".into()],
        ports,
        cmd: Some(vec!["-c".into(), "sleep 300".into()]),
        entrypoint: Some(vec!["sh".into()]),
        env: vec![("GREETING".into(), "hello world".into())],
        aliases: vec!["web".into()],
        hostname: Some("h1".into()),
        labels: HashMap::from([("role".into(), "web".into())]),
        cap_add: vec!["NET_ADMIN".into()],
        workdir: Some("/tmp".into()),
        user: Some("nobody".into()),
        privileged: true,
        init: true,
        ..Default::default()
    };
    assert_eq!(
        explain(&DockerOp::Run {
            spec: &spec,
            name: "web-1"
        }),
        [
            "docker run -d --name web-1 --network front --network-alias web \
          -p 127.0.0.1::80 -p 5353:53/udp -p 9000 -p '[::1]:8080:80' \
          -e 'GREETING=hello world' --hostname h1 --label role=web --cap-add NET_ADMIN \
          -w /tmp -u nobody --privileged --init --entrypoint sh busybox:latest -c 'sleep 300'"
        ]
    );
}

#[test]
fn several_networks_are_create_connect_start() {
    let spec = RunSpec {
        image: "busybox".into(),
        networks: vec!["front".into(), "back".into(), "bridge".into()],
        aliases: vec!["api".into()],
        cmd: Some(words("sleep 3600")),
        ..Default::default()
    };
    assert_eq!(
        explain(&DockerOp::Run {
            spec: &spec,
            name: "api"
        }),
        [
            "docker create --name api --network front --network-alias api busybox sleep 3600",
            "docker network connect --alias api back api",
            "docker network connect bridge api",
            "docker start api",
        ]
    );
}

#[test]
fn an_entrypoint_array_keeps_its_words_in_order() {
    let spec = RunSpec {
        image: "busybox".into(),
        entrypoint: Some(vec!["sh".into(), "-c".into()]),
        cmd: Some(vec!["echo hi".into()]),
        ..Default::default()
    };
    assert_eq!(
        explain(&DockerOp::Run {
            spec: &spec,
            name: "e"
        }),
        ["docker run -d --name e --entrypoint sh busybox -c 'echo hi'"]
    );
    let cleared = RunSpec {
        entrypoint: Some(vec![]),
        cmd: None,
        ..spec
    };
    assert_eq!(
        explain(&DockerOp::Run {
            spec: &cleared,
            name: "e"
        }),
        ["docker run -d --name e --entrypoint '' busybox"]
    );
}

#[test]
fn container_and_network_lifecycle() {
    let connect = ConnectSpec {
        aliases: vec!["db".into()],
        ip: Some("10.1.0.9".into()),
    };
    assert_eq!(
        explain(&DockerOp::NetworkConnect {
            network: "back",
            container: "web",
            spec: &connect
        }),
        ["docker network connect --alias db --ip 10.1.0.9 back web"]
    );
    assert_eq!(
        explain(&DockerOp::NetworkDisconnect {
            network: "back",
            container: "web"
        }),
        ["docker network disconnect back web"]
    );
    assert_eq!(
        explain(&DockerOp::Stop {
            container: "web",
            timeout_secs: Some(1)
        }),
        ["docker stop -t 1 web"]
    );
    assert_eq!(
        explain(&DockerOp::Stop {
            container: "web",
            timeout_secs: None
        }),
        ["docker stop web"]
    );
    assert_eq!(explain(&DockerOp::Start("web")), ["docker start web"]);
    assert_eq!(
        explain(&DockerOp::NetworkRm("back")),
        ["docker network rm back"]
    );
    assert_eq!(explain(&DockerOp::Inspect("web")), ["docker inspect web"]);
    assert_eq!(explain(&DockerOp::Logs("web")), ["docker logs web"]);
    assert_eq!(explain(&DockerOp::Ps), ["docker ps -a"]);
    assert_eq!(explain(&DockerOp::Pull("busybox")), ["docker pull busybox"]);
    assert_eq!(
        explain(&DockerOp::Build {
            context: "./my app",
            tag: "t:1"
        }),
        ["docker build -t t:1 './my app'"]
    );
    assert_eq!(explain(&DockerOp::Images), ["docker image ls"]);
}

#[test]
fn another_daemon_is_named_with_dash_h() {
    let spec = RunSpec {
        image: "busybox".into(),
        networks: vec!["a".into(), "b".into()],
        ..Default::default()
    };
    let lines = explain_on(
        Some("ssh://root@node2"),
        &DockerOp::Run {
            spec: &spec,
            name: "x",
        },
    );
    assert_eq!(
        lines,
        [
            "docker -H ssh://root@node2 create --name x --network a busybox",
            "docker -H ssh://root@node2 network connect b x",
            "docker -H ssh://root@node2 start x",
        ]
    );
}

#[test]
fn swarm_and_services() {
    use crate::docker::swarm::service::{EndpointMode, ServiceSpec};
    use crate::docker::swarm::{SwarmInitSpec, SwarmJoinSpec};
    let init = SwarmInitSpec {
        advertise_addr: Some("10.0.0.1".into()),
        default_addr_pool: vec!["10.20.0.0/16".into()],
        subnet_size: Some(26),
        ..Default::default()
    };
    assert_eq!(
        explain(&DockerOp::SwarmInit(&init)),
        [
            "docker swarm init --advertise-addr 10.0.0.1 --default-addr-pool 10.20.0.0/16 \
          --default-addr-pool-mask-length 26"
        ]
    );
    let join = SwarmJoinSpec {
        remote_addrs: vec!["10.0.0.1:2377".into(), "10.0.0.2:2377".into()],
        token: "SWMTKN-1-abc".into(),
        ..Default::default()
    };
    assert_eq!(
        explain(&DockerOp::SwarmJoin(&join)),
        ["docker swarm join --token SWMTKN-1-abc 10.0.0.1:2377"]
    );
    assert_eq!(
        explain(&DockerOp::SwarmLeave { force: true }),
        ["docker swarm leave --force"]
    );
    let mut ports = parse_publish("8080:80").unwrap();
    ports.extend(parse_publish("53/udp").unwrap());
    let web = ServiceSpec {
        name: "web".into(),
        image: "busybox".into(),
        replicas: 3,
        networks: vec!["overlay1".into()],
        aliases: vec!["www".into()],
        ports,
        cmd: Some(words("httpd -f -p 80")),
        entrypoint: Some(words("sh -c")),
        env: vec![("A".into(), "1".into())],
        labels: HashMap::from([("tier".into(), "front".into())]),
        constraints: vec!["node.role==manager".into()],
        endpoint_mode: EndpointMode::Dnsrr,
        hostname: Some("{{.Task.Name}}".into()),
    };
    assert_eq!(
        explain(&DockerOp::ServiceCreate(&web)),
        [
            "docker service create --name web --replicas 3 --network name=overlay1,alias=www \
          --publish published=8080,target=80 --publish target=53,protocol=udp -e A=1 \
          --label tier=front --container-label tier=front --constraint node.role==manager \
          --endpoint-mode dnsrr --hostname {{.Task.Name}} --entrypoint 'sh -c' busybox \
          httpd -f -p 80"
        ]
    );
    assert_eq!(
        explain(&DockerOp::ServiceScale {
            service: "web",
            replicas: 5
        }),
        ["docker service scale web=5"]
    );
    assert_eq!(
        explain(&DockerOp::ServiceRm("web")),
        ["docker service rm web"]
    );
    assert_eq!(
        explain(&DockerOp::ServicePs("web")),
        ["docker service ps web"]
    );
    assert_eq!(explain(&DockerOp::NodeLs), ["docker node ls"]);
}

#[test]
fn node_failures() {
    assert_eq!(explain(&DockerOp::Pause("db")), ["docker pause db"]);
    assert_eq!(explain(&DockerOp::Unpause("db")), ["docker unpause db"]);
    assert_eq!(
        explain(&DockerOp::Kill {
            container: "db",
            signal: "SIGUSR1"
        }),
        ["docker kill --signal SIGUSR1 db"]
    );
    assert_eq!(
        explain(&DockerOp::Restart {
            container: "db",
            timeout_secs: Some(0)
        }),
        ["docker restart -t 0 db"]
    );
}

#[test]
fn the_explainer_shows_when_on_names_other_daemons_and_mutes_lookups() {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = seen.clone();
    let explainer = Explainer::new(false, move |line| {
        sink.lock().unwrap().push(line.to_string());
    });
    explainer.set_default_host("unix:///var/run/docker.sock");
    explainer.show("unix:///var/run/docker.sock", &DockerOp::NetworkLs);
    assert!(seen.lock().unwrap().is_empty(), "off by default here");
    explainer.set(true);
    let clone = explainer.clone();
    clone.show("unix:///var/run/docker.sock", &DockerOp::NetworkLs);
    clone.show("ssh://node2", &DockerOp::Ps);
    explainer
        .muted()
        .show("unix:///var/run/docker.sock", &DockerOp::Inspect("web"));
    assert!(!explainer.muted().is_on());
    explainer.set(false);
    clone.show("unix:///var/run/docker.sock", &DockerOp::NodeLs);
    assert_eq!(
        *seen.lock().unwrap(),
        ["docker network ls", "docker -H ssh://node2 ps -a"]
    );
    assert!(!Explainer::default().is_on());
}
