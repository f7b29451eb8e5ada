//! The line editor's helper: completion, hints and highlighting for
//! rustyline, each delegating to the pure modules beside it.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rhai::Dynamic;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::catalog::{Catalog, FnDoc, folded_call};
use super::complete::{self, Request, Vocabulary};
use super::highlight::{Style, highlight};
use super::live::Daemon;
use super::session::Session;

/// Everything the editor asks about while a line is typed.
pub(crate) struct ReplHelper {
    vocab: Vocabulary,
    variables: Vec<(String, Dynamic)>,
    /// Signature hints per callee (`run`, `.ip`), folded (`run(image[, opts])`).
    signatures: HashMap<String, String>,
    daemon: Arc<Daemon>,
    style: Style,
    history: HistoryHinter,
    files: FilenameCompleter,
}

impl ReplHelper {
    /// A helper for `session`, asking `daemon` for live names.
    pub(crate) fn new(session: &Session, daemon: Arc<Daemon>) -> Self {
        let mut helper = ReplHelper {
            vocab: Vocabulary::default(),
            variables: Vec::new(),
            signatures: Default::default(),
            daemon,
            style: session.style,
            history: HistoryHinter::new(),
            files: FilenameCompleter::new(),
        };
        helper.refresh(session);
        helper
    }

    /// Takes in what the last line changed: variables, functions, modules.
    pub(crate) fn refresh(&mut self, session: &Session) {
        let meta: Vec<&str> = super::meta::COMMANDS.iter().map(|m| m.name).collect();
        self.vocab = Vocabulary::new(&session.catalog, &meta);
        self.vocab.set_user_functions(session.user_functions());
        self.variables = session.variables();
        self.signatures = signatures(&session.catalog);
        self.daemon.forget_names();
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if line.starts_with(":load ") || line.starts_with(":save ") {
            return self.files.complete(line, pos, ctx);
        }
        let names = || self.daemon.names();
        let (start, found) = complete::complete(
            &self.vocab,
            &Request {
                line,
                pos,
                variables: &self.variables,
                live: &names,
            },
        );
        Ok((
            start,
            found
                .into_iter()
                .map(|c| Pair {
                    display: c.display,
                    replacement: c.replacement,
                })
                .collect(),
        ))
    }
}

/// The folded signature of every callee: `run(image[, opts])` for calls,
/// `.ip([net])` for methods. A call leaves out the host methods
/// (`run(h, …)`); a method shows the receivers' own forms, a host's where
/// the name is a host's only (`.network_create(name[, opts])`).
fn signatures(catalog: &Catalog) -> HashMap<String, String> {
    let is_host = |f: &FnDoc| f.params.first().is_some_and(|p| p.ty == "Host");
    let mut calls: BTreeMap<String, Vec<&FnDoc>> = BTreeMap::new();
    let mut methods: BTreeMap<String, Vec<&FnDoc>> = BTreeMap::new();
    for f in catalog.functions.iter().filter(|f| f.is_callable()) {
        if !is_host(f) {
            calls.entry(f.qualified_name()).or_default().push(f);
        }
        if !f.receivers().is_empty() {
            methods.entry(format!(".{}", f.name)).or_default().push(f);
        }
    }
    let mut out = HashMap::new();
    for (name, overloads) in calls {
        out.insert(name.clone(), folded_call(&name, &overloads, false));
    }
    for (name, overloads) in methods {
        let own: Vec<&FnDoc> = overloads.iter().copied().filter(|f| !is_host(f)).collect();
        let shown = if own.is_empty() { overloads } else { own };
        out.insert(name.clone(), folded_call(&name, &shown, true));
    }
    out
}

/// A hint after the cursor: a call's signature (shown only) or the rest of
/// a history entry (Right arrow takes it).
pub(crate) struct ReplHint {
    display: String,
    completion: Option<String>,
}

impl rustyline::hint::Hint for ReplHint {
    fn display(&self) -> &str {
        &self.display
    }

    fn completion(&self) -> Option<&str> {
        self.completion.as_deref()
    }
}

impl Hinter for ReplHelper {
    type Hint = ReplHint;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<ReplHint> {
        if pos < line.len() || line.starts_with(':') {
            return None;
        }
        if let Some(callee) = complete::call_site(line).callee {
            let signature = self.signatures.get(&callee)?;
            return Some(ReplHint {
                display: format!("  ‹{signature}›"),
                completion: None,
            });
        }
        self.history.hint(line, pos, ctx).map(|rest| ReplHint {
            display: rest.clone(),
            completion: Some(rest),
        })
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.style.enabled() {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight(line, &|name| self.vocab.is_function(name)))
    }

    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        if self.style.enabled() {
            Cow::Owned(format!("\x1b[1;32m{prompt}\x1b[0m"))
        } else {
            Cow::Borrowed(prompt)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(self.style.dim(hint))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        // Colours depend on the whole line: repaint it on every edit.
        self.style.enabled() && kind != CmdKind::MoveCursor
    }
}

/// Every line is accepted as typed: an unfinished input goes on after a
/// `...` prompt (see `read_input` in the REPL's loop).
impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_methods_get_their_own_signature_hints() {
        let catalog = Catalog::from_engine(&crate::script::engine_without_docker());
        let hints = signatures(&catalog);
        for (callee, hint) in [
            ("run", "run(image[, opts])"),
            ("network::create", "network::create(name[, opts])"),
            ("ping", "ping(from, target[, count[, opts]])"),
            // Methods leave out the receiver; a host's only methods show the host's form.
            (".ip", ".ip([net])"),
            (".exec", ".exec(cmd[, opts])"),
            (".run", ".run(image[, opts])"),
            (".network_create", ".network_create(name[, opts])"),
        ] {
            assert_eq!(
                hints.get(callee).map(String::as_str),
                Some(hint),
                "{callee}"
            );
        }
    }
}
