//! `netrig test`: scenario scripts as a test suite (the suite runner is
//! `harness`).

use super::Context;
use crate::cli::{TestArgs, TestFormat};
use crate::error::Result;
use crate::harness;
use crate::script::params::Params;

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
        params: Params::shared(args.set.iter().cloned()),
        report: args.report.clone(),
        json: args.format == TestFormat::Json,
        capture: args.capture.clone(),
    };
    harness::run_tests(&ctx.runtime, &suite)
}
