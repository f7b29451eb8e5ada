//! Output that never panics. After SIGHUP (the terminal closed) or with
//! stdout piped into `head`, writing fails; `println!` would panic and skip
//! the cleanup that must still happen. These write and ignore the failure.

use std::fmt::Display;
use std::io::Write;

/// `println!` to stdout, ignoring a closed stream.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` to stderr, ignoring a closed stream.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` to stderr, ignoring a closed stream.
macro_rules! err_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

pub(crate) use {err, err_raw, out};

/// A line from netrig itself (not from the script) on stderr: `netrig: …`.
pub(crate) fn say(text: impl Display) {
    let _ = writeln!(std::io::stderr(), "netrig: {text}");
}
