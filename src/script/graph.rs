//! Seeing the topology from a script: `graph([opts])` draws the live
//! networks and containers, `expect_topology(map[, opts])` fails the
//! scenario when they differ from what the script meant.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, Map};

use super::context::ScriptContext;
use super::convert::{Options, describe};
use super::error::{ScriptResult, invalid, kind, throw};
use super::register;
use crate::docker::topology::TopologyScope;
use crate::graph::drift::{self, Intended};
use crate::graph::{self as pictures, Format};

/// Options accepted by `graph`.
pub const GRAPH_OPTIONS: &[&str] = &["format", "managed", "all", "file"];
/// Options accepted by `expect_topology`.
pub const TOPOLOGY_OPTIONS: &[&str] = &["managed", "all"];

/// Registers `graph` and `expect_topology`.
pub fn register_all(engine: &mut Engine, ctx: &Arc<ScriptContext>) {
    let c = ctx.clone();
    register(
        engine,
        "graph",
        &["String"],
        "The live topology of this run as a Mermaid flowchart: its networks (driver, subnet,\n\
         internal), containers (image, state, published ports) and one edge per attachment\n\
         labelled with the container's address.\n\
         ```rhai\nprint(graph());\n```",
        move || graph(&c, Dynamic::UNIT),
    );
    let c = ctx.clone();
    register(
        engine,
        "graph",
        &["opts: Map", "String"],
        "The live topology with options: `format` (\"mermaid\", \"dot\" or \"svg\"), `managed: true`\n\
         (everything netrig manages, not only this run), `all: true` (the whole daemon),\n\
         `file` (also write it there, relative to the script).\n\
         ```rhai\ngraph(#{format: \"svg\", file: \"topology.svg\"});\nprint(graph(#{format: \"dot\", all: true}));\n```",
        move |opts: Dynamic| graph(&c, opts),
    );

    let c = ctx.clone();
    register(
        engine,
        "expect_topology",
        &["intended: Map"],
        "Fail the scenario unless this run's networks hold exactly the containers the map\n\
         names (network name → array of containers); the error lists each missing or extra\n\
         attachment, missing container or network, and container on the wrong network.\n\
         ```rhai\nexpect_topology(#{front: [client, api], back: [api, db]});\n```",
        move |intended: Dynamic| expect_topology(&c, intended, Dynamic::UNIT),
    );
    let c = ctx.clone();
    register(
        engine,
        "expect_topology",
        &["intended: Map", "opts: Map"],
        "Compare against everything netrig manages (`managed: true`) or the whole daemon (`all: true`).\n\
         ```rhai\nexpect_topology(#{shared: [\"a\", \"b\"]}, #{managed: true});\n```",
        move |intended: Dynamic, opts: Dynamic| expect_topology(&c, intended, opts),
    );
}

/// The scope the `managed` / `all` options ask for; this run by default.
fn scope(ctx: &ScriptContext, o: &mut Options) -> Result<TopologyScope, String> {
    match (o.bool("managed")?, o.bool("all")?) {
        (true, true) => Err(
            "options \"managed\" and \"all\" exclude each other: \"all\" already includes what netrig manages"
                .into(),
        ),
        (true, false) => Ok(TopologyScope::Managed),
        (false, true) => Ok(TopologyScope::All),
        (false, false) => Ok(TopologyScope::Run(ctx.session.run_id().to_string())),
    }
}

pub(super) fn graph(ctx: &ScriptContext, opts: Dynamic) -> ScriptResult<String> {
    const F: &str = "graph";
    let mut o = Options::new(opts, GRAPH_OPTIONS).map_err(|e| invalid(F, e))?;
    let format = match o.string("format").map_err(|e| invalid(F, e))? {
        Some(name) => name
            .parse::<Format>()
            .map_err(|e| invalid(F, format!("option \"format\": {e}")))?,
        None => Format::Mermaid,
    };
    let file = o.string("file").map_err(|e| invalid(F, e))?;
    let scope = scope(ctx, &mut o).map_err(|e| invalid(F, e))?;
    let topology = ctx.wait(F, ctx.client().topology(&scope))?;
    let topology = topology.renamed(|n| ctx.session.script_name(n).to_string());
    let text = pictures::render(&topology, format);
    if let Some(file) = file {
        let path = ctx.path(F, "option \"file\"", &file)?;
        std::fs::write(&path, &text)
            .map_err(|e| throw("failed", F, format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(text)
}

pub(super) fn expect_topology(
    ctx: &ScriptContext,
    intended: Dynamic,
    opts: Dynamic,
) -> ScriptResult<()> {
    const F: &str = "expect_topology";
    let intended = intended_topology(ctx, intended)?;
    let mut o = Options::new(opts, TOPOLOGY_OPTIONS).map_err(|e| invalid(F, e))?;
    let scope = scope(ctx, &mut o).map_err(|e| invalid(F, e))?;
    // Both sides in the script's own names, so the diff reads like the script.
    let live = ctx.wait(F, ctx.client().topology(&scope))?;
    let live = live.renamed(|n| ctx.session.script_name(n).to_string());
    let differences = drift::compare(&intended, &live);
    if differences.is_empty() {
        Ok(())
    } else {
        Err(throw(kind::ASSERTION, F, drift::report(&differences)))
    }
}

/// `#{net: [ctr, …], …}` → [`Intended`]; containers may be handles or names.
fn intended_topology(ctx: &ScriptContext, value: Dynamic) -> ScriptResult<Intended> {
    const F: &str = "expect_topology";
    let Some(map) = value.clone().try_cast::<Map>() else {
        return Err(invalid(
            F,
            format!(
                "the intended topology must be a map of network names to arrays of containers \
                 like #{{front: [\"web\", \"api\"]}}, got {}",
                describe(&value)
            ),
        ));
    };
    let mut intended = Intended::default();
    for (network, members) in map {
        let Some(members) = members.clone().try_cast::<Array>() else {
            return Err(invalid(
                F,
                format!(
                    "network \"{network}\" must map to an array of containers like [\"web\", \"api\"], got {}",
                    describe(&members)
                ),
            ));
        };
        let param = format!("each container of network \"{network}\"");
        let names = members
            .iter()
            .map(|m| {
                let docker = ctx.container(F, &param, m)?;
                Ok(ctx.session.script_name(&docker).to_string())
            })
            .collect::<ScriptResult<_>>()?;
        intended.networks.insert(network.to_string(), names);
    }
    Ok(intended)
}
