//! The suite's watch on its daemon: when the daemon goes away, the
//! scenarios running are stopped (they end as errors of kind `daemon`, not
//! failures), each waits a while for the daemon to come back so its
//! teardown can still remove what it made, and the suite carries on with
//! the rest once the daemon answers again — or, when it does not, marks
//! them as errors too without trying each against a dead socket.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use crate::docker::Client;
use crate::docker::watch::{DaemonLoss, DaemonWatch};
use crate::rig::signals::{self, Deadline};
use crate::stop::Interrupt;

/// How long the suite waits for a daemon that went away to come back.
pub(crate) const RETURN_WAIT: Duration = Duration::from_secs(90);

/// The watch, renewed each time the daemon comes back.
pub(crate) struct SuiteDaemon {
    runtime: Handle,
    client: Client,
    watch: Mutex<Arc<DaemonWatch>>,
    /// The first loss of the run, for the exit code.
    first_loss: Mutex<Option<DaemonLoss>>,
    /// Set when the daemon did not come back in time: nothing more is tried.
    gone: Mutex<Option<DaemonLoss>>,
    /// One thread at a time waits for the daemon; the others wait for it.
    waiting: tokio::sync::Mutex<()>,
}

impl SuiteDaemon {
    /// Starts watching the suite's daemon.
    pub(crate) fn start(runtime: &Handle, client: &Client) -> SuiteDaemon {
        let watch = runtime.block_on(async { DaemonWatch::start(client) });
        SuiteDaemon {
            runtime: runtime.clone(),
            client: client.clone(),
            watch: Mutex::new(watch),
            first_loss: Mutex::new(None),
            gone: Mutex::new(None),
            waiting: tokio::sync::Mutex::new(()),
        }
    }

    fn current(&self) -> Arc<DaemonWatch> {
        self.watch.lock().expect("daemon watch poisoned").clone()
    }

    /// Stops `interrupt`'s scenario when the daemon goes away.
    pub(crate) fn guard(&self, interrupt: Arc<Interrupt>) -> Deadline {
        signals::watch_daemon(&self.runtime, &self.current(), interrupt)
    }

    /// How the daemon went away, if it has since the watch was renewed.
    pub(crate) fn loss(&self) -> Option<DaemonLoss> {
        self.current().loss()
    }

    /// The first time the daemon went away in this run, if it did.
    pub(crate) fn first_loss(&self) -> Option<DaemonLoss> {
        self.first_loss
            .lock()
            .expect("daemon loss poisoned")
            .clone()
    }

    /// Whether the daemon answers: at once when it never went away; else
    /// after waiting up to [`RETURN_WAIT`] for it (once for the whole
    /// suite). `Err` with the loss when it did not come back.
    pub(crate) fn ready(&self) -> Result<(), DaemonLoss> {
        if let Some(gone) = self.gone.lock().expect("daemon gone poisoned").clone() {
            return Err(gone);
        }
        let Some(loss) = self.loss() else {
            return Ok(());
        };
        self.first_loss
            .lock()
            .expect("daemon loss poisoned")
            .get_or_insert(loss.clone());
        self.runtime.block_on(async {
            let _one = self.waiting.lock().await;
            if self.loss().is_none() {
                return Ok(()); // another thread saw it come back
            }
            if let Some(gone) = self.gone.lock().expect("daemon gone poisoned").clone() {
                return Err(gone);
            }
            let deadline = Instant::now() + RETURN_WAIT;
            while Instant::now() < deadline {
                let answered =
                    tokio::time::timeout(Duration::from_secs(5), self.client.server_version())
                        .await;
                if matches!(answered, Ok(Ok(_))) {
                    *self.watch.lock().expect("daemon watch poisoned") =
                        DaemonWatch::start(&self.client);
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            *self.gone.lock().expect("daemon gone poisoned") = Some(loss.clone());
            Err(loss)
        })
    }
}
