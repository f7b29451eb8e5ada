//! `swarm::…` functions: whether the daemon is in a swarm, init, join,
//! leave and the node list. A swarm a run starts or joins is left when the
//! run ends (unless `--keep`); one that was there before is left alone.

use rhai::{Array, Dynamic, Map};

use super::api::{Api, Call};
use super::convert::{ArgResult, Options, check_cidr, describe};
use super::error::ScriptResult;
use super::hosts::HostHandle;
use crate::docker::swarm::{NodeSummary, SwarmInitSpec, SwarmJoinSpec};

/// Options accepted by `swarm::init`.
pub const INIT_OPTIONS: &[&str] = &[
    "advertise_addr",
    "listen_addr",
    "data_path_addr",
    "default_addr_pool",
    "subnet_size",
];

/// Options accepted by `swarm::join(#{…})`.
pub const JOIN_OPTIONS: &[&str] = &[
    "remote",
    "token",
    "advertise_addr",
    "listen_addr",
    "data_path_addr",
];

/// Options accepted by `swarm::join(manager_host, #{…})`.
pub(crate) const JOIN_HOST_OPTIONS: &[&str] =
    &["role", "advertise_addr", "listen_addr", "data_path_addr"];

/// Defines the `swarm` module.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "swarm::active",
        &["bool"],
        "Whether the daemon is in a swarm (`docker info`'s Swarm: active).\n\
         ```rhai\nif !swarm::active() { swarm::init(); }\n```",
        |cx: &Call| Ok(cx.wait(cx.client().swarm_state())?.is_active()),
    );
    api.function(
        "swarm::init",
        &["[opts: Map]", "Map"],
        "Start a swarm with this daemon as its manager (`docker swarm init`); returns\n\
         `#{node_id, addr, worker_token, manager_token}`. The run leaves it when it ends.\n\
         Options: `advertise_addr` (the address other nodes use; needed when the machine\n\
         has several), `listen_addr`, `data_path_addr`, `default_addr_pool` (CIDRs overlays\n\
         are cut from), `subnet_size`.\n\
         ```rhai\nlet s = swarm::init();\nprint(s.addr);\nswarm::init(#{advertise_addr: \"127.0.0.1\"});\n```",
        init,
    );
    api.function(
        "swarm::join",
        &["manager: Host|Map", "[opts: Map]"],
        "Join a swarm: the one a host handle manages, or the one named by `#{remote, token}`\n\
         (plus `advertise_addr`, `listen_addr`, `data_path_addr`). With a host handle, the\n\
         options are `role` (`\"worker\"`, the default, or `\"manager\"`), `advertise_addr`,\n\
         `listen_addr`, `data_path_addr`. The run makes the daemon leave again when it ends.\n\
         ```rhai\nlet a = docker::connect(\"tcp://10.0.0.1:2375\");\nswarm::join(a);\nb.swarm_join(a, #{advertise_addr: \"10.0.0.2\"});\n```",
        join,
    );
    api.function(
        "swarm::leave",
        &[],
        "Leave the swarm (forced, like `docker swarm leave --force`: a manager may be the last).\n\
         ```rhai\nswarm::leave();\n```",
        |cx: &Call| cx.wait(cx.session.leave_swarm()),
    );
    api.function(
        "swarm::nodes",
        &["Array"],
        "The swarm's nodes, like `docker node ls` (on a manager): maps with `id`, `hostname`,\n\
         `role`, `availability`, `state`, `addr`, `leader`.\n\
         ```rhai\nfor n in swarm::nodes() { print(`${n.hostname} ${n.role}`); }\n```",
        |cx: &Call| -> ScriptResult<Array> {
            let nodes = cx.wait(cx.client().list_nodes())?;
            Ok(nodes
                .iter()
                .map(|n| Dynamic::from_map(node_map(n)))
                .collect())
        },
    );
}

fn init(cx: &Call, opts: Dynamic) -> ScriptResult<Map> {
    let spec = init_spec(opts).map_err(|e| cx.invalid(e))?;
    let node_id = cx.wait(cx.session.init_swarm(&spec))?;
    let state = cx.wait(cx.client().swarm_state())?;
    let tokens = cx.wait(cx.client().join_tokens())?;
    let mut m = Map::new();
    m.insert("node_id".into(), node_id.into());
    m.insert("addr".into(), state.join_addr().unwrap_or_default().into());
    m.insert("worker_token".into(), tokens.worker.into());
    m.insert("manager_token".into(), tokens.manager.into());
    Ok(m)
}

/// `target` is a manager's host handle or an option map.
fn join(cx: &Call, target: Dynamic, opts: Dynamic) -> ScriptResult<()> {
    let invalid = |e: String| cx.invalid(e);
    let spec = if let Some(manager) = target.read_lock::<HostHandle>() {
        let mut o = Options::new(opts, JOIN_HOST_OPTIONS).map_err(invalid)?;
        let role = o.string("role").map_err(invalid)?;
        let want_manager = match role.as_deref() {
            None | Some("worker") => false,
            Some("manager") => true,
            Some(other) => {
                return Err(cx.invalid(format!(
                    "option \"role\" must be \"worker\" or \"manager\", got {other:?}"
                )));
            }
        };
        let state = manager
            .ctx
            .wait(cx.name(), manager.ctx.client().swarm_state())?;
        let Some(remote) = state.join_addr().filter(|_| state.is_active()) else {
            return Err(cx.invalid(format!(
                "{} manages no swarm (its swarm state is {}); start one there with swarm_init()",
                *manager, state.state
            )));
        };
        let tokens = manager
            .ctx
            .wait(cx.name(), manager.ctx.client().join_tokens())?;
        SwarmJoinSpec {
            remote_addrs: vec![remote],
            token: if want_manager {
                tokens.manager
            } else {
                tokens.worker
            },
            advertise_addr: o.string("advertise_addr").map_err(invalid)?,
            listen_addr: o.string("listen_addr").map_err(invalid)?,
            data_path_addr: o.string("data_path_addr").map_err(invalid)?,
        }
    } else if target.is_map() {
        if !opts.is_unit() {
            return Err(
                cx.invalid("give the options in one map: swarm::join(#{remote: …, token: …})")
            );
        }
        join_spec(target.clone()).map_err(invalid)?
    } else {
        return Err(cx.invalid(format!(
            "the swarm to join must be a manager's host handle (docker::connect(…)) or a map #{{remote, token}}, got {}",
            describe(&target)
        )));
    };
    cx.wait(cx.session.join_swarm(&spec))
}

fn node_map(n: &NodeSummary) -> Map {
    let mut m = Map::new();
    m.insert("id".into(), n.id.clone().into());
    m.insert("hostname".into(), n.hostname.clone().into());
    m.insert("role".into(), n.role.clone().into());
    m.insert("availability".into(), n.availability.clone().into());
    m.insert("state".into(), n.state.clone().into());
    m.insert("addr".into(), n.addr.clone().into());
    m.insert("leader".into(), n.leader.into());
    m
}

/// `swarm::init` options → [`SwarmInitSpec`].
pub fn init_spec(opts: Dynamic) -> ArgResult<SwarmInitSpec> {
    let mut o = Options::new(opts, INIT_OPTIONS)?;
    let spec = SwarmInitSpec {
        advertise_addr: o.string("advertise_addr")?,
        listen_addr: o.string("listen_addr")?,
        data_path_addr: o.string("data_path_addr")?,
        default_addr_pool: o.strings("default_addr_pool")?,
        subnet_size: o.int("subnet_size", 1..=32)?.map(|n| n as u32),
    };
    for cidr in &spec.default_addr_pool {
        check_cidr("default_addr_pool", cidr)?;
    }
    Ok(spec)
}

/// `swarm::join(#{remote, token, …})` → [`SwarmJoinSpec`].
pub fn join_spec(opts: Dynamic) -> ArgResult<SwarmJoinSpec> {
    let mut o = Options::new(opts, JOIN_OPTIONS)?;
    let remote_addrs = o.strings("remote")?;
    if remote_addrs.is_empty() {
        return Err(
            "option \"remote\" is missing: give a manager's address like \"10.0.0.1:2377\"".into(),
        );
    }
    let token = o.string("token")?.unwrap_or_default();
    if token.is_empty() {
        return Err(
            "option \"token\" is missing: give the join token swarm::init() returned (worker_token)"
                .into(),
        );
    }
    Ok(SwarmJoinSpec {
        remote_addrs,
        token,
        advertise_addr: o.string("advertise_addr")?,
        listen_addr: o.string("listen_addr")?,
        data_path_addr: o.string("data_path_addr")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rhai::Engine;

    fn map(src: &str) -> Dynamic {
        Engine::new().eval::<Dynamic>(src).unwrap()
    }

    #[test]
    fn init_options_become_a_spec() {
        let spec = init_spec(map(
            r#"#{advertise_addr: "127.0.0.1", default_addr_pool: ["10.60.0.0/16"], subnet_size: 26}"#,
        ))
        .unwrap();
        assert_eq!(spec.advertise_addr.as_deref(), Some("127.0.0.1"));
        assert_eq!(spec.default_addr_pool, vec!["10.60.0.0/16"]);
        assert_eq!(spec.subnet_size, Some(26));
        assert_eq!(init_spec(Dynamic::UNIT).unwrap(), SwarmInitSpec::default());
    }

    #[test]
    fn bad_init_options_are_named() {
        let err = init_spec(map(r#"#{default_addr_pool: ["10.60.0.0"]}"#)).unwrap_err();
        assert!(err.contains("\"default_addr_pool\""), "{err}");
        let err = init_spec(map("#{subnet_size: 40}")).unwrap_err();
        assert!(err.contains("between 1 and 32, got 40"), "{err}");
        let err = init_spec(map("#{subnet_size: \"big\"}")).unwrap_err();
        assert!(err.contains("whole number"), "{err}");
        let err = init_spec(map(r#"#{advertise_adr: "x"}"#)).unwrap_err();
        assert!(err.contains("did you mean \"advertise_addr\"?"), "{err}");
    }

    #[test]
    fn join_needs_a_remote_and_a_token() {
        let spec = join_spec(map(r#"#{remote: "10.0.0.1", token: "SWMTKN-1-x"}"#)).unwrap();
        assert_eq!(spec.remote_addrs, vec!["10.0.0.1"]);
        assert_eq!(spec.token, "SWMTKN-1-x");
        let err = join_spec(map(r#"#{token: "t"}"#)).unwrap_err();
        assert!(err.contains("\"remote\" is missing"), "{err}");
        let err = join_spec(map(r#"#{remote: ["a", "b"]}"#)).unwrap_err();
        assert!(err.contains("\"token\" is missing"), "{err}");
    }
}
