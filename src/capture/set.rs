//! The captures of a whole run (`--capture DIR`): one pcap file per
//! container, named after it, over all its interfaces, written as the run
//! goes and closed when the run ends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Capture, CaptureOptions, CaptureSummary, CaptureTarget, Interfaces};
use crate::docker::{DockerError, Started};

/// Every capture of one run, keyed by container name.
#[derive(Debug)]
pub struct CaptureSet {
    dir: PathBuf,
    running: Mutex<HashMap<String, Capture>>,
    files: Mutex<Vec<PathBuf>>,
    /// What the run puts before its containers' names (`netrig test`'s run id),
    /// left out of the file names so they read as the script's names.
    prefix: Mutex<Option<String>>,
}

impl CaptureSet {
    /// A set writing into `dir`, created when missing; an unwritable
    /// directory is an error now, before the run has made anything.
    pub fn new(dir: &Path) -> Result<CaptureSet, DockerError> {
        let failed = |e: std::io::Error| DockerError::Failed {
            action: format!("capture into {}", dir.display()),
            message: format!("{e}; choose a writable directory for --capture"),
        };
        std::fs::create_dir_all(dir).map_err(failed)?;
        tempfile_probe(dir).map_err(failed)?;
        Ok(CaptureSet {
            dir: dir.to_path_buf(),
            running: Mutex::new(HashMap::new()),
            files: Mutex::new(Vec::new()),
            prefix: Mutex::new(None),
        })
    }

    /// Names files after the script's names: `prefix` (an isolated run's
    /// `<run id>-`) is left out of them.
    pub(crate) fn strip_prefix(&self, prefix: &str) {
        *self.prefix.lock().unwrap_or_else(|p| p.into_inner()) = Some(prefix.to_string());
    }

    /// The file a container's capture goes to.
    fn file_for(&self, container: &str) -> PathBuf {
        let prefix = self.prefix.lock().unwrap_or_else(|p| p.into_inner());
        let name = prefix
            .as_deref()
            .and_then(|p| container.strip_prefix(p))
            .unwrap_or(container);
        self.dir.join(file_name(name))
    }

    /// The directory the files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts capturing every interface of `target` into
    /// `DIR/<container>.pcap`. A container seen again (restarted, so in a
    /// new namespace) has its capture reopened on the new namespace and
    /// appended to the same file.
    pub fn add(&self, target: &CaptureTarget) -> Result<PathBuf, DockerError> {
        let file = self.file_for(&target.container);
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let seen = running.remove(&target.container).map(Capture::stop);
        let all = CaptureTarget {
            interfaces: Interfaces::All,
            ..target.clone()
        };
        let capture = Capture::start(
            &all,
            CaptureOptions {
                append: seen.is_some(),
                ..CaptureOptions::to_file(&file)
            },
        )?;
        running.insert(target.container.clone(), capture);
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        if !files.contains(&file) {
            files.push(file.clone());
        }
        Ok(file)
    }

    /// A hook for [`ClientOptions::started`](crate::docker::ClientOptions):
    /// every container a client of the run starts is captured from then on
    /// (again after a restart, into the same file). A container that cannot
    /// be captured (it exited at once, or lives on another machine) is a
    /// warning through the client's notes, not a failed run.
    pub(crate) fn follower(self: &Arc<Self>) -> Started {
        let set = self.clone();
        Started::new(move |client, container| {
            let set = set.clone();
            Box::pin(async move {
                let added = match CaptureTarget::resolve(&client, &container, None).await {
                    Ok(target) => set.add(&target).map(drop),
                    Err(e) => Err(e),
                };
                if let Err(e) = added {
                    client
                        .options()
                        .notes
                        .warn(&format!("--capture: no capture of {container}: {e}"));
                }
            })
        })
    }

    /// The files written so far, in the order their containers appeared.
    pub fn files(&self) -> Vec<PathBuf> {
        self.files.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The file of `container`'s capture, if it has one.
    pub fn file_of(&self, container: &str) -> Option<PathBuf> {
        let file = self.file_for(container);
        self.files().contains(&file).then_some(file)
    }

    /// Stops every capture, flushing and closing its file; one result per
    /// capture, in no particular order. Safe to call more than once.
    pub fn stop_all(&self) -> Vec<Result<CaptureSummary, DockerError>> {
        let running: Vec<Capture> = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, c)| c)
            .collect();
        // Each stop only sets a flag and waits out one poll: stop them all first.
        for c in &running {
            c.shared
                .stop
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        running.into_iter().map(Capture::stop).collect()
    }
}

impl Drop for CaptureSet {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// A container name as a file name: Docker names are `[a-zA-Z0-9][a-zA-Z0-9_.-]+`,
/// so only a stray `/` or a leading dot needs care.
fn file_name(container: &str) -> String {
    let safe: String = container
        .trim_start_matches('.')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}.pcap", if safe.is_empty() { "container" } else { &safe })
}

/// Creates and removes a file in `dir`, proving it writable.
fn tempfile_probe(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".netrig-probe-{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_after_containers() {
        assert_eq!(file_name("web"), "web.pcap");
        assert_eq!(file_name("my-app_1.2"), "my-app_1.2.pcap");
        assert_eq!(file_name("../x"), "_x.pcap");
        assert_eq!(file_name(""), "container.pcap");
    }

    #[test]
    fn an_unwritable_directory_is_refused_up_front() {
        let err = CaptureSet::new(Path::new("/proc/netrig-captures")).unwrap_err();
        assert!(err.to_string().contains("--capture"), "{err}");
        let dir = std::env::temp_dir().join(format!("netrig-set-{}", std::process::id()));
        let set = CaptureSet::new(&dir).unwrap();
        assert!(set.files().is_empty());
        assert_eq!(set.file_of("web"), None);
        assert_eq!(set.file_for("3f2a1b2c-web"), dir.join("3f2a1b2c-web.pcap"));
        set.strip_prefix("3f2a1b2c-");
        assert_eq!(set.file_for("3f2a1b2c-web"), dir.join("web.pcap"));
        assert_eq!(set.file_for("other"), dir.join("other.pcap"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
