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

pub(crate) mod catalog;
pub(crate) mod complete;
pub(crate) mod display;
pub(crate) mod help;
pub(crate) mod helper;
pub(crate) mod highlight;
pub(crate) mod history;
pub(crate) mod input;
pub(crate) mod journal;
pub(crate) mod lexer;
pub(crate) mod live;
pub(crate) mod meta;
pub(crate) mod out;
pub(crate) mod pager;
pub(crate) mod session;
pub(crate) mod signals;

use std::path::PathBuf;

use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{ColorMode, CompletionType, Config, Editor};
use tokio::runtime::Runtime;

use crate::docker::Client;
use crate::error::{Error, Result};
use crate::rig::{Rig, Signal, Stop};
use helper::ReplHelper;
use highlight::Style;
use meta::Flow;
use session::{Outcome, Session};

const PROMPT: &str = "netrig> ";
/// The prompt of an input's further lines (as wide as [`PROMPT`]).
const MORE: &str = "   ...  ";

/// The interactive session on `client`'s daemon, until Ctrl-D, `:quit`,
/// `exit()`, SIGTERM or SIGHUP; then it removes what it created (unless
/// `keep`).
pub(crate) fn run(runtime: &Runtime, client: Client, keep: bool) -> Result {
    welcome(runtime, &client);
    let rig = Rig::new(runtime, client, "<repl>", PathBuf::from("."));
    // A person is typing: host access is allowed, with a warning each time.
    rig.session
        .set_host_access(crate::docker::run::access::HostAccess::Warn);
    let run = rig.session.clone();
    let interrupt = rig.interrupt.clone();
    let captures = rig.captures();
    let busy = signals::watch(
        runtime,
        interrupt.clone(),
        run.clone(),
        captures.clone(),
        keep,
    );
    let mut session = Session::new(runtime.handle().clone(), rig, Style::detect());

    let mut editor = match editor(&session) {
        Ok(e) => e,
        Err(e) => return Err(Error::Failed(format!("cannot start the line editor: {e}"))),
    };
    let history = history::path();
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.load_history(path);
    }

    let end = loop {
        match read_input(&mut editor) {
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
                if let Some(Stop::Signal(signal @ (Signal::Hangup | Signal::Terminate))) =
                    interrupt.stopped()
                {
                    break Err(Error::Interrupted(signal));
                }
                if flow == Flow::Quit {
                    break Ok(());
                }
            }
            // Ctrl-C while typing: the line is dropped, the session goes on.
            Err(ReadlineError::Interrupted) => {}
            Err(ReadlineError::Eof) => break Ok(()),
            // The terminal went away (SIGHUP follows): leave quietly.
            Err(ReadlineError::Io(e)) if e.raw_os_error() == Some(nix::libc::EIO) => {
                break Err(Error::Interrupted(Signal::Hangup));
            }
            Err(e) => break Err(Error::Failed(e.to_string())),
        }
    };
    // Holding `busy` keeps a late SIGTERM from leaving a second time.
    let _leaving = busy.blocking_lock();
    captures.stop_all();
    let clean = runtime.block_on(session::leave(&run, keep));
    match end {
        // What could not be removed has been reported.
        Ok(()) if !clean => Err(Error::Reported),
        other => other,
    }
}

/// One input: a line, and while it is unfinished (an open brace, a
/// trailing operator) further lines after a `...` prompt, as Python and
/// ipython do. Ctrl-C or Ctrl-D on a further line drops the whole input.
fn read_input(editor: &mut Editor<ReplHelper, FileHistory>) -> rustyline::Result<String> {
    let mut text = editor.readline(PROMPT)?;
    while !text.trim_start().starts_with(':') && input::is_incomplete(&text) {
        match editor.readline(MORE) {
            Ok(more) => {
                text.push('\n');
                text.push_str(&more);
            }
            Err(ReadlineError::Eof) => return Err(ReadlineError::Interrupted),
            Err(e) => return Err(e),
        }
    }
    Ok(text)
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
