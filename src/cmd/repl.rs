//! `netrig` with no subcommand: the REPL on a terminal; input that is not a
//! terminal (`netrig < scenario.rhai`) runs as a script, exit code and all.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use super::Context;
use super::run::{RunOptions, run_source};
use crate::error::{Error, Result};

/// `netrig [--keep]`.
pub(crate) fn execute(ctx: &Context, keep: bool) -> Result {
    if std::io::stdin().is_terminal() {
        let client = ctx.connect()?;
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
