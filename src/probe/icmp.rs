//! ICMP echo ("ping") from a raw socket inside a namespace, with the round
//! trip of every reply, so loss and min/avg/max come from netrig itself.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use etherparse::{
    IcmpEchoHeader, Icmpv4Header, Icmpv4Slice, Icmpv4Type, Icmpv6Header, Icmpv6Slice, Icmpv6Type,
    Ipv4HeaderSlice,
};
use nix::sys::socket::{SockaddrLike, SockaddrStorage};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;

use super::dns::locate;
use super::error::{ProbeError, Result};
use super::netns::Netns;
use super::{Family, positive};

/// Options of [`ping`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingOptions {
    /// Echo requests to send.
    pub count: u32,
    /// Time between requests.
    pub interval: Duration,
    /// How long to wait for a reply after the last request.
    pub timeout: Duration,
    /// Ping over this family only.
    pub family: Option<Family>,
    /// Payload bytes per request (56, as ping's default).
    pub size: usize,
}

impl Default for PingOptions {
    fn default() -> Self {
        PingOptions {
            count: 3,
            interval: Duration::from_millis(200),
            timeout: Duration::from_secs(1),
            family: None,
            size: 56,
        }
    }
}

/// The outcome of pinging one target.
#[derive(Debug, Clone, PartialEq)]
pub struct PingReport {
    /// Echo requests sent.
    pub sent: u32,
    /// Round trips of the replies, in milliseconds, in the order sent.
    pub rtts: Vec<f64>,
    /// The address pinged, when the name resolved.
    pub address: Option<IpAddr>,
    /// Why no reply came, when none did: `no_such_name` (or the resolver's
    /// `no_answer`), `unreachable` (the network said so) or `timeout`; with
    /// a sentence saying it.
    pub error: Option<(&'static str, String)>,
}

impl PingReport {
    /// Replies received.
    pub fn received(&self) -> u32 {
        self.rtts.len() as u32
    }

    /// Share of requests without a reply, 0–100.
    pub fn loss_pct(&self) -> f64 {
        if self.sent == 0 {
            return 100.0;
        }
        f64::from(self.sent - self.received().min(self.sent)) * 100.0 / f64::from(self.sent)
    }

    /// `(min, avg, max)` round trip in milliseconds, when any reply came.
    pub fn rtt_min_avg_max(&self) -> Option<(f64, f64, f64)> {
        let s = super::stats::Summary::of(&self.rtts)?;
        Some((s.min, s.avg, s.max))
    }
}

/// Identifiers for concurrent pings from one namespace: every raw socket
/// sees every reply, and this is how each finds its own.
static NEXT_ID: AtomicU16 = AtomicU16::new(0);

/// Pings `target` from inside `ns` with a raw ICMP socket.
pub async fn ping(ns: &Netns, target: &str, options: &PingOptions) -> Result<PingReport> {
    let action = format!("ping {target} from {}", ns.label());
    if !(1..=10_000).contains(&options.count) {
        return Err(ProbeError::invalid(
            action,
            format!("count must be between 1 and 10000, got {}", options.count),
        ));
    }
    positive(&action, "timeout", options.timeout)?;
    let mut report = PingReport {
        sent: 0,
        rtts: Vec::new(),
        address: None,
        error: None,
    };
    let addr = match locate(ns, target, options.family, options.timeout).await? {
        Ok(addr) => addr,
        Err(u) => {
            report.error = Some((u.code, u.message));
            return Ok(report);
        }
    };
    report.address = Some(addr);
    let (domain, protocol) = match addr {
        IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4),
        IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6),
    };
    let socket = ns
        .socket(domain, Type::RAW, Some(protocol))
        .await
        .map_err(|e| raw_socket_error(&action, e))?;
    // SAFETY: the Socket owns its descriptor, keeps it open and always
    // returns that same one until the AsyncFd drops it (tokio has no safe
    // constructor for a raw socket; its own TcpStream does the same).
    let socket = unsafe { AsyncFd::register(socket) }
        .map_err(|e| ProbeError::failed(&action, format!("cannot watch the ICMP socket: {e}")))?;
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed) ^ (std::process::id() as u16);
    let echo = Echo {
        socket: &socket,
        addr,
        id,
    };
    let count = options.count as usize;
    let mut sent_at: Vec<Option<Instant>> = vec![None; count];
    let mut replies: Vec<Option<f64>> = vec![None; count];
    let mut unreachable: Option<String> = None;
    let payload = vec![0x6e; options.size];
    let start = tokio::time::Instant::now();
    let mut buf = vec![0u8; 65_536];
    let mut next_send = 0usize;
    let mut deadline = start + options.timeout;
    loop {
        let got = replies.iter().filter(|r| r.is_some()).count();
        if next_send == count && (got == count || tokio::time::Instant::now() >= deadline) {
            break;
        }
        let send_at = start + options.interval * next_send as u32;
        tokio::select! {
            _ = tokio::time::sleep_until(send_at), if next_send < count => {
                let seq = next_send as u16;
                match echo.send(seq, &payload).await {
                    Ok(()) => {
                        sent_at[next_send] = Some(Instant::now());
                        report.sent += 1;
                    }
                    // The kernel already knows there is no way (no route, ARP failed).
                    Err(e) => unreachable = unreachable.or(Some(format!("{addr}: {e}"))),
                }
                next_send += 1;
                deadline = tokio::time::Instant::now() + options.timeout;
            }
            _ = tokio::time::sleep_until(deadline), if next_send == count => {}
            packet = echo.recv(&mut buf) => match packet {
                Ok(Some(Heard::Reply(seq))) => {
                    let i = usize::from(seq);
                    if let (Some(Some(at)), Some(slot @ None)) = (sent_at.get(i), replies.get_mut(i)) {
                        *slot = Some(at.elapsed().as_secs_f64() * 1000.0);
                    }
                }
                Ok(Some(Heard::Unreachable(from, why))) => {
                    unreachable = Some(format!("{from} says {addr} is unreachable ({why})"));
                }
                Ok(None) => {}
                Err(e) => return Err(ProbeError::failed(&action, format!("cannot read ICMP: {e}"))),
            },
        }
    }
    report.rtts = replies
        .into_iter()
        .flatten()
        .map(|ms| (ms * 1000.0).round() / 1000.0)
        .collect();
    if report.rtts.is_empty() {
        report.error = Some(match unreachable {
            Some(why) => ("unreachable", why),
            None => (
                "timeout",
                format!(
                    "no reply from {addr} within {} s of each request",
                    options.timeout.as_secs_f64()
                ),
            ),
        });
    }
    Ok(report)
}

/// The message for a raw socket the kernel would not give.
fn raw_socket_error(action: &str, e: io::Error) -> ProbeError {
    if e.kind() == io::ErrorKind::PermissionDenied {
        ProbeError::Unsupported {
            action: action.to_string(),
            message: "pinging needs a raw socket (CAP_NET_RAW): run netrig as root".into(),
        }
    } else {
        ProbeError::failed(action, format!("cannot make a raw ICMP socket: {e}"))
    }
}

/// What a received packet means for this ping.
#[derive(Debug, PartialEq)]
enum Heard {
    /// An echo reply to request `seq`.
    Reply(u16),
    /// An ICMP error about one of this ping's requests, from `from`.
    Unreachable(IpAddr, String),
}

/// One ping's raw socket and what identifies its packets.
struct Echo<'a> {
    socket: &'a AsyncFd<Socket>,
    addr: IpAddr,
    id: u16,
}

impl Echo<'_> {
    async fn send(&self, seq: u16, payload: &[u8]) -> io::Result<()> {
        let packet = echo_request(self.addr, self.id, seq, payload);
        let to = SockAddr::from(SocketAddr::new(self.addr, 0));
        loop {
            let mut ready = self.socket.writable().await?;
            match ready.try_io(|s| s.get_ref().send_to(&packet, &to)) {
                Ok(result) => return result.map(|_| ()),
                Err(_would_block) => continue,
            }
        }
    }

    /// The next packet, and what it means for this ping (`None`: not ours).
    async fn recv(&self, buf: &mut [u8]) -> io::Result<Option<Heard>> {
        loop {
            let mut ready = self.socket.readable().await?;
            let read = ready.try_io(|s| {
                nix::sys::socket::recvfrom::<SockaddrStorage>(s.get_ref().as_raw_fd(), buf)
                    .map_err(io::Error::from)
            });
            let Ok(result) = read else { continue };
            let (n, from) = result?;
            let from = from.and_then(|a| match a.family() {
                Some(nix::sys::socket::AddressFamily::Inet6) => {
                    a.as_sockaddr_in6().map(|s| IpAddr::V6(s.ip()))
                }
                _ => None,
            });
            return Ok(match self.addr {
                IpAddr::V4(_) => hear_v4(&buf[..n], self.addr, self.id),
                IpAddr::V6(_) => hear_v6(&buf[..n], from, self.addr, self.id),
            });
        }
    }
}

/// An echo request packet (the kernel fills in the ICMPv6 checksum).
fn echo_request(addr: IpAddr, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let echo = IcmpEchoHeader { id, seq };
    let mut packet = match addr {
        IpAddr::V4(_) => Icmpv4Header::with_checksum(Icmpv4Type::EchoRequest(echo), payload)
            .to_bytes()
            .to_vec(),
        IpAddr::V6(_) => Icmpv6Header::new(Icmpv6Type::EchoRequest(echo))
            .to_bytes()
            .to_vec(),
    };
    packet.extend_from_slice(payload);
    packet
}

/// Reads an IPv4 packet (header included, as raw IPv4 sockets give it).
fn hear_v4(packet: &[u8], target: IpAddr, id: u16) -> Option<Heard> {
    let ip = Ipv4HeaderSlice::from_slice(packet).ok()?;
    let from = IpAddr::V4(ip.source_addr());
    let icmp = Icmpv4Slice::from_slice(&packet[ip.slice().len()..]).ok()?;
    match icmp.icmp_type() {
        Icmpv4Type::EchoReply(echo) if echo.id == id && from == target => {
            Some(Heard::Reply(echo.seq))
        }
        Icmpv4Type::DestinationUnreachable(why) => {
            quoted_v4_echo(icmp.payload(), id).then(|| Heard::Unreachable(from, format!("{why:?}")))
        }
        Icmpv4Type::TimeExceeded(_) => quoted_v4_echo(icmp.payload(), id)
            .then(|| Heard::Unreachable(from, "time exceeded".into())),
        _ => None,
    }
}

/// Whether an ICMPv4 error quotes one of this ping's requests.
fn quoted_v4_echo(quoted: &[u8], id: u16) -> bool {
    let Ok(ip) = Ipv4HeaderSlice::from_slice(quoted) else {
        return false;
    };
    let rest = &quoted[ip.slice().len()..];
    rest.len() >= 8 && rest[0] == 8 && u16::from_be_bytes([rest[4], rest[5]]) == id
}

/// Reads an ICMPv6 message (raw IPv6 sockets give no IP header).
fn hear_v6(packet: &[u8], from: Option<IpAddr>, target: IpAddr, id: u16) -> Option<Heard> {
    let icmp = Icmpv6Slice::from_slice(packet).ok()?;
    match icmp.icmp_type() {
        Icmpv6Type::EchoReply(echo) if echo.id == id && from == Some(target) => {
            Some(Heard::Reply(echo.seq))
        }
        Icmpv6Type::DestinationUnreachable(why) => {
            // The quote: the request's 40-byte IPv6 header, then its ICMPv6 header.
            let q = icmp.payload();
            let ours = q.len() >= 48 && q[40] == 128 && u16::from_be_bytes([q[44], q[45]]) == id;
            ours.then(|| Heard::Unreachable(from.unwrap_or(target), format!("{why:?}")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4_reply(src: [u8; 4], id: u16, seq: u16) -> Vec<u8> {
        let icmp =
            Icmpv4Header::with_checksum(Icmpv4Type::EchoReply(IcmpEchoHeader { id, seq }), &[]);
        let ip = etherparse::Ipv4Header::new(
            icmp.header_len() as u16,
            64,
            etherparse::IpNumber::ICMP,
            src,
            [10, 0, 0, 1],
        )
        .unwrap();
        let mut out = ip.to_bytes().to_vec();
        out.extend_from_slice(&icmp.to_bytes());
        out
    }

    #[test]
    fn replies_are_matched_by_identifier_and_source() {
        let target = IpAddr::from([10, 0, 0, 2]);
        assert_eq!(
            hear_v4(&v4_reply([10, 0, 0, 2], 7, 3), target, 7),
            Some(Heard::Reply(3))
        );
        assert_eq!(
            hear_v4(&v4_reply([10, 0, 0, 2], 8, 3), target, 7),
            None,
            "another ping's reply"
        );
        assert_eq!(
            hear_v4(&v4_reply([10, 0, 0, 9], 7, 3), target, 7),
            None,
            "another host's reply"
        );
        assert_eq!(hear_v4(&[1, 2, 3], target, 7), None);
    }

    #[test]
    fn an_error_quoting_our_request_means_unreachable() {
        let target = IpAddr::from([10, 0, 0, 2]);
        let request = echo_request(target, 7, 0, &[0; 8]);
        let inner = etherparse::Ipv4Header::new(
            request.len() as u16,
            64,
            etherparse::IpNumber::ICMP,
            [10, 0, 0, 1],
            [10, 0, 0, 2],
        )
        .unwrap();
        let mut quote = inner.to_bytes().to_vec();
        quote.extend_from_slice(&request[..8]);
        let unreach =
            Icmpv4Type::DestinationUnreachable(etherparse::icmpv4::DestUnreachableHeader::Host);
        let icmp = Icmpv4Header::with_checksum(unreach, &quote);
        let outer = etherparse::Ipv4Header::new(
            (icmp.header_len() + quote.len()) as u16,
            64,
            etherparse::IpNumber::ICMP,
            [10, 0, 0, 1],
            [10, 0, 0, 1],
        )
        .unwrap();
        let mut packet = outer.to_bytes().to_vec();
        packet.extend_from_slice(&icmp.to_bytes());
        packet.extend_from_slice(&quote);
        assert!(matches!(
            hear_v4(&packet, target, 7),
            Some(Heard::Unreachable(_, _))
        ));
        assert_eq!(hear_v4(&packet, target, 8), None, "another ping's request");
    }

    #[test]
    fn v6_replies_come_without_an_ip_header() {
        let target: IpAddr = "fd00::2".parse().unwrap();
        let reply = Icmpv6Header::new(Icmpv6Type::EchoReply(IcmpEchoHeader { id: 5, seq: 1 }))
            .to_bytes()
            .to_vec();
        assert_eq!(
            hear_v6(&reply, Some(target), target, 5),
            Some(Heard::Reply(1))
        );
        assert_eq!(
            hear_v6(&reply, Some("fd00::3".parse().unwrap()), target, 5),
            None
        );
    }

    #[test]
    fn loss_and_round_trips_are_summed_up() {
        let r = PingReport {
            sent: 4,
            rtts: vec![1.0, 3.0, 2.0],
            address: None,
            error: None,
        };
        assert_eq!(r.received(), 3);
        assert_eq!(r.loss_pct(), 25.0);
        assert_eq!(r.rtt_min_avg_max(), Some((1.0, 2.0, 3.0)));
        let none = PingReport {
            sent: 0,
            rtts: vec![],
            address: None,
            error: None,
        };
        assert_eq!((none.loss_pct(), none.rtt_min_avg_max()), (100.0, None));
    }
}
