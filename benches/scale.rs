//! `cargo bench --bench scale`: netrig against the docker CLI on the scale
//! case (4 networks × 5 busybox containers, every ordered pair inside a
//! network pinging once: 80 pings, then teardown), plus start-up, peak RSS
//! and how time grows with 10, 40 and 100 containers. Prints Markdown tables
//! of medians and ratios.
//!
//! Then the large case phase by phase (`support/big.rs`): 100 and 300
//! containers, one ping each, netrig against the CLI and the floor
//! (`support/floor.rs`, the same Engine API calls with bollard alone); and
//! 16 scenarios × 6 networks under `netrig test --jobs 16` against
//! `--jobs 1` (`support/suite.rs`).
//!
//! Options (after `--`): `--rounds N` (scale case, default 5), `--growth-rounds N`
//! (default 3), `--startup-rounds N` (default 20), `--big-rounds N` (large
//! case, default 2), `--quick` (1, 1, 5, 1), `--only-large` (the large case
//! alone), `--only-scale` (the scale case alone), `--large-sizes A,B` (networks of 5 containers, default 20,60),
//! `--floor-concurrency N` (default: the best of 4, 8, 16, 32 at 100 containers).
//!
//! Everything it creates carries `netrig.bench=<id>` (and netrig's own labels,
//! so `netrig clean` finds what a killed benchmark left); it removes that by
//! label after every run, on Ctrl-C and SIGTERM, and on a panic.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use comfy_table::{Table, presets::ASCII_MARKDOWN};
use netrig::tools::{Client, DaemonArgs, remove_labelled};

#[path = "support/big.rs"]
mod big;
#[path = "support/floor.rs"]
mod floor;
#[path = "support/suite.rs"]
mod suite;

const NETRIG: &str = env!("CARGO_BIN_EXE_netrig");
const IMAGE: &str = "busybox:latest";
/// Containers per network in every case.
const PER_NETWORK: usize = 5;
/// Networks get 10.213.<n>.0/24: explicit subnets, so the benchmark does not
/// use up the daemon's default address pools that other work shares.
const SUBNET_BASE: &str = "10.213";

fn main() {
    let opts = Options::from_args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    // The daemon options netrig itself would take from the environment
    // (DOCKER_HOST, NETRIG_DOCKER_TIMEOUT, NETRIG_PULL).
    let options = DaemonArgs::from_env()
        .unwrap_or_else(|e| e.exit())
        .client_options();
    let client = rt
        .block_on(Client::connect(&options))
        .expect("the benchmark needs a Docker daemon");
    let bench = Bench {
        id: format!("nrb{:x}", std::process::id() ^ (now_ns() as u32 & 0xffff)),
        client,
        rt,
        stop: Arc::new(AtomicBool::new(false)),
        dir: tempfile::tempdir().expect("temp dir"),
    };
    bench.watch_signals();
    bench.run(&opts);
}

struct Options {
    rounds: usize,
    growth_rounds: usize,
    startup_rounds: usize,
    big_rounds: usize,
    only_large: bool,
    /// The scale case alone (20 containers, 80 pings), for a quick ratio.
    only_scale: bool,
    /// Networks (of 5 containers) per size of the large case.
    large_sizes: Vec<usize>,
    /// The floor's concurrency; `None`: the best of a sweep at 100 containers.
    floor_concurrency: Option<usize>,
}

impl Options {
    fn from_args() -> Options {
        let mut o = Options {
            rounds: 5,
            growth_rounds: 3,
            startup_rounds: 20,
            big_rounds: 2,
            only_large: false,
            only_scale: false,
            large_sizes: vec![20, 60],
            floor_concurrency: None,
        };
        let args: Vec<String> = std::env::args().skip(1).collect();
        let number = |i: usize| -> usize {
            args.get(i + 1)
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or_else(|| panic!("{} wants a positive number", args[i]))
        };
        for (i, arg) in args.iter().enumerate() {
            match arg.as_str() {
                "--rounds" => o.rounds = number(i),
                "--growth-rounds" => o.growth_rounds = number(i),
                "--startup-rounds" => o.startup_rounds = number(i),
                "--big-rounds" => o.big_rounds = number(i),
                "--only-large" => o.only_large = true,
                "--only-scale" => o.only_scale = true,
                "--floor-concurrency" => o.floor_concurrency = Some(number(i)),
                "--large-sizes" => {
                    o.large_sizes = args
                        .get(i + 1)
                        .map(|v| v.split(',').filter_map(|n| n.parse().ok()).collect())
                        .filter(|v: &Vec<usize>| v.len() == 2)
                        .expect("--large-sizes wants two network counts, e.g. 20,60");
                }
                "--quick" => {
                    o.rounds = 1;
                    o.growth_rounds = 1;
                    o.startup_rounds = 5;
                    o.big_rounds = 1;
                }
                _ => {} // `cargo bench` passes `--bench`; numbers follow their flag.
            }
        }
        o
    }
}

struct Bench {
    id: String,
    client: Client,
    rt: tokio::runtime::Runtime,
    stop: Arc<AtomicBool>,
    dir: tempfile::TempDir,
}

/// The ways the scale case is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// netrig with `create_networks`, `run_all`, `ping_all`.
    Batch,
    /// netrig, one `network::create` / `run` / `ping` call at a time.
    Naive,
    /// docker CLI, one command at a time.
    CliSeq,
    /// docker CLI under `xargs -P 8`, phase by phase.
    CliXargs,
}

impl Form {
    const ALL: [Form; 4] = [Form::Batch, Form::Naive, Form::CliSeq, Form::CliXargs];

    fn label(self) -> &'static str {
        match self {
            Form::Batch => "netrig, batch functions",
            Form::Naive => "netrig, one call at a time",
            Form::CliSeq => "docker CLI, sequential",
            Form::CliXargs => "docker CLI, xargs -P 8",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Form::Batch => "b",
            Form::Naive => "n",
            Form::CliSeq => "s",
            Form::CliXargs => "x",
        }
    }

    fn is_netrig(self) -> bool {
        matches!(self, Form::Batch | Form::Naive)
    }
}

/// One timed run.
#[derive(Debug, Clone, Default)]
struct Sample {
    total: f64,
    up: f64,
    checks: f64,
    teardown: f64,
    max_rss_kib: u64,
}

/// The scale case at a given size, named so that runs never share a name.
struct Case {
    prefix: String,
    networks: usize,
    labels: Vec<(String, String)>,
}

impl Case {
    fn net(&self, i: usize) -> String {
        format!("{}-n{i}", self.prefix)
    }
    fn ctr(&self, i: usize, j: usize) -> String {
        format!("{}-n{i}-c{j}", self.prefix)
    }
    fn subnet(&self, i: usize) -> String {
        format!("{SUBNET_BASE}.{i}.0/24")
    }
    fn containers(&self) -> usize {
        self.networks * PER_NETWORK
    }
    /// Every ordered pair inside each network.
    fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for i in 0..self.networks {
            for a in 0..PER_NETWORK {
                for b in 0..PER_NETWORK {
                    if a != b {
                        pairs.push((self.ctr(i, a), self.ctr(i, b)));
                    }
                }
            }
        }
        pairs
    }

    fn rhai_labels(&self) -> String {
        let items: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("\"{k}\": \"{v}\""))
            .collect();
        format!("#{{{}}}", items.join(", "))
    }

    fn cli_labels(&self) -> String {
        self.labels
            .iter()
            .map(|(k, v)| format!("--label {k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn script(&self, form: Form) -> String {
        match form {
            Form::Batch => self.batch_script(),
            Form::Naive => self.naive_script(),
            Form::CliSeq => self.cli_script(false),
            Form::CliXargs => self.cli_script(true),
        }
    }

    fn batch_script(&self) -> String {
        let labels = self.rhai_labels();
        let mut s = String::from("let t = timestamp();\nlet nets = [];\n");
        for i in 0..self.networks {
            writeln!(
                s,
                "nets.push(#{{name: \"{}\", subnet: \"{}\", labels: {labels}}});",
                self.net(i),
                self.subnet(i)
            )
            .unwrap();
        }
        s.push_str("create_networks(nets);\nlet specs = [];\n");
        for i in 0..self.networks {
            for j in 0..PER_NETWORK {
                writeln!(
                    s,
                    "specs.push(#{{image: \"{IMAGE}\", name: \"{}\", network: \"{}\", cmd: [\"sleep\", \"3600\"], labels: {labels}}});",
                    self.ctr(i, j),
                    self.net(i)
                )
                .unwrap();
            }
        }
        s.push_str("run_all(specs);\nprint(`phase up ${t.elapsed}`);\nlet t = timestamp();\nlet pairs = [];\n");
        for (a, b) in self.pairs() {
            writeln!(s, "pairs.push([\"{a}\", \"{b}\"]);").unwrap();
        }
        s.push_str(
            "for r in ping_all(pairs, 1) { if !r.ok { throw `${r.from} got no answer from ${r.target}`; } }\n\
             print(`phase checks ${t.elapsed}`);\n",
        );
        s
    }

    fn naive_script(&self) -> String {
        let labels = self.rhai_labels();
        let mut s = String::from("let t = timestamp();\n");
        for i in 0..self.networks {
            writeln!(
                s,
                "network::create(\"{}\", #{{subnet: \"{}\", labels: {labels}}});",
                self.net(i),
                self.subnet(i)
            )
            .unwrap();
        }
        for i in 0..self.networks {
            for j in 0..PER_NETWORK {
                writeln!(
                    s,
                    "run(\"{IMAGE}\", #{{name: \"{}\", network: \"{}\", cmd: [\"sleep\", \"3600\"], labels: {labels}}});",
                    self.ctr(i, j),
                    self.net(i)
                )
                .unwrap();
            }
        }
        s.push_str("print(`phase up ${t.elapsed}`);\nlet t = timestamp();\n");
        for (a, b) in self.pairs() {
            writeln!(
                s,
                "if !ping(\"{a}\", \"{b}\", 1).ok {{ throw \"{a} got no answer from {b}\"; }}"
            )
            .unwrap();
        }
        s.push_str("print(`phase checks ${t.elapsed}`);\n");
        s
    }

    /// The same case as a bash script over the docker CLI; `mark` lines give
    /// the phase boundaries.
    fn cli_script(&self, xargs: bool) -> String {
        let labels = self.cli_labels();
        let mut s = String::from(
            "set -euo pipefail\nmark() { echo \"mark $1 $(date +%s%N)\"; }\nmark start\n",
        );
        let nets: Vec<String> = (0..self.networks)
            .map(|i| format!("{labels} --subnet {} {}", self.subnet(i), self.net(i)))
            .collect();
        let ctrs: Vec<String> = (0..self.networks)
            .flat_map(|i| (0..PER_NETWORK).map(move |j| (i, j)))
            .map(|(i, j)| {
                format!(
                    "-d --name {} --network {} {labels} {IMAGE} sleep 3600",
                    self.ctr(i, j),
                    self.net(i)
                )
            })
            .collect();
        let pings: Vec<String> = self
            .pairs()
            .into_iter()
            .map(|(a, b)| format!("{a} ping -c 1 -W 1 {b}"))
            .collect();
        let ctr_names: Vec<String> = (0..self.networks)
            .flat_map(|i| (0..PER_NETWORK).map(move |j| (i, j)))
            .map(|(i, j)| self.ctr(i, j))
            .collect();
        let net_names: Vec<String> = (0..self.networks).map(|i| self.net(i)).collect();
        let phase = |s: &mut String, command: &str, lines: &[String], mark: Option<&str>| {
            if xargs {
                writeln!(
                    s,
                    "xargs -P 8 -L 1 {command} >/dev/null <<'EOF'\n{}\nEOF",
                    lines.join("\n")
                )
                .unwrap();
            } else {
                for line in lines {
                    writeln!(s, "{command} {line} >/dev/null").unwrap();
                }
            }
            if let Some(m) = mark {
                writeln!(s, "mark {m}").unwrap();
            }
        };
        phase(&mut s, "docker network create", &nets, None);
        phase(&mut s, "docker run", &ctrs, Some("up"));
        phase(&mut s, "docker exec", &pings, Some("checks"));
        phase(&mut s, "docker rm -f", &ctr_names, None);
        phase(&mut s, "docker network rm", &net_names, Some("down"));
        s
    }
}

/// What a child process did.
struct Finished {
    wall: f64,
    max_rss_kib: u64,
    exit_code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `cmd`, timing it from spawn to exit and reading its peak RSS from
/// `wait4` (the child's own, not the benchmark's).
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives the RSS
fn run_measured(mut cmd: Command) -> Finished {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let out = reader(child.stdout.take().expect("piped stdout"));
    let err = reader(child.stderr.take().expect("piped stderr"));
    let mut status = 0;
    // nix wraps waitpid but not wait4 (the one that gives the child's own
    // rusage), so this calls libc through nix's re-export.
    // SAFETY: plain libc call on our own child's pid, with valid out-pointers.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { nix::libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = started.elapsed().as_secs_f64();
    assert_eq!(r, child.id() as i32, "wait4 failed");
    let exit_code = if nix::libc::WIFEXITED(status) {
        nix::libc::WEXITSTATUS(status)
    } else {
        128 + nix::libc::WTERMSIG(status)
    };
    Finished {
        wall,
        max_rss_kib: usage.ru_maxrss as u64,
        exit_code,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Reads a pipe to its end on a thread of its own, so neither pipe fills up.
fn reader(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

impl Bench {
    fn label_filter(&self) -> String {
        format!("netrig.bench={}", self.id)
    }

    fn labels(&self) -> Vec<(String, String)> {
        vec![
            ("netrig.bench".into(), self.id.clone()),
            // netrig's own labels on the CLI forms too, so `netrig clean`
            // removes what a killed benchmark left.
            ("netrig.managed".into(), "true".into()),
            ("netrig.run".into(), self.id.clone()),
            ("netrig.script".into(), "benches/scale.rs".into()),
        ]
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

    /// Removes everything of this benchmark; returns what was left.
    fn clean(&self) -> (Vec<String>, Vec<String>) {
        let report = self
            .rt
            .block_on(remove_labelled(&self.client, &self.label_filter()));
        for f in &report.failures {
            eprintln!("bench: could not remove: {f}");
        }
        (report.containers, report.networks)
    }

    /// After each run: leave nothing, and stop here if interrupted.
    fn after_run(&self, what: &str) {
        let (c, n) = self.clean();
        if self.stop.load(Ordering::SeqCst) {
            eprintln!("bench: interrupted; removed what it had made");
            std::process::exit(130);
        }
        if !c.is_empty() || !n.is_empty() {
            eprintln!(
                "bench: {what} left {} containers and {} networks (removed now)",
                c.len(),
                n.len()
            );
        }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write script");
        path
    }

    fn run_case(&self, case: &Case, form: Form) -> Sample {
        let ext = if form.is_netrig() { "rhai" } else { "sh" };
        let path = self.write(&format!("{}.{ext}", case.prefix), &case.script(form));
        let command = || {
            let mut c = Command::new(if form.is_netrig() { NETRIG } else { "bash" });
            if form.is_netrig() {
                c.arg("run");
            }
            c.arg(&path);
            c
        };
        let mut f = run_measured(command());
        self.after_run(form.label());
        if f.exit_code != 0 {
            // The daemon is shared and sometimes stumbles (a name its DNS does
            // not know yet): say so, and try the same run once more.
            eprintln!(
                "bench: {} failed (exit {}), retrying once:\n{}{}",
                form.label(),
                f.exit_code,
                tail(&f.stdout),
                tail(&f.stderr)
            );
            f = run_measured(command());
            self.after_run(form.label());
            if f.exit_code != 0 {
                panic!(
                    "{} failed twice (exit {}):\n{}\n{}",
                    form.label(),
                    f.exit_code,
                    f.stdout,
                    f.stderr
                );
            }
        }
        let mut s = Sample {
            total: f.wall,
            max_rss_kib: f.max_rss_kib,
            ..Default::default()
        };
        if form.is_netrig() {
            let phase = |name: &str| -> f64 {
                f.stdout
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("phase {name} ")))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(f64::NAN)
            };
            s.up = phase("up");
            s.checks = phase("checks");
            // "netrig: removed 20 containers, 4 networks in 1.23 s"
            s.teardown = f
                .stderr
                .lines()
                .find(|l| l.contains("removed") && l.ends_with(" s"))
                .and_then(|l| l.rsplit(" in ").next())
                .and_then(|v| v.trim_end_matches(" s").parse().ok())
                .unwrap_or(f64::NAN);
        } else {
            let marks: HashMap<&str, f64> = f
                .stdout
                .lines()
                .filter_map(|l| l.strip_prefix("mark "))
                .filter_map(|l| l.split_once(' '))
                .filter_map(|(k, v)| v.trim().parse::<f64>().ok().map(|ns| (k, ns / 1e9)))
                .collect();
            let d = |a: &str, b: &str| {
                marks
                    .get(b)
                    .zip(marks.get(a))
                    .map(|(b, a)| b - a)
                    .unwrap_or(f64::NAN)
            };
            s.up = d("start", "up");
            s.checks = d("up", "checks");
            s.teardown = d("checks", "down");
        }
        s
    }

    fn case(&self, tag: &str, networks: usize) -> Case {
        Case {
            prefix: format!("{}-{tag}", self.id),
            networks,
            labels: self.labels(),
        }
    }

    fn conditions(&self) -> String {
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        let others = self
            .rt
            .block_on(self.client.list_containers(false, HashMap::new()))
            .map(|l| l.len())
            .unwrap_or(0);
        format!(
            "load average {}, {others} other containers running",
            load.join(" ")
        )
    }

    fn run(&self, o: &Options) {
        let setup = run_measured({
            let mut c = Command::new(NETRIG);
            c.arg("setup");
            c
        });
        assert_eq!(setup.exit_code, 0, "netrig setup failed: {}", setup.stderr);
        self.clean();
        let server = self
            .rt
            .block_on(self.client.server_version())
            .unwrap_or_default();
        println!("# netrig scale benchmark\n");
        println!(
            "machine: {}, {} cores; Docker {server} (API {}); bench id {}",
            cpu_model(),
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0),
            self.client.api_version(),
            self.id
        );
        println!("before: {}\n", self.conditions());
        if o.only_large {
            let mut targets = self.big_section(o.big_rounds, &o.large_sizes, o.floor_concurrency);
            targets.extend(self.suite_section());
            print_targets(targets);
            println!("after: {}", self.conditions());
            return;
        }

        // Scale case: the four forms alternate, the first form rotating each round.
        let mut samples: HashMap<&str, Vec<Sample>> = HashMap::new();
        for round in 0..o.rounds {
            for k in 0..Form::ALL.len() {
                let form = Form::ALL[(round + k) % Form::ALL.len()];
                let case = self.case(&format!("{}{round}", form.code()), 4);
                let s = self.run_case(&case, form);
                eprintln!(
                    "bench: scale round {round}: {:<28} {:6.2} s",
                    form.label(),
                    s.total
                );
                samples.entry(form.label()).or_default().push(s);
            }
        }
        let med = |form: Form, f: fn(&Sample) -> f64| {
            median(samples[form.label()].iter().map(f).collect())
        };
        let xargs = med(Form::CliXargs, |s| s.total);
        let seq = med(Form::CliSeq, |s| s.total);
        let mut t = table(&[
            "scale case (20 containers, 80 pings)",
            "total s",
            "bring-up s",
            "checks s",
            "teardown s",
            "vs CLI seq",
            "vs CLI xargs -P 8",
            "peak RSS MiB",
        ]);
        for form in Form::ALL {
            let rss = samples[form.label()]
                .iter()
                .map(|s| s.max_rss_kib)
                .max()
                .unwrap_or(0);
            let total = med(form, |s| s.total);
            t.add_row(vec![
                form.label().to_string(),
                f2(total),
                f2(med(form, |s| s.up)),
                f2(med(form, |s| s.checks)),
                f2(med(form, |s| s.teardown)),
                format!("{:.2}×", total / seq),
                format!("{:.2}×", total / xargs),
                if form.is_netrig() {
                    format!("{:.1}", rss as f64 / 1024.0)
                } else {
                    "–".into()
                },
            ]);
        }
        println!(
            "{t}\n\nmedians of {} alternating rounds; the CLI's peak RSS is bash's, so not shown\n",
            o.rounds
        );
        let batch = med(Form::Batch, |s| s.total);
        let naive = med(Form::Naive, |s| s.total);
        let mut targets = Vec::new();
        targets.push(target(
            "scale, batch ≤ 0.7× CLI xargs -P 8",
            batch / xargs,
            0.7,
        ));
        targets.push(target(
            "scale, one call at a time ≤ 0.9× CLI sequential",
            naive / seq,
            0.9,
        ));
        if o.only_scale {
            print_targets(targets);
            println!("after: {}", self.conditions());
            return;
        }

        // Start-up: a one-line script against `docker version`, alternating.
        let one_line = self.write("one-line.rhai", "print(\"ok\");\n");
        let (mut ours, mut theirs, mut rss) = (Vec::new(), Vec::new(), 0u64);
        for _ in 0..o.startup_rounds {
            let f = run_measured({
                let mut c = Command::new(NETRIG);
                c.arg("run").arg(&one_line);
                c
            });
            assert_eq!(f.exit_code, 0, "{}", f.stderr);
            ours.push(f.wall);
            rss = rss.max(f.max_rss_kib);
            let f = run_measured({
                let mut c = Command::new("docker");
                c.arg("version");
                c
            });
            assert_eq!(f.exit_code, 0, "{}", f.stderr);
            theirs.push(f.wall);
        }
        let (ours, theirs) = (median(ours), median(theirs));
        let mut t = table(&["start-up", "median ms", "vs docker version", "peak RSS MiB"]);
        t.add_row(vec![
            "netrig run one-line.rhai".into(),
            format!("{:.1}", ours * 1e3),
            format!("{:.2}×", ours / theirs),
            format!("{:.1}", rss as f64 / 1024.0),
        ]);
        t.add_row(vec![
            "docker version".into(),
            format!("{:.1}", theirs * 1e3),
            "1.00×".into(),
            "–".into(),
        ]);
        println!("{t}\n\nmedians of {} alternating runs\n", o.startup_rounds);
        targets.push(target("start-up ≤ 0.8× docker version", ours / theirs, 0.8));

        // Growth: the batch form at 10, 40 and 100 containers.
        let sizes = [2usize, 8, 20];
        let mut growth: HashMap<usize, Vec<Sample>> = HashMap::new();
        for round in 0..o.growth_rounds {
            for &nets in &sizes {
                let case = self.case(&format!("g{nets}r{round}"), nets);
                let s = self.run_case(&case, Form::Batch);
                eprintln!(
                    "bench: growth round {round}: {:3} containers {:6.2} s",
                    case.containers(),
                    s.total
                );
                growth.entry(nets).or_default().push(s);
            }
        }
        let mut t = table(&[
            "batch form, containers",
            "pings",
            "total s",
            "bring-up s",
            "checks s",
            "teardown s",
            "ms per container",
            "per container vs 10",
            "peak RSS MiB",
        ]);
        let per = |nets: usize| {
            median(growth[&nets].iter().map(|s| s.total).collect()) / (nets * PER_NETWORK) as f64
        };
        let base = per(sizes[0]);
        let mut peak = samples
            .iter()
            .filter(|(k, _)| **k == Form::Batch.label() || **k == Form::Naive.label())
            .flat_map(|(_, v)| v.iter().map(|s| s.max_rss_kib))
            .max()
            .unwrap_or(0)
            .max(rss);
        for &nets in &sizes {
            let g = &growth[&nets];
            let m = |f: fn(&Sample) -> f64| median(g.iter().map(f).collect());
            let r = g.iter().map(|s| s.max_rss_kib).max().unwrap_or(0);
            peak = peak.max(r);
            t.add_row(vec![
                (nets * PER_NETWORK).to_string(),
                (nets * PER_NETWORK * (PER_NETWORK - 1)).to_string(),
                f2(m(|s| s.total)),
                f2(m(|s| s.up)),
                f2(m(|s| s.checks)),
                f2(m(|s| s.teardown)),
                format!("{:.0}", per(nets) * 1e3),
                format!("{:.2}×", per(nets) / base),
                format!("{:.1}", r as f64 / 1024.0),
            ]);
        }
        println!("{t}\n\nmedians of {} rounds\n", o.growth_rounds);
        // Linear means the same time per container; anything worse than
        // linear (a quadratic step) would show as several times that at 100.
        // 15% is the run-to-run spread measured here on a shared machine.
        targets.push(target(
            "100 containers: per-container time ≤ 1.15× that at 10 (linear, within noise)",
            per(20) / base,
            1.15,
        ));
        targets.push(target(
            "peak RSS ≤ 40 MiB (any netrig run above)",
            peak as f64 / 1024.0 / 40.0,
            1.0,
        ));

        targets.extend(self.big_section(o.big_rounds, &o.large_sizes, o.floor_concurrency));
        targets.extend(self.suite_section());
        print_targets(targets);
        println!("after: {}", self.conditions());
    }
}

impl Drop for Bench {
    /// A panic (a failed run, a failed assertion) still removes what the benchmark made.
    fn drop(&mut self) {
        self.clean();
    }
}

/// The error headline (netrig's `×` line) and the last lines of a
/// command's output, for a one-glance failure note.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut shown: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains('×'))
        .take(2)
        .collect();
    shown.extend(&lines[lines.len().saturating_sub(5)..]);
    let mut out = shown.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn print_targets(targets: Vec<(String, String, bool)>) {
    let mut t = table(&["target", "measured", "holds"]);
    for (name, value, holds) in targets {
        t.add_row(vec![
            name,
            value,
            if holds { "yes".into() } else { "no".into() },
        ]);
    }
    println!("{t}\n");
}

fn target(name: &str, ratio: f64, limit: f64) -> (String, String, bool) {
    (
        name.to_string(),
        format!("{ratio:.2} (limit {limit})"),
        ratio <= limit,
    )
}

fn table(headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(ASCII_MARKDOWN).set_header(headers.to_vec());
    t
}

fn f2(v: f64) -> String {
    format!("{v:.2}")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
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
