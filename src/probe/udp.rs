//! `udp`: send one datagram from inside a namespace and wait for a reply.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use socket2::{Domain, Type};
use tokio::net::UdpSocket;

use super::dns::locate;
use super::error::{ProbeError, Result};
use super::netns::Netns;
use super::tcp::{TcpState, classify};
use super::{Family, elapsed_ms, positive, real_port};

/// How long to wait for a reply by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// The largest reply kept: one datagram's worth.
const MAX_REPLY: usize = 65_535;

/// Options of [`udp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpOptions {
    /// How long to wait for a reply.
    pub timeout: Duration,
    /// Send over this family only.
    pub family: Option<Family>,
}

impl Default for UdpOptions {
    fn default() -> Self {
        UdpOptions {
            timeout: DEFAULT_TIMEOUT,
            family: None,
        }
    }
}

/// What came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UdpState {
    /// A datagram came back.
    Reply,
    /// The host answered "port unreachable": nothing listens there.
    Refused,
    /// Nothing came back in time: a silent service, a firewall, or loss.
    Timeout,
    /// The network said there is no way there.
    Unreachable,
    /// The target's name gave no address.
    NoSuchName,
}

impl UdpState {
    /// The script's spelling: `reply`, `refused`, `timeout`, `unreachable`, `no_such_name`.
    pub fn as_str(self) -> &'static str {
        match self {
            UdpState::Reply => "reply",
            UdpState::Refused => "refused",
            UdpState::Timeout => "timeout",
            UdpState::Unreachable => "unreachable",
            UdpState::NoSuchName => "no_such_name",
        }
    }
}

/// The outcome of one datagram sent.
#[derive(Debug, Clone, PartialEq)]
pub struct UdpReport {
    /// What came back.
    pub state: UdpState,
    /// The reply's bytes, when one came.
    pub reply: Option<Vec<u8>>,
    /// From sending to the reply (or to giving up), in milliseconds.
    pub ms: f64,
    /// The address the datagram went to, when the name resolved.
    pub address: Option<SocketAddr>,
    /// Why, in words, when no reply came.
    pub detail: Option<String>,
}

/// Sends `payload` from inside `ns` to `target` port `port` and waits
/// for one datagram back. A UDP service that does not answer this payload
/// looks exactly like a firewall: only a reply or a "port unreachable"
/// says something definite.
pub async fn udp(
    ns: &Netns,
    target: &str,
    port: u16,
    payload: &[u8],
    options: &UdpOptions,
) -> Result<UdpReport> {
    let action = format!("udp {target}:{port} from {}", ns.label());
    real_port(&action, port)?;
    positive(&action, "timeout", options.timeout)?;
    let report = |state, ms, address, detail| UdpReport {
        state,
        reply: None,
        ms,
        address,
        detail,
    };
    let addr = match locate(ns, target, options.family, options.timeout).await? {
        Ok(ip) => SocketAddr::new(ip, port),
        Err(u) => return Ok(report(UdpState::NoSuchName, 0.0, None, Some(u.message))),
    };
    let socket = ns
        .socket(Domain::for_address(addr), Type::DGRAM, None)
        .await
        .and_then(|s| UdpSocket::from_std(s.into()))
        .map_err(|e| ProbeError::failed(&action, format!("cannot make a UDP socket: {e}")))?;
    let start = Instant::now();
    // Connected, so the kernel hands this socket the ICMP error for it.
    let sent = match socket.connect(addr).await {
        Ok(()) => socket.send(payload).await.map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        let state = from_tcp(classify(&e));
        return Ok(report(
            state,
            elapsed_ms(start),
            Some(addr),
            Some(format!("{addr}: {e}")),
        ));
    }
    let mut buf = vec![0u8; MAX_REPLY];
    Ok(
        match tokio::time::timeout(options.timeout, socket.recv(&mut buf)).await {
            Ok(Ok(n)) => UdpReport {
                state: UdpState::Reply,
                reply: Some(buf[..n].to_vec()),
                ms: elapsed_ms(start),
                address: Some(addr),
                detail: None,
            },
            Ok(Err(e)) => report(
                from_tcp(classify(&e)),
                elapsed_ms(start),
                Some(addr),
                Some(format!("{addr}: {e}")),
            ),
            Err(_) => report(
                UdpState::Timeout,
                elapsed_ms(start),
                Some(addr),
                Some(format!(
                    "no reply from {addr} within {} s",
                    options.timeout.as_secs_f64()
                )),
            ),
        },
    )
}

/// The UDP meaning of a kernel error classified for TCP.
fn from_tcp(state: TcpState) -> UdpState {
    match state {
        TcpState::Refused => UdpState::Refused,
        TcpState::Filtered => UdpState::Timeout,
        TcpState::Open | TcpState::Unreachable => UdpState::Unreachable,
        TcpState::NoSuchName => UdpState::NoSuchName,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_tells_reply_from_refused() {
        let host = Netns::host();
        let echo = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = echo.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let (n, peer) = echo.recv_from(&mut buf).await.unwrap();
            echo.send_to(&buf[..n], peer).await.unwrap();
        });
        let r = udp(&host, "127.0.0.1", port, b"hi", &UdpOptions::default())
            .await
            .unwrap();
        assert_eq!(
            (r.state, r.reply.as_deref()),
            (UdpState::Reply, Some(&b"hi"[..]))
        );
        server.await.unwrap();
        let r = udp(&host, "127.0.0.1", port, b"hi", &UdpOptions::default())
            .await
            .unwrap();
        assert_eq!(r.state, UdpState::Refused, "{r:?}");
    }
}
