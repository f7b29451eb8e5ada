//! How a test run is reported: a line per scenario as it finishes, the
//! failures in full at the end, the `N passed, M failed` line, and JUnit XML.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::discover::Scenario;
use super::outcome::{ScenarioResult, Status};

/// The line printed when a scenario finishes: `ok  name  file  1.23 s`.
pub(crate) fn result_line(
    scenario: &Scenario,
    result: &ScenarioResult,
    name_width: usize,
) -> String {
    format!(
        "{:<7} {:<name_width$}  {}  {:.2} s",
        result.status.word(),
        scenario.name(),
        scenario.file,
        result.elapsed.as_secs_f64()
    )
}

/// A failed scenario in full: the error with its source line, what the
/// script printed, and what became of its resources.
pub(crate) fn failure_details(scenario: &Scenario, result: &ScenarioResult) -> String {
    let mut out = format!("── {} ({}) ──\n", scenario.name(), scenario.file);
    if let Some(f) = &result.failure {
        out.push_str(&f.rendered);
        if !f.rendered.ends_with('\n') {
            out.push('\n');
        }
    }
    if !result.output.is_empty() {
        out.push_str("output:\n");
        for line in result.output.lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    for note in &result.notes {
        out.push_str(&format!("{note}\n"));
    }
    out
}

/// Counts by verdict, each scenario in exactly one of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Passed scenarios.
    pub(crate) passed: usize,
    /// Scenarios whose checks failed (an assertion, a timeout, `exit(1)`).
    pub(crate) failed: usize,
    /// Scenarios that could not run to a verdict (a syntax error, a Docker
    /// error, a teardown that left things behind): JUnit's `errors`.
    pub(crate) errors: usize,
    /// Scenarios not run because the run was interrupted.
    pub(crate) not_run: usize,
    /// Scenarios `--filter` left out.
    pub(crate) filtered_out: usize,
}

impl Tally {
    /// Counts `results`, plus `filtered_out` scenarios that `--filter` left out.
    pub(crate) fn of(results: &[ScenarioResult], filtered_out: usize) -> Tally {
        let mut t = Tally {
            filtered_out,
            ..Default::default()
        };
        for r in results {
            match r.status {
                Status::Passed => t.passed += 1,
                Status::Failed => t.failed += 1,
                Status::Error => t.errors += 1,
                Status::NotRun => t.not_run += 1,
            }
        }
        t
    }

    /// `2 passed, 1 failed` then, when there are any, `, 1 error`, `, 3 not
    /// run`, `, 2 filtered out`: the closing line CI reads. The counts are
    /// JUnit's: its `failures` and `errors` are these.
    pub(crate) fn summary(&self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed, self.failed);
        if self.errors > 0 {
            line.push_str(&format!(
                ", {} error{}",
                self.errors,
                if self.errors == 1 { "" } else { "s" }
            ));
        }
        if self.not_run > 0 {
            line.push_str(&format!(", {} not run", self.not_run));
        }
        if self.filtered_out > 0 {
            line.push_str(&format!(", {} filtered out", self.filtered_out));
        }
        line
    }
}

/// The JUnit report: one test suite, one test case per scenario run, with
/// its time, and for a failure its message, position and source line.
pub(crate) fn junit(
    scenarios: &[Scenario],
    results: &[ScenarioResult],
    elapsed: Duration,
) -> Report {
    let mut suite = TestSuite::new("netrig test");
    suite.set_time(elapsed);
    for result in results {
        let scenario = &scenarios[result.index];
        let status = match (result.status, &result.failure) {
            (Status::Passed, _) => TestCaseStatus::success(),
            (Status::NotRun, _) => {
                let mut s = TestCaseStatus::skipped();
                s.set_message("not run: the test run was interrupted");
                s
            }
            (status, failure) => {
                let kind = if status == Status::Failed {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut s = TestCaseStatus::non_success(kind);
                if let Some(f) = failure {
                    s.set_message(f.headline());
                    s.set_type(f.kind.as_str());
                    s.set_description(f.rendered.as_str());
                }
                s
            }
        };
        let mut case = TestCase::new(scenario.name(), status);
        case.set_classname(scenario.file.as_str());
        case.set_time(result.elapsed);
        if !result.run_id.is_empty() {
            case.add_property(Property::new("netrig.run", result.run_id.as_str()));
        }
        if !scenario.meta.tags.is_empty() {
            case.add_property(Property::new("tags", scenario.meta.tags.join(",")));
        }
        if !result.output.is_empty() {
            case.set_system_out(result.output.as_str());
        }
        suite.add_test_case(case);
    }
    let mut report = Report::new("netrig");
    report.set_time(elapsed);
    report.add_test_suite(suite);
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::outcome::Failure;

    fn result(index: usize, status: Status) -> ScenarioResult {
        ScenarioResult {
            index,
            status,
            failure: (status != Status::Passed).then(|| Failure {
                kind: "assertion".into(),
                message: "assert(): web cannot reach db".into(),
                location: Some("c.rhai:4:1".into()),
                rendered: "× assert(): web cannot reach db (c.rhai:4:1)\n 4 │ assert(x);\n".into(),
            }),
            elapsed: Duration::from_millis(1500),
            output: "hello\n".into(),
            run_id: "3f2a1b2c".into(),
            notes: vec![],
        }
    }

    fn scenario(file: &str) -> Scenario {
        Scenario {
            path: file.into(),
            file: file.into(),
            source: String::new(),
            meta: Default::default(),
            problem: None,
        }
    }

    #[test]
    fn summary_counts_errors_apart_from_failures() {
        let results = [
            result(0, Status::Passed),
            result(1, Status::Failed),
            result(2, Status::Error),
            result(3, Status::NotRun),
        ];
        let t = Tally::of(&results, 2);
        assert_eq!(
            t.summary(),
            "1 passed, 1 failed, 1 error, 1 not run, 2 filtered out"
        );
        assert_eq!(Tally::of(&results[..1], 0).summary(), "1 passed, 0 failed");
        let errors = [result(0, Status::Error), result(1, Status::Error)];
        assert_eq!(
            Tally::of(&errors, 0).summary(),
            "0 passed, 0 failed, 2 errors"
        );
    }

    #[test]
    fn junit_counts_are_the_consoles() {
        let scenarios = [
            scenario("a.rhai"),
            scenario("b.rhai"),
            scenario("c.rhai"),
            scenario("d.rhai"),
        ];
        let results = [
            result(0, Status::Passed),
            result(1, Status::Failed),
            result(2, Status::Error),
            result(3, Status::NotRun),
        ];
        let t = Tally::of(&results, 0);
        let report = junit(&scenarios, &results, Duration::from_secs(1));
        let suite = &report.test_suites[0];
        assert_eq!(
            (suite.tests, suite.failures, suite.errors, suite.skipped),
            (4, t.failed, t.errors, t.not_run)
        );
    }

    #[test]
    fn junit_has_a_case_per_scenario_with_failure_details() {
        let scenarios = [scenario("a.rhai"), scenario("c.rhai")];
        let results = [result(0, Status::Passed), result(1, Status::Failed)];
        let xml = junit(&scenarios, &results, Duration::from_secs(3))
            .to_string()
            .unwrap();
        assert_eq!(xml.matches("<testcase").count(), 2, "{xml}");
        assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
        assert!(
            xml.contains(r#"message="assert(): web cannot reach db (c.rhai:4:1)""#),
            "{xml}"
        );
        assert!(xml.contains(r#"name="c""#) && xml.contains(r#"classname="c.rhai""#));
        assert!(xml.contains("time=\"1.500\""), "{xml}");
        assert!(xml.contains("assert(x);"), "the source line: {xml}");
    }

    #[test]
    fn details_show_the_error_the_output_and_the_notes() {
        let mut r = result(0, Status::Failed);
        r.notes.push("kept: netrig clean --run 3f2a1b2c".into());
        let text = failure_details(&scenario("c.rhai"), &r);
        assert!(text.contains("web cannot reach db (c.rhai:4:1)"), "{text}");
        assert!(text.contains("output:\n  hello\n"), "{text}");
        assert!(text.contains("netrig clean --run 3f2a1b2c"), "{text}");
    }
}
