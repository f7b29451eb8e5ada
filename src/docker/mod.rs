//! The Docker layer: netrig's own specs and operations over bollard, the
//! run labels and the run session with its teardown. No Rhai types here.

pub mod batch;
pub mod client;
pub mod container;
pub mod error;
pub mod exec;
pub mod failure;
pub mod faults;
pub mod firewall;
pub mod hosts;
pub mod image;
pub mod impair;
pub mod labels;
pub mod names;
pub mod netns;
pub mod network;
pub mod partition;
pub mod ping;
pub mod policy;
pub mod pool;
pub mod ports;
pub mod service;
pub mod session;
pub mod spec;
pub mod ssh;
pub mod swarm;
pub mod topology;
pub mod watch;

pub use batch::BatchError;
pub use client::Client;
pub use container::{ContainerAddresses, ContainerRef, ContainerSummary};
pub use error::DockerError;
pub use exec::ExecOutput;
pub use faults::{FaultSummary, Faults, Scope};
pub use impair::Impairment;
pub use network::{NetworkRef, NetworkSummary};
pub use ping::PingReport;
pub use session::{RunSession, TeardownReport};
pub use spec::{ConnectSpec, NetworkSpec, RunSpec};
