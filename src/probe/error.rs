//! The probe layer's error type. A check whose answer is "no" (a refused
//! port, a name that does not resolve, a timeout) is a result, not an
//! error; these errors mean the check could not be made at all.

/// Why a check could not be made. `action` says what was asked
/// (`tcp 10.0.0.2:80 from container "web"`), `message` what went wrong
/// and what to do.
// Every variant's `action` and `message` mean the same, as said above.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// netrig cannot enter this namespace from here: not root, the
    /// container's process is not on this machine (a remote daemon), or
    /// the namespace is the host's own. A binding may fall back to the
    /// image's own tools through exec.
    #[error("{action}: {message}")]
    Unsupported { action: String, message: String },
    /// The request itself is malformed (port 0, a URL without a scheme …).
    #[error("{action}: {message}")]
    InvalidArgument { action: String, message: String },
    /// The check started and failed for a reason that is not an answer
    /// about the network (a port already taken, a socket the kernel refused).
    #[error("{action}: {message}")]
    Failed { action: String, message: String },
}

impl ProbeError {
    /// A short, stable name for the variant, spelled as the Docker layer's.
    pub fn kind(&self) -> &'static str {
        match self {
            ProbeError::Unsupported { .. } => "unsupported",
            ProbeError::InvalidArgument { .. } => "invalid_argument",
            ProbeError::Failed { .. } => "failed",
        }
    }

    /// Whether a binding should try the image's own tools instead.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, ProbeError::Unsupported { .. })
    }

    pub(crate) fn invalid(action: impl Into<String>, message: impl Into<String>) -> Self {
        ProbeError::InvalidArgument {
            action: action.into(),
            message: message.into(),
        }
    }

    pub(crate) fn failed(action: impl Into<String>, message: impl Into<String>) -> Self {
        ProbeError::Failed {
            action: action.into(),
            message: message.into(),
        }
    }
}

/// Shorthand for results of the probe layer.
pub type Result<T, E = ProbeError> = std::result::Result<T, E>;
