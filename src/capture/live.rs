//! The capture thread: it enters the container's network namespace with
//! `setns(2)` (which moves only the calling thread, so the rest of netrig
//! stays where it is), opens libpcap there and writes what it reads to the
//! pcap file until told to stop or a limit is reached. The thread ends with
//! the capture, so no thread of netrig outlives it inside a container.

use std::fs::{File, OpenOptions};
use std::net::IpAddr;
use std::os::fd::{AsRawFd, BorrowedFd, IntoRawFd};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sched::{CloneFlags, setns};
use pcap::{Active, Capture, Savefile};

use super::target::{CaptureTarget, Interfaces};
use super::{CaptureOptions, CaptureSummary};
use crate::cgroup::cgroup_names;
use crate::docker::DockerError;

/// How long the loop waits for packets before it looks at the stop flag and
/// the limits again: the worst-case delay of `stop()`.
const POLL: Duration = Duration::from_millis(100);
/// How often buffered packets are pushed to the file while traffic flows,
/// so the file is readable as the run goes (and at every quiet poll).
const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// The most of one packet kept, and the kernel buffer of a capture. Not
/// libpcap's defaults (262144 and 2 MB), on purpose: in immediate mode
/// libpcap uses a TPACKET_V2 ring of fixed-size frames, each as large as
/// the snapshot length, so the defaults make a ring of only 8 frames. A
/// burst of 8 packets while the capture thread waits for a CPU (DNS, the
/// ARP exchange and the first echo request and reply of a ping, on a loaded
/// machine) filled it, and the kernel dropped the rest: the sender's
/// capture lost a ping's first request while the receiver's had it. 65535
/// bytes is the largest IP packet (only GRO-merged ones, beyond, are cut,
/// and marked so in the file); an 8 MB buffer makes 128 frames of such
/// packets (the kernel rounds each up to a 128 KB block: 16 MB mapped).
const SNAPLEN: i32 = 65_535;
const BUFFER_BYTES: i32 = 8 << 20;

/// Waits up to [`POLL`] for the capture to have packets (or an error) to
/// read. netrig polls the descriptor itself because libpcap's own blocking
/// read, in immediate mode, does not return on its timeout.
fn wait_readable(cap: &Capture<Active>) -> bool {
    // SAFETY: the descriptor belongs to `cap`, which outlives this call.
    let fd = unsafe { BorrowedFd::borrow_raw(cap.as_raw_fd()) };
    let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
    // EINTR and the like: let the caller read (non-blocking) and look again.
    poll(&mut fds, PollTimeout::from(POLL.as_millis() as u16)).map_or(true, |n| n > 0)
}

/// What the thread and the handle share.
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// Set by the handle to end the capture.
    pub(crate) stop: AtomicBool,
    /// Packets written so far.
    pub(crate) packets: AtomicU64,
    /// Bytes of packet data written so far.
    pub(crate) bytes: AtomicU64,
}

/// Opens everything, reports the outcome through `ready`, then captures
/// until stopped. Runs on its own thread, which it leaves in the
/// container's namespace; the thread ends when this returns.
pub(super) fn run(
    target: CaptureTarget,
    options: CaptureOptions,
    shared: Arc<Shared>,
    ready: SyncSender<Result<(), DockerError>>,
) -> Result<CaptureSummary, DockerError> {
    let action = format!("capture packets on container {:?}", target.container);
    let (mut cap, mut save, device) = match open(&target, &options, &action) {
        Ok(opened) => {
            let _ = ready.send(Ok(()));
            opened
        }
        Err(e) => {
            let _ = ready.send(Err(e.clone()));
            return Err(e);
        }
    };
    let write_failed = |e: pcap::Error| DockerError::Failed {
        action: action.clone(),
        message: format!(
            "cannot write the capture file {}: {}; the capture stopped there",
            options.file.display(),
            describe(&e)
        ),
    };

    let started = Instant::now();
    let mut last_flush = started;
    let mut dirty = false;
    let mut ended_early = None;
    loop {
        // Stop asked: one last pass reads what the kernel already holds
        // (the last replies of a ping that just ended), then the loop ends.
        let stopping = shared.stop.load(Ordering::Relaxed);
        let mut read = 0;
        let mut limit_reached = false;
        if stopping || wait_readable(&cap) {
            limit_reached = loop {
                if options
                    .max_packets
                    .is_some_and(|max| shared.packets.load(Ordering::Relaxed) >= max)
                {
                    break true;
                }
                match cap.next_packet() {
                    Ok(packet) => {
                        save.write(&packet);
                        shared.packets.fetch_add(1, Ordering::Relaxed);
                        shared
                            .bytes
                            .fetch_add(u64::from(packet.header.caplen), Ordering::Relaxed);
                        (dirty, read) = (true, read + 1);
                    }
                    // Non-blocking: nothing more queued.
                    Err(pcap::Error::TimeoutExpired) => break false,
                    // The interface went away (the container stopped or
                    // left the network): the capture is over, and what it
                    // saw stays.
                    Err(e) => {
                        ended_early = Some(describe(&e));
                        break true;
                    }
                }
            };
        }
        if limit_reached || stopping || options.duration.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        if read == 0
            && let Some(gone) = device.as_ref().and_then(Device::gone)
        {
            ended_early = Some(gone);
            break;
        }
        // Quiet, or busy for a while: push what is buffered to the file.
        if dirty && (read == 0 || last_flush.elapsed() >= FLUSH_EVERY) {
            save.flush().map_err(write_failed)?;
            (dirty, last_flush) = (false, Instant::now());
        }
    }
    save.flush().map_err(write_failed)?;
    let dropped = cap.stats().map(|s| u64::from(s.dropped)).unwrap_or(0);
    Ok(CaptureSummary {
        file: options.file.clone(),
        packets: shared.packets.load(Ordering::Relaxed),
        bytes: shared.bytes.load(Ordering::Relaxed),
        dropped,
        ended_early,
    })
}

/// Enters the namespace, opens the interface(s) with the filter, then
/// creates the file (last, so a bad filter leaves no empty file behind).
fn open(
    target: &CaptureTarget,
    options: &CaptureOptions,
    action: &str,
) -> Result<(Capture<Active>, Savefile, Option<Device>), DockerError> {
    enter_namespace(target, action)?;
    let (device, watched) = match &target.interfaces {
        Interfaces::All => ("any".to_string(), None),
        Interfaces::Network { network, addresses } => {
            let name = interface_for(network, addresses, action)?;
            let watched = Device::watch(&name, network);
            (name, watched)
        }
    };
    let mut cap = Capture::from_device(device.as_str())
        .and_then(|c| {
            c.promisc(false)
                .immediate_mode(true)
                .snaplen(SNAPLEN)
                .buffer_size(BUFFER_BYTES)
                .open()
        })
        .and_then(Capture::setnonblock)
        .map_err(|e| {
            let text = describe(&e);
            if is_permission(&text) {
                DockerError::Unsupported {
                    action: action.to_string(),
                    message: format!(
                        "opening interface {device:?} needs CAP_NET_RAW ({text}): run netrig as root, e.g. with sudo"
                    ),
                }
            } else {
                DockerError::Failed {
                    action: action.to_string(),
                    message: format!("libpcap cannot open interface {device:?}: {text}"),
                }
            }
        })?;
    if let Some(filter) = &options.filter {
        cap.filter(filter, true)
            .map_err(|e| DockerError::InvalidArgument {
                action: action.to_string(),
                message: format!(
                    "option \"filter\": {filter:?} is not a valid pcap filter: {}; the syntax is \
                     tcpdump's (man 7 pcap-filter), e.g. \"icmp\", \"tcp port 80\", \"host 10.0.0.2\"",
                    describe(&e)
                ),
            })?;
    }
    let save = create_file(&cap, &options.file, options.append, action)?;
    Ok((cap, save, watched))
}

/// One interface being captured, watched for going away: libpcap reports
/// a vanished interface once, at best, and then waits on it forever.
struct Device {
    name: String,
    network: String,
    index: u32,
}

impl Device {
    /// Notes the interface's index now (in the namespace already entered).
    fn watch(name: &str, network: &str) -> Option<Device> {
        let index = nix::net::if_::if_nametoindex(name).ok()?;
        Some(Device {
            name: name.to_string(),
            network: network.to_string(),
            index,
        })
    }

    /// Why the capture is over, if the interface is gone or was replaced.
    fn gone(&self) -> Option<String> {
        let now = nix::net::if_::if_nametoindex(self.name.as_str()).ok();
        (now != Some(self.index)).then(|| {
            format!(
                "interface {} went away (the container left network {:?} or stopped)",
                self.name, self.network
            )
        })
    }
}

/// Moves this thread into the container's network namespace, after
/// checking that the pid is that container's on this machine.
fn enter_namespace(target: &CaptureTarget, action: &str) -> Result<(), DockerError> {
    let pid = target.pid;
    let unsupported = |message: String| DockerError::Unsupported {
        action: action.to_string(),
        message,
    };
    let remote = |why: String| {
        unsupported(format!(
            "{why}. netrig captures from the daemon's own machine (it enters the container's \
             network namespace), so run netrig on the Docker host"
        ))
    };
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).map_err(|_| {
        // Gone between inspect and now, or a process of another machine.
        remote(format!(
            "the daemon says its process is pid {pid}, and this machine has no such process \
             (did the container just stop?)"
        ))
    })?;
    if !cgroup_names(&cgroup, &target.id) {
        return Err(remote(format!(
            "pid {pid} on this machine is not container {:?}'s process (the daemon is on another machine?)",
            target.container
        )));
    }
    let ns = File::open(format!("/proc/{pid}/ns/net")).map_err(|e| {
        unsupported(format!(
            "cannot open /proc/{pid}/ns/net ({e}); entering a container's network namespace \
             needs root: run netrig as root, e.g. with sudo"
        ))
    })?;
    setns(&ns, CloneFlags::CLONE_NEWNET).map_err(|e| {
        unsupported(format!(
            "cannot enter the network namespace of pid {pid} ({e}); that needs root \
             (CAP_SYS_ADMIN): run netrig as root, e.g. with sudo"
        ))
    })
}

/// The interface inside the (already entered) namespace that carries one of
/// `addresses`: Docker names interfaces by join order, not by network.
fn interface_for(network: &str, addresses: &[IpAddr], action: &str) -> Result<String, DockerError> {
    let devices = pcap::Device::list().map_err(|e| DockerError::Failed {
        action: action.to_string(),
        message: format!(
            "libpcap cannot list the container's interfaces: {}",
            describe(&e)
        ),
    })?;
    devices
        .iter()
        .find(|d| d.addresses.iter().any(|a| addresses.contains(&a.addr)))
        .map(|d| d.name.clone())
        .ok_or_else(|| DockerError::Failed {
            action: action.to_string(),
            message: format!(
                "no interface in the container carries its address on {network:?} ({}); it \
                 changed under netrig, try again",
                addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// Creates the pcap file and writes its header through to the disk, so an
/// unwritable path or a full disk is an error now rather than a lost capture.
fn create_file(
    cap: &Capture<Active>,
    path: &Path,
    append: bool,
    action: &str,
) -> Result<Savefile, DockerError> {
    let existed = path.exists();
    let failed = |message: String| DockerError::Failed {
        action: action.to_string(),
        message,
    };
    if append && existed {
        // The crate takes the path as UTF-8 and would panic on anything else.
        if path.to_str().is_none() {
            return Err(failed(format!(
                "cannot add to the capture file {}: its path is not UTF-8",
                path.display()
            )));
        }
        // libpcap checks that the file's link type and byte order match.
        return cap
            .savefile_append(path)
            .and_then(|mut save| {
                save.flush()?;
                Ok(save)
            })
            .map_err(|e| {
                failed(format!(
                    "cannot add to the capture file {}: {}",
                    path.display(),
                    describe(&e)
                ))
            });
    }
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| {
            failed(format!(
                "option \"file\": cannot create {}: {e}; choose a writable path",
                path.display()
            ))
        })?;
    // SAFETY: the descriptor was just opened here and is handed over whole;
    // the Savefile owns and closes it.
    let save = unsafe { cap.savefile_raw_fd(file.into_raw_fd()) }.and_then(|mut save| {
        save.flush()?;
        Ok(save)
    });
    save.map_err(|e| {
        if !existed && path.is_file() {
            let _ = std::fs::remove_file(path);
        }
        failed(format!(
            "cannot write the capture file {}: {}",
            path.display(),
            describe(&e)
        ))
    })
}

/// libpcap's own words, without the crate's prefix; errno values as the
/// operating system says them ("No space left on device").
fn describe(e: &pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(text) => text.clone(),
        pcap::Error::ErrnoError(errno) => std::io::Error::from_raw_os_error(errno.0).to_string(),
        other => other.to_string(),
    }
}

/// Whether libpcap refused for want of privilege.
fn is_permission(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("permission") || lower.contains("not permitted")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpcap_words_are_kept_and_permission_is_recognised() {
        assert_eq!(
            describe(&pcap::Error::PcapError("syntax error".into())),
            "syntax error"
        );
        assert!(is_permission(
            "any: You don't have permission to capture on that device (socket: Operation not permitted)"
        ));
        assert!(!is_permission("syntax error"));
    }
}
