//! `netrig completions SHELL`: the script that makes the shell ask netrig
//! for completions (see `crate::completions`).

use std::io::Write;

use crate::cli::CompletionsArgs;
use crate::error::{Error, Result};

/// `netrig completions SHELL`.
pub(crate) fn execute(args: &CompletionsArgs) -> Result {
    let argv0 = std::env::args_os()
        .next()
        .unwrap_or_else(|| "netrig".into());
    let script =
        crate::completions::registration(&args.shell, &crate::completions::completer_path(&argv0))
            .map_err(Error::Usage)?;
    std::io::stdout()
        .write_all(script.as_bytes())
        .map_err(|e| Error::Failed(format!("cannot write the completion script: {e}")))
}
