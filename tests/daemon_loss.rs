//! A daemon that goes away in the middle of a run: a second dockerd of the
//! test's own (never the machine's) is restarted or killed while a script
//! works on it.

mod support;

use std::io::Read;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use netrig::docker::watch::{DaemonWatch, PING_EVERY};
use netrig::docker::{Client, ClientOptions};
use support::dockerd::SecondDaemon;
use support::{Scenario, netrig_command};

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

#[test]
fn study_restart_while_busy_and_while_sleeping() {
    let mut d = SecondDaemon::start();
    for (tag, body) in [
        ("busy", "loop { exec(cs[0], \"true\"); }"),
        ("asleep", "sleep(25);\nexec(cs[0], \"true\");"),
    ] {
        let s = scenario(tag, body);
        let child = spawn(&s, &d.url);
        let up = Instant::now();
        while containers_on(&d) < 3 && up.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_secs(1));
        let t0 = Instant::now();
        d.restart();
        eprintln!("[{tag}] restart took {:?}", t0.elapsed());
        let (code, err, waited) = finish(child, 90);
        eprintln!(
            "[{tag}] exit {code:?} {:?} after the restart:\n{err}",
            waited
        );
        let out = netrig_command()
            .args(["--host", &d.url, "clean"])
            .output()
            .unwrap();
        eprintln!(
            "[{tag}] clean: {:?} {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_watch_sees_a_restart_at_once_and_a_quiet_daemon_never() {
    let mut d = SecondDaemon::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = rt
        .block_on(Client::connect(&ClientOptions {
            host: Some(d.url.clone()),
            ..Default::default()
        }))
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
        .block_on(Client::connect(&ClientOptions {
            host: Some(d.url.clone()),
            ..Default::default()
        }))
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
