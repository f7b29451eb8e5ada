//! Resolving a name the way the container itself would: its `/etc/hosts`
//! first, then the nameservers of its `/etc/resolv.conf` (Docker's
//! embedded DNS at 127.0.0.11 on user-defined networks, a copy of the
//! host's file on the default bridge), asked over UDP from inside its
//! namespace.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use socket2::{Domain, Type};
use tokio::net::UdpSocket;

use super::error::{ProbeError, Result};
use super::netns::Netns;
use super::resolv::{Hosts, ResolvConf};
use super::{Family, elapsed_ms};

/// How long a resolution may take in all, unless the caller says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Options of [`resolve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolveOptions {
    /// The whole resolution's budget; each server gets resolv.conf's
    /// `timeout` within it.
    pub timeout: Duration,
    /// Only this family's addresses (A or AAAA); both when `None`.
    pub family: Option<Family>,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        ResolveOptions {
            timeout: DEFAULT_TIMEOUT,
            family: None,
        }
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The name was an address already.
    Literal,
    /// The container's `/etc/hosts`.
    Hosts,
    /// This nameserver.
    Dns(IpAddr),
}

/// Why a name gave no address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveFailure {
    /// A nameserver answered: no such name, or no record of the family asked.
    NoSuchName,
    /// No nameserver answered in time (or none listens).
    NoAnswer {
        /// The servers asked.
        servers: Vec<IpAddr>,
        /// What happened, in words.
        detail: String,
    },
    /// A nameserver answered with an error (SERVFAIL, REFUSED …).
    ServerFailure {
        /// The server that answered.
        server: IpAddr,
        /// Its response code, as DNS spells it.
        rcode: String,
    },
}

impl ResolveFailure {
    /// The script's `error` value: `no_such_name`, `no_answer` or `server_failure`.
    pub fn code(&self) -> &'static str {
        match self {
            ResolveFailure::NoSuchName => "no_such_name",
            ResolveFailure::NoAnswer { .. } => "no_answer",
            ResolveFailure::ServerFailure { .. } => "server_failure",
        }
    }

    /// A sentence for messages about `name`.
    pub fn describe(&self, name: &str) -> String {
        match self {
            ResolveFailure::NoSuchName => format!("the name {name:?} does not resolve"),
            ResolveFailure::NoAnswer { servers, detail } => {
                let servers: Vec<String> = servers.iter().map(ToString::to_string).collect();
                format!(
                    "no nameserver answered for {name:?} (asked {}): {detail}",
                    servers.join(", ")
                )
            }
            ResolveFailure::ServerFailure { server, rcode } => {
                format!("the nameserver {server} failed to resolve {name:?} ({rcode})")
            }
        }
    }
}

/// The outcome of resolving one name.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// Addresses found, IPv4 first; empty when `error` says why.
    pub addresses: Vec<IpAddr>,
    /// How long it took, in milliseconds.
    pub ms: f64,
    /// Why there is no address, or `None`.
    pub error: Option<ResolveFailure>,
    /// Where the answer came from (`None` when there was none).
    pub source: Option<Source>,
}

impl Resolution {
    /// At least one address was found.
    pub fn ok(&self) -> bool {
        !self.addresses.is_empty()
    }

    /// The address a check connects to: the first of `family`, or the
    /// first IPv4 one when no family is asked for (a dual-stack name does
    /// not silently test IPv6).
    pub fn pick(&self, family: Option<Family>) -> Option<IpAddr> {
        let first = |f: Family| self.addresses.iter().copied().find(|a| f.holds(*a));
        match family {
            Some(f) => first(f),
            None => first(Family::V4).or_else(|| first(Family::V6)),
        }
    }
}

/// Resolves `name` from inside `ns` through that side's own resolver.
///
/// A name that is an address already is returned as is; an empty or
/// malformed name is an [`ProbeError::InvalidArgument`].
pub async fn resolve(ns: &Netns, name: &str, options: &ResolveOptions) -> Result<Resolution> {
    let start = Instant::now();
    let done = |addresses: Vec<IpAddr>, error, source| Resolution {
        addresses,
        ms: elapsed_ms(start),
        error,
        source,
    };
    let wanted = |addrs: Vec<IpAddr>| -> Vec<IpAddr> {
        addrs
            .into_iter()
            .filter(|a| options.family.is_none_or(|f| f.holds(*a)))
            .collect()
    };
    if let Ok(addr) = name.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(done(wanted(vec![addr]), None, Some(Source::Literal)));
    }
    check_name(name, ns)?;
    let hosts = Hosts::parse(&ns.read_file("etc/hosts").unwrap_or_default());
    let from_hosts = wanted(hosts.lookup(name));
    if !from_hosts.is_empty() {
        return Ok(done(from_hosts, None, Some(Source::Hosts)));
    }
    let conf = ns
        .read_file("etc/resolv.conf")
        .map(|text| ResolvConf::parse(&text))
        .unwrap_or_default();
    let deadline = start + options.timeout;
    let mut failure = ResolveFailure::NoSuchName;
    for fqdn in conf.candidates(name) {
        match ask_servers(ns, &conf, &fqdn, options.family, deadline).await {
            Ok((addrs, server)) => {
                return Ok(done(order(addrs), None, Some(Source::Dns(server))));
            }
            // Only "no such name" moves on to the next suffix; a silent or
            // failing server ends the search, as in the C library.
            Err(ResolveFailure::NoSuchName) => {}
            Err(other) => {
                failure = other;
                break;
            }
        }
    }
    Ok(done(Vec::new(), Some(failure), None))
}

/// A target that gave no address to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// `no_such_name`, `no_answer` or `server_failure` (see [`ResolveFailure::code`]).
    pub code: &'static str,
    /// A sentence naming the target and what the resolver said.
    pub message: String,
}

/// The one address a check goes to: `target` resolved from inside `ns`,
/// or why it has none.
pub(crate) async fn locate(
    ns: &Netns,
    target: &str,
    family: Option<Family>,
    timeout: Duration,
) -> Result<std::result::Result<IpAddr, Unresolved>> {
    let options = ResolveOptions {
        timeout: timeout.max(Duration::from_secs(1)),
        family,
    };
    let found = resolve(ns, target, &options).await?;
    Ok(match (found.pick(family), &found.error) {
        (Some(addr), _) => Ok(addr),
        (None, Some(failure)) => Err(Unresolved {
            code: failure.code(),
            message: failure.describe(target),
        }),
        (None, None) => Err(Unresolved {
            code: "no_such_name",
            message: format!(
                "{target:?} has no {} address",
                family.map_or("usable", Family::name)
            ),
        }),
    })
}

/// Rejects what no resolver would ask for, with the reason.
fn check_name(name: &str, ns: &Netns) -> Result<()> {
    let bad = |why: &str| {
        ProbeError::invalid(
            format!("resolve {name:?} from {}", ns.label()),
            format!("{why}; give a host name such as \"web\" or \"db.example\", or an address"),
        )
    };
    if name.trim().is_empty() {
        return Err(bad("the name is empty"));
    }
    if name.contains(|c: char| c.is_whitespace() || c == '/' || c == ':') {
        return Err(bad("a host name has no spaces, '/' or ':'"));
    }
    Name::from_utf8(name).map_err(|e| bad(&format!("not a valid host name ({e})")))?;
    Ok(())
}

/// IPv4 first, each family in the order the server gave.
fn order(mut addrs: Vec<IpAddr>) -> Vec<IpAddr> {
    addrs.sort_by_key(|a| a.is_ipv6());
    addrs.dedup();
    addrs
}

/// Asks each nameserver in turn, `attempts` rounds, until one answers.
async fn ask_servers(
    ns: &Netns,
    conf: &ResolvConf,
    fqdn: &str,
    family: Option<Family>,
    deadline: Instant,
) -> std::result::Result<(Vec<IpAddr>, IpAddr), ResolveFailure> {
    let mut detail = String::from("no answer in time");
    for _ in 0..conf.attempts {
        for &server in &conf.nameservers {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match ask(ns, server, fqdn, family, conf.timeout.min(left)).await {
                Answer::Addresses(addrs) => return Ok((addrs, server)),
                Answer::NoSuchName => return Err(ResolveFailure::NoSuchName),
                Answer::Failure(rcode) => {
                    return Err(ResolveFailure::ServerFailure { server, rcode });
                }
                Answer::Silent(why) => detail = why,
            }
        }
    }
    Err(ResolveFailure::NoAnswer {
        servers: conf.nameservers.clone(),
        detail,
    })
}

/// What one server said about one name.
enum Answer {
    Addresses(Vec<IpAddr>),
    NoSuchName,
    Failure(String),
    Silent(String),
}

/// Sends the A and AAAA questions (as the family allows) to `server` on
/// one socket and waits for both answers.
async fn ask(
    ns: &Netns,
    server: IpAddr,
    fqdn: &str,
    family: Option<Family>,
    wait: Duration,
) -> Answer {
    let Ok(name) = Name::from_utf8(fqdn) else {
        return Answer::NoSuchName;
    };
    let mut questions: Vec<(u16, RecordType)> = Vec::new();
    for (f, rtype) in [(Family::V4, RecordType::A), (Family::V6, RecordType::AAAA)] {
        if family.is_none_or(|want| want == f) {
            questions.push((rand_id(), rtype));
        }
    }
    let socket = match open_socket(ns, server).await {
        Ok(s) => s,
        Err(e) => return Answer::Silent(format!("cannot send to {server}: {e}")),
    };
    for (id, rtype) in &questions {
        let mut query = Message::query();
        query.metadata.id = *id;
        query.metadata.recursion_desired = true;
        query.add_query(Query::query(name.clone(), *rtype));
        let Ok(bytes) = query.to_vec() else {
            return Answer::NoSuchName;
        };
        if let Err(e) = socket.send(&bytes).await {
            return Answer::Silent(format!("cannot send to {server}: {e}"));
        }
    }
    let mut addrs = Vec::new();
    let mut failure = None;
    let mut pending = questions.len();
    let mut buf = vec![0u8; 4096];
    let until = tokio::time::Instant::now() + wait;
    while pending > 0 {
        let n = match tokio::time::timeout_at(until, socket.recv(&mut buf)).await {
            Err(_) => return Answer::Silent(format!("no answer within {} s", wait.as_secs_f64())),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Answer::Silent(format!("nothing listens on {server} port 53"));
            }
            Ok(Err(e)) => return Answer::Silent(e.to_string()),
            Ok(Ok(n)) => n,
        };
        let Ok(reply) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        if !questions.iter().any(|(id, _)| *id == reply.metadata.id) {
            continue;
        }
        pending -= 1;
        match reply.metadata.response_code {
            ResponseCode::NoError | ResponseCode::NXDomain => {}
            other => failure = Some(format!("{other}")),
        }
        addrs.extend(reply.answers.iter().filter_map(|r| match &r.data {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        }));
    }
    match (addrs.is_empty(), failure) {
        (false, _) => Answer::Addresses(addrs),
        (true, Some(rcode)) => Answer::Failure(rcode),
        (true, None) => Answer::NoSuchName,
    }
}

/// A UDP socket made inside `ns` and connected to `server` port 53, so
/// that an ICMP "port unreachable" shows as a refused receive.
async fn open_socket(ns: &Netns, server: IpAddr) -> std::io::Result<UdpSocket> {
    let socket = ns
        .socket(
            Domain::for_address(SocketAddr::new(server, 53)),
            Type::DGRAM,
            None,
        )
        .await?;
    let socket = UdpSocket::from_std(socket.into())?;
    socket.connect((server, 53)).await?;
    Ok(socket)
}

/// A query id nobody can predict (hickory's own random source).
fn rand_id() -> u16 {
    Message::query().metadata.id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolution(addrs: &[&str]) -> Resolution {
        Resolution {
            addresses: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            ms: 1.0,
            error: None,
            source: Some(Source::Hosts),
        }
    }

    #[test]
    fn checks_pick_ipv4_unless_told() {
        let both = resolution(&["172.18.0.2", "fd00::2"]);
        assert_eq!(both.pick(None), Some("172.18.0.2".parse().unwrap()));
        assert_eq!(
            both.pick(Some(Family::V6)),
            Some("fd00::2".parse().unwrap())
        );
        let six = resolution(&["fd00::2"]);
        assert_eq!(six.pick(None), Some("fd00::2".parse().unwrap()));
        assert_eq!(six.pick(Some(Family::V4)), None);
        assert!(!resolution(&[]).ok());
    }

    #[test]
    fn answers_are_ordered_ipv4_first() {
        let addrs = ["fd00::2", "10.0.0.2", "fd00::2", "10.0.0.3"]
            .map(|a| a.parse::<IpAddr>().unwrap())
            .to_vec();
        let ordered: Vec<String> = order(addrs).iter().map(ToString::to_string).collect();
        assert_eq!(ordered, ["10.0.0.2", "10.0.0.3", "fd00::2"]);
    }

    #[test]
    fn failures_have_codes_and_sentences() {
        let silent = ResolveFailure::NoAnswer {
            servers: vec![IpAddr::from([8, 8, 8, 8])],
            detail: "no answer within 5 s".into(),
        };
        assert_eq!(silent.code(), "no_answer");
        assert!(silent.describe("web").contains("8.8.8.8"));
        assert_eq!(ResolveFailure::NoSuchName.code(), "no_such_name");
        assert!(
            ResolveFailure::NoSuchName
                .describe("nosuchname")
                .contains("does not resolve")
        );
    }

    #[test]
    fn malformed_names_are_refused_before_asking() {
        let host = Netns::host();
        for bad in ["", "  ", "http://web", "a b", "web:80"] {
            let err = check_name(bad, &host).unwrap_err();
            assert_eq!(err.kind(), "invalid_argument", "{bad:?}");
        }
        assert!(check_name("web.alias", &host).is_ok());
    }
}
