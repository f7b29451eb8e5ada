//! The large case, phase by phase: N networks × 5 busybox containers, one
//! ping per container to its neighbour, teardown — netrig's batch functions,
//! the docker CLI under `xargs -P 8`, and the floor (`floor.rs`: the same
//! Engine API calls with bollard and nothing else) side by side, at 100 and
//! 300 containers.

use std::fmt::Write as _;
use std::process::Command;

use bollard::Docker;

use super::floor::{self, Phases};
use super::{Bench, IMAGE, NETRIG, PER_NETWORK, f2, median, run_measured, table, tail, target};

/// Explicit subnets for the CLI and the floor (Docker's default pools hold
/// about 31 networks): 10.<n>.<i>.0/24 for the first of these /16s that no
/// network on the daemon uses (one the daemon failed to remove may hold
/// one). netrig's form takes its own pool's, as a user's would.
const SUBNET_BASES: std::ops::RangeInclusive<u8> = 214..=230;

/// Concurrencies the floor is tried at; the best one is used.
const FLOOR_CONCURRENCY: [usize; 4] = [4, 8, 16, 32];

/// One size of the large case.
pub(crate) struct Big {
    prefix: String,
    /// The second octet of its explicit subnets.
    base: u8,
    networks: usize,
    labels: Vec<(String, String)>,
}

/// One timed run of the large case.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Phased {
    pub phases: Phases,
    pub total: f64,
    pub rss_kib: u64,
}

impl Big {
    fn net(&self, i: usize) -> String {
        format!("{}-n{i}", self.prefix)
    }
    fn ctr(&self, i: usize, j: usize) -> String {
        format!("{}-n{i}-c{j}", self.prefix)
    }
    fn subnet(&self, i: usize) -> String {
        format!("10.{}.{i}.0/24", self.base)
    }
    /// The same case under other names (for a second attempt).
    fn renamed(&self, attempt: usize) -> Big {
        Big {
            prefix: match attempt {
                0 => self.prefix.clone(),
                n => format!("{}a{n}", self.prefix),
            },
            networks: self.networks,
            labels: self.labels.clone(),
            base: self.base,
        }
    }

    pub(crate) fn containers(&self) -> usize {
        self.networks * PER_NETWORK
    }
    fn all_containers(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.networks).flat_map(|i| (0..PER_NETWORK).map(move |j| (i, j)))
    }
    /// Each container pings the next one on its network.
    fn pairs(&self) -> Vec<(String, String)> {
        self.all_containers()
            .map(|(i, j)| (self.ctr(i, j), self.ctr(i, (j + 1) % PER_NETWORK)))
            .collect()
    }

    fn netrig_script(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("\"{k}\": \"{v}\""))
            .collect();
        let labels = format!("#{{{}}}", labels.join(", "));
        let mut s = String::from("let t = timestamp();\nlet nets = [];\n");
        for i in 0..self.networks {
            writeln!(
                s,
                "nets.push(#{{name: \"{}\", labels: {labels}}});",
                self.net(i)
            )
            .unwrap();
        }
        s.push_str("create_networks(nets);\nprint(`phase networks ${t.elapsed}`);\nlet t = timestamp();\nlet specs = [];\n");
        for (i, j) in self.all_containers() {
            writeln!(
                s,
                "specs.push(#{{image: \"{IMAGE}\", name: \"{}\", network: \"{}\", cmd: [\"sleep\", \"3600\"], labels: {labels}}});",
                self.ctr(i, j),
                self.net(i)
            )
            .unwrap();
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

    fn cli_script(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("--label {k}={v}"))
            .collect();
        let labels = labels.join(" ");
        let mut s = String::from(
            "set -euo pipefail\nmark() { echo \"mark $1 $(date +%s%N)\"; }\nmark start\n",
        );
        let mut phase = |command: &str, lines: Vec<String>, mark: &str| {
            writeln!(
                s,
                "xargs -P 8 -L 1 {command} >/dev/null <<'EOF'\n{}\nEOF\nmark {mark}",
                lines.join("\n")
            )
            .unwrap();
        };
        phase(
            "docker network create",
            (0..self.networks)
                .map(|i| format!("{labels} --subnet {} {}", self.subnet(i), self.net(i)))
                .collect(),
            "networks",
        );
        phase(
            "docker run",
            self.all_containers()
                .map(|(i, j)| {
                    format!(
                        "-d --name {} --network {} {labels} {IMAGE} sleep 3600",
                        self.ctr(i, j),
                        self.net(i)
                    )
                })
                .collect(),
            "up",
        );
        phase(
            "docker exec",
            self.pairs()
                .into_iter()
                .map(|(a, b)| format!("{a} ping -c 1 -W 1 {b}"))
                .collect(),
            "checks",
        );
        phase(
            "docker rm -f",
            self.all_containers().map(|(i, j)| self.ctr(i, j)).collect(),
            "containers",
        );
        phase(
            "docker network rm",
            (0..self.networks).map(|i| self.net(i)).collect(),
            "down",
        );
        s
    }

    fn floor_plan(&self) -> floor::Plan {
        floor::Plan {
            networks: (0..self.networks)
                .map(|i| (self.net(i), self.subnet(i)))
                .collect(),
            containers: self
                .all_containers()
                .map(|(i, j)| (self.ctr(i, j), i))
                .collect(),
            pings: self.pairs(),
            labels: self.labels.iter().cloned().collect(),
            image: IMAGE.to_string(),
        }
    }
}

impl Bench {
    fn big(&self, tag: &str, networks: usize) -> Big {
        Big {
            base: self.free_base(),
            prefix: format!("{}-{tag}", self.id),
            networks,
            labels: self.labels(),
        }
    }

    /// The first /16 of [`SUBNET_BASES`] that no network on the daemon uses.
    fn free_base(&self) -> u8 {
        let docker = Docker::connect_with_local_defaults().expect("bollard connects");
        let subnets: Vec<String> = self
            .rt
            .block_on(docker.list_networks(None))
            .unwrap_or_default()
            .into_iter()
            .flat_map(|n| n.ipam.and_then(|i| i.config).unwrap_or_default())
            .filter_map(|c| c.subnet)
            .collect();
        SUBNET_BASES
            .clone()
            .find(|b| {
                let prefix = format!("10.{b}.");
                !subnets.iter().any(|s| s.starts_with(&prefix))
            })
            .expect("a free /16 in 10.214-230 for the benchmark's explicit subnets")
    }

    /// Runs `cmd(attempt)`, once more (under fresh names: the daemon may
    /// keep a network it failed to remove) when it fails.
    fn measured(&self, what: &str, cmd: impl Fn(usize) -> Command) -> super::Finished {
        let mut f = run_measured(cmd(0));
        self.after_run(what);
        if f.exit_code != 0 {
            eprintln!(
                "bench: {what} failed (exit {}), retrying once:\n{}{}",
                f.exit_code,
                tail(&f.stdout),
                tail(&f.stderr)
            );
            f = run_measured(cmd(1));
            self.after_run(what);
            assert_eq!(
                f.exit_code, 0,
                "{what} failed twice:\n{}\n{}",
                f.stdout, f.stderr
            );
        }
        f
    }

    fn big_netrig(&self, big: &Big) -> Phased {
        let f = self.measured("netrig (large case)", |attempt| {
            let mut big = big.renamed(attempt);
            if attempt > 0 {
                big.base = self.free_base();
            }
            let path = self.write(&format!("{}.rhai", big.prefix), &big.netrig_script());
            let mut c = Command::new(NETRIG);
            c.arg("run").arg(&path);
            c
        });
        let phase = |name: &str| -> f64 {
            f.stdout
                .lines()
                .find_map(|l| l.strip_prefix(&format!("phase {name} ")))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(f64::NAN)
        };
        let teardown = f
            .stderr
            .lines()
            .find(|l| l.contains("removed") && l.ends_with(" s"))
            .and_then(|l| l.rsplit(" in ").next())
            .and_then(|v| v.trim_end_matches(" s").parse().ok())
            .unwrap_or(f64::NAN);
        Phased {
            phases: Phases {
                networks: phase("networks"),
                up: phase("up"),
                checks: phase("checks"),
                teardown,
            },
            total: f.wall,
            rss_kib: f.max_rss_kib,
        }
    }

    fn big_cli(&self, big: &Big) -> Phased {
        let f = self.measured("CLI xargs -P 8 (large case)", |attempt| {
            let mut big = big.renamed(attempt);
            if attempt > 0 {
                big.base = self.free_base();
            }
            let path = self.write(&format!("{}.sh", big.prefix), &big.cli_script());
            let mut c = Command::new("bash");
            c.arg(&path);
            c
        });
        let marks: std::collections::HashMap<&str, f64> = f
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
                .map_or(f64::NAN, |(b, a)| b - a)
        };
        Phased {
            phases: Phases {
                networks: d("start", "networks"),
                up: d("networks", "up"),
                checks: d("up", "checks"),
                teardown: d("checks", "down"),
            },
            total: f.wall,
            rss_kib: 0,
        }
    }

    fn big_floor(&self, docker: &Docker, big: &Big, concurrency: usize) -> Phased {
        let started = std::time::Instant::now();
        let result = self
            .rt
            .block_on(floor::run(docker, &big.floor_plan(), concurrency));
        let total = started.elapsed().as_secs_f64();
        self.after_run("the floor");
        let phases = result.unwrap_or_else(|e| panic!("the floor failed: {e}"));
        Phased {
            phases,
            total,
            rss_kib: 0,
        }
    }

    /// The large case: the floor's best concurrency at 100 containers, then
    /// netrig, the CLI and the floor at 100 and 300 containers, alternating
    /// for `rounds` rounds. Prints its tables; returns its targets.
    /// The floor at 100 containers with each of [`FLOOR_CONCURRENCY`];
    /// returns the fastest.
    fn floor_sweep(&self, docker: &Docker) -> usize {
        let mut t = table(&[
            "floor at 100 containers, concurrency",
            "networks s",
            "create+start s",
            "checks s",
            "teardown s",
            "total s",
        ]);
        let mut best = (f64::INFINITY, FLOOR_CONCURRENCY[0]);
        for c in FLOOR_CONCURRENCY {
            let big = self.big(&format!("fc{c}"), 20);
            let p = self.big_floor(docker, &big, c);
            eprintln!("bench: floor at concurrency {c}: {:.2} s", p.total);
            t.add_row(vec![
                c.to_string(),
                f2(p.phases.networks),
                f2(p.phases.up),
                f2(p.phases.checks),
                f2(p.phases.teardown),
                f2(p.total),
            ]);
            if p.total < best.0 {
                best = (p.total, c);
            }
        }
        println!(
            "{t}\n\none run each; the floor below uses concurrency {}\n",
            best.1
        );
        best.1
    }

    pub(crate) fn big_section(
        &self,
        rounds: usize,
        sizes: &[usize],
        floor_concurrency: Option<usize>,
    ) -> Vec<(String, String, bool)> {
        let docker = self
            .rt
            .block_on(
                Docker::connect_with_local_defaults()
                    .unwrap()
                    .negotiate_version(),
            )
            .expect("bollard connects");

        let concurrency = match floor_concurrency {
            Some(c) => c,
            None => self.floor_sweep(&docker),
        };
        let sizes = [sizes[0], sizes[1]];
        let forms = [
            "netrig, batch functions",
            "docker CLI, xargs -P 8",
            "floor (bollard)",
        ];
        let mut samples: std::collections::HashMap<(usize, usize), Vec<Phased>> =
            Default::default();
        for &nets in &sizes {
            for round in 0..rounds {
                for k in 0..forms.len() {
                    let form = (round + k) % forms.len();
                    let big = self.big(&format!("b{nets}f{form}r{round}"), nets);
                    let p = match form {
                        0 => self.big_netrig(&big),
                        1 => self.big_cli(&big),
                        _ => self.big_floor(&docker, &big, concurrency),
                    };
                    eprintln!(
                        "bench: large round {round}: {:3} containers {:<26} {:6.2} s",
                        big.containers(),
                        forms[form],
                        p.total
                    );
                    samples.entry((nets, form)).or_default().push(p);
                }
            }
        }
        let med = |nets: usize, form: usize, f: fn(&Phased) -> f64| {
            median(samples[&(nets, form)].iter().map(f).collect())
        };
        let mut targets = Vec::new();
        for &nets in &sizes {
            let mut t = table(&[
                &format!(
                    "{} containers on {nets} networks, {} pings",
                    nets * PER_NETWORK,
                    nets * PER_NETWORK
                ),
                "networks s",
                "create+start s",
                "checks s",
                "teardown s",
                "total s",
                "vs floor",
                "vs CLI",
                "peak RSS MiB",
            ]);
            let floor_total = med(nets, 2, |p| p.total);
            let cli_total = med(nets, 1, |p| p.total);
            for (form, label) in forms.iter().enumerate() {
                let total = med(nets, form, |p| p.total);
                let rss = samples[&(nets, form)]
                    .iter()
                    .map(|p| p.rss_kib)
                    .max()
                    .unwrap_or(0);
                t.add_row(vec![
                    label.to_string(),
                    f2(med(nets, form, |p| p.phases.networks)),
                    f2(med(nets, form, |p| p.phases.up)),
                    f2(med(nets, form, |p| p.phases.checks)),
                    f2(med(nets, form, |p| p.phases.teardown)),
                    f2(total),
                    format!("{:.2}×", total / floor_total),
                    format!("{:.2}×", total / cli_total),
                    if form == 0 {
                        format!("{:.1}", rss as f64 / 1024.0)
                    } else {
                        "–".into()
                    },
                ]);
            }
            println!("{t}\n\nmedians of {rounds} alternating rounds\n");
        }
        let big = sizes[1];
        for (name, f) in [
            (
                "networks",
                (|p: &Phased| p.phases.networks) as fn(&Phased) -> f64,
            ),
            ("create+start", |p| p.phases.up),
            ("checks", |p| p.phases.checks),
            ("teardown", |p| p.phases.teardown),
        ] {
            targets.push(target(
                &format!("300 containers, {name}: netrig ≤ 1.1× the floor"),
                med(big, 0, f) / med(big, 2, f),
                1.1,
            ));
        }
        targets.push(target(
            "300 containers: netrig ≤ 0.8× CLI xargs -P 8",
            med(big, 0, |p| p.total) / med(big, 1, |p| p.total),
            0.8,
        ));
        let per = |nets: usize| med(nets, 0, |p| p.total) / (nets * PER_NETWORK) as f64;
        targets.push(target(
            "netrig per-container time at 300 ≤ 1.15× that at 100 (linear)",
            per(sizes[1]) / per(sizes[0]),
            1.15,
        ));
        let rss = samples
            .iter()
            .filter(|((_, form), _)| *form == 0)
            .flat_map(|(_, v)| v.iter().map(|p| p.rss_kib))
            .max()
            .unwrap_or(0);
        targets.push(target(
            "300 containers: netrig's peak RSS ≤ 60 MiB",
            rss as f64 / 1024.0 / 60.0,
            1.0,
        ));
        targets
    }
}
