//! The Docker layer: netrig's own specs and operations over bollard, the
//! run labels and the run session with its teardown. No Rhai types here.
//!
//! Flat files are one Docker resource each (containers, networks, images,
//! exec, ping, ports); the folders are subsystems: `run/` (the run session,
//! teardown, leftovers, names, labels), `faults/` (partitions, impairments,
//! node failures inside containers' namespaces) and `swarm/` (membership,
//! services, runs across several daemons).

pub mod batch;
pub mod client;
pub mod container;
pub mod error;
pub mod exec;
pub mod faults;
pub mod image;
pub mod network;
pub mod ping;
pub mod ports;
pub mod run;
pub mod spec;
pub mod ssh;
pub mod swarm;
pub mod topology;

pub use batch::BatchError;
pub use client::{Client, ClientOptions, Notes};
pub use container::{ContainerAddresses, ContainerRef, ContainerSummary};
pub use error::DockerError;
pub use exec::ExecOutput;
pub use faults::impair::Impairment;
pub use faults::{FaultSummary, Faults, Scope};
pub use network::{NetworkRef, NetworkSummary};
pub use ping::PingReport;
pub use run::{ResourceKind, RunSession, TeardownReport};
pub use spec::{ConnectSpec, NetworkSpec, RunSpec};
