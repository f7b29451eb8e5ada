//! The page's structure, checked as text; `tests/report_html.rs` loads it
//! in a real browser.

use super::*;
use crate::harness::summary::tests::scenario;
use crate::harness::summary::{ContainerLog, SuiteReport};
use std::time::Duration;

fn suite(scenarios: Vec<ScenarioReport>) -> SuiteReport {
    SuiteReport {
        title: "netrig test".into(),
        started: Some(std::time::UNIX_EPOCH + Duration::from_secs(1_796_162_587)),
        duration: Duration::from_millis(3_500),
        filtered_out: 0,
        scenarios,
    }
}

const SVG: &str = "<?xml version=\"1.0\"?>\n<svg width=\"10\" height=\"10\"><defs><marker id=\"endarrow\"/></defs>\
<path id=\"arrow1\" marker-end=\"url(#endarrow)\"/><text><textPath href=\"#arrow1\">10.0.0.2</textPath></text></svg>";

#[test]
fn failures_come_first_open_with_message_snippet_and_drawing() {
    let mut bad = scenario("db-down", Status::Failed);
    bad.topology_svg = Some(SVG.into());
    bad.logs = vec![ContainerLog {
        container: "db".into(),
        lines: vec!["listening on 5432".into(), "shutting down".into()],
    }];
    let page = render(&suite(vec![
        scenario("alpha", Status::Passed),
        bad,
        scenario("gamma", Status::Passed),
    ]));
    let first = page.find("id=\"s1\"").expect("the failure is listed");
    assert!(
        first < page.find("id=\"s0\"").unwrap(),
        "failures come first"
    );
    assert!(page.contains("<details class=\"scenario failed\" id=\"s1\""));
    assert!(page.contains("id=\"s1\" data-key=\"db-down tests/scenarios/db-down.rhai \" open>"));
    assert!(!page.contains("id=\"s0\" data-key=\"alpha tests/scenarios/alpha.rhai \" open"));
    assert!(page.contains("assert_reachable(): db-down: web cannot reach db"));
    assert!(
        page.contains("7 │     assert_reachable(web, db);"),
        "the source snippet"
    );
    assert!(page.contains("<code>tests/scenarios/db-down.rhai:7:5</code>"));
    assert!(
        page.contains("<div class=\"logname\">db</div><pre>listening on 5432\nshutting down</pre>")
    );
    assert!(
        page.contains("<a href=\"#s1\">db-down</a>"),
        "a link to each failure"
    );
    assert!(page.contains("<b>2</b> passed") && page.contains("<b>1</b> failed"));
    assert!(page.contains("<title>netrig test — 1 of 3 failed</title>"));
    assert!(page.contains("3 scenarios · finished in 3.50 s · started 2026-12-01 22:03 UTC"));
}

#[test]
fn drawings_keep_their_own_ids_on_a_shared_page() {
    let svg = inline_svg(SVG, "s4-");
    assert!(
        svg.starts_with("<svg"),
        "no XML prologue inside HTML: {svg}"
    );
    assert!(svg.contains("<marker id=\"s4-endarrow\""));
    assert!(svg.contains("marker-end=\"url(#s4-endarrow)\""));
    assert!(svg.contains("href=\"#s4-arrow1\""));
    assert_eq!(inline_svg("not a drawing", "x"), "");
    let mut a = scenario("a", Status::Passed);
    a.topology_svg = Some(SVG.into());
    let mut b = a.clone();
    b.name = "b".into();
    let page = render(&suite(vec![a, b]));
    assert!(page.contains("id=\"s0-arrow1\"") && page.contains("id=\"s1-arrow1\""));
}

#[test]
fn script_text_is_escaped_and_terminal_colours_removed() {
    let mut s = scenario("x<y", Status::Error);
    let f = s.failure.as_mut().unwrap();
    f.message = "exec(): <script>alert(1)</script> & \"quotes\"".into();
    f.rendered = "\u{1b}[31m× boom\u{1b}[0m\n".into();
    s.output = "\u{1b}[1mbold\u{1b}[0m <b>\n".into();
    s.tags = vec!["slow".into()];
    let page = render(&suite(vec![s]));
    assert!(
        !page.contains("<script>alert"),
        "markup from scripts is text"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"));
    assert!(page.contains("<span class=\"name\">x&lt;y</span>"));
    assert!(page.contains("<pre class=\"snippet\">× boom\n</pre>"));
    assert!(page.contains("bold &lt;b&gt;"));
    assert!(!page.contains('\u{1b}'));
    assert!(page.contains("<span class=\"tag\">slow</span>"));
    assert!(page.contains("badge error\">ERROR"));
}

#[test]
fn the_page_needs_nothing_from_outside() {
    let mut s = scenario("cap", Status::Failed);
    s.captures = vec!["captures/cap/web eth0.pcapng".into()];
    let page = render(&suite(vec![s]));
    for outside in [
        "http://", "https://", "<link", "src=", "@import", "url(http",
    ] {
        assert!(
            !page.contains(outside),
            "the page refers outside: {outside}"
        );
    }
    assert!(page.contains("<a href=\"captures/cap/web%20eth0.pcapng\">web eth0.pcapng</a>"));
}

#[test]
fn status_filters_count_each_group_and_an_empty_run_says_so() {
    let page = render(&suite(vec![
        scenario("a", Status::Passed),
        scenario("b", Status::Error),
        scenario("c", Status::NotRun),
    ]));
    assert!(
        page.contains("<label for=\"show-failed\" class=\"chip failed\">Failed <b>1</b></label>")
    );
    assert!(
        page.contains(
            "<label for=\"show-skipped\" class=\"chip skipped\">Skipped <b>1</b></label>"
        )
    );
    assert!(
        page.contains(
            "<input type=\"radio\" name=\"show\" id=\"show-all\" class=\"show\" checked>"
        )
    );
    assert!(page.contains("Not run: the test run was interrupted first."));
    let empty = render(&suite(Vec::new()));
    assert!(empty.contains("No scenarios ran."));
    let good = render(&suite(vec![scenario("a", Status::Passed)]));
    assert!(good.contains("Every scenario passed.") && good.contains("all 1 passed"));
}
