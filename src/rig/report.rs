//! What netrig says about a run's resources when the run ends: what
//! teardown removed and what it could not, what `--keep` (or
//! `--keep-failed`) kept and the commands to look at and remove it. Every
//! such text is here, so `run`, `test`, `clean` and the REPL say the same
//! things the same way.

use std::io::Write;

use crate::docker::run::labels;
use crate::docker::{RunSession, TeardownReport};
use crate::text::plural;

/// Prints a line from netrig itself (not from the script) on stderr:
/// `netrig: …`. A closed stderr (the terminal went away) is ignored, so
/// the cleanup that follows still happens.
pub(crate) fn note(text: impl AsRef<str>) {
    let _ = writeln!(std::io::stderr(), "netrig: {}", text.as_ref());
}

/// Prints what a teardown did (nothing when there was nothing to do).
pub(crate) fn teardown(report: &TeardownReport, run_id: &str) {
    for line in teardown_lines(report, run_id) {
        note(line);
    }
}

/// What a teardown did, a line each: what went, the swarm left, what could
/// not be removed and how to remove it later.
pub(crate) fn teardown_lines(report: &TeardownReport, run_id: &str) -> Vec<String> {
    let mut lines = Vec::new();
    lines.extend(removed(report));
    if !report.swarms_left.is_empty() {
        lines.push(format!(
            "left the swarm the run had started or joined on {}",
            report.swarms_left.join(", ")
        ));
    }
    for failure in &report.failures {
        lines.push(format!("could not remove: {failure}"));
    }
    if !report.is_clean() {
        lines.extend(leftover_hints(run_id, &report.other_hosts));
    }
    lines
}

/// `removed 2 containers, 1 network in 0.41 s` (`… on 2 daemons …` when
/// the run used others), or `None` when nothing was removed.
pub(crate) fn removed(report: &TeardownReport) -> Option<String> {
    if report.services.is_empty() && report.containers.is_empty() && report.networks.is_empty() {
        return None;
    }
    let on = if report.other_hosts.is_empty() {
        String::new()
    } else {
        format!(" on {} daemons", report.other_hosts.len() + 1)
    };
    Some(format!(
        "removed {}{on} in {:.2} s",
        report.summary(),
        report.elapsed.as_secs_f64()
    ))
}

/// `removed 2 containers (db, web) and 1 network (front) in 0.41 s`: with
/// the names, for the REPL, where people created them one by one. `None`
/// when nothing was removed.
pub(crate) fn removed_by_name(report: &TeardownReport) -> Option<String> {
    let mut parts = Vec::new();
    for (names, word) in [
        (&report.services, "service"),
        (&report.containers, "container"),
        (&report.networks, "network"),
    ] {
        if !names.is_empty() {
            let mut sorted = names.clone();
            sorted.sort();
            parts.push(format!(
                "{} ({})",
                plural(names.len(), word),
                sorted.join(", ")
            ));
        }
    }
    (!parts.is_empty()).then(|| {
        format!(
            "removed {} in {:.2} s",
            parts.join(" and "),
            report.elapsed.as_secs_f64()
        )
    })
}

/// How to remove what teardown left: on this daemon and on each other one
/// the run used.
pub(crate) fn leftover_hints(run_id: &str, other_hosts: &[String]) -> Vec<String> {
    std::iter::once(format!(
        "remove what is left with: netrig clean --run {run_id}"
    ))
    .chain(
        other_hosts
            .iter()
            .map(|host| format!("and on {host} with: netrig clean --run {run_id} --host {host}")),
    )
    .collect()
}

/// The names of what the run created and still holds (what the script
/// removed itself is not listed).
pub(crate) fn created_names(session: &RunSession) -> Vec<String> {
    session.created().into_iter().map(|c| c.name).collect()
}

/// With `--keep`: what stays (`names`, on the run's own daemon), on the
/// other daemons and in swarms, and how to remove each.
pub(crate) fn kept(session: &RunSession, names: &[String]) {
    let run_id = session.run_id();
    if !names.is_empty() {
        note(format!(
            "kept {} of run {run_id} ({}); remove them with: netrig clean --run {run_id}",
            plural(names.len(), "resource"),
            names.join(", ")
        ));
    }
    let others = session.other_hosts();
    for host in &others {
        let created = created_names(host);
        if !created.is_empty() {
            let url = host.client().host();
            note(format!(
                "kept {} on {url} ({}); remove them with: netrig clean --run {run_id} --host {url}",
                plural(created.len(), "resource"),
                created.join(", "),
            ));
        }
    }
    for s in std::iter::once(session).chain(others.iter().map(|s| s.as_ref())) {
        if s.membership().is_some() {
            let host = s.client().host();
            note(format!(
                "kept the swarm this run started or joined on {host}; leave it with: docker -H {host} swarm leave --force"
            ));
        }
    }
}

/// `netrig test --keep-failed`: what a failed scenario left, and the
/// commands to look at it, step into it and remove it.
pub(crate) fn kept_for_inspection(
    run_id: &str,
    containers: &[String],
    networks: &[String],
) -> Vec<String> {
    if containers.is_empty() && networks.is_empty() {
        return vec![format!("run {run_id} left nothing to keep")];
    }
    let mut notes = vec![format!(
        "kept run {run_id}: containers [{}], networks [{}]",
        containers.join(", "),
        networks.join(", ")
    )];
    notes.push(format!(
        "  look:   docker ps -a --filter label={}={run_id}",
        labels::RUN
    ));
    if let Some(net) = networks.first() {
        notes.push(format!("          docker network inspect {net}"));
    }
    if let Some(ctr) = containers.first() {
        notes.push(format!("  enter:  docker exec -it {ctr} sh"));
    }
    notes.push(format!("  remove: netrig clean --run {run_id}"));
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn report() -> TeardownReport {
        TeardownReport {
            containers: vec!["web".into(), "db".into()],
            networks: vec!["front".into()],
            elapsed: Duration::from_millis(410),
            ..Default::default()
        }
    }

    #[test]
    fn removed_by_name_names_what_went() {
        assert_eq!(
            removed_by_name(&report()).unwrap(),
            "removed 2 containers (db, web) and 1 network (front) in 0.41 s"
        );
        assert_eq!(removed_by_name(&TeardownReport::default()), None);
    }

    #[test]
    fn teardown_lines_say_what_went_and_how_to_remove_the_rest() {
        assert_eq!(
            teardown_lines(&report(), "r1"),
            vec!["removed 2 containers, 1 network in 0.41 s"]
        );
        assert!(teardown_lines(&TeardownReport::default(), "r1").is_empty());
        let partial = TeardownReport {
            failures: vec!["network front: in use".into()],
            other_hosts: vec!["tcp://b:2375".into()],
            ..report()
        };
        assert_eq!(
            teardown_lines(&partial, "r1"),
            vec![
                "removed 2 containers, 1 network on 2 daemons in 0.41 s",
                "could not remove: network front: in use",
                "remove what is left with: netrig clean --run r1",
                "and on tcp://b:2375 with: netrig clean --run r1 --host tcp://b:2375",
            ]
        );
    }

    #[test]
    fn kept_for_inspection_gives_the_commands() {
        let notes = kept_for_inspection("r1", &["r1-web".into()], &["r1-net".into()]);
        assert_eq!(
            notes[0],
            "kept run r1: containers [r1-web], networks [r1-net]"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("docker exec -it r1-web sh"))
        );
        assert_eq!(notes.last().unwrap(), "  remove: netrig clean --run r1");
        assert_eq!(
            kept_for_inspection("r1", &[], &[]),
            vec!["run r1 left nothing to keep"]
        );
    }
}
