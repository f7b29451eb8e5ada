//! `ping` from inside a container, and the parser for its summary lines
//! (busybox and iputils both).

use super::client::Client;
use super::error::{DockerError, Result};

/// The outcome of pinging a target from a container.
#[derive(Debug, Clone, PartialEq)]
pub struct PingReport {
    /// At least one reply came back.
    pub ok: bool,
    /// Echo requests sent.
    pub sent: u32,
    /// Replies received.
    pub received: u32,
    /// Share of requests without reply, 0–100.
    pub loss_pct: f64,
    /// Average round trip in milliseconds, when any reply came back.
    pub rtt_ms: Option<f64>,
}

/// Seconds between echo requests: fast, yet gentle on the network.
const INTERVAL_SECS: f64 = 0.2;

/// The ping command line: `count` requests, a short interval, and a
/// deadline so an unreachable target costs about a second, not ten.
pub fn ping_command(target: &str, count: u32) -> Vec<String> {
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
/// name did not resolve, or `ping` is missing).
///
/// ```
/// let r = netrig::docker::ping::parse_ping_output(
///     "3 packets transmitted, 2 packets received, 33% packet loss\n\
///      round-trip min/avg/max = 0.1/0.2/0.3 ms\n").unwrap();
/// assert_eq!((r.sent, r.received), (3, 2));
/// assert_eq!(r.rtt_ms, Some(0.2));
/// ```
pub fn parse_ping_output(output: &str) -> Option<PingReport> {
    let stats = output.lines().find(|l| l.contains("packets transmitted"))?;
    let mut numbers = stats
        .split(',')
        .map(|part| part.split_whitespace().next().unwrap_or(""));
    let sent: u32 = numbers.next()?.parse().ok()?;
    let received: u32 = numbers.next()?.parse().ok()?;
    let rtt_ms = output
        .lines()
        .find(|l| l.starts_with("round-trip") || l.starts_with("rtt"))
        .and_then(|l| l.split('=').nth(1))
        .and_then(|v| v.trim().split('/').nth(1))
        .and_then(|avg| avg.trim().parse().ok());
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
    })
}

impl Client {
    /// Pings `target` (a name or an address) `count` times from inside `from`.
    pub async fn ping(&self, from: &str, target: &str, count: u32) -> Result<PingReport> {
        let output = self.exec(from, &ping_command(target, count)).await?;
        if let Some(report) = parse_ping_output(&output.stdout) {
            return Ok(report);
        }
        let said = format!("{}{}", output.stderr, output.stdout);
        let said = said.trim();
        if output.exit_code == 126
            || output.exit_code == 127
            || said.contains("executable file not found")
        {
            return Err(DockerError::Failed {
                action: format!("ping {target:?} from container {from:?}"),
                message: format!(
                    "the container has no usable `ping` command ({said}); use an image with ping, such as busybox"
                ),
            });
        }
        // No summary: the name did not resolve or the network is down.
        // That is an unreachable target, not a failed call.
        Ok(PingReport {
            ok: false,
            sent: 0,
            received: 0,
            loss_pct: 100.0,
            rtt_ms: None,
        })
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
    fn command_has_a_deadline() {
        let cmd = ping_command("web", 3);
        assert_eq!(cmd.last().unwrap(), "web");
        let w = cmd.iter().position(|a| a == "-w").unwrap();
        assert_eq!(cmd[w + 1], "2");
    }
}
