//! The probe layer: checks made by netrig itself from inside a container's
//! network namespace — DNS, TCP, UDP, HTTP, ICMP echo, listeners,
//! throughput and latency — so the container's image needs no tools.
//!
//! It knows containers only by their main process (`pid`) on this machine:
//! [`Netns`] enters `/proc/<pid>/ns/net` on a worker thread that makes the
//! sockets, and tokio drives them on the caller's runtime. No Rhai and no
//! bollard here; where netrig cannot enter (not root, a remote daemon, the
//! host's own namespace) the error is [`ProbeError::Unsupported`] with the
//! reason, so a binding can fall back to the image's tools or fail honestly.

pub mod batch;
pub mod dns;
pub mod error;
pub mod fallback;
pub mod http;
pub mod icmp;
pub mod latency;
pub mod listen;
pub mod netns;
pub mod resolv;
pub mod stats;
pub mod tcp;
pub mod throughput;
pub mod udp;

use std::net::IpAddr;
use std::time::{Duration, Instant};

pub use batch::{Check, Outcome, run_all};
pub use dns::{Resolution, ResolveFailure, ResolveOptions, Source, Unresolved, resolve};
pub use error::ProbeError;
pub use http::{HttpOptions, HttpReport, http};
pub use icmp::{PingOptions, PingReport, ping};
pub use latency::{LatencyOptions, LatencyReport, latency};
pub use listen::{ListenMode, Listener, listen};
pub use netns::{Namespaces, Netns};
pub use resolv::{Hosts, ResolvConf};
pub use stats::Summary;
pub use tcp::{TcpOptions, TcpReport, TcpState, tcp};
pub use throughput::{ThroughputOptions, ThroughputReport, throughput};
pub use udp::{UdpOptions, UdpReport, UdpState, udp};

/// An address family, for checks that should use one only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4 (A records).
    V4,
    /// IPv6 (AAAA records).
    V6,
}

impl Family {
    /// Whether `addr` is of this family.
    pub fn holds(self, addr: IpAddr) -> bool {
        matches!(
            (self, addr),
            (Family::V4, IpAddr::V4(_)) | (Family::V6, IpAddr::V6(_))
        )
    }

    /// `IPv4` or `IPv6`, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }

    /// The family of a script's `family: 4|6` option.
    pub fn from_number(n: i64) -> Option<Family> {
        match n {
            4 => Some(Family::V4),
            6 => Some(Family::V6),
            _ => None,
        }
    }
}

/// Milliseconds since `start`, to a microsecond.
pub(crate) fn elapsed_ms(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// Rejects a zero duration or port, naming the option.
pub(crate) fn positive(action: &str, what: &str, value: Duration) -> Result<(), ProbeError> {
    if value.is_zero() {
        return Err(ProbeError::invalid(
            action,
            format!("{what} must be more than 0 seconds"),
        ));
    }
    Ok(())
}

/// Rejects port 0, which no one can connect to.
pub(crate) fn real_port(action: &str, port: u16) -> Result<(), ProbeError> {
    if port == 0 {
        return Err(ProbeError::invalid(
            action,
            "port must be between 1 and 65535, got 0",
        ));
    }
    Ok(())
}
