//! `cargo bench --bench checks`: what a check costs when netrig makes it
//! from inside the container's network namespace, against `docker exec …
//! nc` (the CLI, and the Engine API as netrig's exec fallback calls it);
//! and a 20×20 TCP matrix (400 checks, namespaces entered included).
//! Prints Markdown tables of medians.
//!
//! Options (after `--`): `--rounds N` (default 5), `--quick` (1 round,
//! fewer samples). Run it as root on the daemon's machine, holding the
//! shared Docker lock.
//!
//! Everything it creates carries `netrig.bench=<id>` and netrig's own
//! labels, so `netrig clean` finds what a killed benchmark left; it removes
//! that on exit, on Ctrl-C and SIGTERM, and on a panic.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use comfy_table::{Table, presets::ASCII_MARKDOWN};
use futures_util::StreamExt;
use netrig::tools::probe::{self, Check, Namespaces, Netns, Outcome, TcpOptions};

const IMAGE: &str = "busybox:latest";
/// Containers in the matrix case.
const MATRIX: usize = 20;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = std::env::args()
        .skip_while(|a| a != "--rounds")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(if quick { 1 } else { 5 });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let docker = rt
        .block_on(async {
            bollard::Docker::connect_with_defaults()?
                .negotiate_version()
                .await
        })
        .expect("the benchmark needs a Docker daemon");
    let bench = Bench {
        id: format!("nrc{:x}", std::process::id()),
        stop: Arc::new(AtomicBool::new(false)),
        docker,
        rt,
    };
    bench.watch_signals();
    bench.run(rounds, quick);
}

struct Bench {
    id: String,
    stop: Arc<AtomicBool>,
    docker: bollard::Docker,
    rt: tokio::runtime::Runtime,
}

/// A container as the probe layer needs it.
struct Ctr {
    name: String,
    id: String,
    pid: u32,
    ip: String,
}

impl Bench {
    fn labels(&self) -> Vec<String> {
        [
            format!("netrig.bench={}", self.id),
            "netrig.managed=true".into(),
            format!("netrig.run={}", self.id),
            "netrig.script=benches/checks.rs".into(),
        ]
        .into_iter()
        .flat_map(|l| ["--label".to_string(), l])
        .collect()
    }

    fn docker_cli(&self, args: &[&str]) -> String {
        let out = Command::new("docker")
            .args(args)
            .output()
            .expect("docker CLI");
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn network(&self) -> String {
        let name = format!("{}-net", self.id);
        let mut args = vec!["network".to_string(), "create".into()];
        args.extend(self.labels());
        args.push(name.clone());
        self.docker_cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
        name
    }

    /// Busybox containers serving HTTP on port 80 (busybox httpd).
    fn webs(&self, net: &str, n: usize) -> Vec<Ctr> {
        let names: Vec<String> = (0..n).map(|i| format!("{}-c{i}", self.id)).collect();
        std::thread::scope(|s| {
            for name in &names {
                s.spawn(move || {
                    let mut args = vec![
                        "run".to_string(),
                        "-d".into(),
                        "--name".into(),
                        name.clone(),
                    ];
                    args.extend(self.labels());
                    args.extend(["--network".into(), net.into(), IMAGE.into()]);
                    args.extend([
                        "httpd".into(),
                        "-f".into(),
                        "-p".into(),
                        "80".into(),
                        "-h".into(),
                        "/".into(),
                    ]);
                    self.docker_cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
                });
            }
        });
        names
            .iter()
            .map(|name| {
                let fields = self.docker_cli(&[
                    "inspect",
                    "-f",
                    "{{.Id}} {{.State.Pid}} {{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                    name,
                ]);
                let f: Vec<&str> = fields.split_whitespace().collect();
                Ctr {
                    name: name.clone(),
                    id: f[0].into(),
                    pid: f[1].parse().unwrap(),
                    ip: f[2].into(),
                }
            })
            .collect()
    }

    fn clean(&self) {
        let filter = format!("label=netrig.bench={}", self.id);
        let ids = Command::new("docker")
            .args(["ps", "-aq", "--filter", &filter])
            .output();
        if let Ok(out) = ids {
            let ids = String::from_utf8_lossy(&out.stdout).to_string();
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .args(["rm", "-f"])
                    .args(&ids)
                    .output();
            }
        }
        let nets = Command::new("docker")
            .args(["network", "ls", "-q", "--filter", &filter])
            .output();
        if let Ok(out) = nets {
            let ids = String::from_utf8_lossy(&out.stdout).to_string();
            for id in ids.split_whitespace() {
                let _ = Command::new("docker").args(["network", "rm", id]).output();
            }
        }
    }

    fn watch_signals(&self) {
        let stop = self.stop.clone();
        self.rt.spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut int), Ok(mut term)) = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) else {
                return;
            };
            tokio::select! { _ = int.recv() => {}, _ = term.recv() => {} }
            stop.store(true, Ordering::SeqCst);
        });
    }

    fn check_stop(&self) {
        if self.stop.load(Ordering::SeqCst) {
            self.clean();
            eprintln!("bench: interrupted; removed what it had made");
            std::process::exit(130);
        }
    }

    /// One `docker exec … nc` through the Engine API, as netrig's exec
    /// fallback makes it: create, start and wait, read the exit code.
    async fn api_exec(&self, ctr: &str, cmd: &[&str]) -> i64 {
        use bollard::exec::StartExecResults;
        let exec = self
            .docker
            .create_exec(
                ctr,
                bollard::models::ExecConfig {
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        if let StartExecResults::Attached { mut output, .. } =
            self.docker.start_exec(&exec.id, None).await.unwrap()
        {
            while output.next().await.is_some() {}
        }
        self.docker
            .inspect_exec(&exec.id)
            .await
            .unwrap()
            .exit_code
            .unwrap_or(-1)
    }

    fn run(&self, rounds: usize, quick: bool) {
        let samples = if quick { 20 } else { 200 };
        let exec_samples = if quick { 5 } else { 30 };
        let net = self.network();
        let ctrs = self.webs(&net, MATRIX);
        self.check_stop();
        let (from, web) = (&ctrs[0], &ctrs[1]);
        let options = TcpOptions::default();

        // One check: entering the namespace, then each check alone.
        let mut enter = Vec::new();
        let mut by_ip = Vec::new();
        let mut by_name = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            let ns = Netns::open(&from.name, &from.id, from.pid)
                .expect("enter the namespace (run as root)");
            enter.push(ms(t));
            for _ in 0..samples {
                let t = Instant::now();
                let r = self
                    .rt
                    .block_on(probe::tcp(&ns, &web.ip, 80, &options))
                    .unwrap();
                by_ip.push(ms(t));
                assert!(r.ok(), "{r:?}");
                let t = Instant::now();
                let r = self
                    .rt
                    .block_on(probe::tcp(&ns, &web.name, 80, &options))
                    .unwrap();
                by_name.push(ms(t));
                assert!(r.ok(), "{r:?}");
            }
        }
        let mut cli = Vec::new();
        let mut api = Vec::new();
        for _ in 0..rounds {
            for _ in 0..exec_samples {
                let t = Instant::now();
                self.docker_cli(&["exec", &from.name, "nc", "-w", "2", &web.name, "80"]);
                cli.push(ms(t));
                let t = Instant::now();
                let code = self
                    .rt
                    .block_on(self.api_exec(&from.name, &["nc", "-w", "2", &web.name, "80"]));
                api.push(ms(t));
                assert_eq!(code, 0);
            }
            self.check_stop();
        }
        let mut t = table(&["one TCP check (median ms)", "ms"]);
        t.add_row(vec![
            "enter a namespace (once per container and run)".to_string(),
            f3(median(enter)),
        ]);
        t.add_row(vec![
            "in-namespace, by address".to_string(),
            f3(median(by_ip)),
        ]);
        t.add_row(vec![
            "in-namespace, by name (container's resolver)".to_string(),
            f3(median(by_name)),
        ]);
        t.add_row(vec![
            "`docker exec … nc` (CLI)".to_string(),
            f3(median(cli)),
        ]);
        t.add_row(vec![
            "exec `nc` through the Engine API".to_string(),
            f3(median(api)),
        ]);
        println!("{t}\n");

        // The 20×20 matrix: every ordered pair, by name, namespaces entered afresh.
        let mut matrix = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            let spaces = Namespaces::new();
            let entered: Vec<Netns> = ctrs
                .iter()
                .map(|c| spaces.get(&c.name, &c.id, c.pid).unwrap())
                .collect();
            let checks: Vec<Check> = entered
                .iter()
                .flat_map(|ns| {
                    ctrs.iter().map(move |to| Check::Tcp {
                        from: ns.clone(),
                        target: to.name.clone(),
                        port: 80,
                        options: TcpOptions::default(),
                    })
                })
                .collect();
            let results = self
                .rt
                .block_on(probe::run_all(checks, probe::batch::DEFAULT_CONCURRENCY));
            matrix.push(ms(t));
            let open = results
                .iter()
                .filter(|r| matches!(r, Ok(Outcome::Tcp(t)) if t.ok()))
                .count();
            assert_eq!(open, MATRIX * MATRIX, "every pair reaches port 80");
            self.check_stop();
        }
        let mut t = table(&["20×20 TCP matrix (400 checks)", "median ms"]);
        t.add_row(vec![
            "probe layer, namespaces entered included".to_string(),
            f3(median(matrix)),
        ]);
        println!("{t}\n");
        println!(
            "rounds: {rounds}; {samples} in-namespace and {exec_samples} exec samples per round; {}",
            cpu_model()
        );
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        self.clean();
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn table(headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(ASCII_MARKDOWN).set_header(headers.to_vec());
    t
}

fn f3(v: f64) -> String {
    format!("{v:.3}")
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}
