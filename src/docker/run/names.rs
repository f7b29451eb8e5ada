//! Script names and Docker names. `netrig run` uses a script's names as
//! they are; `netrig test` runs many scenarios at once that may all say
//! "web", so each run gets a short prefix (its run id, as Compose uses its
//! project name) for the real Docker names while the script keeps its own.
//! Everything here is pure: the session applies it on the way to the daemon
//! and back.

use super::labels::PREDEFINED_NETWORKS;
use super::session::ResourceKind;

/// How one run maps the names its script uses to the names Docker knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Names {
    /// `<run id>-` when the run is isolated; `None` keeps names unchanged.
    prefix: Option<String>,
}

impl Names {
    /// Names used as they are (`netrig run`, the REPL).
    pub(crate) fn unchanged() -> Self {
        Names { prefix: None }
    }

    /// Names prefixed with `<run_id>-` on the daemon (`netrig test`).
    pub(crate) fn prefixed(run_id: &str) -> Self {
        Names {
            prefix: Some(format!("{run_id}-")),
        }
    }

    /// The prefix, when the run is isolated.
    pub(crate) fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// The Docker name for a name the script uses. In an isolated run every
    /// name is the run's own, except Docker's predefined networks and
    /// container ids, which pass unchanged; so a scenario can never touch
    /// another scenario's `web`, not even by mistake.
    pub(crate) fn docker(&self, kind: ResourceKind, script_name: &str) -> String {
        let Some(prefix) = &self.prefix else {
            return script_name.to_string();
        };
        let predefined =
            kind == ResourceKind::Network && PREDEFINED_NETWORKS.contains(&script_name);
        if predefined || is_container_id(script_name) || script_name.starts_with(prefix.as_str()) {
            script_name.to_string()
        } else {
            format!("{prefix}{script_name}")
        }
    }

    /// The name the script knows a Docker name by: the run's own resources
    /// lose the prefix, anything else keeps its real name.
    pub(crate) fn script<'a>(&self, docker_name: &'a str) -> &'a str {
        let bare = docker_name.trim_start_matches('/');
        match &self.prefix {
            Some(prefix) => bare.strip_prefix(prefix.as_str()).unwrap_or(docker_name),
            None => docker_name,
        }
    }

    /// A message from the daemon with the run's Docker names turned back into
    /// the script's (`No such container: 3f2a1b2c-web` → `… web`).
    pub(crate) fn script_text(&self, text: &str) -> String {
        match &self.prefix {
            Some(prefix) => text.replace(prefix.as_str(), ""),
            None => text.to_string(),
        }
    }

    /// An inspect answer as the script should see it: every string and key
    /// that names one of the run's resources (`web`, `/web`) in script terms.
    pub(crate) fn script_json(&self, json: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        if self.prefix.is_none() {
            return json;
        }
        match json {
            Value::String(s) => Value::String(self.script_string(&s)),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| self.script_json(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.script_string(&k), self.script_json(v)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// One string of an inspect answer: a name of the run's (with or without
    /// Docker's leading `/`) loses the prefix; anything else is left alone.
    fn script_string(&self, s: &str) -> String {
        let Some(prefix) = &self.prefix else {
            return s.to_string();
        };
        match s.strip_prefix('/') {
            Some(rest) => match rest.strip_prefix(prefix.as_str()) {
                Some(name) => format!("/{name}"),
                None => s.to_string(),
            },
            None => s.strip_prefix(prefix.as_str()).unwrap_or(s).to_string(),
        }
    }
}

/// A full or short container id (12 to 64 lowercase hex digits), which the
/// daemon accepts wherever a name goes.
fn is_container_id(s: &str) -> bool {
    (12..=64).contains(&s.len()) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResourceKind::{Container, Network};

    #[test]
    fn unchanged_names_pass_through() {
        let n = Names::unchanged();
        assert_eq!(n.docker(Container, "web"), "web");
        assert_eq!(n.script("web"), "web");
        assert_eq!(
            n.script_text("No such container: web"),
            "No such container: web"
        );
    }

    #[test]
    fn isolated_names_carry_the_run_prefix_both_ways() {
        let n = Names::prefixed("3f2a1b2c");
        assert_eq!(n.docker(Container, "web"), "3f2a1b2c-web");
        assert_eq!(n.docker(Network, "my_net"), "3f2a1b2c-my_net");
        // Already mapped names are not mapped twice.
        assert_eq!(n.docker(Container, "3f2a1b2c-web"), "3f2a1b2c-web");
        assert_eq!(n.script("3f2a1b2c-web"), "web");
        assert_eq!(n.script("/3f2a1b2c-web"), "web");
        // Another run's resource keeps its real name.
        assert_eq!(n.script("aaaaaaaa-web"), "aaaaaaaa-web");
    }

    #[test]
    fn predefined_networks_and_ids_are_never_prefixed() {
        let n = Names::prefixed("3f2a1b2c");
        for net in ["bridge", "host", "none"] {
            assert_eq!(n.docker(Network, net), net);
        }
        // A container may well be called "bridge"; only networks are special.
        assert_eq!(n.docker(Container, "bridge"), "3f2a1b2c-bridge");
        assert_eq!(n.docker(Container, "a1c91989e0c4"), "a1c91989e0c4");
    }

    #[test]
    fn messages_and_inspect_answers_use_script_names() {
        let n = Names::prefixed("3f2a1b2c");
        assert_eq!(
            n.script_text("inspect container \"3f2a1b2c-web\": No such container: 3f2a1b2c-web"),
            "inspect container \"web\": No such container: web"
        );
        let json = serde_json::json!({
            "Name": "/3f2a1b2c-web",
            "Id": "a1c91989e0c4",
            "NetworkSettings": {"Networks": {"3f2a1b2c-front": {"Aliases": ["web"]}, "bridge": {}}},
            "Containers": {"abc": {"Name": "3f2a1b2c-db"}, "def": {"Name": "other-db"}}
        });
        let shown = n.script_json(json);
        assert_eq!(shown["Name"], "/web");
        assert!(shown["NetworkSettings"]["Networks"].get("front").is_some());
        assert!(shown["NetworkSettings"]["Networks"].get("bridge").is_some());
        assert_eq!(shown["Containers"]["abc"]["Name"], "db");
        assert_eq!(shown["Containers"]["def"]["Name"], "other-db");
    }
}
