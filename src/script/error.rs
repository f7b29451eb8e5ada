//! How script functions fail: a thrown map `#{kind, message, function}`, so
//! `catch (e)` can test `e.kind` and an uncaught error prints `message`.

use rhai::{Dynamic, EvalAltResult, Map, Position};

use crate::docker::DockerError;

/// Result of a native script function.
pub(crate) type ScriptResult<T> = Result<T, Box<EvalAltResult>>;

/// Error kinds a script can tell apart with `e.kind`, besides the Docker
/// layer's own (`not_found`, `conflict`, `invalid_argument`, `unreachable`,
/// `timeout`, `daemon`, `failed`, `interrupted`, `unsupported`).
pub(crate) mod kind {
    /// An `assert*` function found the condition false.
    pub(crate) const ASSERTION: &str = "assertion";
    /// A wrong argument or option.
    pub(crate) const INVALID_ARGUMENT: &str = "invalid_argument";
    /// `wait_until` ran out of time.
    pub(crate) const TIMEOUT: &str = "timeout";
}

/// Throws a netrig error of `kind` from `function` (e.g. `"run"`).
pub(crate) fn throw(kind: &str, function: &str, message: impl AsRef<str>) -> Box<EvalAltResult> {
    let mut map = Map::new();
    map.insert("kind".into(), kind.into());
    map.insert("function".into(), function.into());
    map.insert(
        "message".into(),
        format!("{function}(): {}", message.as_ref()).into(),
    );
    EvalAltResult::ErrorRuntime(Dynamic::from_map(map), Position::NONE).into()
}

/// A bad argument or option.
pub(crate) fn invalid(function: &str, message: impl AsRef<str>) -> Box<EvalAltResult> {
    throw(kind::INVALID_ARGUMENT, function, message)
}

/// A failure reported by the Docker layer, keeping its kind.
pub(crate) fn docker(function: &str, err: DockerError) -> Box<EvalAltResult> {
    throw(err.kind(), function, err.to_string())
}

/// The `kind` and `message` of a netrig error, if `err` (or the error it
/// wraps) is one.
pub(crate) fn netrig_error(err: &EvalAltResult) -> Option<(String, String)> {
    match err.unwrap_inner() {
        EvalAltResult::ErrorRuntime(value, _) => {
            let map = value.read_lock::<Map>()?;
            let kind = map.get("kind")?.clone().into_string().ok()?;
            let message = map
                .get("message")
                .map(|m| m.to_string())
                .unwrap_or_default();
            Some((kind, message))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thrown_errors_carry_kind_and_function() {
        let err = invalid("run", "option \"ports\" must be an array");
        let (kind, message) = netrig_error(&err).unwrap();
        assert_eq!(kind, "invalid_argument");
        assert_eq!(message, "run(): option \"ports\" must be an array");
    }
}
