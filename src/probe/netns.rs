//! Entering a container's network namespace to make sockets there.
//!
//! A socket belongs to the network namespace it was created in, whichever
//! thread later reads or writes it. So each namespace gets one small worker
//! thread that `setns()`s into `/proc/<pid>/ns/net` once and then only
//! creates sockets on request; the sockets go back to the caller, which
//! drives them with tokio on its ordinary runtime. The image needs no tools
//! and the runtime's own threads never leave the host's namespace.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use nix::sched::{CloneFlags, setns};
use socket2::{Domain, Protocol, Socket, Type};

use super::error::{ProbeError, Result};
use crate::cgroup::cgroup_names;

/// Work for the thread inside the namespace.
type Job = Box<dyn FnOnce() + Send>;

/// What a namespace worker needs: sockets are created in microseconds.
const WORKER_STACK: usize = 128 * 1024;

/// A network namespace netrig can make sockets in: a container's, entered
/// through its main process, or this machine's own. Cheap to clone; the
/// worker thread ends when the last clone is dropped.
#[derive(Clone)]
pub struct Netns(Arc<Inner>);

struct Inner {
    /// Who this is, for messages: `container "web"` or `this machine`.
    label: String,
    /// Where that side's files are seen from here (`/proc/<pid>/root`).
    root: PathBuf,
    /// The container's main process, `None` for this machine.
    pid: Option<u32>,
    /// The thread living in the namespace; `None` for this machine's own,
    /// where the caller's thread already is.
    worker: Option<Mutex<mpsc::Sender<Job>>>,
}

impl std::fmt::Debug for Netns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Netns({})", self.0.label)
    }
}

impl Netns {
    /// This machine's own namespace, for checks "from the host" such as
    /// `http(url)` against a published port.
    pub fn host() -> Netns {
        Netns(Arc::new(Inner {
            label: "this machine".into(),
            root: PathBuf::from("/"),
            pid: None,
            worker: None,
        }))
    }

    /// The namespace of container `name` (full id `id`) whose main process
    /// the daemon reports as `pid`. Refuses, as [`ProbeError::Unsupported`]
    /// with the reason, when that pid is not the container's on this
    /// machine (a remote daemon), when the container shares this machine's
    /// namespace, or when netrig lacks the privilege to enter it.
    pub fn open(name: &str, id: &str, pid: u32) -> Result<Netns> {
        let action = format!("enter the network namespace of container {name:?}");
        if pid == 0 {
            return Err(ProbeError::failed(
                action,
                "the container is not running (the daemon reports no process for it)",
            ));
        }
        let unsupported = |why: String| ProbeError::Unsupported {
            action: action.clone(),
            message: why,
        };
        let remote = |why: String| {
            unsupported(format!(
                "{why}; netrig makes its checks from inside the container's network namespace, \
                 which needs netrig on the daemon's own machine"
            ))
        };
        let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).map_err(|_| {
            remote(format!(
                "the daemon says its process is pid {pid}, and this machine has no such process \
                 (is the daemon on another machine?)"
            ))
        })?;
        if !cgroup_names(&cgroup, id) {
            return Err(remote(format!(
                "pid {pid} on this machine is not container {name:?}'s process (is the daemon on \
                 another machine?)"
            )));
        }
        let file = File::open(format!("/proc/{pid}/ns/net")).map_err(|e| {
            if e.kind() == io::ErrorKind::PermissionDenied {
                unsupported(not_root())
            } else {
                remote(format!("cannot open /proc/{pid}/ns/net: {e}"))
            }
        })?;
        if same_namespace(&file, Path::new("/proc/self/ns/net")) {
            return Err(unsupported(
                "the container shares this machine's own network namespace (network mode \
                 \"host\"), so a check from it would be a check from this machine"
                    .into(),
            ));
        }
        let worker = spawn_worker(name, file).map_err(|e| {
            if e.raw_os_error() == Some(nix::errno::Errno::EPERM as i32) {
                unsupported(not_root())
            } else {
                ProbeError::failed(action.clone(), format!("cannot enter it: {e}"))
            }
        })?;
        Ok(Netns(Arc::new(Inner {
            label: format!("container {name:?}"),
            root: PathBuf::from(format!("/proc/{pid}/root")),
            pid: Some(pid),
            worker: Some(Mutex::new(worker)),
        })))
    }

    /// Who this namespace belongs to, for messages.
    pub fn label(&self) -> &str {
        &self.0.label
    }

    /// The container's main process, `None` for this machine.
    pub fn pid(&self) -> Option<u32> {
        self.0.pid
    }

    /// Whether this is this machine's own namespace.
    pub fn is_host(&self) -> bool {
        self.0.worker.is_none()
    }

    /// A file of that side's filesystem (`etc/resolv.conf`), as text.
    pub fn read_file(&self, path: &str) -> io::Result<String> {
        std::fs::read_to_string(self.0.root.join(path.trim_start_matches('/')))
    }

    /// Runs `make` on a thread inside the namespace and returns what it
    /// made: sockets created there stay bound to the namespace.
    pub async fn within<T, F>(&self, make: F) -> io::Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> io::Result<T> + Send + 'static,
    {
        let Some(worker) = &self.0.worker else {
            return make();
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(make());
        });
        let sent = worker.lock().map(|w| w.send(job).is_ok()).unwrap_or(false);
        let gone = || io::Error::other("the namespace worker thread has ended");
        if !sent {
            return Err(gone());
        }
        rx.await.map_err(|_| gone())?
    }

    /// A non-blocking socket created inside the namespace.
    pub async fn socket(
        &self,
        domain: Domain,
        ty: Type,
        protocol: Option<Protocol>,
    ) -> io::Result<Socket> {
        self.within(move || {
            let socket = Socket::new(domain, ty, protocol)?;
            socket.set_nonblocking(true)?;
            Ok(socket)
        })
        .await
    }
}

/// The message for a missing privilege.
fn not_root() -> String {
    "entering a container's network namespace needs root (CAP_SYS_ADMIN, and CAP_NET_RAW for \
     ping): run netrig as root, e.g. with sudo"
        .into()
}

/// Whether the namespace file `ns` is the same namespace as the one at `other`.
fn same_namespace(ns: &File, other: &Path) -> bool {
    match (ns.metadata(), std::fs::metadata(other)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Starts the thread that enters `ns` and then serves jobs, and waits
/// until it is inside (or could not get in).
fn spawn_worker(name: &str, ns: File) -> io::Result<mpsc::Sender<Job>> {
    let (jobs, inbox) = mpsc::channel::<Job>();
    let (entered, outcome) = mpsc::sync_channel::<io::Result<()>>(1);
    std::thread::Builder::new()
        .name(format!("netns {name}"))
        .stack_size(WORKER_STACK)
        .spawn(move || {
            // setns(2) moves only this thread; the namespace file can go once inside.
            let inside = setns(&ns, CloneFlags::CLONE_NEWNET).map_err(io::Error::from);
            drop(ns);
            let ok = inside.is_ok();
            let _ = entered.send(inside);
            if ok {
                for job in inbox {
                    job();
                }
            }
        })?;
    outcome
        .recv()
        .unwrap_or_else(|_| Err(io::Error::other("the namespace worker thread died")))?;
    Ok(jobs)
}

/// The namespaces of one run's containers, each entered once and reused
/// by every check from or to it. A container that restarted (another pid)
/// is entered afresh.
#[derive(Default)]
pub struct Namespaces {
    by_id: Mutex<HashMap<String, Netns>>,
}

impl Namespaces {
    /// An empty set.
    pub fn new() -> Namespaces {
        Namespaces::default()
    }

    /// The namespace of container `name` (`id`, main process `pid`),
    /// entering it on first use.
    pub fn get(&self, name: &str, id: &str, pid: u32) -> Result<Netns> {
        if let Some(ns) = self.lookup(id)
            && ns.pid() == Some(pid)
        {
            return Ok(ns);
        }
        let ns = Netns::open(name, id, pid)?;
        if let Ok(mut map) = self.by_id.lock() {
            map.insert(id.to_string(), ns.clone());
        }
        Ok(ns)
    }

    fn lookup(&self, id: &str) -> Option<Netns> {
        self.by_id.lock().ok()?.get(id).cloned()
    }

    /// Forgets every namespace, ending their worker threads once no check
    /// still holds them.
    pub fn clear(&self) {
        if let Ok(mut map) = self.by_id.lock() {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pid_that_is_not_the_containers_is_unsupported() {
        // This test process is in no container with that id: exactly what
        // a remote daemon's pid looks like from here.
        let id = "f".repeat(64);
        let err = Netns::open("far", &id, std::process::id()).unwrap_err();
        assert!(err.is_unsupported(), "{err}");
        assert!(err.to_string().contains("another machine"), "{err}");
        let err = Netns::open("far", &id, u32::MAX).unwrap_err();
        assert!(err.to_string().contains("no such process"), "{err}");
        let err = Netns::open("far", &id, 0).unwrap_err();
        assert!(err.to_string().contains("not running"), "{err}");
    }

    #[test]
    fn this_machine_reads_its_own_files_and_makes_sockets_inline() {
        let host = Netns::host();
        assert!(host.is_host());
        assert!(host.read_file("/proc/self/status").is_ok());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let s = rt
            .block_on(host.socket(Domain::IPV4, Type::DGRAM, None))
            .unwrap();
        assert!(s.nonblocking().unwrap());
    }
}
