//! A forgiving tokenizer for one REPL input: enough of Rhai's lexical
//! structure (strings, comments, numbers, names, punctuation) to colour a
//! line, find where the cursor is for completion, and spot `import`s.
//! Unlike Rhai's own lexer it never fails: an open string or comment simply
//! runs to the end of the input, which is what a half-typed line looks like.

/// What a piece of input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `"…"`, `` `…` `` or `'c'`; `closed` is false when it runs to the end.
    Str {
        /// The closing quote is there.
        closed: bool,
    },
    /// `// …` or `/* … */`.
    Comment,
    /// `42`, `0.5`, `0xff`.
    Number,
    /// A name or keyword.
    Ident,
    /// Anything else that is not space: `(`, `::`, `.`, `#{`, `+`, …
    Punct,
    /// Spaces and newlines.
    Space,
}

/// One token: its kind and byte range in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    /// What it is.
    pub(crate) kind: Kind,
    /// Byte offset of its first character.
    pub(crate) start: usize,
    /// Byte offset just past it.
    pub(crate) end: usize,
}

/// Rhai's keywords (and the literals `true` / `false`).
pub(crate) const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "switch", "do", "while", "until", "loop", "for", "in",
    "break", "continue", "return", "throw", "try", "catch", "import", "export", "as", "private",
    "this", "global", "true", "false",
];

/// Splits `src` into tokens covering every byte.
pub(crate) fn tokens(src: &str) -> Vec<Token> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = src[i..].chars().next().unwrap_or(' ');
        let kind = match c {
            '"' | '`' | '\'' => {
                let (end, closed) = string_end(src, i, c);
                i = end;
                Kind::Str { closed }
            }
            '/' if bytes.get(i + 1) == Some(&b'/') => {
                i = src[i..].find('\n').map(|n| i + n).unwrap_or(src.len());
                Kind::Comment
            }
            '/' if bytes.get(i + 1) == Some(&b'*') => {
                i = src[i + 2..]
                    .find("*/")
                    .map(|n| i + 2 + n + 2)
                    .unwrap_or(src.len());
                Kind::Comment
            }
            c if c.is_ascii_digit() => {
                i += src[i..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                    .unwrap_or(src.len() - i);
                // `1.to_string()`: a dot followed by a letter is a method call.
                if let Some(dot) = src[start..i].find('.')
                    && src[start + dot + 1..i]
                        .chars()
                        .next()
                        .is_some_and(|c| !c.is_ascii_digit())
                {
                    i = start + dot;
                }
                Kind::Number
            }
            c if c.is_alphabetic() || c == '_' => {
                i += src[i..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(src.len() - i);
                Kind::Ident
            }
            c if c.is_whitespace() => {
                i += src[i..]
                    .find(|c: char| !c.is_whitespace())
                    .unwrap_or(src.len() - i);
                Kind::Space
            }
            _ => {
                // `::` and `#{` are one token each; everything else one character.
                let two = src.get(i..i + 2);
                i += if matches!(two, Some("::" | "#{")) {
                    2
                } else {
                    c.len_utf8()
                };
                Kind::Punct
            }
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out
}

/// End of the string starting at `start` with `quote`, and whether it closed.
/// Backslash escapes apply in `"…"` and `'…'`; a backtick string may span
/// lines, a quoted one ends at a newline unless it is escaped.
fn string_end(src: &str, start: usize, quote: char) -> (usize, bool) {
    let mut chars = src[start + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        let at = start + 1 + k;
        match c {
            '\\' if quote != '`' => {
                chars.next();
            }
            '\n' if quote != '`' => return (at, false),
            c if c == quote => return (at + 1, true),
            _ => {}
        }
    }
    (src.len(), false)
}

/// The text of a token.
pub(crate) fn text<'a>(src: &'a str, t: &Token) -> &'a str {
    &src[t.start..t.end]
}

/// `import "path" as alias` statements in `src`, as `(path, alias)`.
pub(crate) fn imports(src: &str) -> Vec<(String, String)> {
    let toks: Vec<Token> = tokens(src)
        .into_iter()
        .filter(|t| !matches!(t.kind, Kind::Space | Kind::Comment))
        .collect();
    toks.windows(4)
        .filter_map(|w| {
            let [import, path, as_kw, alias] = w else {
                return None;
            };
            (text(src, import) == "import"
                && path.kind == (Kind::Str { closed: true })
                && text(src, as_kw) == "as"
                && alias.kind == Kind::Ident)
                .then(|| {
                    let p = text(src, path);
                    (p[1..p.len() - 1].to_string(), text(src, alias).to_string())
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, &str)> {
        tokens(src)
            .iter()
            .filter(|t| t.kind != Kind::Space)
            .map(|t| (t.kind, text(src, t)))
            .collect()
    }

    #[test]
    fn names_strings_and_punctuation() {
        assert_eq!(
            kinds(r#"network::create("my_net", #{internal: true}) // x"#),
            vec![
                (Kind::Ident, "network"),
                (Kind::Punct, "::"),
                (Kind::Ident, "create"),
                (Kind::Punct, "("),
                (Kind::Str { closed: true }, "\"my_net\""),
                (Kind::Punct, ","),
                (Kind::Punct, "#{"),
                (Kind::Ident, "internal"),
                (Kind::Punct, ":"),
                (Kind::Ident, "true"),
                (Kind::Punct, "}"),
                (Kind::Punct, ")"),
                (Kind::Comment, "// x"),
            ]
        );
    }

    #[test]
    fn open_strings_run_to_the_end() {
        assert_eq!(
            kinds(r#"exec("we"#).last(),
            Some(&(Kind::Str { closed: false }, "\"we"))
        );
        assert_eq!(
            kinds("let s = `two\nlines`;")[3],
            (Kind::Str { closed: true }, "`two\nlines`")
        );
        assert_eq!(
            kinds(r#""a \" b" + 1"#)[0],
            (Kind::Str { closed: true }, r#""a \" b""#)
        );
    }

    #[test]
    fn numbers_stop_before_method_calls() {
        assert_eq!(
            kinds("1.5 + 2.to_string()"),
            vec![
                (Kind::Number, "1.5"),
                (Kind::Punct, "+"),
                (Kind::Number, "2"),
                (Kind::Punct, "."),
                (Kind::Ident, "to_string"),
                (Kind::Punct, "("),
                (Kind::Punct, ")"),
            ]
        );
    }

    #[test]
    fn finds_imports() {
        assert_eq!(
            imports(r#"import "std/reach" as reach; let x = 1; import "lib" as l"#),
            vec![
                ("std/reach".to_string(), "reach".to_string()),
                ("lib".to_string(), "l".to_string())
            ]
        );
        assert!(imports(r#"let s = "import \"x\" as y";"#).is_empty());
    }
}
