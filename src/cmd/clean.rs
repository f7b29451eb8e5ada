//! `netrig clean`: remove what finished or killed runs left on one daemon
//! (only resources labelled `netrig.managed`, and a swarm a run started).

use super::Context;
use crate::cli::CleanArgs;
use crate::docker::Client;
use crate::docker::run::labels;
use crate::docker::run::leftovers::{LeftoverRun, leftover_runs};
use crate::docker::run::teardown::remove_labelled;
use crate::error::{Error, Result};
use crate::rig::report::{self, note};

/// `netrig clean [--run ID] [--all] [--dry-run]`.
pub(crate) fn execute(ctx: &Context, args: &CleanArgs) -> Result {
    let runtime = &ctx.runtime;
    let client = ctx.connect()?;
    let runs = runtime.block_on(leftover_runs(&client))?;
    let run = args.run.as_deref();
    let (chosen, skipped): (Vec<_>, Vec<_>) = runs.into_iter().partition(|r| match run {
        Some(id) => r.run_id == id,
        None => args.all || !r.alive,
    });
    for r in &skipped {
        if run.is_none() {
            note(format!(
                "left run {} ({}) alone: its netrig is still running (use --all or --run {} to remove it anyway)",
                r.run_id, r.script, r.run_id
            ));
        }
    }
    // One daemon per call: a run that also used others (docker::connect) left things there too.
    let elsewhere = format!(
        "this looked at {} only; for another daemon a run used (docker::connect), add --host URL",
        client.host()
    );
    if chosen.is_empty() {
        match run {
            Some(id) => note(format!(
                "nothing of run {id} is left on the daemon ({elsewhere})"
            )),
            None => note(format!("nothing to clean ({elsewhere})")),
        }
        return Ok(());
    }
    println!("{}", table(&chosen));
    for r in chosen.iter().filter(|r| r.swarm) {
        note(format!(
            "run {} started the swarm of {}{}",
            r.run_id,
            client.host(),
            if args.dry_run { "" } else { "; leaving it" }
        ));
    }
    if args.dry_run {
        note("dry run: nothing removed");
        return Ok(());
    }
    let clean = remove(ctx, &client, &chosen);
    note(elsewhere);
    if clean {
        Ok(())
    } else {
        // What could not be removed has been reported, with how to retry.
        Err(Error::Reported)
    }
}

/// The runs to remove, a row each: run, script, (services), containers, networks.
fn table(chosen: &[LeftoverRun]) -> String {
    let with_services = chosen.iter().any(|r| !r.services.is_empty());
    let rows: Vec<Vec<String>> = chosen
        .iter()
        .map(|r| {
            let mut row = vec![r.run_id.clone(), r.script.clone()];
            if with_services {
                row.push(r.services.join(", "));
            }
            row.push(r.containers.join(", "));
            row.push(r.networks.join(", "));
            row
        })
        .collect();
    let headers: Vec<String> = ["run", "script"]
        .into_iter()
        .chain(with_services.then_some("services"))
        .chain(["containers", "networks"])
        .map(String::from)
        .collect();
    crate::table::render(&headers, &rows)
}

/// Removes the chosen runs (and a swarm one of them started) and reports;
/// false when something stayed.
fn remove(ctx: &Context, client: &Client, chosen: &[LeftoverRun]) -> bool {
    let runtime = &ctx.runtime;
    let reports = runtime.block_on(futures_util::future::join_all(chosen.iter().map(|r| {
        let filter = format!("{}={}", labels::RUN, r.run_id);
        async move { remove_labelled(client, &filter).await }
    })));
    let mut clean = true;
    for (r, teardown) in chosen.iter().zip(&reports) {
        report::teardown(teardown, &r.run_id);
        clean &= teardown.is_clean();
    }
    if chosen.iter().any(|r| r.swarm) {
        match runtime.block_on(crate::docker::swarm::hosts::leave_netrig_swarm(client)) {
            Ok(()) => note(format!("left the swarm on {}", client.host())),
            Err(e) => {
                note(format!("could not leave the swarm: {e}"));
                clean = false;
            }
        }
    }
    clean
}
