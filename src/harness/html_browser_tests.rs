//! The page in a real browser: headless Chromium loads pages rendered from
//! made-up results and the tests read what it shows (`--dump-dom`) and how
//! long 200 scenarios take. `tests/it/report.rs` does the same for the
//! page of a real `netrig test --report` run.
//!
//! Needs Debian's `chromium` package (or CHROMIUM=/path/to/chrome).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::docker::topology::{Attachment, ContainerNode, NetworkNode, Topology};
use crate::graph::{Format, render};
use crate::harness::outcome::{Failure, Status};
use crate::harness::summary::{ContainerLog, ScenarioReport, SuiteReport};

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

fn topology(tag: &str) -> Topology {
    let net = |name: &str, subnet: &str| NetworkNode {
        name: name.into(),
        id: format!("id-{name}"),
        driver: "bridge".into(),
        subnets: vec![subnet.into()],
        internal: false,
        external: false,
    };
    let ctr = |name: &str| ContainerNode {
        name: name.into(),
        id: format!("id-{name}"),
        image: "busybox".into(),
        state: "running".into(),
        ports: Vec::new(),
    };
    let att = |network: &str, container: &str, ip: &str| Attachment {
        network: network.into(),
        container: container.into(),
        ip: ip.into(),
    };
    Topology {
        networks: vec![
            net(&format!("front-{tag}"), "10.9.1.0/24"),
            net("back", "10.9.2.0/24"),
        ],
        containers: vec![ctr("web"), ctr("api"), ctr("db")],
        attachments: vec![
            att(&format!("front-{tag}"), "web", "10.9.1.2"),
            att(&format!("front-{tag}"), "api", "10.9.1.3"),
            att("back", "api", "10.9.2.2"),
            att("back", "db", "10.9.2.3"),
        ],
    }
}

fn scenario(name: &str, status: Status, svg: &str) -> ScenarioReport {
    let file = format!("tests/scenarios/{name}.rhai");
    let failed = matches!(status, Status::Failed | Status::Error);
    ScenarioReport {
        name: name.into(),
        file: file.clone(),
        tags: vec!["net".into()],
        status,
        duration: Duration::from_millis(1_200 + name.len() as u64 * 37),
        run_id: format!("r{:x}", name.len() * 7919),
        failure: failed.then(|| Failure {
            kind: "assertion".into(),
            message: format!("assert_reachable(): web cannot reach db in {name}"),
            location: Some(format!("{file}:7:1")),
            rendered: format!(
                "  × assert_reachable(): web cannot reach db ({file}:7:1)\n   ╭─[{file}:7:1]\n 6 │ let db = run(\"busybox\", #{{network: \"back\"}});\n 7 │ assert_reachable(web, db);\n   · ────────┬───────\n   ·         ╰── here\n   ╰────\n"
            ),
        }),
        output: "web is up\napi is up\n".into(),
        notes: vec!["removed 3 containers, 2 networks".into()],
        topology_svg: Some(svg.to_string()),
        logs: if failed {
            vec![ContainerLog {
                container: "db".into(),
                lines: (1..=20).map(|i| format!("db log line {i}")).collect(),
            }]
        } else {
            Vec::new()
        },
        captures: if failed {
            vec![format!("captures/{name}/web-eth0.pcapng")]
        } else {
            Vec::new()
        },
    }
}

/// Appended to the page under test: once everything before it is parsed,
/// force style and layout, then note the milliseconds since navigation began.
const STOPWATCH: &str = "<script>document.body.offsetHeight;\
var p=document.createElement('p');p.id='loaded-ms';\
p.textContent=performance.now().toFixed(0);document.body.appendChild(p);</script>";

fn write_page(dir: &Path, report: &SuiteReport) -> PathBuf {
    let page = dir.join("index.html");
    let text = super::render(report).replace("</body>", &format!("{STOPWATCH}</body>"));
    std::fs::write(&page, text).unwrap();
    if let Ok(keep) = std::env::var("NETRIG_KEEP_REPORT") {
        let kept = Path::new(&keep).join(format!("{}.html", report.scenarios.len()));
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&page, kept).unwrap();
    }
    page
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

#[test]
fn a_suite_with_one_failure_shows_two_passed_one_failed_its_message_and_drawing() {
    let dir = tempfile::tempdir().unwrap();
    let report = SuiteReport {
        title: "netrig test".into(),
        started: None,
        duration: Duration::from_secs(4),
        filtered_out: 0,
        scenarios: vec![
            scenario(
                "dns-works",
                Status::Passed,
                &render(&topology("a"), Format::Svg),
            ),
            scenario(
                "db-isolated",
                Status::Failed,
                &render(&topology("b"), Format::Svg),
            ),
            scenario(
                "ports-open",
                Status::Passed,
                &render(&topology("c"), Format::Svg),
            ),
        ],
    };
    let dom = dump_dom(&write_page(dir.path(), &report));

    assert_eq!(element_text(&dom, "count-passed"), "2 passed");
    assert_eq!(element_text(&dom, "count-failed"), "1 failed");
    for name in ["dns-works", "db-isolated", "ports-open"] {
        assert!(
            dom.contains(&format!("<span class=\"name\">{name}</span>")),
            "{name}"
        );
    }
    let failing = &dom[dom.find("id=\"s1\"").unwrap()..];
    let failing = &failing[..failing.find("</details>").unwrap()];
    assert!(failing.contains("badge failed\">FAILED"));
    assert!(failing.contains("assert_reachable(): web cannot reach db in db-isolated"));
    assert!(
        failing.contains(" 7 │ assert_reachable(web, db);"),
        "the source line"
    );
    // Chromium parsed the drawing as SVG: its network boxes are elements.
    assert!(failing.contains("<svg"), "the topology is drawn inline");
    assert!(failing.contains("class=\"network\" data-name=\"front-b\""));
    assert!(
        failing.contains("db log line 20"),
        "the container's last log lines"
    );
    // The failure is listed before the passes, and only the failure is open.
    assert!(dom.find("id=\"s1\"").unwrap() < dom.find("id=\"s0\"").unwrap());
    assert!(dom.contains(
        "id=\"s1\" data-key=\"db-isolated tests/scenarios/db-isolated.rhai net\" open=\"\""
    ));
    // The page's own script ran: the search box is shown.
    assert!(dom.contains("<input type=\"search\" id=\"search\""));
    let search = &dom[dom.find("id=\"search\"").unwrap()..];
    assert!(!search[..search.find('>').unwrap()].contains("hidden"));
}

#[test]
fn two_hundred_scenarios_load_in_under_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios: Vec<ScenarioReport> = (0..200)
        .map(|i| {
            let status = match i % 20 {
                3 => Status::Failed,
                11 => Status::Error,
                _ => Status::Passed,
            };
            let svg = render(&topology(&i.to_string()), Format::Svg);
            scenario(&format!("scenario-{i:03}"), status, &svg)
        })
        .collect();
    let report = SuiteReport {
        title: "netrig test".into(),
        started: None,
        duration: Duration::from_secs(600),
        filtered_out: 0,
        scenarios,
    };
    let big = write_page(dir.path(), &report);
    let started = Instant::now();
    let dom = dump_dom(&big);
    let browser = started.elapsed();
    let loaded_ms: u64 = dom
        .split("<p id=\"loaded-ms\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .and_then(|ms| ms.parse().ok())
        .expect("the page's stopwatch ran");
    eprintln!(
        "200 scenarios: {} KiB; parsed and laid out {loaded_ms} ms after navigation began; chromium ran {:.2} s in all",
        std::fs::metadata(&big).unwrap().len() / 1024,
        browser.as_secs_f64()
    );
    assert!(
        loaded_ms < 2_000,
        "the 200-scenario page took {loaded_ms} ms to load"
    );
    assert_eq!(element_text(&dom, "count-passed"), "180 passed");
    assert_eq!(element_text(&dom, "count-failed"), "20 failed");
    assert_eq!(dom.matches("<details class=\"scenario ").count(), 200);
}
