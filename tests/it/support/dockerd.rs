//! A second Docker daemon for multi-host tests, started by the test itself:
//! `dockerd` in a network namespace of its own with a veth pair to the
//! host, with its own config, data root, exec root, pidfile and socket
//! under a temporary directory. Dropping it stops the daemon and removes
//! the namespace, the veth pair and every file. Needs root, `ip`
//! (iproute2), `nsenter` (util-linux) and `dockerd` — all there on CI.
//!
//! It is started with `nsenter --net=…`, not `ip netns exec`: the latter
//! remounts /sys, hiding the cgroup mounts, and dockerd refuses to start.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bollard::Docker;
use futures_util::StreamExt;

use super::{Daemon, IMAGE, daemon};

/// A private dockerd in its own network namespace.
pub(crate) struct SecondDaemon {
    daemon: Option<Daemon>,
    /// `unix://…/docker.sock`.
    pub url: String,
    /// The host's end of the veth pair (the address the host daemon uses towards it).
    pub host_addr: String,
    /// The namespace's end: the second daemon's own address.
    pub addr: String,
    /// The network namespace's name (under /run/netns).
    pub netns: String,
    host_if: String,
    ns_if: String,
    dir: PathBuf,
    child: Option<Child>,
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (is it installed?): {e}"));
    assert!(
        out.status.success(),
        "{program} {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl SecondDaemon {
    /// Starts a daemon in a fresh namespace and gives it the test image.
    pub(crate) fn start() -> SecondDaemon {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        assert!(n < 60, "too many second daemons in one test process");
        let pid = std::process::id();
        // 198.18.0.0/15 is reserved for benchmarks: no clash with Docker's pools.
        let (octet, base) = (pid % 250, 4 * n);
        let dir = tempfile::Builder::new()
            .prefix("nr7-")
            .tempdir()
            .unwrap()
            .keep();
        // Made before anything is set up, so a failure half-way still cleans up.
        let mut second = SecondDaemon {
            daemon: None,
            url: format!("unix://{}", dir.join("docker.sock").display()),
            host_addr: format!("198.18.{octet}.{}", base + 1),
            addr: format!("198.18.{octet}.{}", base + 2),
            netns: format!("nr7-{pid}-{n}"),
            host_if: format!("nr7h{}x{n}", pid % 100_000),
            ns_if: format!("nr7n{}x{n}", pid % 100_000),
            dir,
            child: None,
        };
        second.set_up_network();
        second.start_dockerd();
        second.load_test_image();
        second
    }

    fn set_up_network(&self) {
        let peer = self.ns_if.as_str();
        run("ip", &["netns", "add", &self.netns]);
        run(
            "ip",
            &[
                "link",
                "add",
                &self.host_if,
                "type",
                "veth",
                "peer",
                "name",
                peer,
            ],
        );
        run("ip", &["link", "set", peer, "netns", &self.netns]);
        run(
            "ip",
            &[
                "addr",
                "add",
                &format!("{}/30", self.host_addr),
                "dev",
                &self.host_if,
            ],
        );
        run("ip", &["link", "set", &self.host_if, "up"]);
        let ns = |args: &[&str]| {
            let mut all = vec!["-n", self.netns.as_str()];
            all.extend_from_slice(args);
            run("ip", &all);
        };
        ns(&["addr", "add", &format!("{}/30", self.addr), "dev", peer]);
        ns(&["link", "set", peer, "up"]);
        ns(&["link", "set", "lo", "up"]);
    }

    fn start_dockerd(&mut self) {
        let dir = &self.dir;
        // Its own (empty) config: the machine's daemon.json may set a data root.
        std::fs::write(dir.join("daemon.json"), "{}").unwrap();
        let log = std::fs::File::create(dir.join("dockerd.log")).unwrap();
        let arg = |p: &str| dir.join(p).display().to_string();
        let child = Command::new("nsenter")
            .arg(format!("--net=/run/netns/{}", self.netns))
            .arg("dockerd")
            .args(["--config-file", &arg("daemon.json")])
            .args(["--host", &self.url])
            .args(["--data-root", &arg("data")])
            .args(["--exec-root", &arg("exec")])
            .args(["--pidfile", &arg("docker.pid")])
            // vfs works on any file system; the test image is a few MB.
            .args(["--storage-driver", "vfs"])
            // Swarm tasks use the loaded test image instead of trying a registry first.
            .env("DOCKER_SERVICE_PREFER_OFFLINE_IMAGE", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cannot start dockerd under nsenter (needs root, util-linux and docker.io)");
        // nsenter execs dockerd: the child is the daemon itself.
        self.child = Some(child);

        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let docker = loop {
            let attempt = rt.block_on(async {
                let d =
                    Docker::connect_with_unix(&self.url, 30, bollard::API_DEFAULT_VERSION).ok()?;
                d.ping().await.ok()?;
                d.negotiate_version().await.ok()
            });
            if let Some(d) = attempt {
                break d;
            }
            assert!(
                Instant::now() < deadline,
                "the second dockerd did not answer within 60 s; its log:\n{}",
                std::fs::read_to_string(dir.join("dockerd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        self.daemon = Some(Daemon { rt, docker });
    }

    /// The daemon, seen through bollard (the helpers of [`Daemon`] work on it).
    pub(crate) fn daemon(&self) -> &Daemon {
        self.daemon.as_ref().expect("the second daemon has started")
    }

    /// `docker save | docker load` from the host daemon, through the API.
    fn load_test_image(&self) {
        let host = daemon();
        let tar: Vec<u8> = host.block(async {
            let mut out = Vec::new();
            let mut stream = host.docker().export_image(IMAGE);
            while let Some(chunk) = stream.next().await {
                out.extend_from_slice(&chunk.expect("exporting the test image"));
            }
            out
        });
        let second = self.daemon();
        second.block(async {
            let mut stream = second.docker().import_image(
                bollard::query_parameters::ImportImageOptions::default(),
                bollard::body_full(tar.into()),
                None,
            );
            while let Some(item) = stream.next().await {
                let info = item.expect("loading the test image into the second daemon");
                if let Some(e) = info.error_detail {
                    panic!("loading the test image failed: {:?}", e.message);
                }
            }
        });
    }

    /// The directory holding its sockets, config and data.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the daemon (SIGTERM, then SIGKILL after 30 s) and reaps it.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Forwards a TCP port on 127.0.0.1 to the daemon's socket, so tests
    /// reach it the way a remote daemon is reached (`tcp://127.0.0.1:PORT`);
    /// the forward lives as long as this daemon value.
    pub(crate) fn tcp_url(&self) -> String {
        let socket = self.dir.join("docker.sock");
        let listener = self
            .daemon()
            .block(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        self.daemon().rt.spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                let socket = socket.clone();
                tokio::spawn(async move {
                    if let Ok(mut unix) = tokio::net::UnixStream::connect(&socket).await {
                        let _ = tokio::io::copy_bidirectional(&mut tcp, &mut unix).await;
                    }
                });
            }
        });
        format!("tcp://127.0.0.1:{port}")
    }

    /// Stops the daemon as a service manager would (SIGTERM, and waits for
    /// it to exit) and starts it again on the same data and socket: what
    /// `systemctl restart docker` does to a run in progress.
    pub(crate) fn restart(&mut self) {
        self.stop();
        self.daemon = None;
        self.start_dockerd();
    }

    /// Kills the daemon outright (SIGKILL), as a crash would, and reaps it,
    /// with the containerd it started: a containerd left behind keeps its
    /// socket and the next dockerd cannot talk to it.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let pidfile = self.dir.join("exec/containerd/containerd.pid");
        if let Ok(pid) = std::fs::read_to_string(&pidfile) {
            let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
            let _ = std::fs::remove_file(pidfile);
        }
    }

    /// Starts the daemon again after [`SecondDaemon::kill`].
    pub(crate) fn start_again(&mut self) {
        self.daemon = None;
        self.start_dockerd();
    }

    /// The daemon's process id while it runs.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for SecondDaemon {
    fn drop(&mut self) {
        self.stop();
        // Mounts a killed daemon may have left under its directory.
        if let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") {
            let dir = self.dir.display().to_string();
            let mut points: Vec<&str> = mounts
                .lines()
                .filter_map(|l| l.split_whitespace().nth(1))
                .filter(|p| p.starts_with(&dir))
                .collect();
            points.sort_by_key(|p| std::cmp::Reverse(p.len()));
            for p in points {
                let _ = Command::new("umount").args(["-l", p]).status();
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.netns])
            .output();
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_if])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
