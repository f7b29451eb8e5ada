//! `ping` from inside a container, and the parser for its summary lines
//! (busybox and iputils both).

use serde_json::{Value, json};

use super::client::Client;
use super::error::{DockerError, Result};
use crate::trace::Category;

/// A ping's outcome as a trace shows it.
fn ping_result(report: &Result<PingReport>) -> Value {
    match report {
        Ok(r) => json!({"sent": r.sent, "received": r.received, "rtt_ms": r.rtt_ms}),
        Err(e) => json!({"error": e.to_string()}),
    }
}

/// The outcome of pinging a target from a container.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PingReport {
    /// At least one reply came back.
    pub(crate) ok: bool,
    /// Echo requests sent.
    pub(crate) sent: u32,
    /// Replies received.
    pub(crate) received: u32,
    /// Share of requests without reply, 0–100.
    pub(crate) loss_pct: f64,
    /// Average round trip in milliseconds, when any reply came back.
    pub(crate) rtt_ms: Option<f64>,
    /// Shortest and longest round trip, when any reply came back.
    pub(crate) rtt_min_max: Option<(f64, f64)>,
    /// Why no reply came, when none did: `no_such_name` (the name does not
    /// resolve), `unreachable` (the network said so) or `timeout`.
    pub(crate) error: Option<&'static str>,
}

/// Seconds between echo requests: fast, yet gentle on the network.
const INTERVAL_SECS: f64 = 0.2;

/// The ping command line: `count` requests, a short interval, and a
/// deadline so an unreachable target costs about a second, not ten.
pub(crate) fn ping_command(target: &str, count: u32) -> Vec<String> {
    let deadline = (f64::from(count) * INTERVAL_SECS).ceil() as u32 + 1;
    vec![
        "ping".into(),
        "-c".into(),
        count.to_string(),
        "-i".into(),
        INTERVAL_SECS.to_string(),
        "-W".into(),
        "1".into(),
        "-w".into(),
        deadline.to_string(),
        target.into(),
    ]
}

/// Reads the summary of a ping run. `None` when there is no summary (the
/// name did not resolve, or `ping` is missing). Both busybox's and
/// iputils' summaries are read (the unit tests below hold examples).
pub(crate) fn parse_ping_output(output: &str) -> Option<PingReport> {
    let stats = output.lines().find(|l| l.contains("packets transmitted"))?;
    let mut numbers = stats
        .split(',')
        .map(|part| part.split_whitespace().next().unwrap_or(""));
    let sent: u32 = numbers.next()?.parse().ok()?;
    let received: u32 = numbers.next()?.parse().ok()?;
    // `round-trip min/avg/max = 0.064/0.094/0.133 ms` (iputils adds mdev).
    let rtts: Vec<f64> = output
        .lines()
        .find(|l| l.starts_with("round-trip") || l.starts_with("rtt"))
        .and_then(|l| l.split('=').nth(1))
        .map(|v| {
            v.split_whitespace()
                .next()
                .unwrap_or("")
                .split('/')
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let rtt_ms = rtts.get(1).copied();
    let rtt_min_max = match rtts.as_slice() {
        [min, _, max, ..] => Some((*min, *max)),
        _ => None,
    };
    let loss_pct = if sent == 0 {
        100.0
    } else {
        f64::from(sent - received.min(sent)) * 100.0 / f64::from(sent)
    };
    Some(PingReport {
        ok: received > 0,
        sent,
        received,
        loss_pct,
        rtt_ms,
        rtt_min_max,
        error: (received == 0).then(|| no_reply(output)),
    })
}

/// What one ping run printed and how it exited, as a report: a summary
/// means an answer (or none); no summary means the name did not resolve
/// or the network is down, which is an unreachable target, not a failed
/// call; exit code 126/127 means there is no `ping` to run.
pub(crate) fn interpret_ping(
    from: &str,
    target: &str,
    exit_code: i64,
    said: &str,
) -> Result<PingReport> {
    if let Some(report) = parse_ping_output(said) {
        return Ok(report);
    }
    let said = said.trim();
    if exit_code == 126 || exit_code == 127 || said.contains("executable file not found") {
        return Err(DockerError::Failed {
            action: format!("ping {target:?} from container {from:?}"),
            message: format!(
                "the container has no usable `ping` command ({said}); use an image with ping, such as busybox"
            ),
        });
    }
    Ok(PingReport {
        ok: false,
        sent: 0,
        received: 0,
        loss_pct: 100.0,
        rtt_ms: None,
        rtt_min_max: None,
        error: Some(no_reply(said)),
    })
}

/// Why a ping got no reply, from what it printed: busybox says `bad
/// address`, iputils `Name or service not known`.
fn no_reply(said: &str) -> &'static str {
    let lower = said.to_ascii_lowercase();
    if lower.contains("bad address")
        || lower.contains("not known")
        || lower.contains("unknown host")
    {
        "no_such_name"
    } else if lower.contains("unreachable") || lower.contains("no route") {
        "unreachable"
    } else {
        "timeout"
    }
}

/// A shell command that pings every target given as an argument at once
/// (`sh -c SCRIPT sh t1 t2 …`, so no target is ever parsed by the shell)
/// and prints each output line as `<index> <line>`, then `<index> rc <code>`.
/// One `echo` per line keeps the lines of concurrent pings whole.
pub(crate) fn ping_many_command(targets: &[String], count: u32) -> Vec<String> {
    let mut ping = ping_command("\"$t\"", count);
    ping.insert(1, "-q".into());
    let script = format!(
        "i=0; for t in \"$@\"; do \
         {{ {} 2>&1; echo \"rc $?\"; }} | while IFS= read -r l; do echo \"$i $l\"; done & \
         i=$((i+1)); done; wait",
        ping.join(" ")
    );
    let mut cmd = vec!["sh".to_string(), "-c".to_string(), script, "sh".to_string()];
    cmd.extend(targets.iter().cloned());
    cmd
}

/// Splits the output of [`ping_many_command`] by target: for each of `n`
/// targets, its exit code and what its ping printed; `None` for a target
/// that reported no exit code.
pub(crate) fn split_ping_many(output: &str, n: usize) -> Vec<Option<(i64, String)>> {
    let mut texts = vec![String::new(); n];
    let mut codes = vec![None; n];
    for line in output.lines() {
        let Some((index, rest)) = line.split_once(' ') else {
            continue;
        };
        let Some(i) = index.parse::<usize>().ok().filter(|i| *i < n) else {
            continue;
        };
        match rest.strip_prefix("rc ").map(|c| c.trim().parse::<i64>()) {
            Some(Ok(code)) => codes[i] = Some(code),
            _ => {
                texts[i].push_str(rest);
                texts[i].push('\n');
            }
        }
    }
    codes
        .into_iter()
        .zip(texts)
        .map(|(code, text)| code.map(|c| (c, text)))
        .collect()
}

impl Client {
    /// Pings `target` (a name or an address) `count` times from inside `from`.
    pub(crate) async fn ping(&self, from: &str, target: &str, count: u32) -> Result<PingReport> {
        self.ping_family(from, target, count, None).await
    }

    /// [`Client::ping`] over one address family: with `Some(4)` or
    /// `Some(6)` a name resolves to that family only (`ping -4` / `-6`);
    /// with `None`, to whatever the resolver gives first.
    pub(crate) async fn ping_family(
        &self,
        from: &str,
        target: &str,
        count: u32,
        family: Option<u8>,
    ) -> Result<PingReport> {
        let span = self.tracer().span(
            Category::Check,
            "ping",
            || json!({"from": from, "target": target, "count": count, "family": family}),
        );
        let report = async {
            let mut cmd = ping_command(target, count);
            if let Some(family) = family {
                cmd.insert(1, format!("-{family}"));
            }
            let output = self.exec(from, &cmd).await?;
            let said = format!("{}{}", output.stdout, output.stderr);
            interpret_ping(from, target, output.exit_code, &said)
        }
        .await;
        span.end(ping_result(&report));
        report
    }

    /// Pings every target from inside `from` in one exec (the pings run at
    /// once), one report per target in order. Without a shell in the image
    /// it falls back to one exec per target.
    pub(crate) async fn ping_many(
        &self,
        from: &str,
        targets: &[String],
        count: u32,
    ) -> Result<Vec<Result<PingReport>>> {
        let span = self.tracer().span(
            Category::Check,
            "ping many",
            || json!({"from": from, "targets": targets, "count": count}),
        );
        let reports = self.ping_many_steps(from, targets, count).await;
        span.end(match &reports {
            Ok(list) => json!(list.iter().map(ping_result).collect::<Vec<_>>()),
            Err(e) => json!({"error": e.to_string()}),
        });
        reports
    }

    async fn ping_many_steps(
        &self,
        from: &str,
        targets: &[String],
        count: u32,
    ) -> Result<Vec<Result<PingReport>>> {
        let output = self.exec(from, &ping_many_command(targets, count)).await?;
        let split = split_ping_many(&output.stdout, targets.len());
        if split.iter().all(Option::is_none) && output.exit_code != 0 {
            // No shell to run the loop: one exec per target instead.
            let pings = targets.iter().map(|t| self.ping(from, t, count));
            return Ok(futures_util::future::join_all(pings).await);
        }
        Ok(targets
            .iter()
            .zip(split)
            .map(|(target, result)| match result {
                Some((code, text)) => interpret_ping(from, target, code, &text),
                None => Err(DockerError::Failed {
                    action: format!("ping {target:?} from container {from:?}"),
                    message: format!(
                        "the ping gave no result ({})",
                        format!("{}{}", output.stdout, output.stderr).trim()
                    ),
                }),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busybox_summary() {
        let out = "PING web (172.18.0.2): 56 data bytes\n\
                   64 bytes from 172.18.0.2: seq=0 ttl=64 time=0.101 ms\n\n\
                   --- web ping statistics ---\n\
                   2 packets transmitted, 2 packets received, 0% packet loss\n\
                   round-trip min/avg/max = 0.064/0.094/0.133 ms\n";
        let r = parse_ping_output(out).unwrap();
        assert!(r.ok);
        assert_eq!((r.sent, r.received, r.loss_pct), (2, 2, 0.0));
        assert_eq!(r.rtt_ms, Some(0.094));
    }

    #[test]
    fn iputils_summary() {
        let out = "4 packets transmitted, 3 received, 25% packet loss, time 3004ms\n\
                   rtt min/avg/max/mdev = 0.040/0.058/0.071/0.012 ms\n";
        let r = parse_ping_output(out).unwrap();
        assert_eq!((r.sent, r.received, r.loss_pct), (4, 3, 25.0));
        assert_eq!(r.rtt_ms, Some(0.058));
    }

    #[test]
    fn total_loss_has_no_rtt() {
        let out = "1 packets transmitted, 0 packets received, 100% packet loss\n";
        let r = parse_ping_output(out).unwrap();
        assert!(!r.ok);
        assert_eq!(r.rtt_ms, None);
        assert_eq!(r.loss_pct, 100.0);
    }

    #[test]
    fn no_summary_is_none() {
        assert!(parse_ping_output("ping: bad address 'web'\n").is_none());
    }

    #[test]
    fn the_reason_for_no_reply_is_kept() {
        let r = interpret_ping("x", "web", 1, "ping: bad address 'web'\n").unwrap();
        assert_eq!((r.sent, r.error), (0, Some("no_such_name")));
        let out = "PING 10.9.0.1 (10.9.0.1): 56 data bytes\n\
                   --- 10.9.0.1 ping statistics ---\n\
                   2 packets transmitted, 0 packets received, 100% packet loss\n";
        assert_eq!(
            interpret_ping("x", "a", 1, out).unwrap().error,
            Some("timeout")
        );
        let r = parse_ping_output(
            "1 packets transmitted, 1 packets received, 0% packet loss\n\
             round-trip min/avg/max = 0.064/0.094/0.133 ms\n",
        )
        .unwrap();
        assert_eq!((r.rtt_min_max, r.error), (Some((0.064, 0.133)), None));
    }

    #[test]
    fn many_pings_split_by_target() {
        let out = "1 PING b (10.0.0.3): 56 data bytes\n\
                   0 PING a (10.0.0.2): 56 data bytes\n\
                   0 1 packets transmitted, 1 packets received, 0% packet loss\n\
                   1 ping: bad address 'b'\n\
                   0 round-trip min/avg/max = 0.1/0.1/0.1 ms\n\
                   1 rc 1\n\
                   0 rc 0\n";
        let split = split_ping_many(out, 3);
        let (code, text) = split[0].clone().unwrap();
        assert_eq!(code, 0);
        let r = interpret_ping("x", "a", code, &text).unwrap();
        assert!(r.ok && r.rtt_ms == Some(0.1));
        let (code, text) = split[1].clone().unwrap();
        assert!(!interpret_ping("x", "b", code, &text).unwrap().ok);
        assert!(split[2].is_none());
    }

    #[test]
    fn a_missing_ping_is_an_error_not_an_unreachable_target() {
        let e = interpret_ping("x", "a", 127, "sh: ping: not found").unwrap_err();
        assert!(e.to_string().contains("no usable `ping`"), "{e}");
    }

    #[test]
    fn targets_are_arguments_not_script() {
        let cmd = ping_many_command(&["a; rm -rf /".to_string(), "b".to_string()], 1);
        assert_eq!(&cmd[..2], ["sh", "-c"]);
        assert!(!cmd[2].contains("rm -rf"));
        assert_eq!(&cmd[3..], ["sh", "a; rm -rf /", "b"]);
        assert!(cmd[2].contains("ping -q -c 1"), "{}", cmd[2]);
    }

    #[test]
    fn command_has_a_deadline() {
        let cmd = ping_command("web", 3);
        assert_eq!(cmd.last().unwrap(), "web");
        let w = cmd.iter().position(|a| a == "-w").unwrap();
        assert_eq!(cmd[w + 1], "2");
    }
}
