//! `docker run -p` syntax: `[host_ip:][host_port:]container_port[/proto]`,
//! with port ranges on either side (`8000-8002:9000-9002`).

use std::fmt;

/// A transport protocol a port can be published for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Protocol {
    /// TCP (the default).
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        })
    }
}

/// One published port: container port → host port on a host address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMapping {
    /// Host address to bind, `None` for all addresses.
    pub(crate) host_ip: Option<String>,
    /// Host port, `None` for a free port chosen by Docker.
    pub(crate) host_port: Option<u16>,
    /// Port inside the container.
    pub(crate) container_port: u16,
    /// Protocol.
    pub(crate) protocol: Protocol,
}

impl PortMapping {
    /// The key Docker uses for the container side, e.g. `"80/tcp"`.
    pub(crate) fn container_key(&self) -> String {
        format!("{}/{}", self.container_port, self.protocol)
    }
}

/// Parses one `-p` string into its mappings (several when it uses ranges):
/// `"127.0.0.1::80"` is container port 80 on a free host port of 127.0.0.1
/// (the unit tests below hold the examples).
pub fn parse_publish(text: &str) -> Result<Vec<PortMapping>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an empty string is not a port mapping".into());
    }
    let (rest, protocol) = match text.rsplit_once('/') {
        Some((rest, proto)) => (rest, parse_protocol(proto)?),
        None => (text, Protocol::Tcp),
    };
    let (host_ip, rest) = split_host_ip(rest)?;
    let (host_part, container_part) = match rest.rsplit_once(':') {
        Some((host, container)) => (Some(host), container),
        None => (None, rest),
    };
    if host_ip.is_some() && host_part.is_none() {
        return Err(format!(
            "{text:?} names a host address but no ports; write \"IP:HOST_PORT:CONTAINER_PORT\" or \"IP::CONTAINER_PORT\""
        ));
    }
    let container = parse_range(container_part, "container port")?;
    let host = match host_part {
        None | Some("") => None,
        Some(h) => Some(parse_range(h, "host port")?),
    };
    if let Some((lo, hi)) = host {
        let (clo, chi) = container;
        if hi - lo != chi - clo && lo != hi {
            return Err(format!(
                "{text:?}: the host range {lo}-{hi} and the container range {clo}-{chi} differ in length"
            ));
        }
    }
    let mut mappings = Vec::new();
    for (i, container_port) in (container.0..=container.1).enumerate() {
        let host_port = host.map(|(lo, hi)| if lo == hi { lo } else { lo + i as u16 });
        mappings.push(PortMapping {
            host_ip: host_ip.clone(),
            host_port,
            container_port,
            protocol,
        });
    }
    Ok(mappings)
}

fn parse_protocol(proto: &str) -> Result<Protocol, String> {
    match proto.to_ascii_lowercase().as_str() {
        "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        "sctp" => Ok(Protocol::Sctp),
        other => Err(format!("unknown protocol {other:?}; use tcp, udp or sctp")),
    }
}

/// Splits off a leading host address: `1.2.3.4:…` or `[::1]:…`.
fn split_host_ip(text: &str) -> Result<(Option<String>, &str), String> {
    if let Some(stripped) = text.strip_prefix('[') {
        let (ip, rest) = stripped
            .split_once(']')
            .ok_or_else(|| format!("{text:?}: missing ']' after the IPv6 address"))?;
        ip.parse::<std::net::Ipv6Addr>()
            .map_err(|_| format!("{ip:?} is not an IPv6 address"))?;
        let rest = rest
            .strip_prefix(':')
            .ok_or_else(|| format!("{text:?}: expected ':' after \"[{ip}]\""))?;
        return Ok((Some(ip.to_string()), rest));
    }
    // Three parts (`ip:host:container`) mean the first is an address.
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() == 3 {
        let ip = parts[0];
        ip.parse::<std::net::IpAddr>()
            .map_err(|_| format!("{ip:?} is not an IP address"))?;
        let rest = &text[ip.len() + 1..];
        return Ok((Some(ip.to_string()), rest));
    }
    if parts.len() > 3 {
        return Err(format!(
            "{text:?} has too many ':'; write IPv6 host addresses in brackets, like \"[::1]:8080:80\""
        ));
    }
    Ok((None, text))
}

fn parse_range(text: &str, what: &str) -> Result<(u16, u16), String> {
    let port = |p: &str| -> Result<u16, String> {
        match p.parse::<u32>() {
            Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
            Ok(n) => Err(format!("{what} {n} is not a port number (1-65535)")),
            Err(_) if p.is_empty() => Err(format!("the {what} is missing")),
            Err(_) => Err(format!("{what} {p:?} is not a number")),
        }
    };
    match text.split_once('-') {
        Some((lo, hi)) => {
            let (lo, hi) = (port(lo)?, port(hi)?);
            if lo > hi {
                return Err(format!("{what} range {lo}-{hi} runs backwards"));
            }
            Ok((lo, hi))
        }
        None => {
            let p = port(text)?;
            Ok((p, p))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> PortMapping {
        let mut v = parse_publish(text).unwrap();
        assert_eq!(v.len(), 1, "{text}");
        v.remove(0)
    }

    #[test]
    fn host_and_container() {
        let m = one("8888:8888");
        assert_eq!(
            (m.host_ip, m.host_port, m.container_port),
            (None, Some(8888), 8888)
        );
        assert_eq!(m.protocol, Protocol::Tcp);
    }

    #[test]
    fn container_only_gets_a_free_port() {
        let m = one("80");
        assert_eq!((m.host_port, m.container_port), (None, 80));
    }

    #[test]
    fn address_with_free_port() {
        let m = one("127.0.0.1::80");
        assert_eq!(m.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(m.host_port, None);
    }

    #[test]
    fn address_and_ports() {
        let m = one("127.0.0.1:8080:80");
        assert_eq!(
            (m.host_ip.as_deref(), m.host_port),
            (Some("127.0.0.1"), Some(8080))
        );
    }

    #[test]
    fn ipv6_address_in_brackets() {
        let m = one("[::1]:8080:80/udp");
        assert_eq!(m.host_ip.as_deref(), Some("::1"));
        assert_eq!(m.protocol, Protocol::Udp);
        assert_eq!(m.container_key(), "80/udp");
    }

    #[test]
    fn udp() {
        let m = one("5353:53/udp");
        assert_eq!(
            (m.host_port, m.container_port, m.protocol),
            (Some(5353), 53, Protocol::Udp)
        );
    }

    #[test]
    fn ranges_expand_pairwise() {
        let v = parse_publish("8000-8002:9000-9002").unwrap();
        let pairs: Vec<_> = v
            .iter()
            .map(|m| (m.host_port.unwrap(), m.container_port))
            .collect();
        assert_eq!(pairs, vec![(8000, 9000), (8001, 9001), (8002, 9002)]);
    }

    #[test]
    fn bad_inputs_say_what_is_wrong() {
        let err = |t: &str| parse_publish(t).unwrap_err();
        assert!(err("99999:80").contains("host port 99999 is not a port number"));
        assert!(err("a:b").contains("\"b\" is not a number"));
        assert!(err("80:80/sctpx").contains("unknown protocol \"sctpx\""));
        assert!(err("").contains("empty"));
        assert!(err("80:0").contains("container port 0"));
        assert!(err("300.1.1.1:80:80").contains("not an IP address"));
        assert!(err("8000-7000:80").contains("backwards"));
        assert!(err("8000-8002:9000-9001").contains("differ in length"));
        assert!(err("1:2:3:4").contains("too many ':'"));
        assert!(err("80:").contains("container port is missing"));
    }
}
