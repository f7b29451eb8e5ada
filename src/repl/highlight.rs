//! Colour for the REPL: Rhai input coloured by token, headings and names in
//! help. All of it off when `NO_COLOR` is set or output is not a terminal.

use std::io::IsTerminal;

use super::lexer::{self, KEYWORDS, Kind};

const RESET: &str = "\x1b[0m";
const KEYWORD: &str = "\x1b[35m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const COMMENT: &str = "\x1b[2m";
const FUNCTION: &str = "\x1b[34m";
const MODULE: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";

/// Whether and how to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Style {
    color: bool,
}

impl Style {
    /// Colour when stdout is a terminal and `NO_COLOR` is not set.
    pub(crate) fn detect() -> Style {
        Style {
            color: std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal(),
        }
    }

    /// Colours are on.
    pub(crate) fn enabled(&self) -> bool {
        self.color
    }

    fn paint(&self, code: &str, text: impl AsRef<str>) -> String {
        if self.color {
            format!("{code}{}{RESET}", text.as_ref())
        } else {
            text.as_ref().to_string()
        }
    }

    /// A section title.
    pub(crate) fn heading(&self, text: impl AsRef<str>) -> String {
        self.paint("\x1b[1;4m", text)
    }

    /// A function or command name.
    pub(crate) fn name(&self, text: impl AsRef<str>) -> String {
        self.paint(BOLD, text)
    }

    /// Faint text: hints, notes.
    pub(crate) fn dim(&self, text: impl AsRef<str>) -> String {
        self.paint(COMMENT, text)
    }

    /// Rhai code, coloured by token (no function knowledge).
    pub(crate) fn code(&self, text: &str) -> String {
        if self.color {
            highlight(text, &|_| false)
        } else {
            text.to_string()
        }
    }
}

/// Colours Rhai source token by token; `is_function` tells which names are
/// known functions. The text keeps its width: only escape codes are added.
pub(crate) fn highlight(src: &str, is_function: &dyn Fn(&str) -> bool) -> String {
    if src.trim_start().starts_with(':') {
        // A meta command: the command name in bold, its argument plain.
        let end = src.find(char::is_whitespace).unwrap_or(src.len());
        return format!("{BOLD}{}{RESET}{}", &src[..end], &src[end..]);
    }
    let tokens = lexer::tokens(src);
    let mut out = String::with_capacity(src.len() * 2);
    for (i, t) in tokens.iter().enumerate() {
        let text = lexer::text(src, t);
        let next_is = |s: &str| {
            tokens[i + 1..]
                .iter()
                .find(|n| n.kind != Kind::Space)
                .is_some_and(|n| lexer::text(src, n) == s)
        };
        let code = match t.kind {
            Kind::Str { .. } => Some(STRING),
            Kind::Comment => Some(COMMENT),
            Kind::Number => Some(NUMBER),
            Kind::Ident if KEYWORDS.contains(&text) => Some(KEYWORD),
            Kind::Ident if next_is("::") => Some(MODULE),
            Kind::Ident if next_is("(") && is_function(text) => Some(FUNCTION),
            _ => None,
        };
        match code {
            Some(code) => {
                out.push_str(code);
                out.push_str(text);
                out.push_str(RESET);
            }
            None => out.push_str(text),
        }
    }
    out
}

/// The text without escape codes (what a person sees).
#[cfg(test)]
pub(crate) fn strip(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Style {
        /// No colour at all.
        pub(crate) fn plain() -> Style {
            Style { color: false }
        }
    }

    #[test]
    fn colours_tokens_without_changing_the_text() {
        let src = r#"let web = run("busybox", #{ports: [80]}); // go"#;
        let out = highlight(src, &|n| n == "run");
        assert_eq!(strip(&out), src);
        assert!(out.contains(&format!("{KEYWORD}let{RESET}")));
        assert!(out.contains(&format!("{FUNCTION}run{RESET}")));
        assert!(out.contains(&format!("{STRING}\"busybox\"{RESET}")));
        assert!(out.contains(&format!("{NUMBER}80{RESET}")));
        assert!(out.contains(&format!("{COMMENT}// go{RESET}")));
        let module = highlight("network::ls()", &|_| false);
        assert!(module.starts_with(&format!("{MODULE}network{RESET}")));
    }

    #[test]
    fn plain_style_adds_nothing() {
        let s = Style::plain();
        assert_eq!(s.code("let x = 1;"), "let x = 1;");
        assert_eq!(s.heading("checks"), "checks");
    }
}
