//! Seeing the topology: the live networks and containers drawn as Mermaid,
//! DOT or SVG, and the drift between an intended topology and the live one.
//!
//! Rendering and drift are pure functions of a [`Topology`]; only
//! [`live`], [`session_graph`] and [`write_run_svg`] ask the daemon.

pub(crate) mod dot;
pub(crate) mod drift;
pub(crate) mod mermaid;
pub(crate) mod svg;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::docker::topology::{ContainerNode, NetworkNode, Topology, TopologyScope};
use crate::docker::{Client, DockerError, RunSession};

/// An output format of a topology graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A Mermaid flowchart, for Markdown.
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// An SVG picture, laid out in-process.
    Svg,
}

impl Format {
    /// Every format's name, for messages.
    pub(crate) const NAMES: &'static str = "mermaid, dot, svg";

    /// The format a file name's extension asks for (`.svg`, `.dot`/`.gv`, `.mmd`/`.mermaid`).
    pub(crate) fn from_extension(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "svg" => Some(Format::Svg),
            "dot" | "gv" => Some(Format::Dot),
            "mmd" | "mermaid" => Some(Format::Mermaid),
            _ => None,
        }
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "mermaid" | "mmd" => Ok(Format::Mermaid),
            "dot" | "graphviz" => Ok(Format::Dot),
            "svg" => Ok(Format::Svg),
            _ => Err(format!(
                "unknown graph format {s:?}; valid formats: {}",
                Format::NAMES
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Mermaid => "mermaid",
            Format::Dot => "dot",
            Format::Svg => "svg",
        })
    }
}

/// The topology drawn in `format`.
pub(crate) fn render(topology: &Topology, format: Format) -> String {
    match format {
        Format::Mermaid => mermaid::render(topology),
        Format::Dot => dot::render(topology),
        Format::Svg => svg::render(topology),
    }
}

/// The lines of a network's label: name, driver and subnets, flags.
pub(crate) fn network_lines(n: &NetworkNode) -> Vec<String> {
    let mut lines = vec![n.name.clone()];
    let mut detail = n.driver.clone();
    if !n.subnets.is_empty() {
        if !detail.is_empty() {
            detail.push_str(" · ");
        }
        detail.push_str(&n.subnets.join(", "));
    }
    if !detail.is_empty() {
        lines.push(detail);
    }
    let flags: Vec<&str> = [(n.internal, "internal"), (n.external, "external")]
        .into_iter()
        .filter_map(|(on, word)| on.then_some(word))
        .collect();
    if !flags.is_empty() {
        lines.push(flags.join(", "));
    }
    lines
}

/// The lines of a container's label: name, image and state, published ports.
pub(crate) fn container_lines(c: &ContainerNode) -> Vec<String> {
    let mut lines = vec![c.name.clone(), format!("{} · {}", c.image, c.state)];
    lines.extend(c.ports.iter().cloned());
    lines
}

/// Node identifiers that are valid in every format (letters, digits, `_`),
/// distinct even when two names differ only in punctuation.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    used: std::collections::HashMap<(char, String), String>,
    taken: std::collections::HashSet<String>,
}

impl Ids {
    /// The id of the network or container (`kind` 'n' or 'c') called `name`.
    pub(crate) fn of(&mut self, kind: char, name: &str) -> String {
        if let Some(id) = self.used.get(&(kind, name.to_string())) {
            return id.clone();
        }
        let base: String = format!("{kind}_{name}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let mut id = base.clone();
        let mut n = 2;
        while self.taken.contains(&id) {
            id = format!("{base}_{n}");
            n += 1;
        }
        self.taken.insert(id.clone());
        self.used.insert((kind, name.to_string()), id.clone());
        id
    }
}

/// Why a graph could not be made or saved.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The daemon could not be asked.
    #[error(transparent)]
    Docker(#[from] DockerError),
    /// The file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// The live topology of `scope`, drawn in `format`.
pub(crate) async fn live(
    client: &Client,
    scope: &TopologyScope,
    format: Format,
) -> Result<String, DockerError> {
    Ok(render(&client.topology(scope).await?, format))
}

/// The topology of a session's own run drawn in `format`: what the REPL's
/// `:graph [format]` shows.
pub async fn session_graph(session: &RunSession, format: Format) -> Result<String, DockerError> {
    Ok(render(&session_topology(session).await?, format))
}

/// A session's own run, in the names its script uses.
async fn session_topology(session: &RunSession) -> Result<Topology, DockerError> {
    let topology = session
        .client()
        .topology(&TopologyScope::Run(session.run_id().to_string()))
        .await?;
    Ok(topology.renamed(|n| session.script_name(n).to_string()))
}

/// Writes the SVG of a session's own run, in its script's names, to
/// `<dir>/<name>.svg`: what `netrig test --report DIR` keeps per scenario.
pub(crate) async fn write_session_svg(
    session: &RunSession,
    dir: &Path,
    name: &str,
) -> Result<PathBuf, GraphError> {
    let svg = render(&session_topology(session).await?, Format::Svg);
    write_svg(dir, name, &svg)
}

/// Writes the SVG of run `run_id` to `<dir>/<name>.svg` (the directory is
/// made if missing) and returns the path: what `netrig test --report DIR`
/// keeps per scenario, at the end of the run or at its failure, before teardown.
pub async fn write_run_svg(
    client: &Client,
    run_id: &str,
    dir: &Path,
    name: &str,
) -> Result<PathBuf, GraphError> {
    let svg = live(client, &TopologyScope::Run(run_id.to_string()), Format::Svg).await?;
    write_svg(dir, name, &svg)
}

fn write_svg(dir: &Path, name: &str, svg: &str) -> Result<PathBuf, GraphError> {
    let path = dir.join(format!("{}.svg", file_stem(name)));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, svg))
        .map_err(|source| GraphError::Write {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

/// A scenario name as a file name: path separators and odd characters become `_`.
pub(crate) fn file_stem(name: &str) -> String {
    let stem = Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(name);
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "topology".into()
    } else {
        clean
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::docker::topology::Attachment;

    /// Three networks, five containers: the shape the integration test uses.
    pub(crate) fn sample() -> Topology {
        let net = |name: &str, subnet: &str, internal: bool| NetworkNode {
            name: name.into(),
            id: format!("id-{name}"),
            driver: "bridge".into(),
            subnets: vec![subnet.into()],
            internal,
            external: false,
        };
        let ctr = |name: &str, ports: &[&str]| ContainerNode {
            name: name.into(),
            id: format!("id-{name}"),
            image: "busybox".into(),
            state: "running".into(),
            ports: ports.iter().map(|p| p.to_string()).collect(),
        };
        let att = |network: &str, container: &str, ip: &str| Attachment {
            network: network.into(),
            container: container.into(),
            ip: ip.into(),
        };
        Topology {
            networks: vec![
                net("back", "10.9.2.0/24", true),
                net("front", "10.9.1.0/24", false),
                net("mgmt", "10.9.3.0/24", false),
            ],
            containers: vec![
                ctr("api", &[]),
                ctr("db", &[]),
                ctr("ops", &[]),
                ctr("web", &["8080->80/tcp"]),
                ctr("worker", &[]),
            ],
            attachments: vec![
                att("back", "api", "10.9.2.2"),
                att("back", "db", "10.9.2.3"),
                att("back", "worker", "10.9.2.4"),
                att("front", "api", "10.9.1.3"),
                att("front", "web", "10.9.1.2"),
                att("mgmt", "ops", "10.9.3.2"),
                att("mgmt", "db", "10.9.3.3"),
            ],
        }
    }

    #[test]
    fn formats_parse_and_follow_extensions() {
        assert_eq!("SVG".parse::<Format>(), Ok(Format::Svg));
        assert!(
            "png"
                .parse::<Format>()
                .unwrap_err()
                .contains("mermaid, dot, svg")
        );
        assert_eq!(
            Format::from_extension(Path::new("a/t.gv")),
            Some(Format::Dot)
        );
        assert_eq!(Format::from_extension(Path::new("t.txt")), None);
    }

    #[test]
    fn labels_say_what_a_reader_needs() {
        let t = sample();
        assert_eq!(
            network_lines(&t.networks[0]),
            ["back", "bridge · 10.9.2.0/24", "internal"]
        );
        assert_eq!(
            container_lines(&t.containers[3]),
            ["web", "busybox · running", "8080->80/tcp"]
        );
    }

    #[test]
    fn ids_stay_distinct() {
        let mut ids = Ids::default();
        assert_eq!(ids.of('n', "my-net"), "n_my_net");
        assert_eq!(ids.of('n', "my_net"), "n_my_net_2");
        assert_eq!(ids.of('n', "my-net"), "n_my_net");
        assert_eq!(ids.of('c', "my-net"), "c_my_net");
    }

    #[test]
    fn report_files_are_named_after_the_scenario() {
        assert_eq!(file_stem("scenarios/05 several.rhai"), "05_several");
        assert_eq!(file_stem(""), "topology");
    }
}
