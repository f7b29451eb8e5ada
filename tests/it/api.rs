//! The script API against the real daemon: each function's effect is checked
//! from outside, through bollard, not through netrig.

use std::io::{Read, Write};

use crate::support::{Scenario, assert_exit, daemon, daemon_shared, text};

/// Runs a scenario with --keep so the test can look at what it made; the
/// Scenario removes it when dropped.
fn kept(tag: &str, source: &str) -> (Scenario, String) {
    let s = Scenario::new(tag, source);
    let out = s.run(&["--keep"]);
    assert_exit(&out, 0);
    let stdout = text(&out).0;
    (s, stdout)
}

#[test]
fn container_handles_and_names_work_alike() {
    let _daemon = daemon_shared();
    let (s, out) = kept(
        "handles",
        r#"
        let c = run("busybox", #{name: "core-a1", cmd: ["sh", "-c", "echo started; sleep 300"]});
        assert_eq(c.name, "core-a1");
        assert_eq(c.id.len(), 64);
        assert_eq(inspect(c).Id, inspect("core-a1").Id);
        assert_eq(inspect(c).Name, "/core-a1");
        assert_eq(c.exec("hostname").stdout.trim(), exec("core-a1", "hostname").stdout.trim());
        let r = exec(c, ["sh", "-c", "echo out; echo err >&2; exit 3"]);
        assert_eq(r.exit_code, 3);
        assert_eq(r.stdout, "out\n");
        assert_eq(r.stderr, "err\n");
        wait_until(|| logs(c).contains("started"), 5);
        assert_eq(c.logs(), "started\n");
        stop(c, 1);
        assert_eq(inspect(c).State.Status, "exited");
        c.start();
        assert_eq(c.inspect().State.Status, "running");
        print(`ip=${c.ip()}`);
        let gone = run("busybox", #{name: "core-a1-gone", cmd: "sleep 300"});
        gone.rm();
        "#,
    );
    let d = daemon();
    let c = d.container("core-a1").unwrap();
    assert_eq!(c.state.unwrap().running, Some(true), "started again");
    let ip = c.network_settings.unwrap().networks.unwrap()["bridge"]
        .ip_address
        .clone()
        .unwrap();
    assert!(out.contains(&format!("ip={ip}")), "{out}");
    assert!(d.container("core-a1-gone").is_none(), "rm() removed it");
    drop(s);
}

#[test]
fn several_networks_are_joined_before_the_process_starts() {
    let _daemon = daemon_shared();
    let (s, _) = kept(
        "twonets",
        r#"
        let a = network::create("core-a2-x", #{subnet: "10.231.1.0/24"});
        let b = network::create("core-a2-y", #{subnet: "10.231.2.0/24"});
        // The process records its interfaces the moment it starts.
        let c = run("busybox", #{name: "core-a2", network: [a, "core-a2-y"],
                                 cmd: ["sh", "-c", "ip -o -4 addr > /at-start; sleep 300"]});
        assert_eq(c.ip("core-a2-x").split(".")[2], "1");
        assert_eq(c.ip(b), "10.231.2.2");
        try { c.ip(); assert(false); } catch (e) { assert(e.message.contains("several networks"), e.message); }
        "#,
    );
    let d = daemon();
    assert_eq!(
        d.container_networks("core-a2"),
        vec!["core-a2-x", "core-a2-y"]
    );
    let (_, at_start) = d.exec("core-a2", &["cat", "/at-start"]);
    assert!(
        at_start.contains("10.231.1.") && at_start.contains("10.231.2."),
        "{at_start}"
    );
    drop(s);
}

#[test]
fn run_options_reach_the_container() {
    let _daemon = daemon_shared();
    let (s, _) = kept(
        "runopts",
        r#"
        let n = network::create("core-a3-net");
        run("busybox", #{
            name: "core-a3", network: n, aliases: ["core-a3-alias"], hostname: "core-a3-host",
            env: #{GREETING: "hi", N: 7}, labels: #{tier: "db"}, workdir: "/work", user: "1234:1234",
            cap_add: ["NET_ADMIN"], entrypoint: "sh -c", cmd: ["sleep 300"], init: true,
        });
        run("busybox", #{name: "core-a3-peer", network: n, cmd: "sleep 300"});
        "#,
    );
    let d = daemon();
    let c = d.container("core-a3").unwrap();
    let config = c.config.clone().unwrap();
    let env = config.env.unwrap();
    assert!(
        env.contains(&"GREETING=hi".to_string()) && env.contains(&"N=7".to_string()),
        "{env:?}"
    );
    assert_eq!(config.hostname.as_deref(), Some("core-a3-host"));
    assert_eq!(config.working_dir.as_deref(), Some("/work"));
    assert_eq!(config.user.as_deref(), Some("1234:1234"));
    assert_eq!(config.labels.unwrap()["tier"], "db");
    assert_eq!(
        config.entrypoint,
        Some(vec!["sh".to_string(), "-c".to_string()])
    );
    let host = c.host_config.unwrap();
    assert_eq!(host.cap_add, Some(vec!["NET_ADMIN".to_string()]));
    assert_eq!(host.init, Some(true));
    assert!(
        d.can_ping("core-a3-peer", "core-a3-alias"),
        "the alias resolves on the network"
    );
    let (_, id) = d.exec("core-a3", &["id", "-u"]);
    assert_eq!(id.trim(), "1234");
    drop(s);
}

#[test]
fn a_free_host_port_is_published_and_answers() {
    let _daemon = daemon_shared();
    let (s, out) = kept(
        "freeport",
        r#"
        let web = run("busybox", #{name: "core-a4", ports: ["127.0.0.1::8080"],
            cmd: ["sh", "-c", "mkdir -p /www && echo core-a4-page > /www/index.html && exec httpd -f -p 8080 -h /www"]});
        print(`port=${web.port(8080)}`);
        try { web.port(9999); assert(false); } catch (e) { assert_eq(e.kind, "not_found"); }
        "#,
    );
    let port: u16 = out
        .lines()
        .find_map(|l| l.strip_prefix("port="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(port > 1024);
    let d = daemon();
    let binding = d
        .container("core-a4")
        .unwrap()
        .network_settings
        .unwrap()
        .ports
        .unwrap()["8080/tcp"]
        .clone()
        .unwrap();
    assert_eq!(binding[0].host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        binding[0].host_port.as_deref(),
        Some(port.to_string().as_str())
    );
    let mut body = String::new();
    assert!(
        d.wait_for(10, || {
            body.clear();
            let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
                return false;
            };
            let _ = conn.write_all(b"GET / HTTP/1.0\r\n\r\n");
            let _ = conn.read_to_string(&mut body);
            body.contains("core-a4-page")
        }),
        "no answer on 127.0.0.1:{port}: {body}"
    );
    drop(s);
}

#[test]
fn network_options_connect_and_disconnect() {
    let _daemon = daemon_shared();
    let (s, _) = kept(
        "netopts",
        r#"
        let n = network::create("core-a5-net", #{subnet: "10.232.0.0/24", gateway: "10.232.0.254",
                                                 internal: true, labels: #{purpose: "test"}});
        assert_eq(n.inspect().Internal, true);
        let names = [];
        for row in network::ls() { names.push(row.name); }
        assert(names.contains("core-a5-net"), "network::ls lists it");
        let a = run("busybox", #{name: "core-a5-a", network: n, cmd: "sleep 300"});
        let b = run("busybox", #{name: "core-a5-b", cmd: "sleep 300"});
        network::connect(n, b, #{aliases: ["core-a5-bee"], ip: "10.232.0.77"});
        assert_eq(b.ip("core-a5-net"), "10.232.0.77");
        assert_reachable(a, "core-a5-bee");
        n.disconnect(b);
        assert_unreachable(a, "10.232.0.77");
        n.connect(b);
        "#,
    );
    let d = daemon();
    let net = d
        .block(d.docker().inspect_network("core-a5-net", None))
        .unwrap();
    let ipam = net.ipam.unwrap().config.unwrap();
    assert_eq!(ipam[0].subnet.as_deref(), Some("10.232.0.0/24"));
    assert_eq!(ipam[0].gateway.as_deref(), Some("10.232.0.254"));
    assert_eq!(net.internal, Some(true));
    assert_eq!(net.labels.unwrap()["purpose"], "test");
    assert_eq!(
        d.network_members("core-a5-net"),
        vec!["core-a5-a", "core-a5-b"],
        "connected again at the end"
    );
    drop(s);
}

#[test]
fn ps_and_images_list_what_the_daemon_has() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "lists",
        r#"
        let n = network::create("core-a6-net");
        run("busybox", #{name: "core-a6-up", network: n, cmd: "sleep 300"});
        let down = run("busybox", #{name: "core-a6-down", network: n, cmd: "true"});
        wait_until(|| inspect(down).State.Status == "exited", 10);
        let running = [];
        for c in ps(#{network: n}) { running.push(c.name); }
        assert_eq(running, ["core-a6-up"]);
        let all = [];
        for c in ps(#{all: true, network: "core-a6-net"}) { all.push(c.name); }
        assert_eq(all, ["core-a6-down", "core-a6-up"]);
        assert_eq(ps(#{name: "core-a6-up"})[0].networks, ["core-a6-net"]);
        let tags = [];
        for i in images() { tags += i.tags; }
        assert(tags.contains("busybox:latest"), `images() lists busybox: ${tags}`);
        print(table(ps(#{network: n})));
        "#,
    );
    let out = s.run(&[]);
    assert_exit(&out, 0);
    let stdout = text(&out).0;
    let header = stdout.lines().next().unwrap();
    assert!(
        header.starts_with("NAME") && header.contains("IMAGE") && header.contains("STATE"),
        "{stdout}"
    );
    s.assert_nothing_left();
}

#[test]
fn build_makes_an_image_from_a_directory() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "build",
        r#"
        let id = build("ctx", "core-a7-built:test");
        assert(id.starts_with("sha256:"), id);
        let c = run("core-a7-built:test", #{name: "core-a7", cmd: "sleep 300"});
        assert_eq(exec(c, "cat /built").stdout, "built by netrig\n");
        "#,
    );
    // The context directory is found relative to the script.
    let ctx = s.path.parent().unwrap().join("ctx");
    std::fs::create_dir(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox:latest\nRUN echo 'built by netrig' > /built\n",
    )
    .unwrap();
    let out = s.run(&[]);
    let d = daemon();
    let image = d.block(d.docker().inspect_image("core-a7-built:test"));
    let _ = d.block(d.docker().remove_image(
        "core-a7-built:test",
        None::<bollard::query_parameters::RemoveImageOptions>,
        None,
    ));
    assert_exit(&out, 0);
    assert!(image.is_ok(), "the built image is on the daemon");
    s.assert_nothing_left();
}

#[test]
fn ping_reports_and_wait_until() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "ping",
        r#"
        let n = network::create("core-a8-net");
        let a = run("busybox", #{name: "core-a8-a", network: n, cmd: "sleep 300"});
        let b = run("busybox", #{name: "core-a8-b", network: n,
                                 cmd: ["sh", "-c", "sleep 1; touch /ready; sleep 300"]});
        let r = ping(a, b, 3);
        assert_eq([r.ok, r.sent, r.received, r.loss_pct], [true, 3, 3, 0.0]);
        assert(r.rtt_ms > 0.0, "an RTT is measured");
        let miss = ping(a, "core-a8-nobody");
        assert_eq([miss.ok, miss.received], [false, 0]);
        assert(reachable(a, b.ip()));
        assert(!reachable(a, "10.233.9.9"));
        wait_until(|| exec(b, "ls /ready").exit_code == 0, 10);
        "#,
    );
    let out = s.run(&[]);
    assert_exit(&out, 0);
    s.assert_nothing_left();
}

#[test]
fn run_gives_fixed_addresses_and_aliases_per_network() {
    let _daemon = daemon_shared();
    let (s, out) = kept(
        "fixedip",
        r#"
        let front = network::create("core-a9-front", #{subnet: "10.231.9.0/24"});
        let back = network::create("core-a9-back", #{subnet: "10.231.10.0/24"});
        let web = run("busybox", #{name: "core-a9-web", cmd: "sleep 300", network: [
            #{name: front, ip: "10.231.9.50", aliases: ["core-a9-www"]}, back]});
        run("busybox", #{name: "core-a9-peer", network: [front, back], cmd: "sleep 300"});
        assert_eq(web.ip(front), "10.231.9.50");
        // A fixed address on a network without a subnet of its own is refused by Docker.
        let plain = network::create("core-a9-plain");
        let e = expect_error(|| run("busybox", #{name: "core-a9-x", cmd: "sleep 300",
                                                 network: #{name: plain, ip: "10.231.11.5"}}));
        print(`refused: ${e.message}`);
        "#,
    );
    let d = daemon();
    let c = d.container("core-a9-web").unwrap();
    let nets = c.network_settings.unwrap().networks.unwrap();
    assert_eq!(
        nets["core-a9-front"].ip_address.as_deref(),
        Some("10.231.9.50")
    );
    let front_aliases = nets["core-a9-front"].aliases.clone().unwrap_or_default();
    let back_aliases = nets["core-a9-back"].aliases.clone().unwrap_or_default();
    assert!(
        front_aliases.contains(&"core-a9-www".to_string()),
        "{front_aliases:?}"
    );
    assert!(
        !back_aliases.contains(&"core-a9-www".to_string()),
        "{back_aliases:?}"
    );
    // The alias answers on its own network only.
    let (_, front_ip) = d.exec("core-a9-peer", &["nslookup", "core-a9-www"]);
    assert!(
        front_ip.contains("10.231.9.50") && !front_ip.contains("10.231.10."),
        "{front_ip}"
    );
    assert!(out.contains("refused:"), "{out}");
    assert!(
        d.container("core-a9-x").is_none(),
        "the refused container was removed"
    );
    drop(s);
}
