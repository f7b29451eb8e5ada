//! The script layer: the Rhai engine with netrig's functions, one binding
//! module per domain, conversions from Rhai values to specs, and the
//! embedded standard library. No bollard types here.

pub(crate) mod api;
pub(crate) mod batch;
pub(crate) mod body;
pub(crate) mod call;
pub(crate) mod capture;
pub(crate) mod checks;
pub(crate) mod cidr;
pub(crate) mod compose;
pub(crate) mod container;
pub(crate) mod context;
pub(crate) mod convert;
pub(crate) mod error;
pub(crate) mod exit;
pub(crate) mod expect;
pub(crate) mod faults;
pub(crate) mod graph;
pub(crate) mod handles;
pub(crate) mod hosts;
pub(crate) mod image;
pub(crate) mod network;
pub(crate) mod params;
pub(crate) mod probe_batch;
pub(crate) mod probe_maps;
pub(crate) mod probe_side;
pub(crate) mod probes;
pub(crate) mod run_networks;
pub(crate) mod sandbox;
pub(crate) mod service;
pub(crate) mod shell;
pub(crate) mod stdlib;
pub(crate) mod swarm;

use std::sync::Arc;

use rhai::{Dynamic, Engine, FuncRegistration, RhaiNativeFunc};

pub(crate) use api::{is_known, module_hint, name_hint};
pub(crate) use context::ScriptContext;
use error::{ScriptResult, invalid};

/// Operations one run (or one REPL input) may take: far beyond any real
/// scenario (they spend their time waiting for Docker, not computing), yet
/// a runaway `loop {}` stops within seconds.
pub(crate) const MAX_OPERATIONS: u64 = 200_000_000;

/// How deep script functions may call each other.
pub(crate) const MAX_CALL_LEVELS: usize = 128;

/// An engine with every netrig function registered, bound to `ctx`.
pub(crate) fn build_engine(ctx: Arc<ScriptContext>) -> Engine {
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

    register_netrig(&mut engine, Some(&ctx));
    engine
}

/// netrig's handle types and functions, bound to the default daemon `ctx`
/// (`None`: an engine for tests that only read the metadata).
fn register_netrig(engine: &mut Engine, ctx: Option<&Arc<ScriptContext>>) {
    handles::register_types(engine);
    hosts::register_types(engine);
    service::register_types(engine);
    capture::register_types(engine);
    api::install(engine, ctx, &functions());
}

/// Every script function netrig defines, one entry each (see `api.rs`).
pub(crate) fn functions() -> Vec<api::Function> {
    let mut api = api::Api::default();
    container::functions(&mut api);
    network::functions(&mut api);
    image::functions(&mut api);
    checks::functions(&mut api);
    probes::functions(&mut api);
    probe_batch::functions(&mut api);
    batch::functions(&mut api);
    graph::functions(&mut api);
    faults::functions(&mut api);
    expect::functions(&mut api);
    compose::functions(&mut api);
    // Observe: packet captures.
    capture::functions(&mut api);
    // Input from the command line and the environment: params.require, env.
    params::functions(&mut api);
    // Beyond one machine: swarm, services, other daemons (docker::connect).
    swarm::functions(&mut api);
    service::functions(&mut api);
    hosts::functions(&mut api);
    api.into_functions()
}

/// Registers a global function with its parameter names and doc comment
/// (shown by the REPL's `:help`). `params` ends with the return type. For
/// functions outside the script layer (the runner's `exit`); script
/// functions are defined in `api.rs` style instead.
pub(crate) fn register<A: 'static, const N: usize, const X: bool, R, const F: bool, FUNC>(
    engine: &mut Engine,
    name: &str,
    params: &[&str],
    doc: &str,
    f: FUNC,
) where
    R: std::any::Any + Clone + Send + Sync,
    FUNC: RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
{
    api::remember(name.to_string());
    registration(name, params, doc).register_into_engine(engine, f);
}

/// A function's name, parameter names and doc, as the REPL's help shows them.
fn registration(name: &str, params: &[&str], doc: &str) -> FuncRegistration {
    FuncRegistration::new(name)
        .with_params_info(params)
        .with_comments(doc_lines(doc))
}

/// Doc text → Rhai doc-comment lines (`/// …`).
pub(crate) fn doc_lines(doc: &str) -> Vec<String> {
    doc.lines()
        .map(|l| format!("/// {l}").trim_end().to_string())
        .collect()
}

/// Daemon JSON → a Rhai map with the same keys.
pub(crate) fn json_to_dynamic(function: &str, json: serde_json::Value) -> ScriptResult<Dynamic> {
    rhai::serde::to_dynamic(json).map_err(|e| invalid(function, e.to_string()))
}

/// An engine with every netrig function registered but no daemon behind
/// it: for tests that read the registered metadata (`:help`, completion).
#[cfg(test)]
pub(crate) fn engine_without_docker() -> Engine {
    let mut engine = Engine::new();
    register_netrig(&mut engine, None);
    engine
}
