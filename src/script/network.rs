//! `network::…` functions and the network handle's methods.

use std::collections::HashMap;

use rhai::{Array, Dynamic, Map};

use super::api::{Api, Call};
use super::convert;
use super::error::ScriptResult;
use super::handles::NetworkHandle;
use super::json_to_dynamic;
use crate::docker::NetworkSummary;
use crate::docker::ResourceKind;

/// Defines the `network` module and the network handle's methods.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "network::ls",
        &["Array"],
        "List the daemon's networks, like `docker network ls`: an array of maps with\n\
         `name`, `id`, `driver`, `scope`, `subnet` and `internal`.\n\
         ```rhai\nfor n in network::ls() { print(n.name); }\n```",
        ls,
    );
    api.function(
        "network::create",
        &["name: String", "[opts: Map]", "Network"],
        "Create a network (a bridge unless told otherwise) and return its handle. Options:\n\
         `driver`, `subnet` (a CIDR, or a list of them for dual stack), `gateway`, `ip_range`,\n\
         `internal`, `attachable`, `ipv6`, `labels`, `options`. Without a `subnet` it gets one\n\
         from netrig's subnet pool (`--subnet-pool`); `net.subnet` and `net.gateway` say what\n\
         it got.\n\
         ```rhai\nlet net = network::create(\"my_net\");\nprint(net.subnet);\nlet back = network::create(\"back\", #{subnet: \"10.20.0.0/24\", internal: true});\n\
         let dual = network::create(\"dual\", #{subnet: [\"10.21.0.0/24\", \"fd00:21::/64\"]});\n```",
        create,
    );
    api.function(
        "network::inspect",
        &["net: Network|String", "Map"],
        "The daemon's inspect answer for a network, keys as Docker spells them.\n\
         ```rhai\nlet info = network::inspect(\"bridge\");\nprint(info.IPAM.Config[0].Subnet);\n```",
        inspect,
    );
    api.function(
        "network::rm",
        &["net: Network|String"],
        "Remove a network.\n```rhai\nnetwork::rm(\"my_net\");\n```",
        rm,
    );
    api.function(
        "network::connect",
        &["net: Network|String", "ctr: Container|String", "[opts: Map]"],
        "Connect a container to a network, live. Options: `aliases` (more DNS names), `ip`\n\
         (a fixed address).\n\
         ```rhai\nnetwork::connect(\"back\", web);\nnetwork::connect(\"back\", api, #{aliases: [\"api\"], ip: \"10.20.0.10\"});\n```",
        connect,
    );
    api.function(
        "network::disconnect",
        &["net: Network|String", "ctr: Container|String"],
        "Disconnect a container from a network, live.\n```rhai\nnetwork::disconnect(\"back\", web);\n```",
        disconnect,
    );

    // Methods of the handle: `net.connect(c)`, `net.disconnect(c)` (its
    // `inspect()` and `rm()` are the global `inspect` and `rm`). A host has
    // `h.network_connect(…)` for these.
    api.function(
        "connect",
        &["net: Network", "ctr: Container|String", "[opts: Map]"],
        "Connect a container to this network, with `network::connect`'s options.\n\
         ```rhai\nnet.connect(web);\nnet.connect(api, #{aliases: [\"api\"]});\n```",
        |cx: &Call, net: NetworkHandle, ctr: Dynamic, opts: Dynamic| {
            connect(cx, Dynamic::from(net), ctr, opts)
        },
    )
    .global_only();
    api.function(
        "disconnect",
        &["net: Network", "ctr: Container|String"],
        "Disconnect a container from this network.\n```rhai\nnet.disconnect(web);\n```",
        |cx: &Call, net: NetworkHandle, ctr: Dynamic| disconnect(cx, Dynamic::from(net), ctr),
    )
    .global_only();
}

/// One `network::ls` row as a script map, named as the script knows it (`shown`).
pub(crate) fn summary_map(n: &NetworkSummary, shown: impl Fn(&str) -> String) -> Map {
    let mut m = Map::new();
    m.insert("name".into(), shown(&n.name).into());
    m.insert("id".into(), crate::text::short_id(&n.id).to_string().into());
    m.insert("driver".into(), n.driver.clone().into());
    m.insert("scope".into(), n.scope.clone().into());
    m.insert("subnet".into(), n.subnets.join(", ").into());
    m.insert("internal".into(), n.internal.into());
    m
}

fn ls(cx: &Call) -> ScriptResult<Array> {
    let nets = cx.wait(cx.client().list_networks(HashMap::new()))?;
    Ok(nets
        .iter()
        .map(|n| Dynamic::from_map(summary_map(n, |name| cx.script_name(name))))
        .collect())
}

fn create(cx: &Call, name: Dynamic, opts: Dynamic) -> ScriptResult<NetworkHandle> {
    let name = cx.string("the network name", &name)?;
    let spec = convert::network_spec(&name, opts).map_err(|e| cx.invalid(e))?;
    let net = cx.wait(cx.session.create_network(&spec))?;
    Ok(cx
        .network_handle(net.id, &net.name)
        .with_addresses(net.subnet, net.gateway))
}

/// `network::inspect`, and `inspect(net_handle)`.
pub(super) fn inspect(cx: &Call, net: Dynamic) -> ScriptResult<Dynamic> {
    let net = cx.network("the network", &net)?;
    let json = cx.wait(cx.client().inspect_network(&net))?;
    json_to_dynamic(cx.name(), cx.session.names().script_json(json))
}

/// `network::rm`, and `rm(net_handle)`.
pub(super) fn rm(cx: &Call, net: Dynamic) -> ScriptResult<()> {
    let net = cx.network("the network", &net)?;
    if crate::docker::run::labels::PREDEFINED_NETWORKS.contains(&net.as_str()) {
        return Err(cx.invalid(format!(
            "{net:?} is one of Docker's own networks and cannot be removed"
        )));
    }
    cx.wait(cx.client().remove_network(&net))?;
    cx.session.forget_removed(ResourceKind::Network, &net);
    Ok(())
}

fn connect(cx: &Call, net: Dynamic, ctr: Dynamic, opts: Dynamic) -> ScriptResult<()> {
    let net = cx.network("the network", &net)?;
    let ctr = cx.container("the container", &ctr)?;
    let spec = convert::connect_spec(opts).map_err(|e| cx.invalid(e))?;
    cx.wait(cx.session.connect_network(&net, &ctr, &spec))
}

fn disconnect(cx: &Call, net: Dynamic, ctr: Dynamic) -> ScriptResult<()> {
    let net = cx.network("the network", &net)?;
    let ctr = cx.container_name("the container", &ctr)?;
    cx.wait(cx.client().disconnect_network(&net, &ctr))
}
