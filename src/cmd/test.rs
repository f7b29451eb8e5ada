//! `netrig test`: scenario scripts as a test suite (the suite runner is
//! `harness`).

use super::Context;
use crate::cli::TestArgs;
use crate::error::Result;
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
    };
    match &args.report {
        Some(dir) => harness::run_tests_with(&ctx.runtime, &suite, &|f| write_report_svg(f, dir)),
        None => harness::run_tests(&ctx.runtime, &suite),
    }
}

/// `netrig test --report DIR`: one scenario's topology as it ended, before teardown.
fn write_report_svg(f: &Finished<'_>, dir: &std::path::Path) {
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
