//! `netrig test`: scenario scripts as a test suite (the suite runner is
//! `harness`).

use std::path::{Path, PathBuf};

use super::Context;
use crate::cli::TestArgs;
use crate::error::Result;
use crate::harness::outcome::Status;
use crate::harness::{self, Finished};
use crate::rig::report::note;

/// `netrig test [PATHS…]`.
pub(crate) fn execute(ctx: &Context, args: &TestArgs) -> Result {
    let suite = harness::TestArgs {
        paths: args.paths.clone(),
        jobs: args.jobs.map(usize::from),
        junit: args.junit.clone(),
        filter: args.filter.clone(),
        keep_failed: args.keep_failed,
        timeout: args.timeout,
        show_output: args.show_output,
        docker: ctx.docker.clone(),
        allow_host_access: args.allow_host_access,
        capture: args.capture.clone(),
    };
    match &args.report {
        Some(dir) => harness::run_tests_with(&ctx.runtime, &suite, &|f| write_report(f, dir)),
        None => harness::run_tests(&ctx.runtime, &suite),
    }
}

/// `netrig test --report DIR`: one scenario's topology as it ended, before
/// teardown, and (with `--capture`) a failed one's captures beside it.
fn write_report(f: &Finished<'_>, dir: &Path) {
    write_report_svg(f, dir);
    if f.status != Status::Passed {
        for (from, to) in report_captures(dir, &f.scenario.file, f.captures) {
            if let Err(e) = std::fs::copy(&from, &to) {
                note(format!(
                    "could not keep the capture {} as {}: {e}",
                    from.display(),
                    to.display()
                ));
            }
        }
    }
}

/// Where the report keeps a failed scenario's captures: beside its SVG, as
/// `<dir>/<scenario>.<container>.pcap`, so `<scenario>.*.pcap` lists them.
pub(crate) fn report_captures(
    dir: &Path,
    scenario: &str,
    captures: &[PathBuf],
) -> Vec<(PathBuf, PathBuf)> {
    let stem = crate::graph::file_stem(scenario);
    captures
        .iter()
        .filter_map(|from| {
            let name = from.file_name()?.to_str()?;
            Some((from.clone(), dir.join(format!("{stem}.{name}"))))
        })
        .collect()
}

fn write_report_svg(f: &Finished<'_>, dir: &Path) {
    let written = f.runtime.block_on(crate::graph::write_session_svg(
        &f.rig.session,
        dir,
        &f.scenario.file,
    ));
    if let Err(e) = written {
        note(format!(
            "could not draw the topology of {}: {e}",
            f.scenario.file
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_scenarios_captures_sit_beside_its_svg() {
        let kept = report_captures(
            Path::new("report"),
            "tests/scenarios/04-two tiers.rhai",
            &[PathBuf::from("caps/04-two_tiers/web.pcap")],
        );
        assert_eq!(
            kept,
            [(
                PathBuf::from("caps/04-two_tiers/web.pcap"),
                PathBuf::from("report/04-two_tiers.web.pcap")
            )]
        );
    }
}
