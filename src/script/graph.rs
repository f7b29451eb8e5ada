//! Seeing the topology from a script: `graph([opts])` draws the live
//! networks and containers, `expect_topology(map[, opts])` fails the
//! scenario when they differ from what the script meant.

use rhai::{Array, Dynamic, Map};

use super::api::{Api, Call};
use super::convert::{Options, describe};
use super::error::{ScriptResult, kind};
use crate::docker::topology::TopologyScope;
use crate::graph::drift::{self, Intended};
use crate::graph::{self as pictures, Format};

/// Options accepted by `graph`.
pub(crate) const GRAPH_OPTIONS: &[&str] = &["format", "managed", "all", "file"];
/// Options accepted by `expect_topology`.
pub(crate) const TOPOLOGY_OPTIONS: &[&str] = &["managed", "all"];

/// Defines `graph` and `expect_topology`.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "graph",
        &["[opts: Map]", "String"],
        "The live topology of this run as a Mermaid flowchart: its networks (driver, subnet,\n\
         internal), containers (image, state, published ports) and one edge per attachment\n\
         labelled with the container's address. Options: `format` (\"mermaid\", \"dot\" or\n\
         \"svg\"), `managed: true` (everything netrig manages, not only this run), `all: true`\n\
         (the whole daemon), `file` (also write it there, relative to the script).\n\
         ```rhai\nprint(graph());\ngraph(#{format: \"svg\", file: \"topology.svg\"});\n```",
        graph,
    );
    api.function(
        "expect_topology",
        &["intended: Map", "[opts: Map]"],
        "Fail the scenario unless this run's networks hold exactly the containers the map\n\
         names (network name → array of containers); the error lists each missing or extra\n\
         attachment, missing container or network, and container on the wrong network.\n\
         Compare against everything netrig manages with `managed: true`, or the whole daemon\n\
         with `all: true`.\n\
         ```rhai\nexpect_topology(#{front: [client, api], back: [api, db]});\n```",
        expect_topology,
    );
}

/// The scope the `managed` / `all` options ask for; this run by default.
fn scope(cx: &Call, o: &mut Options) -> Result<TopologyScope, String> {
    match (o.bool("managed")?, o.bool("all")?) {
        (true, true) => Err(
            "options \"managed\" and \"all\" exclude each other: \"all\" already includes what netrig manages"
                .into(),
        ),
        (true, false) => Ok(TopologyScope::Managed),
        (false, true) => Ok(TopologyScope::All),
        (false, false) => Ok(TopologyScope::Run(cx.session.run_id().to_string())),
    }
}

fn graph(cx: &Call, opts: Dynamic) -> ScriptResult<String> {
    let invalid = |e: String| cx.invalid(e);
    let mut o = Options::new(opts, GRAPH_OPTIONS).map_err(invalid)?;
    let format = match o.string("format").map_err(invalid)? {
        Some(name) => name
            .parse::<Format>()
            .map_err(|e| cx.invalid(format!("option \"format\": {e}")))?,
        None => Format::Mermaid,
    };
    let file = o.string("file").map_err(invalid)?;
    let scope = scope(cx, &mut o).map_err(invalid)?;
    let topology = cx.wait(cx.client().topology(&scope))?;
    let topology = topology.renamed(|n| cx.session.script_name(n).to_string());
    let text = pictures::render(&topology, format);
    if let Some(file) = file {
        let path = cx.path("option \"file\"", &file)?;
        std::fs::write(&path, &text)
            .map_err(|e| cx.fail("failed", format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(text)
}

fn expect_topology(cx: &Call, intended: Dynamic, opts: Dynamic) -> ScriptResult<()> {
    let intended = intended_topology(cx, intended)?;
    let mut o = Options::new(opts, TOPOLOGY_OPTIONS).map_err(|e| cx.invalid(e))?;
    let scope = scope(cx, &mut o).map_err(|e| cx.invalid(e))?;
    // Both sides in the script's own names, so the diff reads like the script.
    let live = cx.wait(cx.client().topology(&scope))?;
    let live = live.renamed(|n| cx.session.script_name(n).to_string());
    let differences = drift::compare(&intended, &live);
    if differences.is_empty() {
        Ok(())
    } else {
        Err(cx.fail(kind::ASSERTION, drift::report(&differences)))
    }
}

/// `#{net: [ctr, …], …}` → [`Intended`]; containers may be handles or names.
fn intended_topology(cx: &Call, value: Dynamic) -> ScriptResult<Intended> {
    let Some(map) = value.clone().try_cast::<Map>() else {
        return Err(cx.invalid(format!(
            "the intended topology must be a map of network names to arrays of containers \
             like #{{front: [\"web\", \"api\"]}}, got {}",
            describe(&value)
        )));
    };
    let mut intended = Intended::default();
    for (network, members) in map {
        let Some(members) = members.clone().try_cast::<Array>() else {
            return Err(cx.invalid(format!(
                "network \"{network}\" must map to an array of containers like [\"web\", \"api\"], got {}",
                describe(&members)
            )));
        };
        let param = format!("each container of network \"{network}\"");
        let names = members
            .iter()
            .map(|m| {
                let docker = cx.container_name(&param, m)?;
                Ok(cx.session.script_name(&docker).to_string())
            })
            .collect::<ScriptResult<_>>()?;
        intended.networks.insert(network.to_string(), names);
    }
    Ok(intended)
}
