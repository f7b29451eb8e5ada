//! `throughput`: netrig sends from one namespace to a receiver it opens in
//! the other and counts what arrives, so a rate impairment can be checked.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::dns::locate;
use super::error::{ProbeError, Result};
use super::netns::Netns;
use super::tcp::{Attempt, connect};
use super::{Family, positive};

/// Options of [`throughput`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThroughputOptions {
    /// How long to send.
    pub duration: Duration,
    /// The receiver's port; any free one when `None`.
    pub port: Option<u16>,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// Measure over this family only.
    pub family: Option<Family>,
}

impl Default for ThroughputOptions {
    fn default() -> Self {
        ThroughputOptions {
            duration: Duration::from_secs(2),
            port: None,
            connect_timeout: Duration::from_secs(3),
            family: None,
        }
    }
}

/// What arrived.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThroughputReport {
    /// Bytes the receiver counted.
    pub bytes: u64,
    /// From the first byte's arrival to the last's, in seconds.
    pub secs: f64,
    /// `bytes × 8 / secs / 10⁶`.
    pub mbit_per_s: f64,
    /// Where the receiver listened, as the sender reached it.
    pub address: SocketAddr,
}

/// What one write sends: large enough that the loop costs nothing.
const CHUNK: usize = 128 * 1024;

/// Sends for `duration` from inside `from` to `target` (resolved by
/// `from`'s resolver; it must be an address of `to`, where the receiver
/// listens) and reports the rate the receiver saw.
pub async fn throughput(
    from: &Netns,
    to: &Netns,
    target: &str,
    options: &ThroughputOptions,
) -> Result<ThroughputReport> {
    let action = format!("throughput from {} to {target}", from.label());
    positive(&action, "secs", options.duration)?;
    if options.port == Some(0) {
        return Err(ProbeError::invalid(
            &action,
            "port must be between 1 and 65535, got 0",
        ));
    }
    let ip = locate(from, target, options.family, options.connect_timeout)
        .await?
        .map_err(|u| ProbeError::failed(&action, u.message))?;
    let port = options.port.unwrap_or(0);
    let listener = to
        .within(move || {
            let s = Socket::new(
                Domain::for_address(SocketAddr::new(ip, port)),
                Type::STREAM,
                None,
            )?;
            s.set_nonblocking(true)?;
            s.set_reuse_address(true)?;
            let any: std::net::IpAddr = if ip.is_ipv4() {
                std::net::Ipv4Addr::UNSPECIFIED.into()
            } else {
                std::net::Ipv6Addr::UNSPECIFIED.into()
            };
            s.bind(&SocketAddr::new(any, port).into())?;
            s.listen(1)?;
            Ok(s)
        })
        .await
        .and_then(|s| TcpListener::from_std(s.into()))
        .map_err(|e| {
            ProbeError::failed(
                &action,
                format!(
                    "cannot open the receiver in {} on port {port}: {e}",
                    to.label()
                ),
            )
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| ProbeError::failed(&action, e.to_string()))?
        .port();
    let address = SocketAddr::new(ip, port);
    let receiver = tokio::spawn(receive(listener, options.connect_timeout));
    let mut stream = match connect(from, address, options.connect_timeout).await.0 {
        Ok(s) => s,
        Err(why) => {
            receiver.abort();
            let why = match why {
                Attempt::TimedOut => "no answer".to_string(),
                Attempt::Failed(e) => e.to_string(),
            };
            return Err(ProbeError::failed(
                &action,
                format!(
                    "cannot reach the receiver netrig opened in {} at {address}: {why}",
                    to.label()
                ),
            ));
        }
    };
    let chunk = vec![0x5a_u8; CHUNK];
    let until = Instant::now() + options.duration;
    while Instant::now() < until {
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.write_all(&chunk)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                receiver.abort();
                return Err(ProbeError::failed(
                    &action,
                    format!("sending to {address} failed: {e}"),
                ));
            }
            Err(_) => break,
        }
    }
    let _ = stream.shutdown().await;
    drop(stream);
    // What is still queued (a slow link's backlog) arrives after the sender stops.
    let drain = options.duration + options.connect_timeout + Duration::from_secs(10);
    let (bytes, secs) = match tokio::time::timeout(drain, receiver).await {
        Ok(Ok(Ok(counted))) => counted,
        Ok(Ok(Err(why))) => return Err(ProbeError::failed(&action, why)),
        Ok(Err(e)) => return Err(ProbeError::failed(&action, e.to_string())),
        Err(_) => {
            return Err(ProbeError::failed(
                &action,
                "the receiver never saw the end of the data",
            ));
        }
    };
    Ok(ThroughputReport {
        bytes,
        secs: (secs * 1000.0).round() / 1000.0,
        mbit_per_s: rate_mbit(bytes, secs),
        address,
    })
}

/// Accepts one connection and counts its bytes until the sender closes.
async fn receive(listener: TcpListener, wait: Duration) -> std::result::Result<(u64, f64), String> {
    let (mut stream, _) = tokio::time::timeout(wait, listener.accept())
        .await
        .map_err(|_| "the sender never connected".to_string())?
        .map_err(|e| e.to_string())?;
    drop(listener);
    let mut buf = vec![0u8; CHUNK];
    let mut bytes = 0u64;
    let mut first: Option<Instant> = None;
    let mut last = Instant::now();
    loop {
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        let now = Instant::now();
        first.get_or_insert(now);
        last = now;
        bytes += n as u64;
    }
    let secs = first.map_or(0.0, |f| last.duration_since(f).as_secs_f64());
    Ok((bytes, secs))
}

/// Megabits per second, 0 when nothing or no time was measured.
///
/// ```text
/// assert_eq!(netrig::probe::throughput::rate_mbit(1_000_000, 1.0), 8.0);
/// assert_eq!(netrig::probe::throughput::rate_mbit(5, 0.0), 0.0);
/// ```
pub fn rate_mbit(bytes: u64, secs: f64) -> f64 {
    if secs <= 0.0 {
        return 0.0;
    }
    (bytes as f64 * 8.0 / secs / 1e6 * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_carries_more_than_a_gigabit() {
        let host = Netns::host();
        let options = ThroughputOptions {
            duration: Duration::from_millis(300),
            ..ThroughputOptions::default()
        };
        let r = throughput(&host, &host, "127.0.0.1", &options)
            .await
            .unwrap();
        assert!(r.bytes > 0 && r.secs > 0.1, "{r:?}");
        assert!(r.mbit_per_s > 100.0, "{r:?}");
        let zero = ThroughputOptions {
            duration: Duration::ZERO,
            ..options
        };
        assert!(throughput(&host, &host, "127.0.0.1", &zero).await.is_err());
    }
}
