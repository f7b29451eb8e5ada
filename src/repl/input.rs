//! Questions about typed input that Rhai's own parser answers: is this input
//! unfinished (keep reading lines), and how must an entry end so that the
//! next one can follow it in a saved script.

use std::sync::OnceLock;

use rhai::Engine;

use super::lexer::{self, Kind};

/// A bare engine: parsing needs no functions, and this one is cheap to share.
fn parser() -> &'static Engine {
    static PARSER: OnceLock<Engine> = OnceLock::new();
    PARSER.get_or_init(Engine::new_raw)
}

fn parses(src: &str) -> bool {
    parser().compile(src).is_ok()
}

/// True while braces, brackets, parentheses or a backtick string are open,
/// or an expression is cut short: Rhai's parser stopped at the end of the
/// input rather than at a mistake inside it. Two empty lines in a row end
/// the input anyway, so a stuck person can always get to the error.
pub(crate) fn is_incomplete(src: &str) -> bool {
    if src.trim().is_empty() || ends_with_two_empty_lines(src) {
        return false;
    }
    let Err(err) = parser().compile(src) else {
        return false;
    };
    if let Some(last) = lexer::tokens(src)
        .iter()
        .rev()
        .find(|t| t.kind != Kind::Space)
        && last.kind == (Kind::Str { closed: false })
    {
        // A backtick string spans lines; a quoted one only after a `\`.
        let text = lexer::text(src, last);
        return text.starts_with('`') || text.ends_with('\\');
    }
    let pos = err.position();
    match (pos.line(), pos.position()) {
        (Some(line), Some(col)) => (line, col) > last_char_position(src),
        // No position: the parser ran off the end.
        _ => true,
    }
}

fn ends_with_two_empty_lines(src: &str) -> bool {
    let lines: Vec<&str> = src.split('\n').collect();
    lines.len() >= 3 && lines[lines.len() - 2..].iter().all(|l| l.trim().is_empty())
}

/// 1-based (line, column) of the last character that is not white space.
fn last_char_position(src: &str) -> (usize, usize) {
    let trimmed = src.trim_end();
    let line = trimmed.split('\n').count();
    let col = trimmed.rsplit('\n').next().unwrap_or("").chars().count();
    (line, col)
}

/// `entry` ended so that another statement can follow it: Rhai needs a `;`
/// after `let x = 1` but not after `fn f() {}`, and a `;` after a trailing
/// `// comment` would be commented out.
pub(crate) fn as_statement(entry: &str) -> String {
    let e = entry.trim_end();
    if parses(&format!("{e}\n0")) {
        e.to_string()
    } else if parses(&format!("{e};\n0")) {
        format!("{e};")
    } else {
        format!("{e}\n;")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_brackets_and_strings_are_incomplete() {
        for src in [
            "fn twice(x) {",
            "let ports = [\"80:80\",",
            "run(\"busybox\", #{name: \"web\",",
            "let s = `two",
            "let x = 1 +",
            "if up {\n  print(1);\n",
        ] {
            assert!(is_incomplete(src), "{src:?} should wait for more");
        }
    }

    #[test]
    fn finished_or_wrong_input_is_not() {
        for src in [
            "let x = 1",
            "fn twice(x) { x * 2 }",
            "let = 5",
            "a b",
            "let s = \"abc",
            "",
            "// just a comment",
            "fn f() {\n\n\n",
        ] {
            assert!(!is_incomplete(src), "{src:?} should be evaluated now");
        }
    }

    #[test]
    fn statements_get_the_separator_rhai_needs() {
        assert_eq!(as_statement("let x = 1"), "let x = 1;");
        assert_eq!(as_statement("let x = 1;  "), "let x = 1;");
        assert_eq!(as_statement("fn f() { 1 }"), "fn f() { 1 }");
        assert_eq!(as_statement("let m = #{a: 1}"), "let m = #{a: 1};");
        assert_eq!(as_statement("ps() // list"), "ps() // list\n;");
        let script = [
            "let x = 1",
            "fn f() { 1 }",
            "let m = #{a: x}",
            "f() // c",
            "m.a",
        ]
        .map(as_statement)
        .join("\n");
        assert!(parses(&script), "{script}");
    }
}
