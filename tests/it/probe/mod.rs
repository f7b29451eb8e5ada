//! The probe layer against real containers with real sockets: every check
//! made from inside a container's network namespace, including from and to
//! a container whose image is one static binary that sleeps. The test sets
//! the traps from outside netrig: iptables and tc through nsenter, `docker
//! pause` through the daemon. Names start with `i12-`.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::support::{self, daemon, daemon_shared};
use netrig::tools::probe::{
    self, Check, Family, HttpOptions, LatencyOptions, ListenMode, Netns, Outcome, PingOptions,
    ResolveOptions, Source, TcpOptions, TcpState, ThroughputOptions, UdpOptions, UdpState,
};

mod lab;

pub(crate) use lab::sleeper_image;
use lab::{Ctr, Lab, block, ns, nsenter};

fn quick() -> TcpOptions {
    TcpOptions {
        timeout: Duration::from_millis(700),
        ..TcpOptions::default()
    }
}

#[test]
fn tcp_tells_open_refused_filtered_unreachable_and_no_such_name() {
    let _daemon = daemon_shared();
    let lab = Lab::new("tcp");
    let net = lab.network("net", None);
    let web = lab.web("web", Some(&net), &[]);
    let client = lab.busybox("client", Some(&net));
    let from = ns(&client);
    nsenter(
        &web,
        &[
            "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "82", "-j", "DROP",
        ],
    );
    let tcp = |target: &str, port| block(probe::tcp(&from, target, port, &quick())).unwrap();

    let open = tcp(&web.name, 80);
    assert_eq!(open.state, TcpState::Open, "{open:?}");
    assert_eq!(open.address.unwrap().ip().to_string(), web.ip);
    assert_eq!(tcp(&web.ip, 80).state, TcpState::Open);
    let refused = tcp(&web.name, 81);
    assert_eq!(refused.state, TcpState::Refused, "{refused:?}");
    let filtered = tcp(&web.name, 82);
    assert_eq!(filtered.state, TcpState::Filtered, "{filtered:?}");
    assert!(
        filtered.ms >= 650.0,
        "filtered means the timeout passed: {filtered:?}"
    );
    let nameless = tcp("i12-nosuchname", 80);
    assert_eq!(nameless.state, TcpState::NoSuchName, "{nameless:?}");
    assert!(nameless.detail.unwrap().contains("does not resolve"));

    // A container on no network has no route: the kernel says so at once.
    let island = lab.busybox("island", Some("none"));
    let far = block(probe::tcp(&ns(&island), "192.0.2.1", 80, &quick())).unwrap();
    assert_eq!(far.state, TcpState::Unreachable, "{far:?}");
}

#[test]
fn resolve_uses_the_containers_own_resolver() {
    let _daemon = daemon_shared();
    let lab = Lab::new("resolve");
    let net = lab.network("net", None);
    let db = lab.busybox_with_alias("db", &net, "database");
    let client = lab.busybox("client", Some(&net));
    let from = ns(&client);
    let resolve =
        |name: &str| block(probe::resolve(&from, name, &ResolveOptions::default())).unwrap();

    let by_name = resolve(&db.name);
    assert_eq!(
        by_name.addresses,
        vec![db.ip.parse::<IpAddr>().unwrap()],
        "{by_name:?}"
    );
    assert_eq!(
        by_name.source,
        Some(Source::Dns([127, 0, 0, 11].into())),
        "Docker's embedded DNS"
    );
    let by_alias = resolve("database");
    assert_eq!(by_alias.addresses, by_name.addresses, "{by_alias:?}");
    // Docker lists a container's host name (its short id) in its /etc/hosts.
    let own = resolve(&client.id[..12]);
    assert_eq!(own.source, Some(Source::Hosts), "{own:?}");
    assert_eq!(own.addresses, vec![client.ip.parse::<IpAddr>().unwrap()]);
    let missing = resolve("i12-nosuchname");
    assert!(!missing.ok());
    assert_eq!(
        missing.error.as_ref().map(|e| e.code()),
        Some("no_such_name"),
        "{missing:?}"
    );

    // The default bridge has no names: only the host's copied resolv.conf.
    let a = lab.busybox("a", None);
    let b = lab.busybox("b", None);
    let on_bridge = ResolveOptions {
        timeout: Duration::from_secs(2),
        family: None,
    };
    let r = block(probe::resolve(&ns(&a), &b.name, &on_bridge)).unwrap();
    assert!(!r.ok() && r.addresses.is_empty(), "{r:?}");
    let code = r.error.as_ref().map(|e| e.code());
    assert!(matches!(code, Some("no_such_name" | "no_answer")), "{r:?}");
    let by_address = block(probe::resolve(&ns(&a), &b.ip, &on_bridge)).unwrap();
    assert_eq!(by_address.source, Some(Source::Literal));
}

impl Lab {
    fn busybox_with_alias(&self, name: &str, net: &str, alias: &str) -> Ctr {
        self.run(
            name,
            support::IMAGE,
            &["sleep", "3600"],
            Some(net),
            &[alias],
        )
    }
}

#[test]
fn a_paused_container_completes_the_handshake_but_http_times_out() {
    let _daemon = daemon_shared();
    let lab = Lab::new("paused");
    let net = lab.network("net", None);
    let web = lab.web("web", Some(&net), &[]);
    let client = lab.busybox("client", Some(&net));
    let from = ns(&client);
    let url = format!("http://{}/", web.name);
    let short = HttpOptions {
        timeout: Duration::from_millis(1500),
        ..HttpOptions::default()
    };
    let live = block(probe::http(&from, &url, &short)).unwrap();
    assert_eq!(
        (live.status, live.body.as_str()),
        (Some(200), "hello\n"),
        "{live:?}"
    );

    let d = daemon();
    d.block(d.docker().pause_container(&web.name)).unwrap();
    let handshake = block(probe::tcp(&from, &web.name, 80, &quick())).unwrap();
    let request = block(probe::http(&from, &url, &short)).unwrap();
    let echo = block(probe::ping(&from, &web.name, &PingOptions::default())).unwrap();
    d.block(d.docker().unpause_container(&web.name)).unwrap();

    assert_eq!(
        handshake.state,
        TcpState::Open,
        "the frozen kernel still completes it"
    );
    assert_eq!(request.status, None, "{request:?}");
    let (code, why) = request.error.unwrap();
    assert_eq!(code, "timeout");
    assert!(why.contains("no response"), "{why}");
    assert!(
        echo.received() > 0,
        "a paused container still answers ping: {echo:?}"
    );
}

#[test]
fn an_image_with_one_static_binary_is_checked_both_ways() {
    let _daemon = daemon_shared();
    let image = sleeper_image();
    let lab = Lab::new("bare");
    let net = lab.network("net", None);
    let bare = lab.run("bare", image, &["/sleeper"], Some(&net), &[]);
    let peer = lab.web("peer", Some(&net), &[]);
    let (from_bare, from_peer) = (ns(&bare), ns(&peer));
    // The image has nothing to exec: netrig's own checks are all there is.
    let (code, _) = daemon().exec(&bare.name, &["sh", "-c", "true"]);
    assert_ne!(code, 0);

    let found = block(probe::resolve(
        &from_bare,
        &peer.name,
        &ResolveOptions::default(),
    ))
    .unwrap();
    assert_eq!(found.addresses, vec![peer.ip.parse::<IpAddr>().unwrap()]);
    assert!(
        block(probe::tcp(&from_bare, &peer.name, 80, &quick()))
            .unwrap()
            .ok()
    );
    let page = block(probe::http(
        &from_bare,
        &format!("http://{}/", peer.name),
        &HttpOptions::default(),
    ))
    .unwrap();
    assert_eq!(page.status, Some(200), "{page:?}");

    let web = block(probe::listen(
        &from_bare,
        8080,
        ListenMode::Http {
            name: bare.name.clone(),
        },
    ))
    .unwrap();
    let echo = block(probe::listen(&from_bare, 9000, ListenMode::UdpEcho)).unwrap();
    let page = block(probe::http(
        &from_peer,
        &format!("http://{}:8080/", bare.name),
        &HttpOptions::default(),
    ))
    .unwrap();
    assert_eq!(page.body, format!("{}\n", bare.name), "{page:?}");
    let reply = block(probe::udp(
        &from_peer,
        &bare.name,
        9000,
        b"hello",
        &UdpOptions::default(),
    ))
    .unwrap();
    assert_eq!(reply.reply.as_deref(), Some(&b"hello"[..]), "{reply:?}");
    let refused = block(probe::udp(
        &from_peer,
        &bare.name,
        9001,
        b"hello",
        &UdpOptions::default(),
    ))
    .unwrap();
    assert_eq!(refused.state, UdpState::Refused, "{refused:?}");
    web.stop();
    let gone = block(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        probe::tcp(&from_peer, &bare.name, 8080, &quick()).await
    })
    .unwrap();
    assert_eq!(
        gone.state,
        TcpState::Refused,
        "a stopped listener closes its port"
    );
    drop(echo);

    let short = ThroughputOptions {
        duration: Duration::from_secs(1),
        ..ThroughputOptions::default()
    };
    let rate = block(probe::throughput(
        &from_bare, &from_peer, &peer.name, &short,
    ))
    .unwrap();
    assert!(rate.mbit_per_s > 50.0 && rate.bytes > 0, "{rate:?}");
    let back = block(probe::throughput(
        &from_peer, &from_bare, &bare.name, &short,
    ))
    .unwrap();
    assert!(back.mbit_per_s > 50.0, "{back:?}");
    let icmp = LatencyOptions {
        count: 10,
        interval: Duration::from_millis(10),
        ..LatencyOptions::default()
    };
    let l = block(probe::latency(&from_bare, &peer.name, &icmp)).unwrap();
    assert_eq!((l.method, l.samples.len()), ("icmp", 10), "{l:?}");
    let s = l.summary.unwrap();
    assert!(
        s.min > 0.0 && s.min <= s.p50 && s.p99 <= s.max && s.max < 100.0,
        "{s:?}"
    );
    let by_tcp = LatencyOptions {
        port: Some(80),
        ..icmp
    };
    let l = block(probe::latency(&from_bare, &peer.name, &by_tcp)).unwrap();
    assert_eq!((l.method, l.samples.len()), ("tcp", 10), "{l:?}");
}

#[test]
fn a_rate_limit_and_loss_show_in_the_measurements() {
    let _daemon = daemon_shared();
    let lab = Lab::new("impair");
    let net = lab.network("net", None);
    let src = lab.busybox("src", Some(&net));
    let dst = lab.busybox("dst", Some(&net));
    let (from, to) = (ns(&src), ns(&dst));
    let options = ThroughputOptions {
        duration: Duration::from_secs(3),
        ..ThroughputOptions::default()
    };
    let free = block(probe::throughput(&from, &to, &dst.name, &options)).unwrap();
    // What netrig's impair(src, #{rate: "8mbit"}) installs.
    nsenter(
        &src,
        &[
            "tc",
            "qdisc",
            "replace",
            "dev",
            "eth0",
            "root",
            "tbf",
            "rate",
            "8000000bit",
            "burst",
            "10000",
            "latency",
            "50ms",
        ],
    );
    let slow = block(probe::throughput(&from, &to, &dst.name, &options)).unwrap();
    eprintln!("throughput: {free:?} unlimited, {slow:?} at 8 Mbit/s");
    assert!(
        (6.4..=9.6).contains(&slow.mbit_per_s),
        "8 Mbit/s ± 20 %: {slow:?}"
    );
    assert!(
        free.mbit_per_s > 10.0 * slow.mbit_per_s,
        "{free:?} vs {slow:?}"
    );

    nsenter(
        &dst,
        &[
            "iptables",
            "-A",
            "INPUT",
            "-p",
            "icmp",
            "--icmp-type",
            "echo-request",
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            "0.3",
            "-j",
            "DROP",
        ],
    );
    let options = PingOptions {
        count: 200,
        interval: Duration::from_millis(5),
        ..PingOptions::default()
    };
    let ping = block(probe::ping(&from, &dst.name, &options)).unwrap();
    assert_eq!(ping.sent, 200);
    assert!(
        (18.0..=42.0).contains(&ping.loss_pct()),
        "30 % dropped: {}",
        ping.loss_pct()
    );
    let (min, avg, max) = ping.rtt_min_avg_max().unwrap();
    assert!(min <= avg && avg <= max, "{min} {avg} {max}");
    let l = block(probe::latency(
        &from,
        &dst.name,
        &LatencyOptions {
            count: 200,
            interval: Duration::from_millis(5),
            ..LatencyOptions::default()
        },
    ))
    .unwrap();
    assert!((18.0..=42.0).contains(&l.loss_pct()), "{}", l.loss_pct());
}

#[test]
fn ping_says_why_nothing_came_back() {
    let _daemon = daemon_shared();
    let lab = Lab::new("ping");
    let net = lab.network("net", None);
    let a = lab.busybox("a", Some(&net));
    let b = lab.busybox("b", Some(&net));
    let from = ns(&a);
    let ok = block(probe::ping(&from, &b.name, &PingOptions::default())).unwrap();
    assert_eq!(
        (ok.sent, ok.received(), ok.error.clone()),
        (3, 3, None),
        "{ok:?}"
    );
    let nameless = block(probe::ping(
        &from,
        "i12-nosuchname",
        &PingOptions::default(),
    ))
    .unwrap();
    assert_eq!(
        (nameless.sent, nameless.error.as_ref().map(|e| e.0)),
        (0, Some("no_such_name"))
    );
    nsenter(&b, &["iptables", "-A", "INPUT", "-p", "icmp", "-j", "DROP"]);
    let silent = block(probe::ping(&from, &b.name, &PingOptions::default())).unwrap();
    assert_eq!(
        silent.error.as_ref().map(|e| e.0),
        Some("timeout"),
        "{silent:?}"
    );
    let island = lab.busybox("island", Some("none"));
    let far = block(probe::ping(
        &ns(&island),
        "192.0.2.1",
        &PingOptions::default(),
    ))
    .unwrap();
    assert_eq!(
        far.error.as_ref().map(|e| e.0),
        Some("unreachable"),
        "{far:?}"
    );
}

#[test]
fn ipv6_works_for_every_check() {
    let _daemon = daemon_shared();
    let lab = Lab::new("ipv6");
    let net = lab.network("net", Some("fd12:12::/64"));
    let web = lab.web("web", Some(&net), &[]);
    let client = lab.busybox("client", Some(&net));
    let from = ns(&client);
    let six = Some(Family::V6);
    let found = block(probe::resolve(
        &from,
        &web.name,
        &ResolveOptions {
            family: six,
            ..Default::default()
        },
    ))
    .unwrap();
    let v6 = found
        .addresses
        .first()
        .copied()
        .unwrap_or_else(|| panic!("{found:?}"));
    assert!(v6.is_ipv6());
    let tcp = block(probe::tcp(
        &from,
        &web.name,
        80,
        &TcpOptions {
            family: six,
            ..quick()
        },
    ))
    .unwrap();
    assert_eq!(
        (tcp.state, tcp.address.map(|a| a.ip())),
        (TcpState::Open, Some(v6))
    );
    let ping = block(probe::ping(&from, &v6.to_string(), &PingOptions::default())).unwrap();
    assert_eq!(ping.received(), 3, "{ping:?}");
    let page = block(probe::http(
        &from,
        &format!("http://[{v6}]/"),
        &HttpOptions::default(),
    ))
    .unwrap();
    assert_eq!(page.status, Some(200), "{page:?}");
    // Without a family, a dual-stack name is checked over IPv4.
    let default = block(probe::tcp(&from, &web.name, 80, &quick())).unwrap();
    assert!(default.address.unwrap().is_ipv4(), "{default:?}");
}

#[test]
fn hundreds_of_checks_run_at_once_and_one_costs_a_few_ms() {
    let _daemon = daemon_shared();
    let lab = Lab::new("batch");
    let net = lab.network("net", None);
    let ctrs: Vec<Ctr> = (0..6)
        .map(|i| lab.busybox(&format!("c{i}"), Some(&net)))
        .collect();
    let spaces: Vec<Netns> = ctrs.iter().map(ns).collect();
    let listeners: Vec<_> = spaces
        .iter()
        .map(|n| block(probe::listen(n, 7000, ListenMode::Tcp)).unwrap())
        .collect();
    let mut checks = Vec::new();
    for from in &spaces {
        for to in &ctrs {
            for port in [7000, 7001] {
                for _ in 0..5 {
                    checks.push(Check::Tcp {
                        from: from.clone(),
                        target: to.name.clone(),
                        port,
                        options: quick(),
                    });
                }
            }
        }
    }
    let start = Instant::now();
    let results = block(probe::run_all(checks, probe::batch::DEFAULT_CONCURRENCY));
    let batch = start.elapsed();
    assert_eq!(results.len(), 360);
    for (i, r) in results.iter().enumerate() {
        let Ok(Outcome::Tcp(r)) = r else {
            panic!("{r:?}")
        };
        let want = if (i / 5) % 2 == 0 {
            TcpState::Open
        } else {
            TcpState::Refused
        };
        assert_eq!(r.state, want, "check {i}: {r:?}");
    }
    let one = Instant::now();
    for _ in 0..50 {
        assert!(
            block(probe::tcp(&spaces[0], &ctrs[1].name, 7000, &quick()))
                .unwrap()
                .ok()
        );
    }
    let each = one.elapsed() / 50;
    eprintln!("360 checks at once: {batch:?}; one check by name, sequentially: {each:?}");
    assert!(each < Duration::from_millis(50), "{each:?} per check");
    drop(listeners);
}

#[test]
fn where_netrig_cannot_enter_it_says_why() {
    let _daemon = daemon_shared();
    let lab = Lab::new("host");
    let c = lab.run(
        "hostnet",
        support::IMAGE,
        &["sleep", "3600"],
        Some("host"),
        &[],
    );
    let err = Netns::open(&c.name, &c.id, c.pid).unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    assert!(err.to_string().contains("network mode \"host\""), "{err}");
    let err = Netns::open(&c.name, &"0".repeat(64), c.pid).unwrap_err();
    assert!(err.to_string().contains("another machine"), "{err}");
}
