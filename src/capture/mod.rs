//! Packet captures inside a container's network namespace, with no tcpdump
//! in the image: libpcap (through the `pcap` crate) runs on a thread of
//! netrig that has entered the namespace, and writes a standard pcap file
//! that Wireshark and tshark open.
//!
//! ```text
//! # async fn demo(client: netrig::docker::Client) -> Result<(), netrig::docker::DockerError> {
//! use netrig::capture::{Capture, CaptureOptions, CaptureTarget};
//! let target = CaptureTarget::resolve(&client, "web", Some("my_net")).await?;
//! let capture = Capture::start(&target, CaptureOptions {
//!     filter: Some("tcp port 80".into()),
//!     ..CaptureOptions::to_file("web.pcap")
//! })?;
//! // … traffic …
//! let summary = capture.stop()?;
//! println!("{} packets in {}", summary.packets, summary.file.display());
//! # Ok(()) }
//! ```

mod live;
mod set;
mod target;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

pub use set::CaptureSet;
pub use target::CaptureTarget;
pub(crate) use target::Interfaces;

use crate::docker::DockerError;

/// How a capture runs: where it writes, what it keeps, when it stops by itself.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureOptions {
    /// The pcap file to write (created or truncated).
    pub file: PathBuf,
    /// A filter in pcap syntax (`man 7 pcap-filter`): `"icmp"`, `"tcp port 80"`.
    pub filter: Option<String>,
    /// Stop after this many packets.
    pub max_packets: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Add to an existing pcap file (same link type) instead of starting it afresh.
    pub append: bool,
}

impl CaptureOptions {
    /// Every packet, into `file`, until stopped.
    pub fn to_file(file: impl Into<PathBuf>) -> CaptureOptions {
        CaptureOptions {
            file: file.into(),
            filter: None,
            max_packets: None,
            duration: None,
            append: false,
        }
    }
}

/// What a finished capture wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSummary {
    /// The pcap file.
    pub file: PathBuf,
    /// Packets written.
    pub packets: u64,
    /// Bytes of packet data written.
    pub bytes: u64,
    /// Packets the kernel dropped because netrig did not read them fast enough.
    pub dropped: u64,
    /// Why the capture ended before it was stopped (the interface went away), if it did.
    pub ended_early: Option<String>,
}

/// A running capture. [`Capture::stop`] ends it and says what it wrote;
/// dropping it stops it too, so no capture outlives its owner.
#[derive(Debug)]
pub struct Capture {
    container: String,
    file: PathBuf,
    shared: Arc<live::Shared>,
    thread: Option<JoinHandle<Result<CaptureSummary, DockerError>>>,
}

impl Capture {
    /// Starts capturing on `target` and returns once the namespace is
    /// entered, the interface open, the filter compiled and the file's
    /// header written: any of those failing is an error here, with nothing
    /// left running and no file left behind.
    pub fn start(target: &CaptureTarget, options: CaptureOptions) -> Result<Capture, DockerError> {
        let shared = Arc::new(live::Shared::default());
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let file = options.file.clone();
        let thread = {
            let (target, shared) = (target.clone(), shared.clone());
            std::thread::Builder::new()
                .name(format!("capture {}", target.container))
                .spawn(move || live::run(target, options, shared, ready_tx))
        }
        .map_err(|e| DockerError::Failed {
            action: format!("capture packets on container {:?}", target.container),
            message: format!("cannot start the capture thread: {e}"),
        })?;
        let capture = Capture {
            container: target.container.clone(),
            file,
            shared,
            thread: Some(thread),
        };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(capture),
            Ok(Err(e)) => Err(e),
            // The thread ended without a word: it panicked, and `stop` says so.
            Err(_) => Err(capture.stop().err().unwrap_or_else(|| DockerError::Failed {
                action: format!("capture packets on container {:?}", target.container),
                message: "the capture thread ended before it opened anything".into(),
            })),
        }
    }

    /// The container being captured.
    pub fn container(&self) -> &str {
        &self.container
    }

    /// The pcap file being written.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Packets written so far.
    pub fn packets(&self) -> u64 {
        self.shared.packets.load(Ordering::Relaxed)
    }

    /// Whether the capture has ended by itself (a limit reached, the
    /// interface gone, or the file unwritable).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Ends the capture, flushes and closes the file, and says what it
    /// wrote. Takes at most a tenth of a second beyond the last packet.
    pub fn stop(mut self) -> Result<CaptureSummary, DockerError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<CaptureSummary, DockerError> {
        self.shared.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.take().ok_or_else(|| DockerError::Conflict {
            action: format!("stop the capture on container {:?}", self.container),
            message: "it is already stopped".into(),
        })?;
        thread.join().unwrap_or_else(|_| {
            Err(DockerError::Failed {
                action: format!("capture packets on container {:?}", self.container),
                message:
                    "the capture thread failed unexpectedly (a bug in netrig; please report it)"
                        .into(),
            })
        })
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.finish();
        }
    }
}
