//! Many checks at once: hundreds of probes run concurrently, bounded, with
//! the results in the order asked.

use futures_util::StreamExt;

use super::dns::{Resolution, ResolveOptions, resolve};
use super::error::Result;
use super::http::{HttpOptions, HttpReport, http};
use super::icmp::{PingOptions, PingReport, ping};
use super::netns::Netns;
use super::tcp::{TcpOptions, TcpReport, tcp};
use super::udp::{UdpOptions, UdpReport, udp};

/// How many checks run at once unless the caller says otherwise: well
/// under the open-file limit, far above what a daemon-bound run needs.
pub const DEFAULT_CONCURRENCY: usize = 256;

/// One check of a batch.
#[derive(Debug, Clone)]
pub enum Check {
    /// [`resolve`] `name` from `from`.
    Resolve {
        /// Where the resolver is asked from.
        from: Netns,
        /// The name.
        name: String,
        /// Its options.
        options: ResolveOptions,
    },
    /// [`tcp`] to `target:port` from `from`.
    Tcp {
        /// Where the connection starts.
        from: Netns,
        /// A name or an address.
        target: String,
        /// The port.
        port: u16,
        /// Its options.
        options: TcpOptions,
    },
    /// [`udp`] `payload` to `target:port` from `from`.
    Udp {
        /// Where the datagram starts.
        from: Netns,
        /// A name or an address.
        target: String,
        /// The port.
        port: u16,
        /// What to send.
        payload: Vec<u8>,
        /// Its options.
        options: UdpOptions,
    },
    /// [`http`] `url` from `from`.
    Http {
        /// Where the request starts.
        from: Netns,
        /// The URL.
        url: String,
        /// Its options.
        options: HttpOptions,
    },
    /// [`ping`] `target` from `from`.
    Ping {
        /// Where the echo requests start.
        from: Netns,
        /// A name or an address.
        target: String,
        /// Its options.
        options: PingOptions,
    },
}

/// The result of one check of a batch, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Of a [`Check::Resolve`].
    Resolve(Resolution),
    /// Of a [`Check::Tcp`].
    Tcp(TcpReport),
    /// Of a [`Check::Udp`].
    Udp(UdpReport),
    /// Of a [`Check::Http`].
    Http(HttpReport),
    /// Of a [`Check::Ping`].
    Ping(PingReport),
}

impl Check {
    /// Runs this one check.
    pub async fn run(&self) -> Result<Outcome> {
        Ok(match self {
            Check::Resolve {
                from,
                name,
                options,
            } => Outcome::Resolve(resolve(from, name, options).await?),
            Check::Tcp {
                from,
                target,
                port,
                options,
            } => Outcome::Tcp(tcp(from, target, *port, options).await?),
            Check::Udp {
                from,
                target,
                port,
                payload,
                options,
            } => Outcome::Udp(udp(from, target, *port, payload, options).await?),
            Check::Http { from, url, options } => Outcome::Http(http(from, url, options).await?),
            Check::Ping {
                from,
                target,
                options,
            } => Outcome::Ping(ping(from, target, options).await?),
        })
    }
}

/// Runs `checks` with at most `concurrency` in flight (at least one) and
/// returns their results in the order given. One check's error does not
/// stop the others.
pub async fn run_all(checks: Vec<Check>, concurrency: usize) -> Vec<Result<Outcome>> {
    futures_util::stream::iter(checks)
        .map(|check| async move { check.run().await })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::TcpState;

    #[tokio::test]
    async fn results_come_back_in_the_order_asked() {
        let host = Netns::host();
        let open = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = open.local_addr().unwrap().port();
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let checks: Vec<Check> = (0..200)
            .map(|i| Check::Tcp {
                from: host.clone(),
                target: "127.0.0.1".into(),
                port: if i % 2 == 0 { port } else { closed },
                options: TcpOptions::default(),
            })
            .chain([Check::Tcp {
                from: host.clone(),
                target: "127.0.0.1".into(),
                port: 0,
                options: TcpOptions::default(),
            }])
            .collect();
        let results = run_all(checks, 32).await;
        assert_eq!(results.len(), 201);
        for (i, r) in results[..200].iter().enumerate() {
            let Ok(Outcome::Tcp(r)) = r else {
                panic!("{r:?}")
            };
            let want = if i % 2 == 0 {
                TcpState::Open
            } else {
                TcpState::Refused
            };
            assert_eq!(r.state, want, "check {i}");
        }
        assert!(results[200].is_err(), "a bad check fails alone");
    }
}
