//! `netrig` with no subcommand: the REPL on a terminal; input that is not a
//! terminal (`netrig < scenario.rhai`) runs as a script, exit code and all.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use super::Context;
use super::run::{RunOptions, run_source};
use crate::docker::ClientOptions;
use crate::docker::explain::Explainer;
use crate::error::{Error, Result};

/// `netrig [--keep]`.
pub(crate) fn execute(ctx: &Context, keep: bool) -> Result {
    if std::io::stdin().is_terminal() {
        // Off until `:explain on`; the switch is shared by every client of the session.
        let options = ClientOptions {
            explain: Explainer::to_stderr(false),
            ..ctx.docker.clone()
        };
        let client = crate::rig::connect(&ctx.runtime, &options)?;
        options.explain.set_default_host(client.host());
        return crate::repl::run(&ctx.runtime, client, keep);
    }
    let mut source = String::new();
    std::io::stdin()
        .read_to_string(&mut source)
        .map_err(|e| Error::Usage(format!("cannot read standard input: {e}")))?;
    let options = RunOptions {
        keep,
        ..RunOptions::default()
    };
    run_source(ctx, "<stdin>", &source, PathBuf::from("."), &options)
}
