//! netrig's integration tests, in one crate so the suite links once.
//! One module per area; all of them drive the real `netrig` binary (or the
//! library) against the real Docker daemon and check effects from outside,
//! through `support`.
//!
//! Every module's tests run in this one process, two at a time across
//! modules (before, each file was a binary of its own and the binaries ran
//! one after another). Resource names carry a per-module prefix so tests
//! never collide. A test that touches the daemon starts with
//! `let _daemon = daemon_shared();`; the two that put the host's daemon into
//! swarm mode take it exclusively instead (`swarm::HostSwarm`), since
//! joining and leaving a swarm rewrites the daemon's iptables and networks
//! under everyone else. The seed scripts' fixed names and port keep their
//! own lock (`seed_scripts::SERIAL`).

mod support;

mod answers;
mod api;
mod bad_input;
mod batch;
mod capture;
mod checks;
mod compose;
mod daemon_loss;
mod errors;
mod explain;
mod faults;
mod lifecycle;
mod observe;
mod params;
mod pool;
mod probe;
mod reliability;
mod repl;
mod repl_habits;
mod report;
mod scale;
mod seed_scripts;
mod swarm;
mod test_command;
mod tools;
mod topology;
