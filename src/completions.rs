//! Shell completions and the man page, both made from the clap definition.
//!
//! Completions are dynamic: `netrig completions bash` prints a small
//! script that, on each Tab, runs netrig itself with `NETRIG_COMPLETE` set
//! and the words typed so far; [`answer_if_asked`] answers from the clap
//! definition plus what only a running netrig knows: which files are
//! scenarios (`*.rhai`) and which runs are left on the daemon.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Arg, Command, ValueHint};
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate, PathCompleter};
use clap_complete::env::{CompleteEnv, Shells};

use crate::docker::client::{ClientOptions, Notes};

/// The variable the completion script sets when it asks netrig for candidates.
pub(crate) const VAR: &str = "NETRIG_COMPLETE";

/// The shells `netrig completions` writes scripts for.
pub(crate) const SHELLS: &[&str] = &["bash", "zsh", "fish", "elvish", "powershell"];

/// How long completing a run id may wait for the daemon: a Tab must not hang.
const DAEMON_WAIT: Duration = Duration::from_secs(2);

/// A run left on the daemon, as completion shows it: its id and a word about it.
pub(crate) type RunListing = fn(host: Option<String>) -> Vec<(String, String)>;

/// When this process was started by a completion script, prints the
/// candidates for the words it was given and exits; otherwise returns at
/// once. Call it first thing in `main`, before anything is printed.
pub(crate) fn answer_if_asked(cli: impl Fn() -> Command, runs: RunListing) {
    CompleteEnv::with_factory(|| with_completers(cli(), runs))
        .var(VAR)
        .complete();
}

/// The script `netrig completions SHELL` prints: it registers a completion
/// function that asks `completer` (the path of this netrig) for candidates.
pub(crate) fn registration(shell: &str, completer: &str) -> Result<String, String> {
    let shells = Shells::builtins();
    let Some(target) = shells.completer(shell) else {
        return Err(format!(
            "no completions for {shell:?}: the shells are {}",
            SHELLS.join(", ")
        ));
    };
    let mut out = Vec::new();
    target
        .write_registration(VAR, "netrig", "netrig", completer, &mut out)
        .map_err(|e| e.to_string())?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// How the completion script should call this netrig: by name when the
/// shell found it on the PATH, else by its absolute path.
pub(crate) fn completer_path(argv0: &OsStr) -> String {
    let path = Path::new(argv0);
    if path.components().count() <= 1 {
        return argv0.to_string_lossy().into_owned();
    }
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// netrig's command line with the value completers only a running netrig
/// can give: scenario files for `run` and `test`, run ids for `clean --run`
/// and `graph --run`, directories and files where paths go.
pub(crate) fn with_completers(cmd: Command, runs: RunListing) -> Command {
    cmd.mut_subcommands(|sub| {
        let name = sub.get_name().to_string();
        sub.mut_args(|arg| complete_arg(&name, arg, runs))
    })
}

fn complete_arg(command: &str, arg: Arg, runs: RunListing) -> Arg {
    match (command, arg.get_id().as_str()) {
        ("run", "file") => arg.add(ArgValueCompleter::new(scenario_files(false))),
        ("test", "paths") => arg.add(ArgValueCompleter::new(scenario_files(true))),
        ("clean" | "graph" | "export", "run") => {
            arg.add(ArgValueCompleter::new(move |current: &OsStr| {
                run_candidates(runs, current)
            }))
        }
        (_, "report" | "capture" | "dir") => arg.value_hint(ValueHint::DirPath),
        (_, "junit" | "output" | "trace") => arg.value_hint(ValueHint::FilePath),
        _ => arg,
    }
}

/// `*.rhai` files (and directories to walk into; for `test`, to run whole).
fn scenario_files(dirs_too: bool) -> PathCompleter {
    PathCompleter::any().filter(move |p| {
        if p.is_dir() {
            dirs_too
        } else {
            p.extension().is_some_and(|e| e == "rhai") && !p.to_string_lossy().ends_with(".d.rhai")
        }
    })
}

fn run_candidates(runs: RunListing, current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    runs(host_from_args(std::env::args()))
        .into_iter()
        .filter(|(id, _)| id.starts_with(current.as_ref()))
        .map(|(id, about)| CompletionCandidate::new(id).help(Some(about.into())))
        .collect()
}

/// `--host URL` or `--host=URL` among the words typed, so run ids come
/// from the daemon the command will talk to.
fn host_from_args(args: impl IntoIterator<Item = String>) -> Option<String> {
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        if a == "--host" {
            return args.next().filter(|h| !h.is_empty());
        }
        if let Some(h) = a.strip_prefix("--host=") {
            return Some(h.to_string());
        }
    }
    None
}

/// The runs left on the daemon at `host` (else `DOCKER_HOST`, else the
/// local socket): id and `script, n containers`. Nothing when the daemon
/// does not answer within two seconds.
pub(crate) fn daemon_runs(host: Option<String>) -> Vec<(String, String)> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    runtime.block_on(async {
        tokio::time::timeout(DAEMON_WAIT, async {
            let options = ClientOptions {
                host: host.or_else(|| std::env::var("DOCKER_HOST").ok()),
                timeout: DAEMON_WAIT,
                pull: Default::default(),
                notes: Notes::ignored(),
                ..ClientOptions::default()
            };
            let client = crate::docker::Client::connect(&options).await.ok()?;
            let runs = crate::docker::run::leftovers::leftover_runs(&client)
                .await
                .ok()?;
            Some(
                runs.into_iter()
                    .map(|r| {
                        let state = if r.alive { "running" } else { "finished" };
                        let about = format!(
                            "{} ({state}, {})",
                            r.script,
                            crate::text::plural(r.containers.len(), "container")
                        );
                        (r.run_id, about)
                    })
                    .collect(),
            )
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
    })
}

/// The man page `netrig.1`, in roff.
pub(crate) fn man_page(cmd: Command) -> Vec<u8> {
    let mut out = Vec::new();
    // As generate_to does: `netrig help` is not a page of its own.
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .expect("rendering into memory cannot fail");
    out
}

/// Writes `netrig.1` and one page per subcommand (`netrig-run.1`, …) into
/// `dir` (made if missing); returns the files written.
pub(crate) fn write_man_pages(cmd: Command, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(cmd, dir)?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("netrig") && n.ends_with(".1"))
        })
        .collect();
    pages.sort();
    Ok(pages)
}

#[cfg(test)]
#[path = "completions_tests.rs"]
mod tests;
