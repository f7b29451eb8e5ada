//! Notices when the daemon goes away during a run, so the run can stop
//! with a clear error at once instead of waiting for its next call to fail
//! — or, worse, carrying on against a restarted daemon whose containers
//! all stopped, and failing with a misleading "container is not running".
//!
//! Measured on Docker 20.10 (a second dockerd restarted under a running
//! script, `tests/daemon_loss.rs`): on SIGTERM the daemon closes its API at
//! once, then takes ~13 s to stop the containers (busybox `sleep` as PID 1
//! ignores SIGTERM, so each is killed after its 10 s stop timeout) and comes
//! back with every container of the run stopped, its networks kept. A
//! script that was calling the daemon failed at once with "cannot reach"
//! (exit 3); one that was in `sleep(25)` carried on against the new daemon
//! and failed with a 409 "is not running" (exit 1).
//!
//! The watch holds `GET /events` open (filtered to daemon events, which are
//! rare): the daemon closes it when it stops. A closed stream is confirmed
//! with a `/_ping` (a proxy may close idle streams; a daemon that answers
//! at once is still there, and the watch subscribes again). A daemon that
//! is frozen rather than gone keeps the stream open: a `/_ping` every
//! [`PING_EVERY`] that gets no answer twice in a row counts as lost too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::client::Client;

/// How often a quiet daemon is pinged.
pub const PING_EVERY: Duration = Duration::from_secs(5);
/// How long one ping may take.
const PING_TIMEOUT: Duration = Duration::from_secs(10);
/// Pings in a row without an answer before the daemon counts as lost.
const PINGS_MISSED: u32 = 2;

/// How the daemon went away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonLoss {
    /// The daemon's address.
    pub host: String,
    /// How long after the watch started.
    pub after: Duration,
    /// What was seen: "it closed its event stream and does not answer".
    pub how: String,
}

impl std::fmt::Display for DaemonLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the Docker daemon at {} went away {:.1} s into the run ({}); a daemon that restarts stops every container",
            self.host,
            self.after.as_secs_f64(),
            self.how
        )
    }
}

/// A watch on one daemon for the length of a run. Dropping it stops it.
pub struct DaemonWatch {
    lost: CancellationToken,
    stop: CancellationToken,
    loss: Mutex<Option<DaemonLoss>>,
}

impl DaemonWatch {
    /// Starts watching the daemon of `client` (call within the runtime).
    pub fn start(client: &Client) -> Arc<DaemonWatch> {
        let watch = Arc::new(DaemonWatch {
            lost: CancellationToken::new(),
            stop: CancellationToken::new(),
            loss: Mutex::new(None),
        });
        let (w, client) = (Arc::downgrade(&watch), client.clone());
        let stop = watch.stop.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let how = tokio::select! {
                how = watch_until_lost(&client) => how,
                _ = stop.cancelled() => return,
            };
            if let Some(w) = w.upgrade() {
                *w.loss.lock().expect("daemon watch poisoned") = Some(DaemonLoss {
                    host: client.host().to_string(),
                    after: started.elapsed(),
                    how,
                });
                w.lost.cancel();
            }
        });
        watch
    }

    /// How the daemon went away, once it has.
    pub fn loss(&self) -> Option<DaemonLoss> {
        self.loss.lock().expect("daemon watch poisoned").clone()
    }

    /// Cancelled when the daemon goes away.
    pub fn lost(&self) -> CancellationToken {
        self.lost.clone()
    }
}

impl Drop for DaemonWatch {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Watches until the daemon is gone; returns what was seen.
async fn watch_until_lost(client: &Client) -> String {
    loop {
        let options = bollard::query_parameters::EventsOptions {
            filters: Some(HashMap::from([(
                "type".to_string(),
                vec!["daemon".to_string()],
            )])),
            ..Default::default()
        };
        let mut events = client.api_stream("GET /events", None, |d| d.events(Some(options)));
        let mut ticks = tokio::time::interval(PING_EVERY);
        ticks.tick().await;
        let mut missed = 0;
        let closed = loop {
            tokio::select! {
                item = events.next() => match item {
                    Some(Ok(_)) => {}
                    Some(Err(e)) => break format!("its event stream broke ({e})"),
                    None => break "it closed its event stream".to_string(),
                },
                _ = ticks.tick() => {
                    if answers(client).await {
                        missed = 0;
                    } else {
                        missed += 1;
                        if missed >= PINGS_MISSED {
                            return format!(
                                "no answer to {missed} pings in {} s",
                                (PING_EVERY * missed).as_secs()
                            );
                        }
                    }
                }
            }
        };
        if !answers(client).await {
            return format!("{closed}, and it does not answer");
        }
        // Still there (a proxy closed an idle stream): subscribe again, not in a tight loop.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn answers(client: &Client) -> bool {
    matches!(
        tokio::time::timeout(PING_TIMEOUT, client.api("GET /_ping", None, |d| d.ping())).await,
        Ok(Ok(_))
    )
}
