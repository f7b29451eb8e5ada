//! What a run made, read back from the daemon as an export [`RunModel`]:
//! its networks and containers with what was asked for them (fixed
//! addresses, aliases, published ports), leaving out what Docker or the
//! image adds on its own (the container id alias, the image's command and
//! environment, netrig's labels), so the Compose file says only what the
//! run said.

use std::collections::{BTreeMap, HashMap};

use bollard::models::ContainerInspectResponse;

use super::export::{Attachment, ModelContainer, ModelNetwork, RunModel};
use crate::docker::Client;
use crate::docker::error::Result;
use crate::docker::ports::{PortMapping, parse_publish};
use crate::docker::run::labels::{IPAM, PREDEFINED_NETWORKS};
use crate::docker::run::names::Names;
use crate::docker::spec::HealthSpec;

/// Reads run `run_id`'s networks and containers. Names lose the run's
/// isolation prefix (`netrig test`), as the script knew them. Notes about
/// what a Compose file cannot say are returned beside the model.
pub async fn gather(client: &Client, run_id: &str) -> Result<(RunModel, Vec<String>)> {
    let names = Names::prefixed(run_id);
    let filter = HashMap::from([("label".to_string(), vec![format!("netrig.run={run_id}")])]);
    let rows = client.list_containers(true, filter.clone()).await?;
    let mut inspected = Vec::new();
    for row in &rows {
        inspected.push(client.inspect_container(&row.id).await?);
    }
    inspected.sort_by(|a, b| a.created.cmp(&b.created));
    let by_id: HashMap<String, String> = inspected
        .iter()
        .map(|c| (c.id.clone().unwrap_or_default(), plain(&c.name)))
        .collect();

    let mut model = RunModel::default();
    let mut notes = Vec::new();
    let mut used: Vec<String> = Vec::new();
    let mut images: HashMap<String, bollard::models::ImageInspect> = HashMap::new();
    for c in &inspected {
        let image = c
            .config
            .as_ref()
            .and_then(|c| c.image.clone())
            .unwrap_or_default();
        if !images.contains_key(&image)
            && let Ok(i) = client
                .api("GET /images/{name}/json", None, |d| d.inspect_image(&image))
                .await
        {
            images.insert(image.clone(), i);
        }
        let m = container(c, images.get(&image), &by_id, &names, &mut notes);
        used.extend(m.networks.iter().map(|a| a.network.clone()));
        model.containers.push(m);
    }

    let own = client.list_networks(filter).await?;
    for n in &own {
        let json = client.inspect_network(&n.id).await?;
        model.networks.push(network(&json, &names));
    }
    for name in used {
        if !model.networks.iter().any(|n| n.name == name) {
            notes.push(format!(
                "network {name:?} was not made by this run; the Compose file creates it as a network of its own"
            ));
            model.networks.push(ModelNetwork {
                name,
                ..Default::default()
            });
        }
    }
    Ok((model, notes))
}

fn plain(name: &Option<String>) -> String {
    name.as_deref()
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_string()
}

fn container(
    c: &ContainerInspectResponse,
    image: Option<&bollard::models::ImageInspect>,
    by_id: &HashMap<String, String>,
    names: &Names,
    notes: &mut Vec<String>,
) -> ModelContainer {
    let id = c.id.clone().unwrap_or_default();
    let docker_name = plain(&c.name);
    let name = names.script(&docker_name).to_string();
    let config = c.config.clone().unwrap_or_default();
    let host = c.host_config.clone().unwrap_or_default();
    let image_config = image.and_then(|i| i.config.clone()).unwrap_or_default();
    let mode = host.network_mode.clone().unwrap_or_default();
    let endpoints: BTreeMap<String, bollard::models::EndpointSettings> = c
        .network_settings
        .as_ref()
        .and_then(|s| s.networks.clone())
        .unwrap_or_default()
        .into_iter()
        .collect();
    // The network it was created on comes first; the others in name order.
    let mut order: Vec<&String> = endpoints.keys().collect();
    order.sort_by_key(|n| (**n != mode, (*n).clone()));
    let mut networks = Vec::new();
    let mut network_mode = None;
    if let Some(other) = mode.strip_prefix("container:") {
        let other = by_id.get(other).map(String::as_str).unwrap_or(other);
        network_mode = Some(format!("container:{}", names.script(other)));
    }
    for net in order {
        let ep = &endpoints[net];
        if PREDEFINED_NETWORKS.contains(&net.as_str()) {
            match endpoints.len() {
                1 => network_mode = Some(net.clone()),
                _ => notes.push(format!(
                    "container {name:?} is also on Docker's {net:?} network, which a Compose service cannot join beside others; left out"
                )),
            }
            continue;
        }
        let ipam = ep.ipam_config.clone().unwrap_or_default();
        let own_names = [docker_name.as_str(), name.as_str(), &id[..id.len().min(12)]];
        networks.push(Attachment {
            network: names.script(net).to_string(),
            aliases: ep
                .aliases
                .clone()
                .unwrap_or_default()
                .into_iter()
                .filter(|a| !own_names.contains(&a.as_str()))
                .collect(),
            ipv4: ipam.ipv4_address.filter(|a| !a.is_empty()),
            ipv6: ipam.ipv6_address.filter(|a| !a.is_empty()),
        });
    }
    let mut ports = Vec::new();
    for (key, bindings) in host.port_bindings.clone().unwrap_or_default() {
        for b in bindings.unwrap_or_default() {
            let ip = b.host_ip.filter(|i| !i.is_empty());
            let hp = b.host_port.unwrap_or_default();
            let text = match ip {
                Some(ip) if ip.contains(':') => format!("[{ip}]:{hp}:{key}"),
                Some(ip) => format!("{ip}:{hp}:{key}"),
                None if hp.is_empty() => key.clone(),
                None => format!("{hp}:{key}"),
            };
            ports.extend(parse_publish(&text).unwrap_or_default());
        }
    }
    ports.sort_by_key(|p: &PortMapping| (p.container_port, p.host_port, p.host_ip.clone()));
    let image_env = image_config.env.clone().unwrap_or_default();
    let own_entrypoint = config
        .entrypoint
        .clone()
        .filter(|e| Some(e) != image_config.entrypoint.as_ref());
    let own_cmd = config
        .cmd
        .clone()
        .filter(|c| own_entrypoint.is_some() || Some(c) != image_config.cmd.as_ref());
    let image_labels = image_config.labels.clone().unwrap_or_default();
    let mut labels: Vec<(String, String)> = config
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, v)| !k.starts_with("netrig.") && image_labels.get(k) != Some(v))
        .collect();
    labels.sort();
    ModelContainer {
        name,
        image: config.image.clone().unwrap_or_default(),
        networks,
        network_mode,
        ports,
        cmd: own_cmd,
        entrypoint: own_entrypoint,
        env: config
            .env
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| !image_env.contains(e))
            .filter_map(|e| {
                e.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect(),
        hostname: config
            .hostname
            .clone()
            .filter(|h| !id.starts_with(h.as_str())),
        cap_add: host.cap_add.clone().unwrap_or_default(),
        labels,
        dns: host.dns.clone().unwrap_or_default(),
        extra_hosts: host.extra_hosts.clone().unwrap_or_default(),
        // Docker exposes what is published and what the image exposes; the rest was asked for.
        expose: (config.exposed_ports.clone().unwrap_or_default().into_iter())
            .filter(|k| !image_config.exposed_ports.iter().flatten().any(|i| i == k))
            .filter(|k| !host.port_bindings.iter().flatten().any(|(b, _)| b == k))
            .collect(),
        healthcheck: config
            .healthcheck
            .clone()
            .filter(|h| Some(h) != image_config.healthcheck.as_ref())
            .and_then(health),
    }
}

/// A container's health check as asked for (Docker writes 0 for "not set").
fn health(h: bollard::models::HealthConfig) -> Option<HealthSpec> {
    let time = |ns: Option<i64>| {
        ns.filter(|n| *n > 0)
            .map(|n| std::time::Duration::from_nanos(n as u64))
    };
    Some(HealthSpec {
        test: h.test.filter(|t| !t.is_empty())?,
        interval: time(h.interval),
        timeout: time(h.timeout),
        start_period: time(h.start_period),
        retries: h.retries.filter(|r| *r > 0).map(|r| r as u32),
    })
}

fn network(json: &serde_json::Value, names: &Names) -> ModelNetwork {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let pairs = |v: &serde_json::Value| -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = v
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), s(v))).collect())
            .unwrap_or_default();
        out.retain(|(k, _)| !k.starts_with("netrig."));
        out.sort();
        out
    };
    let driver = s(&json["Driver"]);
    ModelNetwork {
        name: names.script(&s(&json["Name"])).to_string(),
        driver: (!driver.is_empty() && driver != "bridge").then_some(driver),
        internal: json["Internal"].as_bool().unwrap_or(false),
        attachable: json["Attachable"].as_bool().unwrap_or(false),
        ipv6: json["EnableIPv6"].as_bool().unwrap_or(false),
        // A pool the daemon or netrig's subnet pool picked is left out:
        // another daemon may have it in use.
        subnets: (json["Labels"][IPAM] != "daemon" && json["Labels"][IPAM] != "pool")
            .then(|| json["IPAM"]["Config"].as_array())
            .flatten()
            .map(|pools| {
                pools
                    .iter()
                    .filter(|p| !s(&p["Subnet"]).is_empty())
                    .map(|p| {
                        (
                            s(&p["Subnet"]),
                            Some(s(&p["Gateway"])).filter(|g| !g.is_empty()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        options: pairs(&json["Options"]),
        labels: pairs(&json["Labels"]),
    }
}

/// A run written as a Compose file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Exported {
    /// The Compose file's text.
    pub text: String,
    /// What the file could not say (see [`gather`]).
    pub notes: Vec<String>,
    /// Services written.
    pub containers: usize,
    /// Networks written.
    pub networks: usize,
}

impl Exported {
    /// `wrote 2 services and 1 network to out.yml`, for the user.
    pub(crate) fn summary(&self, path: &std::path::Path) -> String {
        format!(
            "wrote {} and {} to {} (bring it up with `docker compose -f {} up -d`)",
            crate::text::plural(self.containers, "service"),
            crate::text::plural(self.networks, "network"),
            path.display(),
            path.display()
        )
    }
}

/// Run `run_id`'s networks and containers as a Compose file.
pub(crate) async fn compose_file(client: &Client, run_id: &str) -> Result<Exported> {
    let (model, notes) = gather(client, run_id).await?;
    let comment = format!(
        "Written by netrig from run {run_id}: its networks and containers, with\n\
         their aliases, fixed addresses, published ports, commands and environment."
    );
    Ok(Exported {
        text: super::export::to_compose(&model, &comment),
        notes,
        containers: model.containers.len(),
        networks: model.networks.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_the_daemon_picked_is_not_pinned() {
        let inspected = |labels: serde_json::Value| {
            serde_json::json!({
                "Name": "ab12cd34-back", "Driver": "bridge", "Internal": true,
                "IPAM": {"Config": [{"Subnet": "172.27.0.0/16", "Gateway": "172.27.0.1"}]},
                "Labels": labels,
            })
        };
        let names = Names::prefixed("ab12cd34");
        let picked = network(
            &inspected(serde_json::json!({"netrig.run": "ab12cd34", "netrig.ipam": "daemon"})),
            &names,
        );
        assert_eq!(picked.name, "back");
        assert!(picked.internal);
        assert!(picked.subnets.is_empty(), "{:?}", picked.subnets);
        assert!(picked.labels.is_empty(), "netrig's labels stay out");
        let asked = network(
            &inspected(serde_json::json!({"netrig.run": "ab12cd34", "tier": "data"})),
            &names,
        );
        assert_eq!(
            asked.subnets,
            vec![("172.27.0.0/16".to_string(), Some("172.27.0.1".to_string()))]
        );
        assert_eq!(asked.labels, vec![("tier".to_string(), "data".to_string())]);
    }
}
