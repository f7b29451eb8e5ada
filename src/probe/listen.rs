//! `listen`: netrig itself answers on a port inside a namespace — TCP echo,
//! HTTP with a name, or UDP echo — so any container, even one whose image
//! has no server at all, can be the target of a check.

use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use socket2::{Domain, Socket, Type};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::{JoinHandle, JoinSet};

use super::error::{ProbeError, Result};
use super::netns::Netns;

/// What the listener answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenMode {
    /// Accepts TCP connections and echoes what it reads.
    Tcp,
    /// Answers every HTTP request with `200` and `name` as the body.
    Http {
        /// The body (the container's name, usually).
        name: String,
    },
    /// Sends every UDP datagram back to where it came from.
    UdpEcho,
}

impl ListenMode {
    /// `tcp`, `http` or `udp`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ListenMode::Tcp => "tcp",
            ListenMode::Http { .. } => "http",
            ListenMode::UdpEcho => "udp",
        }
    }
}

/// A running listener. It answers until [`Listener::stop`] or until it
/// is dropped; its connections end with it.
#[derive(Debug)]
pub struct Listener {
    port: u16,
    mode: ListenMode,
    task: JoinHandle<()>,
}

impl Listener {
    /// The port it answers on (the one chosen, when asked for port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What it answers.
    pub fn mode(&self) -> &ListenMode {
        &self.mode
    }

    /// Whether it still answers.
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }

    /// Stops answering and closes the port and every open connection.
    pub fn stop(self) {}
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts answering on `port` (0: any free one) inside `ns`, on every
/// address of both families. Needs a tokio runtime to run on.
pub async fn listen(ns: &Netns, port: u16, mode: ListenMode) -> Result<Listener> {
    let action = format!("listen on {} port {port} in {}", mode.as_str(), ns.label());
    let ty = match mode {
        ListenMode::UdpEcho => Type::DGRAM,
        _ => Type::STREAM,
    };
    let socket = ns
        .within(move || bind_any(port, ty))
        .await
        .map_err(|e| bind_error(&action, port, e))?;
    let bound = socket
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .map_or(port, |a| a.port());
    let task = match &mode {
        ListenMode::UdpEcho => {
            let socket =
                UdpSocket::from_std(socket.into()).map_err(|e| bind_error(&action, port, e))?;
            tokio::spawn(udp_echo(socket))
        }
        stream => {
            let listener =
                TcpListener::from_std(socket.into()).map_err(|e| bind_error(&action, port, e))?;
            let name = match stream {
                ListenMode::Http { name } => Some(name.clone()),
                _ => None,
            };
            tokio::spawn(serve_tcp(listener, name))
        }
    };
    Ok(Listener {
        port: bound,
        mode,
        task,
    })
}

/// A socket bound to `port` on all addresses: IPv6 and IPv4 together where
/// the kernel has IPv6, IPv4 alone where it does not.
fn bind_any(port: u16, ty: Type) -> io::Result<Socket> {
    let dual = || -> io::Result<Socket> {
        let s = Socket::new(Domain::IPV6, ty, None)?;
        s.set_only_v6(false)?;
        prepare(&s, ty)?;
        s.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)).into())?;
        Ok(s)
    };
    let socket = match dual() {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => return Err(e),
        Err(_) => {
            let s = Socket::new(Domain::IPV4, ty, None)?;
            prepare(&s, ty)?;
            s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())?;
            s
        }
    };
    if ty == Type::STREAM {
        socket.listen(1024)?;
    }
    Ok(socket)
}

fn prepare(s: &Socket, ty: Type) -> io::Result<()> {
    s.set_nonblocking(true)?;
    if ty == Type::STREAM {
        s.set_reuse_address(true)?;
    }
    Ok(())
}

fn bind_error(action: &str, port: u16, e: io::Error) -> ProbeError {
    if e.kind() == io::ErrorKind::AddrInUse {
        ProbeError::failed(
            action,
            format!(
                "port {port} is taken there already (does the container serve on it itself?); choose another port"
            ),
        )
    } else {
        ProbeError::failed(action, e.to_string())
    }
}

/// Accepts connections until aborted; each echoes, or speaks HTTP when
/// there is a `name` to answer with. The connections live in a `JoinSet`
/// owned here, so aborting this task ends them all.
async fn serve_tcp(listener: TcpListener, name: Option<String>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                match &name {
                    Some(name) => connections.spawn(serve_http(stream, name.clone())),
                    None => connections.spawn(echo(stream)),
                };
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn echo(mut stream: tokio::net::TcpStream) {
    let (mut reader, mut writer) = stream.split();
    let _ = tokio::io::copy(&mut reader, &mut writer).await;
    let _ = writer.shutdown().await;
}

async fn serve_http(stream: tokio::net::TcpStream, name: String) {
    let service = hyper::service::service_fn(move |_request| {
        let body = format!("{name}\n");
        let name = name.clone();
        async move {
            let response = hyper::Response::builder()
                .header("content-type", "text/plain; charset=utf-8")
                .header("x-netrig-listener", name)
                .body(Full::new(Bytes::from(body)))
                .expect("a fixed response is valid");
            Ok::<_, Infallible>(response)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn udp_echo(socket: UdpSocket) {
    let mut buf = vec![0u8; 65_535];
    loop {
        if let Ok((n, peer)) = socket.recv_from(&mut buf).await {
            let _ = socket.send_to(&buf[..n], peer).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{HttpOptions, TcpOptions, TcpState, UdpOptions, UdpState, http, tcp, udp};

    #[tokio::test]
    async fn each_mode_answers_until_stopped() {
        let host = Netns::host();
        let web = listen(&host, 0, ListenMode::Http { name: "web".into() })
            .await
            .unwrap();
        let url = format!("http://127.0.0.1:{}/anything", web.port());
        let r = http(&host, &url, &HttpOptions::default()).await.unwrap();
        assert_eq!((r.status, r.body.as_str()), (Some(200), "web\n"), "{r:?}");
        let port = web.port();
        web.stop();
        tokio::task::yield_now().await;
        let r = tcp(&host, "127.0.0.1", port, &TcpOptions::default())
            .await
            .unwrap();
        assert_eq!(
            r.state,
            TcpState::Refused,
            "a stopped listener closes its port"
        );

        let dns = listen(&host, 0, ListenMode::UdpEcho).await.unwrap();
        let r = udp(&host, "::1", dns.port(), b"ping", &UdpOptions::default())
            .await
            .unwrap();
        assert_eq!(
            r.reply.as_deref(),
            Some(&b"ping"[..]),
            "both families: {r:?}"
        );
        assert_eq!(r.state, UdpState::Reply);

        let plain = listen(&host, 0, ListenMode::Tcp).await.unwrap();
        let err = listen(&host, plain.port(), ListenMode::Tcp)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("taken"), "{err}");
    }
}
