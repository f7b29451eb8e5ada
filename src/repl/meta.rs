//! Meta commands: input starting with `:` is for the REPL, not for Rhai.
//!
//! Adding one is one entry in [`COMMANDS`] and one function taking the
//! session and the rest of the line; `:help`, completion and the "did you
//! mean" suggestion pick it up from the table. A command that wraps a script
//! function uses [`Session::call`], which is not journaled for `:save`
//! (`:graph` below is one).

use std::path::Path;

use super::help;
use super::session::{Outcome, Session};

/// What the REPL does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Read the next line.
    Continue,
    /// Leave (and clean up).
    Quit,
}

/// A `:name args` command.
pub(crate) struct MetaCommand {
    /// Its name, without the `:`.
    pub(crate) name: &'static str,
    /// Other names it answers to.
    pub(crate) aliases: &'static [&'static str],
    /// How its argument is written in help (`FILE`), or empty.
    pub(crate) args: &'static str,
    /// One line for `:help`.
    pub(crate) about: &'static str,
    /// Runs it with the rest of the line (trimmed).
    pub(crate) run: fn(&mut Session, &str) -> Flow,
}

/// Every meta command, in the order `:help` lists them.
pub(crate) const COMMANDS: &[MetaCommand] = &[
    MetaCommand {
        name: "help",
        aliases: &["h", "?"],
        args: "[NAME]",
        about: "list every function by area (paged on a terminal), or show one's signature, doc and example",
        run: help_cmd,
    },
    MetaCommand {
        name: "save",
        aliases: &[],
        args: "[--compose] FILE",
        about: "write this session's successful inputs, in order, as a script for `netrig run` (refused, naming the inputs, when one uses what a failed input left); with --compose, its networks and containers as a Compose file",
        run: save,
    },
    MetaCommand {
        name: "load",
        aliases: &[],
        args: "FILE",
        about: "run a script into this session (its variables and functions stay)",
        run: load,
    },
    MetaCommand {
        name: "ls",
        aliases: &[],
        args: "",
        about: "the containers and networks this session created",
        run: ls,
    },
    MetaCommand {
        name: "graph",
        aliases: &[],
        args: "[mermaid|dot|svg]",
        about: "draw what this session created: networks, containers and their addresses",
        run: graph,
    },
    MetaCommand {
        name: "sh",
        aliases: &[],
        args: "CONTAINER",
        about: "open an interactive shell in a container (a variable or a name); exit returns here",
        run: sh,
    },
    MetaCommand {
        name: "clean",
        aliases: &[],
        args: "",
        about: "remove what this session created so far, and carry on",
        run: clean,
    },
    MetaCommand {
        name: "json",
        aliases: &[],
        args: "[on|off]",
        about: "show results as raw JSON (toggles without an argument)",
        run: json,
    },
    MetaCommand {
        name: "explain",
        aliases: &[],
        args: "[on|off]",
        about: "before each Docker operation, print the docker command that does the same (toggles without an argument)",
        run: explain,
    },
    MetaCommand {
        name: "quit",
        aliases: &["q", "exit"],
        args: "",
        about: "leave and remove what this session created (like Ctrl-D)",
        run: |_, _| Flow::Quit,
    },
];

/// The command called `name` (or one of its aliases).
pub(crate) fn find<'a>(commands: &'a [MetaCommand], name: &str) -> Option<&'a MetaCommand> {
    commands
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name))
}

/// Runs a `:…` line.
pub(crate) fn dispatch(session: &mut Session, line: &str) -> Flow {
    let line = line.trim().trim_start_matches(':');
    let (name, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    match find(COMMANDS, name) {
        Some(cmd) => (cmd.run)(session, arg.trim()),
        None => {
            let names: Vec<String> = COMMANDS.iter().map(|c| c.name.to_string()).collect();
            match help::suggest(name, &names).first() {
                Some(n) => crate::repl::out::err!("error: no command :{name}; did you mean :{n}?"),
                None => crate::repl::out::err!("error: no command :{name}; :help lists them"),
            }
            Flow::Continue
        }
    }
}

fn help_cmd(session: &mut Session, arg: &str) -> Flow {
    let text = if arg.is_empty() {
        help::overview(&session.catalog, COMMANDS, &session.style, terminal_width())
    } else {
        help::topic(&session.catalog, COMMANDS, arg, &session.style)
    };
    super::pager::show(&text);
    Flow::Continue
}

/// A required FILE argument, or a usage message.
fn file_arg<'a>(cmd: &str, arg: &'a str) -> Option<&'a Path> {
    if arg.is_empty() {
        crate::repl::out::err!("error: :{cmd} needs a file name, e.g. :{cmd} session.rhai");
        None
    } else {
        Some(Path::new(arg))
    }
}

fn save(session: &mut Session, arg: &str) -> Flow {
    match arg.strip_prefix("--compose") {
        Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
            match rest.trim() {
                "" => crate::repl::out::err!(
                    "error: :save --compose needs a file name, e.g. :save --compose compose.yml"
                ),
                file => {
                    session.save_compose(Path::new(file));
                }
            }
        }
        _ => {
            if let Some(path) = file_arg("save", arg) {
                session.save(path);
            }
        }
    }
    Flow::Continue
}

fn load(session: &mut Session, arg: &str) -> Flow {
    match file_arg("load", arg).map(|p| session.load(p)) {
        Some(Outcome::Exit) => Flow::Quit,
        _ => Flow::Continue,
    }
}

fn graph(session: &mut Session, arg: &str) -> Flow {
    let format = if arg.is_empty() { "mermaid" } else { arg };
    if let Some(text) = session.call(&format!("graph(#{{format: {format:?}}})")) {
        crate::repl::out::out!("{}", text.to_string().trim_end());
    }
    Flow::Continue
}

/// `:sh web`: `docker exec -it` with the docker CLI, on the session's
/// daemon; the terminal is the shell's until it exits.
fn sh(session: &mut Session, arg: &str) -> Flow {
    if arg.is_empty() {
        crate::repl::out::err!("error: :sh needs a container, e.g. :sh web");
        return Flow::Continue;
    }
    let name = session.container_name(arg);
    let host = session.rig.session.client().host().to_string();
    let status = std::process::Command::new("docker")
        .args(["-H", &host, "exec", "-it", &name, "sh"])
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => crate::repl::out::say(format!(
            "the shell in {arg} ended with {}",
            s.code()
                .map_or("a signal".to_string(), |c| format!("exit code {c}"))
        )),
        Err(e) => crate::repl::out::err!(
            "error: :sh runs `docker exec -it`, and the docker command-line client could not be started: {e}"
        ),
    }
    Flow::Continue
}

fn ls(session: &mut Session, _: &str) -> Flow {
    session.ls();
    Flow::Continue
}

fn clean(session: &mut Session, _: &str) -> Flow {
    session.clean();
    Flow::Continue
}

fn json(session: &mut Session, arg: &str) -> Flow {
    session.json = match arg {
        "on" => true,
        "off" => false,
        "" => !session.json,
        other => {
            crate::repl::out::err!("error: :json takes on or off, not {other:?}");
            return Flow::Continue;
        }
    };
    crate::repl::out::out!(
        "results as {}",
        if session.json {
            "raw JSON"
        } else {
            "tables and summaries"
        }
    );
    Flow::Continue
}

fn explain(session: &mut Session, arg: &str) -> Flow {
    let explainer = &session.rig.session.client().options().explain;
    let on = match arg {
        "on" => true,
        "off" => false,
        "" => !explainer.is_on(),
        other => {
            crate::repl::out::err!("error: :explain takes on or off, not {other:?}");
            return Flow::Continue;
        }
    };
    explainer.set(on);
    crate::repl::out::out!(
        "{}",
        if on {
            "each Docker operation is shown as its docker command first ($ docker …)"
        } else {
            "docker commands are no longer shown"
        }
    );
    Flow::Continue
}

/// Columns of the terminal (100 when it does not say).
fn terminal_width() -> usize {
    terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0))
        .filter(|w| *w >= 40)
        .unwrap_or(100)
}
