//! netrig: Docker networking, scripted in Rhai.
//!
//! Layers, top to bottom: `cli` (the command line's types) → `cmd` (one
//! file per command) → `rig` (the run loop), `harness` (`netrig test`),
//! `repl` → `script` (Rhai) → `docker` (bollard) and, beside it, `probe`
//! (checks made from inside a container's network namespace; no Rhai, no
//! bollard). Dependencies point down only. Beside them: `error` (the one
//! error, its exit code), `stop` (why a run stops early), `daemon_args`
//! (how to reach the daemon, from the command line and the environment),
//! and `diagnostic`, `progress`, `table`, `text`: how results and errors
//! are shown to people.

pub(crate) mod capture;
pub(crate) mod cgroup;
pub(crate) mod cli;
pub(crate) mod cmd;
pub(crate) mod completions;
pub(crate) mod compose;
pub(crate) mod daemon_args;
pub(crate) mod defs;
pub(crate) mod diagnostic;
pub(crate) mod docker;
pub(crate) mod error;
pub(crate) mod graph;
pub(crate) mod harness;
pub(crate) mod probe;
pub(crate) mod progress;
pub(crate) mod reaper;
pub(crate) mod repl;
pub(crate) mod rig;
pub(crate) mod script;
pub(crate) mod stop;
pub(crate) mod table;
pub(crate) mod text;
pub(crate) mod trace;

pub use cmd::main;

/// What the fuzz target (`fuzz/`), the benchmark (`benches/scale.rs`) and
/// the integration tests (`tests/it/`) reach inside netrig: the library
/// exists for the binary, so everything else stays `pub(crate)`. Not an API.
#[doc(hidden)]
pub mod tools {
    pub use crate::capture::{Capture, CaptureOptions, CaptureSet, CaptureTarget};
    pub use crate::compose::export::{
        Attachment, ModelContainer, ModelNetwork, RunModel, to_compose,
    };
    pub use crate::compose::gather::gather;
    pub use crate::daemon_args::DaemonArgs;
    pub use crate::docker::client::{Client, ClientOptions};
    pub use crate::docker::error::DockerError;
    pub use crate::docker::explain::{DockerOp, explain};
    pub use crate::docker::network::NetworkRef;
    pub use crate::docker::pool::SubnetPool;
    pub use crate::docker::pool::alloc::{Allocator, Observer, PoolEvent};
    pub use crate::docker::pool::book::WhenFull;
    pub use crate::docker::ports::parse_publish;
    pub use crate::docker::run::session::RunSession;
    pub use crate::docker::run::teardown::remove_labelled;
    pub use crate::docker::spec::{ConnectSpec, EndpointSpec, HealthSpec, NetworkSpec, RunSpec};
    pub use crate::docker::watch::{DaemonLoss, DaemonWatch, PING_EVERY};
    pub use crate::error::Error;
    pub use crate::graph::{Format, session_graph, write_run_svg};
    pub use crate::harness::outcome::Status;
    pub use crate::harness::{TestArgs, run_tests_with};
    pub use crate::script::convert::{
        CONNECT_OPTIONS, NETWORK_OPTIONS, RUN_OPTIONS, connect_spec, network_spec, run_spec,
    };
    pub use crate::script::service::{SERVICE_OPTIONS, service_spec};
    pub use crate::script::swarm::{INIT_OPTIONS, JOIN_OPTIONS, init_spec, join_spec};

    /// The probe layer, for its integration tests and `benches/checks.rs`.
    pub mod probe {
        pub use crate::probe::*;
    }
}
