//! The topology as Graphviz DOT: an undirected graph, networks as filled
//! blue boxes (dashed when outside the scope), containers as rounded yellow
//! boxes, one edge per attachment labelled with the address.

use std::fmt::Write;

use super::{container_lines, network_lines};
use crate::docker::topology::Topology;

/// DOT text for `topology`. Node ids are `"net:<name>"` and `"ctr:<name>"`.
pub(crate) fn render(topology: &Topology) -> String {
    let mut out = String::from(
        "graph netrig {\n  \
         rankdir=TB;\n  \
         node [fontname=\"Helvetica\", fontsize=12];\n  \
         edge [fontname=\"Helvetica\", fontsize=10, color=\"#475569\"];\n",
    );
    for n in &topology.networks {
        let style = if n.external {
            "filled,dashed"
        } else {
            "filled,bold"
        };
        let _ = writeln!(
            out,
            "  {} [shape=box, style=\"{style}\", fillcolor=\"#dbeafe\", color=\"#1d4ed8\", label={}];",
            quote(&format!("net:{}", n.name)),
            quote(&network_lines(n).join("\n"))
        );
    }
    for c in &topology.containers {
        let _ = writeln!(
            out,
            "  {} [shape=box, style=\"rounded,filled\", fillcolor=\"#fef9c3\", color=\"#a16207\", label={}];",
            quote(&format!("ctr:{}", c.name)),
            quote(&container_lines(c).join("\n"))
        );
    }
    for a in &topology.attachments {
        let _ = write!(
            out,
            "  {} -- {}",
            quote(&format!("net:{}", a.network)),
            quote(&format!("ctr:{}", a.container))
        );
        if a.ip.is_empty() {
            out.push_str(";\n");
        } else {
            let _ = writeln!(out, " [label={}];", quote(&a.ip));
        }
    }
    out.push_str("}\n");
    out
}

/// A DOT double-quoted string; line breaks become `\n`.
fn quote(text: &str) -> String {
    let mut q = String::with_capacity(text.len() + 2);
    q.push('"');
    for c in text.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::sample;

    #[test]
    fn every_node_and_edge_appears_once() {
        let text = render(&sample());
        assert!(text.starts_with("graph netrig {\n"));
        assert!(text.ends_with("}\n"));
        assert!(text.contains(
            "  \"net:back\" [shape=box, style=\"filled,bold\", fillcolor=\"#dbeafe\", color=\"#1d4ed8\", \
             label=\"back\\nbridge · 10.9.2.0/24\\ninternal\"];\n"
        ), "{text}");
        assert!(text.contains("label=\"web\\nbusybox · running\\n8080->80/tcp\"];\n"));
        assert!(text.contains("  \"net:front\" -- \"ctr:api\" [label=\"10.9.1.3\"];\n"));
        assert_eq!(text.matches("fillcolor=\"#dbeafe\"").count(), 3);
        assert_eq!(text.matches("fillcolor=\"#fef9c3\"").count(), 5);
        assert_eq!(text.matches(" -- ").count(), 7);
    }

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        let mut t = sample();
        t.networks[0].external = true;
        t.attachments[0].ip.clear();
        let text = render(&t);
        assert!(text.contains("style=\"filled,dashed\""));
        assert!(text.contains("  \"net:back\" -- \"ctr:api\";\n"));
    }
}
