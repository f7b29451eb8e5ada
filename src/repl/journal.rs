//! What `:save` writes: the inputs that succeeded, in order, as a script.
//!
//! An input that fails (or is interrupted) is not saved, yet it may have
//! bound variables or created containers before it stopped — they stay in
//! the session. A later input that uses them would fail on replay
//! ("Variable not found"). So the journal also remembers, for each failed
//! input, what it left behind, and for each successful one what it bound
//! and created: `:save` refuses, naming the inputs, when a saved input uses
//! something only a failed input made, and otherwise notes the failed
//! input in a comment.

use super::input;
use super::lexer::{self, Kind};

/// One input and what it changed in the session.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// `in[3]`, or the path of a `:load`ed file.
    pub(crate) name: String,
    /// The text as written to the script.
    pub(crate) source: String,
    /// It succeeded (and is saved).
    pub(crate) ok: bool,
    /// Variables it bound (new entries in the scope).
    pub(crate) variables: Vec<String>,
    /// Resources it created: `(kind, name)`, e.g. `("network", "lan")`.
    pub(crate) created: Vec<(String, String)>,
}

/// The session's inputs for `:save`.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: Vec<Entry>,
}

/// Something a failed input left that a saved input uses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Missing {
    user: String,
    maker: String,
    what: String,
}

impl Journal {
    /// Records an input. A failed one is kept only if it left something.
    pub(crate) fn record(&mut self, entry: Entry) {
        if entry.ok || !entry.variables.is_empty() || !entry.created.is_empty() {
            self.entries.push(entry);
        }
    }

    /// How many inputs a saved script holds.
    pub(crate) fn saved(&self) -> usize {
        self.entries.iter().filter(|e| e.ok).count()
    }

    /// The script `netrig run` replays, or why there is none: the inputs
    /// that use what a failed input left behind.
    pub(crate) fn script(&self) -> Result<String, String> {
        let missing = self.missing();
        if !missing.is_empty() {
            return Err(refusal(&missing));
        }
        let mut text =
            String::from("// Saved from a netrig REPL session: its successful inputs, in order.\n");
        for entry in &self.entries {
            if entry.ok {
                text.push_str(&input::as_statement(&entry.source));
            } else {
                text.push_str(&format!(
                    "// {} failed and is not saved; it left {} in the session, unused below.",
                    entry.name,
                    things(entry).join(", ")
                ));
            }
            text.push('\n');
        }
        Ok(text)
    }

    /// Each use by a saved input of a variable or resource that only a
    /// failed input made (one not made again by a saved input in between).
    fn missing(&self) -> Vec<Missing> {
        let mut out = Vec::new();
        for (i, lost) in self.entries.iter().enumerate().filter(|(_, e)| !e.ok) {
            let later = self.entries[i + 1..].iter().filter(|e| e.ok);
            for var in &lost.variables {
                for entry in later.clone() {
                    // Bound again (`let x = …` shadows): later inputs use that one.
                    if binds(&entry.source, var) {
                        break;
                    }
                    if uses_variable(&entry.source, var) {
                        out.push(Missing {
                            user: entry.name.clone(),
                            maker: lost.name.clone(),
                            what: format!("variable `{var}`"),
                        });
                        break;
                    }
                }
            }
            for (kind, name) in &lost.created {
                for entry in later.clone() {
                    if entry.created.iter().any(|(_, n)| n == name) {
                        break;
                    }
                    if entry.source.contains(&format!("\"{name}\"")) {
                        out.push(Missing {
                            user: entry.name.clone(),
                            maker: lost.name.clone(),
                            what: format!("{kind} {name}"),
                        });
                        break;
                    }
                }
            }
        }
        out
    }
}

/// What a failed input left, for people: `variable `net``, `network lan`.
fn things(entry: &Entry) -> Vec<String> {
    entry
        .variables
        .iter()
        .map(|v| format!("variable `{v}`"))
        .chain(entry.created.iter().map(|(k, n)| format!("{k} {n}")))
        .collect()
}

/// The explanation `:save` gives instead of a script that would not replay.
fn refusal(missing: &[Missing]) -> String {
    let mut text = String::from("not saved: the script would not replay.");
    for m in missing {
        text.push_str(&format!(
            "\n  {} uses {}, which {} made before it failed; a failed input is not saved.",
            m.user, m.what, m.maker
        ));
    }
    let mut makers: Vec<&str> = missing.iter().map(|m| m.maker.as_str()).collect();
    makers.dedup();
    text.push_str(&format!(
        "\n  Redo what {} should have done in an input that succeeds (`:clean` frees names \
         already taken), then :save again.",
        makers.join(" and ")
    ));
    text
}

/// Identifier tokens of `src`, each with the tokens before and after it
/// (spaces and comments skipped).
fn names(src: &str) -> Vec<(Option<&str>, &str, Option<&str>)> {
    let tokens: Vec<_> = lexer::tokens(src)
        .into_iter()
        .filter(|t| !matches!(t.kind, Kind::Space | Kind::Comment))
        .collect();
    let text = |i: usize| tokens.get(i).map(|t| lexer::text(src, t));
    tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind == Kind::Ident)
        .map(|(i, t)| {
            let before = i.checked_sub(1).and_then(text);
            (before, lexer::text(src, t), text(i + 1))
        })
        .collect()
}

/// `src` has `let var` or `const var`.
fn binds(src: &str, var: &str) -> bool {
    names(src)
        .iter()
        .any(|(before, name, _)| *name == var && matches!(before, Some("let" | "const")))
}

/// `src` names `var` (not as a property `x.var`, a module `var::f`, a
/// map key `#{var: 1}` or a function `fn var`).
fn uses_variable(src: &str, var: &str) -> bool {
    names(src).iter().any(|(before, name, after)| {
        *name == var
            && !matches!(before, Some("." | "::" | "?." | "fn"))
            && !matches!(after, Some("::" | ":"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, source: &str, ok: bool, variables: &[&str]) -> Entry {
        Entry {
            name: name.into(),
            source: source.into(),
            ok,
            variables: variables.iter().map(|v| v.to_string()).collect(),
            created: vec![],
        }
    }

    #[test]
    fn a_variable_only_a_failed_input_bound_refuses_naming_both() {
        let mut j = Journal::default();
        j.record(entry(
            "in[1]",
            "let net = network::create(\"n\"); run(\"nosuch\")",
            false,
            &["net"],
        ));
        j.record(entry("in[2]", "let x = 1", true, &["x"]));
        j.record(entry(
            "in[3]",
            "run(\"busybox\", #{network: net})",
            true,
            &[],
        ));
        let why = j.script().unwrap_err();
        assert!(
            why.contains("in[3] uses variable `net`, which in[1] made"),
            "{why}"
        );
    }

    #[test]
    fn rebinding_or_not_using_it_saves() {
        let mut j = Journal::default();
        j.record(entry("in[1]", "let net = 1; boom()", false, &["net"]));
        j.record(entry("in[2]", "let y = web.net; net::x()", true, &["y"]));
        j.record(entry("in[3]", "let net = 2", true, &["net"]));
        j.record(entry("in[4]", "net + 1", true, &[]));
        j.record(entry("in[5]", "nosuch()", false, &[]));
        let script = j.script().unwrap();
        assert!(
            script.contains("// in[1] failed and is not saved"),
            "{script}"
        );
        assert!(
            !script.contains("in[5]") && !script.contains("boom"),
            "{script}"
        );
        assert_eq!(j.saved(), 3);
    }

    #[test]
    fn a_resource_used_by_name_refuses_unless_made_again() {
        let mut j = Journal::default();
        let mut lost = entry("in[1]", "network::create(\"lan\"); boom()", false, &[]);
        lost.created = vec![("network".into(), "lan".into())];
        j.record(lost);
        j.record(entry("in[2]", "network::inspect(\"lan\")", true, &[]));
        assert!(j.script().unwrap_err().contains("network lan"));

        let mut j2 = Journal::default();
        let mut lost = entry("in[1]", "network::create(\"lan\"); boom()", false, &[]);
        lost.created = vec![("network".into(), "lan".into())];
        j2.record(lost);
        let mut again = entry("in[2]", "network::create(\"lan\")", true, &[]);
        again.created = vec![("network".into(), "lan".into())];
        j2.record(again);
        j2.record(entry("in[3]", "network::inspect(\"lan\")", true, &[]));
        assert!(j2.script().is_ok());
    }
}
