//! `netrig reap --pid P` (hidden): the companion process `reaper` starts;
//! it cleans up after a netrig that died.

use super::Context;
use crate::cli::ReapArgs;
use crate::error::{Error, Result};

/// Waits for the parent's pipe to close; reaps unless it said it ended on purpose.
pub(crate) fn execute(ctx: &Context, args: &ReapArgs) -> Result {
    if crate::reaper::parent_ended_on_purpose() {
        return Ok(());
    }
    let client = ctx.connect()?;
    if ctx.runtime.block_on(crate::reaper::reap(&client, args.pid)) {
        Ok(())
    } else {
        Err(Error::Failed(format!(
            "could not remove everything netrig process {} left",
            args.pid
        )))
    }
}
