//! netrig: Docker networking, scripted in Rhai.
//!
//! Layers, top to bottom: `cli` (the command line's types) → `cmd` (one
//! file per command) → `rig` (the run loop), `harness` (`netrig test`),
//! `repl` → `script` (Rhai) → `docker` (bollard). Dependencies point down
//! only. Beside them: `error` (the one error, its exit code), `stop` (why
//! a run stops early), `daemon_args` (how to reach the daemon, from the
//! command line and the environment), and `diagnostic`, `progress`,
//! `table`, `text`: how results and errors are shown to people.

#![warn(missing_docs)]

pub mod cli;
pub mod cmd;
pub mod compose;
pub mod daemon_args;
pub mod diagnostic;
pub mod docker;
pub mod error;
pub mod graph;
pub mod harness;
pub mod progress;
pub mod reaper;
pub mod repl;
pub mod rig;
pub mod script;
pub mod stop;
pub mod table;
pub mod text;
