//! Packet captures inside containers, judged by tshark (Debian's package):
//! the files must be standard pcap that a real reader opens, holding
//! exactly the traffic the filter lets through.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::{Scenario, assert_exit, daemon, daemon_shared};
use netrig::tools::{Capture, CaptureOptions, CaptureTarget};
use netrig::tools::{Client, ClientOptions};

/// A network with an HTTP server and a client on it, kept after the run so
/// the test can capture on it; the Scenario removes them when dropped.
fn server_and_client(tag: &str) -> (Scenario, String, String) {
    let (srv, cli) = (format!("cap-{tag}-srv"), format!("cap-{tag}-cli"));
    let s = Scenario::new(
        tag,
        &format!(
            r#"
            let net = network::create("cap-{tag}-net");
            run("busybox", #{{name: "{srv}", network: net, cmd: "httpd -f -p 80 -h /etc"}});
            run("busybox", #{{name: "{cli}", network: net, cmd: "sleep 600"}});
            "#
        ),
    );
    assert_exit(&s.run(&["--keep"]), 0);
    (s, srv, cli)
}

fn client() -> Client {
    daemon()
        .block(Client::connect(&ClientOptions::default()))
        .unwrap()
}

fn target(container: &str, network: Option<&str>) -> CaptureTarget {
    let client = client();
    daemon()
        .block(CaptureTarget::resolve(&client, container, network))
        .unwrap()
}

/// How many packets of `file` match the display filter `filter`, as tshark counts them.
fn tshark_count(file: &Path, filter: &str) -> usize {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
        .output()
        .expect("tshark is needed (Debian: apt-get install tshark)");
    assert!(
        out.status.success(),
        "tshark cannot read {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[test]
fn five_pings_are_five_requests_and_five_replies() {
    let _daemon = daemon_shared();
    let (_s, srv, cli) = server_and_client("icmp");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("srv.pcap");
    let capture = Capture::start(
        &target(&srv, Some("cap-icmp-net")),
        CaptureOptions {
            filter: Some("icmp".into()),
            ..CaptureOptions::to_file(&file)
        },
    )
    .unwrap();
    let (code, out) = daemon().exec(&cli, &["ping", "-c", "5", "-i", "0.2", &srv]);
    assert_eq!(code, 0, "{out}");
    // Something else on the wire that the filter must keep out.
    daemon().exec(
        &cli,
        &["wget", "-q", "-O", "-", &format!("http://{srv}/hostname")],
    );
    let summary = capture.stop().unwrap();

    assert_eq!(summary.file, file);
    assert_eq!(summary.packets, 10, "{summary:?}");
    assert!(summary.bytes >= 10 * 98, "{summary:?}");
    assert_eq!(summary.ended_early, None);
    assert_eq!(tshark_count(&file, "icmp.type == 8"), 5, "echo requests");
    assert_eq!(tshark_count(&file, "icmp.type == 0"), 5, "echo replies");
    assert_eq!(
        tshark_count(&file, "!icmp"),
        0,
        "only ICMP passes the filter"
    );
}

#[test]
fn a_tcp_port_filter_keeps_only_that_tcp_traffic_on_every_interface() {
    let _daemon = daemon_shared();
    let (_s, srv, cli) = server_and_client("tcp");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("srv.pcap");
    let capture = Capture::start(
        &target(&srv, None),
        CaptureOptions {
            filter: Some("tcp port 80".into()),
            ..CaptureOptions::to_file(&file)
        },
    )
    .unwrap();
    let (code, out) = daemon().exec(&cli, &["ping", "-c", "3", "-i", "0.2", &srv]);
    assert_eq!(code, 0, "{out}");
    let (code, page) = daemon().exec(
        &cli,
        &["wget", "-q", "-O", "-", &format!("http://{srv}/hostname")],
    );
    assert_eq!(code, 0, "{page}");
    let summary = capture.stop().unwrap();

    let tcp = tshark_count(&file, "tcp.port == 80");
    assert!(
        tcp >= 6,
        "a handshake, a request, an answer and a close: {tcp}"
    );
    assert_eq!(summary.packets as usize, tcp, "{summary:?}");
    assert_eq!(tshark_count(&file, "!tcp"), 0, "no ping, no DNS");
    assert_eq!(tshark_count(&file, "http.request.method == \"GET\""), 1);
}

#[test]
fn limits_end_the_capture_by_themselves() {
    let _daemon = daemon_shared();
    let (_s, srv, cli) = server_and_client("limits");
    let dir = tempfile::tempdir().unwrap();
    let counted = dir.path().join("three.pcap");
    let capture = Capture::start(
        &target(&srv, None),
        CaptureOptions {
            filter: Some("icmp".into()),
            max_packets: Some(3),
            ..CaptureOptions::to_file(&counted)
        },
    )
    .unwrap();
    let timed = dir.path().join("timed.pcap");
    let short = Capture::start(
        &target(&srv, None),
        CaptureOptions {
            duration: Some(Duration::from_millis(300)),
            ..CaptureOptions::to_file(&timed)
        },
    )
    .unwrap();
    daemon().exec(&cli, &["ping", "-c", "4", "-i", "0.2", &srv]);
    assert!(daemon().wait_for(5, || capture.is_finished() && short.is_finished()));
    assert_eq!(capture.stop().unwrap().packets, 3);
    assert_eq!(tshark_count(&counted, "icmp"), 3);
    short.stop().unwrap();
    tshark_count(&timed, "frame");
}

#[test]
fn bad_input_is_a_clear_error_and_leaves_nothing_running() {
    let _daemon = daemon_shared();
    let (_s, srv, _cli) = server_and_client("bad");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.pcap");
    // Other tests run in this process too: count only this test's capture
    // threads, named "capture <container>" (15 bytes of it in `comm`).
    let threads = || {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
            .filter(|comm| comm.starts_with("capture cap-bad"))
            .count()
    };

    let err = Capture::start(
        &target(&srv, None),
        CaptureOptions {
            filter: Some("tcp prot 80".into()),
            ..CaptureOptions::to_file(&file)
        },
    )
    .unwrap_err();
    assert_eq!(err.kind(), "invalid_argument");
    let text = err.to_string();
    assert!(
        text.contains("option \"filter\"")
            && text.contains("\"tcp prot 80\"")
            && text.contains("syntax"),
        "{text}"
    );
    assert!(!file.exists(), "a refused filter leaves no file");

    let err = Capture::start(
        &target(&srv, None),
        CaptureOptions::to_file(dir.path().join("no/such/dir/x.pcap")),
    )
    .unwrap_err();
    assert!(err.to_string().contains("option \"file\""), "{err}");
    assert!(
        err.to_string().contains("No such file or directory"),
        "{err}"
    );

    // /dev/full answers every write with ENOSPC, as a full disk does.
    let err =
        Capture::start(&target(&srv, None), CaptureOptions::to_file("/dev/full")).unwrap_err();
    assert!(err.to_string().contains("No space left on device"), "{err}");
    assert_eq!(threads(), 0, "no capture thread outlives a failed start");

    // Not on that network: refused before anything opens.
    let err = daemon()
        .block(CaptureTarget::resolve(&client(), &srv, Some("bridge")))
        .unwrap_err();
    assert!(
        err.to_string().contains("is not on network \"bridge\""),
        "{err}"
    );
}

#[test]
fn a_stopped_container_cannot_be_captured() {
    let _daemon = daemon_shared();
    let (_s, srv, _cli) = server_and_client("stopped");
    let out = Command::new("docker")
        .args(["stop", "-t", "0", &srv])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = daemon()
        .block(CaptureTarget::resolve(&client(), &srv, None))
        .unwrap_err();
    assert_eq!(err.kind(), "conflict");
    assert!(err.to_string().contains("not running"), "{err}");
}

#[test]
fn a_capture_set_writes_one_readable_file_per_container_across_a_restart() {
    let _daemon = daemon_shared();
    let (_s, srv, cli) = server_and_client("set");
    let dir = tempfile::tempdir().unwrap();
    let set = netrig::tools::CaptureSet::new(&dir.path().join("caps")).unwrap();
    let srv_file = set.add(&target(&srv, None)).unwrap();
    let cli_file = set.add(&target(&cli, None)).unwrap();
    assert_eq!(set.files(), [srv_file.clone(), cli_file.clone()]);
    assert_eq!(
        srv_file.file_name().unwrap().to_str(),
        Some(&*format!("{srv}.pcap"))
    );

    let (code, out) = daemon().exec(&cli, &["ping", "-c", "2", "-i", "0.2", &srv]);
    assert_eq!(code, 0, "{out}");
    // Written as the run goes: readable before the set is stopped.
    assert!(daemon().wait_for(3, || tshark_count(&srv_file, "icmp.type == 8") == 2));

    // A restarted container has a new namespace; its capture follows it
    // into the same file.
    let out = Command::new("docker")
        .args(["restart", "-t", "0", &srv])
        .output()
        .unwrap();
    assert!(out.status.success());
    set.add(&target(&srv, None)).unwrap();
    let (code, out) = daemon().exec(&cli, &["ping", "-c", "3", "-i", "0.2", &srv]);
    assert_eq!(code, 0, "{out}");

    let summaries = set.stop_all();
    assert_eq!(summaries.len(), 2);
    assert!(summaries.iter().all(Result::is_ok), "{summaries:?}");
    // The kernel's ring must absorb the burst of a ping's start (DNS, ARP,
    // first request and reply) while the capture thread waits for a CPU.
    assert!(
        summaries.iter().flatten().all(|s| s.dropped == 0),
        "{summaries:?}"
    );
    assert_eq!(
        tshark_count(&srv_file, "icmp.type == 8"),
        5,
        "both namespaces, one file"
    );
    assert_eq!(tshark_count(&cli_file, "icmp.type == 8"), 5);
    // A reply may be lost while the restarted server settles; both ends
    // must have seen the same ones.
    let replies = tshark_count(&srv_file, "icmp.type == 0");
    assert!(replies >= 4, "{replies}");
    assert_eq!(tshark_count(&cli_file, "icmp.type == 0"), replies);
    assert!(set.stop_all().is_empty(), "stopping twice is harmless");
}

#[test]
fn a_capture_whose_interface_goes_away_ends_and_keeps_what_it_saw() {
    let _daemon = daemon_shared();
    let (_s, srv, cli) = server_and_client("gone");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("srv.pcap");
    let capture = Capture::start(
        &target(&srv, Some("cap-gone-net")),
        CaptureOptions::to_file(&file),
    )
    .unwrap();
    let (code, out) = daemon().exec(&cli, &["ping", "-c", "2", "-i", "0.2", &srv]);
    assert_eq!(code, 0, "{out}");
    let out = Command::new("docker")
        .args(["network", "disconnect", "cap-gone-net", &srv])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        daemon().wait_for(5, || capture.is_finished()),
        "the capture ends with its interface"
    );
    let summary = capture.stop().unwrap();
    assert!(summary.ended_early.is_some(), "{summary:?}");
    assert_eq!(tshark_count(&file, "icmp.type == 8"), 2);
}

/// `capture()` in a script: the handle, `.stop()`'s answer, the file's
/// place beside the script, and tshark agreeing with both.
#[test]
fn a_script_captures_pings_and_web_traffic_apart() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "script",
        r#"
        let net = network::create("cap-script-net");
        let srv = run("busybox", #{name: "cap-script-srv", network: net, cmd: "httpd -f -p 80 -h /etc"});
        let cli = run("busybox", #{name: "cap-script-cli", network: net, cmd: "sleep 600"});
        let icmp = capture(srv, #{filter: "icmp", network: net});
        let web = capture(srv, #{filter: "tcp port 80", file: "web.pcap"});
        assert(icmp.running, "a fresh capture runs");
        let p = ping(cli, "cap-script-srv", 5);
        assert(p.ok, "the client reaches the server");
        let page = exec(cli, "wget -q -O - http://cap-script-srv/hostname");
        assert_eq(page.exit_code, 0);
        let r = icmp.stop();
        assert_eq(r.file, "cap-script-srv.pcap");
        assert_eq(r.packets, 10);
        assert_eq(icmp.stop().packets, 10, "stopping again gives the same answer");
        let w = web.stop();
        assert(w.packets >= 6, `a handshake, a request, an answer, a close: ${w.packets}`);
        print(`web ${w.packets} ${w.bytes}`);
        "#,
    );
    let out = s.run(&[]);
    assert_exit(&out, 0);
    let dir = s.path.parent().unwrap();
    let icmp = dir.join("cap-script-srv.pcap");
    assert_eq!(tshark_count(&icmp, "icmp.type == 8"), 5, "echo requests");
    assert_eq!(tshark_count(&icmp, "icmp.type == 0"), 5, "echo replies");
    assert_eq!(tshark_count(&icmp, "!icmp"), 0);
    let web = dir.join("web.pcap");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let packets: usize = stdout
        .lines()
        .find_map(|l| l.strip_prefix("web "))
        .and_then(|l| l.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no packet count in {stdout}"));
    assert_eq!(tshark_count(&web, "tcp.port == 80"), packets);
    assert_eq!(tshark_count(&web, "!tcp"), 0, "no ping in the web capture");
    assert_eq!(tshark_count(&web, "http.request.method == \"GET\""), 1);
    s.assert_nothing_left();
}

/// A capture the script never stops is stopped and flushed by the run's
/// end — here a failed assertion — and bad input fails at its position.
#[test]
fn a_scripts_captures_end_with_it_and_bad_input_names_the_position() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "script-end",
        "let net = network::create(\"cap-end-net\");\n\
         let a = run(\"busybox\", #{name: \"cap-end-a\", network: net, cmd: \"sleep 600\"});\n\
         let b = run(\"busybox\", #{name: \"cap-end-b\", network: net, cmd: \"sleep 600\"});\n\
         let cap = capture(a, #{filter: \"icmp\"});\n\
         ping(b, \"cap-end-a\", 3);\n\
         assert(false, \"the scenario fails with its capture running\");\n",
    );
    let out = s.run(&[]);
    assert_exit(&out, 1);
    s.assert_nothing_left();
    let file = s.path.parent().unwrap().join("cap-end-a.pcap");
    assert_eq!(
        tshark_count(&file, "icmp.type == 8"),
        3,
        "flushed at the end"
    );
    assert_eq!(tshark_count(&file, "icmp.type == 0"), 3);

    let bad = |name: &str, line: &str| {
        let s = Scenario::new(
            name,
            &format!(
                "let net = network::create(\"cap-{name}-net\");\n\
                 let a = run(\"busybox\", #{{name: \"cap-{name}-a\", network: net, cmd: \"sleep 600\"}});\n\
                 {line}\n"
            ),
        );
        let out = s.run(&[]);
        assert_exit(&out, 1);
        s.assert_nothing_left();
        let err = crate::support::text(&out).1;
        assert!(err.contains(&format!("{name}.rhai:3:")), "{err}");
        err
    };
    let err = bad("sfilter", "capture(a, #{filter: \"tcp prot 80\"});");
    assert!(
        err.contains("capture(): ") && err.contains("option \"filter\"") && err.contains("syntax"),
        "{err}"
    );
    assert!(
        err.contains("\"cap-sfilter-a\""),
        "the script's name: {err}"
    );
    let err = bad("sstopped", "stop(a, 0); capture(a);");
    assert!(
        err.contains("capture(): ") && err.contains("not running"),
        "{err}"
    );
    let err = bad("sfile", "capture(a, #{file: \"/dev/full\"});");
    assert!(
        err.contains("forbidden") || err.contains("outside the script's directory"),
        "{err}"
    );
}
