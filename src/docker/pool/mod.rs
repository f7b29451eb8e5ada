//! netrig's own address pool: where a network created without a `subnet`
//! gets its subnet from, instead of from the daemon's default pools.
//!
//! Docker's default pools hold about 31 bridge networks (15 × /16 in
//! 172.17–31, 16 × /20 in 192.168) and each network without a subnet takes a
//! whole one, so a suite of a few parallel scenarios runs out. netrig cuts
//! its own range into small subnets instead (a /16 gives 256 × /24), skips
//! those that overlap a network on the daemon or a route of the host, and
//! creates the network with the subnet it chose.
//!
//! - [`SubnetPool`]: the range and the subnet size (`--subnet-pool`,
//!   `NETRIG_SUBNET_POOL`), parsed and cut up; pure.
//! - [`routes`]: the host's routes, read from `/proc/net/route` and
//!   `/proc/net/ipv6_route`; the parsers are pure.
//! - [`full`]: the messages of a request the pool cannot meet.
//! - [`book`]: which subnets this process holds, for whom, who waits for
//!   more, and what to do when the pool is full; pure.
//! - [`alloc`]: the book per daemon, fed with fresh views of the daemon,
//!   the waiting, and creation with retries when another process raced.
//! - [`occupancy`]: the daemon's networks and the host's routes turned into
//!   the subnets of the pool that are not free, and why; pure.

pub(crate) mod alloc;
pub(crate) mod book;
pub(crate) mod full;
pub(crate) mod occupancy;
pub(crate) mod routes;

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use ipnet::Ipv4Net;

/// The default range. Why this one:
/// - not in Docker's own default pools (172.17–31.0.0/16 and 192.168.0.0/16
///   in /20s), so netrig and `docker network create` without a subnet never
///   compete, and not in swarm's default overlay pool, which hands out
///   10.0.0.0/8 as /24s from 10.0.0.0 upwards;
/// - not where home routers (192.168.x, 10.0.x, 10.1.x), cloud VPC wizards
///   (10.0.0.0/16, 172.31.0.0/16), Kubernetes (10.96.0.0/12 services,
///   10.244.0.0/16 pods, k3s 10.42/10.43), Podman (10.88/10.89) and
///   carrier-grade NAT / Tailscale (100.64.0.0/10) usually are;
/// - a /16 of /24s: 256 networks, each with 253 addresses for containers,
///   read at a glance (`10.213.7.0/24`, gateway `10.213.7.1`).
///
/// A LAN or VPN that uses it anyway shows up as a route of the host, and
/// netrig skips the subnets it covers.
pub(crate) const DEFAULT_POOL: &str = "10.213.0.0/16";

/// Subnet size when the pool names none: /24, or the whole range when that
/// is smaller.
pub(crate) const DEFAULT_SUBNET_PREFIX: u8 = 24;

/// The smallest subnet a network can use: a /30 has the gateway and one
/// address for a container.
pub(crate) const MAX_SUBNET_PREFIX: u8 = 30;

/// A range of IPv4 addresses cut into equal subnets: `10.213.0.0/16/24` is
/// 10.213.0.0/16 cut into 256 × /24.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubnetPool {
    range: Ipv4Net,
    prefix: u8,
}

impl Default for SubnetPool {
    fn default() -> Self {
        DEFAULT_POOL.parse().expect("the default pool parses")
    }
}

impl SubnetPool {
    /// A pool of `range` cut into subnets of `/prefix`.
    pub(crate) fn new(range: Ipv4Net, prefix: u8) -> Result<SubnetPool, String> {
        if range.network() != range.addr() {
            return Err(format!(
                "{range} is not the start of a range: did you mean {}?",
                range.trunc()
            ));
        }
        if prefix < range.prefix_len() {
            return Err(format!(
                "subnets of /{prefix} do not fit in {range}: the size must be /{} or smaller (a larger number)",
                range.prefix_len()
            ));
        }
        if prefix > MAX_SUBNET_PREFIX {
            return Err(format!(
                "subnets of /{prefix} are too small for a network: /{MAX_SUBNET_PREFIX} is the smallest (a gateway and one container)"
            ));
        }
        Ok(SubnetPool { range, prefix })
    }

    /// The whole range.
    pub(crate) fn range(&self) -> Ipv4Net {
        self.range
    }

    /// The prefix length of each subnet.
    pub(crate) fn prefix(&self) -> u8 {
        self.prefix
    }

    /// How many subnets the pool holds.
    pub(crate) fn capacity(&self) -> usize {
        1usize << (self.prefix - self.range.prefix_len())
    }

    /// The pool's subnets, lowest first.
    pub(crate) fn subnets(&self) -> impl Iterator<Item = Ipv4Net> + '_ {
        self.range
            .subnets(self.prefix)
            .expect("prefix checked in new()")
    }

    /// The pool's subnets that overlap `net` (all of them if `net` covers
    /// the range, none if it lies outside).
    pub(crate) fn subnets_overlapping(&self, net: Ipv4Net) -> impl Iterator<Item = Ipv4Net> + '_ {
        // Walks the pool's subnets within the overlap only, so a route such
        // as 10.0.0.0/8 over a /16 pool costs 256 steps, not millions.
        let overlap = if self.range.contains(&net) {
            Some(net)
        } else if net.contains(&self.range) {
            Some(self.range)
        } else {
            None
        };
        overlap.into_iter().flat_map(move |o| {
            let start = if o.prefix_len() > self.prefix {
                Ipv4Net::new(o.network(), self.prefix)
                    .expect("prefix is valid")
                    .trunc()
            } else {
                o
            };
            start
                .subnets(self.prefix.max(start.prefix_len()))
                .expect("prefix is valid")
        })
    }

    /// A pool of the same subnets over a range wide enough for `needed`
    /// subnets, for the "widen it with …" hint; `None` when no IPv4 range
    /// of this subnet size is that large.
    pub(crate) fn widened_for(&self, needed: usize) -> Option<SubnetPool> {
        let mut bits = self.range.prefix_len();
        while (1usize << (self.prefix - bits)) < needed {
            if bits <= 8 {
                return None;
            }
            bits -= 1;
        }
        let range = Ipv4Net::new(self.range.network(), bits).ok()?.trunc();
        SubnetPool::new(range, self.prefix).ok()
    }
}

impl FromStr for SubnetPool {
    type Err = String;

    /// `CIDR` or `CIDR/size`: `10.213.0.0/16`, `10.213.0.0/22/26`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let usage = || {
            format!(
                "{text:?} is not a subnet pool: write CIDR or CIDR/size, e.g. {DEFAULT_POOL} or {DEFAULT_POOL}/26"
            )
        };
        let mut parts = text.splitn(3, '/');
        let (Some(addr), Some(bits)) = (parts.next(), parts.next()) else {
            return Err(usage());
        };
        let addr: Ipv4Addr = addr.parse().map_err(|_| {
            if addr.contains(':') {
                format!(
                    "{text:?}: netrig's pool is IPv4 only; give IPv6 networks an explicit subnet"
                )
            } else {
                usage()
            }
        })?;
        let bits: u8 = bits.parse().map_err(|_| usage())?;
        let range = Ipv4Net::new(addr, bits).map_err(|_| usage())?;
        let prefix = match parts.next() {
            Some(size) => size.parse().map_err(|_| usage())?,
            None => DEFAULT_SUBNET_PREFIX.max(bits),
        };
        SubnetPool::new(range, prefix)
    }
}

impl fmt::Display for SubnetPool {
    /// `10.213.0.0/16/24`: the form `--subnet-pool` takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.range, self.prefix)
    }
}

/// The gateway of a subnet the pool hands out: its first address, as
/// Docker itself picks it.
pub(crate) fn gateway(subnet: Ipv4Net) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(subnet.network()) + 1)
}

/// Whether two networks share an address.
pub(crate) fn overlaps(a: Ipv4Net, b: Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_is_a_slash_16_of_slash_24s() {
        let pool = SubnetPool::default();
        assert_eq!(pool.to_string(), "10.213.0.0/16/24");
        assert_eq!(pool.capacity(), 256);
        let first: Vec<String> = pool.subnets().take(2).map(|n| n.to_string()).collect();
        assert_eq!(first, ["10.213.0.0/24", "10.213.1.0/24"]);
        assert_eq!(gateway(net("10.213.7.0/24")).to_string(), "10.213.7.1");
    }

    #[test]
    fn the_default_avoids_dockers_own_pools() {
        let pool = SubnetPool::default().range();
        for docker in (17..=31)
            .map(|b| net(&format!("172.{b}.0.0/16")))
            .chain([net("192.168.0.0/16"), net("10.0.0.0/16")])
        {
            assert!(!overlaps(pool, docker), "{docker}");
        }
    }

    #[test]
    fn a_size_after_the_range_cuts_it_finer() {
        let pool: SubnetPool = "10.50.0.0/22/26".parse().unwrap();
        assert_eq!(pool.capacity(), 16);
        assert_eq!(pool.subnets().nth(1).unwrap(), net("10.50.0.64/26"));
        assert_eq!(gateway(net("10.50.0.64/26")).to_string(), "10.50.0.65");
        // A range smaller than a /24 is one subnet unless a size is given.
        let small: SubnetPool = "10.50.0.0/27".parse().unwrap();
        assert_eq!((small.prefix(), small.capacity()), (27, 1));
    }

    #[test]
    fn bad_pools_say_what_to_write() {
        let err = |s: &str| s.parse::<SubnetPool>().unwrap_err();
        assert!(err("10.213.0.0").contains("write CIDR or CIDR/size"));
        assert!(err("ten/16").contains("write CIDR or CIDR/size"));
        assert!(err("10.213.1.0/16").contains("did you mean 10.213.0.0/16?"));
        assert!(err("10.213.0.0/24/16").contains("/24 or smaller"));
        assert!(err("10.213.0.0/16/31").contains("/30 is the smallest"));
        assert!(err("fd00::/64").contains("IPv4 only"));
    }

    #[test]
    fn subnets_overlapping_walks_only_the_overlap() {
        let pool: SubnetPool = "10.213.0.0/16".parse().unwrap();
        let inside: Vec<_> = pool.subnets_overlapping(net("10.213.4.0/23")).collect();
        assert_eq!(inside, [net("10.213.4.0/24"), net("10.213.5.0/24")]);
        let within_one: Vec<_> = pool.subnets_overlapping(net("10.213.9.128/25")).collect();
        assert_eq!(within_one, [net("10.213.9.0/24")]);
        assert_eq!(pool.subnets_overlapping(net("10.0.0.0/8")).count(), 256);
        assert_eq!(pool.subnets_overlapping(net("10.214.0.0/24")).count(), 0);
    }

    #[test]
    fn widening_keeps_the_subnet_size() {
        let pool: SubnetPool = "10.213.0.0/22".parse().unwrap();
        assert_eq!(pool.widened_for(5).unwrap().to_string(), "10.213.0.0/21/24");
        assert_eq!(pool.widened_for(4).unwrap(), pool);
        assert_eq!(pool.widened_for(1 << 20), None);
    }
}
