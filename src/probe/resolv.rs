//! Reading a container's resolver configuration: `/etc/resolv.conf` and
//! `/etc/hosts` as the C library inside the container would read them.
//! Pure text in, values out.

use std::net::IpAddr;
use std::time::Duration;

/// What `/etc/resolv.conf` says, with the C library's defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvConf {
    /// `nameserver` lines, in order (at most three count, as in glibc).
    pub nameservers: Vec<IpAddr>,
    /// `search` (or `domain`) suffixes tried for short names.
    pub search: Vec<String>,
    /// `options ndots:N`: names with at least N dots are tried as given first.
    pub ndots: usize,
    /// `options timeout:N`: how long to wait for one server.
    pub timeout: Duration,
    /// `options attempts:N`: rounds over the server list.
    pub attempts: u32,
}

impl Default for ResolvConf {
    /// glibc's answer to a missing file: ask the local machine.
    fn default() -> Self {
        ResolvConf {
            nameservers: vec![IpAddr::from([127, 0, 0, 1])],
            search: Vec::new(),
            ndots: 1,
            timeout: Duration::from_secs(5),
            attempts: 2,
        }
    }
}

/// glibc reads at most this many `nameserver` lines.
const MAX_NAMESERVERS: usize = 3;

impl ResolvConf {
    /// Parses the file's text; unknown lines and options are ignored, as
    /// the C library does.
    ///
    /// ```text
    /// let c = netrig::probe::ResolvConf::parse("nameserver 127.0.0.11\noptions ndots:0\n");
    /// assert_eq!(c.nameservers, vec!["127.0.0.11".parse::<std::net::IpAddr>().unwrap()]);
    /// assert_eq!(c.ndots, 0);
    /// ```
    pub fn parse(text: &str) -> ResolvConf {
        let mut conf = ResolvConf {
            nameservers: Vec::new(),
            ..ResolvConf::default()
        };
        for line in text.lines() {
            let line = line.split(['#', ';']).next().unwrap_or("");
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    // A scope (`fe80::1%eth0`) cannot be kept on an IpAddr.
                    let server = words.next().and_then(|w| w.split('%').next()?.parse().ok());
                    if let Some(server) = server
                        && conf.nameservers.len() < MAX_NAMESERVERS
                    {
                        conf.nameservers.push(server);
                    }
                }
                // The last of `search` and `domain` wins, as in glibc.
                Some("search" | "domain") => {
                    conf.search = words.map(|w| w.trim_end_matches('.').to_string()).collect();
                }
                Some("options") => {
                    for option in words {
                        let (key, value) = option.split_once(':').unwrap_or((option, ""));
                        let number = value.parse::<u32>().ok();
                        match (key, number) {
                            ("ndots", Some(n)) => conf.ndots = n.min(15) as usize,
                            ("timeout", Some(n)) => {
                                conf.timeout = Duration::from_secs(n.clamp(1, 30).into());
                            }
                            ("attempts", Some(n)) => conf.attempts = n.clamp(1, 5),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if conf.nameservers.is_empty() {
            conf.nameservers = ResolvConf::default().nameservers;
        }
        conf
    }

    /// The fully qualified names to ask for `name`, in the order the C
    /// library asks them: as given first when it has at least `ndots`
    /// dots (or ends in a dot), else each search suffix first.
    ///
    /// ```text
    /// let c = netrig::probe::ResolvConf::parse("search corp.example\n");
    /// assert_eq!(c.candidates("db"), vec!["db.corp.example.", "db."]);
    /// assert_eq!(c.candidates("db.local."), vec!["db.local."]);
    /// ```
    pub fn candidates(&self, name: &str) -> Vec<String> {
        if let Some(absolute) = name.strip_suffix('.') {
            return vec![format!("{absolute}.")];
        }
        let as_given = format!("{name}.");
        let searched = self.search.iter().map(|suffix| format!("{name}.{suffix}."));
        let mut out: Vec<String> = Vec::new();
        if name.matches('.').count() >= self.ndots {
            out.push(as_given);
            out.extend(searched);
        } else {
            out.extend(searched);
            out.push(as_given);
        }
        out.dedup();
        out
    }
}

/// The entries of an `/etc/hosts` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hosts {
    entries: Vec<(IpAddr, Vec<String>)>,
}

impl Hosts {
    /// Parses the file's text: an address, then its names; `#` comments.
    pub fn parse(text: &str) -> Hosts {
        let entries = text
            .lines()
            .filter_map(|line| {
                let line = line.split('#').next().unwrap_or("");
                let mut words = line.split_whitespace();
                let addr = words.next()?.split('%').next()?.parse().ok()?;
                let names: Vec<String> = words.map(|w| w.to_ascii_lowercase()).collect();
                (!names.is_empty()).then_some((addr, names))
            })
            .collect();
        Hosts { entries }
    }

    /// Every address listed for `name` (case-insensitive, a trailing dot
    /// ignored), in file order.
    ///
    /// ```text
    /// let h = netrig::probe::Hosts::parse("127.0.0.1 localhost\n172.17.0.3 db 1a2b3c\n");
    /// assert_eq!(h.lookup("DB"), vec!["172.17.0.3".parse::<std::net::IpAddr>().unwrap()]);
    /// assert!(h.lookup("web").is_empty());
    /// ```
    pub fn lookup(&self, name: &str) -> Vec<IpAddr> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let mut out: Vec<IpAddr> = Vec::new();
        for (addr, names) in &self.entries {
            if names.contains(&name) && !out.contains(addr) {
                out.push(*addr);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockers_embedded_dns_file_is_read() {
        // What Docker writes on a user-defined network.
        let conf =
            ResolvConf::parse("search example.internal\nnameserver 127.0.0.11\noptions ndots:0\n");
        assert_eq!(conf.nameservers, vec![IpAddr::from([127, 0, 0, 11])]);
        assert_eq!(conf.search, vec!["example.internal"]);
        assert_eq!(conf.ndots, 0);
        // ndots:0 asks the short name as given before any suffix.
        assert_eq!(
            conf.candidates("web"),
            vec!["web.", "web.example.internal."]
        );
    }

    #[test]
    fn defaults_options_and_comments() {
        let conf = ResolvConf::parse(
            "# generated\nnameserver 10.0.0.1 ; primary\nnameserver fe80::1%eth0\n\
             nameserver 10.0.0.3\nnameserver 10.0.0.4\nnameserver nonsense\n\
             domain a.example\nsearch b.example. c.example\n\
             options timeout:1 attempts:9 rotate ndots:x\n",
        );
        assert_eq!(conf.nameservers.len(), 3, "{conf:?}");
        assert_eq!(conf.nameservers[1], "fe80::1".parse::<IpAddr>().unwrap());
        assert_eq!(conf.search, vec!["b.example", "c.example"]);
        assert_eq!(conf.timeout, Duration::from_secs(1));
        assert_eq!(conf.attempts, 5);
        assert_eq!(conf.ndots, 1);
        assert_eq!(
            ResolvConf::parse("").nameservers,
            vec![IpAddr::from([127, 0, 0, 1])]
        );
    }

    #[test]
    fn names_with_enough_dots_go_first_as_given() {
        let conf = ResolvConf::parse("search s.example\noptions ndots:2\n");
        assert_eq!(conf.candidates("a.b"), vec!["a.b.s.example.", "a.b."]);
        assert_eq!(conf.candidates("a.b.c"), vec!["a.b.c.", "a.b.c.s.example."]);
        assert_eq!(ResolvConf::parse("").candidates("web"), vec!["web."]);
    }

    #[test]
    fn hosts_files_list_aliases_and_both_families() {
        let hosts = Hosts::parse(
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\
             fe00::0\tip6-localnet\n# 10.0.0.9 hidden\n172.18.0.2\tweb web.alias abc123\n\
             bogus line\n172.18.0.2 web\n",
        );
        assert_eq!(
            hosts.lookup("localhost"),
            vec![
                IpAddr::from([127, 0, 0, 1]),
                "::1".parse::<IpAddr>().unwrap()
            ]
        );
        assert_eq!(
            hosts.lookup("web.alias."),
            vec![IpAddr::from([172, 18, 0, 2])]
        );
        assert_eq!(hosts.lookup("web"), vec![IpAddr::from([172, 18, 0, 2])]);
        assert!(hosts.lookup("hidden").is_empty());
    }
}
