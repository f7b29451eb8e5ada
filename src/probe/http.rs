//! `http`: one HTTP/1.1 request over a connection made inside a namespace
//! (or from this machine), with hyper doing the protocol.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

use super::dns::locate;
use super::error::{ProbeError, Result};
use super::netns::Netns;
use super::tcp::{Attempt, TcpState, classify, connect};
use super::{Family, elapsed_ms, positive};

/// How long a request may take in all by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How much of a body is kept by default; the rest is read and dropped.
pub const DEFAULT_MAX_BODY: usize = 1 << 20;

/// Options of [`http`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// `GET` unless told.
    pub method: Method,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Vec<u8>,
    /// Connection, request and response together.
    pub timeout: Duration,
    /// Connect over this family only.
    pub family: Option<Family>,
    /// Bytes of the body kept in the report.
    pub max_body: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            method: Method::GET,
            headers: Vec::new(),
            body: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            family: None,
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

/// The outcome of one request.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReport {
    /// The response's status, when one came.
    pub status: Option<u16>,
    /// Response headers, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 replaced), cut at `max_body` bytes.
    pub body: String,
    /// From connecting to the body's end (or giving up), in milliseconds.
    pub ms: f64,
    /// The address connected to, when the name resolved.
    pub address: Option<SocketAddr>,
    /// Why no response came: `no_such_name`, `refused`, `unreachable`,
    /// `timeout` (connected, but no answer: a frozen server) or `protocol`.
    pub error: Option<(&'static str, String)>,
}

impl HttpReport {
    /// A response came back (of any status).
    pub fn answered(&self) -> bool {
        self.status.is_some()
    }
}

/// Where a URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The host as written, without IPv6 brackets.
    pub host: String,
    /// The port, 80 unless given.
    pub port: u16,
    /// Path and query, `/` at least.
    pub path: String,
    /// The `Host` header's value.
    pub authority: String,
}

/// Reads an `http://host[:port][/path]` URL; anything else is refused
/// with what to write instead.
///
/// ```text
/// let e = netrig::probe::http::parse_url("http://web:8888/tree?x=1").unwrap();
/// assert_eq!((e.host.as_str(), e.port, e.path.as_str()), ("web", 8888, "/tree?x=1"));
/// assert!(netrig::probe::http::parse_url("web:8888").is_err());
/// ```
pub fn parse_url(url: &str) -> std::result::Result<Endpoint, String> {
    let example = "write it as http://HOST[:PORT]/PATH, e.g. \"http://web:8888/\"";
    if !url.contains("://") {
        return Err(format!("the URL {url:?} has no scheme; {example}"));
    }
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("the URL {url:?} is not valid ({e}); {example}"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(format!(
                "netrig checks plain HTTP only, and {url:?} is HTTPS; check the port with \
                 tcp(...) instead, or use http://"
            ));
        }
        other => {
            return Err(format!(
                "the URL {url:?} has the scheme {:?}; {example}",
                other.unwrap_or("")
            ));
        }
    }
    let authority = uri
        .authority()
        .ok_or_else(|| format!("the URL {url:?} has no host; {example}"))?;
    if authority.as_str().contains('@') {
        return Err(format!(
            "the URL {url:?} carries credentials; pass an Authorization header instead"
        ));
    }
    // `Uri` accepts any digits as a port; read them here to name a bad one.
    let written = authority.as_str();
    let port_text = match written.rsplit_once(':') {
        Some((_, p)) if !written.ends_with(']') && !p.is_empty() => Some(p),
        _ => None,
    };
    let port = match port_text.map(str::parse::<u16>) {
        None => 80,
        Some(Ok(p)) if p > 0 => p,
        Some(_) => {
            return Err(format!(
                "the URL {url:?} has port {}; ports run from 1 to 65535",
                port_text.unwrap_or_default()
            ));
        }
    };
    let host = authority.host().trim_matches(['[', ']']).to_string();
    if host.is_empty() {
        return Err(format!("the URL {url:?} has no host; {example}"));
    }
    Ok(Endpoint {
        host,
        port,
        path: uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string()),
        authority: authority.as_str().to_string(),
    })
}

/// Sends one request from inside `ns` (or from this machine, with
/// [`Netns::host`]) and reads the response. No answer is a report with
/// `error`, not a failure: a paused container completes the TCP handshake
/// (its kernel still runs) but never answers, which shows here as `timeout`.
pub async fn http(ns: &Netns, url: &str, options: &HttpOptions) -> Result<HttpReport> {
    let action = format!("http {url} from {}", ns.label());
    positive(&action, "timeout", options.timeout)?;
    let endpoint = parse_url(url).map_err(|m| ProbeError::invalid(&action, m))?;
    let request = build_request(&endpoint, options).map_err(|m| ProbeError::invalid(&action, m))?;
    let start = Instant::now();
    let failed = |code: &'static str, detail: String, address| HttpReport {
        status: None,
        headers: Vec::new(),
        body: String::new(),
        ms: elapsed_ms(start),
        address,
        error: Some((code, detail)),
    };
    let addr = match locate(ns, &endpoint.host, options.family, options.timeout).await? {
        Ok(ip) => SocketAddr::new(ip, endpoint.port),
        Err(u) => return Ok(failed("no_such_name", u.message, None)),
    };
    let deadline = start + options.timeout;
    let left = || deadline.saturating_duration_since(Instant::now());
    let stream = match connect(ns, addr, left()).await.0 {
        Ok(stream) => stream,
        Err(Attempt::TimedOut) => {
            let why = format!(
                "no answer to the connection within {} s",
                options.timeout.as_secs_f64()
            );
            return Ok(failed("timeout", why, Some(addr)));
        }
        Err(Attempt::Failed(e)) => {
            let code = match classify(&e) {
                TcpState::Refused => "refused",
                TcpState::Filtered => "timeout",
                _ => "unreachable",
            };
            return Ok(failed(code, format!("{addr}: {e}"), Some(addr)));
        }
    };
    let exchange = exchange(stream, request, options.max_body);
    match tokio::time::timeout(left(), exchange).await {
        Ok(Ok((status, headers, body))) => Ok(HttpReport {
            status: Some(status),
            headers,
            body,
            ms: elapsed_ms(start),
            address: Some(addr),
            error: None,
        }),
        Ok(Err(e)) => Ok(failed("protocol", format!("{addr}: {e}"), Some(addr))),
        Err(_) => Ok(failed(
            "timeout",
            format!(
                "connected to {addr}, but no response within {} s (is the server frozen or paused?)",
                options.timeout.as_secs_f64()
            ),
            Some(addr),
        )),
    }
}

/// The request for `endpoint`, or why the options cannot make one.
fn build_request(
    endpoint: &Endpoint,
    options: &HttpOptions,
) -> std::result::Result<Request<Full<Bytes>>, String> {
    let mut builder = Request::builder()
        .method(options.method.clone())
        .uri(endpoint.path.as_str())
        .header(http::header::HOST, endpoint.authority.as_str())
        .header(
            http::header::USER_AGENT,
            concat!("netrig/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in &options.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Full::new(Bytes::from(options.body.clone())))
        .map_err(|e| format!("cannot send these headers: {e}"))
}

/// Sends the request over `stream` and reads status, headers and body.
async fn exchange(
    stream: tokio::net::TcpStream,
    request: Request<Full<Bytes>>,
    max_body: usize,
) -> std::result::Result<(u16, Vec<(String, String)>, String), hyper::Error> {
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(connection);
    let response = sender.send_request(request).await;
    let outcome = async {
        let response = response?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = response.into_body();
        let mut kept: Vec<u8> = Vec::new();
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                let room = max_body.saturating_sub(kept.len());
                kept.extend_from_slice(&data[..data.len().min(room)]);
            }
        }
        Ok((status, headers, String::from_utf8_lossy(&kept).into_owned()))
    }
    .await;
    driver.abort();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_a_scheme_a_host_and_plain_http() {
        let e = parse_url("http://[fd00::2]:8080").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.path.as_str()),
            ("fd00::2", 8080, "/")
        );
        assert_eq!(e.authority, "[fd00::2]:8080");
        assert_eq!(parse_url("http://web").unwrap().port, 80);
        for (url, says) in [
            ("web:8888", "no scheme"),
            ("127.0.0.1:8888/x", "no scheme"),
            ("https://web/", "plain HTTP"),
            ("ftp://web/", "scheme \"ftp\""),
            ("http://web:0/", "port 0;"),
            ("http://u:p@web/", "credentials"),
            ("http://web:99999/", "port 99999;"),
            ("http:///x", "not valid"),
        ] {
            let err = parse_url(url).unwrap_err();
            assert!(err.contains(says), "{url}: {err}");
        }
    }

    #[test]
    fn requests_carry_host_and_headers() {
        let endpoint = parse_url("http://web:8888/api?q=1").unwrap();
        let options = HttpOptions {
            method: Method::POST,
            headers: vec![("x-check".into(), "1".into())],
            body: b"{}".to_vec(),
            ..HttpOptions::default()
        };
        let req = build_request(&endpoint, &options).unwrap();
        assert_eq!(req.uri(), "/api?q=1");
        assert_eq!(req.headers()["host"], "web:8888");
        assert_eq!(req.headers()["x-check"], "1");
        let bad = HttpOptions {
            headers: vec![("bad header".into(), "1".into())],
            ..HttpOptions::default()
        };
        assert!(build_request(&endpoint, &bad).is_err());
    }

    #[tokio::test]
    async fn a_server_that_accepts_and_never_answers_is_a_timeout() {
        // What a paused container looks like: the handshake completes, nothing more.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = silent.local_addr().unwrap().port();
        let options = HttpOptions {
            timeout: Duration::from_millis(300),
            ..HttpOptions::default()
        };
        let r = http(
            &Netns::host(),
            &format!("http://127.0.0.1:{port}/"),
            &options,
        )
        .await
        .unwrap();
        assert_eq!(r.status, None);
        assert_eq!(r.error.as_ref().map(|e| e.0), Some("timeout"), "{r:?}");
        assert!(r.error.unwrap().1.contains("no response"));
        drop(silent);
        let r = http(
            &Netns::host(),
            &format!("http://127.0.0.1:{port}/"),
            &options,
        )
        .await
        .unwrap();
        assert_eq!(r.error.map(|e| e.0), Some("refused"));
    }
}
