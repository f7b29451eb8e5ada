//! `:help` and `:help NAME`, generated from the registered metadata.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::catalog::{Catalog, FnDoc, folded_call};
use super::highlight::Style;
use super::meta::MetaCommand;

/// How `:help` groups global functions. Each static module is an area of its
/// own, handle methods are found by their first parameter, and anything
/// registered but not listed here still shows, under "more".
const AREAS: &[(&str, &[&str])] = &[
    (
        "containers",
        &[
            "run", "ps", "inspect", "exec", "logs", "stop", "start", "rm",
        ],
    ),
    ("images", &["pull", "build", "images"]),
    (
        "batches (concurrent)",
        &[
            "run_all",
            "create_networks",
            "ping_all",
            "pingall",
            "exec_all",
        ],
    ),
    (
        "checks",
        &[
            "ping",
            "reachable",
            "assert_reachable",
            "assert_unreachable",
            "assert",
            "assert_eq",
            "sleep",
            "wait_until",
        ],
    ),
    ("topology", &["graph", "expect_topology"]),
    ("output", &["table"]),
];

/// The overview: every netrig function by area, then the meta commands.
/// `width` is the terminal's: summaries are cut to fit.
pub(crate) fn overview(
    catalog: &Catalog,
    meta: &[MetaCommand],
    style: &Style,
    width: usize,
) -> String {
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let own: Vec<&FnDoc> = catalog
        .functions
        .iter()
        .filter(|f| f.netrig && (f.is_callable() || f.property().is_some()))
        .collect();
    let by_name = |module: Option<&str>, name: &str| -> Vec<&FnDoc> {
        own.iter()
            .copied()
            .filter(|f| f.module.as_deref() == module && f.name == name)
            .collect()
    };
    let mut shown: Vec<String> = Vec::new();

    for module in catalog.modules() {
        let mut names: Vec<&str> = own
            .iter()
            .filter(|f| f.module.as_deref() == Some(module))
            .map(|f| f.name.as_str())
            .collect();
        names.dedup();
        let rows = names
            .iter()
            .map(|n| row(&format!("{module}::{n}"), &by_name(Some(module), n), false))
            .collect();
        sections.push((format!("{module}::"), rows));
    }

    // A host handle's methods share names with the globals (`b.run(…)`):
    // they are listed with the host handle, not here.
    let global = |name: &str| -> Vec<&FnDoc> {
        by_name(None, name)
            .into_iter()
            .filter(|f| f.params.first().is_none_or(|p| p.ty != "Host"))
            .collect()
    };
    for (area, names) in AREAS {
        let rows: Vec<(String, String)> = names
            .iter()
            .filter(|n| !global(n).is_empty())
            .map(|n| {
                shown.push(n.to_string());
                row(n, &global(n), false)
            })
            .collect();
        if !rows.is_empty() {
            sections.push((area.to_string(), rows));
        }
    }

    // Handle methods: functions whose first parameter is the handle itself.
    for (ty, title) in [
        ("Container", "container handles"),
        ("Network", "network handles"),
        ("Service", "service handles"),
        ("Host", "host handles (docker::connect)"),
    ] {
        let mut rows = Vec::new();
        let props: Vec<&str> = own
            .iter()
            .filter(|f| f.params.first().is_some_and(|p| p.ty.ends_with(ty)))
            .filter_map(|f| f.property())
            .collect();
        if !props.is_empty() {
            let text = props
                .iter()
                .map(|p| format!(".{p}"))
                .collect::<Vec<_>>()
                .join(" ");
            rows.push((text, "properties".to_string()));
        }
        let mut methods: Vec<&str> = own
            .iter()
            .filter(|f| f.property().is_none() && f.module.is_none())
            .filter(|f| f.params.first().is_some_and(|p| p.ty == ty))
            .map(|f| f.name.as_str())
            .collect();
        methods.dedup();
        for m in methods {
            shown.push(m.to_string());
            let overloads: Vec<&FnDoc> = by_name(None, m)
                .into_iter()
                .filter(|f| f.module.is_none() && f.params.first().is_some_and(|p| p.ty == ty))
                .collect();
            rows.push(row(&format!(".{m}"), &overloads, true));
        }
        if !rows.is_empty() {
            let example = match ty {
                "Container" => Some("web.exec(\"hostname\")"),
                "Network" => Some("net.rm()"),
                _ => None,
            };
            if let Some(example) = example {
                rows.push((
                    String::new(),
                    format!(
                        "(and every function taking a {} as a method: {example})",
                        ty.to_lowercase()
                    ),
                ));
            }
            sections.push((title.to_string(), rows));
        }
    }

    // Registered, but in no area above: still listed.
    let mut more: BTreeMap<&str, Vec<&FnDoc>> = BTreeMap::new();
    for f in &own {
        if f.module.is_none()
            && f.property().is_none()
            && !shown.iter().any(|s| s == &f.name)
            && !matches!(f.name.as_str(), "to_string" | "to_debug")
        {
            more.entry(f.name.as_str()).or_default().push(f);
        }
    }
    if !more.is_empty() {
        let rows = more.iter().map(|(n, fs)| row(n, fs, false)).collect();
        sections.push(("more".to_string(), rows));
    }

    let meta_rows: Vec<(String, String)> = meta
        .iter()
        .map(|m| {
            (
                format!(":{} {}", m.name, m.args).trim_end().to_string(),
                m.about.to_string(),
            )
        })
        .collect();
    sections.push(("meta commands".to_string(), meta_rows));

    let left_width = sections
        .iter()
        .flat_map(|(_, rows)| rows.iter().map(|(l, _)| l.chars().count()))
        .max()
        .unwrap_or(0)
        .min(34);
    let room = width.saturating_sub(left_width + 4).max(20);
    let mut out = String::new();
    for (title, rows) in &sections {
        let _ = writeln!(out, "{}", style.heading(title));
        for (left, right) in rows {
            let pad = left_width.saturating_sub(left.chars().count());
            let mut lines = wrap(right, room).into_iter();
            let first = lines.next().unwrap_or_default();
            // A name wider than the column starts its summary on the next line.
            if left.chars().count() > left_width {
                let _ = writeln!(out, "  {}", style.name(left));
                let _ = writeln!(out, "  {}  {first}", " ".repeat(left_width));
            } else {
                let _ = writeln!(out, "  {}{}  {first}", style.name(left), " ".repeat(pad));
            }
            for more in lines {
                let _ = writeln!(out, "  {}  {more}", " ".repeat(left_width));
            }
        }
    }
    let _ = write!(
        out,
        "{} shows a signature, doc and example. Tab completes, Ctrl-R searches history,\n\
         Ctrl-C cancels, Ctrl-D leaves and removes what the session created.",
        style.name(":help NAME")
    );
    out
}

/// `text` in lines of at most `room` characters, broken between words
/// (never cut: a summary is a whole sentence).
fn wrap(text: &str, room: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > room {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn row(name: &str, overloads: &[&FnDoc], method: bool) -> (String, String) {
    let summary = overloads.first().map(|f| f.summary()).unwrap_or_default();
    (folded_call(name, overloads, method), summary)
}

/// Up to three of `candidates` close to `name`: a small edit away, or
/// starting with it.
pub(crate) fn suggest(name: &str, candidates: &[String]) -> Vec<String> {
    let allowed = (name.chars().count() / 3).max(1);
    let mut near: Vec<(usize, &String)> = candidates
        .iter()
        .filter_map(|c| {
            let d = strsim::damerau_levenshtein(name, c);
            if d <= allowed {
                Some((d, c))
            } else if name.len() >= 3 && c.starts_with(name) {
                Some((allowed + 1, c))
            } else {
                None
            }
        })
        .collect();
    near.sort();
    near.into_iter().take(3).map(|(_, c)| c.clone()).collect()
}

/// `:help NAME`: every overload's signature, then the description and
/// example they share (a function's overloads share one doc; its host
/// methods come after it); or a suggestion when nothing has that name.
pub(crate) fn topic(catalog: &Catalog, meta: &[MetaCommand], name: &str, style: &Style) -> String {
    let name = name.trim();
    if let Some(cmd) = name
        .strip_prefix(':')
        .and_then(|n| super::meta::find(meta, n))
    {
        return format!(
            "{}\n  {}",
            style.name(format!(":{} {}", cmd.name, cmd.args).trim_end()),
            cmd.about
        );
    }
    let found = catalog.named(name);
    if found.is_empty() {
        let mut candidates: Vec<String> = catalog.names().into_iter().collect();
        candidates.extend(meta.iter().map(|m| format!(":{}", m.name)));
        let near = suggest(name, &candidates);
        return if near.is_empty() {
            format!("no function or command named {name:?}; :help lists them all")
        } else {
            format!(
                "no function or command named {name:?}; did you mean {}?",
                near.join(", ")
            )
        };
    }
    let mut found = found;
    found.sort_by_key(|f| f.params.first().is_some_and(|p| p.ty == "Host"));
    let mut groups: Vec<Vec<&FnDoc>> = Vec::new();
    for f in found {
        match groups.iter_mut().find(|g| g[0].doc == f.doc) {
            Some(group) => group.push(f),
            None => groups.push(vec![f]),
        }
    }
    let mut out = String::new();
    for (i, group) in groups.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for f in group {
            let _ = writeln!(out, "{}", style.name(f.signature()));
        }
        let f = group[0];
        let description = f.description();
        if !description.is_empty() {
            for line in description.lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
        if let Some(example) = f.example() {
            let _ = writeln!(out, "  {}", style.heading("example:"));
            for line in example.lines() {
                let _ = writeln!(out, "    {}", style.code(line));
            }
        }
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repl::catalog::tests::sample_engine;

    #[test]
    fn overview_groups_by_area_and_lists_meta_commands() {
        let catalog = Catalog::from_engine(&sample_engine());
        let text = overview(&catalog, super::super::meta::COMMANDS, &Style::plain(), 100);
        let network = text.find("network::").unwrap();
        let containers = text.find("containers").unwrap();
        assert!(network < containers, "{text}");
        assert!(text.contains("network::create(name)"), "{text}");
        assert!(text.contains("run(image[, opts])"), "{text}");
        assert!(text.contains(".ip(net)"), "{text}");
        assert!(text.contains(":save [--compose] FILE"), "{text}");
        // Rhai's own library is not in the overview.
        assert!(!text.contains("keys("), "{text}");
    }

    #[test]
    fn summaries_are_whole_sentences_wrapped_not_cut() {
        let catalog = Catalog::from_engine(&crate::script::engine_without_docker());
        let text = overview(&catalog, super::super::meta::COMMANDS, &Style::plain(), 60);
        assert!(!text.lines().any(|l| l.ends_with('…')), "{text}");
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
        for f in &catalog.functions {
            let s = f.summary();
            assert!(s.is_empty() || s.ends_with('.'), "{}: {s}", f.name);
            assert_eq!(
                s.matches('(').count(),
                s.matches(')').count(),
                "{}: {s}",
                f.name
            );
        }
    }

    #[test]
    fn topic_shows_signature_doc_and_example() {
        let catalog = Catalog::from_engine(&sample_engine());
        let meta = super::super::meta::COMMANDS;
        let text = topic(&catalog, meta, "network::create", &Style::plain());
        assert!(
            text.starts_with("network::create(name: String) -> Network"),
            "{text}"
        );
        assert!(text.contains("Create a network."), "{text}");
        assert!(
            text.contains("example:\n    network::create(\"n\");"),
            "{text}"
        );
        let t = topic(&catalog, meta, "rnu", &Style::plain());
        assert!(t.contains("did you mean run"), "{t}");
        assert!(topic(&catalog, meta, ":save", &Style::plain()).contains(":save [--compose] FILE"));
    }

    #[test]
    fn a_functions_overloads_share_one_doc_and_its_host_form_follows() {
        let catalog = Catalog::from_engine(&crate::script::engine_without_docker());
        let text = topic(
            &catalog,
            super::super::meta::COMMANDS,
            "ping",
            &Style::plain(),
        );
        let global = text
            .find("ping(from: Container|String, target: Container|String, count: int|Map) -> Map")
            .unwrap_or_else(|| panic!("{text}"));
        let host = text
            .find("ping(h: Host, from: Container|String, target: Container|String, count: int|Map) -> Map")
            .unwrap_or_else(|| panic!("{text}"));
        assert!(global < host, "{text}");
        // The description once for the global form, once for the host form.
        assert_eq!(text.matches("Returns `#{ok, sent").count(), 2, "{text}");
        assert_eq!(
            text.matches("On a host handle (`h.ping(…)`)").count(),
            1,
            "{text}"
        );
    }
}
