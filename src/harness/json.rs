//! `netrig test --format json`: the run as one JSON document for other
//! tools. The shape is documented in the README ("JSON report") and as a
//! JSON Schema in `docs/test-report.schema.json`; the tests hold all three
//! together. Fields are only ever added, and `format_version` goes up when
//! one changes meaning.

use serde::Serialize;

use super::outcome::Status;
use super::summary::{ScenarioReport, SuiteReport, split_location, timestamp};

/// The version of this document's shape.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// The document for `report`, pretty-printed, ending in a newline.
pub(crate) fn render(report: &SuiteReport) -> String {
    let mut text = serde_json::to_string_pretty(&document(report))
        .expect("a report of strings and numbers always serializes");
    text.push('\n');
    text
}

#[derive(Serialize)]
struct Document<'a> {
    format_version: u32,
    netrig_version: &'static str,
    started: Option<String>,
    duration_s: f64,
    summary: Summary,
    scenarios: Vec<Scenario<'a>>,
}

#[derive(Serialize)]
struct Summary {
    total: usize,
    passed: usize,
    failed: usize,
    errors: usize,
    skipped: usize,
    filtered_out: usize,
}

#[derive(Serialize)]
struct Scenario<'a> {
    name: &'a str,
    file: &'a str,
    tags: &'a [String],
    status: &'static str,
    duration_s: f64,
    run_id: Option<&'a str>,
    error: Option<Error<'a>>,
    output: &'a str,
    notes: &'a [String],
    captures: &'a [String],
}

#[derive(Serialize)]
struct Error<'a> {
    kind: &'a str,
    message: &'a str,
    position: Option<Position<'a>>,
    report: String,
}

#[derive(Serialize)]
struct Position<'a> {
    file: &'a str,
    line: u32,
    column: u32,
}

fn document(report: &SuiteReport) -> Document<'_> {
    let t = report.tally();
    Document {
        format_version: FORMAT_VERSION,
        netrig_version: env!("CARGO_PKG_VERSION"),
        started: report.started.map(|at| timestamp(at, false)),
        duration_s: seconds(report.duration),
        summary: Summary {
            total: report.scenarios.len(),
            passed: t.passed,
            // The schema's "failed" is every scenario that makes the exit code 1.
            failed: t.failed + t.errors,
            errors: t.errors,
            skipped: t.not_run,
            filtered_out: report.filtered_out,
        },
        scenarios: report.scenarios.iter().map(scenario).collect(),
    }
}

fn scenario(s: &ScenarioReport) -> Scenario<'_> {
    Scenario {
        name: &s.name,
        file: &s.file,
        tags: &s.tags,
        status: status_word(s.status),
        duration_s: seconds(s.duration),
        run_id: (!s.run_id.is_empty()).then_some(s.run_id.as_str()),
        error: s.failure.as_ref().map(|f| Error {
            kind: &f.kind,
            message: &f.message,
            position: f
                .location
                .as_deref()
                .and_then(split_location)
                .map(|(file, line, column)| Position { file, line, column }),
            report: strip_ansi_escapes::strip_str(&f.rendered),
        }),
        output: &s.output,
        notes: &s.notes,
        captures: &s.captures,
    }
}

/// `passed`, `failed` (a check did not hold), `error` (anything else
/// stopped it) or `skipped` (the run was interrupted before it started).
pub(crate) fn status_word(status: Status) -> &'static str {
    match status {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Error => "error",
        Status::NotRun => "skipped",
    }
}

/// Seconds, to the millisecond.
fn seconds(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::summary::tests::scenario;
    use serde_json::{Value, json};
    use std::time::Duration;

    fn suite() -> SuiteReport {
        let mut error = scenario("no-daemon", Status::Error);
        error.failure.as_mut().unwrap().location = None;
        error.failure.as_mut().unwrap().rendered = "\u{1b}[31mboom\u{1b}[0m\n".into();
        SuiteReport {
            title: "netrig test".into(),
            started: Some(std::time::UNIX_EPOCH + Duration::from_secs(1_796_162_587)),
            duration: Duration::from_millis(4_321),
            filtered_out: 1,
            scenarios: vec![
                scenario("dns", Status::Passed),
                scenario("isolated", Status::Failed),
                error,
                scenario("late", Status::NotRun),
            ],
        }
    }

    fn schema() -> Value {
        serde_json::from_str(include_str!("../../docs/test-report.schema.json"))
            .expect("the schema is JSON")
    }

    /// Every way `doc` departs from the schema, one line each.
    fn departures(doc: &Value) -> Vec<String> {
        let validator = jsonschema::validator_for(&schema()).expect("the schema is a schema");
        validator
            .iter_errors(doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    #[test]
    fn the_document_validates_against_the_documented_schema() {
        let doc: Value = serde_json::from_str(&render(&suite())).unwrap();
        assert_eq!(departures(&doc), Vec::<String>::new());
        // And the schema is strict enough to notice a wrong shape.
        let mut wrong = doc.clone();
        wrong["scenarios"][1]["status"] = json!("FAILED");
        wrong["scenarios"][1]["error"]["position"]["line"] = json!("7");
        wrong["summary"].as_object_mut().unwrap().remove("passed");
        assert_eq!(departures(&wrong).len(), 3, "{:?}", departures(&wrong));
    }

    /// The README's "JSON report" section: its text and its example document.
    fn readme_section() -> (&'static str, Value) {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("### JSON report")
            .expect("README has a JSON report section");
        let section = &readme[start..];
        let section = &section[..section[4..].find("\n## ").map_or(section.len(), |i| i + 4)];
        let json = section
            .split("```json\n")
            .nth(1)
            .and_then(|rest| rest.split("\n```").next())
            .expect("the section has a ```json example");
        (
            section,
            serde_json::from_str(json).expect("the example is JSON"),
        )
    }

    #[test]
    fn the_readme_documents_the_schema_and_its_example_fits_it() {
        let (text, example) = readme_section();
        assert_eq!(departures(&example), Vec::<String>::new());
        // Every field the schema has is named in the README's text.
        let schema = schema();
        let mut fields: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        for def in ["scenario", "error"] {
            fields.extend(
                schema["$defs"][def]["properties"]
                    .as_object()
                    .unwrap()
                    .keys(),
            );
        }
        fields.extend(
            schema["properties"]["summary"]["properties"]
                .as_object()
                .unwrap()
                .keys(),
        );
        for field in fields {
            assert!(
                text.contains(&format!("`{field}`")),
                "the README's JSON report section does not mention `{field}`"
            );
        }
    }

    #[test]
    fn failures_carry_kind_message_and_position_passes_carry_none() {
        let doc: Value = serde_json::from_str(&render(&suite())).unwrap();
        assert_eq!(doc["format_version"], 1);
        assert_eq!(doc["duration_s"], 4.321);
        assert_eq!(doc["started"], "2026-12-01T22:03:07Z");
        assert_eq!(
            doc["summary"],
            json!({"total": 4, "passed": 1, "failed": 2, "errors": 1, "skipped": 1, "filtered_out": 1})
        );
        let s = &doc["scenarios"];
        assert_eq!(s[0]["status"], "passed");
        assert_eq!(s[0]["error"], Value::Null);
        assert_eq!(s[0]["run_id"], "r-dns");
        assert_eq!(s[1]["status"], "failed");
        assert_eq!(s[1]["duration_s"], 1.234);
        assert_eq!(s[1]["error"]["kind"], "assertion");
        assert_eq!(
            s[1]["error"]["message"],
            "assert_reachable(): isolated: web cannot reach db"
        );
        assert_eq!(
            s[1]["error"]["position"],
            json!({"file": "tests/scenarios/isolated.rhai", "line": 7, "column": 5})
        );
        assert_eq!(s[2]["status"], "error");
        assert_eq!(s[2]["error"]["position"], Value::Null);
        assert_eq!(s[2]["error"]["report"], "boom\n", "no terminal colours");
        assert_eq!(s[3]["status"], "skipped");
    }
}
