//! A run: the session that creates, names, labels and removes what one
//! `netrig run` (or REPL session, or `netrig test` scenario) makes.
//!
//! - `session`: the [`RunSession`] itself — its state, and the one place
//!   every creation passes through.
//! - `access`: what a request asks of the host, and the run's policy on it.
//! - `teardown`: the label-driven removal engine (teardown, the reaper).
//! - `leftovers`: the scan of the daemon for runs left behind (`netrig clean`).
//! - `names`, `labels`: script names to Docker names; the label keys.

pub(crate) mod access;
pub(crate) mod labels;
pub(crate) mod leftovers;
pub(crate) mod names;
pub(crate) mod session;
pub(crate) mod teardown;

pub(crate) use session::{ResourceKind, RunSession};
pub(crate) use teardown::TeardownReport;
