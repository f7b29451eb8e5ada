//! `exit()` and `exit(code)`: Rhai's own `exit` ends the script as if it
//! had run to its end, so the code would be lost; this one also records it
//! for the run loop, which turns it into the run's verdict and exit code.

use std::sync::{Arc, Mutex};

use rhai::{Dynamic, Engine, EvalAltResult};

/// What the script passed to `exit()`, if it called it. Cloned into the
/// registered functions; the run loop reads and clears it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExitCall(Arc<Mutex<Option<Dynamic>>>);

impl ExitCall {
    /// The exit code the script asked for: `Some(0)` for `exit()`,
    /// `exit(0)` or a value that is not an integer; `exit(n)` gives `n`
    /// within 1..=255. `None` when the script did not call `exit`.
    pub(crate) fn code(&self) -> Option<u8> {
        let value = self.0.lock().expect("exit value poisoned");
        value.as_ref().map(code_of)
    }

    /// Forgets an earlier call (the REPL runs many inputs in one engine).
    pub(crate) fn clear(&self) {
        *self.0.lock().expect("exit value poisoned") = None;
    }

    fn record(&self, value: Dynamic) {
        *self.0.lock().expect("exit value poisoned") = Some(value);
    }
}

/// The exit code for the value given to `exit`.
pub(crate) fn code_of(value: &Dynamic) -> u8 {
    match value.as_int() {
        // Clamped into range first: fits.
        Ok(c) if c != 0 => c.clamp(1, 255) as u8,
        _ => 0,
    }
}

/// Replaces Rhai's `exit` with one that also records its value; returns
/// the record the run loop reads.
pub(crate) fn register(engine: &mut Engine) -> ExitCall {
    let call = ExitCall::default();
    let stop = |value: Dynamic| -> Result<(), Box<EvalAltResult>> {
        Err(EvalAltResult::Exit(value, rhai::Position::NONE).into())
    };
    let c = call.clone();
    super::register(
        engine,
        "exit",
        // The return type, so that the definitions do not spell Rust's.
        &["()"],
        "End the script here; the run passes.\n```rhai\nexit();\n```",
        move || {
            c.record(Dynamic::from_int(0));
            stop(Dynamic::from_int(0))
        },
    );
    let c = call.clone();
    super::register(
        engine,
        "exit",
        &["code: int"],
        "End the script here with an exit code (0 passes, anything else fails).\n```rhai\nexit(1);\n```",
        move |value: Dynamic| {
            c.record(value.clone());
            stop(value)
        },
    );
    call
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_records_its_code() {
        let mut engine = Engine::new();
        let call = register(&mut engine);
        assert_eq!(call.code(), None);
        engine.run("exit(3); throw \"not reached\";").unwrap();
        assert_eq!(call.code(), Some(3));
        call.clear();
        engine.run("fn f() { exit() } f();").unwrap();
        assert_eq!(call.code(), Some(0));
        engine.run("exit(1000)").unwrap();
        assert_eq!(call.code(), Some(255));
        engine.run("exit(\"done\")").unwrap();
        assert_eq!(call.code(), Some(0));
    }
}
