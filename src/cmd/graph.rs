//! `netrig graph`: draw the live topology of one run, of everything netrig
//! manages, or of the whole daemon.

use super::Context;
use crate::cli::GraphArgs;
use crate::docker::topology::TopologyScope;
use crate::error::{Error, Result};
use crate::graph::{Format, render};
use crate::rig::report::note;
use crate::text::plural;

/// `netrig graph [--run ID | --all] [--format F] [-o FILE]`.
pub(crate) fn execute(ctx: &Context, args: &GraphArgs) -> Result {
    let scope = match (&args.run, args.all) {
        (Some(id), _) => TopologyScope::Run(id.clone()),
        (None, true) => TopologyScope::All,
        (None, false) => TopologyScope::Managed,
    };
    let format = args
        .format
        .or_else(|| args.output.as_deref().and_then(Format::from_extension))
        .unwrap_or(Format::Mermaid);
    let client = ctx.connect()?;
    let topology = ctx.runtime.block_on(client.topology(&scope))?;
    if let (true, TopologyScope::Run(id)) = (topology.is_empty(), &scope) {
        return Err(Error::Failed(format!(
            "nothing of run {id} is on the daemon (was it run with --keep? `netrig clean --dry-run` lists the runs left)"
        )));
    }
    let text = render(&topology, format);
    let Some(path) = &args.output else {
        print!("{text}");
        return Ok(());
    };
    std::fs::write(path, text)
        .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?;
    note(format!(
        "wrote the {format} graph of {} ({}, {}) to {}",
        scope.describe(),
        plural(topology.networks.len(), "network"),
        plural(topology.containers.len(), "container"),
        path.display()
    ));
    Ok(())
}
