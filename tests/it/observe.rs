//! `netrig run --capture/--trace/--explain` and `netrig test --capture`,
//! judged from outside: tshark reads the captures, a counting proxy in front
//! of the daemon counts the Docker calls the trace must hold, and the real
//! docker CLI runs what --explain printed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::support::{LabelGuard, Scenario, assert_exit, daemon, daemon_shared, netrig, text};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How many packets of `file` match `filter`, as tshark counts them.
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

fn two_containers(tag: &str, fail: bool) -> String {
    format!(
        r#"
        let net = network::create("obs-{tag}-net");
        let a = run("busybox", #{{name: "obs-{tag}-a", network: net, cmd: "sleep 300"}});
        let b = run("busybox", #{{name: "obs-{tag}-b", network: net, cmd: "sleep 300"}});
        let r = ping(a, "obs-{tag}-b", 3);
        assert(r.ok, "a reaches b");
        {}
        "#,
        if fail {
            r#"assert(false, "this scenario fails on purpose");"#
        } else {
            ""
        }
    )
}

#[test]
fn run_capture_writes_one_readable_file_per_container() {
    let _daemon = daemon_shared();
    let s = Scenario::new("capture", &two_containers("cap", false));
    let dir = tempfile::tempdir().unwrap();
    let caps = dir.path().join("caps");
    let out = s.run(&["--capture", caps.to_str().unwrap()]);
    assert_exit(&out, 0);
    let mut files: Vec<String> = std::fs::read_dir(&caps)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["obs-cap-a.pcap", "obs-cap-b.pcap"]);
    assert_eq!(
        tshark_count(&caps.join("obs-cap-a.pcap"), "icmp.type == 8"),
        3
    );
    assert_eq!(
        tshark_count(&caps.join("obs-cap-b.pcap"), "icmp.type == 0"),
        3
    );
    assert!(text(&out).1.contains("captured"), "{}", text(&out).1);
    s.assert_nothing_left();
}

#[test]
fn a_failed_scenario_keeps_its_capture_beside_its_svg() {
    let _daemon = daemon_shared();
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    std::fs::write(scenarios.join("good.rhai"), two_containers("good", false)).unwrap();
    std::fs::write(scenarios.join("bad.rhai"), two_containers("bad", true)).unwrap();
    let _guard = LabelGuard(format!(
        "netrig.script={}",
        scenarios.join("bad.rhai").display()
    ));
    let _guard2 = LabelGuard(format!(
        "netrig.script={}",
        scenarios.join("good.rhai").display()
    ));
    let (report, caps) = (dir.path().join("report"), dir.path().join("caps"));
    let out = netrig()
        .arg("test")
        .arg(&scenarios)
        .arg("--report")
        .arg(&report)
        .arg("--capture")
        .arg(&caps)
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let mut kept: Vec<String> = std::fs::read_dir(&report)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".pcap") || name.ends_with(".svg"))
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        [
            "bad-obs-bad-a.pcap",
            "bad-obs-bad-b.pcap",
            "bad.svg",
            "good.svg"
        ],
        "only the failed scenario's captures join the report"
    );
    assert_eq!(
        tshark_count(&report.join("bad-obs-bad-a.pcap"), "icmp.type == 8"),
        3
    );
    // The page links them.
    let page = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(
        page.contains("href=\"bad-obs-bad-a.pcap\""),
        "no link to the capture"
    );
    // Every scenario's captures stay in the capture directory.
    assert!(caps.join("good").join("obs-good-b.pcap").is_file());
    assert!(caps.join("bad").join("obs-bad-b.pcap").is_file());
}

/// A unix socket in front of the daemon that counts the HTTP requests each
/// client process sends (by its pid): what the daemon was asked, seen from
/// outside netrig.
struct CountingProxy {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    requests: Arc<Mutex<Vec<(u32, String)>>>,
}

impl CountingProxy {
    fn start() -> CountingProxy {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("docker.sock");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let listener = daemon()
            .block(async { tokio::net::UnixListener::bind(&socket) })
            .unwrap();
        let seen = requests.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                loop {
                    let Ok((client, _)) = listener.accept().await else {
                        return;
                    };
                    let pid = client.peer_cred().ok().and_then(|c| c.pid()).unwrap_or(0) as u32;
                    let seen = seen.clone();
                    tokio::spawn(async move {
                        let Ok(upstream) =
                            tokio::net::UnixStream::connect("/var/run/docker.sock").await
                        else {
                            return;
                        };
                        let (mut cr, mut cw) = client.into_split();
                        let (mut ur, mut uw) = upstream.into_split();
                        let down = tokio::spawn(async move {
                            let _ = tokio::io::copy(&mut ur, &mut cw).await;
                            let _ = cw.shutdown().await;
                        });
                        // Client to daemon: forward, and note each request line.
                        let mut line = Vec::new();
                        let mut buf = vec![0u8; 64 * 1024];
                        while let Ok(n) = cr.read(&mut buf).await {
                            if n == 0 || uw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                            for &b in &buf[..n] {
                                if b == b'\n' {
                                    let text = String::from_utf8_lossy(&line);
                                    let text = text.trim_end();
                                    if text.ends_with(" HTTP/1.1")
                                        && ["GET /", "POST /", "DELETE /", "PUT /", "HEAD /"]
                                            .iter()
                                            .any(|m| text.starts_with(m))
                                    {
                                        seen.lock().unwrap().push((pid, text.to_string()));
                                    }
                                    line.clear();
                                } else if line.len() < 4096 {
                                    line.push(b);
                                }
                            }
                        }
                        let _ = uw.shutdown().await;
                        let _ = down.await;
                    });
                }
            });
        });
        CountingProxy {
            _dir: dir,
            socket,
            requests,
        }
    }

    fn requests_of(&self, pid: u32) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| *p == pid)
            .map(|(_, r)| r.clone())
            .collect()
    }
}

#[test]
fn the_trace_has_one_event_per_docker_call_within_the_wall_time() {
    let _daemon = daemon_shared();
    let proxy = CountingProxy::start();
    let s = Scenario::new(
        "trace",
        r#"
        let net = network::create("obs-tr-net");
        let a = run("busybox", #{name: "obs-tr-a", network: net, cmd: "sleep 300"});
        let b = run("busybox", #{name: "obs-tr-b", network: net, cmd: "httpd -f -p 80"});
        assert_reachable(a, b);
        assert_eq(exec(a, "hostname").exit_code, 0);
        print(logs(b));
        stop(b, 1);
        start(b);
        inspect(b);
        network::inspect(net);
        rm(a);
        "#,
    );
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("run.json");
    let started = Instant::now();
    let child = crate::support::netrig_command()
        .arg("--host")
        .arg(format!("unix://{}", proxy.socket.display()))
        .arg("run")
        .arg(&s.path)
        .arg("--trace")
        .arg(&trace)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let wall_us = started.elapsed().as_secs_f64() * 1e6;
    assert_exit(&out, 0);

    let events: Vec<Value> = serde_json::from_slice::<Value>(&std::fs::read(&trace).unwrap())
        .expect("the trace is JSON")
        .as_array()
        .expect("in the trace-event array format")
        .clone();
    for e in &events {
        assert!(e["name"].is_string() && e["pid"].is_u64(), "{e}");
        match e["ph"].as_str() {
            Some("M") => assert!(e["args"]["name"].is_string(), "{e}"),
            Some("X") => {
                assert!(e["ts"].as_f64().unwrap() >= 0.0, "{e}");
                assert!(e["dur"].as_f64().unwrap() >= 0.0, "{e}");
                assert!(e["tid"].is_u64() && e["cat"].is_string(), "{e}");
                assert!(
                    !e["args"]["result"].is_null(),
                    "every event has its result: {e}"
                );
            }
            other => panic!("unexpected phase {other:?}: {e}"),
        }
    }
    let docker: Vec<&Value> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "docker")
        .collect();
    // The daemon watch's event stream (GET /events) lasts the whole run: it
    // is still open when the trace is written, so it has no complete event.
    let asked: Vec<String> = proxy
        .requests_of(pid)
        .into_iter()
        .filter(|r| !r.starts_with("GET /events?"))
        .collect();
    assert_eq!(
        docker.len(),
        asked.len(),
        "one event per request the daemon got\ntrace: {:?}\ndaemon: {asked:#?}",
        docker
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect::<Vec<_>>()
    );
    let total: f64 = docker.iter().map(|e| e["dur"].as_f64().unwrap()).sum();
    assert!(total <= wall_us, "{total} µs of calls in {wall_us} µs");
    for (cat, name) in [("exec", "exec"), ("check", "ping"), ("script", "teardown")] {
        assert!(
            events.iter().any(|e| e["cat"] == cat && e["name"] == name),
            "a {cat} event {name:?}"
        );
    }
    assert!(
        docker
            .iter()
            .any(|e| e["name"] == "POST /containers/create"
                && e["args"]["body"]["Image"] == "busybox")
    );
    s.assert_nothing_left();
}

/// The seed tutorial's section on user networks, as its commands.
const TUTORIAL: [&str; 5] = [
    "docker network create my_net",
    "docker network ls",
    "docker run -d --name jupyter --network my_net busybox httpd -f -p 8888",
    "docker run -d --name debian --network my_net busybox sleep 3600",
    "docker exec debian ping -c 4",
];

/// A `docker network create` line without the subnet netrig's pool chose
/// (`--subnet 10.213.0.0/24 --gateway 10.213.0.1`), which the tutorial's
/// command leaves to the daemon.
pub(crate) fn without_pool_subnet(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let mut kept = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if line.starts_with("docker network create")
            && (words[i] == "--subnet" || words[i] == "--gateway")
            && words.get(i + 1).is_some_and(|w| w.starts_with("10.213."))
        {
            i += 2;
            continue;
        }
        kept.push(words[i]);
        i += 1;
    }
    kept.join(" ")
}

/// What a network or container is, minus what differs between any two
/// creations (ids, addresses, times, netrig's labels).
fn essence(kind: &str, name: &str) -> Value {
    let out = Command::new("docker")
        .args([kind, "inspect", name])
        .output()
        .unwrap();
    assert!(out.status.success(), "docker {kind} inspect {name}");
    let v: Value = serde_json::from_slice::<Value>(&out.stdout).unwrap()[0].clone();
    let labels = |l: &Value| -> Value {
        l.as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| !k.starts_with("netrig."))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<serde_json::Map<_, _>>()
            })
            .map(Value::Object)
            .unwrap_or(Value::Null)
    };
    if kind == "network" {
        serde_json::json!({"Name": v["Name"], "Driver": v["Driver"], "Internal": v["Internal"],
            "Attachable": v["Attachable"], "Options": v["Options"], "Labels": labels(&v["Labels"])})
    } else {
        let nets: Vec<String> = v["NetworkSettings"]["Networks"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        serde_json::json!({"Name": v["Name"], "Image": v["Config"]["Image"],
            "Cmd": v["Config"]["Cmd"], "Entrypoint": v["Config"]["Entrypoint"],
            "Running": v["State"]["Running"], "NetworkMode": v["HostConfig"]["NetworkMode"],
            "Networks": nets, "Labels": labels(&v["Config"]["Labels"])})
    }
}

#[test]
fn explain_prints_the_tutorials_commands_and_the_cli_makes_the_same() {
    let _daemon = daemon_shared();
    // The seed script's fixed names: one user at a time.
    let _serial = crate::seed_scripts::SERIAL
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/04-user-network-dns.rhai");
    let label = format!("netrig.script={}", script.display());
    let _guard = LabelGuard(label.clone());
    daemon().remove_all_with(&label);
    let out = netrig()
        .arg("run")
        .arg(&script)
        .args(["--explain", "--keep"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let stderr = text(&out).1;
    let printed: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("$ "))
        .collect();
    let mut at = 0;
    for wanted in TUTORIAL {
        match printed[at..]
            .iter()
            .position(|l| without_pool_subnet(l).starts_with(wanted))
        {
            Some(i) => at += i + 1,
            None => panic!(
                "{wanted:?} not printed in order; printed:\n{}",
                printed.join("\n")
            ),
        }
    }
    let by_netrig = [
        essence("network", "my_net"),
        essence("container", "jupyter"),
        essence("container", "debian"),
    ];
    daemon().remove_all_with(&label);

    // The same lines through a shell and the docker CLI, labelled so the
    // guard removes what they make.
    let cli_label = format!("netrig.test=explain-cli-{}", std::process::id());
    let _cli_guard = LabelGuard(cli_label.clone());
    let flags = format!("--label netrig.managed=true --label {cli_label}");
    for line in &printed {
        let line = ["docker network create", "docker run -d"]
            .iter()
            .find(|p| line.starts_with(*p))
            .map_or(line.to_string(), |p| {
                line.replacen(p, &format!("{p} {flags}"), 1)
            });
        let ran = Command::new("sh").arg("-c").arg(&line).output().unwrap();
        assert!(
            ran.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&ran.stderr)
        );
    }
    let by_cli = [
        essence("network", "my_net"),
        essence("container", "jupyter"),
        essence("container", "debian"),
    ];
    assert_eq!(by_cli, by_netrig);
}

#[test]
fn unwritable_trace_and_capture_paths_are_usage_errors_before_anything_runs() {
    let _daemon = daemon_shared();
    let s = Scenario::new("obs-bad", r#"network::create("obs-bad-net");"#);
    let out = s.run(&["--trace", "/nonexistent-dir/t.json"]);
    assert_exit(&out, 2);
    let err = text(&out).1;
    assert!(
        err.contains("--trace") && err.contains("/nonexistent-dir/t.json"),
        "{err}"
    );
    let out = s.run(&["--capture", "/proc/no-captures-here"]);
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("--capture"), "{}", text(&out).1);
    assert!(
        daemon().networks_with(&s.label()).is_empty(),
        "nothing was made"
    );
}

/// A script that never ends, with a ping running and a capture of its own.
fn endless(tag: &str) -> String {
    format!(
        r#"
        let net = network::create("obs-{tag}-net");
        let b = run("busybox", #{{name: "obs-{tag}-b", network: net, cmd: "sleep 300"}});
        let a = run("busybox", #{{name: "obs-{tag}-a", network: net, cmd: "ping -i 0.2 obs-{tag}-b"}});
        let cap = capture(b, #{{filter: "icmp"}});
        print("started");
        sleep(300);
        "#
    )
}

/// What an ended run left: a closed trace with the script's span, and
/// readable captures (the run's and the script's own) holding pings.
fn assert_recorded(trace: &Path, caps: &Path, own: &Path, tag: &str) {
    let events: Vec<Value> = serde_json::from_slice::<Value>(&std::fs::read(trace).unwrap())
        .expect("the trace is closed JSON")
        .as_array()
        .expect("in the trace-event array format")
        .clone();
    assert!(
        events
            .iter()
            .any(|e| e["name"] == "script" && e["ph"] == "X"),
        "the script's span is there: {events:?}"
    );
    let requests = tshark_count(&caps.join(format!("obs-{tag}-a.pcap")), "icmp.type == 8");
    assert!(requests >= 3, "the run's capture of a: {requests}");
    let seen = tshark_count(own, "icmp.type == 8");
    assert!(seen >= 3, "the script's capture of b: {seen}");
    assert_eq!(tshark_count(own, "!icmp"), 0);
}

#[test]
fn captures_and_the_trace_are_closed_on_timeout_and_sigterm() {
    let _daemon = daemon_shared();
    // --timeout stops the script; the recorders close before teardown ends.
    let s = Scenario::new("ending", &endless("tmo"));
    let dir = tempfile::tempdir().unwrap();
    let (trace, caps) = (dir.path().join("t.json"), dir.path().join("caps"));
    let started = Instant::now();
    let out = s.run(&[
        "--timeout",
        "4",
        "--trace",
        trace.to_str().unwrap(),
        "--capture",
        caps.to_str().unwrap(),
    ]);
    assert_exit(&out, 1);
    assert!(started.elapsed().as_secs() < 60);
    assert!(text(&out).1.contains("--timeout"), "{}", text(&out).1);
    s.assert_nothing_left();
    let own = s.path.parent().unwrap().join("obs-tmo-b.pcap");
    assert_recorded(&trace, &caps, &own, "tmo");

    // SIGTERM: the same, with the signal's exit code.
    let s = Scenario::new("ending", &endless("term"));
    let mut child = crate::support::netrig_command()
        .arg("run")
        .arg(&s.path)
        .args(["--trace", trace.to_str().unwrap()])
        .args(["--capture", caps.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert_eq!(line.trim(), "started");
    std::thread::sleep(std::time::Duration::from_secs(2));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "{status:?}");
    s.assert_nothing_left();
    let own = s.path.parent().unwrap().join("obs-term-b.pcap");
    assert_recorded(&trace, &caps, &own, "term");
}
