//! What a finished test run is reported from: the suite's counts and time,
//! and per scenario its verdict, time, failure and what was kept of it (the
//! topology drawing, the last lines of its containers' logs, capture files).
//! The HTML page ([`super::html`]) and the JSON document ([`super::json`])
//! are both rendered from this, so they never disagree.

use std::time::Duration;

use super::discover::Scenario;
use super::outcome::{Failure, ScenarioResult, Status};
use super::report::Tally;

/// A whole test run, ready to be rendered.
#[derive(Debug, Clone, Default)]
pub(crate) struct SuiteReport {
    /// The page's heading (`netrig test`).
    pub title: String,
    /// When the run started, if known.
    pub started: Option<std::time::SystemTime>,
    /// Wall time of the whole run.
    pub duration: Duration,
    /// Scenarios that `--filter` left out (not listed, only counted).
    pub filtered_out: usize,
    /// Every scenario the run considered, in discovery order.
    pub scenarios: Vec<ScenarioReport>,
}

/// One scenario's part of the report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScenarioReport {
    /// Its name (header `//! name:` or the file stem).
    pub name: String,
    /// Its file, as given or found.
    pub file: String,
    /// Its `//! tags:`.
    pub tags: Vec<String>,
    /// Passed, failed, error or not run.
    pub status: Status,
    /// Wall time, teardown included.
    pub duration: Duration,
    /// The `netrig.run` label its resources carried (empty when it never started).
    pub run_id: String,
    /// Why it did not pass.
    pub failure: Option<Failure>,
    /// What the script printed.
    pub output: String,
    /// What became of its resources (removed, or kept and how to look at them).
    pub notes: Vec<String>,
    /// Its topology as it ended, an SVG document.
    pub topology_svg: Option<String>,
    /// For a failed scenario: the last lines of each of its containers' logs.
    pub logs: Vec<ContainerLog>,
    /// Capture files of this scenario, as paths relative to the report.
    pub captures: Vec<String>,
}

/// The tail of one container's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerLog {
    /// The container's name in the script.
    pub container: String,
    /// Its last lines, oldest first.
    pub lines: Vec<String>,
}

impl ScenarioReport {
    /// The report of `result` for `scenario`, without drawings, logs or captures.
    pub(crate) fn new(scenario: &Scenario, result: &ScenarioResult) -> ScenarioReport {
        ScenarioReport {
            name: scenario.name(),
            file: scenario.file.clone(),
            tags: scenario.meta.tags.clone(),
            status: result.status,
            duration: result.elapsed,
            run_id: result.run_id.clone(),
            failure: result.failure.clone(),
            output: result.output.clone(),
            notes: result.notes.clone(),
            topology_svg: None,
            logs: Vec::new(),
            captures: Vec::new(),
        }
    }

    /// Failed or errored: what a reader looks for first.
    pub(crate) fn did_fail(&self) -> bool {
        matches!(self.status, Status::Failed | Status::Error)
    }
}

impl SuiteReport {
    /// The report of a run: `results` (any order) of `scenarios`.
    pub(crate) fn from_results(
        scenarios: &[Scenario],
        results: &[ScenarioResult],
        duration: Duration,
        filtered_out: usize,
    ) -> SuiteReport {
        let mut ordered: Vec<&ScenarioResult> = results.iter().collect();
        ordered.sort_by_key(|r| r.index);
        SuiteReport {
            title: "netrig test".into(),
            started: None,
            duration,
            filtered_out,
            scenarios: ordered
                .into_iter()
                .map(|r| ScenarioReport::new(&scenarios[r.index], r))
                .collect(),
        }
    }

    /// Counts by verdict, each scenario in one count (as the console's).
    pub(crate) fn tally(&self) -> Tally {
        let mut t = Tally {
            filtered_out: self.filtered_out,
            ..Tally::default()
        };
        for s in &self.scenarios {
            match s.status {
                Status::Passed => t.passed += 1,
                Status::Failed => t.failed += 1,
                Status::Error => t.errors += 1,
                Status::NotRun => t.not_run += 1,
            }
        }
        t
    }
}

/// Capture files of the scenario whose report files are named `stem`
/// (`stem.svg`): `*.pcap` / `*.pcapng` in `dir/stem/` (and below), or
/// beside the drawing as `dir/stem-….pcap`; paths relative to `dir`, sorted.
pub(crate) fn captures_in(dir: &std::path::Path, stem: &str) -> Vec<String> {
    fn is_capture(p: &std::path::Path) -> bool {
        p.extension().is_some_and(|e| e == "pcap" || e == "pcapng")
    }
    fn walk(root: &std::path::Path, at: &std::path::Path, depth: usize, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(at) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() && depth < 3 {
                walk(root, &path, depth + 1, out);
            } else if is_capture(&path)
                && let Ok(rel) = path.strip_prefix(root)
            {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, &dir.join(stem), 0, &mut found);
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_capture(&entry.path())
                && name
                    .strip_prefix(stem)
                    .is_some_and(|rest| rest.starts_with(['-', '_', '.']))
            {
                found.push(name);
            }
        }
    }
    found.sort();
    found
}

/// A file position `file:line:col` taken apart (the file may hold colons).
pub(crate) fn split_location(location: &str) -> Option<(&str, u32, u32)> {
    let mut parts = location.rsplitn(3, ':');
    let column = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    let file = parts.next()?;
    Some((file, line, column))
}

/// `2026-12-01T22:03:07Z` (RFC 3339, UTC), or with `human`, `2026-12-01 22:03 UTC`.
pub(crate) fn timestamp(at: std::time::SystemTime, human: bool) -> String {
    let at = chrono::DateTime::<chrono::Utc>::from(at);
    if human {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    } else {
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

/// `0.42 s`, `12.3 s`, `2 min 05 s`: a duration as a report shows it.
pub(crate) fn human_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.2} s")
    } else if secs < 60.0 {
        format!("{secs:.1} s")
    } else {
        let whole = d.as_secs();
        format!("{} min {:02} s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A scenario report for tests: `name.rhai`, passed unless a failure is given.
    pub(crate) fn scenario(name: &str, status: Status) -> ScenarioReport {
        ScenarioReport {
            name: name.into(),
            file: format!("tests/scenarios/{name}.rhai"),
            tags: Vec::new(),
            status,
            duration: Duration::from_millis(1234),
            run_id: format!("r-{name}"),
            failure: matches!(status, Status::Failed | Status::Error).then(|| Failure {
                kind: if status == Status::Failed {
                    "assertion".into()
                } else {
                    "not_found".into()
                },
                message: format!("assert_reachable(): {name}: web cannot reach db"),
                location: Some(format!("tests/scenarios/{name}.rhai:7:5")),
                rendered: format!(
                    "  × assert_reachable(): web cannot reach db (tests/scenarios/{name}.rhai:7:5)\n   ╭─[tests/scenarios/{name}.rhai:7:5]\n 7 │     assert_reachable(web, db);\n   ·     ────────┬───────\n   ·             ╰── here\n   ╰────\n"
                ),
            }),
            output: String::new(),
            notes: Vec::new(),
            topology_svg: None,
            logs: Vec::new(),
            captures: Vec::new(),
        }
    }

    #[test]
    fn locations_split_from_the_right_and_durations_read_well() {
        assert_eq!(split_location("a.rhai:7:5"), Some(("a.rhai", 7, 5)));
        assert_eq!(split_location("C:/x.rhai:1:2"), Some(("C:/x.rhai", 1, 2)));
        assert_eq!(split_location("a.rhai"), None);
        assert_eq!(human_duration(Duration::from_millis(420)), "0.42 s");
        assert_eq!(human_duration(Duration::from_millis(12_340)), "12.3 s");
        assert_eq!(human_duration(Duration::from_secs(125)), "2 min 05 s");
        let at = std::time::UNIX_EPOCH + Duration::from_secs(1_796_162_587);
        assert_eq!(timestamp(at, false), "2026-12-01T22:03:07Z");
        assert_eq!(timestamp(at, true), "2026-12-01 22:03 UTC");
    }

    #[test]
    fn captures_are_found_in_the_scenario_folder_or_beside_its_drawing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("db-down/eth")).unwrap();
        for f in [
            "db-down/web.pcap",
            "db-down/eth/db.pcapng",
            "db-down/notes.txt",
            "db-down-api.pcap",
            "db-down.svg",
            "db-downer.pcap",
            "other.pcap",
        ] {
            std::fs::write(d.join(f), "").unwrap();
        }
        assert_eq!(
            captures_in(d, "db-down"),
            vec![
                "db-down-api.pcap",
                "db-down/eth/db.pcapng",
                "db-down/web.pcap"
            ]
        );
        assert!(captures_in(d, "missing").is_empty());
    }

    #[test]
    fn the_tally_counts_each_scenario_once() {
        let report = SuiteReport {
            filtered_out: 2,
            scenarios: vec![
                scenario("a", Status::Passed),
                scenario("b", Status::Failed),
                scenario("c", Status::Error),
                scenario("d", Status::NotRun),
            ],
            ..SuiteReport::default()
        };
        let t = report.tally();
        assert_eq!(
            (t.passed, t.failed, t.errors, t.not_run, t.filtered_out),
            (1, 1, 1, 1, 2)
        );
    }
}
