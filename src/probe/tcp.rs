//! `tcp`: does a port take connections, as seen from inside a namespace?

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use socket2::{Domain, Type};
use tokio::net::{TcpSocket, TcpStream};

use super::dns::locate;
use super::error::Result;
use super::netns::Netns;
use super::{Family, elapsed_ms, positive, real_port};

/// How long a connection attempt may wait for an answer by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Options of [`tcp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpOptions {
    /// How long to wait for the handshake before calling the port filtered.
    pub timeout: Duration,
    /// Connect over this family only.
    pub family: Option<Family>,
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions {
            timeout: DEFAULT_TIMEOUT,
            family: None,
        }
    }
}

/// What a connection attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpState {
    /// The handshake completed: something accepts connections there.
    Open,
    /// The host answered with a reset: nothing listens on the port.
    Refused,
    /// No answer before the timeout (a firewall dropping, a frozen host),
    /// or a local firewall rule refused to send.
    Filtered,
    /// The network said there is no way there (no route, host unreachable).
    Unreachable,
    /// The target's name gave no address.
    NoSuchName,
}

impl TcpState {
    /// The script's spelling: `open`, `refused`, `filtered`, `unreachable`, `no_such_name`.
    pub fn as_str(self) -> &'static str {
        match self {
            TcpState::Open => "open",
            TcpState::Refused => "refused",
            TcpState::Filtered => "filtered",
            TcpState::Unreachable => "unreachable",
            TcpState::NoSuchName => "no_such_name",
        }
    }

    /// Every state, in the order the docs list them.
    pub const ALL: [TcpState; 5] = [
        TcpState::Open,
        TcpState::Refused,
        TcpState::Filtered,
        TcpState::Unreachable,
        TcpState::NoSuchName,
    ];

    /// The state a script names, if it is one.
    pub fn parse(name: &str) -> Option<TcpState> {
        TcpState::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The outcome of one connection attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct TcpReport {
    /// What the attempt found.
    pub state: TcpState,
    /// The handshake's duration in milliseconds (until the answer, or the
    /// timeout); the resolution before it is not counted.
    pub ms: f64,
    /// The address tried, when the name resolved.
    pub address: Option<SocketAddr>,
    /// Why, in words, when the port is not open.
    pub detail: Option<String>,
}

impl TcpReport {
    /// The port took the connection.
    pub fn ok(&self) -> bool {
        self.state == TcpState::Open
    }
}

/// Connects from inside `ns` to `target` (a name resolved through that
/// side's resolver, or an address) on `port`, then closes at once.
pub async fn tcp(ns: &Netns, target: &str, port: u16, options: &TcpOptions) -> Result<TcpReport> {
    let action = format!("tcp {target}:{port} from {}", ns.label());
    real_port(&action, port)?;
    positive(&action, "timeout", options.timeout)?;
    let addr = match locate(ns, target, options.family, options.timeout).await? {
        Ok(ip) => SocketAddr::new(ip, port),
        Err(unresolved) => {
            return Ok(TcpReport {
                state: TcpState::NoSuchName,
                ms: 0.0,
                address: None,
                detail: Some(unresolved.message),
            });
        }
    };
    let (outcome, ms) = connect(ns, addr, options.timeout).await;
    let (state, detail) = match outcome {
        Ok(_stream) => (TcpState::Open, None),
        Err(Attempt::TimedOut) => (
            TcpState::Filtered,
            Some(format!(
                "no answer from {addr} within {} s",
                options.timeout.as_secs_f64()
            )),
        ),
        Err(Attempt::Failed(e)) => (classify(&e), Some(format!("{addr}: {e}"))),
    };
    Ok(TcpReport {
        state,
        ms,
        address: Some(addr),
        detail,
    })
}

/// Why a connection was not made.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// No answer before the timeout.
    TimedOut,
    /// The kernel said why.
    Failed(io::Error),
}

/// Opens a connection from inside `ns` to `addr`, returning it and the
/// handshake's duration in milliseconds.
pub(crate) async fn connect(
    ns: &Netns,
    addr: SocketAddr,
    timeout: Duration,
) -> (std::result::Result<TcpStream, Attempt>, f64) {
    let socket = match ns
        .socket(Domain::for_address(addr), Type::STREAM, None)
        .await
    {
        Ok(s) => TcpSocket::from_std_stream(s.into()),
        Err(e) => return (Err(Attempt::Failed(e)), 0.0),
    };
    let start = Instant::now();
    let outcome = match tokio::time::timeout(timeout, socket.connect(addr)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(Attempt::Failed(e)),
        Err(_) => Err(Attempt::TimedOut),
    };
    (outcome, elapsed_ms(start))
}

/// The state a failed connect means.
pub(crate) fn classify(e: &io::Error) -> TcpState {
    use nix::errno::Errno;
    match e.raw_os_error().map(Errno::from_raw) {
        Some(Errno::ECONNREFUSED) => TcpState::Refused,
        // A rule in this side's own OUTPUT chain drops before sending, and
        // the kernel's own retries gave up: either way a firewall's silence.
        Some(Errno::EPERM | Errno::EACCES | Errno::ETIMEDOUT) => TcpState::Filtered,
        _ => TcpState::Unreachable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::errno::Errno;

    fn state_of(errno: Errno) -> TcpState {
        classify(&io::Error::from_raw_os_error(errno as i32))
    }

    #[test]
    fn kernel_answers_become_states() {
        assert_eq!(state_of(Errno::ECONNREFUSED), TcpState::Refused);
        assert_eq!(state_of(Errno::EHOSTUNREACH), TcpState::Unreachable);
        assert_eq!(state_of(Errno::ENETUNREACH), TcpState::Unreachable);
        assert_eq!(state_of(Errno::EPERM), TcpState::Filtered);
        assert_eq!(state_of(Errno::ETIMEDOUT), TcpState::Filtered);
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for state in TcpState::ALL {
            assert_eq!(TcpState::parse(state.as_str()), Some(state));
        }
        assert_eq!(TcpState::parse("closed"), None);
    }

    #[tokio::test]
    async fn bad_ports_and_timeouts_are_refused_before_connecting() {
        let host = Netns::host();
        let err = tcp(&host, "127.0.0.1", 0, &TcpOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("between 1 and 65535"), "{err}");
        let zero = TcpOptions {
            timeout: Duration::ZERO,
            ..TcpOptions::default()
        };
        let err = tcp(&host, "127.0.0.1", 80, &zero).await.unwrap_err();
        assert!(err.to_string().contains("timeout"), "{err}");
    }

    #[tokio::test]
    async fn loopback_tells_open_from_refused() {
        let host = Netns::host();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = tcp(&host, "127.0.0.1", port, &TcpOptions::default())
            .await
            .unwrap();
        assert_eq!(open.state, TcpState::Open, "{open:?}");
        drop(listener);
        let closed = tcp(&host, "127.0.0.1", port, &TcpOptions::default())
            .await
            .unwrap();
        assert_eq!(closed.state, TcpState::Refused, "{closed:?}");
    }
}
