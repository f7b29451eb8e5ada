//! A run: the session that creates, names, labels and removes what one
//! `netrig run` (or REPL session, or `netrig test` scenario) makes.
//!
//! - `session`: the [`RunSession`] itself — its state, and the one place
//!   every creation passes through.
//! - `access`: what a request asks of the host, and the run's policy on it.
//! - `teardown`: the label-driven removal engine (teardown, the reaper).
//! - `leftovers`: the scan of the daemon for runs left behind (`netrig clean`).
//! - `names`, `labels`: script names to Docker names; the label keys.

pub mod access;
pub mod labels;
pub mod leftovers;
pub mod names;
pub mod session;
pub mod teardown;

pub use session::{Created, ResourceKind, RunSession};
pub use teardown::TeardownReport;
