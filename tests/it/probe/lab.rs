//! The probe tests' lab: containers and networks made through the daemon
//! (not netrig), their namespaces, host tools run inside them, and the
//! image with no tools at all.

use std::collections::HashMap;
use std::process::Command;
use std::sync::OnceLock;

use crate::support::{self, LabelGuard, daemon};
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, Ipam, IpamConfig, NetworkCreateRequest,
    NetworkingConfig,
};
use bollard::query_parameters::CreateContainerOptions;
use netrig::tools::probe::{self, Netns, TcpOptions};

/// The image whose only file is `/sleeper`, a static binary that sleeps.
pub(crate) const SLEEPER: &str = "netrig-test-sleeper:latest";

/// A running container as the probe layer sees it.
pub(crate) struct Ctr {
    pub(crate) name: String,
    pub(crate) id: String,
    pub(crate) pid: u32,
    pub(crate) ip: String,
}

/// What one test made, labelled so that it all goes when the test ends.
pub(crate) struct Lab {
    run: String,
    _guard: LabelGuard,
}

impl Lab {
    pub(crate) fn new(test: &str) -> Lab {
        daemon();
        let run = format!("i12-{test}-{}", std::process::id());
        Lab {
            _guard: LabelGuard(format!("netrig.run={run}")),
            run,
        }
    }

    pub(crate) fn labels(&self) -> HashMap<String, String> {
        HashMap::from([
            ("netrig.managed".into(), "true".into()),
            ("netrig.run".into(), self.run.clone()),
            (
                "netrig.script".into(),
                format!("tests/probe.rs {}", self.run),
            ),
        ])
    }

    /// A user-defined network; `ipv6` adds that subnet (dual stack).
    pub(crate) fn network(&self, name: &str, ipv6: Option<&str>) -> String {
        let name = format!("{}-{name}", self.run);
        let d = daemon();
        let ipam = ipv6.map(|subnet| Ipam {
            config: Some(vec![IpamConfig {
                subnet: Some(subnet.into()),
                ..Default::default()
            }]),
            ..Default::default()
        });
        d.block(d.docker().create_network(NetworkCreateRequest {
            name: name.clone(),
            enable_ipv6: ipv6.map(|_| true),
            ipam,
            labels: Some(self.labels()),
            ..Default::default()
        }))
        .unwrap();
        name
    }

    /// Runs `cmd` in `image` on `network` (the default bridge when `None`)
    /// with `aliases`, and waits until it runs.
    pub(crate) fn run(
        &self,
        name: &str,
        image: &str,
        cmd: &[&str],
        network: Option<&str>,
        aliases: &[&str],
    ) -> Ctr {
        let name = format!("{}-{name}", self.run);
        let d = daemon();
        let net = network.unwrap_or("bridge").to_string();
        let endpoint = EndpointSettings {
            aliases: (!aliases.is_empty()).then(|| aliases.iter().map(|a| a.to_string()).collect()),
            ..Default::default()
        };
        d.block(d.docker().create_container(
            Some(CreateContainerOptions {
                name: Some(name.clone()),
                ..Default::default()
            }),
            ContainerCreateBody {
                image: Some(image.into()),
                cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
                labels: Some(self.labels()),
                host_config: Some(HostConfig {
                    network_mode: Some(net.clone()),
                    ..Default::default()
                }),
                networking_config: Some(NetworkingConfig {
                    endpoints_config: Some(HashMap::from([(net.clone(), endpoint)])),
                }),
                ..Default::default()
            },
        ))
        .unwrap();
        d.block(d.docker().start_container(&name, None)).unwrap();
        let inspect = d.container(&name).unwrap();
        let pid = inspect.state.as_ref().and_then(|s| s.pid).unwrap_or(0) as u32;
        let ip = inspect
            .network_settings
            .and_then(|s| s.networks)
            .and_then(|n| n.get(&net).and_then(|e| e.ip_address.clone()))
            .unwrap_or_default();
        Ctr {
            name,
            id: inspect.id.unwrap(),
            pid,
            ip,
        }
    }

    /// A busybox container that sleeps.
    pub(crate) fn busybox(&self, name: &str, network: Option<&str>) -> Ctr {
        self.run(name, support::IMAGE, &["sleep", "3600"], network, &[])
    }

    /// A busybox container serving HTTP on port 80 with busybox httpd.
    pub(crate) fn web(&self, name: &str, network: Option<&str>, aliases: &[&str]) -> Ctr {
        let serve = "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www";
        let c = self.run(name, support::IMAGE, &["sh", "-c", serve], network, aliases);
        let ns = ns(&c);
        let up = daemon().wait_for(10, || {
            block(probe::tcp(&ns, "127.0.0.1", 80, &TcpOptions::default()))
                .unwrap()
                .ok()
        });
        assert!(up, "httpd in {} never listened", c.name);
        c
    }
}

/// The container's namespace, entered.
pub(crate) fn ns(c: &Ctr) -> Netns {
    Netns::open(&c.name, &c.id, c.pid).unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn block<F: std::future::Future>(f: F) -> F::Output {
    daemon().block(f)
}

/// Runs a host tool inside the container's network namespace.
pub(crate) fn nsenter(c: &Ctr, args: &[&str]) {
    let out = Command::new("nsenter")
        .args(["-t", &c.pid.to_string(), "-n", "--"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds (once) the image whose only file is a static binary that sleeps:
/// compiled here from five lines of C, so the image has no shell, no libc,
/// no tools at all.
pub(crate) fn sleeper_image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let d = daemon();
        if d.block(d.docker().inspect_image(SLEEPER)).is_ok() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("sleeper.c");
        std::fs::write(
            &source,
            "#include <unistd.h>\nint main(void) { for (;;) pause(); }\n",
        )
        .unwrap();
        let binary = dir.path().join("sleeper");
        let out = Command::new("cc")
            .args(["-static", "-Os", "-s", "-o"])
            .arg(&binary)
            .arg(&source)
            .output()
            .expect("this test compiles a static binary with cc: install gcc and libc6-dev");
        assert!(
            out.status.success(),
            "cc -static failed (install libc6-dev for libc.a): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dockerfile = "FROM scratch\nCOPY sleeper /sleeper\nCMD [\"/sleeper\"]\n";
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(dockerfile.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, "Dockerfile", dockerfile.as_bytes())
            .unwrap();
        tar.append_path_with_name(&binary, "sleeper").unwrap();
        let context = tar.into_inner().unwrap();
        let options = bollard::query_parameters::BuildImageOptions {
            t: Some(SLEEPER.to_string()),
            dockerfile: "Dockerfile".into(),
            rm: true,
            labels: Some(HashMap::from([("netrig.test".into(), "probe".into())])),
            ..Default::default()
        };
        d.block(async {
            use futures_util::StreamExt;
            let mut stream =
                d.docker()
                    .build_image(options, None, Some(bollard::body_full(context.into())));
            while let Some(item) = stream.next().await {
                let info = item.expect("building the sleeper image");
                assert!(info.error_detail.is_none(), "{:?}", info.error_detail);
            }
        });
    });
    SLEEPER
}
