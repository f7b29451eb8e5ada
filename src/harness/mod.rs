//! `netrig test`: a directory of scenario scripts as a test suite.
//!
//! Each scenario runs in its own thread with its own engine and an isolated
//! run session (Docker names prefixed with its run id, script names kept),
//! at most `--jobs` at a time. Each one is torn down by its own run label
//! however it ends, so a failing scenario never takes another's resources
//! with it. The report is a line per scenario, the failures in full, the
//! closing `N passed, M failed` line, and optionally JUnit XML.

pub(crate) mod daemon;
pub(crate) mod discover;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod keep;
pub(crate) mod meta;
pub(crate) mod outcome;
mod progress;
pub(crate) mod report;
pub(crate) mod summary;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rhai::Engine;
use tokio::runtime::{Handle, Runtime};

use crate::capture::CaptureSet;
use crate::docker::pool::book::WhenFull;
use crate::docker::run::access::HostAccess;
use crate::docker::run::labels;
use crate::docker::{Client, ClientOptions, RunSession};
use crate::error::{Error, Result};
use crate::rig::report::{self as notes, note};
use crate::rig::{Interrupt, Rig, Stop, signals};
use crate::script::params::Params;
use crate::text::plural;
use daemon::SuiteDaemon;
use discover::Scenario;
use outcome::{Failure, ScenarioResult, Status};
use progress::{pool_notes, say};
use report::Tally;

/// How long a scenario may run when neither its header nor `--timeout` says.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Stack for scenario threads: Rhai recurses, and debug builds use a lot.
const SCENARIO_STACK_BYTES: usize = 16 << 20;

/// Arguments of `netrig test`.
#[derive(Debug, Clone, Default)]
pub struct TestArgs {
    /// Files and directories of scenarios (default `tests/scenarios/`, else `scenarios/`).
    pub paths: Vec<PathBuf>,
    /// Scenarios at once (default: the number of CPUs).
    pub jobs: Option<usize>,
    /// Write a JUnit XML report here.
    pub junit: Option<PathBuf>,
    /// Run only scenarios whose name or path contains one of these, or
    /// with one of these tags (all when empty).
    pub filter: Vec<String>,
    /// Leave a failed scenario's resources in place and say how to inspect them.
    pub keep_failed: bool,
    /// Time limit per scenario when its header gives none.
    pub timeout: Option<Duration>,
    /// Print what passing scenarios printed too (failures always show it).
    pub show_output: bool,
    /// How to reach the daemon.
    pub docker: ClientOptions,
    /// Let scenarios ask for host access (see `netrig run --allow-host-access`).
    pub allow_host_access: bool,
    /// The `--set` parameters every scenario gets (each takes what it declares).
    pub params: Params,
    /// Write `index.html` and each scenario's topology drawing here (with
    /// `capture`, a failed scenario's captures too).
    pub report: Option<PathBuf>,
    /// Print one JSON document instead of the text report (which goes to stderr).
    pub json: bool,
    /// Capture every scenario's containers into `<dir>/<scenario>/<container>.pcap`.
    pub capture: Option<PathBuf>,
}

/// What a finished-scenario hook sees: called once per scenario that ran,
/// after its script ended and before its resources are removed, so the live
/// topology can still be looked at (e.g. drawn into a report directory).
pub struct Finished<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Its run id (the `netrig.run` label of its resources).
    pub run_id: &'a str,
    /// Its verdict so far (teardown may still turn a pass into an error).
    pub status: Status,
    /// The rig it ran in: its session (names, client) and engine, still live.
    pub rig: &'a Rig,
}

/// A hook called for every finished scenario, from the scenario's thread.
pub(crate) type OnFinished<'h> = dyn Fn(&Finished<'_>) + Sync + 'h;

/// `netrig test`.
pub(crate) fn run_tests(runtime: &Runtime, args: &TestArgs) -> Result {
    run_tests_with(runtime, args, &|_| {})
}

/// `netrig test` with a hook called as each scenario finishes.
pub fn run_tests_with(runtime: &Runtime, args: &TestArgs, on_finished: &OnFinished<'_>) -> Result {
    let found = discover::search_paths(&args.paths)
        .and_then(|p| discover::discover(&p))
        .map_err(Error::Usage)?;
    let total = found.len();
    let scenarios: Vec<Scenario> = found
        .into_iter()
        .filter(|s| args.filter.is_empty() || args.filter.iter().any(|f| s.matches(f)))
        .collect();
    if scenarios.is_empty() {
        // Like an empty directory: a typo in a filter must not pass as "nothing failed".
        let filters: Vec<String> = args.filter.iter().map(|f| format!("{f:?}")).collect();
        return Err(Error::Usage(format!(
            "--filter {} matches none of the {} found (by name, path or tag)",
            filters.join(", --filter "),
            plural(total, "scenario")
        )));
    }
    let filtered_out = total - scenarios.len();
    // A JUnit path that cannot be written is a usage error, found before the run, not after.
    let junit_file = match &args.junit {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Some((path, file)),
            Err(e) => {
                return Err(Error::Usage(format!(
                    "cannot write the JUnit report {}: {e}",
                    path.display()
                )));
            }
        },
        None => None,
    };
    // So is a capture directory that cannot be written.
    if let Some(dir) = &args.capture {
        CaptureSet::new(dir).map_err(|e| Error::Usage(e.to_string()))?;
    }
    // So is a report directory that cannot be made.
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::Usage(format!(
                "cannot write the report into {}: {e}",
                dir.display()
            ))
        })?;
    }
    let client = crate::rig::connect(runtime, &args.docker)?;
    // Scenarios wait for each other's subnets instead of failing on a full pool.
    let names: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    client.pool().set_when_full(WhenFull::Wait);
    client
        .pool()
        .set_observer(pool_notes(names.clone(), client.pool().pool(), args.json));
    let interrupt = Interrupt::new();
    signals::watch(runtime, interrupt.clone(), client.clone());

    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, scenarios.len().max(1));
    say(
        args.json,
        format!(
            "running {} ({} at a time){}",
            plural(scenarios.len(), "scenario"),
            jobs,
            match filtered_out {
                0 => String::new(),
                n => format!(", {n} filtered out"),
            }
        ),
    );
    let started = Instant::now();
    let started_at = std::time::SystemTime::now();
    let suite = Suite {
        runtime: runtime.handle().clone(),
        interrupt: interrupt.clone(),
        args,
        on_finished,
        name_width: scenarios.iter().map(|s| s.name().len()).max().unwrap_or(0),
        daemon: SuiteDaemon::start(runtime.handle(), &client),
        client,
        names,
        kept: Mutex::new(HashMap::new()),
    };
    let mut results = suite.run_all(&scenarios, jobs);
    results.sort_by_key(|r| r.index);
    let elapsed = started.elapsed();

    let failed: Vec<&ScenarioResult> = results
        .iter()
        .filter(|r| matches!(r.status, Status::Failed | Status::Error))
        .collect();
    if !failed.is_empty() {
        say(args.json, "\nfailures:\n");
        for r in &failed {
            say(args.json, report::failure_details(&scenarios[r.index], r));
        }
    }
    if let Some((path, file)) = junit_file {
        let xml = report::junit(&scenarios, &results, elapsed);
        match xml.serialize(std::io::BufWriter::new(file)) {
            Ok(()) => note(format!("wrote the JUnit report to {}", path.display())),
            Err(e) => {
                return Err(Error::Failed(format!(
                    "cannot write the JUnit report {}: {e}",
                    path.display()
                )));
            }
        }
    }
    if args.report.is_some() || args.json {
        let kept = suite.kept.into_inner().expect("kept poisoned");
        let dir = args.report.as_deref();
        let report = keep::suite_report(
            &scenarios,
            &results,
            kept,
            started_at,
            elapsed,
            filtered_out,
            dir,
        );
        if let Some(dir) = dir {
            match keep::write_index(dir, &report) {
                Ok(path) => note(format!("wrote the HTML report to {}", path.display())),
                Err(e) => {
                    return Err(Error::Failed(format!(
                        "cannot write the HTML report into {}: {e}",
                        dir.display()
                    )));
                }
            }
        }
        if args.json {
            print!("{}", json::render(&report));
        }
    }
    let tally = Tally::of(&results, filtered_out);
    say(
        args.json,
        format!("\nfinished in {:.2} s", elapsed.as_secs_f64()),
    );
    say(args.json, tally.summary());
    if let Some(Stop::Signal(signal)) = interrupt.stopped() {
        Err(Error::Interrupted(signal))
    } else if let Some(loss) = suite.daemon.first_loss() {
        note(format!("error[daemon]: {loss}"));
        Err(Error::DaemonLost)
    } else if tally.failed > 0 || tally.errors > 0 {
        Err(Error::Reported)
    } else {
        Ok(())
    }
}

/// What every scenario thread shares.
struct Suite<'a> {
    runtime: Handle,
    client: Client,
    /// Ctrl-C / SIGTERM for the whole run: stops running scenarios, starts no more.
    interrupt: Arc<Interrupt>,
    args: &'a TestArgs,
    on_finished: &'a OnFinished<'a>,
    name_width: usize,
    /// The watch on the daemon, renewed when it comes back.
    daemon: SuiteDaemon,
    /// Scenario names by run id, for the pool's notes.
    names: Arc<Mutex<HashMap<String, String>>>,
    /// What `--report` kept of each scenario before its teardown, by index.
    kept: Mutex<HashMap<usize, keep::Kept>>,
}

impl Suite<'_> {
    /// Runs the scenarios on `jobs` threads; results in finishing order.
    fn run_all(&self, scenarios: &[Scenario], jobs: usize) -> Vec<ScenarioResult> {
        let next = AtomicUsize::new(0);
        let results = Mutex::new(Vec::with_capacity(scenarios.len()));
        std::thread::scope(|scope| {
            for n in 0..jobs {
                let work = || {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(scenario) = scenarios.get(i) else {
                            break;
                        };
                        let result = if self.interrupt.stopped().is_some() {
                            not_run(i)
                        } else {
                            self.run_one(i, scenario)
                        };
                        let mut text = report::result_line(scenario, &result, self.name_width);
                        if self.args.show_output && result.status == Status::Passed {
                            for line in result.output.lines() {
                                text.push_str(&format!("\n  {line}"));
                            }
                        }
                        say(self.args.json, text);
                        results.lock().expect("results poisoned").push(result);
                    }
                };
                std::thread::Builder::new()
                    .name(format!("scenario-{n}"))
                    .stack_size(SCENARIO_STACK_BYTES)
                    .spawn_scoped(scope, work)
                    .expect("cannot start a scenario thread");
            }
        });
        results.into_inner().expect("results poisoned")
    }

    /// The capture set of one scenario (`--capture DIR`): `DIR/<scenario>/`.
    fn captures_for(
        &self,
        scenario: &Scenario,
    ) -> std::result::Result<Option<Arc<CaptureSet>>, crate::docker::DockerError> {
        let Some(dir) = &self.args.capture else {
            return Ok(None);
        };
        let dir = dir.join(crate::graph::file_stem(&scenario.file));
        CaptureSet::new(&dir).map(|set| Some(Arc::new(set)))
    }

    /// Runs one scenario in an isolated session and tears it down; again,
    /// with the subnets it needed reserved first, when the pool evicted it.
    fn run_one(&self, index: usize, scenario: &Scenario) -> ScenarioResult {
        let started = Instant::now();
        let mut reserve = 0;
        loop {
            let (mut result, evicted) = self.attempt(index, scenario, reserve);
            match evicted {
                Some(peak) if self.interrupt.stopped().is_none() => reserve = peak,
                _ => {
                    result.elapsed = started.elapsed();
                    return result;
                }
            }
        }
    }

    /// One run of a scenario; `Some(subnets)` when the pool evicted it and
    /// it is to run again with that many subnets reserved.
    fn attempt(
        &self,
        index: usize,
        scenario: &Scenario,
        reserve: usize,
    ) -> (ScenarioResult, Option<usize>) {
        let started = Instant::now();
        let mut result = ScenarioResult {
            index,
            status: Status::Passed,
            failure: None,
            elapsed: Duration::ZERO,
            output: String::new(),
            run_id: String::new(),
            notes: Vec::new(),
        };
        let file = scenario.file.as_str();
        let source = scenario.source.as_str();
        if let Some(problem) = &scenario.problem {
            result.status = Status::Error;
            result.failure = Some(Failure::plain("usage", problem.clone()));
            return (result, None);
        }
        // Syntax first: a typo needs no containers.
        if let Err(e) = crate::rig::check_syntax(source) {
            result.status = Status::Error;
            result.failure = Some(outcome::syntax_failure(&e, file, source));
            result.elapsed = started.elapsed();
            return (result, None);
        }
        if let Err(loss) = self.daemon.ready() {
            result.status = Status::Error;
            result.failure = Some(Failure::plain(
                "daemon",
                format!("not run: {loss}, and it did not come back"),
            ));
            return (result, None);
        }

        let captures = match self.captures_for(scenario) {
            Ok(c) => c,
            Err(e) => {
                result.status = Status::Error;
                result.failure = Some(Failure::plain("capture", e.to_string()));
                return (result, None);
            }
        };
        let client = match &captures {
            Some(set) => self.client.with_started(set.follower()),
            None => self.client.clone(),
        };
        let session = RunSession::isolated(client, file);
        if let (Some(set), Some(prefix)) = (&captures, session.names().prefix()) {
            set.strip_prefix(prefix);
        }
        result.run_id = session.run_id().to_string();
        self.names
            .lock()
            .expect("names poisoned")
            .insert(result.run_id.clone(), scenario.name().clone());
        if reserve > 0 {
            let pool = self.client.pool().clone();
            let stopped = self.interrupt.token();
            self.runtime.block_on(async {
                tokio::select! {
                    // A failed reservation leaves the scenario to find out itself.
                    _ = pool.reserve(&self.client, &result.run_id, reserve) => {}
                    _ = stopped.cancelled() => {}
                }
            });
        }
        let mut rig = Rig::with_session(&self.runtime, session, scenario.base_dir(), false);
        if self.args.allow_host_access {
            rig.session.set_host_access(HostAccess::Allow);
        }
        rig.set_params(self.args.params.clone());
        let output = Arc::new(Mutex::new(String::new()));
        capture_output(&mut rig.engine, &output);

        let timeout = scenario
            .meta
            .timeout
            .or(self.args.timeout)
            .unwrap_or(DEFAULT_TIMEOUT);
        let deadline = signals::watch_deadline(
            &self.runtime,
            rig.interrupt.clone(),
            timeout,
            Some(self.interrupt.clone()),
        );
        let daemon_lost = self.daemon.guard(rig.interrupt.clone());
        let end = rig.execute(source, file);
        drop(deadline);
        drop(daemon_lost);
        // The script's own captures end with it, however it ended.
        rig.stop_captures();
        let (status, failure) = outcome::verdict(&end, file, source, timeout);
        result.status = status;
        result.failure = failure;
        if let (Some(loss), Some(failure)) = (self.daemon.loss(), &mut result.failure) {
            // Whatever the script tripped over, the cause is the daemon: an error, not a failure.
            result.status = Status::Error;
            failure.kind = "daemon".into();
            failure.message = loss.to_string();
            failure.rendered = format!("{loss}; the scenario was here:\n{}", failure.rendered);
            // Teardown needs the daemon: wait a while for it to come back.
            let _ = self.daemon.ready();
        }
        let evicted = self.client.pool().status(&result.run_id);
        result.output = std::mem::take(&mut *output.lock().expect("output poisoned"));
        // The captures end with the script, complete before anyone reads them.
        let capture_files = match &captures {
            Some(set) => {
                for stopped in set.stop_all() {
                    if let Err(e) = stopped {
                        result.notes.push(format!("--capture: {e}"));
                    }
                }
                set.files()
            }
            None => Vec::new(),
        };
        if let Some(dir) = &self.args.report {
            let failed = matches!(result.status, Status::Failed | Status::Error);
            let kept = keep::keep(&self.runtime, &rig.session, file, failed, dir);
            if failed {
                result
                    .notes
                    .extend(keep::keep_captures(dir, file, &capture_files));
            }
            self.kept.lock().expect("kept poisoned").insert(index, kept);
        }
        (self.on_finished)(&Finished {
            scenario,
            run_id: &result.run_id,
            status: result.status,
            rig: &rig,
        });

        if self.args.keep_failed && result.status != Status::Passed {
            result.notes = self.kept_notes(&result.run_id);
        } else {
            let report = self.runtime.block_on(rig.session.teardown());
            if !report.is_clean() {
                if result.status == Status::Passed {
                    result.status = Status::Error;
                    result.failure = Some(Failure::plain(
                        "teardown",
                        format!(
                            "could not remove everything the scenario created: {}",
                            report.failures.join("; ")
                        ),
                    ));
                }
                result
                    .notes
                    .extend(notes::leftover_hints(&result.run_id, &report.other_hosts));
            } else if result.status != Status::Passed {
                result.notes.extend(notes::removed(&report));
            }
        }
        result.elapsed = started.elapsed();
        let rerun = evicted.evicted.then_some(evicted.peak);
        (result, rerun)
    }

    /// What a kept scenario left, and the commands to look at and remove it.
    fn kept_notes(&self, run_id: &str) -> Vec<String> {
        let filter = HashMap::from([(
            "label".to_string(),
            vec![format!("{}={run_id}", labels::RUN)],
        )]);
        let client = self.client.quiet();
        let (containers, networks) = self.runtime.block_on(async {
            futures_util::join!(
                client.list_containers(true, filter.clone()),
                client.list_networks(filter.clone())
            )
        });
        let containers: Vec<String> = containers
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.name)
            .collect();
        let networks: Vec<String> = networks
            .unwrap_or_default()
            .into_iter()
            .map(|n| n.name)
            .collect();
        notes::kept_for_inspection(run_id, &containers, &networks)
    }
}

/// Collects what the script prints instead of interleaving it with other scenarios'.
fn capture_output(engine: &mut Engine, output: &Arc<Mutex<String>>) {
    let out = output.clone();
    engine.on_print(move |text| {
        let mut o = out.lock().expect("output poisoned");
        o.push_str(text);
        o.push('\n');
    });
    let out = output.clone();
    engine.on_debug(move |text, _source, pos| {
        let mut o = out.lock().expect("output poisoned");
        match pos.line() {
            Some(line) => o.push_str(&format!("[line {line}] {text}\n")),
            None => o.push_str(&format!("{text}\n")),
        }
    });
}

fn not_run(index: usize) -> ScenarioResult {
    ScenarioResult {
        index,
        status: Status::NotRun,
        failure: None,
        elapsed: Duration::ZERO,
        output: String::new(),
        run_id: String::new(),
        notes: Vec::new(),
    }
}
