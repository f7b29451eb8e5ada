//! Signals and time limits: how a run is stopped from outside.
//!
//! [`Signals`] turns the process's SIGINT / SIGTERM / SIGHUP into typed
//! [`Signal`]s; [`watch`] is the policy of `netrig run` and `netrig test`
//! (the REPL has its own in `repl::signals`, on the same [`Signals`]);
//! [`watch_deadline`] stops a run when its time is up.

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};
use tokio::signal::unix::{SignalKind, signal};

use super::report::note;
use crate::docker::Client;
use crate::docker::watch::DaemonWatch;
use crate::stop::{Interrupt, Signal, Stop};
use crate::text::plural;

/// The signals this process listens to, as one stream.
pub(crate) struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Starts listening to SIGINT and SIGTERM, and to SIGHUP when
    /// `hangup` (otherwise a SIGHUP ends the process, and the reaper
    /// cleans up). Call it from inside the runtime.
    pub(crate) fn listen(hangup: bool) -> std::io::Result<Signals> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: if hangup {
                Some(signal(SignalKind::hangup())?)
            } else {
                None
            },
        })
    }

    /// The next signal that arrives.
    pub(crate) async fn next(&mut self) -> Signal {
        let Signals {
            interrupt,
            terminate,
            hangup,
        } = self;
        let hangup = async {
            match hangup {
                Some(h) => h.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = interrupt.recv() => Signal::Interrupt,
            _ = terminate.recv() => Signal::Terminate,
            _ = hangup => Signal::Hangup,
        }
    }
}

/// Turns SIGINT / SIGTERM into a stop of the running script (or suite). A
/// second signal while netrig cleans up does not stop the cleanup: it says
/// what is still being removed; a third leaves the rest, says what it left
/// and how to remove it, and exits.
pub(crate) fn watch(runtime: &Runtime, interrupt: Arc<Interrupt>, client: Client) {
    runtime.spawn(async move {
        let Ok(mut signals) = Signals::listen(false) else {
            return;
        };
        let mut while_cleaning = 0;
        loop {
            let sig = signals.next().await;
            if interrupt.stopped().is_none() {
                interrupt.trigger(Stop::Signal(sig));
                continue;
            }
            while_cleaning += 1;
            let left = leftovers_of_this_process(&client).await;
            if while_cleaning == 1 {
                note(format!(
                    "still removing what this run created ({left}); press Ctrl-C again to leave it for `netrig clean`"
                ));
            } else {
                // Without a word to the reaper: it finishes the cleanup in
                // the background once this process is gone.
                note(format!(
                    "stopped waiting; {left} left to the background reaper (`netrig clean` removes anything it could not)"
                ));
                std::process::exit(sig.exit_code().into());
            }
        }
    });
}

/// Ends the watch of [`watch_deadline`] when dropped (the run is over).
pub(crate) struct Deadline(tokio::task::JoinHandle<()>);

impl Drop for Deadline {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Stops the run behind `interrupt` when `limit` has passed, or when
/// `suite` (the whole `netrig test` run) is stopped by a signal: the
/// interrupt ends a waiting call and, through the engine's progress hook, a
/// busy loop. The first reason wins.
pub(crate) fn watch_deadline(
    runtime: &Handle,
    interrupt: Arc<Interrupt>,
    limit: Duration,
    suite: Option<Arc<Interrupt>>,
) -> Deadline {
    Deadline(runtime.spawn(async move {
        let suite_stopped = async {
            match &suite {
                Some(s) => {
                    s.token().cancelled().await;
                    s.stopped()
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            stop = suite_stopped => {
                interrupt.trigger_first(stop.unwrap_or(Stop::Signal(Signal::Interrupt)));
            }
            _ = tokio::time::sleep(limit) => interrupt.trigger_first(Stop::Timeout),
        }
    }))
}

/// What this netrig process created and the daemon still has, for people.
/// Stops the run (`Stop::DaemonLost`) when `watch` sees its daemon go
/// away, so a script in `sleep()` or a long wait stops at once instead of
/// carrying on against a restarted daemon whose containers all stopped.
/// Dropping the guard ends the watching.
pub(crate) fn watch_daemon(
    runtime: &Handle,
    watch: &DaemonWatch,
    interrupt: Arc<Interrupt>,
) -> Deadline {
    let lost = watch.lost();
    Deadline(runtime.spawn(async move {
        lost.cancelled().await;
        interrupt.trigger_first(Stop::DaemonLost);
    }))
}

async fn leftovers_of_this_process(client: &Client) -> String {
    use crate::docker::run::labels;
    let filter = std::collections::HashMap::from([(
        "label".to_string(),
        vec![format!("{}={}", labels::PID, std::process::id())],
    )]);
    let client = client.quiet();
    let listed = tokio::time::timeout(Duration::from_secs(3), async {
        futures_util::join!(
            client.list_containers(true, filter.clone()),
            client.list_networks(filter.clone())
        )
    })
    .await;
    match listed {
        Ok((Ok(containers), Ok(networks))) => {
            let names = |v: Vec<String>| {
                if v.is_empty() {
                    String::new()
                } else {
                    format!(": {}", v.join(", "))
                }
            };
            format!(
                "{}{}, {}{}",
                plural(containers.len(), "container"),
                names(containers.into_iter().map(|c| c.name).collect()),
                plural(networks.len(), "network"),
                names(networks.into_iter().map(|n| n.name).collect()),
            )
        }
        _ => "what the daemon did not say in time".to_string(),
    }
}
