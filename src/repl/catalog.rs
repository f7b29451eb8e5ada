//! Every function the engine knows, read from its registered metadata
//! (names, parameter names and types, doc comments): the source of `:help`,
//! of completion and of signature hints. Nothing about a function is
//! written twice: define it in `script/api.rs` style and it shows up here,
//! in both its forms.

use std::collections::{BTreeSet, HashSet};

use rhai::Engine;
use serde::Deserialize;

/// One parameter: its name (when registered) and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    /// `opts`; `None` for Rhai's own unnamed parameters.
    pub(crate) name: Option<String>,
    /// `Map`, `Container|String`, `&mut Array`, …
    pub(crate) ty: String,
}

/// One registered function (one overload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FnDoc {
    /// The static module it lives in (`network`), or `None` for a global.
    pub(crate) module: Option<String>,
    /// Its name; property getters are `get$name`.
    pub(crate) name: String,
    /// Its parameters.
    pub(crate) params: Vec<Param>,
    /// What it returns, when it says.
    pub(crate) returns: Option<String>,
    /// Doc comment lines without the `///`.
    pub(crate) doc: Vec<String>,
    /// Registered by netrig (rather than Rhai's standard library).
    pub(crate) netrig: bool,
}

impl FnDoc {
    /// `network::create` or `run`.
    pub(crate) fn qualified_name(&self) -> String {
        match &self.module {
            Some(m) => format!("{m}::{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The property name for a getter (`get$name` → `name`).
    pub(crate) fn property(&self) -> Option<&str> {
        self.name.strip_prefix("get$")
    }

    /// A name a person can call: not an operator, setter or closure.
    pub(crate) fn is_callable(&self) -> bool {
        let mut chars = self.name.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && chars.all(|c| c.is_alphanumeric() || c == '_')
    }

    /// `network::create(name: String, opts: Map) -> Network`.
    pub(crate) fn signature(&self) -> String {
        let params: Vec<String> = self.params.iter().map(param_text).collect();
        let mut s = format!("{}({})", self.qualified_name(), params.join(", "));
        if let Some(r) = &self.returns {
            s.push_str(&format!(" -> {r}"));
        }
        s
    }

    /// Types this function can be called on as a method (`web.ip()`): its
    /// first parameter's types, for globals. netrig's handle types always
    /// count; Rhai's own types only where the function takes them by
    /// reference, as its methods do (`m.keys()`, not `ps(opts)`).
    pub(crate) fn receivers(&self) -> Vec<&'static str> {
        let Some(first) = self.params.first() else {
            return Vec::new();
        };
        if self.module.is_some() {
            return Vec::new();
        }
        let by_ref = first.ty.starts_with("&mut ") || first.ty == "&str";
        first
            .ty
            .trim_start_matches("&mut ")
            .split('|')
            .filter_map(|t| {
                let t = match t.trim() {
                    "ImmutableString" | "&str" | "string" | "String" => "String",
                    "map" | "Map" => "Map",
                    "array" | "Array" => "Array",
                    "Container" => "Container",
                    "Network" => "Network",
                    "Host" => "Host",
                    "Service" => "Service",
                    _ => return None,
                };
                (matches!(t, "Container" | "Network" | "Host" | "Service") || by_ref).then_some(t)
            })
            .collect()
    }

    /// The description: doc lines before the example.
    pub(crate) fn description(&self) -> String {
        self.doc
            .iter()
            .take_while(|l| !l.trim_start().starts_with("```"))
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }

    /// The first clause of the description as a whole sentence, on one
    /// line: up to the first `.`, `;` or `:` that ends a clause (not inside
    /// backticks or parentheses), ended with a `.`.
    pub(crate) fn summary(&self) -> String {
        let text = self.description().replace('\n', " ");
        let mut in_code = false;
        let mut depth = 0usize;
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut end = text.len();
        for (k, &(i, c)) in chars.iter().enumerate() {
            match c {
                '`' => in_code = !in_code,
                '(' | '[' if !in_code => depth += 1,
                ')' | ']' if !in_code => depth = depth.saturating_sub(1),
                '.' | ';' | ':'
                    if !in_code
                        && depth == 0
                        && chars.get(k + 1).is_none_or(|(_, n)| *n == ' ') =>
                {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let clause = text[..end].trim_end();
        if clause.is_empty() {
            String::new()
        } else {
            format!("{clause}.")
        }
    }

    /// The ```` ```rhai ```` example, if the doc has one.
    pub(crate) fn example(&self) -> Option<String> {
        let start = self.doc.iter().position(|l| l.trim() == "```rhai")?;
        let lines: Vec<&str> = self.doc[start + 1..]
            .iter()
            .take_while(|l| l.trim() != "```")
            .map(String::as_str)
            .collect();
        (!lines.is_empty()).then(|| lines.join("\n"))
    }
}

fn param_text(p: &Param) -> String {
    match &p.name {
        Some(n) => format!("{n}: {}", p.ty),
        None => p.ty.clone(),
    }
}

/// `run(image[, opts])`: overloads folded into one line, the parameters only
/// some overloads take shown as optional. `drop_first` leaves out the
/// receiver of a method.
pub(crate) fn folded_call(name: &str, overloads: &[&FnDoc], drop_first: bool) -> String {
    let skip = usize::from(drop_first);
    let longest = overloads
        .iter()
        .max_by_key(|f| f.params.len())
        .map(|f| f.params.iter().skip(skip).collect::<Vec<_>>())
        .unwrap_or_default();
    let required = overloads
        .iter()
        .map(|f| f.params.len().saturating_sub(skip))
        .min()
        .unwrap_or(0);
    let mut text = format!("{name}(");
    for (i, p) in longest.iter().enumerate() {
        let word = p.name.clone().unwrap_or_else(|| p.ty.clone());
        match (i, i >= required) {
            (0, false) => text.push_str(&word),
            (0, true) => text.push_str(&format!("[{word}")),
            (_, false) => text.push_str(&format!(", {word}")),
            (_, true) => text.push_str(&format!("[, {word}")),
        }
    }
    text.push_str(&"]".repeat(longest.len().saturating_sub(required)));
    text.push(')');
    text
}

/// All functions of an engine.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    /// Every overload, netrig's and Rhai's standard library's.
    pub(crate) functions: Vec<FnDoc>,
}

#[derive(Deserialize)]
struct MetadataJson {
    #[serde(default)]
    functions: Vec<FnJson>,
    #[serde(default)]
    modules: std::collections::BTreeMap<String, MetadataJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FnJson {
    name: String,
    #[serde(default)]
    params: Vec<ParamJson>,
    return_type: Option<String>,
    #[serde(default)]
    doc_comments: Vec<String>,
    signature: String,
}

#[derive(Deserialize)]
struct ParamJson {
    name: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
}

impl Catalog {
    /// Reads the engine's metadata: what netrig registered, and Rhai's own library.
    pub(crate) fn from_engine(engine: &Engine) -> Catalog {
        let own = engine.gen_fn_metadata_to_json(false).unwrap_or_default();
        let all = engine.gen_fn_metadata_to_json(true).unwrap_or_default();
        Catalog::from_json(&own, &all)
    }

    /// A catalog from `gen_fn_metadata_to_json` output without (`own`) and
    /// with (`all`) the standard packages.
    pub(crate) fn from_json(own: &str, all: &str) -> Catalog {
        let parse = |text: &str| serde_json::from_str::<MetadataJson>(text).ok();
        let mut netrig = HashSet::new();
        if let Some(own) = parse(own) {
            walk(&own, None, &mut |module, f| {
                netrig.insert((module.map(str::to_string), f.signature.clone()));
            });
        }
        let mut functions = Vec::new();
        if let Some(all) = parse(all) {
            walk(&all, None, &mut |module, f| {
                let module = module.map(str::to_string);
                let is_netrig = netrig.contains(&(module.clone(), f.signature.clone()));
                functions.push(FnDoc {
                    module,
                    name: f.name.clone(),
                    params: f
                        .params
                        .iter()
                        .map(|p| Param {
                            name: p.name.clone().filter(|n| n != "_"),
                            ty: p.ty.clone().unwrap_or_else(|| "?".into()),
                        })
                        .collect(),
                    returns: f.return_type.clone().filter(|r| r != "()"),
                    doc: f
                        .doc_comments
                        .iter()
                        .flat_map(|c| c.lines())
                        .map(|l| {
                            let l = l.trim_start().trim_start_matches("///");
                            l.strip_prefix(' ').unwrap_or(l).to_string()
                        })
                        .collect(),
                    netrig: is_netrig,
                });
            });
        }
        functions.sort_by(|a, b| {
            (a.qualified_name(), a.params.len()).cmp(&(b.qualified_name(), b.params.len()))
        });
        Catalog { functions }
    }

    /// The overloads called `name`: `network::create`, `create` (in any
    /// module), `ip` or `.ip`.
    pub(crate) fn named(&self, name: &str) -> Vec<&FnDoc> {
        let name = name.trim().trim_start_matches('.').trim_end_matches("()");
        let exact: Vec<&FnDoc> = self
            .functions
            .iter()
            .filter(|f| f.qualified_name() == name)
            .collect();
        if !exact.is_empty() || name.contains("::") {
            return exact;
        }
        self.functions.iter().filter(|f| f.name == name).collect()
    }

    /// Names of the static modules (`network`).
    pub(crate) fn modules(&self) -> BTreeSet<&str> {
        self.functions
            .iter()
            .filter_map(|f| f.module.as_deref())
            .collect()
    }

    /// Every callable name, qualified (`network::create`), for suggestions.
    pub(crate) fn names(&self) -> BTreeSet<String> {
        self.functions
            .iter()
            .filter(|f| f.is_callable())
            .map(FnDoc::qualified_name)
            .collect()
    }
}

fn walk<'a>(
    meta: &'a MetadataJson,
    module: Option<&str>,
    visit: &mut dyn FnMut(Option<&str>, &'a FnJson),
) {
    for f in &meta.functions {
        visit(module, f);
    }
    for (name, sub) in &meta.modules {
        let path = match module {
            Some(m) => format!("{m}::{name}"),
            None => name.clone(),
        };
        walk(sub, Some(&path), visit);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rhai::{Dynamic, FuncRegistration, Module};

    /// A small engine with registered metadata, like netrig's functions
    /// (`crate::script::engine_without_docker` has the real ones).
    pub(crate) fn sample_engine() -> Engine {
        let mut engine = Engine::new();
        crate::script::register(
            &mut engine,
            "run",
            &["image: String", "Container"],
            "Run a container.\n```rhai\nlet c = run(\"busybox\");\n```",
            |_: Dynamic| 1_i64,
        );
        crate::script::register(
            &mut engine,
            "run",
            &["image: String", "opts: Map", "Container"],
            "Run a container with options. More words here.\n```rhai\nrun(\"busybox\", #{name: \"web\"});\n```",
            |_: Dynamic, _: Dynamic| 1_i64,
        );
        crate::script::register(
            &mut engine,
            "ip",
            &["ctr: Container", "net: Network|String", "String"],
            "The container's address on `net`.",
            |_: Dynamic, _: Dynamic| 1_i64,
        );
        let mut m = Module::new();
        FuncRegistration::new("create")
            .with_params_info(["name: String", "Network"])
            .with_comments([
                "/// Create a network.",
                "/// ```rhai",
                "/// network::create(\"n\");",
                "/// ```",
            ])
            .set_into_module(&mut m, |_: Dynamic| 1_i64);
        engine.register_static_module("network", m.into());
        engine
    }

    #[test]
    fn reads_names_params_and_docs_from_the_metadata() {
        let catalog = Catalog::from_engine(&sample_engine());
        let run = catalog.named("run");
        assert_eq!(run.len(), 2);
        assert!(run.iter().all(|f| f.netrig));
        assert_eq!(
            run[1].signature(),
            "run(image: String, opts: Map) -> Container"
        );
        assert_eq!(run[1].summary(), "Run a container with options.");
        assert_eq!(run[0].summary(), "Run a container.");
        assert_eq!(
            run[1].example().as_deref(),
            Some("run(\"busybox\", #{name: \"web\"});")
        );
        assert_eq!(folded_call("run", &run, false), "run(image[, opts])");

        let create = catalog.named("network::create");
        assert_eq!(create.len(), 1);
        assert_eq!(create[0].module.as_deref(), Some("network"));
        assert_eq!(catalog.named("create"), create);
        assert!(catalog.modules().contains("network"));

        let ip = catalog.named(".ip");
        assert_eq!(ip[0].receivers(), vec!["Container"]);
        assert_eq!(folded_call(".ip", &ip, true), ".ip(net)");
    }

    /// Every function with a host form has it for each of its overloads,
    /// with the same parameters after the host.
    #[test]
    fn every_overload_has_its_host_form_with_the_same_parameters() {
        let catalog = Catalog::from_engine(&crate::script::engine_without_docker());
        let mut checked = 0;
        for f in crate::script::functions() {
            let overloads = catalog.named(&f.qualified_name());
            // This entry's overloads (a name may have several entries:
            // `http(url)` global-only, `http(from, url)` with a host form).
            let globals: Vec<&&FnDoc> = overloads
                .iter()
                .filter(|o| o.netrig && o.params.first().is_none_or(|p| p.ty != "Host"))
                .filter(|o| {
                    let names: Vec<&str> =
                        o.params.iter().filter_map(|p| p.name.as_deref()).collect();
                    f.takes(&names)
                })
                .collect();
            assert!(
                !globals.is_empty(),
                "{} is not registered",
                f.qualified_name()
            );
            let Some(method) = f.host_name() else {
                // Global-only: no host form with these parameters.
                let hosts = catalog.named(&f.qualified_name().replace("::", "_"));
                for global in &globals {
                    let params: Vec<&Param> = global.params.iter().collect();
                    assert!(
                        !hosts
                            .iter()
                            .any(|h| h.params.first().is_some_and(|p| p.ty == "Host")
                                && h.params[1..].iter().collect::<Vec<_>>() == params),
                        "{} is global-only but has a host form",
                        global.signature()
                    );
                }
                continue;
            };
            let hosts = catalog.named(&method);
            for global in globals {
                let wanted: Vec<&Param> = global.params.iter().collect();
                assert!(
                    hosts
                        .iter()
                        .any(|h| h.params.first().is_some_and(|p| p.ty == "Host")
                            && h.params[1..].iter().collect::<Vec<_>>() == wanted
                            && h.returns == global.returns),
                    "no host form h.{method}(…) for {}",
                    global.signature()
                );
                checked += 1;
            }
        }
        assert!(checked > 60, "only {checked} overloads checked");
    }

    #[test]
    fn knows_rhais_own_methods_apart_from_netrigs() {
        let catalog = Catalog::from_engine(&sample_engine());
        let keys = catalog.named("keys");
        assert!(!keys.is_empty() && keys.iter().all(|f| !f.netrig));
        assert!(keys.iter().any(|f| f.receivers().contains(&"Map")));
        assert!(catalog.named("+").iter().all(|f| !f.is_callable()));
    }
}
