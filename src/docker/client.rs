//! The connection to one Docker daemon: address resolution, API version
//! negotiation and the error conversion every operation shares.

use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;

use serde_json::Value;

use super::error::{DockerError, Result};
use super::explain::{DockerOp, Explainer};
use super::image::PullPolicy;
use super::pool::SubnetPool;
use super::pool::alloc::Allocator;
use crate::trace::{Category, Tracer};

/// How long one request may take before netrig gives up on the daemon,
/// unless told otherwise ([`ClientOptions::timeout`]).
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the first contact may take; a daemon that does not answer this
/// quickly is treated as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The daemon address when none is named.
pub(crate) const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// How netrig talks to a daemon. The command line builds it (`--host`,
/// `--pull`, `--docker-timeout` and their environment variables) and every
/// client of the process is made from it: the default daemon's, the
/// reaper's, and those a script adds with `docker::connect`.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The daemon address (`unix:///path`, `tcp://host:port`,
    /// `ssh://user@host`, or a bare socket path); `None`: the local socket.
    pub(crate) host: Option<String>,
    /// How long one request may take.
    pub(crate) timeout: Duration,
    /// Whether a missing image may be pulled.
    pub(crate) pull: PullPolicy,
    /// Where the Docker layer's warnings go.
    pub(crate) notes: Notes,
    /// Where networks without a `subnet` get theirs (`--subnet-pool`).
    pub(crate) pool: SubnetPool,
    /// Records every Engine API request, exec and check (`--trace`); off by default.
    pub(crate) tracer: Tracer,
    /// Shows the docker CLI line before each operation (`--explain`); off by default.
    pub(crate) explain: Explainer,
    /// Told each time a client starts a container (`--capture` follows them).
    pub(crate) started: Started,
}

impl ClientOptions {
    /// The same options for the daemon at `host` (a test's own daemon).
    pub fn with_host(mut self, host: &str) -> ClientOptions {
        self.host = Some(host.to_string());
        self
    }
}

impl Default for ClientOptions {
    /// The local socket, 120 s per request, pulls allowed, warnings
    /// dropped, no trace, no explanations.
    fn default() -> Self {
        ClientOptions {
            host: None,
            timeout: REQUEST_TIMEOUT,
            pull: PullPolicy::default(),
            notes: Notes::ignored(),
            pool: SubnetPool::default(),
            tracer: Tracer::off(),
            explain: Explainer::default(),
            started: Started::default(),
        }
    }
}

impl ClientOptions {
    /// The same options for another daemon.
    pub(crate) fn for_host(&self, host: &str) -> ClientOptions {
        ClientOptions {
            host: Some(host.to_string()),
            ..self.clone()
        }
    }
}

/// Where the Docker layer's warnings go. It prints nothing itself: whoever
/// builds the client decides how (and whether) a warning is shown.
#[derive(Clone)]
pub(crate) struct Notes(Option<Arc<Show>>);

/// What shows a warning.
type Show = dyn Fn(&str) + Send + Sync;

impl Notes {
    /// Warnings go to `show`.
    pub(crate) fn new(show: impl Fn(&str) + Send + Sync + 'static) -> Notes {
        Notes(Some(Arc::new(show)))
    }

    /// Warnings are dropped (tests, the benchmark).
    pub(crate) fn ignored() -> Notes {
        Notes(None)
    }

    /// Hands a warning to whoever shows them.
    pub(crate) fn warn(&self, text: &str) {
        if let Some(show) = &self.0 {
            show(text);
        }
    }
}

impl std::fmt::Debug for Notes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Notes(shown)"
        } else {
            "Notes(ignored)"
        })
    }
}

/// What to do each time a container starts (created and started, started
/// again, restarted): a fresh start is a fresh network namespace, which a
/// capture must follow. Called with the client and the container's id.
#[derive(Clone, Default)]
pub struct Started(Option<Arc<StartedHook>>);

/// The hook behind [`Started`].
type StartedHook =
    dyn Fn(Client, String) -> futures_util::future::BoxFuture<'static, ()> + Send + Sync;

impl Started {
    /// Calls `hook` after every start; the start waits for it.
    pub fn new(
        hook: impl Fn(Client, String) -> futures_util::future::BoxFuture<'static, ()>
        + Send
        + Sync
        + 'static,
    ) -> Started {
        Started(Some(Arc::new(hook)))
    }

    /// Tells the hook, if any, that `client` started `container`.
    pub(crate) async fn notify(&self, client: &Client, container: &str) {
        if let Some(hook) = &self.0 {
            hook(client.clone(), container.to_string()).await;
        }
    }
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Started(hook)"
        } else {
            "Started(none)"
        })
    }
}

/// A connected, version-negotiated Docker client. Cheap to clone: bollard
/// shares one connection pool between clones.
#[derive(Clone, Debug)]
pub struct Client {
    /// Private to this file: every request goes through [`Client::api`],
    /// so a trace misses none.
    docker: Docker,
    host: String,
    options: ClientOptions,
    /// netrig's subnet pool on this daemon, shared by every clone.
    pool: Arc<Allocator>,
    /// For `ssh://`: the forward the client talks through, ended with the last clone.
    _tunnel: Option<Arc<super::ssh::SshTunnel>>,
    /// Abandoned execs whose processes are being stopped.
    pub(super) stops: Arc<super::exec::Stops>,
}

impl Client {
    /// Connects to `options.host` (or the local socket) and negotiates the
    /// API version, so newer and older daemons both work.
    pub async fn connect(options: &ClientOptions) -> Result<Client> {
        let host = resolve_host(options.host.as_deref());
        let first_contact = CONNECT_TIMEOUT.min(options.timeout);
        let unreachable = |reason: String| DockerError::Unreachable {
            host: host.clone(),
            reason,
        };
        let tunnel = if host.starts_with("ssh://") {
            let t = super::ssh::SshTunnel::open(&host, CONNECT_TIMEOUT).await?;
            Some(Arc::new(t))
        } else {
            None
        };
        let address = tunnel
            .as_ref()
            .map_or(host.as_str(), |t| t.local_url.as_str());
        let docker = Docker::connect_with_host(address)
            .map_err(|e| unreachable(e.to_string()))?
            .with_timeout(options.timeout);
        // The first request of every client: traced like the rest.
        let span = options.tracer.span(
            Category::Docker,
            "GET /version",
            || serde_json::json!({"host": &host}),
        );
        let negotiated = tokio::time::timeout(first_contact, docker.negotiate_version()).await;
        span.end(match &negotiated {
            Ok(Ok(_)) => serde_json::json!("ok"),
            Ok(Err(e)) => serde_json::json!({"error": e.to_string()}),
            Err(_) => serde_json::json!({"error": "no answer"}),
        });
        let docker = match negotiated {
            Ok(Ok(docker)) => docker,
            Ok(Err(e)) => return Err(unreachable(root_cause(&e))),
            Err(_) => {
                return Err(unreachable(format!(
                    "no answer within {} s",
                    first_contact.as_secs_f64()
                )));
            }
        };
        Ok(Client {
            docker,
            pool: Arc::new(Allocator::new(options.pool, &host)),
            host,
            options: options.clone(),
            _tunnel: tunnel,
            stops: Arc::default(),
        })
    }

    /// A client that contacts no daemon: for building the script engine
    /// only to list its functions (`netrig defs`), where no call is made.
    /// Any call it did make would go to the local socket.
    pub fn detached(options: &ClientOptions) -> Result<Client> {
        let docker =
            Docker::connect_with_host(DEFAULT_HOST).map_err(|e| DockerError::Unreachable {
                host: DEFAULT_HOST.into(),
                reason: e.to_string(),
            })?;
        Ok(Client {
            docker,
            pool: Arc::new(Allocator::new(options.pool, DEFAULT_HOST)),
            host: DEFAULT_HOST.into(),
            options: options.clone(),
            _tunnel: None,
            stops: Arc::default(),
        })
    }

    /// The daemon address this client talks to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// netrig's subnet pool on this daemon: every clone of this client
    /// (every run of this process here) shares one book of it.
    pub fn pool(&self) -> &Arc<Allocator> {
        &self.pool
    }

    /// The options it was made with (for a client of another daemon, made alike).
    pub(crate) fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The negotiated API version, e.g. `1.41`.
    pub fn api_version(&self) -> String {
        let v = self.docker.client_version();
        format!("{}.{}", v.major_version, v.minor_version)
    }

    /// The daemon's own version string, e.g. `20.10.24`.
    pub async fn server_version(&self) -> Result<String> {
        let v = self
            .api("GET /version", None, |d| d.version())
            .await
            .map_err(|e| self.err("ask the daemon for its version", e))?;
        Ok(v.version.unwrap_or_default())
    }

    /// This client telling `started` (instead of its own hook) about the
    /// containers it starts: one scenario's captures in `netrig test`.
    pub fn with_started(&self, started: Started) -> Client {
        let mut client = self.clone();
        client.options.started = started;
        client
    }

    /// This client with explanations muted, for what netrig asks the daemon
    /// on its own account (lookups no docker command of the user's makes).
    pub fn quiet(&self) -> Client {
        let mut quiet = self.clone();
        quiet.options.explain = self.options.explain.muted();
        quiet
    }

    /// Shows the docker CLI lines of `op` when `--explain` is on.
    pub(crate) fn explain(&self, op: &DockerOp<'_>) {
        self.options.explain.show(&self.host, op);
    }

    /// Tells whoever follows container starts (`--capture`) that this one started.
    pub(crate) async fn started(&self, container: &str) {
        self.options.started.notify(self, container).await;
    }

    /// The tracer of this client's run.
    pub(crate) fn tracer(&self) -> &Tracer {
        &self.options.tracer
    }

    /// A span's arguments, built only when tracing is on.
    pub(crate) fn args(&self, args: impl FnOnce() -> Value) -> Option<Value> {
        self.options.tracer.is_on().then(args)
    }

    /// One request to the Engine API, traced as a span named for its
    /// endpoint (`"POST /containers/create"`) with `args`. The bollard
    /// client is private to this file, so every request passes here.
    pub(crate) async fn api<'a, T, F>(
        &'a self,
        endpoint: &'static str,
        args: Option<Value>,
        request: impl FnOnce(&'a Docker) -> F,
    ) -> std::result::Result<T, bollard::errors::Error>
    where
        F: Future<Output = std::result::Result<T, bollard::errors::Error>> + 'a,
    {
        let span = self
            .options
            .tracer
            .span(Category::Docker, endpoint, || args.unwrap_or_default());
        let result = request(&self.docker).await;
        span.end_result(&result);
        result
    }

    /// A streaming request (logs, pull, build): its span lasts until the
    /// stream ends, and counts what it delivered.
    pub(crate) fn api_stream<'a, T, S>(
        &'a self,
        endpoint: &'static str,
        args: Option<Value>,
        request: impl FnOnce(&'a Docker) -> S,
    ) -> TracedStream<S>
    where
        S: futures_util::Stream<Item = std::result::Result<T, bollard::errors::Error>> + 'a,
    {
        let span = self
            .options
            .tracer
            .span(Category::Docker, endpoint, || args.unwrap_or_default());
        TracedStream {
            inner: Box::pin(request(&self.docker)),
            span: Some(span),
            items: 0,
        }
    }

    /// Turns a bollard error into a [`DockerError`] that names `action`.
    pub(crate) fn err(&self, action: impl Into<String>, e: bollard::errors::Error) -> DockerError {
        DockerError::from_bollard(action, &self.host, self.options.timeout, e)
    }
}

/// A stream whose span ends with it: `{"items": n}`, or the first error.
pub(crate) struct TracedStream<S> {
    inner: std::pin::Pin<Box<S>>,
    span: Option<crate::trace::Span>,
    items: u64,
}

impl<T, S> futures_util::Stream for TracedStream<S>
where
    S: futures_util::Stream<Item = std::result::Result<T, bollard::errors::Error>>,
{
    type Item = S::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let polled = self.inner.as_mut().poll_next(cx);
        match &polled {
            std::task::Poll::Ready(Some(Ok(_))) => self.items += 1,
            std::task::Poll::Ready(Some(Err(e))) => {
                if let Some(span) = self.span.take() {
                    span.end(serde_json::json!({"error": e.to_string()}));
                }
            }
            std::task::Poll::Ready(None) => {
                if let Some(span) = self.span.take() {
                    span.end(serde_json::json!({"items": self.items}));
                }
            }
            std::task::Poll::Pending => {}
        }
        polled
    }
}

/// The address to dial for `host`: the local socket when none (or an empty
/// one) is given; a bare path means a unix socket.
pub(crate) fn resolve_host(host: Option<&str>) -> String {
    let chosen = host
        .filter(|h| !h.is_empty())
        .unwrap_or(DEFAULT_HOST)
        .to_string();
    if chosen.starts_with('/') {
        format!("unix://{chosen}")
    } else {
        chosen
    }
}

/// The innermost message of an error chain: "connection refused" says more
/// than "error trying to connect".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_paths_become_unix_urls() {
        assert_eq!(resolve_host(Some("/tmp/d.sock")), "unix:///tmp/d.sock");
        assert_eq!(
            resolve_host(Some("tcp://127.0.0.1:2375")),
            "tcp://127.0.0.1:2375"
        );
        assert_eq!(resolve_host(None), DEFAULT_HOST);
        assert_eq!(resolve_host(Some("")), DEFAULT_HOST);
    }
}
