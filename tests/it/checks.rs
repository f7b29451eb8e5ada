//! The check functions as a script calls them (issue 12, issue 14 items 1
//! and 3): each test runs a scenario whose assertions are the script's own
//! (`assert`, `assert_eq`, `expect_error`), so a check that gave the wrong
//! answer fails the run; the test reads the exit code, the printed figures
//! and the daemon afterwards. Names start with `i12s-`.

use crate::probe::sleeper_image;
use crate::support::{Scenario, assert_exit, daemon_shared, text};

/// Runs `source` (with `BARE` replaced by the no-tools image), expecting
/// exit code 0; returns stdout. Checks nothing is left behind.
fn passes(name: &str, source: &str) -> String {
    let scenario = Scenario::new(name, &source.replace("BARE", sleeper_image()));
    let out = scenario.run(&[]);
    assert_exit(&out, 0);
    scenario.assert_nothing_left();
    text(&out).0
}

#[test]
fn every_check_works_from_and_to_an_image_with_no_tools() {
    let _daemon = daemon_shared();
    let stdout = passes(
        "i12s-bare",
        r#"
        let net = network::create("i12s-b-net");
        let bare = run("BARE", #{name: "i12s-b-bare", network: net, aliases: ["bare-alias"]});
        let client = run("busybox", #{name: "i12s-b-client", network: net, cmd: "sleep 3600"});

        // resolve: by name, by alias, from the bare image, and a name nobody has.
        let r = resolve(client, "i12s-b-bare");
        assert(r.ok, `${r}`);
        assert_eq(r.addresses, [bare.ip()]);
        assert_eq(r.via, "netns");
        assert_eq(resolve(client, "bare-alias").addresses, [bare.ip()]);
        assert_eq(resolve(bare, "i12s-b-client").addresses, [client.ip()]);
        let r = resolve(client, "i12s-b-nosuch");
        assert(!r.ok && r.error == "no_such_name", `${r}`);

        // netrig's own listeners make the bare container a server.
        assert_eq(listen(bare, 80, #{proto: "http"}).proto, "http");
        listen(bare, 7000);
        listen(bare, 5300, #{proto: "udp"});
        listen(client, 8080, #{proto: "http", name: "from-client"});

        // tcp: open, refused, no such name; and the assertions.
        let t = tcp(client, bare, 80);
        assert(t.ok && t.state == "open" && t.ms >= 0.0, `${t}`);
        assert_eq(tcp(client, bare, 81).state, "refused");
        assert_eq(tcp(client, "i12s-b-nosuch", 80).state, "no_such_name");
        assert_eq(tcp(bare, client, 8080).state, "open");
        assert_port_open(client, bare, 7000);
        assert_port_closed(client, bare, 81);
        assert_port_closed(client, bare, 81, #{state: "refused"});
        let e = expect_error(|| assert_port_open(client, bare, 81), "assertion");
        assert(e.message.contains("cannot connect to i12s-b-bare port 81 (refused)"), e.message);
        let e = expect_error(|| assert_port_closed(client, bare, 80), "assertion");
        assert(e.message.contains("should be closed"), e.message);
        let e = expect_error(|| assert_port_closed(client, bare, 81, #{state: "filtered"}), "assertion");
        assert(e.message.contains("is refused, not filtered"), e.message);

        // http both ways: the listener answers with the container's name.
        let h = http(client, "http://i12s-b-bare/");
        assert(h.ok && h.status == 200, `${h}`);
        assert(h.body.contains("i12s-b-bare"), h.body);
        assert_eq(type_of(h.headers), "map");
        assert(http(bare, "http://i12s-b-client:8080/").body.contains("from-client"));
        assert_eq(http(client, "http://i12s-b-bare:81/").error, "refused");

        // udp echo, and a port where nothing listens.
        let u = udp(client, bare, 5300, "hello");
        assert(u.ok && u.reply == "hello", `${u}`);
        assert(!udp(client, bare, 5301, "x", #{timeout: 0.5}).ok);

        // latency by ICMP and by TCP connect; throughput both ways.
        let l = latency(client, bare, #{count: 5});
        assert(l.samples == 5 && l.min <= l.p50 && l.p50 <= l.max && l.loss_pct == 0.0, `${l}`);
        let l = latency(bare, client, #{count: 5, port: 8080});
        assert(l.samples == 5 && l.max < 1000.0, `${l}`);
        let up = throughput(client, bare, #{secs: 1});
        let down = throughput(bare, client, #{secs: 1});
        assert(up.mbit_per_s > 50.0 && down.mbit_per_s > 50.0, `${up} ${down}`);
        assert(up.bytes > 0 && up.secs > 0.5, `${up}`);

        // ping from the bare image, with its new fields.
        let p = ping(bare, client, 2);
        assert(p.ok && p.rtt_min <= p.rtt_avg && p.rtt_avg <= p.rtt_max && p.error == (), `${p}`);

        // batches, and the matrix by TCP.
        let rs = tcp_all([[client, bare, 80], [client, bare, 81], #{from: bare, target: client, port: 8080}]);
        assert_eq(rs.map(|r| r.state), ["open", "refused", "open"]);
        assert_eq(rs[1].port, 81);
        import "std/reach" as reach;
        let m = reach::matrix([client, bare], #{port: 80});
        assert_eq(m, #{"i12s-b-client": #{"i12s-b-bare": true}, "i12s-b-bare": #{"i12s-b-client": false}});
        print(`tcp ${t.ms} ms; throughput ${up.mbit_per_s} Mbit/s`);
        "#,
    );
    assert!(stdout.contains("throughput "), "{stdout}");
}

#[test]
fn a_frozen_service_a_cut_link_and_impairments_show_in_the_checks() {
    let _daemon = daemon_shared();
    let stdout = passes(
        "i12s-traps",
        r#"
        let net = network::create("i12s-t-net");
        let serve = "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www";
        let web = run("busybox", #{name: "i12s-t-web", network: net, cmd: ["sh", "-c", serve]});
        let client = run("busybox", #{name: "i12s-t-client", network: net, cmd: "sleep 3600"});
        wait_until(|| tcp(client, web, 80).ok, 10);
        assert_eq(http(client, "http://i12s-t-web/").body, "hello\n");

        // Paused: ping answers and the handshake completes; only http sees it.
        pause(web);
        let p = ping(client, web, 1);
        let t = tcp(client, web, 80);
        let h = http(client, "http://i12s-t-web/", #{timeout: 1.5});
        unpause(web);
        assert(p.ok, `${p}`);
        assert_eq(t.state, "open");
        assert(!h.ok && h.status == () && h.error == "timeout", `${h}`);

        // Cut: no answer at all before the timeout.
        cut(client, web);
        assert_eq(tcp(client, web, 80, #{timeout: 0.7}).state, "filtered");
        assert_port_closed(client, web, 80, #{state: "filtered", timeout: 0.7});
        restore(client, web);
        assert_port_open(client, web, 80);

        // A rate limit is measured within 20 %; without it, far higher.
        listen(web, 9000);
        let free = throughput(client, web, #{secs: 1});
        impair(client, #{rate: "8mbit"});
        let limited = throughput(client, web, #{secs: 3});
        clear(client);
        assert(limited.mbit_per_s > 6.4 && limited.mbit_per_s < 9.6, `${limited}`);
        assert(free.mbit_per_s > 80.0, `${free}`);

        // 30 % loss shows in latency's and ping's loss figures.
        impair(web, #{loss_pct: 30});
        let l = latency(client, web, #{count: 40, interval: 0.02, timeout: 0.5});
        let p = ping(client, web, #{count: 40, interval: 0.02, timeout: 0.5});
        clear(web);
        assert(l.loss_pct > 5.0 && l.loss_pct < 70.0, `${l}`);
        assert(p.loss_pct > 5.0 && p.loss_pct < 70.0, `${p}`);
        // And assert_reachable's thresholds see it, where one reply would do.
        // 20 pings: with 60 % loss all of 3 would be lost one time in five.
        impair(web, #{loss_pct: 60});
        assert_reachable(client, web, #{count: 20, interval: 0.02});
        let e = expect_error(|| assert_reachable(client, web, #{max_loss_pct: 10, count: 20, interval: 0.02}), "assertion");
        clear(web);
        assert(e.message.contains("pings were lost (max_loss_pct: 10"), e.message);
        let e = expect_error(|| assert_reachable(client, web, #{max_rtt_ms: 0.001}), "assertion");
        assert(e.message.contains("average round trip"), e.message);
        print(`free ${free.mbit_per_s} limited ${limited.mbit_per_s} loss ${l.loss_pct}/${p.loss_pct}`);
        "#,
    );
    assert!(stdout.contains("limited "), "{stdout}");
}

#[test]
fn ping_and_assert_reachable_say_a_name_does_not_resolve() {
    let _daemon = daemon_shared();
    passes(
        "i12s-names",
        r#"
        let net = network::create("i12s-n-net", #{subnet: "10.212.7.0/24"});
        let a = run("busybox", #{name: "i12s-n-a", network: net, cmd: "sleep 3600"});
        let lonely = run("busybox", #{name: "i12s-n-lonely", cmd: "sleep 3600"});
        let p = ping(a, "i12s-n-nosuch");
        assert(!p.ok && p.error == "no_such_name", `${p}`);
        let e = expect_error(|| assert_reachable(a, "i12s-n-nosuch"), "assertion");
        assert(e.message.contains("does not resolve"), e.message);
        assert(!e.message.contains("pings lost"), e.message);
        // The default bridge has no names: resolve and tcp say so.
        assert(!resolve(lonely, "i12s-n-a").ok);
        assert_eq(tcp(lonely, "i12s-n-a", 80).state, "no_such_name");
        // An address on the network nobody has: no reply, not a name problem.
        let p = ping(a, "10.212.7.200", #{count: 1, timeout: 0.5});
        assert(!p.ok && (p.error == "unreachable" || p.error == "timeout"), `${p}`);
        print(`nobody: ${p.error}`);
        let e = expect_error(|| assert_unreachable(a, a.ip()), "assertion");
        "#,
    );
}

#[test]
fn http_from_the_host_reaches_a_published_port_and_says_why_not_otherwise() {
    let _daemon = daemon_shared();
    passes(
        "i12s-host",
        r#"
        let web = run("BARE", #{name: "i12s-h-web", ports: ["127.0.0.1::80"]});
        listen(web, 80, #{proto: "http"});
        let url = `http://127.0.0.1:${web.port(80)}/`;
        wait_until(|| http(url).ok, 10);
        let r = http(url);
        assert(r.status == 200 && r.body.contains("i12s-h-web") && r.via == "host", `${r}`);
        // Port 81 of the container is not published: nothing answers on the host.
        let r = http(`http://127.0.0.1:1/`, #{timeout: 1});
        assert(!r.ok && r.status == () && r.error == "refused", `${r}`);
        "#,
    );
}

#[test]
fn bad_input_names_the_option_and_the_script_line_and_leaves_nothing() {
    let _daemon = daemon_shared();
    passes(
        "i12s-bad",
        r#"
        let a = run("busybox", #{name: "i12s-x-a", cmd: "sleep 3600"});
        for bad in [
            [|| tcp(a, "x", 0), "port must be between 1 and 65535, got 0"],
            [|| tcp(a, "x", 70000), "got 70000"],
            [|| listen(a, -1), "got -1"],
            [|| assert_port_closed(a, "x", 80, #{state: "shut"}), "state"],
            [|| http(a, "web/index.html"), "scheme"],
            [|| http("127.0.0.1:8888"), "scheme"],
            [|| tcp(a, "x", 80, #{timeout: -1}), "option \"timeout\""],
            [|| throughput(a, a, #{secs: -2}), "option \"secs\""],
            [|| latency(a, "x", #{count: 0}), "option \"count\""],
            [|| assert_reachable(a, "x", #{max_loss_pct: 120}), "max_loss_pct"],
            [|| tcp_all([[a, "x", 0]]), "item 0"],
            [|| udp(a, "x", 53, "q", #{timout: 1}), "did you mean \"timeout\""],
        ] {
            let e = expect_error(bad[0], "invalid_argument");
            assert(e.message.contains(bad[1]), `${e.message} (wanted ${bad[1]})`);
        }
        "#,
    );
    let scenario = Scenario::new(
        "i12s-bad-line",
        "let a = run(\"busybox\", #{name: \"i12s-y-a\", cmd: \"sleep 3600\"});\n\
         tcp(a, \"x\", 70000);\n",
    );
    let out = scenario.run(&[]);
    assert_exit(&out, 1);
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("port must be between 1 and 65535, got 70000")
            && stderr.contains("i12s-bad-line.rhai:2:"),
        "{stderr}"
    );
    scenario.assert_nothing_left();
}
