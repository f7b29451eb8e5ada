//! Partitions, impairments and node failures against the real daemon with
//! real packets. A scenario runs in the background and stops at each
//! `step`; meanwhile the test looks from outside netrig: pings and
//! transfers it runs in the containers itself, the daemon's inspect, and
//! the kernel state read with nsenter. Names start with `i8-`.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::support;
use crate::support::{
    Scenario, assert_exit, assert_nothing_left, daemon, daemon_shared, netrig, netrig_command, text,
};

/// `step(ctr, name)`: tell the test (through a file in `ctr`) that phase
/// `name` is reached, then wait until it says go on.
const STEP: &str = r#"
fn step(ctr, name) {
    exec(ctr, ["sh", "-c", "mkdir -p /tmp && touch /tmp/reached-" + name]);
    wait_until(|| exec(ctr, ["test", "-e", "/tmp/go-" + name]).exit_code == 0, 300);
}
"#;

/// A netrig run in the background that the test steps through.
struct Stepping {
    scenario: Scenario,
    child: Option<Child>,
    control: String,
    out_dir: tempfile::TempDir,
}

impl Stepping {
    /// Starts `netrig run` on `body` (with `step` defined); phases are
    /// signalled inside the container `control`.
    fn start(name: &str, control: &str, body: &str) -> Stepping {
        let scenario = Scenario::new(name, &format!("{STEP}\n{body}"));
        let out_dir = tempfile::tempdir().unwrap();
        let stdout = std::fs::File::create(out_dir.path().join("stdout")).unwrap();
        let stderr = std::fs::File::create(out_dir.path().join("stderr")).unwrap();
        let child = netrig_command()
            .arg("run")
            .arg(&scenario.path)
            // This test kills netrig on purpose and checks what `netrig clean` finds.
            .env("NETRIG_REAPER", "off")
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap();
        Stepping {
            scenario,
            child: Some(child),
            control: control.to_string(),
            out_dir,
        }
    }

    fn output_so_far(&self) -> (String, String) {
        let read =
            |f: &str| std::fs::read_to_string(self.out_dir.path().join(f)).unwrap_or_default();
        (read("stdout"), read("stderr"))
    }

    /// Waits until the script reached `phase`.
    fn reached(&mut self, phase: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            // The control container may not exist or run yet.
            let running = daemon()
                .container(&self.control)
                .and_then(|c| c.state)
                .and_then(|s| s.running)
                == Some(true);
            let marker = format!("/tmp/reached-{phase}");
            if running && daemon().exec(&self.control, &["test", "-e", &marker]).0 == 0 {
                return;
            }
            let exited = self.child.as_mut().unwrap().try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                let (stdout, stderr) = self.output_so_far();
                panic!(
                    "the scenario never reached {phase:?} (exit {exited:?})\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Lets the script go on past `phase`.
    fn go(&self, phase: &str) {
        let (code, out) = daemon().exec(&self.control, &["touch", &format!("/tmp/go-{phase}")]);
        assert_eq!(code, 0, "{out}");
    }

    /// Waits for netrig to end; returns (exit code, stdout, stderr).
    fn finish(mut self) -> (Option<i32>, String, String) {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("netrig did not end within 120 s: teardown hangs?");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let (stdout, stderr) = self.output_so_far();
        self.scenario.assert_nothing_left();
        (status.code(), stdout, stderr)
    }

    /// Kills netrig outright (SIGKILL): it cannot clean up.
    fn kill_netrig(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for Stepping {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The container's main process on this machine.
fn pid_of(ctr: &str) -> u32 {
    daemon()
        .container(ctr)
        .and_then(|c| c.state)
        .and_then(|s| s.pid)
        .unwrap_or_else(|| panic!("no pid for {ctr}")) as u32
}

/// Runs a host tool inside the container's network namespace; its stdout.
fn in_netns(ctr: &str, args: &[&str]) -> String {
    let out = Command::new("nsenter")
        .args(["-t", &pid_of(ctr).to_string(), "-n"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?} in {ctr}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The lines of netrig's own in the container's IPv4 filter table.
fn netrig_rules(ctr: &str) -> Vec<String> {
    in_netns(ctr, &["iptables-save", "-t", "filter"])
        .lines()
        .filter(|l| l.contains("NETRIG"))
        .map(str::to_string)
        .collect()
}

/// The root qdisc kind of `eth0` in the container.
fn root_qdisc(ctr: &str) -> String {
    let show = in_netns(ctr, &["tc", "qdisc", "show", "dev", "eth0", "root"]);
    show.split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

/// Pings every target once from `from`, all at once; which answered.
fn answers(from: &str, targets: &[&str]) -> Vec<bool> {
    let script = targets
        .iter()
        .map(|t| format!("(ping -c 1 -W 1 {t} >/dev/null 2>&1 && echo {t}=yes || echo {t}=no) &"))
        .collect::<Vec<_>>()
        .join(" ")
        + " wait";
    let (_, out) = daemon().exec(from, &["sh", "-c", &script]);
    targets
        .iter()
        .map(|t| out.contains(&format!("{t}=yes")))
        .collect()
}

/// Echo requests that reached `ctr`'s ICMP layer (past its INPUT chain),
/// from its own `/proc/net/snmp`: shows which side of a cut drops a packet.
fn echoes_received(ctr: &str) -> u64 {
    let (_, snmp) = daemon().exec(ctr, &["cat", "/proc/net/snmp"]);
    let rows: Vec<Vec<&str>> = snmp
        .lines()
        .filter(|l| l.starts_with("Icmp:"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    let column = rows[0].iter().position(|h| *h == "InEchos").unwrap();
    rows[1][column].parse().unwrap()
}

/// How many of `count` fast pings from `from` to `to` got an answer.
fn received(from: &str, to: &str, count: u32) -> u32 {
    let (_, out) = daemon().exec(
        from,
        &[
            "ping",
            "-q",
            "-c",
            &count.to_string(),
            "-i",
            "0.01",
            "-W",
            "1",
            to,
        ],
    );
    out.split(',')
        .find(|p| p.contains("received"))
        .and_then(|p| p.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ping summary: {out}"))
}

/// What the host itself carries of netrig's: there must be nothing, since
/// every rule and qdisc lives in a container's namespace.
fn assert_host_untouched() {
    for save in ["iptables-save", "ip6tables-save"] {
        let out = Command::new(save).output().unwrap();
        let rules = String::from_utf8_lossy(&out.stdout);
        assert!(
            !rules.contains("NETRIG"),
            "{save} on the host shows netrig rules:\n{rules}"
        );
    }
    let out = Command::new("tc").args(["qdisc", "show"]).output().unwrap();
    let qdiscs = String::from_utf8_lossy(&out.stdout);
    assert!(
        !qdiscs.contains("qdisc tbf") && !qdiscs.contains("qdisc netem"),
        "the host has a shaping qdisc:\n{qdiscs}"
    );
}

fn busybox_sleeping(names: &[&str], net: &str) -> String {
    names
        .iter()
        .map(|n| {
            format!(
                "run(\"busybox\", #{{name: \"{n}\", network: \"{net}\", cmd: \"sleep 600\"}});\n"
            )
        })
        .collect()
}

#[test]
fn a_partition_splits_four_containers_into_two_groups_and_heal_joins_them() {
    let _daemon = daemon_shared();
    let names = ["i8-part-a1", "i8-part-a2", "i8-part-b1", "i8-part-b2"];
    let mut run = Stepping::start(
        "i8-partition",
        "i8-part-a1",
        &format!(
            "network::create(\"i8-part-net\");\n{}\
             let cut = partition([[\"i8-part-a1\", \"i8-part-a2\"], [\"i8-part-b1\", \"i8-part-b2\"]]);\n\
             assert_eq(cut, 4);\n\
             step(\"i8-part-a1\", \"partitioned\");\n\
             assert_eq(heal(), 4);\n\
             step(\"i8-part-a1\", \"healed\");\n",
            busybox_sleeping(&names, "i8-part-net")
        ),
    );
    run.reached("partitioned");
    // Inside a group: answers. Across: none, in both directions.
    let [a1, a2, b1, b2] = names;
    assert_eq!(answers(a1, &[a2, b1, b2]), vec![true, false, false]);
    assert_eq!(answers(a2, &[a1, b1, b2]), vec![true, false, false]);
    assert_eq!(answers(b1, &[b2, a1, a2]), vec![true, false, false]);
    assert_eq!(answers(b2, &[b1, a1, a2]), vec![true, false, false]);
    // Each side drops on arrival: a1's pings never reach b1's ICMP layer,
    // and b1's never reach a1's.
    let (a1_before, b1_before) = (echoes_received(a1), echoes_received(b1));
    assert_eq!(answers(a1, &[b1]), vec![false]);
    assert_eq!(answers(b1, &[a1]), vec![false]);
    assert_eq!(
        (echoes_received(a1), echoes_received(b1)),
        (a1_before, b1_before)
    );
    // The kernel holds it as netrig says: a chain dropping the other group.
    let rules = netrig_rules(a1);
    assert!(
        rules.iter().any(|r| r == "-A INPUT -j NETRIG-INPUT"),
        "{rules:?}"
    );
    assert_eq!(
        rules.iter().filter(|r| r.ends_with("-j DROP")).count(),
        2,
        "{rules:?}"
    );

    run.go("partitioned");
    run.reached("healed");
    for from in names {
        let others: Vec<&str> = names.iter().copied().filter(|n| *n != from).collect();
        assert_eq!(answers(from, &others), vec![true; 3], "{from} after heal");
        assert!(
            netrig_rules(from).is_empty(),
            "{from} keeps rules after heal"
        );
    }
    run.go("healed");
    let (code, _, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_host_untouched();
}

#[test]
fn half_of_the_packets_are_lost_until_clear() {
    let _daemon = daemon_shared();
    let mut run = Stepping::start(
        "i8-loss",
        "i8-loss-a",
        &format!(
            "network::create(\"i8-loss-net\");\n{}\
             impair(\"i8-loss-b\", #{{loss_pct: 50}});\n\
             step(\"i8-loss-a\", \"lossy\");\n\
             clear(\"i8-loss-b\");\n\
             step(\"i8-loss-a\", \"clear\");\n",
            busybox_sleeping(&["i8-loss-a", "i8-loss-b"], "i8-loss-net")
        ),
    );
    run.reached("lossy");
    let got = received("i8-loss-a", "i8-loss-b", 100);
    assert!(
        (30..=70).contains(&got),
        "50% loss let {got} of 100 pings through"
    );
    run.go("lossy");
    run.reached("clear");
    assert_eq!(received("i8-loss-a", "i8-loss-b", 100), 100);
    assert!(netrig_rules("i8-loss-b").is_empty());
    run.go("clear");
    let (code, _, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_host_untouched();
}

/// Sends 2 MB from `from` to `to` with busybox nc; the seconds it took, as
/// busybox `time` measures inside the sender (no exec overhead).
fn send_two_megabytes(from: &str, to: &str) -> f64 {
    let d = daemon();
    let (code, out) = d.exec(
        to,
        &[
            "sh",
            "-c",
            "mkdir -p /tmp && rm -f /tmp/got && printf '#!/bin/sh\\nwc -c > /tmp/got\\n' > /tmp/rx \
             && chmod +x /tmp/rx && (nc -l -p 5000 -e /tmp/rx >/dev/null 2>&1 &)",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        d.wait_for(10, || d
            .exec(to, &["sh", "-c", "netstat -ltn | grep -q :5000"])
            .0
            == 0),
        "the receiver never listened"
    );
    // The sender's nc ends only once the receiver has read everything and
    // closed, so this times the whole transfer.
    let (code, out) = d.exec(
        from,
        &[
            "time",
            "-f",
            "%e",
            "sh",
            "-c",
            &format!("dd if=/dev/zero bs=1024 count=2048 2>/dev/null | nc {to} 5000"),
        ],
    );
    assert_eq!(code, 0, "{out}");
    let took: f64 = out
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no time in {out:?}"));
    assert!(
        d.wait_for(10, || d.exec(to, &["test", "-s", "/tmp/got"]).0 == 0),
        "the receiver wrote no count"
    );
    let (_, got) = d.exec(to, &["cat", "/tmp/got"]);
    assert_eq!(got.trim(), "2097152", "bytes received");
    took
}

#[test]
fn a_rate_limit_slows_what_a_container_sends() {
    let _daemon = daemon_shared();
    let mut run = Stepping::start(
        "i8-rate",
        "i8-rate-rx",
        &format!(
            "network::create(\"i8-rate-net\");\n{}\
             impair(\"i8-rate-tx\", #{{rate: \"8mbit\"}});\n\
             step(\"i8-rate-rx\", \"shaped\");\n\
             clear(\"i8-rate-tx\");\n\
             step(\"i8-rate-rx\", \"free\");\n",
            busybox_sleeping(&["i8-rate-tx", "i8-rate-rx"], "i8-rate-net")
        ),
    );
    run.reached("shaped");
    assert_eq!(root_qdisc("i8-rate-tx"), "tbf");
    let shaped = send_two_megabytes("i8-rate-tx", "i8-rate-rx");
    // 2 MB is 16.8 Mbit: about 2.1 s at 8 Mbit/s.
    assert!(shaped >= 1.5, "2 MB at 8mbit took only {shaped:.2} s");
    run.go("shaped");
    run.reached("free");
    assert_ne!(root_qdisc("i8-rate-tx"), "tbf");
    let free = send_two_megabytes("i8-rate-tx", "i8-rate-rx");
    assert!(free < 1.0, "2 MB without a limit took {free:.2} s");
    eprintln!("2 MB: {shaped:.2} s at 8mbit, {free:.2} s without a limit");
    run.go("free");
    let (code, _, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_host_untouched();
}

/// Whether this kernel has netem, asked in a throwaway namespace.
fn kernel_has_netem() -> bool {
    let out = Command::new("unshare")
        .args([
            "-n", "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.contains("qdisc kind is unknown"),
        "cannot tell whether the kernel has netem: {stderr}"
    );
    out.status.success()
}

/// The average round trip of 5 pings, in ms.
fn rtt_ms(from: &str, to: &str) -> f64 {
    let (_, out) = daemon().exec(from, &["ping", "-q", "-c", "5", "-i", "0.2", to]);
    let avg = out
        .split("min/avg/max = ")
        .nth(1)
        .and_then(|s| s.split('/').nth(1))
        .unwrap_or_else(|| panic!("no round-trip summary: {out}"));
    avg.parse().unwrap()
}

#[test]
fn a_delay_raises_the_round_trip_or_names_the_missing_kernel_feature() {
    let _daemon = daemon_shared();
    let netem = kernel_has_netem();
    let mut run = Stepping::start(
        "i8-delay",
        "i8-delay-a",
        &format!(
            "network::create(\"i8-delay-net\");\n{}\
             impair(\"i8-delay-b\", #{{loss_pct: 0}});\n\
             try {{\n\
                 impair(\"i8-delay-b\", #{{delay_ms: 100, jitter_ms: 5, rate: \"8mbit\"}});\n\
                 print(\"applied\");\n\
             }} catch (e) {{\n\
                 print(\"kind=\" + e.kind);\n\
                 print(e.message);\n\
             }}\n\
             print(faults());\n\
             step(\"i8-delay-a\", \"delayed\");\n",
            busybox_sleeping(&["i8-delay-a", "i8-delay-b"], "i8-delay-net")
        ),
    );
    run.reached("delayed");
    if netem {
        assert_eq!(root_qdisc("i8-delay-b"), "netem");
        let rtt = rtt_ms("i8-delay-a", "i8-delay-b");
        assert!(rtt >= 90.0, "a 100 ms delay gave a round trip of {rtt} ms");
    } else {
        // Nothing half-made: the rate in the same call was not applied either.
        assert_ne!(root_qdisc("i8-delay-b"), "tbf");
        assert!(rtt_ms("i8-delay-a", "i8-delay-b") < 50.0);
    }
    run.go("delayed");
    let (code, stdout, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stderr}");
    if netem {
        assert!(stdout.contains("applied"), "{stdout}");
    } else {
        assert!(stdout.contains("kind=unsupported"), "{stdout}");
        assert!(
            stdout.contains("impair(): ")
                && stdout.contains("delay_ms and jitter_ms need the netem queueing discipline")
                && stdout.contains("CONFIG_NET_SCH_NETEM"),
            "{stdout}"
        );
        // The failed call left the book as it was: only the loss_pct: 0 layer.
        assert!(
            stdout.contains("loss 0%") && !stdout.contains("delay 100ms\""),
            "{stdout}"
        );
        eprintln!("delay: skipped, this kernel has no netem; checked the error instead");
    }
    assert_host_untouched();
}

/// What a client in `from` gets from the web server on `to`:8080 within 2 s.
fn fetch(from: &str, to: &str) -> String {
    let (_, out) = daemon().exec(
        from,
        &[
            "sh",
            "-c",
            &format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 2 nc {to} 8080"),
        ],
    );
    out
}

fn state(ctr: &str) -> bollard::models::ContainerState {
    daemon().container(ctr).and_then(|c| c.state).unwrap()
}

#[test]
fn pause_kill_and_restart_are_seen_from_another_container() {
    let _daemon = daemon_shared();
    // The server traps USR1 to show that kill() delivers the signal it names.
    let server = "trap 'echo got USR1; exit 3' USR1; mkdir -p /www; echo hello > /www/index.html; \
                  httpd -p 8080 -h /www; while true; do sleep 0.2; done";
    let mut run = Stepping::start(
        "i8-nodes",
        "i8-node-client",
        &format!(
            "network::create(\"i8-node-net\");\n\
             run(\"busybox\", #{{name: \"i8-node-client\", network: \"i8-node-net\", cmd: \"sleep 600\"}});\n\
             run(\"busybox\", #{{name: \"i8-node-web\", network: \"i8-node-net\", cmd: [\"sh\", \"-c\", {server:?}]}});\n\
             wait_until(|| exec(\"i8-node-client\", [\"sh\", \"-c\", \"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 2 nc i8-node-web 8080\"]).stdout.contains(\"hello\"), 20);\n\
             pause(\"i8-node-web\");\n\
             step(\"i8-node-client\", \"paused\");\n\
             unpause(\"i8-node-web\");\n\
             step(\"i8-node-client\", \"unpaused\");\n\
             kill(\"i8-node-web\", \"USR1\");\n\
             step(\"i8-node-client\", \"signalled\");\n\
             restart(\"i8-node-web\", 0);\n\
             step(\"i8-node-client\", \"restarted\");\n\
             kill(\"i8-node-web\");\n\
             step(\"i8-node-client\", \"killed\");\n"
        ),
    );
    let (client, web) = ("i8-node-client", "i8-node-web");

    run.reached("paused");
    assert_eq!(state(web).paused, Some(true));
    // Frozen processes serve nothing, though the kernel still answers pings.
    assert!(!fetch(client, web).contains("hello"));
    assert!(daemon().can_ping(client, web));
    run.go("paused");

    run.reached("unpaused");
    assert!(fetch(client, web).contains("hello"));
    run.go("unpaused");

    run.reached("signalled");
    assert!(
        daemon().wait_for(10, || state(web).running == Some(false)),
        "USR1 did not stop the server"
    );
    assert_eq!(state(web).exit_code, Some(3));
    assert!(!daemon().can_ping(client, web));
    run.go("signalled");

    run.reached("restarted");
    assert_eq!(state(web).running, Some(true));
    assert!(daemon().wait_for(10, || fetch(client, web).contains("hello")));
    run.go("restarted");

    run.reached("killed");
    let killed = state(web);
    assert_eq!((killed.running, killed.exit_code), (Some(false), Some(137)));
    assert!(!fetch(client, web).contains("hello"));
    run.go("killed");

    let (code, _, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_cut_survives_a_restart_and_impairments_stack_and_expire() {
    let _daemon = daemon_shared();
    let mut run = Stepping::start(
        "i8-stack",
        "i8-stack-a",
        &format!(
            "network::create(\"i8-stack-net\");\n{}\
             cut(\"i8-stack-a\", \"i8-stack-b\");\n\
             restart(\"i8-stack-b\", 0);\n\
             step(\"i8-stack-a\", \"restarted\");\n\
             assert(restore(\"i8-stack-a\", \"i8-stack-b\"));\n\
             impair(\"i8-stack-c\", #{{rate: \"8mbit\"}});\n\
             impair(\"i8-stack-c\", #{{loss_pct: 100, duration_secs: 3}});\n\
             step(\"i8-stack-a\", \"stacked\");\n",
            busybox_sleeping(&["i8-stack-a", "i8-stack-b", "i8-stack-c"], "i8-stack-net")
        ),
    );
    let (a, b, c) = ("i8-stack-a", "i8-stack-b", "i8-stack-c");
    run.reached("restarted");
    // b's new namespace got its rules back, and a's rules know b's address.
    assert_eq!(answers(a, &[b, c]), vec![false, true]);
    assert_eq!(answers(b, &[a, c]), vec![false, true]);
    // And b itself drops a's packets again, not only a dropping b's answers.
    let before = echoes_received(b);
    assert_eq!(answers(a, &[b]), vec![false]);
    assert_eq!(
        echoes_received(b),
        before,
        "a's ping reached b's ICMP layer"
    );
    assert!(!netrig_rules(b).is_empty());
    run.go("restarted");

    run.reached("stacked");
    assert!(netrig_rules(a).is_empty() && netrig_rules(b).is_empty());
    // Both layers hold: everything to c is lost, and c sends through a tbf.
    assert_eq!(answers(a, &[c]), vec![false]);
    assert_eq!(root_qdisc(c), "tbf");
    // After 3 s the loss ends by itself; the rate stays.
    assert!(
        daemon().wait_for(20, || daemon().can_ping(a, c)),
        "the 3 s loss never ended"
    );
    assert!(netrig_rules(c).is_empty(), "{:?}", netrig_rules(c));
    assert_eq!(root_qdisc(c), "tbf");
    run.go("stacked");
    let (code, _, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_host_untouched();
}

#[test]
fn teardown_after_a_pause_and_a_partition_leaves_nothing() {
    let _daemon = daemon_shared();
    let body = format!(
        "network::create(\"i8-down-net\");\n{}\
         partition([[\"i8-down-a\"], [\"i8-down-b\", \"i8-down-c\"]]);\n\
         impair(\"i8-down-c\", #{{rate: \"1mbit\", loss_pct: 10}});\n\
         pause(\"i8-down-b\");\n",
        busybox_sleeping(&["i8-down-a", "i8-down-b", "i8-down-c"], "i8-down-net")
    );
    let scenario = Scenario::new("i8-teardown", &body);
    let started = Instant::now();
    let out = scenario.run(&[]);
    assert_exit(&out, 0);
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("removed 3 containers, 1 network"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(60), "teardown hung");
    scenario.assert_nothing_left();
    assert_host_untouched();
}

#[test]
fn netrig_clean_removes_what_a_killed_run_left_paused_and_partitioned() {
    let _daemon = daemon_shared();
    let mut run = Stepping::start(
        "i8-killed",
        "i8-kill-a",
        &format!(
            "network::create(\"i8-kill-net\");\n{}\
             partition([[\"i8-kill-a\"], [\"i8-kill-b\"]]);\n\
             pause(\"i8-kill-b\");\n\
             step(\"i8-kill-a\", \"broken\");\n",
            busybox_sleeping(&["i8-kill-a", "i8-kill-b"], "i8-kill-net")
        ),
    );
    run.reached("broken");
    run.kill_netrig();
    let label = run.scenario.label();
    let d = daemon();
    assert_eq!(d.containers_with(&label), vec!["i8-kill-a", "i8-kill-b"]);
    assert_eq!(state("i8-kill-b").paused, Some(true));

    for id in d.run_ids_with(&label) {
        let out = netrig().args(["clean", "--run", &id]).output().unwrap();
        assert_exit(&out, 0);
    }
    assert_nothing_left(&label);
    assert_host_untouched();
}

#[test]
fn bad_fault_calls_fail_with_the_function_the_option_and_the_line() {
    let _daemon = daemon_shared();
    let cases: [(&str, &[&str]); 4] = [
        (
            "impair(\"i8-nobody\", #{loss_pct: 150});",
            &[
                "impair(): option \"loss_pct\" must be between 0 and 100, got 150",
                "1:1",
            ],
        ),
        (
            "let x = 1;\nimpair(\"i8-nobody\", #{los_pct: 5});",
            &["did you mean \"loss_pct\"", "2:1"],
        ),
        (
            "partition([[\"i8-nobody\"]]);",
            &["partition(): partition containers: No such container: i8-nobody"],
        ),
        (
            "kill(\"i8-nobody\", \"kill -9\");",
            &["kill(): the signal must be a name like \"SIGKILL\""],
        ),
    ];
    for (i, (source, expected)) in cases.iter().enumerate() {
        let scenario = Scenario::new(&format!("i8-bad-{i}"), source);
        let out = scenario.run(&[]);
        assert_exit(&out, 1);
        let (_, stderr) = text(&out);
        for e in *expected {
            assert!(stderr.contains(e), "{source}: wanted {e:?} in\n{stderr}");
        }
    }
}

#[test]
fn faults_on_a_stopped_container_are_refused_and_nothing_is_made() {
    let _daemon = daemon_shared();
    let scenario = Scenario::new(
        "i8-stopped",
        "network::create(\"i8-stop-net\");\n\
         run(\"busybox\", #{name: \"i8-stop-a\", network: \"i8-stop-net\", cmd: \"sleep 600\"});\n\
         run(\"busybox\", #{name: \"i8-stop-b\", network: \"i8-stop-net\", cmd: \"sleep 600\"});\n\
         kill(\"i8-stop-b\");\n\
         partition([[\"i8-stop-a\"], [\"i8-stop-b\"]]);\n",
    );
    let out = scenario.run(&["--keep"]);
    let _cleanup = support::LabelGuard(scenario.label());
    assert_exit(&out, 1);
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("container i8-stop-b is not running (exited with code 137)"),
        "{stderr}"
    );
    assert!(
        netrig_rules("i8-stop-a").is_empty(),
        "half a partition was made"
    );
}

#[test]
fn the_partition_example_script_passes_and_leaves_nothing() {
    let _daemon = daemon_shared();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/partition-and-heal.rhai");
    let _cleanup = support::LabelGuard(support::script_label(&path));
    let out = netrig().arg("run").arg(&path).output().unwrap();
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    assert_eq!(stdout.matches("cut: ").count(), 4, "{stdout}");
    assert!(stdout.contains("healed 4 links"), "{stdout}");
    assert_nothing_left(&support::script_label(&path));
    assert_host_untouched();
}

#[test]
fn a_cut_holds_for_ipv6_addresses_too() {
    let _daemon = daemon_shared();
    let mut run = Stepping::start(
        "i8-ipv6",
        "i8-v6-a",
        "network::create(\"i8-v6-net\", #{ipv6: true, subnet: \"fd00:8::/64\"});\n\
         run(\"busybox\", #{name: \"i8-v6-a\", network: \"i8-v6-net\", cmd: \"sleep 600\"});\n\
         run(\"busybox\", #{name: \"i8-v6-b\", network: \"i8-v6-net\", cmd: \"sleep 600\"});\n\
         cut(\"i8-v6-a\", \"i8-v6-b\");\n\
         step(\"i8-v6-a\", \"cut\");\n\
         restore(\"i8-v6-a\", \"i8-v6-b\");\n\
         step(\"i8-v6-a\", \"restored\");\n",
    );
    let b6 = |d: &support::Daemon| {
        d.container("i8-v6-b")
            .and_then(|c| c.network_settings)
            .and_then(|s| s.networks)
            .and_then(|n| n.get("i8-v6-net").cloned())
            .and_then(|e| e.global_ipv6_address)
            .unwrap()
    };
    run.reached("cut");
    let addr = b6(daemon());
    assert!(addr.starts_with("fd00:8::"), "{addr}");
    assert!(!daemon().can_ping("i8-v6-a", &addr));
    let v6_rules = in_netns("i8-v6-b", &["ip6tables-save", "-t", "filter"]);
    assert!(
        v6_rules.contains("-A NETRIG-INPUT -s fd00:8::"),
        "{v6_rules}"
    );
    run.go("cut");
    run.reached("restored");
    assert!(daemon().can_ping("i8-v6-a", &addr));
    let v6_rules = in_netns("i8-v6-b", &["ip6tables-save", "-t", "filter"]);
    assert!(!v6_rules.contains("NETRIG"), "{v6_rules}");
    run.go("restored");
    let (code, _, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_host_untouched();
}
