//! Signals in the REPL. Ctrl-C while an input runs interrupts it (while a
//! line is being typed, the editor gets Ctrl-C as a key and clears the
//! line). SIGTERM and SIGHUP (the terminal closed) end the session and
//! remove what it created, like Ctrl-D: a REPL is a run, and a run cleans up.

use std::io::Write;
use std::sync::Arc;

use tokio::runtime::Runtime;
use tokio::sync::Mutex;

use super::session::leave;
use crate::docker::RunSession;
use crate::rig::signals::Signals;
use crate::rig::{Interrupt, Signal, Stop};
use crate::script::capture::Running;

/// Held by the main loop while an input runs: the signal watcher can tell
/// "busy, interrupt it" from "idle at the prompt, leave from here".
pub(crate) type Busy = Arc<Mutex<()>>;

/// Starts watching SIGINT, SIGTERM and SIGHUP for a session of `run`;
/// leaving stops the session's `captures` first, flushing their files.
pub(crate) fn watch(
    runtime: &Runtime,
    interrupt: Arc<Interrupt>,
    run: Arc<RunSession>,
    captures: Arc<Running>,
    keep: bool,
) -> Busy {
    let busy: Busy = Arc::new(Mutex::new(()));
    // The terminal as it was before the line editor put it in raw mode, to
    // give it back if we leave from the prompt.
    let terminal = nix::sys::termios::tcgetattr(std::io::stdin()).ok();
    let watcher_busy = busy.clone();
    runtime.spawn(async move {
        let Ok(mut signals) = Signals::listen(true) else {
            return;
        };
        loop {
            let signal = signals.next().await;
            let idle = watcher_busy.try_lock();
            if signal == Signal::Interrupt {
                if idle.is_err() {
                    interrupt.trigger(Stop::Signal(signal));
                }
                continue;
            }
            interrupt.trigger(Stop::Signal(signal));
            // Busy: the main loop sees the signal when the input returns and leaves.
            let Ok(_idle) = idle else { continue };
            if let Some(t) = &terminal {
                let _ = nix::sys::termios::tcsetattr(
                    std::io::stdin(),
                    nix::sys::termios::SetArg::TCSANOW,
                    t,
                );
                // Bracketed paste off, as the line editor would on its way out.
                let _ = write!(std::io::stdout(), "\x1b[?2004l");
            }
            crate::repl::out::err!();
            captures.stop_all();
            leave(&run, keep).await;
            crate::reaper::release();
            std::process::exit(signal.exit_code().into());
        }
    });
    busy
}
