//! `netrig man [DIR]`: the man pages, made from the command line's own
//! definition (nothing installs them; the README says where they go).

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::error::{Error, Result};
use crate::rig::report::note;

/// `netrig man [DIR]`.
pub(crate) fn execute(args: &ManArgs) -> Result {
    match &args.dir {
        None => std::io::stdout()
            .write_all(&crate::completions::man_page(Cli::command()))
            .map_err(|e| Error::Failed(format!("cannot write the man page: {e}"))),
        Some(dir) => {
            let pages = crate::completions::write_man_pages(Cli::command(), dir).map_err(|e| {
                Error::Usage(format!(
                    "cannot write man pages into {}: {e}",
                    dir.display()
                ))
            })?;
            note(format!(
                "wrote {} into {} (`man -l {}` shows one)",
                crate::text::plural(pages.len(), "man page"),
                dir.display(),
                dir.join("netrig.1").display()
            ));
            Ok(())
        }
    }
}
