//! What became of a scenario: passed, failed (a check did not hold) or
//! error (anything else stopped it), with the message and where it happened.

use std::time::Duration;

use rhai::EvalAltResult;

use crate::diagnostic;
use crate::rig::{RunEnd, Stop};
use crate::script::error::netrig_error;

/// The verdict on one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// It ran to the end (or called `exit()` / `exit(0)`).
    Passed,
    /// A check did not hold: an `assert*`, `expect_error`, `wait_until`, `exit(n)`.
    Failed,
    /// Something else stopped it: a script or Docker error, a syntax error,
    /// its timeout, a bad header, resources it could not remove.
    Error,
    /// Not started: the run was interrupted first.
    NotRun,
}

impl Status {
    /// The word the report shows.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Status::Passed => "ok",
            Status::Failed => "FAILED",
            Status::Error => "ERROR",
            Status::NotRun => "not run",
        }
    }
}

/// Why a scenario did not pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The error kind (`assertion`, `not_found`, `timeout`, `syntax`, …).
    pub(crate) kind: String,
    /// One line: what went wrong.
    pub(crate) message: String,
    /// `file:line:col`, when the script has a position for it.
    pub(crate) location: Option<String>,
    /// The full report: message, position, the source line with a marker.
    pub(crate) rendered: String,
}

impl Failure {
    /// A failure with no script position (a bad header, a timeout of teardown, …).
    pub(crate) fn plain(kind: &str, message: impl Into<String>) -> Failure {
        let message = message.into();
        Failure {
            kind: kind.into(),
            rendered: format!("{message}\n"),
            message,
            location: None,
        }
    }

    /// The message and where, on one line (JUnit's `message`).
    pub(crate) fn headline(&self) -> String {
        match &self.location {
            Some(at) => format!("{} ({at})", self.message),
            None => self.message.clone(),
        }
    }
}

/// A scenario's result.
#[derive(Debug, Clone)]
pub(crate) struct ScenarioResult {
    /// Index in the discovered list (reports keep that order).
    pub(crate) index: usize,
    /// Passed, failed, error, not run.
    pub(crate) status: Status,
    /// Why, unless it passed.
    pub(crate) failure: Option<Failure>,
    /// Wall time, teardown included.
    pub(crate) elapsed: Duration,
    /// Everything the script printed.
    pub(crate) output: String,
    /// The run id its resources carried (empty when it never started).
    pub(crate) run_id: String,
    /// Notes about its resources: what teardown removed, or what was kept and how to look at it.
    pub(crate) notes: Vec<String>,
}

/// The verdict on a scenario that ran in `timeout` at most, from how its
/// run ended.
pub(crate) fn verdict(
    end: &RunEnd,
    file: &str,
    source: &str,
    timeout: Duration,
) -> (Status, Option<Failure>) {
    match end {
        RunEnd::Completed { .. } | RunEnd::Exited(0) => (Status::Passed, None),
        RunEnd::Exited(code) => (
            Status::Failed,
            Some(Failure::plain(
                "exit",
                format!("the scenario called exit({code})"),
            )),
        ),
        RunEnd::ParseError(e) => (Status::Error, Some(syntax_failure(e, file, source))),
        RunEnd::Failed(err) => {
            let (status, failure) = classify(err, file, source);
            (status, Some(failure))
        }
        RunEnd::Stopped {
            stop: Stop::Timeout,
            error,
        } => {
            let (_, mut failure) = classify(error, file, source);
            failure.kind = "timeout".into();
            failure.message = format!(
                "the scenario did not finish within its timeout of {} s",
                timeout.as_secs_f64()
            );
            failure.rendered = format!(
                "{}; it was stopped here:\n{}",
                failure.message, failure.rendered
            );
            (Status::Error, Some(failure))
        }
        RunEnd::Stopped {
            stop: Stop::DaemonLost,
            error,
        } => {
            let (_, mut failure) = classify(error, file, source);
            failure.kind = "daemon".into();
            failure.message = "the Docker daemon went away during the scenario".into();
            failure.rendered = format!(
                "{}; it was stopped here:\n{}",
                failure.message, failure.rendered
            );
            (Status::Error, Some(failure))
        }
        RunEnd::Stopped {
            stop: Stop::Signal(signal),
            ..
        } => (
            Status::Error,
            Some(Failure::plain(
                "interrupted",
                format!("interrupted by {signal}"),
            )),
        ),
        RunEnd::Panicked(panic) => (
            Status::Error,
            Some(Failure::plain(
                "bug",
                format!(
                    "netrig itself failed (a bug): {}",
                    RunEnd::panic_message(&**panic)
                ),
            )),
        ),
    }
}

/// Sorts a script error into failed or error and locates it in `source`.
pub(crate) fn classify(err: &EvalAltResult, file: &str, source: &str) -> (Status, Failure) {
    let netrig = netrig_error(err);
    let kind = match &netrig {
        Some((kind, _)) => kind.clone(),
        None if matches!(err.unwrap_inner(), EvalAltResult::ErrorTerminated(..)) => {
            "interrupted".into()
        }
        None => "script".into(),
    };
    // Checks that did not hold are failures; `wait_until` running out of
    // time is one too (a Docker call timing out is not).
    let failed = kind == "assertion" || (kind == "timeout" && thrown_by(err, "wait_until"));
    let pos = diagnostic::main_position(err, file);
    let failure = Failure {
        kind,
        message: diagnostic::message_of(err),
        location: pos
            .line()
            .map(|line| format!("{file}:{line}:{}", pos.position().unwrap_or(1))),
        rendered: diagnostic::render(err, file, source),
    };
    (
        if failed {
            Status::Failed
        } else {
            Status::Error
        },
        failure,
    )
}

/// Locates a syntax error.
pub(crate) fn syntax_failure(err: &rhai::ParseError, file: &str, source: &str) -> Failure {
    let pos = err.position();
    Failure {
        kind: "syntax".into(),
        message: format!("syntax error: {}", err.err_type()),
        location: pos
            .line()
            .map(|line| format!("{file}:{line}:{}", pos.position().unwrap_or(1))),
        rendered: diagnostic::render_parse(err, file, source),
    }
}

fn thrown_by(err: &EvalAltResult, function: &str) -> bool {
    match err.unwrap_inner() {
        EvalAltResult::ErrorRuntime(value, _) => value
            .read_lock::<rhai::Map>()
            .and_then(|m| m.get("function").map(|f| f.to_string() == function))
            .unwrap_or(false),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::error::throw;

    fn fail(script: &str) -> (Status, Failure) {
        let mut engine = rhai::Engine::new();
        engine.register_fn("check", || -> Result<(), Box<EvalAltResult>> {
            Err(throw("assertion", "check", "2 != 3"))
        });
        engine.register_fn("wait", || -> Result<(), Box<EvalAltResult>> {
            Err(throw("timeout", "wait_until", "never held"))
        });
        engine.register_fn("docker", || -> Result<(), Box<EvalAltResult>> {
            Err(throw("not_found", "exec", "no such container"))
        });
        let mut ast = engine.compile(script).unwrap();
        ast.set_source("s.rhai");
        let err = engine.run_ast(&ast).unwrap_err();
        classify(&err, "s.rhai", script)
    }

    #[test]
    fn assertions_fail_with_message_and_line() {
        let (status, f) = fail("let a = 1;\ncheck();\n");
        assert_eq!(status, Status::Failed);
        assert_eq!(f.kind, "assertion");
        assert_eq!(f.message, "check(): 2 != 3");
        assert_eq!(f.location.as_deref(), Some("s.rhai:2:1"));
        assert_eq!(f.headline(), "check(): 2 != 3 (s.rhai:2:1)");
        assert!(f.rendered.contains("check();"), "{}", f.rendered);
    }

    #[test]
    fn wait_until_timeouts_fail_other_errors_are_errors() {
        assert_eq!(fail("wait();").0, Status::Failed);
        let (status, f) = fail("\n\ndocker();");
        assert_eq!(status, Status::Error);
        assert_eq!(f.kind, "not_found");
        assert_eq!(f.location.as_deref(), Some("s.rhai:3:1"));
        let (status, f) = fail("let x = 1 + \"a\" * 2;");
        assert_eq!((status, f.kind.as_str()), (Status::Error, "script"));
    }

    #[test]
    fn errors_inside_closures_point_into_the_scenario() {
        let (_, f) = fail("fn helper() {\n  check();\n}\nhelper();\n");
        assert_eq!(f.location.as_deref(), Some("s.rhai:2:3"));
    }
}
