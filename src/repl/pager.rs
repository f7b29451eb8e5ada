//! Long output on a terminal, a page at a time: through `$PAGER` (run by
//! `sh -c`, as git does) or, without one, a built-in pager that shows a
//! screenful and waits for Enter (`q` stops). Output that fits the screen,
//! or that goes to a file or a pipe, is printed as it is.

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, Stdio};

/// Shows `text`, paged when it is taller than the terminal.
pub(crate) fn show(text: &str) {
    let rows = terminal_rows();
    if !std::io::stdout().is_terminal() || text.lines().count() < rows {
        crate::repl::out::out!("{text}");
        return;
    }
    if let Ok(pager) = std::env::var("PAGER")
        && !pager.trim().is_empty()
        && through(&pager, text)
    {
        return;
    }
    builtin(text, rows, &mut std::io::stdin().lock());
}

/// The terminal's height (24 when it does not say).
fn terminal_rows() -> usize {
    terminal_size::terminal_size()
        .map(|(_, h)| usize::from(h.0))
        .filter(|h| *h > 2)
        .unwrap_or(24)
}

/// Pipes `text` into `pager`; false when it cannot be started.
fn through(pager: &str, text: &str) -> bool {
    let Ok(mut child) = Command::new("sh")
        .args(["-c", pager])
        .env(
            "LESS",
            std::env::var("LESS").unwrap_or_else(|_| "FRX".into()),
        )
        .stdin(Stdio::piped())
        .spawn()
    else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The pager may quit before reading everything (`q` in less).
        let _ = writeln!(stdin, "{text}");
    }
    let _ = child.wait();
    true
}

/// A screenful at a time; Enter shows the next, `q` stops.
fn builtin(text: &str, rows: usize, keys: &mut dyn BufRead) {
    let lines: Vec<&str> = text.lines().collect();
    let page = rows - 1;
    let mut out = std::io::stdout();
    for (n, chunk) in lines.chunks(page).enumerate() {
        if n > 0 {
            let _ = write!(out, "-- more: Enter for the next page, q to stop -- ");
            let _ = out.flush();
            let mut answer = String::new();
            if keys.read_line(&mut answer).unwrap_or(0) == 0 || answer.trim_start().starts_with('q')
            {
                return;
            }
        }
        for line in chunk {
            let _ = writeln!(out, "{line}");
        }
    }
}
