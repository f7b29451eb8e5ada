//! Which keys of the Compose specification netrig understands. Every key a
//! file uses is checked against this table before anything else, so a key
//! that netrig would not apply is reported with its path instead of being
//! dropped: a network test that silently ignored a `volumes:` or a
//! `network_mode` would test something else than the app.

use serde_norway::Value;

use super::error::Problem;
use super::interpolate::key_text;
use super::source::{child, item};

/// Supported paths: `*` is any map key, `[]` any list item. Keys starting
/// with `x-` (Compose extensions) are allowed anywhere.
pub(crate) const SUPPORTED: &[&str] = &[
    "version",
    "name",
    "services",
    "services.*",
    "services.*.image",
    "services.*.container_name",
    "services.*.hostname",
    "services.*.command",
    "services.*.command[]",
    "services.*.entrypoint",
    "services.*.entrypoint[]",
    "services.*.environment",
    "services.*.environment.*",
    "services.*.environment[]",
    "services.*.env_file",
    "services.*.env_file[]",
    "services.*.ports",
    "services.*.ports[]",
    "services.*.ports[].target",
    "services.*.ports[].published",
    "services.*.ports[].host_ip",
    "services.*.ports[].protocol",
    "services.*.ports[].mode",
    "services.*.expose",
    "services.*.expose[]",
    "services.*.networks",
    "services.*.networks[]",
    "services.*.networks.*",
    "services.*.networks.*.aliases",
    "services.*.networks.*.aliases[]",
    "services.*.networks.*.ipv4_address",
    "services.*.networks.*.ipv6_address",
    "services.*.network_mode",
    "services.*.extra_hosts",
    "services.*.extra_hosts[]",
    "services.*.extra_hosts.*",
    "services.*.dns",
    "services.*.dns[]",
    "services.*.depends_on",
    "services.*.depends_on[]",
    "services.*.depends_on.*",
    "services.*.depends_on.*.condition",
    "services.*.depends_on.*.required",
    "services.*.healthcheck",
    "services.*.healthcheck.test",
    "services.*.healthcheck.test[]",
    "services.*.healthcheck.interval",
    "services.*.healthcheck.timeout",
    "services.*.healthcheck.retries",
    "services.*.healthcheck.start_period",
    "services.*.healthcheck.disable",
    "services.*.cap_add",
    "services.*.cap_add[]",
    "services.*.deploy",
    "services.*.deploy.replicas",
    "services.*.scale",
    "services.*.profiles",
    "services.*.profiles[]",
    "services.*.labels",
    "services.*.labels.*",
    "services.*.labels[]",
    "services.*.working_dir",
    "services.*.user",
    "services.*.privileged",
    "services.*.init",
    "networks",
    "networks.*",
    "networks.*.name",
    "networks.*.driver",
    "networks.*.driver_opts",
    "networks.*.driver_opts.*",
    "networks.*.internal",
    "networks.*.attachable",
    "networks.*.enable_ipv6",
    "networks.*.external",
    "networks.*.external.name",
    "networks.*.labels",
    "networks.*.labels.*",
    "networks.*.labels[]",
    "networks.*.ipam",
    "networks.*.ipam.driver",
    "networks.*.ipam.config",
    "networks.*.ipam.config[]",
    "networks.*.ipam.config[].subnet",
    "networks.*.ipam.config[].gateway",
];

/// A step of a concrete path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Item,
}

fn supported(steps: &[Step]) -> bool {
    SUPPORTED.iter().any(|pattern| matches(pattern, steps))
}

fn matches(pattern: &str, steps: &[Step]) -> bool {
    let mut want = Vec::new();
    for part in pattern.split('.') {
        let (key, items) = match part.find("[]") {
            Some(at) => (&part[..at], part[at..].matches("[]").count()),
            None => (part, 0),
        };
        want.push(Some(key));
        want.extend(std::iter::repeat_n(None, items));
    }
    want.len() == steps.len()
        && want.iter().zip(steps).all(|(w, s)| match (w, s) {
            (None, Step::Item) => true,
            (Some(w), Step::Key(k)) => *w == "*" || w == k,
            _ => false,
        })
}

/// The keys of `value` that netrig does not support, each with its path.
/// With `remove`, they are also taken out of `value` (for
/// `ignore_unsupported`), so the rest can be read.
pub(crate) fn unsupported(value: &mut Value, remove: bool) -> Vec<Problem> {
    let mut found = Vec::new();
    walk(value, &mut Vec::new(), "", remove, &mut found);
    found
}

fn walk(
    value: &mut Value,
    steps: &mut Vec<Step>,
    path: &str,
    remove: bool,
    out: &mut Vec<Problem>,
) {
    match value {
        Value::Mapping(map) => {
            let mut drop = Vec::new();
            for (k, v) in map.iter_mut() {
                let key = key_text(k);
                if key.starts_with("x-") {
                    continue;
                }
                steps.push(Step::Key(key.clone()));
                let here = child(path, &key);
                if supported(steps) {
                    walk(v, steps, &here, remove, out);
                } else {
                    out.push(Problem::at(&here, explain(steps, &key)));
                    drop.push(k.clone());
                }
                steps.pop();
            }
            if remove {
                for k in drop {
                    map.remove(&k);
                }
            }
        }
        Value::Sequence(items) => {
            steps.push(Step::Item);
            for (i, v) in items.iter_mut().enumerate() {
                walk(v, steps, &item(path, i), remove, out);
            }
            steps.pop();
        }
        _ => {}
    }
}

/// Why a key is not supported, with what to do where there is something.
fn explain(steps: &[Step], key: &str) -> String {
    let top = matches!(steps.first(), Some(Step::Key(k)) if k == "services");
    let hint = match (steps.len(), key) {
        (3, "build") if top => {
            "netrig does not build images; give the service an `image`, or replace every image with the `image` option"
        }
        (3, "volumes") if top => "netrig tests networking and mounts nothing",
        (1, "volumes" | "secrets" | "configs") => "netrig tests networking and mounts nothing",
        (1, "include") => "netrig reads one file; merge the included files into it",
        (4, "start_interval") => "the daemon's API (1.41) has no start interval",
        _ => "",
    };
    match hint {
        "" => format!("netrig does not support \"{key}\" here"),
        h => format!("netrig does not support \"{key}\": {h}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str, remove: bool) -> (Vec<String>, Value) {
        let mut v: Value = serde_norway::from_str(yaml).unwrap();
        let found = unsupported(&mut v, remove);
        (found.into_iter().map(|p| p.path).collect(), v)
    }

    #[test]
    fn supported_files_pass_and_extensions_are_skipped() {
        let yaml = r#"
version: "3.9"
x-common: {anything: [1, 2]}
services:
  web:
    image: busybox
    x-note: hi
    ports: ["80:80", {target: 81, published: "8081", protocol: tcp}]
    networks: {front: {aliases: [www], ipv4_address: 10.1.0.5}}
    depends_on: {db: {condition: service_healthy}}
    healthcheck: {test: [CMD, "true"], interval: 1s}
    deploy: {replicas: 2}
networks:
  front: {ipam: {config: [{subnet: 10.1.0.0/24, gateway: 10.1.0.1}]}}
"#;
        assert_eq!(check(yaml, false).0, Vec::<String>::new());
    }

    #[test]
    fn every_unsupported_key_is_listed_with_its_path() {
        let yaml = r#"
volumes: {data: {}}
services:
  web:
    image: busybox
    volumes: ["data:/data"]
    restart: always
    ports: [{target: 80, name: web}]
    networks: {front: {priority: 5}}
    deploy: {replicas: 1, resources: {limits: {cpus: "0.5"}}}
    healthcheck: {test: "true", start_interval: 1s}
networks:
  front: {ipam: {config: [{subnet: 10.1.0.0/24, ip_range: 10.1.0.0/25}]}}
"#;
        let (paths, _) = check(yaml, false);
        assert_eq!(
            paths,
            vec![
                "volumes",
                "services.web.volumes",
                "services.web.restart",
                "services.web.ports[0].name",
                "services.web.networks.front.priority",
                "services.web.deploy.resources",
                "services.web.healthcheck.start_interval",
                "networks.front.ipam.config[0].ip_range",
            ]
        );
    }

    #[test]
    fn ignoring_removes_the_keys_and_keeps_the_rest() {
        let (paths, v) = check(
            "services:\n  web:\n    image: busybox\n    build: .\n    volumes: [a:/a]\n",
            true,
        );
        assert_eq!(paths, vec!["services.web.build", "services.web.volumes"]);
        assert_eq!(v["services"]["web"]["image"], "busybox");
        assert!(v["services"]["web"].get("volumes").is_none());
        let mut v: Value = serde_norway::from_str("services:\n  w:\n    build: .\n").unwrap();
        let p = unsupported(&mut v, false);
        assert!(
            p[0].message
                .contains("replace every image with the `image` option"),
            "{}",
            p[0].message
        );
    }
}
