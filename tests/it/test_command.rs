//! `netrig test` end to end: the project's own scenarios, the acceptance
//! suite (two scenarios with the same names plus a failing one, at once),
//! isolation seen from outside, --keep-failed, headers, filters, timeouts,
//! Ctrl-C, and the exit codes CI relies on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::CreateContainerOptions;

use crate::support;
use crate::support::{
    LabelGuard, assert_exit, assert_nothing_left, clean_runs_with, daemon, daemon_shared, netrig,
    netrig_command, script_label, text,
};

/// Scenario files in a temporary directory, for one test. Dropping it
/// removes whatever its scenarios left, after the test has checked that
/// nothing was.
struct Suite {
    dir: tempfile::TempDir,
    _guards: Vec<LabelGuard>,
}

impl Suite {
    fn new(files: &[(&str, &str)]) -> Suite {
        daemon();
        let dir = tempfile::tempdir().unwrap();
        let mut guards = Vec::new();
        for (name, source) in files {
            let path = dir.path().join(name);
            std::fs::write(&path, source).unwrap();
            guards.push(LabelGuard(script_label(&path)));
        }
        Suite {
            dir,
            _guards: guards,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `netrig test <dir> <extra…>`.
    fn test(&self, extra: &[&str]) -> Output {
        netrig()
            .arg("test")
            .arg(self.dir.path())
            .args(extra)
            .output()
            .unwrap()
    }

    /// The same, started in the background.
    fn spawn(&self, extra: &[&str]) -> Child {
        netrig_command()
            .arg("test")
            .arg(self.dir.path())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn assert_nothing_left(&self) {
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            assert_nothing_left(&script_label(&entry.unwrap().path()));
        }
    }
}

/// The JUnit report's test cases: name → (status element or "passed", message).
fn junit_cases(path: &Path) -> HashMap<String, (String, String)> {
    let xml = std::fs::read_to_string(path).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml)
        .unwrap_or_else(|e| panic!("not JUnit XML ({e}):\n{xml}"));
    let mut cases = HashMap::new();
    for suite in &report.test_suites {
        for case in &suite.test_cases {
            let (status, message) = match &case.status {
                quick_junit::TestCaseStatus::Success { .. } => ("passed", None),
                quick_junit::TestCaseStatus::NonSuccess { kind, message, .. } => (
                    match kind {
                        quick_junit::NonSuccessKind::Failure => "failure",
                        quick_junit::NonSuccessKind::Error => "error",
                    },
                    message.as_ref(),
                ),
                quick_junit::TestCaseStatus::Skipped { .. } => ("skipped", None),
            };
            assert!(case.time.is_some(), "every case has a time: {xml}");
            cases.insert(
                case.name.to_string(),
                (
                    status.to_string(),
                    message.map(|m| m.to_string()).unwrap_or_default(),
                ),
            );
        }
    }
    assert_eq!(
        xml.matches("<testcase").count(),
        cases.len(),
        "one <testcase> per case: {xml}"
    );
    cases
}

/// Polls `check` every 100 ms for up to `secs`.
fn eventually<T>(secs: u64, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_projects_own_scenarios_pass() {
    let _daemon = daemon_shared();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    let _guards: Vec<LabelGuard> = files.iter().map(|f| LabelGuard(script_label(f))).collect();
    let junit = tempfile::NamedTempFile::new().unwrap();
    let out = netrig()
        .arg("test")
        .arg(&dir)
        .args(["--jobs", "2", "--junit"])
        .arg(junit.path())
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    assert!(
        stdout
            .lines()
            .any(|l| l == format!("{} passed, 0 failed", files.len())),
        "{stdout}"
    );
    let cases = junit_cases(junit.path());
    assert_eq!(cases.len(), files.len());
    assert!(cases.values().all(|(s, _)| s == "passed"), "{cases:?}");
    for f in &files {
        assert_nothing_left(&script_label(f));
    }
}

/// A scenario that uses the names every copy of it uses, checks them from
/// inside, then waits for the test's go-ahead so the test can look at both
/// copies from outside while they live.
fn shared_names_scenario(release: &str) -> String {
    format!(
        r#"//! tags: shared
let net = network::create("i4-shared-net");
let a = run("busybox", #{{name: "i4-shared-a", network: net, cmd: "sleep 3600"}});
let b = run("busybox", #{{name: "i4-shared-b", network: "i4-shared-net", cmd: "sleep 3600"}});
assert_reachable(a, "i4-shared-b");
assert_eq(ps(#{{network: "i4-shared-net"}}).len(), 2, "only this scenario's containers");
wait_until(|| ps(#{{all: true, label: "i4-release={release}"}}).len() > 0, 90);
assert_reachable(b, a);
"#
    )
}

const FAILING: &str = r#"//! name: failing check
let net = network::create("i4-fail-net");
let c = run("busybox", #{name: "i4-fail-c", network: net, cmd: "sleep 3600"});
print("about to check the hostname");
assert_eq(exec(c, "echo hi").stdout, "bye\n", "echo answers");
"#;

#[test]
fn acceptance_same_names_at_once_and_one_failure() {
    let _daemon = daemon_shared();
    let release = format!("go-{}", std::process::id());
    let scenario = shared_names_scenario(&release);
    let suite = Suite::new(&[
        ("shared-one.rhai", &scenario),
        ("shared-two.rhai", &scenario),
        ("failing.rhai", FAILING),
    ]);
    let junit = suite.path("report.xml");
    let child = suite.spawn(&["--jobs", "3", "--junit", junit.to_str().unwrap()]);

    // From outside, while both live: two networks called i4-shared-net in
    // the scripts, each under its own run's prefix with its own containers.
    let d = daemon();
    let dir_label = suite.dir.path().display().to_string();
    let shared = eventually(60, || {
        let nets: Vec<String> = d
            .networks_with("netrig.managed=true")
            .into_iter()
            .filter(|n| n.ends_with("-i4-shared-net"))
            .filter(|n| {
                d.network_labels(n)
                    .is_some_and(|l| l["netrig.script"].starts_with(&dir_label))
            })
            .collect();
        let complete = nets.len() == 2 && nets.iter().all(|n| d.network_members(n).len() == 2);
        complete.then_some(nets)
    });
    let release_guard = LabelGuard(format!("i4-release={release}"));
    if let Some(nets) = &shared {
        for net in nets {
            let run_id = d.network_labels(net).unwrap()["netrig.run"].clone();
            assert_eq!(net, &format!("{run_id}-i4-shared-net"));
            let (a, b) = (
                format!("{run_id}-i4-shared-a"),
                format!("{run_id}-i4-shared-b"),
            );
            assert_eq!(d.network_members(net), vec![a.clone(), b.clone()]);
            // The script's name resolves, inside this network, to this run's b.
            let b_ip = d
                .container(&b)
                .unwrap()
                .network_settings
                .unwrap()
                .networks
                .unwrap()[net]
                .ip_address
                .clone()
                .unwrap();
            let (code, said) = d.exec(&a, &["ping", "-c", "1", "-W", "1", "i4-shared-b"]);
            assert_eq!(code, 0, "{said}");
            assert!(said.contains(&format!("({b_ip})")), "{said}");
        }
    }
    // The go-ahead: a container the scenarios look for by label.
    d.block(d.docker().create_container(
        Some(CreateContainerOptions {
            name: Some(format!("i4-release-{}", std::process::id())),
            ..Default::default()
        }),
        ContainerCreateBody {
            image: Some(support::IMAGE.into()),
            labels: Some(HashMap::from([("i4-release".into(), release.clone())])),
            ..Default::default()
        },
    ))
    .unwrap();
    let out = child.wait_with_output().unwrap();
    drop(release_guard);
    let (stdout, stderr) = text(&out);
    assert!(
        shared.is_some(),
        "never saw both copies live\n{stdout}\n{stderr}"
    );

    assert_exit(&out, 1);
    assert!(
        stdout.lines().any(|l| l == "2 passed, 1 failed"),
        "{stdout}"
    );
    let failing = suite.path("failing.rhai").display().to_string();
    assert!(
        stdout.contains(&format!(
            "assert_eq(): echo answers (left: \"hi\\n\", right: \"bye\\n\") ({failing}:5:1)"
        )),
        "message and line: {stdout}"
    );
    assert!(
        stdout.contains("5 │ assert_eq(exec(c, \"echo hi\").stdout"),
        "the source line: {stdout}"
    );
    assert!(stdout.contains("about to check the hostname"), "{stdout}");

    let cases = junit_cases(&junit);
    assert_eq!(cases.len(), 3, "{cases:?}");
    assert_eq!(cases["shared-one"].0, "passed");
    assert_eq!(cases["shared-two"].0, "passed");
    let (status, message) = &cases["failing check"];
    assert_eq!(status, "failure");
    assert!(
        message.contains("echo answers") && message.contains(&format!("{failing}:5:1")),
        "{message}"
    );
    suite.assert_nothing_left();
    let d = daemon();
    let leaked: Vec<String> = d
        .containers_with("netrig.managed=true")
        .into_iter()
        .chain(d.networks_with("netrig.managed=true"))
        .filter(|n| n.contains("i4-shared") || n.contains("i4-fail"))
        .collect();
    assert!(leaked.is_empty(), "{leaked:?}");
}

#[test]
fn keep_failed_leaves_only_the_failed_scenario_and_says_how_to_look() {
    let _daemon = daemon_shared();
    let suite = Suite::new(&[
        (
            "kept.rhai",
            r#"let net = network::create("i4-keep-net");
let a = run("busybox", #{name: "i4-keep-a", network: net, cmd: "sleep 3600"});
let b = run("busybox", #{name: "i4-keep-b", cmd: "sleep 3600"});
net.connect(b);
assert_reachable(a, "i4-keep-b");
assert(false, "keep me");
"#,
        ),
        (
            "passes.rhai",
            r#"network::create("i4-keep-net");
run("busybox", #{name: "i4-keep-a", network: "i4-keep-net", cmd: "sleep 3600"});
"#,
        ),
    ]);
    let out = suite.test(&["--keep-failed"]);
    assert_exit(&out, 1);
    let (stdout, _) = text(&out);
    let d = daemon();
    let kept = script_label(&suite.path("kept.rhai"));
    let run_ids = d.run_ids_with(&kept);
    assert_eq!(run_ids.len(), 1, "{stdout}");
    let id = &run_ids[0];
    assert!(
        stdout.contains(&format!("netrig clean --run {id}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("docker exec -it {id}-i4-keep-")),
        "{stdout}"
    );
    assert_eq!(
        d.containers_with(&kept),
        vec![format!("{id}-i4-keep-a"), format!("{id}-i4-keep-b")]
    );
    // b was connected after it started, and still answers to its script name there.
    assert!(d.can_ping(&format!("{id}-i4-keep-a"), "i4-keep-b"));
    // The passing scenario was removed as usual.
    assert_nothing_left(&script_label(&suite.path("passes.rhai")));
    clean_runs_with(&kept);
    suite.assert_nothing_left();
}

#[test]
fn headers_filters_timeouts_syntax_errors_and_exit_codes() {
    let _daemon = daemon_shared();
    let suite = Suite::new(&[
        (
            "slow.rhai",
            "//! tags: slow\n//! timeout: 1\nprint(\"waiting\");\nsleep(60);\n",
        ),
        ("typo.rhai", "let a = 1;\n\nlet b = ;\n"),
        ("good.rhai", "//! name: fine\nassert(true);\n"),
        ("exits.rhai", "exit(3);\nassert(false);\n"),
    ]);
    let started = Instant::now();
    let out = suite.test(&["-j", "4", "--timeout", "30"]);
    assert_exit(&out, 1);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the header's 1 s timeout wins over --timeout 30"
    );
    let (stdout, _) = text(&out);
    assert!(
        stdout.lines().any(|l| l == "1 passed, 1 failed, 2 errors"),
        "{stdout}"
    );
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("no line for {name}: {stdout}"))
            .to_string()
    };
    assert!(line("slow").starts_with("ERROR"), "{stdout}");
    assert!(line("typo").starts_with("ERROR"), "{stdout}");
    assert!(line("fine").starts_with("ok"), "{stdout}");
    assert!(line("exits").starts_with("FAILED"), "{stdout}");
    assert!(
        stdout.contains("did not finish within its timeout of 1 s"),
        "{stdout}"
    );
    assert!(
        stdout.contains("syntax error")
            && stdout.contains(&format!("{}:3:", suite.path("typo.rhai").display())),
        "{stdout}"
    );
    assert!(stdout.contains("the scenario called exit(3)"), "{stdout}");

    let out = suite.test(&["--filter", "fine"]);
    assert_exit(&out, 0);
    assert!(
        text(&out)
            .0
            .lines()
            .any(|l| l == "1 passed, 0 failed, 3 filtered out"),
        "{}",
        text(&out).0
    );
    let out = suite.test(&["--filter", "slow"]);
    assert_exit(&out, 1);
    assert!(text(&out).0.contains("running 1 scenario"));
}

#[test]
fn usage_errors_exit_2_and_no_daemon_exits_3() {
    let _daemon = daemon_shared();
    let suite = Suite::new(&[("ok.rhai", "assert(true);\n")]);
    let cases: [&[&str]; 3] = [
        &["--jobs", "0"],
        &["--junit", "/nonexistent-i4/dir/report.xml"],
        &["--timeout", "soon"],
    ];
    for args in cases {
        let out = suite.test(args);
        assert_exit(&out, 2);
    }
    let out = netrig()
        .args(["test", "/nonexistent-i4/scenarios"])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("no such file or directory"));
    let empty = tempfile::tempdir().unwrap();
    let out = netrig().arg("test").arg(empty.path()).output().unwrap();
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("no .rhai scenarios"));

    let out = suite.test(&["--host", "unix:///nonexistent-i4/docker.sock"]);
    assert_exit(&out, 3);
    assert!(text(&out).1.contains("cannot reach the Docker daemon"));
}

#[test]
fn ctrl_c_stops_the_scenarios_and_removes_what_they_made() {
    let _daemon = daemon_shared();
    let suite = Suite::new(&[
        (
            "long-one.rhai",
            "run(\"busybox\", #{name: \"i4-int-a\", cmd: \"sleep 3600\"});\nsleep(120);\n",
        ),
        (
            "long-two.rhai",
            "run(\"busybox\", #{name: \"i4-int-a\", cmd: \"sleep 3600\"});\nsleep(120);\n",
        ),
    ]);
    let child = suite.spawn(&["-j", "2"]);
    let d = daemon();
    let labels = [
        script_label(&suite.path("long-one.rhai")),
        script_label(&suite.path("long-two.rhai")),
    ];
    let started = eventually(60, || {
        labels
            .iter()
            .all(|l| !d.containers_with(l).is_empty())
            .then_some(())
    });
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert!(started.is_some(), "{:?}", text(&out));
    assert_exit(&out, 130);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("interrupted by Ctrl-C"), "{stdout}");
    suite.assert_nothing_left();
}

#[test]
fn the_finished_hook_sees_each_scenario_live_before_teardown() {
    let _daemon = daemon_shared();
    let suite = Suite::new(&[
        (
            "hooked.rhai",
            "run(\"busybox\", #{name: \"i4-hook-a\", cmd: \"sleep 3600\"});\n",
        ),
        ("hooked-fails.rhai", "assert(false, \"no\");\n"),
    ]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let exit = netrig::tools::run_tests_with(
        &runtime,
        &netrig::tools::TestArgs {
            paths: vec![suite.dir.path().to_path_buf()],
            jobs: Some(2),
            ..Default::default()
        },
        &|f| {
            let live = daemon().containers_with(&format!("netrig.run={}", f.run_id));
            let shown = f
                .rig
                .session
                .script_name(live.first().map_or("", String::as_str));
            seen.lock()
                .unwrap()
                .push((f.scenario.name(), f.status, live.len(), shown.to_string()));
        },
    );
    assert!(
        matches!(exit, Err(netrig::tools::Error::Reported)),
        "{exit:?}"
    );
    let mut seen = seen.into_inner().unwrap();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    use netrig::tools::Status;
    assert_eq!(
        seen,
        vec![
            (
                "hooked".to_string(),
                Status::Passed,
                1,
                "i4-hook-a".to_string()
            ),
            ("hooked-fails".to_string(), Status::Failed, 0, String::new()),
        ]
    );
    suite.assert_nothing_left();
}

#[test]
fn exit_codes_of_scripts_survive_netrig_run() {
    let _daemon = daemon_shared();
    // Rhai ends a run that calls exit() as a success; netrig keeps the code.
    let suite = Suite::new(&[
        (
            "exit4.rhai",
            "print(\"before\");\nexit(4);\nprint(\"after\");\n",
        ),
        ("exit0.rhai", "exit();\nassert(false);\n"),
    ]);
    let out = netrig()
        .arg("run")
        .arg(suite.path("exit4.rhai"))
        .output()
        .unwrap();
    assert_exit(&out, 4);
    assert_eq!(text(&out).0, "before\n");
    let out = netrig()
        .arg("run")
        .arg(suite.path("exit0.rhai"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
}

#[test]
fn report_draws_each_scenario_as_it_ended_in_its_own_names() {
    let _daemon = daemon_shared();
    let suite = Suite::new(&[
        (
            "drawn.rhai",
            r#"let net = network::create("lead-rep-net");
run("busybox", #{name: "lead-rep-a", network: net, cmd: "sleep 3600"});
"#,
        ),
        (
            "broken.rhai",
            r#"let net = network::create("lead-rep-net");
run("busybox", #{name: "lead-rep-b", network: net, cmd: "sleep 3600"});
assert(false, "drawn at the failure");
"#,
        ),
    ]);
    let report = tempfile::tempdir().unwrap();
    let out = suite.test(&["--report", report.path().to_str().unwrap(), "-j", "2"]);
    assert_exit(&out, 1);
    for (file, container) in [("drawn.svg", "lead-rep-a"), ("broken.svg", "lead-rep-b")] {
        let svg = std::fs::read_to_string(report.path().join(file))
            .unwrap_or_else(|e| panic!("no {file}: {e}"));
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let names: Vec<&str> = doc
            .descendants()
            .filter_map(|n| n.attribute("data-name"))
            .collect();
        // The script's names, not the run-prefixed Docker names.
        assert!(
            names.contains(&container) && names.contains(&"lead-rep-net"),
            "{file}: {names:?}"
        );
    }
    suite.assert_nothing_left();
}
