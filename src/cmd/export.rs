//! `netrig export --compose --run ID -o FILE`: what a kept run made, as a
//! Compose file for people who do not use netrig.

use super::Context;
use crate::cli::ExportArgs;
use crate::compose::gather::compose_file;
use crate::error::{Error, Result};
use crate::rig::report::note;

/// Writes run `args.run`'s networks and containers as a Compose file.
pub(crate) fn execute(ctx: &Context, args: &ExportArgs) -> Result {
    let client = ctx.connect()?;
    let export = ctx.runtime.block_on(compose_file(&client, &args.run))?;
    if export.containers == 0 && export.networks == 0 {
        return Err(Error::Failed(format!(
            "nothing of run {} is on the daemon (was it run with --keep? `netrig clean --dry-run` lists the runs left)",
            args.run
        )));
    }
    for n in &export.notes {
        note(n);
    }
    if args.output.as_os_str() == "-" {
        print!("{}", export.text);
        return Ok(());
    }
    std::fs::write(&args.output, &export.text)
        .map_err(|e| Error::Usage(format!("cannot write {}: {e}", args.output.display())))?;
    note(export.summary(&args.output));
    Ok(())
}
