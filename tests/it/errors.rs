//! Failures as users see them: the message names the function, option and
//! script position, the exit code is right, and nothing is left behind.

use crate::support::{Scenario, assert_exit, daemon, daemon_shared, netrig, text};

/// Runs a scenario that must fail; returns its stderr.
fn fails(s: &Scenario, code: i32) -> String {
    let out = s.run(&[]);
    assert_exit(&out, code);
    s.assert_nothing_left();
    text(&out).1
}

#[test]
fn failing_assertion_names_file_line_and_source() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "assertion",
        "let net = network::create(\"core-e1-net\");\n\
         let c = run(\"busybox\", #{name: \"core-e1-c\", network: net, cmd: \"sleep 300\"});\n\
         assert(1 + 1 == 3, \"arithmetic still works\");\n",
    );
    let err = fails(&s, 1);
    assert!(err.contains(&format!("{}:3:1", s.path.display())), "{err}");
    assert!(
        err.contains("assert(1 + 1 == 3, \"arithmetic still works\");"),
        "{err}"
    );
    assert!(err.contains("assert(): arithmetic still works"), "{err}");
    assert!(err.contains("removed 1 container, 1 network"), "{err}");
}

#[test]
fn wrong_option_type_names_the_option() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "ports42",
        "let net = network::create(\"core-e2-net\");\nrun(\"busybox\", #{network: net, ports: 42});\n",
    );
    let err = fails(&s, 1);
    assert!(
        err.contains("run(): option \"ports\" must be an array"),
        "{err}"
    );
    assert!(err.contains("got 42"), "{err}");
    assert!(err.contains(":2:1"), "{err}");
}

#[test]
fn misspelt_option_is_named() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "typo",
        "run(\"busybox\", #{name: \"core-e3\", netwrok: \"x\"});\n",
    );
    let err = fails(&s, 1);
    assert!(err.contains("unknown option \"netwrok\""), "{err}");
    assert!(err.contains("did you mean \"network\"?"), "{err}");
}

#[test]
fn unknown_image_is_named() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "noimage",
        "network::create(\"core-e4-net\");\nrun(\"core-no-such-image:1.0\", #{name: \"core-e4\"});\n",
    );
    let err = fails(&s, 1);
    assert!(err.contains("core-no-such-image:1.0"), "{err}");
    assert!(err.contains("not on this machine"), "{err}");
    // The tests run with NETRIG_PULL=never: no registry was asked.
    assert!(err.contains("pulling is off"), "{err}");
    assert!(daemon().container("core-e4").is_none());
}

#[test]
fn pull_never_refuses_a_missing_image_and_accepts_a_present_one() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "pullnever",
        "pull(\"busybox\");\nlet x = 1;\npull(\"core-e4b-absent:never\");\n",
    );
    let out = netrig()
        .env_remove("NETRIG_PULL")
        .args(["--pull", "never", "run"])
        .arg(&s.path)
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let err = text(&out).1;
    assert!(
        err.contains("\"core-e4b-absent:never\" is not on this machine and pulling is off"),
        "{err}"
    );
    assert!(err.contains("pullnever.rhai:3:1"), "{err}");
    // --pull takes only what it knows.
    let out = netrig()
        .args(["--pull", "sometimes", "run"])
        .arg(&s.path)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(
        text(&out).1.contains("possible values: missing, never"),
        "{}",
        text(&out).1
    );
}

#[test]
fn unreachable_daemon_exits_3() {
    let _daemon = daemon_shared();
    let s = Scenario::new("nodaemon", "network::ls();\n");
    for (how, value) in [
        ("env", "unix:///tmp/netrig-no-daemon.sock"),
        ("flag", "tcp://127.0.0.1:9"),
    ] {
        let mut cmd = netrig();
        cmd.arg("run").arg(&s.path);
        if how == "env" {
            cmd.env("DOCKER_HOST", value);
        } else {
            cmd.args(["--host", value]);
        }
        let out = cmd.output().unwrap();
        assert_exit(&out, 3);
        let err = text(&out).1;
        assert!(
            err.contains(&format!("cannot reach the Docker daemon at {value}")),
            "{err}"
        );
        assert!(err.contains("Is it running?"), "{err}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let _daemon = daemon_shared();
    let out = netrig()
        .args(["run", "/nonexistent/core.rhai"])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("cannot read /nonexistent/core.rhai"));
    let out = netrig().args(["run"]).output().unwrap();
    assert_exit(&out, 2);
    let out = netrig().args(["frobnicate"]).output().unwrap();
    assert_exit(&out, 2);
}

#[test]
fn syntax_error_shows_position_without_touching_docker() {
    let _daemon = daemon_shared();
    let s = Scenario::new("syntax", "let a = 1;\nlet b = (a + ;\n");
    // No daemon needed: the script is checked before connecting.
    let out = netrig()
        .env("DOCKER_HOST", "unix:///tmp/netrig-no-daemon.sock")
        .arg("run")
        .arg(&s.path)
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let err = text(&out).1;
    assert!(err.contains("syntax error"), "{err}");
    assert!(err.contains(":2:"), "{err}");
    assert!(err.contains("let b = (a + ;"), "{err}");
}

#[test]
fn scripts_catch_errors_by_kind() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "kinds",
        r#"
        let kind_of = |f| { let k = "none"; try { f.call(); } catch (e) { k = e.kind; } k };
        network::create("core-e8-net");
        assert_eq(kind_of.call(|| network::inspect("core-e8-missing")), "not_found");
        assert_eq(kind_of.call(|| network::create("core-e8-net")), "conflict");
        assert_eq(kind_of.call(|| network::create("core-e8-bad", #{subnet: "10.0.0.0/40"})), "invalid_argument");
        assert_eq(kind_of.call(|| run("busybox", #{ports: ["70000:80"]})), "invalid_argument");
        assert_eq(kind_of.call(|| assert(false)), "assertion");
        assert_eq(kind_of.call(|| wait_until(|| false, 0.3)), "timeout");
        assert_eq(kind_of.call(|| network::rm("bridge")), "invalid_argument");
        try { inspect("core-e8-nobody"); } catch (e) {
            assert(e.message.contains("core-e8-nobody"), e.message);
            assert_eq(e.function, "inspect");
        }
        "#,
    );
    let out = s.run(&[]);
    assert_exit(&out, 0);
    s.assert_nothing_left();
    assert!(daemon().network_names().contains(&"bridge".to_string()));
}

#[test]
fn a_container_whose_start_fails_is_removed_at_once() {
    let _daemon = daemon_shared();
    // With --keep nothing is torn down at the end, so only the immediate
    // removal can explain the container's absence.
    let s = Scenario::new(
        "startfails",
        r#"
        try {
            run("busybox", #{name: "core-e9-doomed", network: "core-e9-no-such-net", cmd: "sleep 300"});
            assert(false, "run should fail");
        } catch (e) {
            assert_eq(e.kind, "not_found", e.message);
        }
        "#,
    );
    let out = s.run(&["--keep"]);
    assert_exit(&out, 0);
    assert!(
        daemon().container("core-e9-doomed").is_none(),
        "the failed container is still there"
    );
    s.assert_nothing_left();
}

#[test]
fn docker_errors_say_what_was_asked_and_what_the_daemon_answered() {
    let _daemon = daemon_shared();
    let s = Scenario::new("daemonsays", "network::rm(\"core-e10-missing\");\n");
    let err = fails(&s, 1);
    assert!(
        err.contains("network::rm(): remove network \"core-e10-missing\""),
        "{err}"
    );
    assert!(err.contains("not found"), "{err}");
    assert!(
        err.contains(":1:1"),
        "module functions name their position too: {err}"
    );
}

#[test]
fn wrong_handle_kind_is_named() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "handlekind",
        "let net = network::create(\"core-e11-net\");\n\
         let c = run(\"busybox\", #{name: \"core-e11-c\", network: net, cmd: \"sleep 300\"});\n\
         network::connect(c, net);\n",
    );
    let err = fails(&s, 1);
    assert!(err.contains("network::connect(): the network must be a network handle or a network name, got container core-e11-c"), "{err}");
    assert!(err.contains(":3:1"), "{err}");
}
