//! The topology as a Mermaid flowchart: networks as double-bordered blue
//! boxes, containers as rounded boxes, one line per attachment labelled with
//! the container's address on that network.

use std::fmt::Write;

use super::{Ids, container_lines, network_lines};
use crate::docker::topology::Topology;

/// Mermaid flowchart text for `topology`.
pub(crate) fn render(topology: &Topology) -> String {
    let mut ids = Ids::default();
    let mut out = String::from("flowchart TB\n");
    for n in &topology.networks {
        let id = ids.of('n', &n.name);
        let class = if n.external { "external" } else { "network" };
        let _ = writeln!(out, "  {id}[[\"{}\"]]:::{class}", label(&network_lines(n)));
    }
    for c in &topology.containers {
        let id = ids.of('c', &c.name);
        let _ = writeln!(
            out,
            "  {id}(\"{}\"):::container",
            label(&container_lines(c))
        );
    }
    for a in &topology.attachments {
        let (net, ctr) = (ids.of('n', &a.network), ids.of('c', &a.container));
        if a.ip.is_empty() {
            let _ = writeln!(out, "  {net} --- {ctr}");
        } else {
            let _ = writeln!(out, "  {net} ---|\"{}\"| {ctr}", escape(&a.ip));
        }
    }
    out.push_str("  classDef network fill:#dbeafe,stroke:#1d4ed8,stroke-width:2px,color:#0f172a\n");
    out.push_str(
        "  classDef external fill:#f1f5f9,stroke:#64748b,stroke-dasharray:5 5,color:#0f172a\n",
    );
    out.push_str("  classDef container fill:#fef9c3,stroke:#a16207,color:#0f172a\n");
    out
}

fn label(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| escape(l))
        .collect::<Vec<_>>()
        .join("<br/>")
}

/// Mermaid's entity codes for the characters that end or confuse a quoted label.
fn escape(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::sample;

    #[test]
    fn every_node_and_edge_appears_once() {
        let text = render(&sample());
        assert!(text.starts_with("flowchart TB\n"));
        assert!(
            text.contains("  n_back[[\"back<br/>bridge · 10.9.2.0/24<br/>internal\"]]:::network\n")
        );
        assert!(
            text.contains(
                "  c_web(\"web<br/>busybox · running<br/>8080-#gt;80/tcp\"):::container\n"
            )
        );
        assert!(text.contains("  n_front ---|\"10.9.1.3\"| c_api\n"));
        assert!(text.contains("  n_mgmt ---|\"10.9.3.3\"| c_db\n"));
        assert_eq!(text.matches(":::network").count(), 3);
        assert_eq!(text.matches(":::container").count(), 5);
        assert_eq!(text.matches(" ---|").count(), 7);
    }

    #[test]
    fn an_address_less_attachment_has_no_label_and_quotes_are_escaped() {
        let mut t = sample();
        t.attachments[0].ip.clear();
        t.containers[0].image = "say\"hi\"".into();
        let text = render(&t);
        assert!(text.contains("  n_back --- c_api\n"), "{text}");
        assert!(text.contains("say#quot;hi#quot;"), "{text}");
    }
}
