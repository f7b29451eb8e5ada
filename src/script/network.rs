//! `network::…` functions and the network handle's methods.

use std::collections::HashMap;
use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, Map, Module, NativeCallContext};

use super::context::ScriptContext;
use super::convert;
use super::error::{ScriptResult, at_call, invalid};
use super::handles::NetworkHandle;
use super::{json_to_dynamic, register_in as in_module, string_arg};
use crate::docker::NetworkSummary;
use crate::docker::ResourceKind;

/// Registers the `network` module and the network handle type.
pub fn register(engine: &mut Engine, ctx: &Arc<ScriptContext>) {
    engine
        .register_type_with_name::<NetworkHandle>("Network")
        .register_get("name", |h: &mut NetworkHandle| h.name.clone())
        .register_get("id", |h: &mut NetworkHandle| h.id.clone())
        .register_fn("to_string", |h: &mut NetworkHandle| h.to_string())
        .register_fn("to_debug", |h: &mut NetworkHandle| h.to_string());

    let mut m = Module::new();

    let c = ctx.clone();
    in_module(
        &mut m,
        "ls",
        &["Array"],
        "List the daemon's networks, like `docker network ls`: an array of maps with\n\
         `name`, `id`, `driver`, `scope`, `subnet` and `internal`.\n\
         ```rhai\nfor n in network::ls() { print(n.name); }\n```",
        move |cx: NativeCallContext| at_call(&cx, ls(&c)),
    );

    let c = ctx.clone();
    in_module(
        &mut m,
        "create",
        &["name: String", "Network"],
        "Create a network (a bridge unless told otherwise) and return its handle.\n\
         ```rhai\nlet net = network::create(\"my_net\");\n```",
        move |cx: NativeCallContext, name: Dynamic| at_call(&cx, create(&c, name, Dynamic::UNIT)),
    );
    let c = ctx.clone();
    in_module(
        &mut m,
        "create",
        &["name: String", "opts: Map", "Network"],
        "Create a network with options: `driver`, `subnet`, `gateway`, `ip_range`,\n\
         `internal`, `attachable`, `ipv6`, `labels`, `options`.\n\
         ```rhai\nlet back = network::create(\"back\", #{subnet: \"10.20.0.0/24\", internal: true});\n```",
        move |cx: NativeCallContext, name: Dynamic, opts: Dynamic| {
            at_call(&cx, create(&c, name, opts))
        },
    );

    let c = ctx.clone();
    in_module(
        &mut m,
        "inspect",
        &["net: Network|String", "Map"],
        "The daemon's inspect answer for a network, keys as Docker spells them.\n\
         ```rhai\nlet info = network::inspect(\"bridge\");\nprint(info.IPAM.Config[0].Subnet);\n```",
        move |cx: NativeCallContext, net: Dynamic| {
            at_call(&cx, inspect(&c, "network::inspect", &net))
        },
    );

    let c = ctx.clone();
    in_module(
        &mut m,
        "rm",
        &["net: Network|String"],
        "Remove a network.\n```rhai\nnetwork::rm(\"my_net\");\n```",
        move |cx: NativeCallContext, net: Dynamic| at_call(&cx, rm(&c, "network::rm", &net)),
    );

    let c = ctx.clone();
    in_module(
        &mut m,
        "connect",
        &["net: Network|String", "ctr: Container|String"],
        "Connect a container to a network, live.\n```rhai\nnetwork::connect(\"back\", web);\n```",
        move |cx: NativeCallContext, net: Dynamic, ctr: Dynamic| {
            at_call(
                &cx,
                connect(&c, "network::connect", &net, &ctr, Dynamic::UNIT),
            )
        },
    );
    let c = ctx.clone();
    in_module(
        &mut m,
        "connect",
        &["net: Network|String", "ctr: Container|String", "opts: Map"],
        "Connect a container to a network with options: `aliases` (more DNS names), `ip` (a fixed address).\n\
         ```rhai\nnetwork::connect(\"back\", web, #{aliases: [\"api\"], ip: \"10.20.0.10\"});\n```",
        move |cx: NativeCallContext, net: Dynamic, ctr: Dynamic, opts: Dynamic| {
            at_call(&cx, connect(&c, "network::connect", &net, &ctr, opts))
        },
    );

    let c = ctx.clone();
    in_module(
        &mut m,
        "disconnect",
        &["net: Network|String", "ctr: Container|String"],
        "Disconnect a container from a network, live.\n```rhai\nnetwork::disconnect(\"back\", web);\n```",
        move |cx: NativeCallContext, net: Dynamic, ctr: Dynamic| {
            at_call(&cx, disconnect(&c, "network::disconnect", &net, &ctr))
        },
    );

    super::register_module(engine, "network", m);

    // Methods on the handle: `net.connect(c)`, `net.disconnect(c)`.
    // (`net.inspect()` and `net.rm()` go through the global `inspect` / `rm`.)
    let c = ctx.clone();
    super::register(
        engine,
        "connect",
        &["net: Network", "ctr: Container|String"],
        "Connect a container to this network.\n```rhai\nnet.connect(web);\n```",
        move |net: &mut NetworkHandle, ctr: Dynamic| {
            connect(
                &c,
                "connect",
                &Dynamic::from(net.clone()),
                &ctr,
                Dynamic::UNIT,
            )
        },
    );
    let c = ctx.clone();
    super::register(
        engine,
        "connect",
        &["net: Network", "ctr: Container|String", "opts: Map"],
        "Connect a container to this network with `aliases` / `ip`.\n```rhai\nnet.connect(web, #{aliases: [\"api\"]});\n```",
        move |net: &mut NetworkHandle, ctr: Dynamic, opts: Dynamic| {
            connect(&c, "connect", &Dynamic::from(net.clone()), &ctr, opts)
        },
    );
    let c = ctx.clone();
    super::register(
        engine,
        "disconnect",
        &["net: Network", "ctr: Container|String"],
        "Disconnect a container from this network.\n```rhai\nnet.disconnect(web);\n```",
        move |net: &mut NetworkHandle, ctr: Dynamic| {
            disconnect(&c, "disconnect", &Dynamic::from(net.clone()), &ctr)
        },
    );
}

/// One `network::ls` row as a script map, named as the script knows it (`shown`).
pub fn summary_map(n: &NetworkSummary, shown: impl Fn(&str) -> String) -> Map {
    let mut m = Map::new();
    m.insert("name".into(), shown(&n.name).into());
    m.insert("id".into(), crate::text::short_id(&n.id).to_string().into());
    m.insert("driver".into(), n.driver.clone().into());
    m.insert("scope".into(), n.scope.clone().into());
    m.insert("subnet".into(), n.subnets.join(", ").into());
    m.insert("internal".into(), n.internal.into());
    m
}

pub(crate) fn ls(ctx: &ScriptContext) -> ScriptResult<Array> {
    let nets = ctx.wait("network::ls", ctx.client().list_networks(HashMap::new()))?;
    Ok(nets
        .iter()
        .map(|n| Dynamic::from_map(summary_map(n, |name| ctx.script_name(name))))
        .collect())
}

pub(crate) fn create(
    ctx: &ScriptContext,
    name: Dynamic,
    opts: Dynamic,
) -> ScriptResult<NetworkHandle> {
    const F: &str = "network::create";
    let name = string_arg(F, "the network name", &name)?;
    let spec = convert::network_spec(&name, opts).map_err(|e| invalid(F, e))?;
    let net = ctx.wait(F, ctx.session.create_network(&spec))?;
    Ok(NetworkHandle {
        name: ctx.script_name(&net.name),
        id: net.id,
    })
}

/// `network::inspect` and `inspect(net_handle)`.
pub fn inspect(ctx: &ScriptContext, function: &str, net: &Dynamic) -> ScriptResult<Dynamic> {
    let net = ctx.network(function, "the network", net)?;
    let json = ctx.wait(function, ctx.client().inspect_network(&net))?;
    json_to_dynamic(function, ctx.session.names().script_json(json))
}

/// `network::rm` and `rm(net_handle)`.
pub fn rm(ctx: &ScriptContext, function: &str, net: &Dynamic) -> ScriptResult<()> {
    let net = ctx.network(function, "the network", net)?;
    if crate::docker::run::labels::PREDEFINED_NETWORKS.contains(&net.as_str()) {
        return Err(invalid(
            function,
            format!("{net:?} is one of Docker's own networks and cannot be removed"),
        ));
    }
    ctx.wait(function, ctx.client().remove_network(&net))?;
    ctx.session.forget_removed(ResourceKind::Network, &net);
    Ok(())
}

pub(crate) fn connect(
    ctx: &ScriptContext,
    function: &str,
    net: &Dynamic,
    ctr: &Dynamic,
    opts: Dynamic,
) -> ScriptResult<()> {
    let net = ctx.network(function, "the network", net)?;
    let ctr = ctx.container(function, "the container", ctr)?;
    let spec = convert::connect_spec(opts).map_err(|e| invalid(function, e))?;
    ctx.wait(function, ctx.session.connect_network(&net, &ctr, &spec))
}

pub(crate) fn disconnect(
    ctx: &ScriptContext,
    function: &str,
    net: &Dynamic,
    ctr: &Dynamic,
) -> ScriptResult<()> {
    let net = ctx.network(function, "the network", net)?;
    let ctr = ctx.container(function, "the container", ctr)?;
    ctx.wait(function, ctx.client().disconnect_network(&net, &ctr))
}
