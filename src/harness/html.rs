//! `netrig test --report DIR` → `DIR/index.html`: the run as one
//! self-contained page (inline CSS, a few lines of inline script for the
//! search box, nothing fetched), readable at hundreds of scenarios.
//!
//! Layout: the counts and a bar of the verdicts, status filters (radio
//! buttons and CSS, so they work without script), then one collapsible row
//! per scenario, failures first and open, each with its message and source
//! snippet, its topology drawing, its containers' last log lines, what it
//! printed and links to its capture files.

use std::fmt::Write as _;

use super::outcome::Status;
use super::summary::{ScenarioReport, SuiteReport, human_duration, timestamp};

/// The page for `report`.
pub(crate) fn render(report: &SuiteReport) -> String {
    let tally = report.tally();
    let mut page = String::with_capacity(64 * 1024 + report.scenarios.len() * 8 * 1024);
    let listed = report.scenarios.len();
    let verdict = if tally.failed + tally.errors > 0 {
        format!("{} of {listed} failed", tally.failed + tally.errors)
    } else if tally.passed == listed && listed > 0 {
        format!("all {listed} passed")
    } else {
        format!("{} passed", tally.passed)
    };
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<div class=\"page\">\n",
        text(&report.title),
        text(&verdict),
    );
    header(&mut page, report);
    summary(&mut page, report);
    filters(&mut page, report);
    page.push_str("<main id=\"scenarios\">\n");
    if report.scenarios.is_empty() {
        page.push_str("<p class=\"empty\">No scenarios ran.</p>\n");
    }
    for (n, s) in failures_first(&report.scenarios) {
        scenario(&mut page, n, s);
    }
    page.push_str("</main>\n</div>\n<script>");
    page.push_str(SCRIPT);
    page.push_str("</script>\n</body>\n</html>\n");
    page
}

/// Failed and errored scenarios, then not-run ones, then passed ones; each
/// group in discovery order. Each comes with its discovery number.
fn failures_first(scenarios: &[ScenarioReport]) -> Vec<(usize, &ScenarioReport)> {
    let rank = |s: &ScenarioReport| match s.status {
        Status::Failed | Status::Error => 0,
        Status::NotRun => 1,
        Status::Passed => 2,
    };
    let mut order: Vec<(usize, &ScenarioReport)> = scenarios.iter().enumerate().collect();
    order.sort_by_key(|(n, s)| (rank(s), *n));
    order
}

fn header(page: &mut String, report: &SuiteReport) {
    let mut facts = vec![
        crate::text::plural(report.scenarios.len(), "scenario"),
        format!("finished in {}", human_duration(report.duration)),
    ];
    if let Some(started) = report.started {
        facts.push(format!("started {}", timestamp(started, true)));
    }
    if report.filtered_out > 0 {
        facts.push(format!("{} filtered out", report.filtered_out));
    }
    let _ = writeln!(
        page,
        "<header><h1>{}</h1><p>{}</p></header>",
        text(&report.title),
        text(&facts.join(" · "))
    );
}

/// Failures linked from the summary; the rest are a scroll (or the Failed filter) away.
const JUMP_LINKS: usize = 30;

/// The counts, the bar, and links to the failures.
fn summary(page: &mut String, report: &SuiteReport) {
    let t = report.tally();
    let failed_only = t.failed;
    let skipped = t.not_run + t.filtered_out;
    page.push_str("<section class=\"summary\" aria-label=\"summary\">\n<div class=\"counts\">");
    for (class, count, label) in [
        ("passed", t.passed, "passed"),
        ("failed", t.failed + t.errors, "failed"),
        ("error", t.errors, "of them errors"),
        ("skipped", skipped, "skipped"),
    ] {
        if class == "error" && count == 0 {
            continue;
        }
        let _ = write!(
            page,
            "<div class=\"count {class}\" id=\"count-{class}\"><b>{count}</b> {label}</div>"
        );
    }
    page.push_str("</div>\n<div class=\"bar\" role=\"img\" aria-label=\"");
    page.push_str(&text(&t.summary()));
    page.push_str("\">");
    let total = (t.passed + t.failed + t.errors + skipped).max(1) as f64;
    for (class, count) in [
        ("passed", t.passed),
        ("failed", failed_only),
        ("error", t.errors),
        ("skipped", skipped),
    ] {
        if count > 0 {
            let _ = write!(
                page,
                "<span class=\"{class}\" style=\"width:{:.3}%\"></span>",
                count as f64 * 100.0 / total
            );
        }
    }
    page.push_str("</div>\n");
    let failing: Vec<(usize, &ScenarioReport)> = report
        .scenarios
        .iter()
        .enumerate()
        .filter(|(_, s)| s.did_fail())
        .collect();
    if failing.is_empty() && !report.scenarios.is_empty() && skipped == 0 {
        page.push_str("<p class=\"allgood\">Every scenario passed.</p>\n");
    } else if !failing.is_empty() {
        page.push_str("<p class=\"jump\">Failures: ");
        for (i, (n, s)) in failing.iter().take(JUMP_LINKS).enumerate() {
            if i > 0 {
                page.push_str(", ");
            }
            let _ = write!(page, "<a href=\"#s{n}\">{}</a>", text(&s.name));
        }
        if failing.len() > JUMP_LINKS {
            let _ = write!(page, " and {} more", failing.len() - JUMP_LINKS);
        }
        page.push_str("</p>\n");
    }
    page.push_str("</section>\n");
}

/// Radio buttons before the list, so CSS alone can hide rows by status.
fn filters(page: &mut String, report: &SuiteReport) {
    let count = |f: fn(&ScenarioReport) -> bool| report.scenarios.iter().filter(|s| f(s)).count();
    let groups: [(&str, &str, usize); 4] = [
        ("all", "All", report.scenarios.len()),
        ("failed", "Failed", count(|s| s.did_fail())),
        ("passed", "Passed", count(|s| s.status == Status::Passed)),
        ("skipped", "Skipped", count(|s| s.status == Status::NotRun)),
    ];
    for (id, _, _) in groups {
        let checked = if id == "all" { " checked" } else { "" };
        let _ = write!(
            page,
            "<input type=\"radio\" name=\"show\" id=\"show-{id}\" class=\"show\"{checked}>"
        );
    }
    page.push_str("\n<nav class=\"filters\" aria-label=\"show\">");
    for (id, label, n) in groups {
        let _ = write!(
            page,
            "<label for=\"show-{id}\" class=\"chip {id}\">{label} <b>{n}</b></label>"
        );
    }
    page.push_str(
        "<input type=\"search\" id=\"search\" placeholder=\"Find a scenario…\" \
         aria-label=\"find a scenario by name, file or tag\" hidden></nav>\n",
    );
}

fn scenario(page: &mut String, n: usize, s: &ScenarioReport) {
    let (class, word) = status_look(s.status);
    let key = format!("{} {} {}", s.name, s.file, s.tags.join(" ")).to_lowercase();
    let _ = write!(
        page,
        "<details class=\"scenario {class}\" id=\"s{n}\" data-key=\"{}\"{}>\n<summary>\
         <span class=\"badge {class}\">{word}</span>\
         <span class=\"title\"><span class=\"name\">{}</span>{}<span class=\"file\">{}</span></span>\
         <span class=\"time\">{}</span></summary>\n<div class=\"body\">\n",
        text(&key),
        if s.did_fail() { " open" } else { "" },
        text(&s.name),
        tags(&s.tags),
        text(&s.file),
        human_duration(s.duration),
    );
    if let Some(f) = &s.failure {
        let _ = write!(
            page,
            "<div class=\"failure\"><p class=\"message\"><span class=\"kind\">{}</span>{}</p>",
            text(&f.kind),
            text(&f.message)
        );
        if let Some(at) = &f.location {
            let _ = write!(page, "<p class=\"where\">at <code>{}</code></p>", text(at));
        }
        let snippet = plain(&f.rendered);
        if !snippet.trim().is_empty() {
            let _ = write!(page, "<pre class=\"snippet\">{}</pre>", text(&snippet));
        }
        page.push_str("</div>\n");
    }
    if s.status == Status::NotRun {
        page.push_str("<p class=\"muted\">Not run: the test run was interrupted first.</p>\n");
    }
    if let Some(svg) = &s.topology_svg {
        let _ = writeln!(
            page,
            "<figure class=\"topology\"><figcaption>Topology when it ended</figcaption>{}</figure>",
            inline_svg(svg, &format!("s{n}-"))
        );
    }
    if !s.logs.is_empty() {
        page.push_str("<h3>Container logs <span class=\"muted\">(last lines)</span></h3>\n");
        for log in &s.logs {
            let body = plain(&log.lines.join("\n"));
            let _ = writeln!(
                page,
                "<div class=\"log\"><div class=\"logname\">{}</div><pre>{}</pre></div>",
                text(&log.container),
                if body.is_empty() {
                    "<span class=\"muted\">(no output)</span>".to_string()
                } else {
                    text(&body)
                }
            );
        }
    }
    if !s.output.is_empty() {
        let lines = s.output.lines().count();
        let _ = writeln!(
            page,
            "<details class=\"output\"{}><summary>What it printed ({})</summary><pre>{}</pre></details>",
            if s.did_fail() { " open" } else { "" },
            crate::text::plural(lines, "line"),
            text(&plain(&s.output))
        );
    }
    if !s.captures.is_empty() {
        page.push_str("<p class=\"captures\">Captures: ");
        for (i, c) in s.captures.iter().enumerate() {
            if i > 0 {
                page.push_str(" · ");
            }
            let _ = write!(
                page,
                "<a href=\"{}\">{}</a>",
                text(&href(c)),
                text(file_name(c))
            );
        }
        page.push_str("</p>\n");
    }
    let mut facts = Vec::new();
    if !s.run_id.is_empty() {
        facts.push(format!("run id <code>{}</code>", text(&s.run_id)));
    }
    facts.extend(s.notes.iter().map(|n| text(n)));
    if !facts.is_empty() {
        let _ = writeln!(page, "<p class=\"facts\">{}</p>", facts.join("<br>"));
    }
    page.push_str("</div>\n</details>\n");
}

fn status_look(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Passed => ("passed", "ok"),
        Status::Failed => ("failed", "FAILED"),
        Status::Error => ("error", "ERROR"),
        Status::NotRun => ("skipped", "skipped"),
    }
}

fn tags(tags: &[String]) -> String {
    tags.iter()
        .map(|t| format!("<span class=\"tag\">{}</span>", text(t)))
        .collect()
}

/// An SVG document made fit to sit inside the page: no XML prologue, and
/// its ids (arrow markers, label paths, clip paths) prefixed so that two
/// drawings on one page never take each other's.
pub(crate) fn inline_svg(svg: &str, prefix: &str) -> String {
    let body = match svg.find("<svg") {
        Some(start) => &svg[start..],
        None => return String::new(),
    };
    body.replace("id=\"", &format!("id=\"{prefix}"))
        .replace("url(#", &format!("url(#{prefix}"))
        .replace("href=\"#", &format!("href=\"#{prefix}"))
}

/// Terminal colours removed: diagnostics are rendered for a terminal.
fn plain(s: &str) -> String {
    strip_ansi_escapes::strip_str(s)
}

/// A relative path as a link: each segment percent-encoded where a URL needs it.
fn href(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Text safe in HTML content and in double-quoted attributes.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The search box: shown only where script runs; hides rows that do not match.
const SCRIPT: &str = "(function(){var q=document.getElementById('search');q.hidden=false;\
q.addEventListener('input',function(){var t=q.value.trim().toLowerCase();\
document.querySelectorAll('.scenario').forEach(function(d){\
d.hidden=t!==''&&d.dataset.key.indexOf(t)<0;});});})();";

const CSS: &str = include_str!("html.css");

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "html_browser_tests.rs"]
mod browser_tests;
