//! netrig: Docker networking, scripted in Rhai.
//!
//! Layers, top to bottom: `cli` → `runner` / `repl` → `script` (Rhai) →
//! `docker` (bollard). Dependencies point down only; `diagnostic`,
//! `progress` and `table` are how results and errors are shown to people.

#![warn(missing_docs)]

pub mod cli;
pub mod compose;
pub mod diagnostic;
pub mod docker;
pub mod graph;
pub mod harness;
pub mod progress;
pub mod reaper;
pub mod repl;
pub mod runner;
pub mod script;
pub mod setup;
pub mod table;
