//! `latency`: many round trips summed up as percentiles — ICMP echo, or
//! the TCP handshake when a port is given (for targets that drop ICMP).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::dns::locate;
use super::error::{ProbeError, Result};
use super::icmp::{PingOptions, ping};
use super::netns::Netns;
use super::stats::Summary;
use super::tcp::{Attempt, TcpState, classify, connect};
use super::{Family, positive, real_port};

/// Options of [`latency`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyOptions {
    /// Samples to take.
    pub count: u32,
    /// Measure TCP handshakes to this port instead of ICMP echo.
    pub port: Option<u16>,
    /// Time between samples.
    pub interval: Duration,
    /// How long one sample may wait for its answer.
    pub timeout: Duration,
    /// Measure over this family only.
    pub family: Option<Family>,
}

impl Default for LatencyOptions {
    fn default() -> Self {
        LatencyOptions {
            count: 20,
            port: None,
            interval: Duration::from_millis(50),
            timeout: Duration::from_secs(1),
            family: None,
        }
    }
}

/// The measured round trips.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyReport {
    /// `icmp` or `tcp`.
    pub method: &'static str,
    /// Samples attempted.
    pub sent: u32,
    /// Round trips measured, in milliseconds, in order.
    pub samples: Vec<f64>,
    /// min / p50 / p90 / p99 / max of the samples; `None` when none came back.
    pub summary: Option<Summary>,
    /// The address measured, when the name resolved.
    pub address: Option<IpAddr>,
    /// Why no sample came back, when none did (as [`super::PingReport::error`]).
    pub error: Option<(&'static str, String)>,
}

impl LatencyReport {
    /// Share of samples without an answer, 0–100.
    pub fn loss_pct(&self) -> f64 {
        if self.sent == 0 {
            return 100.0;
        }
        let lost = self.sent as usize - self.samples.len().min(self.sent as usize);
        lost as f64 * 100.0 / f64::from(self.sent)
    }
}

/// Measures round trips from inside `ns` to `target`.
pub async fn latency(ns: &Netns, target: &str, options: &LatencyOptions) -> Result<LatencyReport> {
    let action = format!("latency to {target} from {}", ns.label());
    if !(1..=10_000).contains(&options.count) {
        return Err(ProbeError::invalid(
            action,
            format!("count must be between 1 and 10000, got {}", options.count),
        ));
    }
    positive(&action, "timeout", options.timeout)?;
    match options.port {
        None => {
            let ping_options = PingOptions {
                count: options.count,
                interval: options.interval,
                timeout: options.timeout,
                family: options.family,
                ..PingOptions::default()
            };
            let r = ping(ns, target, &ping_options).await?;
            Ok(LatencyReport {
                method: "icmp",
                sent: ping_options.count,
                summary: Summary::of(&r.rtts),
                samples: r.rtts,
                address: r.address,
                error: r.error,
            })
        }
        Some(port) => {
            real_port(&action, port)?;
            handshakes(ns, target, port, options).await
        }
    }
}

/// Times `count` TCP handshakes, one after another.
async fn handshakes(
    ns: &Netns,
    target: &str,
    port: u16,
    options: &LatencyOptions,
) -> Result<LatencyReport> {
    let mut report = LatencyReport {
        method: "tcp",
        sent: options.count,
        samples: Vec::new(),
        summary: None,
        address: None,
        error: None,
    };
    let addr = match locate(ns, target, options.family, options.timeout).await? {
        Ok(ip) => SocketAddr::new(ip, port),
        Err(u) => {
            report.error = Some((u.code, u.message));
            return Ok(report);
        }
    };
    report.address = Some(addr.ip());
    let mut last_failure = None;
    for i in 0..options.count {
        if i > 0 {
            tokio::time::sleep(options.interval).await;
        }
        match connect(ns, addr, options.timeout).await {
            (Ok(_stream), ms) => report.samples.push(ms),
            (Err(Attempt::TimedOut), _) => {
                last_failure = Some(("timeout", format!("no answer from {addr}")));
            }
            (Err(Attempt::Failed(e)), _) => {
                let code = match classify(&e) {
                    TcpState::Refused => "refused",
                    TcpState::Filtered => "timeout",
                    _ => "unreachable",
                };
                last_failure = Some((code, format!("{addr}: {e}")));
            }
        }
    }
    report.summary = Summary::of(&report.samples);
    if report.samples.is_empty() {
        report.error = last_failure;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tcp_handshakes_on_loopback_are_summed_up() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let options = LatencyOptions {
            count: 5,
            port: Some(port),
            interval: Duration::from_millis(1),
            ..LatencyOptions::default()
        };
        let r = latency(&Netns::host(), "127.0.0.1", &options)
            .await
            .unwrap();
        assert_eq!(
            (r.method, r.samples.len(), r.loss_pct()),
            ("tcp", 5, 0.0),
            "{r:?}"
        );
        let s = r.summary.unwrap();
        assert!(s.min <= s.p50 && s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max);
        drop(listener);
        let r = latency(&Netns::host(), "127.0.0.1", &options)
            .await
            .unwrap();
        assert_eq!(r.error.as_ref().map(|e| e.0), Some("refused"));
        assert_eq!(r.loss_pct(), 100.0);
    }
}
