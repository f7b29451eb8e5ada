//! `netrig defs [DIR]`: Rhai definition files for editors, written from the
//! engine a script runs with (no daemon is contacted).

use super::Context;
use crate::cli::DefsArgs;
use crate::docker::{Client, RunSession};
use crate::error::{Error, Result};
use crate::rig::Rig;
use crate::rig::report::note;

/// `netrig defs [DIR]`.
pub(crate) fn execute(ctx: &Context, args: &DefsArgs) -> Result {
    let client = Client::detached(&ctx.docker)?;
    let rig = Rig::with_session(
        ctx.runtime.handle(),
        RunSession::new(client, "defs"),
        std::path::PathBuf::from("."),
        false,
    );
    let written = crate::defs::write(&rig.engine, &rig.scope(), &args.dir).map_err(|e| {
        Error::Usage(format!(
            "cannot write definition files into {}: {e}",
            args.dir.display()
        ))
    })?;
    note(format!(
        "wrote {} into {}; point the Rhai language server at them (README: Editor support)",
        crate::text::plural(written.len(), "definition file"),
        args.dir.display()
    ));
    Ok(())
}
