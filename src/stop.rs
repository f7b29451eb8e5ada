//! Why a run stops before its end — a signal or its time limit — and the
//! [`Interrupt`] that carries the reason to the script: it cancels the call
//! in progress and, through the engine's progress hook, a busy loop.
//!
//! A leaf module: the script layer (which waits on the interrupt) and the
//! run loop (which triggers it and reads the reason) both use it.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

/// The signals netrig answers by stopping a run and cleaning up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// SIGHUP: the terminal went away (the REPL leaves).
    Hangup,
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: asked to stop (`kill`, a CI runner cancelling the job).
    Terminate,
}

impl Signal {
    /// The POSIX signal number.
    pub(crate) fn number(self) -> i32 {
        match self {
            Signal::Hangup => 1,
            Signal::Interrupt => 2,
            Signal::Terminate => 15,
        }
    }

    /// The exit code of a process that ended because of it: 128 + number
    /// (130 for Ctrl-C, 143 for SIGTERM), as shells report it.
    pub(crate) fn exit_code(self) -> u8 {
        // At most 128 + 15: fits.
        128 + self.number() as u8
    }
}

impl fmt::Display for Signal {
    /// How people know it: `Ctrl-C`, `SIGTERM`, `SIGHUP`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Hangup => "SIGHUP",
            Signal::Interrupt => "Ctrl-C",
            Signal::Terminate => "SIGTERM",
        })
    }
}

/// Why a run was stopped before it ended on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Stop {
    /// A signal reached netrig.
    Signal(Signal),
    /// The run's wall-clock limit (`--timeout`, a scenario's `//! timeout:`) passed.
    Timeout,
    /// The Docker daemon went away (stopped, restarted, crashed) mid-run.
    DaemonLost,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Signal(s) => write!(f, "{s}"),
            Stop::Timeout => f.write_str("its time limit"),
            Stop::DaemonLost => f.write_str("the Docker daemon going away"),
        }
    }
}

impl Stop {
    /// A compact code for the atomic in [`Interrupt`] (0 means "not stopped").
    fn code(self) -> u8 {
        match self {
            Stop::Signal(Signal::Hangup) => 1,
            Stop::Signal(Signal::Interrupt) => 2,
            Stop::Signal(Signal::Terminate) => 3,
            Stop::Timeout => 4,
            Stop::DaemonLost => 5,
        }
    }

    fn from_code(code: u8) -> Option<Stop> {
        Some(match code {
            1 => Stop::Signal(Signal::Hangup),
            2 => Stop::Signal(Signal::Interrupt),
            3 => Stop::Signal(Signal::Terminate),
            4 => Stop::Timeout,
            5 => Stop::DaemonLost,
            _ => return None,
        })
    }
}

/// The stop request as the script sees it: a cancelled token that makes the
/// call in progress return, and the reason, for the verdict and exit code.
#[derive(Debug, Default)]
pub(crate) struct Interrupt {
    token: Mutex<CancellationToken>,
    // An atomic, not a mutex: the engine's progress hook reads it on every
    // operation of the script.
    stop: AtomicU8,
}

impl Interrupt {
    /// A new, untriggered interrupt.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Records why the run stops and cancels whatever is waiting. A later
    /// reason replaces an earlier one (SIGTERM after a Ctrl-C the REPL
    /// has not yet seen ends the session).
    pub(crate) fn trigger(&self, stop: Stop) {
        self.stop.store(stop.code(), Ordering::SeqCst);
        self.token.lock().expect("interrupt poisoned").cancel();
    }

    /// Like [`Interrupt::trigger`], unless the run is already stopping:
    /// the first reason is the one reported.
    pub(crate) fn trigger_first(&self, stop: Stop) {
        if self
            .stop
            .compare_exchange(0, stop.code(), Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            self.token.lock().expect("interrupt poisoned").cancel();
        }
    }

    /// Why the run was stopped, if it was.
    pub(crate) fn stopped(&self) -> Option<Stop> {
        Stop::from_code(self.stop.load(Ordering::SeqCst))
    }

    /// The token that waiting calls select on.
    pub(crate) fn token(&self) -> CancellationToken {
        self.token.lock().expect("interrupt poisoned").clone()
    }

    /// Forgets a stop (the REPL carries on after Ctrl-C).
    pub(crate) fn reset(&self) {
        self.stop.store(0, Ordering::SeqCst);
        *self.token.lock().expect("interrupt poisoned") = CancellationToken::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_exit_as_shells_report_them() {
        assert_eq!(Signal::Interrupt.exit_code(), 130);
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert_eq!(Signal::Hangup.exit_code(), 129);
        assert_eq!(Stop::Signal(Signal::Interrupt).to_string(), "Ctrl-C");
    }

    #[test]
    fn an_interrupt_keeps_its_reason_until_reset() {
        let i = Interrupt::new();
        assert_eq!(i.stopped(), None);
        i.trigger_first(Stop::Timeout);
        i.trigger_first(Stop::Signal(Signal::Interrupt));
        assert_eq!(i.stopped(), Some(Stop::Timeout));
        assert!(i.token().is_cancelled());
        i.trigger(Stop::Signal(Signal::Terminate));
        assert_eq!(i.stopped(), Some(Stop::Signal(Signal::Terminate)));
        i.reset();
        assert_eq!(i.stopped(), None);
        assert!(!i.token().is_cancelled());
    }
}
