//! The one error every command returns, and the exit code each maps to
//! (README "Exit codes"): `0` success, `1` the scenario failed, `2` usage,
//! `3` no Docker daemon answers, `130` / `143` interrupted by Ctrl-C /
//! SIGTERM, and a script's own `exit(n)`. `cmd::main` prints the message
//! and turns the error into the process's exit code, in one place.

use crate::docker::DockerError;
use crate::stop::Signal;

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command line asked for something impossible: a file that cannot
    /// be read, a path with no scenarios, a report that cannot be written.
    #[error("{0}")]
    Usage(String),
    /// Docker refused or failed what the command needed (connecting, listing).
    #[error("{0}")]
    Docker(DockerError),
    /// Something else went wrong; the message says what and what to do.
    #[error("{0}")]
    Failed(String),
    /// It failed, and has said why already, where it happened: the script
    /// error with its source line, the failed scenarios of a test run,
    /// what teardown could not remove.
    #[error("failed (reported above)")]
    Reported,
    /// The script stopped at a parameter its command line did not give
    /// right (`params.require`, `env`): a usage error, reported already
    /// with the script's position.
    #[error("a parameter is missing or wrong (reported above)")]
    Parameter,
    /// The script failed because the daemon stopped answering (reported
    /// already, like [`Error::Reported`]).
    #[error("the Docker daemon stopped answering")]
    DaemonLost,
    /// A signal stopped the run; what it was doing has been cleaned up.
    #[error("interrupted by {0}")]
    Interrupted(Signal),
    /// The script ended itself with `exit(n)`, `n` ≠ 0.
    #[error("the script called exit({0})")]
    ScriptExit(u8),
}

impl Error {
    /// The process's exit code.
    pub(crate) fn code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Parameter => 2,
            Error::Docker(e) if e.kind() == "unreachable" => 3,
            Error::DaemonLost => 3,
            Error::Docker(_) | Error::Failed(_) | Error::Reported => 1,
            Error::Interrupted(signal) => signal.exit_code(),
            Error::ScriptExit(code) => *code,
        }
    }

    /// What to print as `error: …`, unless it has been shown already (or,
    /// for a signal or `exit(n)`, needs no words).
    pub(crate) fn message(&self) -> Option<String> {
        match self {
            Error::Usage(_) | Error::Docker(_) | Error::Failed(_) => Some(self.to_string()),
            Error::Reported
            | Error::Parameter
            | Error::DaemonLost
            | Error::Interrupted(_)
            | Error::ScriptExit(_) => None,
        }
    }
}

impl From<DockerError> for Error {
    fn from(e: DockerError) -> Self {
        Error::Docker(e)
    }
}

/// What every command returns.
pub(crate) type Result<T = (), E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_the_documented_ones() {
        let unreachable = DockerError::Unreachable {
            host: "unix:///nowhere".into(),
            reason: "no such file".into(),
        };
        let not_found = DockerError::NotFound {
            action: "inspect".into(),
            message: "no such container".into(),
        };
        let cases = [
            (Error::Reported, 1),
            (Error::Failed("x".into()), 1),
            (Error::Docker(not_found), 1),
            (Error::Usage("x".into()), 2),
            (Error::Parameter, 2),
            (Error::Docker(unreachable), 3),
            (Error::DaemonLost, 3),
            (Error::Interrupted(Signal::Interrupt), 130),
            (Error::Interrupted(Signal::Terminate), 143),
            (Error::ScriptExit(7), 7),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code, "{error:?}");
        }
        assert_eq!(
            Error::Usage("cannot read x.rhai".into())
                .message()
                .as_deref(),
            Some("cannot read x.rhai")
        );
        assert_eq!(Error::Reported.message(), None);
    }
}
