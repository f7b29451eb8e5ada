//! `service::…` functions (swarm services) and the service handle.

use std::collections::HashMap;
use std::fmt;

use rhai::{Array, Dynamic, Engine, Map};

use super::api::{Api, Call};
use super::convert::{ArgResult, Options, describe};
use super::error::ScriptResult;
use super::json_to_dynamic;
use crate::docker::ResourceKind;
use crate::docker::swarm::service::{EndpointMode, ServiceSpec, ServiceSummary, TaskSummary};

/// Options accepted by `service::create`.
pub const SERVICE_OPTIONS: &[&str] = &[
    "image",
    "replicas",
    "network",
    "aliases",
    "ports",
    "cmd",
    "entrypoint",
    "env",
    "labels",
    "constraints",
    "endpoint_mode",
    "hostname",
];

/// A swarm service a script created or looked up. Shown as `service web (3f2a1b2c4d5e)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceHandle {
    /// Service id.
    pub(crate) id: String,
    /// Service name.
    pub(crate) name: String,
}

impl fmt::Display for ServiceHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "service {} ({})",
            self.name,
            crate::text::short_id(&self.id)
        )
    }
}

/// Registers the service handle type.
pub(super) fn register_types(engine: &mut Engine) {
    engine
        .register_type_with_name::<ServiceHandle>("Service")
        .register_get("name", |h: &mut ServiceHandle| h.name.clone())
        .register_get("id", |h: &mut ServiceHandle| h.id.clone())
        .register_fn("to_string", |h: &mut ServiceHandle| h.to_string())
        .register_fn("to_debug", |h: &mut ServiceHandle| h.to_string());
}

/// Defines the `service` module.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "service::create",
        &["name: String", "opts: Map", "Service"],
        "Create a swarm service (`docker service create`) and return its handle once its\n\
         replicas run. Options: `image` (required), `replicas` (default 1), `network` (one or\n\
         an array, usually overlays), `aliases`, `ports` (`\"8080:80\"`), `cmd`, `entrypoint`,\n\
         `env`, `labels`, `constraints` (`[\"node.role==manager\"]`), `endpoint_mode`\n\
         (`\"vip\"`, Docker's default, or `\"dnsrr\"`: the name resolves to each task), `hostname`.\n\
         ```rhai\nlet web = service::create(\"web\", #{image: \"busybox\", replicas: 2, network: \"ovl\",\n                                    cmd: \"httpd -f -p 80\"});\n```",
        create,
    );
    api.function(
        "service::scale",
        &["svc: Service|String", "replicas: int"],
        "Change the number of replicas (`docker service scale`) and wait until they run.\n\
         ```rhai\nservice::scale(web, 3);\n```",
        scale,
    );
    api.function(
        "service::ps",
        &["svc: Service|String", "Array"],
        "The service's tasks, like `docker service ps`: maps with `id`, `name` (`web.1`),\n\
         `slot`, `node` (host name), `node_id`, `state`, `desired_state`, `error`,\n\
         `container` (short id), `ip` and `ips` (address per network, where this daemon knows it).\n\
         ```rhai\nfor t in service::ps(web) { print(`${t.name} on ${t.node}: ${t.ip}`); }\n```",
        |cx: &Call, svc: Dynamic| -> ScriptResult<Array> {
            let svc = service_ref(cx, &svc)?;
            let tasks = cx.wait(cx.client().service_tasks(&svc))?;
            Ok(tasks
                .iter()
                .map(|t| Dynamic::from_map(task_map(t)))
                .collect())
        },
    );
    api.function(
        "service::rm",
        &["svc: Service|String"],
        "Remove a service; returns once its task containers are gone (on every daemon\n\
         the script is connected to), so its networks are free.\n\
         ```rhai\nservice::rm(web);\n```",
        |cx: &Call, svc: Dynamic| {
            let svc = service_ref(cx, &svc)?;
            cx.wait(cx.session.remove_service(&svc))
        },
    );
    api.function(
        "service::ls",
        &["Array"],
        "The swarm's services, like `docker service ls`: maps with `name`, `id`, `image`,\n\
         `replicas`, `running`.\n```rhai\nprint(table(service::ls()));\n```",
        |cx: &Call| -> ScriptResult<Array> {
            let services = cx.wait(cx.client().list_services(HashMap::new()))?;
            Ok(services
                .iter()
                .map(|s| Dynamic::from_map(summary_map(s)))
                .collect())
        },
    );
    api.function(
        "service::inspect",
        &["svc: Service|String", "Map"],
        "The daemon's inspect answer for a service, keys as Docker spells them.\n\
         ```rhai\nprint(service::inspect(web).Spec.Mode);\n```",
        |cx: &Call, svc: Dynamic| {
            let svc = service_ref(cx, &svc)?;
            let json = cx.wait(cx.client().inspect_service_json(&svc))?;
            json_to_dynamic(cx.name(), json)
        },
    );
}

fn create(cx: &Call, name: Dynamic, opts: Dynamic) -> ScriptResult<ServiceHandle> {
    let name = cx.string("the service name", &name)?;
    let spec = service_spec(&name, opts).map_err(|e| cx.invalid(e))?;
    let service = cx.wait(cx.session.create_service(&spec))?;
    Ok(ServiceHandle {
        id: service.id,
        name: service.name,
    })
}

fn scale(cx: &Call, svc: Dynamic, replicas: Dynamic) -> ScriptResult<()> {
    let svc = service_ref(cx, &svc)?;
    let replicas = match replicas.as_int() {
        Ok(n) if (0..=1000).contains(&n) => n as u64,
        _ => {
            return Err(cx.invalid(format!(
                "replicas must be a whole number from 0 to 1000, got {}",
                describe(&replicas)
            )));
        }
    };
    let client = cx.client();
    cx.wait(async {
        let earlier = client.task_ids(&svc).await?;
        client.scale_service(&svc, replicas).await?;
        client.wait_running(&svc, replicas, &earlier).await
    })
}

/// The service a value stands for: a handle's id, or a name as the daemon
/// knows it (mapped like every name of an isolated run).
fn service_ref(cx: &Call, value: &Dynamic) -> ScriptResult<String> {
    if let Some(h) = value.read_lock::<ServiceHandle>() {
        return Ok(h.id.clone());
    }
    match value.clone().into_string() {
        Ok(s) if !s.trim().is_empty() => Ok(cx.session.docker_name(ResourceKind::Service, &s)),
        _ => Err(cx.invalid(format!(
            "the service must be a service handle or a service name, got {}",
            describe(value)
        ))),
    }
}

fn task_map(t: &TaskSummary) -> Map {
    let mut m = Map::new();
    m.insert("id".into(), t.id.clone().into());
    m.insert("name".into(), t.name.clone().into());
    m.insert("slot".into(), t.slot.into());
    m.insert("node".into(), t.node.clone().into());
    m.insert("node_id".into(), t.node_id.clone().into());
    m.insert("state".into(), t.state.clone().into());
    m.insert("desired_state".into(), t.desired_state.clone().into());
    m.insert("error".into(), t.error.clone().into());
    m.insert(
        "container".into(),
        crate::text::short_id(&t.container_id).to_string().into(),
    );
    let mut ips = Map::new();
    for (net, ip) in &t.addresses {
        ips.insert(net.as_str().into(), ip.clone().into());
    }
    // The address on the service's own network, not the ingress mesh's.
    let ip = t
        .addresses
        .iter()
        .find(|(net, _)| net != "ingress")
        .or(t.addresses.first())
        .map(|(_, ip)| Dynamic::from(ip.clone()))
        .unwrap_or(Dynamic::UNIT);
    m.insert("ip".into(), ip);
    m.insert("ips".into(), ips.into());
    m
}

fn summary_map(s: &ServiceSummary) -> Map {
    let mut m = Map::new();
    m.insert("name".into(), s.name.clone().into());
    m.insert("id".into(), crate::text::short_id(&s.id).to_string().into());
    m.insert("image".into(), s.image.clone().into());
    m.insert(
        "replicas".into(),
        s.replicas
            .map(|r| Dynamic::from(r as i64))
            .unwrap_or(Dynamic::UNIT),
    );
    m.insert("running".into(), (s.running as i64).into());
    m
}

/// Docker's rule for service names: letters, digits and '-', at most 63.
fn check_service_name(name: &str) -> ArgResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "service name {name:?} is not valid: use letters, digits and '-' (at most 63, not at either end)"
        ))
    }
}

/// `service::create(name, opts)` → [`ServiceSpec`].
pub fn service_spec(name: &str, opts: Dynamic) -> ArgResult<ServiceSpec> {
    check_service_name(name)?;
    if opts.is_unit() {
        return Err("give the options with at least the image: #{image: \"busybox\"}".into());
    }
    let mut o = Options::new(opts, SERVICE_OPTIONS)?;
    let image = o.string("image")?.unwrap_or_default();
    if image.trim().is_empty() {
        return Err(
            "option \"image\" is missing: a service needs an image, like #{image: \"busybox\"}"
                .into(),
        );
    }
    let ports = o.ports("ports")?;
    if let Some(p) = ports.iter().find(|p| p.host_ip.is_some()) {
        return Err(format!(
            "option \"ports\": a service publishes {} on every node, so a host address ({}) cannot be given",
            p.container_key(),
            p.host_ip.as_deref().unwrap_or_default()
        ));
    }
    let endpoint_mode = match o.string("endpoint_mode")?.as_deref() {
        None | Some("vip") => EndpointMode::Vip,
        Some("dnsrr") => EndpointMode::Dnsrr,
        Some(other) => {
            return Err(format!(
                "option \"endpoint_mode\" must be \"vip\" or \"dnsrr\", got {other:?}"
            ));
        }
    };
    if endpoint_mode == EndpointMode::Dnsrr && !ports.is_empty() {
        return Err(
            "option \"ports\" needs endpoint_mode \"vip\": Docker publishes ports through the service's virtual IP".into(),
        );
    }
    Ok(ServiceSpec {
        name: name.to_string(),
        image,
        replicas: o.int("replicas", 0..=1000)?.unwrap_or(1) as u64,
        networks: o.networks("network")?,
        aliases: o.strings("aliases")?,
        ports,
        cmd: o.command("cmd")?,
        entrypoint: o.command("entrypoint")?,
        env: o.string_map("env")?,
        labels: o.string_map("labels")?.into_iter().collect(),
        constraints: o.strings("constraints")?,
        endpoint_mode,
        hostname: o.string("hostname")?,
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
    fn service_options_become_a_spec() {
        let spec = service_spec(
            "web",
            map(
                r#"#{image: "busybox", replicas: 2, network: "ovl", cmd: "httpd -f -p 80",
                   endpoint_mode: "dnsrr", constraints: "node.role==manager", env: #{A: 1}}"#,
            ),
        )
        .unwrap();
        assert_eq!(spec.image, "busybox");
        assert_eq!(spec.replicas, 2);
        assert_eq!(spec.networks, vec!["ovl"]);
        assert_eq!(spec.cmd.as_deref().unwrap()[0], "httpd");
        assert_eq!(spec.endpoint_mode, EndpointMode::Dnsrr);
        assert_eq!(spec.constraints, vec!["node.role==manager"]);
        assert_eq!(spec.env, vec![("A".to_string(), "1".to_string())]);
        let one = service_spec("web", map(r#"#{image: "busybox"}"#)).unwrap();
        assert_eq!(one.replicas, 1);
        assert_eq!(one.endpoint_mode, EndpointMode::Vip);
    }

    #[test]
    fn bad_service_options_are_explained() {
        let err = service_spec("web", Dynamic::UNIT).unwrap_err();
        assert!(err.contains("at least the image"), "{err}");
        let err = service_spec("web", map("#{replicas: 2}")).unwrap_err();
        assert!(err.contains("\"image\" is missing"), "{err}");
        let err = service_spec("web", map(r#"#{image: "b", replicas: -1}"#)).unwrap_err();
        assert!(err.contains("between 0 and 1000, got -1"), "{err}");
        let err = service_spec("web", map(r#"#{image: "b", endpoint_mode: "rr"}"#)).unwrap_err();
        assert!(err.contains("\"vip\" or \"dnsrr\""), "{err}");
        let err =
            service_spec("web", map(r#"#{image: "b", ports: ["127.0.0.1:80:80"]}"#)).unwrap_err();
        assert!(err.contains("host address"), "{err}");
        let err = service_spec(
            "web",
            map(r#"#{image: "b", ports: ["80:80"], endpoint_mode: "dnsrr"}"#),
        )
        .unwrap_err();
        assert!(err.contains("needs endpoint_mode \"vip\""), "{err}");
        let err = service_spec("web_1", map(r#"#{image: "b"}"#)).unwrap_err();
        assert!(err.contains("not valid"), "{err}");
        let err = service_spec("web", map(r#"#{image: "b", replica: 2}"#)).unwrap_err();
        assert!(err.contains("did you mean \"replicas\"?"), "{err}");
    }
}
