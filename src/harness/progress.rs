//! The suite's progress lines beside the per-scenario report: the subnet
//! pool's waits, and where a line goes when stdout carries JSON.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::docker::pool::SubnetPool;
use crate::docker::pool::alloc::{Observer, PoolEvent};
use crate::text::plural;

/// The progress lines for the pool: a scenario that waits for subnets, goes
/// on, or is stopped to free its subnets and run again.
pub(super) fn pool_notes(
    names: Arc<Mutex<HashMap<String, String>>>,
    pool: SubnetPool,
    json: bool,
) -> Observer {
    Arc::new(move |event: &PoolEvent| {
        let name = |run: &str| {
            names
                .lock()
                .expect("names poisoned")
                .get(run)
                .cloned()
                .unwrap_or_else(|| run.to_string())
        };
        let line = match event {
            PoolEvent::Waiting { run, needed } => format!(
                "{:<7} {}  needs {} and netrig's subnet pool {pool} is full: waiting for another scenario's teardown",
                "wait",
                name(run),
                plural(*needed, "subnet")
            ),
            PoolEvent::Resumed { run } => format!("{:<7} {}  got its subnets", "go on", name(run)),
            PoolEvent::Evicted { run } => format!(
                "{:<7} {}  stopped: scenarios waited for each other's subnets; it runs again once they are done",
                "again",
                name(run)
            ),
        };
        say(json, line);
    })
}

/// A line of the text report: on stdout, or on stderr when stdout carries
/// the JSON document.
pub(super) fn say(json: bool, text: impl std::fmt::Display) {
    if json {
        eprintln!("{text}");
    } else {
        println!("{text}");
    }
}
