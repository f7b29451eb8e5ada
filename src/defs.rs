//! `netrig defs [DIR]`: Rhai definition files (`*.d.rhai`, the format the
//! Rhai language server reads) for every function, module and handle type
//! the engine knows, each with its doc comment, and the `params` map a
//! script starts with. Written by Rhai's own `Engine::definitions()`.

use std::path::{Path, PathBuf};

use rhai::{Engine, Scope};

/// Where `netrig defs` writes when given no directory.
pub(crate) const DEFAULT_DIR: &str = "netrig-defs";

/// The definition files for `engine` with the variables of `scope`, as
/// (file name, text) pairs: `__static__.d.rhai` (global functions and
/// handle methods), one file per module (`network.d.rhai`, …),
/// `__scope__.d.rhai` (`params`), and Rhai's own built-ins.
pub(crate) fn files(engine: &Engine, scope: &Scope) -> Vec<(String, String)> {
    engine
        .definitions_with_scope(scope)
        .iter_files()
        .map(|(name, text)| (name, tidy(&text)))
        .collect()
}

/// Writes [`files`] into `dir` (made if missing), replacing older ones;
/// returns the paths written.
pub(crate) fn write(engine: &Engine, scope: &Scope, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    files(engine, scope)
        .into_iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).map(|()| path)
        })
        .collect()
}

/// Rhai writes `-> ;` or `-> ();` for a function that returns nothing;
/// the definition syntax wants no arrow then.
fn tidy(text: &str) -> String {
    text.replace(") -> ;", ");").replace(") -> ();", ");")
}

/// One declaration of a definition file, as plain Rhai the engine's own
/// parser can check (the tests check every file this way): its doc comment above `fn name(a, b) {}`, types
/// dropped. `None` for what has no Rhai equivalent (operators, property
/// getters and setters, `module` headers, indexers).
#[cfg(test)]
pub(crate) fn as_script(doc: &[&str], declaration: &str) -> Option<String> {
    let rest = declaration.strip_prefix("fn ")?;
    let (name, rest) = rest.split_once('(')?;
    let name = name.trim();
    if !is_identifier(name) || matches!(name, "get" | "set") || rest.starts_with("this") {
        return None;
    }
    let params_text = rest.rsplit_once(')')?.0;
    let params: Vec<String> = split_top_level(params_text)
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.trim().is_empty())
        .map(|(i, p)| {
            let name = p.split(':').next().unwrap_or("").trim();
            // Rhai names unnamed parameters `_`, which a script cannot.
            if name == "_" || name.is_empty() {
                format!("arg{i}")
            } else {
                name.to_string()
            }
        })
        .collect();
    let mut script = String::new();
    for line in doc {
        script.push_str(line);
        script.push('\n');
    }
    script.push_str(&format!("fn {name}({}) {{}}\n", params.join(", ")));
    Some(script)
}

/// The declarations of a definition file: each with its doc-comment lines.
#[cfg(test)]
pub(crate) fn declarations(text: &str) -> Vec<(Vec<&str>, &str)> {
    let mut out = Vec::new();
    let mut doc = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with("///") {
            doc.push(line);
        } else if line.is_empty() {
            // A blank line between a doc comment and its item does not break them apart.
        } else {
            out.push((std::mem::take(&mut doc), line));
        }
    }
    out
}

#[cfg(test)]
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// `a: T, b: #{x: int, y: int}` split at the commas outside brackets.
#[cfg(test)]
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::{Client, ClientOptions, RunSession};
    use crate::repl::catalog::Catalog;
    use crate::rig::Rig;

    /// The engine a script runs with (as `netrig defs` builds it, with no
    /// daemon behind it), and its definition files.
    fn sample() -> (Engine, Vec<(String, String)>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let client = Client::detached(&ClientOptions::default()).unwrap();
        let rig = Rig::with_session(
            runtime.handle(),
            RunSession::new(client, "defs"),
            std::path::PathBuf::from("."),
            false,
        );
        let files = files(&rig.engine, &rig.scope());
        (rig.engine, files)
    }

    fn file<'a>(files: &'a [(String, String)], name: &str) -> &'a str {
        &files
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| {
                panic!(
                    "no {name} among {:?}",
                    files.iter().map(|f| &f.0).collect::<Vec<_>>()
                )
            })
            .1
    }

    #[test]
    fn every_function_is_declared_with_its_parameters_and_doc() {
        let (engine, files) = sample();
        let catalog = Catalog::from_engine(&engine);
        let netrig: Vec<_> = catalog.functions.iter().filter(|f| f.netrig).collect();
        let names: Vec<String> = netrig.iter().map(|f| f.qualified_name()).collect();
        for expected in [
            "run",
            "ping",
            "network::create",
            "swarm::init",
            "require",
            "env",
            "exit",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} among {names:?}"
            );
        }
        for f in netrig {
            let text = match &f.module {
                Some(m) => file(&files, &format!("{m}.d.rhai")),
                None => file(&files, "__static__.d.rhai"),
            };
            // Rhai spells some types its own way (`Map` → `map`): compare loosely.
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| {
                    // …writes a Dynamic `?`, as the definition syntax has it, and no `&mut`.
                    let ty =
                        p.ty.to_lowercase()
                            .replace("dynamic", "?")
                            .replace("&mut ", "");
                    format!("{}: {ty}", p.name.as_deref().unwrap_or("_")).to_lowercase()
                })
                .collect();
            let head = match f.property() {
                // A handle's property: `fn get name(_: Container) -> string;`.
                Some(prop) => format!("fn get {prop}({})", params.join(", ")),
                // `print(handle)` (the REPL's summary): Rhai writes it as an operator.
                None if f.name == "print" => "op print(".to_string(),
                None => format!("fn {}({})", f.name, params.join(", ")),
            };
            let found = declarations(text)
                .into_iter()
                .find(|(_, decl)| decl.to_lowercase().starts_with(&head))
                .unwrap_or_else(|| panic!("{head} is not declared:\n{text}"));
            let doc: Vec<String> = f
                .doc
                .iter()
                .map(|l| format!("/// {l}").trim_end().to_string())
                .collect();
            assert_eq!(found.0, doc, "{head} has its doc comment");
        }
        assert!(file(&files, "__scope__.d.rhai").contains("let params: map;"));
        assert!(
            !files.iter().any(|(_, t)| t.contains("-> ;")),
            "no empty return types"
        );
        assert!(
            !files.iter().any(|(_, t)| t.contains("EvalAltResult")),
            "no Rust types"
        );
    }

    #[test]
    fn rhai_parses_every_declaration_it_can() {
        let (_, files) = sample();
        let engine = Engine::new();
        let (mut parsed, mut skipped) = (0, 0);
        for (name, text) in &files {
            for (doc, decl) in declarations(text) {
                match as_script(&doc, decl) {
                    Some(script) => match engine.compile(&script) {
                        Ok(_) => parsed += 1,
                        // Rhai's own `print`, `type_of`, …: keywords, not functions a script declares.
                        Err(e) if matches!(e.err_type(), rhai::ParseErrorType::Reserved(_)) => {
                            skipped += 1;
                        }
                        Err(e) => panic!("{name}: {decl}: {e}\n{script}"),
                    },
                    None => skipped += 1,
                }
            }
        }
        assert!(
            parsed > 100 && skipped > 0,
            "parsed {parsed}, skipped {skipped}"
        );
    }

    #[test]
    fn declarations_become_plain_rhai() {
        assert_eq!(
            as_script(
                &["/// Ping."],
                "fn ping(from: Container|String, _: #{a: int, b: int}) -> map;"
            ),
            Some("/// Ping.\nfn ping(from, arg1) {}\n".into())
        );
        assert_eq!(as_script(&[], "fn get name(_: Container) -> string;"), None);
        assert_eq!(as_script(&[], "op +(int, int) -> int;"), None);
        assert_eq!(as_script(&[], "module static;"), None);
        let decls = declarations("module x;\n\n/// A.\n/// B.\n\nfn a() -> int;\nfn b();\n");
        assert_eq!(decls[1], (vec!["/// A.", "/// B."], "fn a() -> int;"));
        assert_eq!(decls[2], (vec![], "fn b();"));
    }
}
