//! One service of a Compose file as netrig run specs: one per replica,
//! named `<project>-<service>-<n>` like Compose v2 names them, answering to
//! the service name on every network.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use docker_compose_types::{Command, Entrypoint, Environment, Networks, Service};

use super::error::Problem;
use super::fields::{dependencies, expose, healthcheck, ports};
use super::interpolate::Lookup;
use super::networks::{Known, contains, labels};
use super::plan::{CmdOverride, Condition, LoadOptions, PROJECT_LABEL, SERVICE_LABEL};
use super::source::env_file;
use crate::docker::spec::{EndpointSpec, RunSpec};

/// What converting a service needs to know about the rest of the file.
pub(crate) struct Context<'a> {
    /// Project name.
    pub project: &'a str,
    /// The Compose file's folder (`env_file` paths start here).
    pub dir: &'a Path,
    /// Networks by key, `default` included.
    pub networks: &'a HashMap<String, Known>,
    /// Container names by service, for `network_mode: service:…`.
    pub containers: &'a HashMap<String, Vec<String>>,
    /// Variables, for environment entries without a value.
    pub vars: Lookup<'a>,
    /// The caller's options (image and command overrides).
    pub opts: &'a LoadOptions,
}

/// A `depends_on` entry as written, before the services are ordered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WrittenDependency {
    /// The service named.
    pub service: String,
    /// Its condition.
    pub condition: Condition,
    /// `required: false` lets the dependency be missing (a disabled profile).
    pub required: bool,
    /// Where the entry is, for messages.
    pub path: String,
}

/// A converted service: its container specs, the network keys they join
/// and its dependencies.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Converted {
    /// One spec per replica.
    pub containers: Vec<RunSpec>,
    /// Keys of the networks it joins.
    pub network_keys: Vec<String>,
    /// Dependencies, `network_mode: service:…` included.
    pub depends_on: Vec<WrittenDependency>,
}

/// The Docker names of a service's containers.
pub(crate) fn container_names(
    project: &str,
    name: &str,
    svc: &Service,
) -> Result<Vec<String>, Problem> {
    let base = format!("services.{name}");
    let replicas = match (svc.deploy.as_ref().and_then(|d| d.replicas), svc.scale) {
        (Some(r), s) if s != 0 && s != r => {
            return Err(Problem::at(
                format!("{base}.scale"),
                format!("scale {s} and deploy.replicas {r} disagree; give one of them"),
            ));
        }
        (Some(r), _) => r,
        (None, 0) => 1,
        (None, s) => s,
    };
    if replicas < 0 {
        return Err(Problem::at(
            format!("{base}.deploy.replicas"),
            format!("{replicas} replicas: give 0 or more"),
        ));
    }
    match (&svc.container_name, replicas) {
        (Some(_), n) if n > 1 => Err(Problem::at(
            format!("{base}.container_name"),
            format!("{n} replicas cannot share one container_name; drop container_name"),
        )),
        (Some(c), _) => Ok(vec![c.clone()]),
        (None, n) => Ok((1..=n).map(|i| format!("{project}-{name}-{i}")).collect()),
    }
}

/// Converts service `name`; all problems found are returned together.
pub(crate) fn convert(
    ctx: &Context<'_>,
    name: &str,
    svc: &Service,
) -> Result<Converted, Vec<Problem>> {
    let base = format!("services.{name}");
    let mut problems = Vec::new();
    let mut spec = RunSpec {
        aliases: vec![name.to_string()],
        hostname: svc.hostname.clone(),
        cap_add: svc.cap_add.clone(),
        workdir: svc.working_dir.clone(),
        user: svc.user.clone(),
        privileged: svc.privileged,
        init: svc.init,
        dns: svc.dns.clone(),
        extra_hosts: svc.extra_hosts.clone(),
        labels: labels(&svc.labels),
        ..Default::default()
    };
    spec.labels.insert(PROJECT_LABEL.into(), ctx.project.into());
    spec.labels.insert(SERVICE_LABEL.into(), name.into());
    match ctx.opts.image.clone().or_else(|| svc.image.clone()) {
        Some(image) => spec.image = image,
        None => problems.push(Problem::at(
            &base,
            "the service has no image; give it one, or replace every image with the `image` option",
        )),
    }
    // A replacement image gets no entrypoint written for another image.
    if ctx.opts.image.is_none() {
        spec.entrypoint = words(
            &base,
            "entrypoint",
            svc.entrypoint.as_ref().map(entry),
            &mut problems,
        );
    }
    spec.cmd = match &ctx.opts.cmd {
        CmdOverride::All(cmd) => Some(cmd.clone()),
        CmdOverride::PerService(by) if by.contains_key(name) => by.get(name).cloned(),
        _ => words(
            &base,
            "command",
            svc.command.as_ref().map(command),
            &mut problems,
        ),
    };
    spec.env = environment(ctx, &base, svc, &mut problems);
    spec.ports = ports(&base, &svc.ports, &mut problems);
    spec.expose = expose(&base, &svc.expose, &mut problems);
    spec.healthcheck = svc
        .healthcheck
        .as_ref()
        .and_then(|h| healthcheck(&format!("{base}.healthcheck"), h, &mut problems));
    let mut depends_on = dependencies(&base, &svc.depends_on, &mut problems);
    let names = match container_names(ctx.project, name, svc) {
        Ok(n) => n,
        Err(p) => {
            problems.push(p);
            Vec::new()
        }
    };
    let network_keys = attach(ctx, &base, svc, &mut spec, &mut depends_on, &mut problems);
    if spec
        .endpoints
        .values()
        .any(|e| e.ipv4.is_some() || e.ipv6.is_some())
        && names.len() > 1
    {
        problems.push(Problem::at(
            format!("{base}.networks"),
            format!("{} replicas cannot share a fixed address; drop ipv4_address/ipv6_address or the replicas", names.len()),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let containers = names
        .into_iter()
        .map(|n| RunSpec {
            name: Some(n),
            ..spec.clone()
        })
        .collect();
    Ok(Converted {
        containers,
        network_keys,
        depends_on,
    })
}

fn entry(e: &Entrypoint) -> Command {
    match e {
        Entrypoint::Simple(s) => Command::Simple(s.clone()),
        Entrypoint::List(l) => Command::Args(l.clone()),
    }
}

fn command(c: &Command) -> Command {
    c.clone()
}

/// A command as words: a string is split like a shell does (without running one).
fn words(
    base: &str,
    key: &str,
    c: Option<Command>,
    problems: &mut Vec<Problem>,
) -> Option<Vec<String>> {
    match c? {
        Command::Args(list) => Some(list),
        Command::Simple(s) => match shell_words::split(&s) {
            Ok(w) => Some(w),
            Err(e) => {
                problems.push(Problem::at(
                    format!("{base}.{key}"),
                    format!("cannot split {s:?} into words: {e}"),
                ));
                None
            }
        },
    }
}

/// `env_file` entries first, then `environment`, later ones winning.
fn environment(
    ctx: &Context<'_>,
    base: &str,
    svc: &Service,
    problems: &mut Vec<Problem>,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    let mut set = |k: String, v: String| match env.iter_mut().find(|(name, _)| *name == k) {
        Some(slot) => slot.1 = v,
        None => env.push((k, v)),
    };
    let files = match &svc.env_file {
        None => Vec::new(),
        Some(docker_compose_types::StringOrList::Simple(f)) => vec![f.clone()],
        Some(docker_compose_types::StringOrList::List(l)) => l.clone(),
    };
    for (i, f) in files.iter().enumerate() {
        match env_file(&ctx.dir.join(f)) {
            Ok(vars) => vars.into_iter().for_each(|(k, v)| set(k, v)),
            Err(e) => problems.push(Problem::at(format!("{base}.env_file[{i}]"), e)),
        }
    }
    // An entry without a value takes the variable's value, or is left out.
    match &svc.environment {
        Environment::List(items) => {
            for kv in items {
                match kv.split_once('=') {
                    Some((k, v)) => set(k.to_string(), v.to_string()),
                    None => {
                        if let Some(v) = (ctx.vars)(kv) {
                            set(kv.clone(), v);
                        }
                    }
                }
            }
        }
        Environment::KvPair(map) => {
            for (k, v) in map {
                match v {
                    Some(v) => set(k.clone(), v.to_string()),
                    None => {
                        if let Some(v) = (ctx.vars)(k) {
                            set(k.clone(), v);
                        }
                    }
                }
            }
        }
    }
    env
}

/// Joins the service's networks (or shares a network stack); returns the network keys.
fn attach(
    ctx: &Context<'_>,
    base: &str,
    svc: &Service,
    spec: &mut RunSpec,
    depends_on: &mut Vec<WrittenDependency>,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    if let Some(mode) = svc.network_mode.as_deref() {
        let at = format!("{base}.network_mode");
        if !svc.networks.is_empty() {
            problems.push(Problem::at(
                &at,
                "network_mode and networks cannot both be set; keep one",
            ));
        }
        let shared = if let Some(other) = mode.strip_prefix("service:") {
            match ctx.containers.get(other).and_then(|c| c.first()) {
                Some(c) => {
                    depends_on.push(WrittenDependency {
                        service: other.to_string(),
                        condition: Condition::Started,
                        required: true,
                        path: at.clone(),
                    });
                    Some(c.clone())
                }
                None => {
                    problems.push(Problem::at(
                        &at,
                        format!("no service {other:?} to share a network stack with"),
                    ));
                    None
                }
            }
        } else if let Some(c) = mode.strip_prefix("container:") {
            Some(c.to_string())
        } else if matches!(mode, "host" | "none" | "bridge") {
            spec.networks = vec![mode.to_string()];
            None
        } else {
            problems.push(Problem::at(
                &at,
                format!("{mode:?}: use host, none, bridge, service:NAME or container:NAME (networks go under `networks`)"),
            ));
            None
        };
        if let Some(c) = shared {
            for (key, set) in [
                ("ports", !spec.ports.is_empty()),
                ("hostname", spec.hostname.is_some()),
                ("dns", !spec.dns.is_empty()),
                ("extra_hosts", !spec.extra_hosts.is_empty()),
            ] {
                if set {
                    problems.push(Problem::at(
                        format!("{base}.{key}"),
                        format!("a service that shares another's network stack ({mode}) cannot set {key}"),
                    ));
                }
            }
            spec.network_of = Some(c);
        }
        return Vec::new();
    }
    let joins: Vec<(
        String,
        String,
        Option<docker_compose_types::AdvancedNetworkSettings>,
    )> = match &svc.networks {
        Networks::Simple(l) if l.is_empty() => vec![("default".into(), base.to_string(), None)],
        Networks::Simple(l) => l
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), format!("{base}.networks[{i}]"), None))
            .collect(),
        Networks::Advanced(a) => {
            a.0.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        format!("{base}.networks.{k}"),
                        Option::from(v.clone()),
                    )
                })
                .collect()
        }
    };
    let mut keys = Vec::new();
    for (key, at, settings) in joins {
        let Some(known) = ctx.networks.get(&key) else {
            let declared: Vec<&str> = ctx
                .networks
                .keys()
                .filter(|k| *k != "default")
                .map(String::as_str)
                .collect();
            problems.push(Problem::at(
                &at,
                format!(
                    "network {key:?} is not declared under the top-level `networks` (declared: {})",
                    if declared.is_empty() {
                        "none".to_string()
                    } else {
                        declared.join(", ")
                    }
                ),
            ));
            continue;
        };
        let docker_name = known.planned.spec.name.clone();
        if let Some(s) = settings {
            let mut endpoint = EndpointSpec {
                aliases: s.aliases.clone(),
                ..Default::default()
            };
            for (field, value, v4) in [
                ("ipv4_address", &s.ipv4_address, true),
                ("ipv6_address", &s.ipv6_address, false),
            ] {
                let Some(text) = value else { continue };
                let here = format!("{at}.{field}");
                match text.parse::<IpAddr>() {
                    Ok(ip) if ip.is_ipv4() != v4 => problems.push(Problem::at(&here, format!("{text} is not an IPv{} address", if v4 { 4 } else { 6 }))),
                    Ok(ip) if !known.subnets.iter().any(|s| contains(s, ip)) => problems.push(Problem::at(
                        &here,
                        match known.subnets.is_empty() {
                            true => format!("network {key:?} has no ipam subnet: Docker gives fixed addresses only on networks with a configured subnet"),
                            false => format!("{text} is not in network {key:?}'s subnets ({})", known.subnets.join(", ")),
                        },
                    )),
                    Ok(ip) if v4 => endpoint.ipv4 = Some(ip.to_string()),
                    Ok(ip) => endpoint.ipv6 = Some(ip.to_string()),
                    Err(_) => problems.push(Problem::at(&here, format!("{text:?} is not an IP address"))),
                }
            }
            if endpoint != EndpointSpec::default() {
                spec.endpoints.insert(docker_name.clone(), endpoint);
            }
        }
        spec.networks.push(docker_name);
        keys.push(key);
    }
    keys
}
