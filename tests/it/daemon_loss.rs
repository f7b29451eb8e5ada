//! A daemon that goes away in the middle of a run: a second dockerd of the
//! test's own (never the machine's) is restarted or killed while a script
//! works on it.

use std::collections::HashMap;
use std::io::Read;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use bollard::query_parameters::{ListContainersOptions, ListNetworksOptions};
use netrig::tools::{Client, ClientOptions, DaemonWatch, PING_EVERY};

use crate::support::dockerd::SecondDaemon;
use crate::support::{Scenario, daemon_shared, netrig_command, text};

/// Three containers on one network, then `body`.
fn scenario(tag: &str, body: &str) -> Scenario {
    let src = format!(
        r#"let net = network::create("dl-{tag}-net", #{{subnet: "10.218.{n}.0/24"}});
let cs = run_all([
    #{{image: "busybox", name: "dl-{tag}-a", network: net, cmd: "sleep 600"}},
    #{{image: "busybox", name: "dl-{tag}-b", network: net, cmd: "sleep 600"}},
    #{{image: "busybox", name: "dl-{tag}-c", network: net, cmd: "sleep 600"}},
]);
print("ready");
{body}
"#,
        n = tag.len()
    );
    Scenario::new(tag, &src)
}

fn spawn(s: &Scenario, url: &str) -> Child {
    netrig_command()
        .args(["run", "--host", url])
        .arg(&s.path)
        .env("NETRIG_REAPER", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn containers_on(d: &SecondDaemon) -> usize {
    let docker = d.daemon().docker().clone();
    d.daemon()
        .block(
            docker.list_containers(Some(bollard::query_parameters::ListContainersOptions {
                all: true,
                ..Default::default()
            })),
        )
        .map(|v| v.len())
        .unwrap_or(0)
}

/// Waits for the child at most `secs`; kills it if it hangs.
fn finish(mut child: Child, secs: u64) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (code, err, started.elapsed())
}

/// Nothing netrig made is left on the daemon.
fn nothing_managed_on(d: &SecondDaemon) {
    let docker = d.daemon().docker().clone();
    let filter = || {
        Some(HashMap::from([(
            "label".to_string(),
            vec!["netrig.managed".to_string()],
        )]))
    };
    let containers = d
        .daemon()
        .block(docker.list_containers(Some(ListContainersOptions {
            all: true,
            filters: filter(),
            ..Default::default()
        })))
        .unwrap();
    let networks = d
        .daemon()
        .block(docker.list_networks(Some(ListNetworksOptions { filters: filter() })))
        .unwrap();
    assert!(
        containers.is_empty() && networks.is_empty(),
        "left: {} containers, {} networks",
        containers.len(),
        networks.len()
    );
}

#[test]
fn a_run_whose_daemon_restarts_exits_3_at_once_and_clean_leaves_nothing() {
    let _daemon = daemon_shared();
    let mut d = SecondDaemon::start();
    // Busy (calling the daemon) and asleep (not calling it): both stop at once.
    for (tag, body) in [
        ("busy", "loop { exec(cs[0], \"true\"); }"),
        ("asleep", "sleep(120);\nexec(cs[0], \"true\");"),
    ] {
        let s = scenario(tag, body);
        let child = spawn(&s, &d.url);
        let up = Instant::now();
        while containers_on(&d) < 3 && up.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_secs(1));
        // The restart takes ~13 s (each busybox is killed after its stop timeout).
        let restarting = std::thread::spawn(move || {
            d.restart();
            d
        });
        let (code, err, waited) = finish(child, 60);
        d = restarting.join().unwrap();
        assert_eq!(code, Some(3), "[{tag}] {err}");
        // A call in flight fails first ("cannot reach"); a script that was
        // not calling the daemon is stopped by the watch ("went away").
        let said = if tag == "busy" {
            format!("cannot reach the Docker daemon at {}", d.url)
        } else {
            format!("error[daemon]: the Docker daemon at {} went away", d.url)
        };
        assert!(err.contains(&said), "[{tag}] {err}");
        assert!(
            err.contains("remove what is left with: netrig clean"),
            "[{tag}] {err}"
        );
        assert!(
            waited < Duration::from_secs(12),
            "[{tag}] it took {waited:?}: the run must stop when the daemon goes, not when it is back"
        );
        if tag == "asleep" {
            assert!(err.contains(".rhai:8:1"), "[{tag}] where it was: {err}");
        }
        let out = netrig_command()
            .args(["--host", &d.url, "clean"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "[{tag}] {}", text(&out).1);
        nothing_managed_on(&d);
    }
}

#[test]
fn a_suite_marks_the_running_scenario_as_a_daemon_error_and_carries_on() {
    let _daemon = daemon_shared();
    let mut d = SecondDaemon::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a_running.rhai"),
        "let n = network::create(\"net\");\nrun(\"busybox\", #{name: \"c\", network: n, cmd: \"sleep 600\"});\nsleep(120);\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b_after.rhai"),
        "let n = network::create(\"net\");\nlet c = run(\"busybox\", #{name: \"c\", network: n, cmd: \"sleep 600\"});\nassert_eq(exec(c, \"true\").exit_code, 0);\n",
    )
    .unwrap();
    let child = netrig_command()
        .args(["--host", &d.url, "test", "--jobs", "1"])
        .arg(dir.path())
        .env("NETRIG_REAPER", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let up = Instant::now();
    while containers_on(&d) < 1 && up.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    d.restart();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.contains(name) && !l.starts_with("──"))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("a_running").starts_with("ERROR"), "{stdout}");
    assert!(
        line("b_after").starts_with("ok"),
        "the suite must carry on: {stdout}"
    );
    assert!(
        stdout.contains(&format!("the Docker daemon at {} went away", d.url)),
        "{stdout}"
    );
    assert!(stdout.contains("1 passed, 1 failed"), "{stdout}");
    // The daemon came back before the running scenario's teardown: nothing is left.
    nothing_managed_on(&d);
}

#[test]
fn the_watch_sees_a_restart_at_once_and_a_quiet_daemon_never() {
    let _daemon = daemon_shared();
    let mut d = SecondDaemon::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = rt
        .block_on(Client::connect(&ClientOptions::default().with_host(&d.url)))
        .unwrap();
    let watch = rt.block_on(async { DaemonWatch::start(&client) });
    // Longer than a ping interval: a healthy, idle daemon is not lost.
    std::thread::sleep(PING_EVERY + Duration::from_secs(2));
    assert_eq!(watch.loss(), None);

    let started = Instant::now();
    let restarting = std::thread::spawn(move || {
        d.restart();
        d
    });
    let lost = watch.lost();
    let seen = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), lost.cancelled())
            .await
            .is_ok()
    });
    let after = started.elapsed();
    assert!(seen, "the watch did not notice the restart within 10 s");
    let loss = watch.loss().unwrap();
    assert!(loss.how.contains("event stream"), "{loss}");
    assert!(
        loss.to_string().starts_with(&format!(
            "the Docker daemon at {} went away",
            d_url(&client)
        )),
        "{loss}"
    );
    eprintln!("noticed {after:?} after SIGTERM: {loss}");
    let mut d = restarting.join().unwrap();

    // Killed outright: noticed as quickly.
    let client = rt
        .block_on(Client::connect(&ClientOptions::default().with_host(&d.url)))
        .unwrap();
    let watch = rt.block_on(async { DaemonWatch::start(&client) });
    let started = Instant::now();
    d.kill();
    let lost = watch.lost();
    let seen = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), lost.cancelled())
            .await
            .is_ok()
    });
    assert!(seen, "the watch did not notice the kill within 10 s");
    eprintln!(
        "noticed {:?} after SIGKILL: {}",
        started.elapsed(),
        watch.loss().unwrap()
    );
    d.start_again();
}

fn d_url(client: &Client) -> String {
    client.host().to_string()
}
