//! netrig's integration tests, in one crate so the suite links once.
//! One module per area; all of them drive the real `netrig` binary (or the
//! library) against the real Docker daemon and check effects from outside,
//! through `support`.
//!
//! Every module's tests run in this one process, two at a time across
//! modules. Resource names carry a per-module prefix so tests never collide;
//! what needs the daemon to itself holds a lock: the host's swarm mode
//! (`swarm::HostSwarm`) and the seed scripts' fixed names and port
//! (`seed_scripts::SERIAL`).

mod support;

mod api;
mod bad_input;
mod batch;
mod errors;
mod faults;
mod lifecycle;
mod reliability;
mod repl;
mod seed_scripts;
mod swarm;
mod test_command;
mod topology;
