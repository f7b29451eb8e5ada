//! What Tab offers where the cursor is: functions and variables for a bare
//! word, `network::…` after a module name, methods and properties after
//! `handle.`, map keys after `map.`, meta commands after `:`, and the
//! daemon's live container and network names inside a string argument.
//! Pure logic over a [`Vocabulary`]; the daemon's names come in through
//! a function so this file never talks to Docker.

use std::collections::{BTreeMap, BTreeSet};

use rhai::{Dynamic, Map};

use super::catalog::{Catalog, Param};
use super::lexer::{self, KEYWORDS, Kind};
use crate::script::handles::{ContainerHandle, NetworkHandle};

/// One thing Tab can insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// What the list shows.
    pub(crate) display: String,
    /// What goes into the line.
    pub(crate) replacement: String,
}

impl Candidate {
    fn new(display: impl Into<String>, replacement: impl Into<String>) -> Self {
        Candidate {
            display: display.into(),
            replacement: replacement.into(),
        }
    }
}

/// Containers and networks on the daemon right now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LiveNames {
    /// Container names.
    pub(crate) containers: Vec<String>,
    /// Network names.
    pub(crate) networks: Vec<String>,
}

/// Which live names fit a string argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// A container parameter.
    Containers,
    /// A network parameter.
    Networks,
    /// Either (or we cannot tell).
    Both,
}

/// The names completion knows, built from the catalog.
#[derive(Debug, Clone, Default)]
pub(crate) struct Vocabulary {
    /// Global functions, netrig's and Rhai's.
    globals: BTreeSet<String>,
    /// netrig's own global functions (listed before Rhai's).
    netrig: BTreeSet<String>,
    /// Functions the session defined with `fn`.
    user: BTreeSet<String>,
    /// Module name → its function names.
    modules: BTreeMap<String, BTreeSet<String>>,
    /// Receiver type → method names.
    methods: BTreeMap<&'static str, BTreeSet<String>>,
    /// Receiver type → property names.
    properties: BTreeMap<&'static str, BTreeSet<String>>,
    /// Callee (`run`, `network::create`) → its overloads' parameters.
    params: BTreeMap<String, Vec<Vec<Param>>>,
    /// Meta command names, without the `:`.
    meta: Vec<String>,
}

impl Vocabulary {
    /// Names from the catalog, plus the meta commands.
    pub(crate) fn new(catalog: &Catalog, meta: &[&str]) -> Self {
        let mut v = Vocabulary {
            meta: meta.iter().map(|m| m.to_string()).collect(),
            ..Default::default()
        };
        for f in &catalog.functions {
            if let Some(prop) = f.property() {
                for r in f.receivers() {
                    v.properties.entry(r).or_default().insert(prop.to_string());
                }
                continue;
            }
            if !f.is_callable() {
                continue;
            }
            v.params
                .entry(f.qualified_name())
                .or_default()
                .push(f.params.clone());
            match &f.module {
                Some(m) => {
                    v.modules
                        .entry(m.clone())
                        .or_default()
                        .insert(f.name.clone());
                }
                None => {
                    // A host handle's method (`h.network_create(…)`) is no global.
                    if f.params.first().is_none_or(|p| p.ty != "Host") {
                        v.globals.insert(f.name.clone());
                        if f.netrig {
                            v.netrig.insert(f.name.clone());
                        }
                    }
                    for r in f.receivers() {
                        v.methods.entry(r).or_default().insert(f.name.clone());
                    }
                }
            }
        }
        v
    }

    /// Replaces the functions the session defined.
    pub(crate) fn set_user_functions(&mut self, names: impl IntoIterator<Item = String>) {
        self.user = names.into_iter().collect();
    }

    /// Whether `name` is a function (for colouring calls).
    pub(crate) fn is_function(&self, name: &str) -> bool {
        self.globals.contains(name) || self.user.contains(name)
    }

    /// The overloads' parameters of `callee` (`run`, `network::create`, `.ip`).
    pub(crate) fn params_of(&self, callee: &str) -> Option<&Vec<Vec<Param>>> {
        self.params.get(callee.trim_start_matches('.'))
    }
}

/// What the text before the cursor is in the middle of.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct CallSite {
    /// The innermost call: `run`, `network::create`, or `.connect` for a method.
    pub(crate) callee: Option<String>,
    /// Which argument of it (0-based; a method's receiver is not counted).
    pub(crate) arg: usize,
    /// The key being given a value, when inside `#{key: …`.
    pub(crate) map_key: Option<String>,
}

/// Finds the innermost call and map key around the end of `before`.
pub(crate) fn call_site(before: &str) -> CallSite {
    #[derive(Debug)]
    enum Frame {
        Call { callee: String, arg: usize },
        Map { key: Option<String> },
        Other,
    }
    let tokens: Vec<_> = lexer::tokens(before)
        .into_iter()
        .filter(|t| !matches!(t.kind, Kind::Space | Kind::Comment))
        .collect();
    let mut stack: Vec<Frame> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let text = lexer::text(before, t);
        let prev = |back: usize| {
            i.checked_sub(back)
                .map(|j| (tokens[j].kind, lexer::text(before, &tokens[j])))
        };
        match (t.kind, text) {
            (Kind::Punct, "(") => {
                let callee = match (prev(1), prev(2), prev(3)) {
                    (Some((Kind::Ident, name)), Some((_, "::")), Some((Kind::Ident, module))) => {
                        format!("{module}::{name}")
                    }
                    (Some((Kind::Ident, name)), Some((_, ".")), _) => format!(".{name}"),
                    (Some((Kind::Ident, name)), _, _) if !KEYWORDS.contains(&name) => {
                        name.to_string()
                    }
                    _ => String::new(),
                };
                stack.push(Frame::Call { callee, arg: 0 });
            }
            (Kind::Punct, "#{") => stack.push(Frame::Map { key: None }),
            (Kind::Punct, "[" | "{") => stack.push(Frame::Other),
            (Kind::Punct, ")" | "]" | "}") => {
                stack.pop();
            }
            (Kind::Punct, ",") => match stack.last_mut() {
                Some(Frame::Call { arg, .. }) => *arg += 1,
                Some(Frame::Map { key }) => *key = None,
                _ => {}
            },
            (Kind::Punct, ":") => {
                if let (Some(Frame::Map { key }), Some((Kind::Ident | Kind::Str { .. }, k))) =
                    (stack.last_mut(), prev(1))
                {
                    *key = Some(k.trim_matches('"').to_string());
                }
            }
            _ => {}
        }
    }
    let mut site = CallSite::default();
    for frame in stack.iter().rev() {
        match frame {
            Frame::Map { key } if site.map_key.is_none() && site.callee.is_none() => {
                site.map_key = key.clone();
            }
            Frame::Call { callee, arg } if !callee.is_empty() => {
                site.callee = Some(callee.clone());
                site.arg = *arg;
                break;
            }
            _ => {}
        }
    }
    site
}

/// Which live names fit where the cursor is.
pub(crate) fn wanted(vocab: &Vocabulary, site: &CallSite) -> Wanted {
    if let Some(key) = &site.map_key {
        return match key.as_str() {
            "network" | "networks" => Wanted::Networks,
            _ => Wanted::Both,
        };
    }
    let Some(callee) = &site.callee else {
        return Wanted::Both;
    };
    // A method's receiver is its first parameter.
    let index = site.arg + usize::from(callee.starts_with('.'));
    let types: String = vocab
        .params_of(callee)
        .map(|overloads| {
            overloads
                .iter()
                .filter_map(|params| params.get(index))
                .map(|p| p.ty.clone())
                .collect::<Vec<_>>()
                .join("|")
        })
        .unwrap_or_default();
    match (types.contains("Container"), types.contains("Network")) {
        (true, false) => Wanted::Containers,
        (false, true) => Wanted::Networks,
        _ => Wanted::Both,
    }
}

/// The receiver type of a value, as the vocabulary names types.
fn type_of(v: &Dynamic) -> Option<&'static str> {
    if v.is::<ContainerHandle>() {
        Some("Container")
    } else if v.is::<NetworkHandle>() {
        Some("Network")
    } else if v.is::<crate::script::hosts::HostHandle>() {
        Some("Host")
    } else if v.is::<crate::script::service::ServiceHandle>() {
        Some("Service")
    } else if v.is_map() {
        Some("Map")
    } else if v.is_array() {
        Some("Array")
    } else if v.is_string() {
        Some("String")
    } else {
        None
    }
}

/// What the completer needs from the session.
pub(crate) struct Request<'a> {
    /// The whole input.
    pub(crate) line: &'a str,
    /// Cursor byte offset.
    pub(crate) pos: usize,
    /// The session's variables and their values.
    pub(crate) variables: &'a [(String, Dynamic)],
    /// The daemon's names (cached by the caller).
    pub(crate) live: &'a dyn Fn() -> LiveNames,
}

/// Where the replaced text starts, and the candidates.
/// A `(` typed after the cursor is not added again: `ru|(` + Tab gives `run(`.
pub(crate) fn complete(vocab: &Vocabulary, req: &Request) -> (usize, Vec<Candidate>) {
    let (start, mut found) = candidates(vocab, req);
    if req.line[req.pos..].starts_with('(') {
        for c in &mut found {
            if let Some(name) = c.replacement.strip_suffix('(') {
                c.replacement = name.to_string();
            }
        }
    }
    (start, found)
}

fn candidates(vocab: &Vocabulary, req: &Request) -> (usize, Vec<Candidate>) {
    let before = &req.line[..req.pos];

    // Meta commands: `:he` → `:help`.
    if let Some(name) = before.strip_prefix(':')
        && !name.contains(char::is_whitespace)
    {
        let found = vocab
            .meta
            .iter()
            .filter(|m| m.starts_with(name))
            .map(|m| Candidate::new(format!(":{m}"), format!("{m} ")))
            .collect();
        return (1, found);
    }
    // `:help net` → function names.
    if let Some(word) = before.strip_prefix(":help ") {
        let word = word.trim_start();
        let start = req.pos - word.len();
        let mut names: BTreeSet<String> = vocab
            .modules
            .iter()
            .flat_map(|(m, fs)| fs.iter().map(move |f| format!("{m}::{f}")))
            .collect();
        names.extend(vocab.globals.iter().cloned());
        names.extend(vocab.meta.iter().map(|m| format!(":{m}")));
        let found = names
            .into_iter()
            .filter(|n| n.starts_with(word))
            .map(|n| Candidate::new(n.clone(), n))
            .collect();
        return (start, found);
    }

    // Inside a string: the daemon's names.
    if let Some(tok) = lexer::tokens(req.line).into_iter().find(|t| {
        matches!(t.kind, Kind::Str { .. })
            && t.start < req.pos
            && (req.pos < t.end || t.kind == (Kind::Str { closed: false }) && req.pos == t.end)
    }) {
        let quote = &req.line[tok.start..tok.start + 1];
        let prefix = &req.line[tok.start + 1..req.pos];
        let close = if tok.kind == (Kind::Str { closed: false }) {
            quote
        } else {
            ""
        };
        let live = (req.live)();
        let names: Vec<&String> = match wanted(vocab, &call_site(&req.line[..tok.start])) {
            Wanted::Containers => live.containers.iter().collect(),
            Wanted::Networks => live.networks.iter().collect(),
            Wanted::Both => live.containers.iter().chain(&live.networks).collect(),
        };
        let mut seen = BTreeSet::new();
        let found = names
            .into_iter()
            .filter(|n| n.starts_with(prefix) && seen.insert(n.as_str()))
            .map(|n| Candidate::new(n.clone(), format!("{n}{close}")))
            .collect();
        return (tok.start + 1, found);
    }

    let word_start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '.'))
        .map(|i| i + before[i..].chars().next().map_or(1, char::len_utf8))
        .unwrap_or(0);
    let word = &before[word_start..];
    if word.starts_with(|c: char| c.is_ascii_digit()) {
        return (req.pos, Vec::new());
    }

    // `network::cr` → `network::create(`.
    if let Some((module, prefix)) = word.rsplit_once("::") {
        let found = vocab
            .modules
            .get(module)
            .into_iter()
            .flatten()
            .filter(|f| f.starts_with(prefix))
            .map(|f| Candidate::new(f.clone(), format!("{f}(")))
            .collect();
        return (req.pos - prefix.len(), found);
    }

    // `web.i` → `web.ip(`; `info.IP` → `info.IPAM`.
    if let Some((path, prefix)) = word.rsplit_once('.') {
        return (
            req.pos - prefix.len(),
            members(vocab, req.variables, path, prefix),
        );
    }

    // A bare word: variables, modules, functions, keywords.
    let mut found: Vec<Candidate> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut add = |display: &str, replacement: String| {
        if display.starts_with(word) && seen.insert(display.to_string()) {
            found.push(Candidate::new(display, replacement));
        }
    };
    for (name, _) in req.variables {
        add(name, name.clone());
    }
    for m in vocab.modules.keys() {
        add(&format!("{m}::"), format!("{m}::"));
    }
    for f in vocab.netrig.iter().chain(&vocab.user).chain(&vocab.globals) {
        add(f, format!("{f}("));
    }
    for k in KEYWORDS {
        add(k, k.to_string());
    }
    (word_start, found)
}

/// Members of the value at `path` (`web`, `info.IPAM`): map keys,
/// properties and methods of its type. An unknown receiver gets netrig's
/// handle members, the likeliest thing to be there.
fn members(
    vocab: &Vocabulary,
    variables: &[(String, Dynamic)],
    path: &str,
    prefix: &str,
) -> Vec<Candidate> {
    let value = resolve(variables, path);
    let types: Vec<&str> = match value.as_ref().and_then(type_of) {
        Some(t) => vec![t],
        None => vec!["Container", "Network"],
    };
    let mut found = Vec::new();
    let mut seen = BTreeSet::new();
    let mut add = |display: &str, replacement: String| {
        if display.starts_with(prefix) && seen.insert(display.to_string()) {
            found.push(Candidate::new(display, replacement));
        }
    };
    if let Some(map) = value.as_ref().and_then(|v| v.read_lock::<Map>()) {
        for k in map.keys() {
            add(k, k.to_string());
        }
    }
    for t in &types {
        for p in vocab.properties.get(t).into_iter().flatten() {
            add(p, p.clone());
        }
        for m in vocab.methods.get(t).into_iter().flatten() {
            add(m, format!("{m}("));
        }
    }
    found
}

/// The value of `a.b.c` from the session's variables (map keys after the first).
fn resolve(variables: &[(String, Dynamic)], path: &str) -> Option<Dynamic> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut value = variables
        .iter()
        .rev()
        .find(|(n, _)| n == first)
        .map(|(_, v)| v.clone())?;
    for key in parts {
        let next = value.read_lock::<Map>()?.get(key)?.clone();
        value = next;
    }
    Some(value)
}

#[cfg(test)]
#[path = "complete_tests.rs"]
mod tests;
