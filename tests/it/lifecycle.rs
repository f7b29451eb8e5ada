//! The run lifecycle: labels on everything, teardown on Ctrl-C and SIGTERM,
//! --keep and `netrig clean`, and nothing unlabelled ever touched.

use std::process::{Child, Command, Stdio};

use crate::support::{Scenario, assert_exit, daemon, daemon_shared, netrig, netrig_command, text};

/// A scenario that builds a network and a container, then waits.
fn long_running(tag: &str) -> Scenario {
    Scenario::new(
        tag,
        &format!(
            "let net = network::create(\"core-{tag}-net\", #{{labels: #{{owner: \"tests\"}}}});\n\
             run(\"busybox\", #{{name: \"core-{tag}-c\", network: net, cmd: \"sleep 300\"}});\n\
             print(\"ready\");\n\
             sleep(120);\n"
        ),
    )
}

fn spawn(s: &Scenario, extra: &[&str]) -> Child {
    netrig_command()
        // One test kills netrig outright to check `netrig clean`; the reaper
        // would otherwise remove the leftovers first (tests/it/reliability.rs).
        .env("NETRIG_REAPER", "off")
        .arg("run")
        .arg(&s.path)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_until_running(s: &Scenario, tag: &str) {
    let d = daemon();
    let ready = d.wait_for(60, || {
        d.container(&format!("core-{tag}-c"))
            .and_then(|c| c.state)
            .and_then(|st| st.running)
            .unwrap_or(false)
    });
    assert!(ready, "the scenario never got its container running");
    assert_eq!(d.networks_with(&s.label()), vec![format!("core-{tag}-net")]);
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn interrupted_run_cleans_up(tag: &str, sig: &str, code: i32, said: &str) {
    let s = long_running(tag);
    let child = spawn(&s, &[]);
    wait_until_running(&s, tag);
    signal(&child, sig);
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, code);
    let err = text(&out).1;
    assert!(err.contains(&format!("interrupted by {said}")), "{err}");
    assert!(err.contains("removed 1 container, 1 network"), "{err}");
    s.assert_nothing_left();
}

#[test]
fn ctrl_c_removes_everything_and_exits_130() {
    let _daemon = daemon_shared();
    interrupted_run_cleans_up("l1", "-INT", 130, "Ctrl-C");
}

#[test]
fn sigterm_removes_everything_and_exits_143() {
    let _daemon = daemon_shared();
    interrupted_run_cleans_up("l2", "-TERM", 143, "SIGTERM");
}

#[test]
fn resources_carry_the_run_labels() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "labels",
        "let n = network::create(\"core-l3-net\", #{labels: #{team: \"qa\"}});\n\
         run(\"busybox\", #{name: \"core-l3-c\", network: n, labels: #{team: \"qa\"}, cmd: \"sleep 300\"});\n\
         rm(run(\"busybox\", #{name: \"core-l3-gone\", cmd: \"sleep 300\"}));\n\
         network::rm(network::create(\"core-l3-gone-net\"));\n",
    );
    let out = s.run(&["--keep"]);
    assert_exit(&out, 0);
    let d = daemon();
    let net = d.network_labels("core-l3-net").unwrap();
    let ctr = d
        .container("core-l3-c")
        .unwrap()
        .config
        .unwrap()
        .labels
        .unwrap();
    for labels in [&net, &ctr] {
        assert_eq!(labels["netrig.managed"], "true");
        assert_eq!(labels["netrig.script"], s.path.display().to_string());
        assert_eq!(labels["team"], "qa");
        assert_eq!(labels["netrig.run"].len(), 8);
    }
    assert_eq!(net["netrig.run"], ctr["netrig.run"]);
    // --keep says how to remove them, and that works.
    let err = text(&out).1;
    let hint = format!("netrig clean --run {}", net["netrig.run"]);
    assert!(err.contains(&hint), "{err}");
    // … and names only what is still there, not what the script removed itself.
    let kept = format!(
        "kept 2 resources of run {} (core-l3-net, core-l3-c)",
        net["netrig.run"]
    );
    assert!(err.contains(&kept), "{err}");
    let out = netrig()
        .args(["clean", "--run", &net["netrig.run"]])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(text(&out).1.contains("removed 1 container, 1 network"));
    s.assert_nothing_left();
}

#[test]
fn clean_removes_a_killed_runs_leftovers_and_spares_live_runs() {
    let _daemon = daemon_shared();
    let dead = long_running("l4");
    let mut child = spawn(&dead, &[]);
    wait_until_running(&dead, "l4");
    signal(&child, "-KILL");
    let _ = child.wait();
    // SIGKILL gives netrig no chance: everything is still there.
    let run_id = daemon().run_ids_with(&dead.label());
    assert_eq!(run_id.len(), 1);
    let run_id = &run_id[0];

    let live = long_running("l5");
    let live_child = spawn(&live, &[]);
    wait_until_running(&live, "l5");
    let live_id = daemon().run_ids_with(&live.label())[0].clone();

    // A dry run lists the dead run and leaves the live one alone.
    let out = netrig().args(["clean", "--dry-run"]).output().unwrap();
    assert_exit(&out, 0);
    let (listed, notes) = text(&out);
    assert!(
        listed.contains(run_id.as_str()) && listed.contains("core-l4-c"),
        "{listed}"
    );
    assert!(
        !listed.contains(&live_id),
        "a live run is listed for removal: {listed}"
    );
    assert!(notes.contains(&format!("left run {live_id}")), "{notes}");
    assert!(notes.contains("dry run"), "{notes}");
    assert_eq!(
        daemon().containers_with(&dead.label()),
        vec!["core-l4-c"],
        "dry run removed something"
    );

    let out = netrig().args(["clean", "--run", run_id]).output().unwrap();
    assert_exit(&out, 0);
    dead.assert_nothing_left();
    assert_eq!(
        daemon().containers_with(&live.label()),
        vec!["core-l5-c"],
        "clean touched the live run"
    );

    signal(&live_child, "-TERM");
    let out = live_child.wait_with_output().unwrap();
    assert_exit(&out, 143);
    live.assert_nothing_left();
}

#[test]
fn clean_never_touches_unmanaged_resources() {
    let _daemon = daemon_shared();
    let d = daemon();
    let name = "core-l6-unmanaged";
    // Carries a netrig.run label but not netrig.managed: not netrig's.
    let labels =
        std::collections::HashMap::from([("netrig.run".to_string(), "core-l6-run".to_string())]);
    d.block(
        d.docker()
            .create_network(bollard::models::NetworkCreateRequest {
                name: name.into(),
                labels: Some(labels),
                ..Default::default()
            }),
    )
    .unwrap();
    let out = netrig()
        .args(["clean", "--run", "core-l6-run"])
        .output()
        .unwrap();
    let still_there = d.network_labels(name).is_some();
    let _ = d.block(d.docker().remove_network(name));
    assert_exit(&out, 0);
    assert!(
        still_there,
        "netrig clean removed a network without netrig.managed"
    );
    assert!(text(&out).1.contains("nothing of run core-l6-run is left"));
}

#[test]
fn teardown_runs_after_a_script_error() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "errteardown",
        "let n = network::create(\"core-l7-net\");\n\
         run(\"busybox\", #{name: \"core-l7-a\", network: n, cmd: \"sleep 300\"});\n\
         run(\"busybox\", #{name: \"core-l7-b\", network: n, cmd: \"sleep 300\"});\n\
         let x = [1, 2][5];\n",
    );
    let out = s.run(&[]);
    assert_exit(&out, 1);
    let err = text(&out).1;
    assert!(err.contains("out of bounds"), "{err}");
    assert!(err.contains("removed 2 containers, 1 network"), "{err}");
    s.assert_nothing_left();
}
