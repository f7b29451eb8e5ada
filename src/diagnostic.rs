//! Script errors for people: the message, `file:line:col`, and the source
//! line with a marker under the spot, rendered by miette.

use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};
use rhai::{EvalAltResult, Position};

use crate::script::error::netrig_error;

/// A script error located in its source.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
struct ScriptDiagnostic {
    message: String,
    #[source_code]
    source_code: Option<NamedSource<String>>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
    #[help]
    help: Option<String>,
}

/// The message of an error without Rhai's `(line 3, position 5)` suffix;
/// netrig's own errors give their `message` field.
pub(crate) fn message_of(err: &EvalAltResult) -> String {
    if let Some((_, message)) = netrig_error(err) {
        return message;
    }
    let inner = err.unwrap_inner();
    let text = match inner {
        EvalAltResult::ErrorRuntime(value, _) => format!("error thrown: {value}"),
        EvalAltResult::ErrorTerminated(..) => "the script was stopped".to_string(),
        EvalAltResult::ErrorTooManyOperations(..) => format!(
            "the script ran more than {} operations and was stopped (a loop that never ends?)",
            crate::script::MAX_OPERATIONS
        ),
        EvalAltResult::ErrorStackOverflow(..) => format!(
            "functions called each other more than {} levels deep and the script was stopped (a recursion that never ends?)",
            crate::script::MAX_CALL_LEVELS
        ),
        EvalAltResult::ErrorFunctionNotFound(signature, _) => {
            let text = format!("Function not found: {}", script_signature(signature));
            return match crate::script::name_hint(signature) {
                Some(hint) => format!("{text}; {hint}"),
                None => text,
            };
        }
        EvalAltResult::ErrorModuleNotFound(name, _) => {
            let text = strip_position(&inner.to_string());
            return match crate::script::module_hint(name) {
                Some(hint) => format!("{text}; {hint}"),
                None => text,
            };
        }
        EvalAltResult::ErrorDotExpr(text, _) => match unknown_property(text) {
            Some((property, type_name)) if crate::script::is_known(property) => format!(
                "{type_name} has no property `{property}`: it is a method, use `x.{property}()`"
            ),
            Some((property, type_name)) => format!("{type_name} has no property `{property}`"),
            None => text.clone(),
        },
        other => other.to_string(),
    };
    strip_position(&text)
}

/// `(property, type)` of Rhai's "Unknown property 'ip' - a getter is not
/// registered for type 'Container'".
fn unknown_property(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("Unknown property '")?;
    let (property, rest) = rest.split_once('\'')?;
    let type_name = rest.split_once("for type '")?.1.strip_suffix('\'')?;
    Some((property, type_name))
}

/// The variable before the first `.property` in `source` that is not a call.
fn receiver_of<'a>(source: &'a str, property: &str) -> Option<&'a str> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let needle = format!(".{property}");
    source.match_indices(&needle).find_map(|(at, _)| {
        let after = source[at + needle.len()..].trim_start().chars().next();
        if after.is_some_and(|c| is_ident(c) || c == '(') {
            return None;
        }
        let before = &source[..at];
        let start = before.rfind(|c: char| !is_ident(c)).map_or(0, |i| i + 1);
        (start < at).then(|| &source[start..at])
    })
}

/// A call as the script writes it, from Rhai's Rust-flavoured signature:
/// `ping (Container, &str | ImmutableString | String, i64)` becomes
/// `ping(Container, String, int)`.
pub(crate) fn script_signature(signature: &str) -> String {
    let Some((name, args)) = signature.split_once(" (") else {
        return signature.to_string();
    };
    let Some(args) = args.strip_suffix(')') else {
        return signature.to_string();
    };
    let args: Vec<String> = split_top_level(args)
        .iter()
        .map(|a| script_type(a))
        .collect();
    format!("{name}({})", args.join(", "))
}

/// Splits on the commas outside `<…>`, `(…)` and `[…]`.
fn split_top_level(text: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0i32, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if !text[start..].trim().is_empty() {
        out.push(text[start..].trim());
    }
    out
}

/// One argument type in the script's words.
fn script_type(rust: &str) -> String {
    let rust = rust
        .trim()
        .trim_start_matches('&')
        .trim_start_matches("mut ");
    if rust.contains("str") || rust.contains("ImmutableString") {
        return "String".into();
    }
    let last = rust.rsplit("::").next().unwrap_or(rust);
    match last {
        "i64" | "i32" | "u64" | "u32" | "INT" | "usize" | "int" => "int",
        "f64" | "f32" | "FLOAT" | "float" => "float",
        "bool" => "bool",
        "char" => "char",
        "()" => "()",
        "FnPtr" => "Fn",
        "Map" | "map" | "BTreeMap<SmartString, Dynamic>" => "Map",
        "Array" | "array" | "Vec<Dynamic>" => "Array",
        "Blob" | "blob" | "Vec<u8>" => "Blob",
        "string" => "String",
        "Dynamic" => "?",
        other => return other.to_string(),
    }
    .into()
}

fn strip_position(text: &str) -> String {
    match text.rfind(" (line ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text.to_string(),
    }
}

/// The position to show: the deepest one that is still in the main script
/// (an error inside a function the script defined points into that function;
/// one inside a library module points at the script's call).
pub(crate) fn main_position(err: &EvalAltResult, main_source: &str) -> Position {
    script_calls(err, main_source)
        .iter()
        .rev()
        .map(|(_, inner)| inner.position())
        .find(|p| !p.is_none())
        .unwrap_or_else(|| err.position())
}

/// The calls of functions the script itself defined that the error passed
/// through, outermost first, each with the error that came out of its body.
/// The walk stops at a call into a library module (another source).
fn script_calls<'a>(
    err: &'a EvalAltResult,
    main_source: &str,
) -> Vec<(&'a str, &'a EvalAltResult)> {
    let mut calls = Vec::new();
    let mut cur = err;
    while let EvalAltResult::ErrorInFunctionCall(name, src, inner, _) = cur {
        if !(src.is_empty() || src == main_source) {
            break;
        }
        calls.push((name.as_str(), inner.as_ref()));
        cur = inner;
    }
    calls
}

/// The functions the error passed through, innermost first, for a hint.
/// Frames inside a library module (`std/assert`) are summed up as one: their
/// line numbers are the module's, not the script's.
fn call_chain(err: &EvalAltResult, main_source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut cur = err;
    loop {
        match cur {
            EvalAltResult::ErrorInFunctionCall(name, src, inner, pos) => {
                let foreign = !(src.is_empty() || src == main_source);
                let name = if name.starts_with("anon$") {
                    "a closure".to_string()
                } else if foreign {
                    format!("{name}() of {src}")
                } else {
                    format!("{name}()")
                };
                names.push(match pos.line() {
                    Some(l) => format!("{name} called at line {l}"),
                    None => name,
                });
                if foreign {
                    break;
                }
                cur = inner;
            }
            EvalAltResult::ErrorInModule(name, inner, _) => {
                names.push(format!("module {name}"));
                cur = inner;
            }
            _ => break,
        }
    }
    names.reverse();
    names
}

/// Byte offset of a 1-based line and column (counted in characters).
fn offset_of(source: &str, line: usize, column: usize) -> Option<usize> {
    let mut offset = 0;
    for (i, text) in source.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let col = text
                .char_indices()
                .nth(column.saturating_sub(1))
                .map(|(b, _)| b)
                .unwrap_or(text.trim_end_matches('\n').len());
            return Some(offset + col);
        }
        offset += text.len();
    }
    None
}

/// Length of the token at `offset` (an identifier or one character), for the marker.
fn token_len(source: &str, offset: usize) -> usize {
    let rest = &source[offset..];
    let ident = rest
        .char_indices()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == ':')
        .last()
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    ident.max(rest.chars().next().map(char::len_utf8).unwrap_or(0))
}

/// Renders a script error: `MESSAGE (FILE:LINE:COL)` and the source snippet.
pub(crate) fn render(err: &EvalAltResult, file_name: &str, source: &str) -> String {
    render_in(err, file_name, file_name, source)
}

/// Like [`render`] for an error of the script run as `main_source`, but
/// shows its position in another text: the REPL input that defined the
/// function where the error happened (see [`innermost_function`]).
pub(crate) fn render_in(
    err: &EvalAltResult,
    main_source: &str,
    shown_name: &str,
    shown_source: &str,
) -> String {
    let chain = call_chain(err, main_source);
    let help = (!chain.is_empty()).then(|| format!("while running {}", chain.join(" → ")));
    let mut message = message_of(err);
    // `web.ip` → "use `web.ip()`": the receiver as the source spells it.
    if let EvalAltResult::ErrorDotExpr(text, _) = err.unwrap_inner()
        && let Some((property, _)) = unknown_property(text)
        && let Some(receiver) = receiver_of(shown_source, property)
    {
        message = message.replace(
            &format!("`x.{property}()`"),
            &format!("`{receiver}.{property}()`"),
        );
    }
    located(
        message,
        main_position(err, main_source),
        help,
        shown_name,
        shown_source,
    )
}

/// The script-defined function the error happened in: the innermost of
/// the script's own calls, whose body [`main_position`] points into when
/// the error there has a position. `None` for the script's top level.
pub(crate) fn innermost_function<'a>(err: &'a EvalAltResult, main_source: &str) -> Option<&'a str> {
    script_calls(err, main_source).last().map(|(name, _)| *name)
}

/// Renders a parse error (its position is the syntax error's).
pub(crate) fn render_parse(err: &rhai::ParseError, file_name: &str, source: &str) -> String {
    let message = format!("syntax error: {}", err.err_type());
    located(message, err.position(), None, file_name, source)
}

/// A message at a position in `source`, or the bare message when the
/// position is unknown.
fn located(
    message: String,
    pos: Position,
    help: Option<String>,
    file_name: &str,
    source: &str,
) -> String {
    let (line, column) = (pos.line().unwrap_or(0), pos.position().unwrap_or(1));
    let offset = offset_of(source, line, column).filter(|_| line > 0);
    let diag = ScriptDiagnostic {
        message: match offset {
            Some(_) => format!("{message} ({file_name}:{line}:{column})"),
            None => message,
        },
        source_code: offset.map(|_| NamedSource::new(file_name, source.to_string())),
        span: offset.map(|o| SourceSpan::new(o.into(), token_len(source, o).max(1))),
        label: "here".into(),
        help,
    };
    render_diagnostic(&diag)
}

fn render_diagnostic(diag: &dyn miette::Diagnostic) -> String {
    let theme = if use_color() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    // No wrapping: a message is one line that grep, CI logs and the terminal
    // itself handle better than miette's 80-column folds.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_context_lines(1)
        .with_wrap_lines(false);
    if handler.render_report(&mut out, diag).is_err() {
        out = diag.to_string();
    }
    out
}

/// Colour only on a terminal, and never when `NO_COLOR` is set.
pub(crate) fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && crate::progress::stderr_is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_speak_the_script_s_types() {
        assert_eq!(
            script_signature("ping (Container, &str | ImmutableString | String, i64)"),
            "ping(Container, String, int)"
        );
        assert_eq!(
            script_signature("f (f64, bool, map, Array, ())"),
            "f(float, bool, Map, Array, ())"
        );
        assert_eq!(script_signature("nosuch ()"), "nosuch()");
    }

    #[test]
    fn a_method_used_as_a_property_says_how_to_call_it() {
        assert_eq!(
            unknown_property(
                "Unknown property 'ip' - a getter is not registered for type 'Container'"
            ),
            Some(("ip", "Container"))
        );
        assert_eq!(receiver_of("print(web.ip)", "ip"), Some("web"));
        assert_eq!(receiver_of("web.ip(); db.ip", "ip"), Some("db"));
        assert_eq!(receiver_of("web.ipx", "ip"), None);
    }

    #[test]
    fn offsets_count_characters_on_the_line() {
        let src = "let a = 1;\nlet bé = run(42);\n";
        let o = offset_of(src, 2, 10).unwrap();
        assert_eq!(&src[o..o + 3], "run");
        assert_eq!(token_len(src, o), 3);
    }

    #[test]
    fn rendered_error_names_file_line_and_shows_the_source() {
        let engine = rhai::Engine::new();
        let src = "let x = 1;\nlet y = x + \"a\" * 2;\n";
        let mut ast = engine.compile(src).unwrap();
        ast.set_source("demo.rhai");
        let err = engine.run_ast(&ast).unwrap_err();
        let text = render(&err, "demo.rhai", src);
        assert!(text.contains("demo.rhai:2:"), "{text}");
        assert!(text.contains("let y = x + \"a\" * 2;"), "{text}");
        assert!(!text.contains("(line 2"), "{text}");
    }

    #[test]
    fn errors_inside_script_functions_point_inside_them() {
        let engine = rhai::Engine::new();
        let src = "fn f() {\n  throw \"boom\";\n}\nf();\n";
        let mut ast = engine.compile(src).unwrap();
        ast.set_source("demo.rhai");
        let err = engine.run_ast(&ast).unwrap_err();
        assert_eq!(main_position(&err, "demo.rhai").line(), Some(2));
        let text = render(&err, "demo.rhai", src);
        assert!(text.contains("f() called at line 4"), "{text}");
    }

    #[test]
    fn the_innermost_script_function_is_found_and_its_text_shown() {
        let engine = rhai::Engine::new();
        let defs = "fn g() {\n  throw \"deep\";\n}\nfn f() { g() }\n";
        let src = format!("{defs}f();\n");
        let mut ast = engine.compile(&src).unwrap();
        ast.set_source("in[3]");
        let err = engine.run_ast(&ast).unwrap_err();
        assert_eq!(innermost_function(&err, "in[3]"), Some("g"));
        let text = render_in(&err, "in[3]", "in[1]", defs);
        assert!(text.contains("(in[1]:2:3)"), "{text}");
        assert!(text.contains("throw \"deep\""), "{text}");
        let top = engine.run("throw 1;").unwrap_err();
        assert_eq!(innermost_function(&top, ""), None);
    }
}
