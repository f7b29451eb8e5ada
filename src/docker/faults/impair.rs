//! Link impairments as values: what `impair()` asks for, how later calls
//! combine with earlier ones, and the `tc` command lines that put the
//! sending side of an interface into that shape. Pure: no processes here
//! (see `faults/mod.rs` for where they run).

use std::fmt;

/// What one `impair()` call sets; `None` leaves a setting as it was.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Impairment {
    /// Share of arriving packets dropped at random, 0–100.
    pub(crate) loss_pct: Option<f64>,
    /// Sending rate in bits per second.
    pub(crate) rate_bps: Option<u64>,
    /// Added one-way delay on sending, in milliseconds (needs netem).
    pub(crate) delay_ms: Option<u32>,
    /// Random variation of that delay, in milliseconds (needs netem).
    pub(crate) jitter_ms: Option<u32>,
}

/// The kernel feature delay and jitter need, named the way a kernel config
/// or a distribution's module list names it.
pub(crate) const NETEM_FEATURE: &str =
    "the netem queueing discipline (kernel option CONFIG_NET_SCH_NETEM, module sch_netem)";
/// The kernel feature a rate limit needs.
pub(crate) const TBF_FEATURE: &str =
    "the tbf queueing discipline (kernel option CONFIG_NET_SCH_TBF, module sch_tbf)";

impl Impairment {
    /// True when the call sets nothing.
    pub(crate) fn is_empty(&self) -> bool {
        *self == Impairment::default()
    }

    /// Checks ranges and combinations; the message names the option.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if let Some(p) = self.loss_pct
            && !(0.0..=100.0).contains(&p)
        {
            return Err(format!(
                "option \"loss_pct\" must be between 0 and 100, got {p}"
            ));
        }
        if self.rate_bps == Some(0) {
            return Err("option \"rate\" must be more than 0".into());
        }
        for (key, v) in [("delay_ms", self.delay_ms), ("jitter_ms", self.jitter_ms)] {
            if let Some(v) = v
                && v > 60_000
            {
                return Err(format!(
                    "option \"{key}\" must be at most 60000 (one minute), got {v}"
                ));
            }
        }
        if self.jitter_ms.is_some_and(|j| j > 0) && self.delay_ms.is_none_or(|d| d == 0) {
            return Err(
                "option \"jitter_ms\" varies a delay: give \"delay_ms\" in the same call".into(),
            );
        }
        Ok(())
    }

    /// This impairment with `later`'s settings laid over it: a later call
    /// changes only what it names, so impairments add up.
    pub(crate) fn then(&self, later: &Impairment) -> Impairment {
        Impairment {
            loss_pct: later.loss_pct.or(self.loss_pct),
            rate_bps: later.rate_bps.or(self.rate_bps),
            delay_ms: later.delay_ms.or(self.delay_ms),
            jitter_ms: later.jitter_ms.or(self.jitter_ms),
        }
    }

    /// The loss to apply, if any (0 % means none).
    pub(crate) fn loss(&self) -> Option<f64> {
        self.loss_pct.filter(|p| *p > 0.0)
    }

    /// The queueing discipline that shapes sending on an interface.
    pub(crate) fn qdisc(&self) -> Qdisc {
        let delay = self.delay_ms.unwrap_or(0);
        let jitter = self.jitter_ms.unwrap_or(0);
        if delay > 0 {
            Qdisc::Netem {
                delay_ms: delay,
                jitter_ms: jitter,
                rate_bps: self.rate_bps,
            }
        } else if let Some(rate_bps) = self.rate_bps {
            Qdisc::Tbf { rate_bps }
        } else {
            Qdisc::Default
        }
    }
}

impl fmt::Display for Impairment {
    /// `loss 50%, rate 8mbit, delay 100ms ± 10ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(p) = self.loss_pct {
            parts.push(format!("loss {p}%"));
        }
        if let Some(r) = self.rate_bps {
            parts.push(format!("rate {}", format_rate(r)));
        }
        match (self.delay_ms, self.jitter_ms) {
            (Some(d), Some(j)) if j > 0 => parts.push(format!("delay {d}ms ± {j}ms")),
            (Some(d), _) => parts.push(format!("delay {d}ms")),
            _ => {}
        }
        if parts.is_empty() {
            f.write_str("nothing")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// The root queueing discipline netrig puts on an interface.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Qdisc {
    /// The kernel's default: netrig's own is removed.
    Default,
    /// A token bucket: sends at most `rate_bps`.
    Tbf {
        /// Bits per second.
        rate_bps: u64,
    },
    /// netem: delays (and optionally rate-limits) what is sent.
    Netem {
        /// Delay in ms.
        delay_ms: u32,
        /// Jitter in ms.
        jitter_ms: u32,
        /// Optional rate in bits per second.
        rate_bps: Option<u64>,
    },
}

impl Qdisc {
    /// The kernel feature it needs, for error messages.
    pub(crate) fn feature(&self) -> &'static str {
        match self {
            Qdisc::Netem { .. } => NETEM_FEATURE,
            _ => TBF_FEATURE,
        }
    }

    /// `tc` arguments that make this the root qdisc of `dev`; for the
    /// default, the arguments that remove netrig's one.
    pub(crate) fn tc_args(&self, dev: &str) -> Vec<String> {
        let mut args: Vec<String> = match self {
            Qdisc::Default => return words(&["qdisc", "del", "dev", dev, "root"]),
            _ => words(&["qdisc", "replace", "dev", dev, "root"]),
        };
        match *self {
            Qdisc::Default => unreachable!("returned above"),
            Qdisc::Tbf { rate_bps } => {
                // A burst of 10 ms at the rate (never below two full frames)
                // keeps the bucket smooth at any rate; 50 ms of queue bounds
                // the added latency.
                let burst = (rate_bps / 8 / 100).max(3_000);
                args.extend(words(&["tbf", "rate", &format!("{rate_bps}bit")]));
                args.extend(words(&["burst", &burst.to_string(), "latency", "50ms"]));
            }
            Qdisc::Netem {
                delay_ms,
                jitter_ms,
                rate_bps,
            } => {
                args.extend(words(&["netem", "delay", &format!("{delay_ms}ms")]));
                if jitter_ms > 0 {
                    args.push(format!("{jitter_ms}ms"));
                }
                if let Some(rate) = rate_bps {
                    args.extend(words(&["rate", &format!("{rate}bit")]));
                }
            }
        }
        args
    }
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

/// Whether `tc`'s complaint means the kernel lacks the qdisc kind.
pub(crate) fn is_unknown_qdisc(stderr: &str) -> bool {
    stderr.contains("Specified qdisc kind is unknown")
        || stderr.contains("Unknown qdisc")
        || stderr.contains("qdisc kind is unknown")
}

/// Whether `tc qdisc del … root` failed only because there was nothing to delete.
pub(crate) fn is_nothing_to_delete(stderr: &str) -> bool {
    stderr.contains("Cannot delete qdisc with handle of zero")
        || stderr.contains("No such file or directory")
        || stderr.contains("Cannot find device")
}

/// Root qdisc kind per device from `tc qdisc show` output
/// (`qdisc tbf 8001: dev eth0 root refcnt 3 rate …`).
pub(crate) fn root_qdiscs(tc_show: &str) -> Vec<(String, String)> {
    tc_show
        .lines()
        .filter_map(|line| {
            let w: Vec<&str> = line.split_whitespace().collect();
            let dev = w.iter().position(|x| *x == "dev")?;
            if w.first() != Some(&"qdisc") || !w.contains(&"root") {
                return None;
            }
            Some((w.get(dev + 1)?.to_string(), w.get(1)?.to_string()))
        })
        .collect()
}

/// Parses a rate like `tc` writes it: `8mbit`, `512kbit`, `1gbit`, `100bit`,
/// or bytes per second `125kbps`, `1mbps`. Returns bits per second.
pub(crate) fn parse_rate(text: &str) -> Result<u64, String> {
    let t = text.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let bad = || {
        format!(
            "option \"rate\" must be a number and a unit like \"8mbit\", \"512kbit\", \"1gbit\" \
             or \"125kbps\" (bytes per second), got {text:?}"
        )
    };
    let value: f64 = number.parse().map_err(|_| bad())?;
    let factor: f64 = match unit {
        "bit" => 1.0,
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        "bps" => 8.0,
        "kbps" => 8e3,
        "mbps" => 8e6,
        "gbps" => 8e9,
        _ => return Err(bad()),
    };
    let bps = value * factor;
    if !(1.0..=1e11).contains(&bps) {
        return Err(format!(
            "option \"rate\" must be between 1bit and 100gbit, got {text:?}"
        ));
    }
    Ok(bps.round() as u64)
}

/// `8000000` → `8mbit`, for people.
pub(crate) fn format_rate(bps: u64) -> String {
    for (unit, factor) in [
        ("gbit", 1_000_000_000),
        ("mbit", 1_000_000),
        ("kbit", 1_000),
    ] {
        if bps >= factor && bps.is_multiple_of(factor) {
            return format!("{}{unit}", bps / factor);
        }
    }
    format!("{bps}bit")
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Qdisc {
        /// The kind `tc qdisc show` prints for it (`None` for the default).
        fn kind(&self) -> Option<&'static str> {
            match self {
                Qdisc::Default => None,
                Qdisc::Tbf { .. } => Some("tbf"),
                Qdisc::Netem { .. } => Some("netem"),
            }
        }
    }

    #[test]
    fn rates_parse_like_tc_writes_them() {
        assert_eq!(parse_rate("8mbit"), Ok(8_000_000));
        assert_eq!(parse_rate("512kbit"), Ok(512_000));
        assert_eq!(parse_rate("1.5Mbit"), Ok(1_500_000));
        assert_eq!(parse_rate("125kbps"), Ok(1_000_000));
        assert_eq!(parse_rate("100bit"), Ok(100));
        let e = parse_rate("fast").unwrap_err();
        assert!(e.contains("\"8mbit\"") && e.contains("\"fast\""), "{e}");
        assert!(parse_rate("8").is_err());
        assert!(parse_rate("8 furlongs").is_err());
        assert!(parse_rate("0mbit").unwrap_err().contains("between"));
    }

    #[test]
    fn rates_print_in_the_largest_whole_unit() {
        assert_eq!(format_rate(8_000_000), "8mbit");
        assert_eq!(format_rate(1_500_000), "1500kbit");
        assert_eq!(format_rate(7), "7bit");
    }

    #[test]
    fn later_calls_change_only_what_they_name() {
        let first = Impairment {
            loss_pct: Some(10.0),
            ..Default::default()
        };
        let second = Impairment {
            rate_bps: Some(8_000_000),
            ..Default::default()
        };
        let third = Impairment {
            loss_pct: Some(0.0),
            ..Default::default()
        };
        let both = first.then(&second);
        assert_eq!(both.loss(), Some(10.0));
        assert_eq!(both.rate_bps, Some(8_000_000));
        let no_loss = both.then(&third);
        assert_eq!(no_loss.loss(), None, "loss_pct: 0 switches loss off");
        assert_eq!(no_loss.rate_bps, Some(8_000_000));
    }

    #[test]
    fn validation_names_the_option() {
        let bad = |i: Impairment| i.validate().unwrap_err();
        assert!(
            bad(Impairment {
                loss_pct: Some(150.0),
                ..Default::default()
            })
            .contains("\"loss_pct\" must be between 0 and 100")
        );
        assert!(
            bad(Impairment {
                jitter_ms: Some(5),
                ..Default::default()
            })
            .contains("\"delay_ms\"")
        );
        assert!(
            Impairment {
                delay_ms: Some(100),
                jitter_ms: Some(10),
                ..Default::default()
            }
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn a_rate_alone_is_a_token_bucket() {
        let q = Impairment {
            rate_bps: Some(8_000_000),
            loss_pct: Some(5.0),
            ..Default::default()
        }
        .qdisc();
        assert_eq!(
            q,
            Qdisc::Tbf {
                rate_bps: 8_000_000
            }
        );
        assert_eq!(
            q.tc_args("eth0").join(" "),
            "qdisc replace dev eth0 root tbf rate 8000000bit burst 10000 latency 50ms"
        );
        // Slow rates still let a full frame through.
        let slow = Qdisc::Tbf { rate_bps: 64_000 }.tc_args("eth1").join(" ");
        assert!(slow.contains("burst 3000"), "{slow}");
    }

    #[test]
    fn a_delay_is_netem_with_the_rate_inside() {
        let q = Impairment {
            rate_bps: Some(1_000_000),
            delay_ms: Some(100),
            jitter_ms: Some(10),
            ..Default::default()
        }
        .qdisc();
        assert_eq!(q.kind(), Some("netem"));
        assert_eq!(
            q.tc_args("eth0").join(" "),
            "qdisc replace dev eth0 root netem delay 100ms 10ms rate 1000000bit"
        );
        assert!(q.feature().contains("CONFIG_NET_SCH_NETEM"));
    }

    #[test]
    fn nothing_to_shape_removes_the_root_qdisc() {
        let q = Impairment {
            loss_pct: Some(50.0),
            ..Default::default()
        }
        .qdisc();
        assert_eq!(q, Qdisc::Default);
        assert_eq!(q.tc_args("eth0").join(" "), "qdisc del dev eth0 root");
    }

    #[test]
    fn tc_complaints_are_recognised() {
        assert!(is_unknown_qdisc(
            "Error: Specified qdisc kind is unknown.\n"
        ));
        assert!(!is_unknown_qdisc(
            "RTNETLINK answers: Operation not permitted"
        ));
        assert!(is_nothing_to_delete(
            "Error: Cannot delete qdisc with handle of zero.\n"
        ));
    }

    #[test]
    fn root_qdiscs_are_read_from_tc_show() {
        let show = "qdisc noqueue 0: dev lo root refcnt 2 \n\
                    qdisc tbf 8001: dev eth0 root refcnt 3 rate 8Mbit burst 4Kb lat 400ms \n\
                    qdisc ingress ffff: dev eth0 parent ffff:fff1 ---------------- \n";
        assert_eq!(
            root_qdiscs(show),
            vec![
                ("lo".to_string(), "noqueue".to_string()),
                ("eth0".to_string(), "tbf".to_string())
            ]
        );
    }

    #[test]
    fn impairments_describe_themselves() {
        let i = Impairment {
            loss_pct: Some(50.0),
            rate_bps: Some(8_000_000),
            delay_ms: Some(100),
            jitter_ms: Some(10),
        };
        assert_eq!(i.to_string(), "loss 50%, rate 8mbit, delay 100ms ± 10ms");
    }
}
