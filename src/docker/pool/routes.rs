//! The host's routes, so the pool skips subnets a LAN, a VPN or another
//! daemon's bridge already uses: a bridge on such a subnet would shadow them.
//!
//! Read from `/proc/net/route` and `/proc/net/ipv6_route` (the main routing
//! table of netrig's own network namespace): plain text, no netlink socket
//! needed. Default routes are left out: they cover everything.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// One route of the host: where it leads and through which interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    /// The destination network.
    pub net: IpNet,
    /// The interface (`eth0`, `wg0`, `br-1a2b3c4d5e6f`).
    pub iface: String,
}

/// The host's routes, IPv4 and IPv6, without default routes. A file that
/// cannot be read (not Linux, no IPv6) gives no routes.
pub(crate) fn host_routes() -> Vec<Route> {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let mut routes = parse_ipv4(&read("/proc/net/route"));
    routes.extend(parse_ipv6(&read("/proc/net/ipv6_route")));
    routes
}

/// The host's IPv4 routes, without default routes.
pub(crate) fn ipv4_routes(routes: &[Route]) -> impl Iterator<Item = (Ipv4Net, &str)> {
    routes.iter().filter_map(|r| match r.net {
        IpNet::V4(net) => Some((net, r.iface.as_str())),
        IpNet::V6(_) => None,
    })
}

/// Parses `/proc/net/route`: a header line, then `Iface Destination Gateway
/// Flags RefCnt Use Metric Mask …`, addresses as hex of the address bytes
/// read as a native-endian u32.
pub(crate) fn parse_ipv4(text: &str) -> Vec<Route> {
    let hex = |s: &str| {
        u32::from_str_radix(s, 16)
            .ok()
            .map(|v| Ipv4Addr::from(v.to_ne_bytes()))
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (iface, dest, mask) = (f.first()?, hex(f.get(1)?)?, hex(f.get(7)?)?);
            let prefix = u32::from(mask).leading_ones() as u8;
            let net = Ipv4Net::new(dest, prefix).ok()?.trunc();
            (prefix > 0).then(|| Route {
                net: IpNet::V4(net),
                iface: iface.to_string(),
            })
        })
        .collect()
}

/// Parses `/proc/net/ipv6_route`: `dest dest_len src src_len next_hop
/// metric refcnt use flags iface`, addresses as 32 hex digits in network
/// order. Loopback and link-local routes are left out too: they are on
/// every host and never in a pool.
pub(crate) fn parse_ipv6(text: &str) -> Vec<Route> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let dest = Ipv6Addr::from(u128::from_str_radix(f.first()?, 16).ok()?);
            let prefix = u8::from_str_radix(f.get(1)?, 16).ok()?;
            let iface = f.get(9)?;
            let net = Ipv6Net::new(dest, prefix).ok()?.trunc();
            let everywhere = *iface == "lo" || dest.is_unicast_link_local() || dest.is_multicast();
            (prefix > 0 && !everywhere).then(|| Route {
                net: IpNet::V6(net),
                iface: iface.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // As this machine's kernel writes it (trailing spaces trimmed).
    const ROUTE: &str = "\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
nrtest-br0\t00FEFE0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
wg0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0
";

    const IPV6_ROUTE: &str = "\
fd00000000000000000000000000d000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
";

    #[test]
    fn ipv4_routes_without_the_default() {
        let routes = parse_ipv4(ROUTE);
        let shown: Vec<String> = routes
            .iter()
            .map(|r| format!("{} {}", r.net, r.iface))
            .collect();
        if cfg!(target_endian = "little") {
            assert_eq!(
                shown,
                [
                    "10.254.254.0/24 nrtest-br0",
                    "172.17.0.0/16 docker0",
                    "10.0.0.0/8 wg0"
                ]
            );
        }
    }

    #[test]
    fn ipv6_routes_without_default_link_local_or_loopback() {
        let routes = parse_ipv6(IPV6_ROUTE);
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].net.to_string(), "fd00::/64");
        assert_eq!(routes[0].iface, "eth0");
    }

    #[test]
    fn garbage_lines_are_skipped() {
        assert!(parse_ipv4("header\nnot a route\n").is_empty());
        assert!(parse_ipv6("zz 40\n").is_empty());
    }

    #[test]
    fn this_hosts_routes_can_be_read() {
        // Whatever they are: reading must not fail, and no default route slips in.
        for r in host_routes() {
            assert!(r.net.prefix_len() > 0, "{r:?}");
        }
    }
}
