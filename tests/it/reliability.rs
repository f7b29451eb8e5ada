//! Faults: what netrig does when it is killed, interrupted twice, stuck in a
//! loop, robbed of a container, raced by another run, or left without a
//! daemon — and the sandbox that keeps a scenario away from the host.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support;
use crate::support::{Scenario, assert_exit, daemon, daemon_shared, netrig, netrig_command, text};

fn spawn(s: &Scenario, extra: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = netrig_command();
    cmd.envs(env.iter().copied());
    cmd.arg("run")
        .arg(&s.path)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn signal(pid: u32, sig: &str) {
    assert!(
        Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
}

/// A scenario with `n` containers on one network that then waits.
fn crowd(tag: &str, n: usize) -> Scenario {
    let mut src = format!("let net = network::create(\"core-{tag}-net\");\n");
    for i in 0..n {
        src += &format!(
            "run(\"busybox\", #{{name: \"core-{tag}-{i}\", network: net, cmd: \"sleep 300\"}});\n"
        );
    }
    src += "print(\"ready\");\nsleep(120);\n";
    Scenario::new(tag, &src)
}

fn wait_for_containers(s: &Scenario, n: usize) {
    let d = daemon();
    assert!(
        d.wait_for(90, || d.containers_with(&s.label()).len() == n),
        "the scenario never made its {n} containers"
    );
}

#[test]
fn the_reaper_removes_what_a_killed_run_left() {
    let _daemon = daemon_shared();
    let s = crowd("r1", 2);
    let mut child = spawn(&s, &[], &[]);
    wait_for_containers(&s, 2);
    signal(child.id(), "-KILL");
    let _ = child.wait();
    // Nobody calls `netrig clean`: the reaper notices its netrig is gone.
    let d = daemon();
    let gone = d.wait_for(30, || {
        d.containers_with(&s.label()).is_empty() && d.networks_with(&s.label()).is_empty()
    });
    assert!(
        gone,
        "left: {:?} {:?}",
        d.containers_with(&s.label()),
        d.networks_with(&s.label())
    );
}

#[test]
fn the_reaper_leaves_kept_runs_alone() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "r2",
        "run(\"busybox\", #{name: \"core-r2-c\", cmd: \"sleep 300\"});\n",
    );
    let out = s.run(&["--keep"]);
    assert_exit(&out, 0);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        daemon().containers_with(&s.label()),
        vec!["core-r2-c"],
        "--keep must keep"
    );
    support::clean_runs_with(&s.label());
}

#[test]
fn a_second_ctrl_c_during_teardown_says_what_is_left_and_teardown_goes_on() {
    let _daemon = daemon_shared();
    let s = crowd("r3", 10);
    let child = spawn(&s, &[], &[]);
    wait_for_containers(&s, 10);
    signal(child.id(), "-INT");
    std::thread::sleep(Duration::from_millis(150));
    signal(child.id(), "-INT");
    let out = child.wait_with_output().unwrap();
    let err = text(&out).1;
    assert_exit(&out, 130);
    assert!(
        err.contains("still removing what this run created ("),
        "{err}"
    );
    assert!(err.contains("press Ctrl-C again to leave it"), "{err}");
    s.assert_nothing_left();
}

#[test]
fn a_third_ctrl_c_leaves_the_rest_to_the_reaper_and_says_so() {
    let _daemon = daemon_shared();
    let s = crowd("r4", 10);
    let child = spawn(&s, &[], &[]);
    wait_for_containers(&s, 10);
    for _ in 0..3 {
        signal(child.id(), "-INT");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let err = text(&out).1;
    assert_exit(&out, 130);
    assert!(err.contains("stopped waiting;"), "{err}");
    assert!(err.contains("left to the background reaper"), "{err}");
    let d = daemon();
    assert!(
        d.wait_for(30, || d.containers_with(&s.label()).is_empty()
            && d.networks_with(&s.label()).is_empty()),
        "the reaper did not finish the cleanup"
    );
}

#[test]
fn a_runaway_loop_is_stopped_and_teardown_still_runs() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "r5",
        "run(\"busybox\", #{name: \"core-r5-c\", cmd: \"sleep 300\"});\nloop {}\n",
    );
    let started = Instant::now();
    let out = s.run(&[]);
    let took = started.elapsed();
    assert_exit(&out, 1);
    let err = text(&out).1;
    assert!(
        err.contains("operations and was stopped (a loop that never ends?)"),
        "{err}"
    );
    assert!(err.contains(":2:"), "{err}");
    assert!(err.contains("removed 1 container"), "{err}");
    assert!(took < Duration::from_secs(60), "took {took:?}");
    s.assert_nothing_left();
}

#[test]
fn the_wall_clock_timeout_stops_busy_and_waiting_scripts() {
    let _daemon = daemon_shared();
    for (tag, body) in [
        ("r6", "let x = 0;\nloop { x += 1; }\n"),
        ("r7", "wait_until(|| false, 600);\n"),
    ] {
        let s = Scenario::new(
            tag,
            &format!("run(\"busybox\", #{{name: \"core-{tag}-c\", cmd: \"sleep 300\"}});\n{body}"),
        );
        let started = Instant::now();
        let out = s.run(&["--timeout", "2"]);
        assert_exit(&out, 1);
        let err = text(&out).1;
        assert!(
            err.contains("did not finish within 2 s (--timeout)"),
            "{err}"
        );
        assert!(err.contains("removed 1 container"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{tag} took {:?}",
            started.elapsed()
        );
        s.assert_nothing_left();
    }
}

#[test]
fn a_container_removed_behind_netrigs_back_fails_clearly_and_the_rest_is_removed() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "r8",
        "let net = network::create(\"core-r8-net\");\n\
         let a = run(\"busybox\", #{name: \"core-r8-a\", network: net, cmd: \"sleep 300\"});\n\
         let b = run(\"busybox\", #{name: \"core-r8-b\", network: net, cmd: \"sleep 300\"});\n\
         wait_until(|| ps(#{all: true, name: \"core-r8-b\"}).len() == 0, 60);\n\
         exec(b, \"true\");\n",
    );
    let child = spawn(&s, &[], &[]);
    let d = daemon();
    let running = d.wait_for(90, || {
        d.container("core-r8-b")
            .and_then(|c| c.state)
            .and_then(|st| st.running)
            .unwrap_or(false)
    });
    assert!(running, "core-r8-b never ran");
    d.block(d.docker().remove_container(
        "core-r8-b",
        Some(bollard::query_parameters::RemoveContainerOptions {
            force: true,
            ..Default::default()
        }),
    ))
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 1);
    let err = text(&out).1;
    assert!(
        err.contains("exec(): exec \"true\" in container \"core-r8-b\""),
        "{err}"
    );
    assert!(err.contains("No such container"), "{err}");
    assert!(err.contains(":5:1"), "{err}");
    assert!(err.contains("removed 1 container, 1 network"), "{err}");
    s.assert_nothing_left();
}

#[test]
fn a_second_run_with_the_same_names_fails_and_leaves_the_first_alone() {
    let _daemon = daemon_shared();
    let source = "let net = network::create(\"core-r9-net\");\n\
                  run(\"busybox\", #{name: \"core-r9-c\", network: net, cmd: \"sleep 300\"});\n\
                  print(\"ready\");\nsleep(120);\n";
    let first = Scenario::new("r9a", source);
    let second = Scenario::new("r9b", source);
    let child = spawn(&first, &[], &[]);
    wait_for_containers(&first, 1);

    let out = second.run(&[]);
    assert_exit(&out, 1);
    let err = text(&out).1;
    assert!(err.contains("the name \"core-r9-net\" is in use"), "{err}");
    assert!(err.contains("made by netrig run"), "{err}");
    assert!(
        err.contains(&first.path.display().to_string()),
        "names the other run's script: {err}"
    );
    second.assert_nothing_left();
    // The first run still has everything.
    let d = daemon();
    assert_eq!(d.containers_with(&first.label()), vec!["core-r9-c"]);
    assert_eq!(d.networks_with(&first.label()), vec!["core-r9-net"]);

    // The same for a container name taken by the first run.
    let third = Scenario::new(
        "r9c",
        "let net = network::create(\"core-r9-other\");\nrun(\"busybox\", #{name: \"core-r9-c\", network: net, cmd: \"sleep 300\"});\n",
    );
    let out = third.run(&[]);
    assert_exit(&out, 1);
    let err = text(&out).1;
    assert!(err.contains("the name \"core-r9-c\" is in use: a container with that name already exists (made by netrig run"), "{err}");
    third.assert_nothing_left();
    assert_eq!(d.containers_with(&first.label()), vec!["core-r9-c"]);

    signal(child.id(), "-TERM");
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 143);
    first.assert_nothing_left();
}

/// A Docker daemon of the test's own, with its own socket, data root and
/// default bridge. Not `--bridge none`: a daemon started that way deletes
/// the host's `docker0`, which the machine's own daemon needs.
struct OwnDaemon {
    dir: tempfile::TempDir,
    child: Child,
}

/// The bridge our daemon's default network uses (a name of 15 bytes at most).
const OWN_BRIDGE: &str = "nrtest-br0";

impl OwnDaemon {
    fn start() -> OwnDaemon {
        let dir = tempfile::tempdir().unwrap();
        let _ = Command::new("ip")
            .args(["link", "del", OWN_BRIDGE])
            .status();
        for args in [
            vec!["link", "add", OWN_BRIDGE, "type", "bridge"],
            vec!["addr", "add", "10.254.254.1/24", "dev", OWN_BRIDGE],
            vec!["link", "set", OWN_BRIDGE, "up"],
        ] {
            assert!(
                Command::new("ip").args(&args).status().unwrap().success(),
                "ip {args:?}"
            );
        }
        let child = Self::launch(dir.path());
        let d = OwnDaemon { dir, child };
        d.wait_up();
        d
    }

    fn launch(dir: &Path) -> Child {
        std::fs::write(dir.join("daemon.json"), "{}").unwrap();
        let log = std::fs::File::create(dir.join("log")).unwrap();
        Command::new("dockerd")
            .arg("--config-file")
            .arg(dir.join("daemon.json"))
            .arg("--host")
            .arg(format!("unix://{}", dir.join("docker.sock").display()))
            .arg("--data-root")
            .arg(dir.join("root"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("--pidfile")
            .arg(dir.join("pid"))
            .args([
                "--bridge",
                OWN_BRIDGE,
                "--iptables=false",
                "--ip-masq=false",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("dockerd must be installed for this test (Debian's docker.io)")
    }

    fn url(&self) -> String {
        format!("unix://{}", self.dir.path().join("docker.sock").display())
    }

    fn wait_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let ok = Command::new("docker")
                .args(["-H", &self.url(), "version"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "our own dockerd did not come up: {}",
            std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
        );
    }

    fn networks(&self) -> String {
        let out = Command::new("docker")
            .args(["-H", &self.url(), "network", "ls", "--format", "{{.Name}}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Kills the daemon outright, as a crash would, and the containerd it
    /// started: a containerd left behind keeps its socket, and the next
    /// dockerd waits for it in vain.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let pidfile = self.dir.path().join("exec/containerd/containerd.pid");
        if let Ok(pid) = std::fs::read_to_string(&pidfile) {
            let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
            let _ = std::fs::remove_file(pidfile);
        }
    }

    fn restart(&mut self) {
        self.kill();
        self.child = Self::launch(self.dir.path());
        self.wait_up();
    }
}

impl Drop for OwnDaemon {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let _ = Command::new("ip")
            .args(["link", "del", OWN_BRIDGE])
            .status();
    }
}

#[test]
fn a_daemon_that_dies_or_stops_answering_exits_3_and_clean_finishes_later() {
    let _daemon = daemon_shared();
    let mut own = OwnDaemon::start();
    let s = Scenario::new(
        "r10",
        "network::create(\"core-r10-net\");\nprint(\"ready\");\nsleep(3);\nnetwork::ls();\n",
    );
    // Killed mid-run: the next call cannot reach it.
    let child = spawn(&s, &["--host", &own.url()], &[("NETRIG_REAPER", "off")]);
    let up = daemon().wait_for(30, || own.networks().contains("core-r10-net"));
    assert!(up, "the scenario never made its network on our daemon");
    own.kill();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 3);
    let err = text(&out).1;
    // The daemon watch notices the loss during sleep(3) (its event stream
    // breaks); failing that, the next call cannot reach the daemon.
    assert!(
        err.contains(&format!("the Docker daemon at {} went away", own.url()))
            || err.contains(&format!("cannot reach the Docker daemon at {}", own.url())),
        "{err}"
    );
    assert!(err.contains(":3:1") || err.contains(":4:1"), "{err}");
    assert!(
        err.contains("remove what is left with: netrig clean --run"),
        "{err}"
    );

    // Back again: `netrig clean` removes what the run could not.
    own.restart();
    assert!(own.networks().contains("core-r10-net"));
    let out = netrig()
        .args(["--host", &own.url(), "clean"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(!own.networks().contains("core-r10-net"), "clean left it");

    // Stopped (not dead): calls time out instead of hanging.
    let child = spawn(
        &s,
        &["--host", &own.url()],
        &[("NETRIG_DOCKER_TIMEOUT", "2"), ("NETRIG_REAPER", "off")],
    );
    assert!(daemon().wait_for(30, || own.networks().contains("core-r10-net")));
    signal(own.child.id(), "-STOP");
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    signal(own.child.id(), "-CONT");
    assert_exit(&out, 3);
    let err = text(&out).1;
    assert!(
        err.contains("no answer from the Docker daemon within 2 s"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let out = netrig()
        .args(["--host", &own.url(), "clean"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(!own.networks().contains("core-r10-net"));
}

#[test]
fn host_access_is_refused_unless_allowed() {
    let _daemon = daemon_shared();
    for (tag, call, wanted) in [
        (
            "s1",
            r#"run("busybox", #{name: "core-s1", privileged: true, cmd: "sleep 300"})"#,
            "option \"privileged\"",
        ),
        (
            "s2",
            r#"run("busybox", #{name: "core-s2", network: "host", cmd: "sleep 300"})"#,
            "\"network\": \"host\"",
        ),
        (
            "s3",
            r#"run("busybox", #{name: "core-s3", cap_add: ["SYS_ADMIN"], cmd: "sleep 300"})"#,
            "\"SYS_ADMIN\"",
        ),
        (
            "s4",
            r#"network::create("core-s4", #{driver: "macvlan"})"#,
            "\"macvlan\"",
        ),
        (
            "s5",
            r#"build("../", "core-s5:1")"#,
            "outside the script's directory",
        ),
        (
            "s6",
            r#"graph(#{file: "/tmp/core-s6.svg", format: "svg"})"#,
            "outside the script's directory",
        ),
        (
            "s7",
            r#"import "../../etc/core-s7" as x"#,
            "outside the script's directory",
        ),
    ] {
        let s = Scenario::new(
            tag,
            &format!("let n = network::create(\"core-{tag}-net\");\n{call};\n"),
        );
        let out = s.run(&[]);
        assert_exit(&out, 1);
        let err = text(&out).1;
        assert!(err.contains(wanted), "{tag}: {err}");
        assert!(err.contains("--allow-host-access"), "{tag}: {err}");
        assert!(err.contains(":2:"), "{tag}: {err}");
        s.assert_nothing_left();
    }
    assert!(!Path::new("/tmp/core-s6.svg").exists());
    // The flag lets a scenario have the capability it asked for.
    let s = Scenario::new(
        "s8",
        "let c = run(\"busybox\", #{name: \"core-s8\", cap_add: [\"SYS_ADMIN\"], cmd: \"sleep 300\"});\n",
    );
    let out = s.run(&["--allow-host-access", "--keep"]);
    assert_exit(&out, 0);
    let caps = daemon()
        .container("core-s8")
        .unwrap()
        .host_config
        .unwrap()
        .cap_add;
    assert_eq!(caps, Some(vec!["SYS_ADMIN".to_string()]));
    support::clean_runs_with(&s.label());
    s.assert_nothing_left();
}

#[test]
fn network_capabilities_need_no_flag() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "s9",
        "let c = run(\"busybox\", #{name: \"core-s9\", cap_add: [\"NET_ADMIN\", \"NET_RAW\"], cmd: \"sleep 300\"});\n\
         assert_eq(exec(c, \"ip link set lo mtu 1400\").exit_code, 0, \"NET_ADMIN works\");\n",
    );
    let out = s.run(&[]);
    assert_exit(&out, 0);
    s.assert_nothing_left();
}
