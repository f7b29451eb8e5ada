//! Script parameters from the command line: `--set KEY=VALUE` typed by its
//! text, `params.require` failing before anything is created (checked with
//! `--keep`, so anything made would still be there), and `env()`.

use crate::support::{Scenario, assert_exit, daemon, daemon_shared, netrig, text};

#[test]
fn set_values_reach_the_script_typed() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "params-typed",
        r#"
params.require(#{count: "int", ratio: "float", on: "bool", name: "string", hosts: "array"},
               #{tag: "x"});
assert_eq(type_of(params.count), "i64");
assert_eq(params.count, 3);
assert_eq(params.ratio, 0.5);
assert_eq(params.on, true);
assert_eq(params.name, "web");
assert_eq(params.hosts, ["a", "b"]);
assert_eq(params.tag, "007", "a declared string keeps its text");
let net = network::create(`params_${params.name}_net`);
print(`made ${net.name}`);
"#,
    );
    let out = s.run(&[
        "--set",
        "count=3",
        "--set",
        "ratio=0.5",
        "--set",
        "on=true",
        "--set",
        "name=web",
        "--set",
        r#"hosts=["a","b"]"#,
        "--set",
        "tag=007",
    ]);
    assert_exit(&out, 0);
    assert!(
        text(&out).0.contains("made params_web_net"),
        "{}",
        text(&out).0
    );
    s.assert_nothing_left();
}

/// Runs `s` with `--keep` and `extra`; asserts exit code 2, nothing created,
/// and returns stderr.
fn fails_before_creating(s: &Scenario, extra: &[&str]) -> String {
    let mut args = vec!["--keep"];
    args.extend_from_slice(extra);
    let out = s.run(&args);
    assert_exit(&out, 2);
    // --keep would have kept anything the script made.
    s.assert_nothing_left();
    text(&out).1
}

const DECLARES: &str = "// takes two parameters\n\
params.require(#{host_b: #{type: \"string\", doc: \"Docker URL\"}, count: \"int\"});\n\
network::create(\"params_after_require\");\n\
run(\"busybox\", #{name: \"params_after\", network: \"params_after_require\", cmd: \"sleep 60\"});\n";

#[test]
fn a_missing_parameter_fails_at_the_require_line_before_anything_exists() {
    let _daemon = daemon_shared();
    let s = Scenario::new("params-missing", DECLARES);
    let stderr = fails_before_creating(&s, &["--set", "count=2"]);
    assert!(
        stderr.contains(
            "params.require(): missing parameter host_b (string: Docker URL); pass --set host_b=VALUE"
        ),
        "{stderr}"
    );
    let at = format!("({}:2:8)", s.path.display());
    assert!(stderr.contains(&at), "the script position {at}: {stderr}");
    assert!(
        stderr.contains("2 │ params.require("),
        "the source line: {stderr}"
    );
}

#[test]
fn a_wrong_type_or_a_misspelt_name_fails_the_same_way() {
    let _daemon = daemon_shared();
    let s = Scenario::new("params-wrong", DECLARES);
    let stderr =
        fails_before_creating(&s, &["--set", "host_b=tcp://b:2375", "--set", "count=many"]);
    assert!(
        stderr.contains("--set count: \"many\" is not an int"),
        "{stderr}"
    );
    let at = format!("({}:2:8)", s.path.display());
    assert!(stderr.contains(&at), "the script position {at}: {stderr}");
    let stderr = fails_before_creating(
        &s,
        &["--set", "host_b=x", "--set", "count=1", "--set", "cuont=2"],
    );
    assert!(
        stderr.contains("--set cuont: no such parameter (did you mean count?)"),
        "{stderr}"
    );
    // A malformed --set is clap's usage error, before netrig starts anything.
    let out = s.run(&["--set", "count"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).1.contains("expected KEY=VALUE"),
        "{}",
        text(&out).1
    );
}

#[test]
fn env_reads_the_environment_with_and_without_a_default() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "params-env",
        r#"
assert_eq(env("NETRIG_IT_WORD"), "hello");
assert_eq(env("NETRIG_IT_COUNT", 1), 4, "the default's type reads the value");
assert_eq(env("NETRIG_IT_UNSET", "fallback"), "fallback");
assert_eq(env("NETRIG_IT_UNSET", 7), 7);
print("env ok");
let h = env("NETRIG_IT_UNSET");
"#,
    );
    let out = netrig()
        .env("NETRIG_IT_WORD", "hello")
        .env("NETRIG_IT_COUNT", "4")
        .env_remove("NETRIG_IT_UNSET")
        .arg("run")
        .arg(&s.path)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("env ok"), "{stdout}");
    assert!(
        stderr.contains(
            "env(): the environment variable NETRIG_IT_UNSET is not set; set it, or give a default"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("({}:7:9)", s.path.display())),
        "{stderr}"
    );
}

#[test]
fn a_suite_shares_its_settings_and_each_scenario_takes_what_it_declares() {
    let _daemon = daemon_shared();
    daemon();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.rhai"),
        "params.require(#{subnet: \"string\"});\nassert_eq(params.subnet, \"10.9.8.0/24\");\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.rhai"),
        "params.require(#{}, #{count: 1});\nassert_eq(params.count, 5);\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c.rhai"),
        "params.require(#{missing: \"int\"});\n",
    )
    .unwrap();
    let out = netrig()
        .arg("test")
        .arg(dir.path())
        .args(["--set", "subnet=10.9.8.0/24", "--set", "count=5"])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let stdout = text(&out).0;
    assert!(stdout.contains("2 passed, 0 failed, 1 error"), "{stdout}");
    assert!(
        stdout.contains("missing parameter missing (int); pass --set missing=VALUE"),
        "{stdout}"
    );
}
