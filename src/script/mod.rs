//! The script layer: the Rhai engine with netrig's functions, one binding
//! module per domain, conversions from Rhai values to specs, and the
//! embedded standard library. No bollard types here.

pub mod batch;
pub mod checks;
pub mod compose;
pub mod container;
pub mod context;
pub mod convert;
pub mod error;
pub mod exit;
pub mod expect;
pub mod faults;
pub mod graph;
pub mod handles;
pub mod hosts;
pub mod image;
pub mod network;
pub mod run_networks;
pub mod sandbox;
pub mod service;
pub mod stdlib;
pub mod swarm;

use std::sync::Arc;

use rhai::{Dynamic, Engine, FuncRegistration, RhaiNativeFunc};

pub use context::{Interrupt, ScriptContext};
use error::{ScriptResult, invalid};

/// Operations one run (or one REPL input) may take: far beyond any real
/// scenario (they spend their time waiting for Docker, not computing), yet
/// a runaway `loop {}` stops within seconds.
pub const MAX_OPERATIONS: u64 = 200_000_000;

/// How deep script functions may call each other.
pub const MAX_CALL_LEVELS: usize = 128;

/// An engine with every netrig function registered, bound to `ctx`.
pub fn build_engine(ctx: Arc<ScriptContext>) -> Engine {
    let mut engine = Engine::new();
    // Generous limits that still stop runaway scripts before the machine does.
    engine
        .set_max_string_size(16 << 20)
        .set_max_array_size(1_000_000)
        .set_max_map_size(1_000_000)
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_operations(MAX_OPERATIONS)
        .set_max_expr_depths(128, 64);
    engine.set_module_resolver(
        stdlib::Resolver::new(ctx.base_dir.clone()).with_sandbox(ctx.sandbox.clone()),
    );

    let interrupt = ctx.interrupt.clone();
    engine.on_progress(move |_ops| {
        interrupt
            .stopped()
            .map(|stop| Dynamic::from(format!("stopped by {stop}")))
    });

    network::register(&mut engine, &ctx);
    container::register_all(&mut engine, &ctx);
    image::register_all(&mut engine, &ctx);
    checks::register_all(&mut engine, &ctx);
    graph::register_all(&mut engine, &ctx);
    faults::register_all(&mut engine, &ctx);
    expect::register_all(&mut engine);
    batch::register_all(&mut engine, &ctx);
    // Beyond one machine: swarm, services, other daemons (docker::connect).
    swarm::register(&mut engine, &ctx);
    service::register(&mut engine, &ctx);
    hosts::register_all(&mut engine, &ctx);
    engine
}

/// Registers a global function with its parameter names and doc comment
/// (shown by the REPL's `:help`). `params` ends with the return type.
pub fn register<A: 'static, const N: usize, const X: bool, R, const F: bool, FUNC>(
    engine: &mut Engine,
    name: &str,
    params: &[&str],
    doc: &str,
    f: FUNC,
) where
    R: std::any::Any + Clone + Send + Sync,
    FUNC: RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
{
    remember(name.to_string());
    registration(name, params, doc).register_into_engine(engine, f);
}

/// Like [`register`], into a module (`network::…`). Module functions should
/// wrap their result in [`error::at_call`] so errors carry the script position.
pub fn register_in<A: 'static, const N: usize, const X: bool, R, const F: bool, FUNC>(
    module: &mut rhai::Module,
    name: &str,
    params: &[&str],
    doc: &str,
    f: FUNC,
) where
    R: std::any::Any + Clone + Send + Sync,
    FUNC: RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
{
    registration(name, params, doc).set_into_module(module, f);
}

/// Every function name netrig registers (`ping`, `network::create`, and
/// the names of handle methods), for "did you mean" hints on typos. Filled
/// as engines are built; the set is the same for every engine.
static KNOWN_NAMES: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

fn remember(name: String) {
    KNOWN_NAMES
        .lock()
        .expect("known names poisoned")
        .insert(name);
}

/// Registers a module of functions under `name` (`network::…`), and
/// remembers its functions' qualified names for hints.
pub fn register_module(engine: &mut Engine, name: &str, module: rhai::Module) {
    for signature in module.gen_fn_signatures_with_mapper(std::borrow::Cow::Borrowed) {
        if let Some(f) = signature.split('(').next() {
            remember(format!("{name}::{}", f.trim()));
        }
    }
    engine.register_static_module(name, module.into());
}

/// What to add to "Function not found: NAME (…)": the closest netrig name
/// when NAME is a typo, or a pointer to the forms NAME takes when it exists
/// but not for those argument types.
pub fn name_hint(signature: &str) -> Option<String> {
    let name = signature.split([' ', '(']).next()?.trim();
    let known = KNOWN_NAMES.lock().expect("known names poisoned");
    if known.contains(name) {
        return Some(format!(
            "{name} exists, but not for these arguments (`:help {name}` in the REPL shows its forms)"
        ));
    }
    closest(name, known.iter().map(String::as_str)).map(|k| format!("did you mean {k}?"))
}

/// What to add to "Module not found: NAME": the closest of netrig's modules.
pub fn module_hint(name: &str) -> Option<String> {
    let known = KNOWN_NAMES.lock().expect("known names poisoned");
    let modules: std::collections::BTreeSet<&str> = known
        .iter()
        .filter_map(|k| k.split_once("::").map(|(m, _)| m))
        .collect();
    closest(name, modules.into_iter()).map(|m| format!("did you mean {m}::?"))
}

/// The candidate nearest to `name` within a few edits, if any.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

/// A function's name, parameter names and doc, as the REPL's help shows them.
fn registration(name: &str, params: &[&str], doc: &str) -> FuncRegistration {
    FuncRegistration::new(name)
        .with_params_info(params)
        .with_comments(doc_lines(doc))
}

/// Doc text → Rhai doc-comment lines (`/// …`).
pub fn doc_lines(doc: &str) -> Vec<String> {
    doc.lines()
        .map(|l| format!("/// {l}").trim_end().to_string())
        .collect()
}

/// A string argument, or an error naming the parameter.
pub fn string_arg(function: &str, param: &str, v: &Dynamic) -> ScriptResult<String> {
    v.clone().into_string().map_err(|_| {
        invalid(
            function,
            format!("{param} must be a string, got {}", convert::describe(v)),
        )
    })
}

/// Daemon JSON → a Rhai map with the same keys.
pub fn json_to_dynamic(function: &str, json: serde_json::Value) -> ScriptResult<Dynamic> {
    rhai::serde::to_dynamic(json).map_err(|e| invalid(function, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_nearest_name_and_known_names_a_pointer_to_their_forms() {
        remember("assert_reachable".into());
        remember("network::create".into());
        assert_eq!(
            name_hint("asert_reachable (i64)").as_deref(),
            Some("did you mean assert_reachable?")
        );
        assert_eq!(
            name_hint("network::craete (&str)").as_deref(),
            Some("did you mean network::create?")
        );
        assert!(
            name_hint("assert_reachable (i64)")
                .unwrap()
                .contains("exists, but not for these arguments")
        );
        // Far from every name: no guess.
        assert_eq!(name_hint("frobnicate ()"), None);
        assert_eq!(
            module_hint("netwrok").as_deref(),
            Some("did you mean network::?")
        );
        assert_eq!(module_hint("zzz"), None);
    }
}
