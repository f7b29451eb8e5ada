//! `netrig test --report DIR`: what the report keeps of each scenario
//! while its resources still exist (its topology drawing; for a failed one,
//! the last lines of its containers' logs), and, once the run is over, the
//! page `DIR/index.html` and the JSON document.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::runtime::Handle;

use super::discover::Scenario;
use super::outcome::ScenarioResult;
use super::summary::{ContainerLog, SuiteReport, captures_in};
use crate::docker::RunSession;
use crate::docker::run::labels;
use crate::rig::report::note;

/// Lines of each container's log a failed scenario's report shows.
pub(crate) const LOG_LINES: usize = 40;

/// What was kept of one scenario before teardown.
#[derive(Debug, Clone, Default)]
pub(crate) struct Kept {
    /// Its topology as an SVG document (also written as `DIR/<stem>.svg`).
    pub svg: Option<String>,
    /// For a failed scenario, the tail of each container's log.
    pub logs: Vec<ContainerLog>,
}

/// Draws `session`'s topology into `dir` and, when the scenario failed,
/// reads the tails of its containers' logs.
pub(crate) fn keep(
    runtime: &Handle,
    session: &RunSession,
    file: &str,
    failed: bool,
    dir: &Path,
) -> Kept {
    let svg = match runtime.block_on(crate::graph::write_session_svg(session, dir, file)) {
        Ok(path) => std::fs::read_to_string(path).ok(),
        Err(e) => {
            note(format!("could not draw the topology of {file}: {e}"));
            None
        }
    };
    let logs = if failed {
        runtime.block_on(log_tails(session))
    } else {
        Vec::new()
    };
    Kept { svg, logs }
}

/// `netrig test --report DIR --capture …`: copies a failed scenario's
/// captures beside its drawing as `DIR/<stem>-<container>.pcap`, where the
/// page links them; returns a note per file that could not be copied.
pub(crate) fn keep_captures(dir: &Path, file: &str, captures: &[PathBuf]) -> Vec<String> {
    report_captures(dir, file, captures)
        .into_iter()
        .filter_map(|(from, to)| {
            std::fs::copy(&from, &to).err().map(|e| {
                format!(
                    "could not keep the capture {} as {}: {e}",
                    from.display(),
                    to.display()
                )
            })
        })
        .collect()
}

/// Where the report keeps a scenario's captures: `(from, to)` per file.
fn report_captures(dir: &Path, file: &str, captures: &[PathBuf]) -> Vec<(PathBuf, PathBuf)> {
    let stem = crate::graph::file_stem(file);
    captures
        .iter()
        .filter_map(|from| {
            let name = from.file_name()?.to_str()?;
            Some((from.clone(), dir.join(format!("{stem}-{name}"))))
        })
        .collect()
}

/// The last [`LOG_LINES`] lines of each of the run's containers, by script name.
async fn log_tails(session: &RunSession) -> Vec<ContainerLog> {
    let client = session.client();
    let filter = HashMap::from([(
        "label".to_string(),
        vec![format!("{}={}", labels::RUN, session.run_id())],
    )]);
    let Ok(containers) = client.list_containers(true, filter).await else {
        return Vec::new();
    };
    let reads = containers
        .iter()
        .map(|c| client.logs_tail(&c.name, LOG_LINES));
    let texts = futures_util::future::join_all(reads).await;
    let mut logs: Vec<ContainerLog> = containers
        .iter()
        .zip(texts)
        .map(|(c, text)| ContainerLog {
            container: session.script_name(&c.name).to_string(),
            lines: match text {
                Ok(t) => t.lines().map(str::to_string).collect(),
                Err(e) => vec![format!("(could not read its log: {e})")],
            },
        })
        .collect();
    logs.sort_by(|a, b| a.container.cmp(&b.container));
    logs
}

/// The report of a finished run: results with what was kept of each, and
/// the capture files found in the report directory.
pub(crate) fn suite_report(
    scenarios: &[Scenario],
    results: &[ScenarioResult],
    kept: HashMap<usize, Kept>,
    started: SystemTime,
    duration: Duration,
    filtered_out: usize,
    dir: Option<&Path>,
) -> SuiteReport {
    let mut report = SuiteReport::from_results(scenarios, results, duration, filtered_out);
    report.started = Some(started);
    let mut kept = kept;
    let mut ordered: Vec<&ScenarioResult> = results.iter().collect();
    ordered.sort_by_key(|r| r.index);
    for (s, r) in report.scenarios.iter_mut().zip(ordered) {
        if let Some(k) = kept.remove(&r.index) {
            s.topology_svg = k.svg;
            s.logs = k.logs;
        }
        if let Some(dir) = dir {
            s.captures = captures_in(dir, &crate::graph::file_stem(&s.file));
        }
    }
    report
}

/// Writes `dir/index.html`; returns its path.
pub(crate) fn write_index(dir: &Path, report: &SuiteReport) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("index.html");
    std::fs::write(&path, super::html::render(report))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_scenarios_captures_sit_beside_its_svg_where_the_page_finds_them() {
        let dir = std::env::temp_dir().join(format!("netrig-keep-{}", std::process::id()));
        let caps = dir.join("caps");
        std::fs::create_dir_all(&caps).unwrap();
        let web = caps.join("web.pcap");
        std::fs::write(&web, b"pcap").unwrap();
        let report = dir.join("report");
        std::fs::create_dir_all(&report).unwrap();
        let scenario = "tests/scenarios/04-two tiers.rhai";
        assert_eq!(
            report_captures(&report, scenario, std::slice::from_ref(&web)),
            [(web.clone(), report.join("04-two_tiers-web.pcap"))]
        );
        assert!(keep_captures(&report, scenario, &[web]).is_empty());
        assert_eq!(
            captures_in(&report, "04-two_tiers"),
            ["04-two_tiers-web.pcap"]
        );
        let missing = keep_captures(&report, scenario, &[caps.join("gone.pcap")]);
        assert!(
            missing[0].contains("could not keep the capture"),
            "{missing:?}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
