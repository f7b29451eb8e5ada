//! The Docker layer: netrig's own specs and operations over bollard, the
//! run labels and the run session with its teardown. No Rhai types here.
//!
//! Flat files are one Docker resource each (containers, networks, images,
//! exec, ping, ports); the folders are subsystems: `run/` (the run session,
//! teardown, leftovers, names, labels), `faults/` (partitions, impairments,
//! node failures inside containers' namespaces) and `swarm/` (membership,
//! services, runs across several daemons).

pub(crate) mod batch;
pub(crate) mod client;
pub(crate) mod container;
pub(crate) mod error;
pub(crate) mod exec;
pub(crate) mod explain;
pub(crate) mod faults;
pub(crate) mod image;
pub(crate) mod liveness;
pub(crate) mod network;
pub(crate) mod ping;
pub(crate) mod pool;
pub(crate) mod ports;
pub(crate) mod process;
pub(crate) mod run;
pub(crate) mod spec;
pub(crate) mod ssh;
pub(crate) mod swarm;
pub(crate) mod topology;
pub(crate) mod watch;

pub(crate) use batch::BatchError;
pub(crate) use client::{Client, ClientOptions, Started};
pub(crate) use container::{ContainerAddresses, ContainerSummary};
pub(crate) use error::DockerError;
pub(crate) use exec::ExecOutput;
pub(crate) use faults::impair::Impairment;
pub(crate) use faults::{FaultSummary, Faults, Scope};
pub(crate) use network::NetworkSummary;
pub(crate) use ping::PingReport;
pub(crate) use run::{ResourceKind, RunSession, TeardownReport};
