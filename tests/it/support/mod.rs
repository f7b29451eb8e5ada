//! Test support: the real Docker daemon seen from outside netrig (bollard,
//! not netrig's own code), the busybox fixture, and scenario files that
//! clean up after themselves even when an assertion fails.

pub(crate) mod dockerd;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::query_parameters::{
    InspectContainerOptions, ListContainersOptions, ListNetworksOptions, RemoveContainerOptions,
};
use futures_util::StreamExt;

/// All tests share one process and the host's daemon. A test that puts that
/// daemon into swarm mode changes its iptables and networks under everyone
/// (a ping between two containers elsewhere can fail while it joins or
/// leaves), so it holds this lock for writing; every other test that uses
/// the daemon holds it for reading, once, first thing.
static HOST_DAEMON: RwLock<()> = RwLock::new(());

/// The host's daemon, shared with other tests: its global state stays as it is.
pub(crate) fn daemon_shared() -> RwLockReadGuard<'static, ()> {
    HOST_DAEMON.read().unwrap_or_else(|e| e.into_inner())
}

/// The host's daemon to this test alone, to change its global state.
pub(crate) fn daemon_exclusive() -> RwLockWriteGuard<'static, ()> {
    HOST_DAEMON.write().unwrap_or_else(|e| e.into_inner())
}

/// The image every test uses; built locally when missing (no registry here).
pub(crate) const IMAGE: &str = "busybox:latest";

/// The daemon, seen directly through bollard.
pub(crate) struct Daemon {
    rt: tokio::runtime::Runtime,
    docker: Docker,
}

/// The shared daemon handle; makes sure the test image exists first.
pub(crate) fn daemon() -> &'static Daemon {
    static DAEMON: OnceLock<Daemon> = OnceLock::new();
    DAEMON.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let docker = rt
            .block_on(Docker::connect_with_defaults().unwrap().negotiate_version())
            .expect("these tests need a Docker daemon: start one (see .ci/run)");
        let d = Daemon { rt, docker };
        d.ensure_busybox();
        d
    })
}

impl Daemon {
    /// Runs a future on the support runtime.
    pub(crate) fn block<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// The bollard client.
    pub(crate) fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Uses the local busybox image, or builds one FROM scratch out of the
    /// host's static busybox (Debian's busybox-static), or says how to get one.
    fn ensure_busybox(&self) {
        if self.block(self.docker.inspect_image(IMAGE)).is_ok() {
            return;
        }
        let busybox = Path::new("/bin/busybox");
        assert!(
            busybox.exists(),
            "no {IMAGE} image and no /bin/busybox to build one from: install busybox-static \
             (apt-get install busybox-static) or `docker load` a busybox image"
        );
        let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\n\
                          RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nCMD [\"sh\"]\n";
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(dockerfile.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, "Dockerfile", dockerfile.as_bytes())
            .unwrap();
        tar.append_path_with_name(busybox, "busybox").unwrap();
        let context = tar.into_inner().unwrap();
        let options = bollard::query_parameters::BuildImageOptions {
            t: Some(IMAGE.to_string()),
            dockerfile: "Dockerfile".into(),
            rm: true,
            ..Default::default()
        };
        self.block(async {
            let mut stream =
                self.docker
                    .build_image(options, None, Some(bollard::body_full(context.into())));
            while let Some(item) = stream.next().await {
                let info = item.expect("building the busybox test image");
                if let Some(e) = info.error_detail {
                    panic!("building the busybox test image failed: {:?}", e.message);
                }
            }
        });
    }

    /// Containers (any state) carrying `label` (`key=value`).
    fn list_containers_with(&self, label: &str) -> Vec<bollard::models::ContainerSummary> {
        self.block(self.docker.list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(label_filter(label)),
            ..Default::default()
        })))
        .unwrap()
    }

    /// Networks carrying `label`.
    fn list_networks_with(&self, label: &str) -> Vec<bollard::models::Network> {
        self.block(self.docker.list_networks(Some(ListNetworksOptions {
            filters: Some(label_filter(label)),
        })))
        .unwrap()
    }

    /// Names of containers (any state) carrying `label` (`key=value`).
    pub(crate) fn containers_with(&self, label: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .list_containers_with(label)
            .into_iter()
            .filter_map(|c| c.names.and_then(|n| n.into_iter().next()))
            .map(|n| n.trim_start_matches('/').to_string())
            .collect();
        names.sort();
        names
    }

    /// Names of networks carrying `label`.
    pub(crate) fn networks_with(&self, label: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .list_networks_with(label)
            .into_iter()
            .filter_map(|n| n.name)
            .collect();
        names.sort();
        names
    }

    /// Names of all networks.
    pub(crate) fn network_names(&self) -> Vec<String> {
        let list = self
            .block(self.docker.list_networks(None::<ListNetworksOptions>))
            .unwrap();
        list.into_iter().filter_map(|n| n.name).collect()
    }

    /// Labels of a network, or `None` when it does not exist.
    pub(crate) fn network_labels(&self, name: &str) -> Option<HashMap<String, String>> {
        self.block(self.docker.inspect_network(name, None))
            .ok()
            .map(|n| n.labels.unwrap_or_default())
    }

    /// Names of the containers attached to a network.
    pub(crate) fn network_members(&self, name: &str) -> Vec<String> {
        let net = self.block(self.docker.inspect_network(name, None)).unwrap();
        let mut names: Vec<String> = net
            .containers
            .unwrap_or_default()
            .into_values()
            .filter_map(|c| c.name)
            .collect();
        names.sort();
        names
    }

    /// The container's inspect answer, or `None`.
    pub(crate) fn container(
        &self,
        name: &str,
    ) -> Option<bollard::models::ContainerInspectResponse> {
        self.block(
            self.docker
                .inspect_container(name, None::<InspectContainerOptions>),
        )
        .ok()
    }

    /// Networks a container is on.
    pub(crate) fn container_networks(&self, name: &str) -> Vec<String> {
        let mut nets: Vec<String> = self
            .container(name)
            .and_then(|c| c.network_settings)
            .and_then(|s| s.networks)
            .map(|n| n.into_keys().collect())
            .unwrap_or_default();
        nets.sort();
        nets
    }

    /// Runs a command in a container; returns exit code and stdout+stderr.
    pub(crate) fn exec(&self, container: &str, cmd: &[&str]) -> (i64, String) {
        self.block(async {
            let exec = self
                .docker
                .create_exec(
                    container,
                    bollard::models::ExecConfig {
                        attach_stdout: Some(true),
                        attach_stderr: Some(true),
                        cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            let mut text = String::new();
            if let bollard::exec::StartExecResults::Attached { mut output, .. } =
                self.docker.start_exec(&exec.id, None).await.unwrap()
            {
                while let Some(Ok(chunk)) = output.next().await {
                    text.push_str(&chunk.to_string());
                }
            }
            let code = self
                .docker
                .inspect_exec(&exec.id)
                .await
                .unwrap()
                .exit_code
                .unwrap_or(-1);
            (code, text)
        })
    }

    /// Whether `from` gets an answer pinging `target` (a name or address).
    pub(crate) fn can_ping(&self, from: &str, target: &str) -> bool {
        self.exec(from, &["ping", "-c", "1", "-W", "1", target]).0 == 0
    }

    /// Removes everything carrying `label` (the safety net after a failed test).
    pub(crate) fn remove_all_with(&self, label: &str) {
        for c in self.containers_with(label) {
            let _ = self.block(self.docker.remove_container(
                &c,
                Some(RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            ));
        }
        for n in self.networks_with(label) {
            let _ = self.block(self.docker.remove_network(&n));
        }
    }

    /// Polls `check` until it holds or `secs` pass.
    pub(crate) fn wait_for(&self, secs: u64, mut check: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if check() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        check()
    }
}

/// A `label=key=value` filter for list calls.
fn label_filter(label: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![label.to_string()])])
}

/// The netrig binary, with colours off so output is plain text.
pub(crate) fn netrig() -> assert_cmd::Command {
    assert_cmd::Command::from_std(netrig_command())
}

/// The same as a plain [`Command`], for tests that start netrig in the
/// background, send it signals or give it a terminal.
pub(crate) fn netrig_command() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("netrig"));
    // Tests never contact a registry (there is none here): a missing image fails at once.
    cmd.env("NO_COLOR", "1")
        .env("NETRIG_PULL", "never")
        .env_remove("DOCKER_HOST");
    cmd
}

/// A scenario script in a temporary directory. Its path is its
/// `netrig.script` label, so a test can find exactly what it made; dropping
/// it removes whatever is left, after the test has checked nothing was.
pub(crate) struct Scenario {
    _dir: tempfile::TempDir,
    /// The script file.
    pub path: PathBuf,
}

impl Scenario {
    /// Writes `source` to `<tmp>/<name>.rhai`.
    pub(crate) fn new(name: &str, source: &str) -> Scenario {
        daemon();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{name}.rhai"));
        std::fs::write(&path, source).unwrap();
        Scenario { _dir: dir, path }
    }

    /// The label filter selecting this scenario's resources.
    pub(crate) fn label(&self) -> String {
        script_label(&self.path)
    }

    /// `netrig run <script> <extra…>`.
    pub(crate) fn run(&self, extra: &[&str]) -> Output {
        netrig()
            .arg("run")
            .arg(&self.path)
            .args(extra)
            .output()
            .unwrap()
    }

    /// Fails the test if anything of this scenario is still on the daemon.
    pub(crate) fn assert_nothing_left(&self) {
        assert_nothing_left(&self.label());
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        daemon().remove_all_with(&self.label());
    }
}

/// `netrig.script=<path>` as netrig labels a run of `path`.
pub(crate) fn script_label(path: &Path) -> String {
    format!("netrig.script={}", path.display())
}

/// Fails when a container or network with `label` remains.
pub(crate) fn assert_nothing_left(label: &str) {
    let d = daemon();
    let (c, n) = (d.containers_with(label), d.networks_with(label));
    assert!(
        c.is_empty() && n.is_empty(),
        "left behind for {label}: containers {c:?}, networks {n:?}"
    );
}

/// stdout and stderr of a finished command, for assertion messages.
pub(crate) fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts the exit code, showing the output when it differs.
pub(crate) fn assert_exit(out: &Output, code: i32) {
    let (stdout, stderr) = text(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "unexpected exit code\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
}

impl Daemon {
    /// Run ids found on resources carrying `label`.
    pub(crate) fn run_ids_with(&self, label: &str) -> Vec<String> {
        let run_of =
            |l: Option<HashMap<String, String>>| l.and_then(|l| l.get("netrig.run").cloned());
        let mut ids: Vec<String> = self
            .list_containers_with(label)
            .into_iter()
            .filter_map(|c| run_of(c.labels))
            .chain(
                self.list_networks_with(label)
                    .into_iter()
                    .filter_map(|n| run_of(n.labels)),
            )
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// `netrig clean --run ID` for every run that left something with `label`.
pub(crate) fn clean_runs_with(label: &str) {
    for id in daemon().run_ids_with(label) {
        let out = netrig().args(["clean", "--run", &id]).output().unwrap();
        assert_exit(&out, 0);
    }
}

/// Removes everything carrying its label when dropped, so a failed
/// assertion does not leak what the test made.
pub(crate) struct LabelGuard(pub String);

impl Drop for LabelGuard {
    fn drop(&mut self) {
        daemon().remove_all_with(&self.0);
    }
}
