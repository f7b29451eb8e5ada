//! `netrig test --report DIR --format json` on a real suite: the JSON
//! document against its schema, and the HTML page as headless Chromium
//! shows it (`--dump-dom`). The page's rendering in detail, and its speed
//! at 200 scenarios, are tested beside it (src/harness/html_browser_tests.rs).
//!
//! Needs Debian's `chromium` package (or CHROMIUM=/path/to/chrome).

use std::path::Path;
use std::process::Command;

use crate::support;

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into())
}

/// Chromium's view of the page once loaded: the DOM as it stands after
/// the page's own script ran.
fn dump_dom(page: &Path) -> String {
    let out = Command::new(chromium())
        .args(browser_args())
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium (Debian package `chromium`, or set CHROMIUM)");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the DOM is UTF-8")
}

fn browser_args() -> [&'static str; 5] {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        // Nothing may be fetched: the page must be whole by itself.
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ]
}

/// The text of the element with `id` in the DOM dump.
fn element_text(dom: &str, id: &str) -> String {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id}"));
    let end = start + dom[start..].find("</div>").unwrap();
    let inner = &dom[start..end];
    let mut text = String::new();
    let mut in_tag = true;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.trim().to_string()
}

/// Three scenarios, the last failing, with a container that logs.
fn write_suite(dir: &Path) {
    std::fs::write(
        dir.join("a-dns.rhai"),
        "//! name: dns works\nlet n = network::create(\"app\");\nlet web = run(\"busybox\", #{name: \"web\", network: n, cmd: \"sleep 60\"});\nrun(\"busybox\", #{name: \"db\", network: n, cmd: \"sleep 60\"});\nassert_reachable(web, \"db\");\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b-plain.rhai"),
        "//! name: plain\nnetwork::create(\"quiet\");\nprint(\"nothing to see\");\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("c-isolated.rhai"),
        "//! name: db isolated\nlet front = network::create(\"front\");\nlet back = network::create(\"back\");\nrun(\"busybox\", #{name: \"db\", network: back, cmd: \"sh -c 'echo db says hello; sleep 60'\"});\nlet web = run(\"busybox\", #{name: \"web\", network: front, cmd: \"sleep 60\"});\nassert_reachable(web, \"db\");\n",
    )
    .unwrap();
}

#[test]
fn a_real_suite_with_one_failure_reports_it_in_html_and_json() {
    let _daemon = support::daemon_shared();
    support::daemon();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite");
    std::fs::create_dir(&suite).unwrap();
    write_suite(&suite);
    let report = dir.path().join("report");
    let out = support::netrig()
        .arg("test")
        .arg(&suite)
        .arg("--report")
        .arg(&report)
        .args(["--format", "json"])
        .output()
        .unwrap();
    support::assert_exit(&out, 1);
    let (stdout, stderr) = support::text(&out);
    assert!(
        stderr.contains("2 passed, 1 failed"),
        "the text report goes to stderr: {stderr}"
    );

    // The JSON document is the only thing on stdout, and has the documented shape.
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).expect("stdout is one JSON document");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/test-report.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let problems: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(doc["summary"]["passed"], 2);
    assert_eq!(doc["summary"]["failed"], 1);
    let failed = &doc["scenarios"][2];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["kind"], "assertion");
    assert_eq!(failed["error"]["position"]["line"], 6);
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("web cannot reach db")
    );

    // The page, as Chromium shows it.
    let dom = dump_dom(&report.join("index.html"));
    assert_eq!(element_text(&dom, "count-passed"), "2 passed");
    assert_eq!(element_text(&dom, "count-failed"), "1 failed");
    for name in ["dns works", "plain", "db isolated"] {
        assert!(
            dom.contains(&format!("<span class=\"name\">{name}</span>")),
            "{name}"
        );
    }
    let failing = &dom[dom.find("id=\"s2\"").unwrap()..];
    let failing = &failing[..failing.find("</details>").unwrap()];
    assert!(
        failing.contains("assert_reachable(): web cannot reach db"),
        "{failing}"
    );
    assert!(
        failing.contains("assert_reachable(web, \"db\");"),
        "the source line"
    );
    assert!(
        failing.contains("class=\"network\" data-name=\"back\""),
        "the drawing, in script names"
    );
    assert!(failing.contains("db says hello"), "the container's log");
    assert!(report.join("c-isolated.svg").exists() && report.join("a-dns.svg").exists());
}
