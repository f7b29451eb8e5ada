//! The one iptables chain netrig owns inside a container's network
//! namespace, `NETRIG-INPUT`, jumped to from `INPUT`. Everything netrig
//! drops on arrival lives there: the addresses of containers cut off from
//! this one, and random loss per interface. Pure: this file renders and
//! reads iptables text; `faults/mod.rs` runs the tools.
//!
//! Why on arrival (INPUT) only: a packet dropped on the way out (OUTPUT)
//! fails the sender's `sendto` with EPERM, and busybox `ping` gives up at
//! the first such error; a real partition or a lossy link is silent. Cutting
//! both containers' INPUT blocks both directions.

use std::net::IpAddr;

/// The chain's name (the same in the IPv4 and the IPv6 table).
pub(crate) const CHAIN: &str = "NETRIG-INPUT";

/// Address family, and with it which tools to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// iptables.
    V4,
    /// ip6tables.
    V6,
}

impl Family {
    /// The family of an address.
    pub(crate) fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// `iptables` / `ip6tables`.
    pub(crate) fn iptables(self) -> &'static str {
        match self {
            Family::V4 => "iptables",
            Family::V6 => "ip6tables",
        }
    }

    /// `iptables-save` / `ip6tables-save`.
    pub(crate) fn save(self) -> &'static str {
        match self {
            Family::V4 => "iptables-save",
            Family::V6 => "ip6tables-save",
        }
    }

    /// `iptables-restore` / `ip6tables-restore`.
    pub(crate) fn restore(self) -> &'static str {
        match self {
            Family::V4 => "iptables-restore",
            Family::V6 => "ip6tables-restore",
        }
    }
}

/// What a container should drop on arrival.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct InputRules {
    /// Every packet from these addresses (containers cut off from this one).
    pub(crate) drop_from: Vec<IpAddr>,
    /// `(interface, percent)`: this share of packets arriving on the interface.
    pub(crate) loss: Vec<(String, f64)>,
}

impl InputRules {
    /// Rules of one family, one `-A` line each, in a fixed order.
    pub(crate) fn lines(&self, family: Family) -> Vec<String> {
        let mut lines: Vec<String> = self
            .drop_from
            .iter()
            .filter(|a| Family::of(a) == family)
            .map(|a| {
                let bits = if family == Family::V4 { 32 } else { 128 };
                format!("-A {CHAIN} -s {a}/{bits} -j DROP")
            })
            .collect();
        for (dev, pct) in &self.loss {
            if *pct >= 100.0 {
                lines.push(format!("-A {CHAIN} -i {dev} -j DROP"));
            } else {
                lines.push(format!(
                    "-A {CHAIN} -i {dev} -m statistic --mode random --probability {:.5} -j DROP",
                    pct / 100.0
                ));
            }
        }
        lines
    }

    /// An `iptables-restore --noflush` document that replaces the chain's
    /// rules in one atomic step (declaring a chain flushes it) and adds the
    /// jump from INPUT unless it is already there.
    pub(crate) fn restore_document(&self, family: Family, jump_present: bool) -> String {
        let mut doc = format!("*filter\n:{CHAIN} - [0:0]\n");
        for line in self.lines(family) {
            doc.push_str(&line);
            doc.push('\n');
        }
        if !jump_present {
            doc.push_str(&format!("-I INPUT 1 -j {CHAIN}\n"));
        }
        doc.push_str("COMMIT\n");
        doc
    }
}

/// What of netrig's is in a filter table, read from `iptables-save -t filter`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Installed {
    /// `NETRIG-INPUT` exists.
    pub(crate) chain: bool,
    /// `INPUT` jumps to it.
    pub(crate) jump: bool,
}

impl Installed {
    /// Reads an `iptables-save` listing.
    pub(crate) fn from_save(save: &str) -> Installed {
        Installed {
            chain: save.lines().any(|l| l.starts_with(&format!(":{CHAIN} "))),
            jump: save
                .lines()
                .any(|l| l.trim() == format!("-A INPUT -j {CHAIN}")),
        }
    }

    /// The `iptables` argument lists that remove netrig's chain entirely.
    pub(crate) fn removal(&self) -> Vec<Vec<String>> {
        let mut cmds = Vec::new();
        let cmd = |w: &[&str]| -> Vec<String> {
            std::iter::once("-w")
                .chain(w.iter().copied())
                .map(String::from)
                .collect()
        };
        if self.jump {
            cmds.push(cmd(&["-D", "INPUT", "-j", CHAIN]));
        }
        if self.chain {
            cmds.push(cmd(&["-F", CHAIN]));
            cmds.push(cmd(&["-X", CHAIN]));
        }
        cmds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cut_peers_and_loss_become_drop_rules() {
        let rules = InputRules {
            drop_from: vec![ip("172.18.0.3"), ip("fd00::3"), ip("10.1.0.3")],
            loss: vec![("eth0".into(), 50.0), ("eth1".into(), 100.0)],
        };
        assert_eq!(
            rules.lines(Family::V4),
            vec![
                "-A NETRIG-INPUT -s 172.18.0.3/32 -j DROP",
                "-A NETRIG-INPUT -s 10.1.0.3/32 -j DROP",
                "-A NETRIG-INPUT -i eth0 -m statistic --mode random --probability 0.50000 -j DROP",
                "-A NETRIG-INPUT -i eth1 -j DROP",
            ]
        );
        assert_eq!(
            rules.lines(Family::V6)[0],
            "-A NETRIG-INPUT -s fd00::3/128 -j DROP"
        );
    }

    #[test]
    fn the_document_flushes_the_chain_and_jumps_once() {
        let rules = InputRules {
            drop_from: vec![ip("172.18.0.3")],
            loss: vec![],
        };
        assert_eq!(
            rules.restore_document(Family::V4, false),
            "*filter\n:NETRIG-INPUT - [0:0]\n-A NETRIG-INPUT -s 172.18.0.3/32 -j DROP\n\
             -I INPUT 1 -j NETRIG-INPUT\nCOMMIT\n"
        );
        assert!(
            !rules
                .restore_document(Family::V4, true)
                .contains("-I INPUT")
        );
    }

    #[test]
    fn installed_state_is_read_from_iptables_save() {
        let save = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\
                    :NETRIG-INPUT - [0:0]\n-A INPUT -j NETRIG-INPUT\n\
                    -A NETRIG-INPUT -s 1.2.3.4/32 -j DROP\nCOMMIT\n";
        let installed = Installed::from_save(save);
        assert_eq!(
            installed,
            Installed {
                chain: true,
                jump: true
            }
        );
        let removal: Vec<String> = installed.removal().iter().map(|c| c.join(" ")).collect();
        assert_eq!(
            removal,
            vec![
                "-w -D INPUT -j NETRIG-INPUT",
                "-w -F NETRIG-INPUT",
                "-w -X NETRIG-INPUT"
            ]
        );
        assert!(
            Installed::from_save("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n")
                .removal()
                .is_empty()
        );
    }
}
