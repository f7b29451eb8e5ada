//! The interactive shell: one scope for the session, results shown for
//! people, Ctrl-D removes what the session created (unless `--keep`).

use std::io::IsTerminal;
use std::path::PathBuf;

use rhai::{Array, Dynamic, Scope};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;
use tokio::runtime::Runtime;

use crate::diagnostic;
use crate::runner::{self, Exit, Rig, note};
use crate::script::handles::{ContainerHandle, NetworkHandle};

/// `netrig` with no arguments. Input that is not a terminal runs as a script.
pub fn run(runtime: &Runtime, host: Option<&str>, keep: bool) -> Exit {
    if !std::io::stdin().is_terminal() {
        let mut source = String::new();
        if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut source) {
            eprintln!("error: cannot read standard input: {e}");
            return Exit::Usage;
        }
        return runner::run_source(runtime, "<stdin>", &source, PathBuf::from("."), keep, host);
    }
    let client = match runner::connect(runtime, host) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let server = runtime
        .block_on(client.server_version())
        .unwrap_or_default();
    println!(
        "netrig {} — Docker {} at {} (API {}). Type :help for help, Ctrl-D to leave.",
        env!("CARGO_PKG_VERSION"),
        server,
        client.host(),
        client.api_version()
    );
    let rig = Rig::new(runtime, client, "<repl>", PathBuf::from("."));
    runner::watch_signals(runtime, rig.interrupt.clone());
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return Exit::Failed;
        }
    };
    let mut scope = Scope::new();
    let mut line_no = 0usize;
    loop {
        match editor.readline("netrig> ") {
            Ok(line) => {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(line);
                match line {
                    ":quit" | ":q" | ":exit" => break,
                    ":help" => {
                        print_help(&rig);
                        continue;
                    }
                    _ => {}
                }
                line_no += 1;
                eval_line(runtime, &rig, &mut scope, line, line_no);
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    if rig.finish(runtime, keep) {
        Exit::Success
    } else {
        Exit::Failed
    }
}

fn eval_line(_runtime: &Runtime, rig: &Rig, scope: &mut Scope, line: &str, line_no: usize) {
    rig.interrupt.reset();
    let name = format!("<repl:{line_no}>");
    let ast = match rig.engine.compile_with_scope(scope, line) {
        Ok(mut ast) => {
            ast.set_source(name.as_str());
            ast
        }
        Err(e) => {
            eprint!("{}", diagnostic::render_parse(&e, &name, line));
            return;
        }
    };
    match rig.engine.eval_ast_with_scope::<Dynamic>(scope, &ast) {
        Ok(value) => show(&value),
        Err(e) if rig.interrupt.signal().is_some() => {
            let _ = e;
            note("interrupted");
        }
        Err(e) => eprint!("{}", diagnostic::render(&e, &name, line)),
    }
}

/// Shows a result: tables for arrays of maps, summaries for handles.
fn show(value: &Dynamic) {
    if value.is_unit() {
        return;
    }
    if let Some(h) = value.read_lock::<ContainerHandle>() {
        println!("{}", *h);
    } else if let Some(h) = value.read_lock::<NetworkHandle>() {
        println!("{}", *h);
    } else if let Some(rows) = value.read_lock::<Array>()
        && !rows.is_empty()
        && rows.iter().all(|r| r.is_map())
        && let Ok(text) = crate::table::from_rows(&rows)
    {
        println!("{text}");
    } else if value.is_map() {
        match serde_json::to_string_pretty(value) {
            Ok(text) => println!("{text}"),
            Err(_) => println!("{value:?}"),
        }
    } else {
        println!("{value:?}");
    }
}

fn print_help(rig: &Rig) {
    let mut sigs: Vec<String> = rig
        .engine
        .gen_fn_signatures(false)
        .into_iter()
        .filter(|s| !s.starts_with("get$") && !s.contains("to_string") && !s.contains("to_debug"))
        .collect();
    sigs.sort();
    sigs.dedup();
    println!("netrig functions:");
    for s in sigs {
        println!("  {s}");
    }
    println!(
        "meta commands: :help, :quit (Ctrl-D also leaves and removes what this session created)"
    );
}
