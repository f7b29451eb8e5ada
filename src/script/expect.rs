//! `expect_error`: a scenario states that a call must fail, and how.

use rhai::{Dynamic, EvalAltResult, FnPtr, Map};

use super::api::{Api, Call};
use super::convert::describe;
use super::error::{ScriptResult, kind, netrig_error};

/// The kind `expect_error` gives errors that are not netrig's: Rhai's own
/// (a type mismatch, an unknown function) and `throw` of a plain value.
pub(crate) const SCRIPT_KIND: &str = "script";

/// Defines `expect_error`.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "expect_error",
        &["call: Fn", "[kind: String]", "Map"],
        "Call `call` and fail the scenario unless it throws (an error of `kind`, if given:\n\
         `not_found`, `conflict`, `invalid_argument`, `assertion`, …; `script` for Rhai's own\n\
         errors); returns the error as `#{kind, message, function}`.\n\
         ```rhai\nlet e = expect_error(|| exec(\"nobody\", \"true\"));\nexpect_error(|| network::create(\"dup\"), \"conflict\");\n```",
        |cx: &Call, call: FnPtr, want: Dynamic| {
            if want.is_unit() {
                return expect_error(cx, &call, None);
            }
            let want = want.into_string().map_err(|got| {
                cx.invalid(format!(
                    "kind must be a string such as \"not_found\", got {got}"
                ))
            })?;
            expect_error(cx, &call, Some(&want))
        },
    )
    .global_only();
}

fn expect_error(cx: &Call, call: &FnPtr, want: Option<&str>) -> ScriptResult<Map> {
    let expected = match want {
        Some(k) => format!("an error of kind {k:?}"),
        None => "an error".to_string(),
    };
    let err = match call.call_within_context::<Dynamic>(cx.native(), ()) {
        Ok(value) => {
            return Err(cx.fail(
                kind::ASSERTION,
                format!(
                    "expected {expected}, but the call succeeded and returned {}",
                    describe(&value)
                ),
            ));
        }
        Err(e) => e,
    };
    // Stopping the run is not an answer the call gave: pass it on.
    if is_stop(&err) {
        return Err(err);
    }
    let error = error_map(&err);
    let got = error.get("kind").map(|k| k.to_string()).unwrap_or_default();
    match want {
        Some(k) if k != got => Err(cx.fail(
            kind::ASSERTION,
            format!(
                "expected {expected}, got {got:?}: {}",
                error
                    .get("message")
                    .map(|m| m.to_string())
                    .unwrap_or_default()
            ),
        )),
        _ => Ok(error),
    }
}

/// Ctrl-C, a scenario timeout and `exit()` end the run whatever the script expects.
fn is_stop(err: &EvalAltResult) -> bool {
    matches!(
        err.unwrap_inner(),
        EvalAltResult::ErrorTerminated(..) | EvalAltResult::Exit(..)
    ) || matches!(netrig_error(err), Some((k, _)) if k == "interrupted")
}

/// The error as a map: netrig's own (and any thrown map with a `kind`) as
/// thrown; anything else as `#{kind: "script", message, function: ""}`.
fn error_map(err: &EvalAltResult) -> Map {
    if netrig_error(err).is_some()
        && let EvalAltResult::ErrorRuntime(value, _) = err.unwrap_inner()
        && let Some(map) = value.read_lock::<Map>()
    {
        return map.clone();
    }
    let message = match err.unwrap_inner() {
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        other => {
            let text = other.to_string();
            // Rhai appends " (line 3, position 5)"; the map is about what failed.
            match text.rfind(" (line ") {
                Some(i) if text.ends_with(')') => text[..i].to_string(),
                _ => text,
            }
        }
    };
    let mut map = Map::new();
    map.insert("kind".into(), SCRIPT_KIND.into());
    map.insert("message".into(), message.into());
    map.insert("function".into(), "".into());
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::error::throw;
    use rhai::Engine;

    fn engine() -> Engine {
        let mut api = Api::default();
        functions(&mut api);
        let mut engine = Engine::new();
        crate::script::api::install(&mut engine, None, &api.into_functions());
        engine.register_fn("fail_with", |k: &str| -> ScriptResult<()> {
            Err(throw(k, "fail_with", "it failed"))
        });
        engine
    }

    fn assertion_message(err: &EvalAltResult) -> String {
        let (k, message) = netrig_error(err).expect("a netrig error");
        assert_eq!(k, "assertion");
        message
    }

    #[test]
    fn the_expected_kind_returns_the_error() {
        let e = engine();
        let kind: String = e
            .eval(r#"expect_error(|| fail_with("not_found"), "not_found").kind"#)
            .unwrap();
        assert_eq!(kind, "not_found");
        let function: String = e
            .eval(r#"expect_error(|| fail_with("conflict")).function"#)
            .unwrap();
        assert_eq!(function, "fail_with");
    }

    #[test]
    fn another_kind_fails_showing_both() {
        let err = engine()
            .eval::<Dynamic>(r#"expect_error(|| fail_with("conflict"), "not_found")"#)
            .unwrap_err();
        let message = assertion_message(&err);
        assert!(
            message.contains("\"not_found\"") && message.contains("\"conflict\""),
            "{message}"
        );
        assert!(message.contains("it failed"), "{message}");
    }

    #[test]
    fn success_fails_the_expectation() {
        let err = engine()
            .eval::<Dynamic>(r#"expect_error(|| 40 + 2, "not_found")"#)
            .unwrap_err();
        let message = assertion_message(&err);
        assert!(message.contains("succeeded and returned 42"), "{message}");
    }

    #[test]
    fn rhai_errors_and_plain_throws_are_of_kind_script() {
        let e = engine();
        let m: Map = e.eval(r#"expect_error(|| 1 + "a" * 2, "script")"#).unwrap();
        assert!(m["message"].to_string().contains('*'), "{m:?}");
        let m: Map = e.eval(r#"expect_error(|| { throw "boom"; })"#).unwrap();
        assert_eq!(m["kind"].to_string(), "script");
        assert_eq!(m["message"].to_string(), "boom");
        // A thrown map with its own kind counts as that kind.
        let m: Map = e
            .eval(r#"expect_error(|| { throw #{kind: "mine", message: "x"}; }, "mine")"#)
            .unwrap();
        assert_eq!(m["message"].to_string(), "x");
    }

    #[test]
    fn exit_is_not_swallowed() {
        // Rhai turns exit() into the end of the run: nothing after it runs.
        let result = engine().run(r#"expect_error(|| exit(3)); throw "went on";"#);
        assert!(result.is_ok(), "{result:?}");
    }
}
