//! The interactive shell: explore Docker networks live, then `:save` the
//! session as a script `netrig run` replays.
//!
//! - `session`: one Scope and the functions defined so far; the journal for `:save`.
//! - `meta`: the `:` commands (one table; adding a command is one entry).
//! - `helper`: rustyline's completion, hints, highlighting and multi-line
//!   input, built on `complete`, `highlight`, `input` and `lexer`.
//! - `catalog` / `help`: every function from the registered metadata.
//! - `display`: results for people (tables, handle summaries) or JSON.
//! - `live`: the daemon's names and facts; `signals`; `history`.

pub mod catalog;
pub mod complete;
pub mod display;
pub mod help;
pub mod helper;
pub mod highlight;
pub mod history;
pub mod input;
pub mod lexer;
pub mod live;
pub mod meta;
pub mod out;
pub mod session;
pub mod signals;

use std::io::IsTerminal;
use std::path::PathBuf;

use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{ColorMode, CompletionType, Config, Editor};
use tokio::runtime::Runtime;

use crate::docker::{Client, ClientOptions};
use crate::runner::{self, Exit, Rig};
use helper::ReplHelper;
use highlight::Style;
use meta::Flow;
use session::{Outcome, Session};

const PROMPT: &str = "netrig> ";

/// `netrig` with no arguments. Input that is not a terminal
/// (`netrig < scenario.rhai`) runs as a script, exit code and all.
pub fn run(runtime: &Runtime, docker: &ClientOptions, keep: bool) -> Exit {
    if !std::io::stdin().is_terminal() {
        return run_stdin(runtime, docker, keep);
    }
    let client = match runner::connect(runtime, docker) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    welcome(runtime, &client);
    let rig = Rig::new(runtime, client, "<repl>", PathBuf::from("."));
    // A person is typing: host access is allowed, with a warning each time.
    rig.session
        .set_host_access(crate::docker::run::access::HostAccess::Warn);
    let run = rig.session.clone();
    let interrupt = rig.interrupt.clone();
    let busy = signals::watch(runtime, interrupt.clone(), run.clone(), keep);
    let mut session = Session::new(runtime.handle().clone(), rig, Style::detect());

    let mut editor = match editor(&session) {
        Ok(e) => e,
        Err(e) => {
            crate::repl::out::err!("error: cannot start the line editor: {e}");
            return Exit::Failed;
        }
    };
    let history = history::path();
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.load_history(path);
    }

    let exit = loop {
        match editor.readline(PROMPT) {
            Ok(line) if line.trim().is_empty() => {}
            Ok(line) => {
                let _ = editor.add_history_entry(line.as_str());
                if let Some(path) = &history {
                    let _ = editor.append_history(path);
                }
                let running = busy.blocking_lock();
                let flow = if line.trim_start().starts_with(':') {
                    meta::dispatch(&mut session, &line)
                } else if session.eval(&line) == Outcome::Exit {
                    Flow::Quit
                } else {
                    Flow::Continue
                };
                drop(running);
                if let Some(helper) = editor.helper_mut() {
                    helper.refresh(&session);
                }
                if let Some(sig @ (1 | 15)) = interrupt.signal() {
                    break Exit::Signal(sig);
                }
                if flow == Flow::Quit {
                    break Exit::Success;
                }
            }
            // Ctrl-C while typing: the line is dropped, the session goes on.
            Err(ReadlineError::Interrupted) => {}
            Err(ReadlineError::Eof) => break Exit::Success,
            // The terminal went away (SIGHUP follows): leave quietly.
            Err(ReadlineError::Io(e)) if e.raw_os_error() == Some(nix::libc::EIO) => {
                break Exit::Signal(1);
            }
            Err(e) => {
                crate::repl::out::err!("error: {e}");
                break Exit::Failed;
            }
        }
    };
    // Holding `busy` keeps a late SIGTERM from leaving a second time.
    let _leaving = busy.blocking_lock();
    let clean = runtime.block_on(session::leave(&run, keep));
    match exit {
        Exit::Success if !clean => Exit::Failed,
        other => other,
    }
}

fn editor(session: &Session) -> rustyline::Result<Editor<ReplHelper, FileHistory>> {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .max_history_size(10_000)?
        .history_ignore_dups(true)?
        .history_ignore_space(true)
        .auto_add_history(false)
        .color_mode(if session.style.enabled() {
            ColorMode::Enabled
        } else {
            ColorMode::Disabled
        })
        .build();
    let mut editor = Editor::with_config(config)?;
    editor.set_helper(Some(ReplHelper::new(session, session.daemon.clone())));
    Ok(editor)
}

fn welcome(runtime: &Runtime, client: &Client) {
    let server = runtime
        .block_on(client.server_version())
        .unwrap_or_else(|_| "?".into());
    crate::repl::out::out!(
        "netrig {} · Docker {server} (API {}) at {} · :help for help",
        env!("CARGO_PKG_VERSION"),
        client.api_version(),
        client.host()
    );
}

fn run_stdin(runtime: &Runtime, docker: &ClientOptions, keep: bool) -> Exit {
    let mut source = String::new();
    if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut source) {
        crate::repl::out::err!("error: cannot read standard input: {e}");
        return Exit::Usage;
    }
    let args = runner::RunArgs {
        keep,
        docker: docker.clone(),
        ..runner::RunArgs::new(PathBuf::from("<stdin>"))
    };
    runner::run_source(runtime, "<stdin>", &source, PathBuf::from("."), &args)
}
