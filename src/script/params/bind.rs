//! The script side of parameters: the `params` map, `params.require(#{…})`
//! and `env(…)`.

use rhai::{Dynamic, Map};
use serde_json::Value;

use super::{KIND, ParamType, Params};
use crate::script::api::{Api, Call};
use crate::script::convert::describe;
use crate::script::error::{ScriptResult, invalid, throw};

/// The `params` map a script starts with: every `--set`, typed by its text.
pub(crate) fn params_map(params: &Params) -> Map {
    params
        .iter()
        .map(|s| (s.key.as_str().into(), to_dynamic(&s.value)))
        .collect()
}

fn to_dynamic(value: &Value) -> Dynamic {
    rhai::serde::to_dynamic(value).unwrap_or_else(|_| Dynamic::from(value.to_string()))
}

/// Defines `require` (a method of the `params` map) and `env`.
pub(crate) fn functions(api: &mut Api) {
    definitions(api, |cx| cx.params());
}

/// The definitions, reading the command line's settings through `settings`
/// (the run's; the unit tests give their own, having no daemon).
pub(super) fn definitions(
    api: &mut Api,
    settings: impl Fn(&Call) -> Params + Clone + Send + Sync + 'static,
) {
    api.function(
        "require",
        &["params: Map", "required: Map", "[optional: Map]", "Map"],
        "Declare the parameters the script takes (`--set NAME=VALUE` on the command line):\n\
         `required` gives each name its type (string, int, float, bool, array, map, any)\n\
         or `#{type, doc}`; `optional` gives parameters that may be left out, each with\n\
         its default, whose type the parameter takes (an int default takes ints, `()`\n\
         takes anything). A missing, mistyped or unknown parameter stops the script\n\
         here, before it creates anything. Returns `params`, each value of its declared\n\
         type (`--set tag=007` declared \"string\" is \"007\").\n\
         ```rhai\nparams.require(#{host_b: #{type: \"string\", doc: \"Docker URL of the second machine\"}}, #{count: 3});\nlet b = docker::connect(params.host_b);\nfor i in 1..=params.count { print(i); }\n```",
        move |cx: &Call, map: &mut Map, required: Map, optional: Option<Map>| {
            require(&settings(cx), map, required, optional.unwrap_or_default())
        },
    )
    .global_only();
    api.function(
        "env",
        &["name: String", "String"],
        "The environment variable `name`; an error if it is not set.\n\
         ```rhai\nlet home = env(\"HOME\");\n```",
        |_: &Call, name: String| env(&name, None),
    )
    .global_only();
    api.function(
        "env",
        &["name: String", "default: ?", "?"],
        "The environment variable `name`, or `default` when it is not set. A default\n\
         other than a string also gives the type: `env(\"COUNT\", 3)` is an int.\n\
         ```rhai\nlet count = env(\"COUNT\", 3);\nlet url = env(\"HOST_B\", ());   // () when unset\n```",
        |_: &Call, name: String, default: Dynamic| env(&name, Some(default)),
    )
    .global_only();
}

/// One declared parameter.
struct Declared {
    ty: ParamType,
    default: Option<Dynamic>,
    doc: Option<String>,
}

impl Declared {
    /// A required parameter: `"int"` or `#{type: "int", doc: "…"}`.
    fn required(name: &str, decl: &Dynamic) -> Result<Declared, String> {
        if let Ok(ty) = decl.clone().into_string() {
            let ty = ty.parse().map_err(|e| format!("{name}: {e}"))?;
            return Ok(Declared {
                ty,
                default: None,
                doc: None,
            });
        }
        let Some(map) = decl.read_lock::<Map>() else {
            return Err(format!(
                "{name} must be declared with a type name (\"string\", \"int\", …) or #{{type, doc}}, got {} (parameters with a default go in the second map: params.require(#{{…}}, #{{{name}: …}}))",
                describe(decl)
            ));
        };
        if let Some(unknown) = map.keys().find(|k| !["type", "doc"].contains(&k.as_str())) {
            return Err(format!(
                "{name}: unknown key {unknown:?} in its declaration; the keys are type, doc (a default goes in the second map)"
            ));
        }
        let ty: ParamType = match map.get("type").map(|t| t.clone().into_string()) {
            Some(Ok(t)) => t.parse().map_err(|e| format!("{name}: {e}"))?,
            _ => {
                return Err(format!(
                    "{name}: its declaration needs a type, e.g. #{{type: \"int\"}}"
                ));
            }
        };
        Ok(Declared {
            ty,
            default: None,
            doc: map.get("doc").map(|d| d.to_string()),
        })
    }

    /// An optional parameter: its type is its default's (`()` takes anything).
    fn optional(default: &Dynamic) -> Declared {
        let ty = if default.is_string() {
            ParamType::String
        } else if default.is_int() {
            ParamType::Int
        } else if default.is_float() {
            ParamType::Float
        } else if default.is_bool() {
            ParamType::Bool
        } else if default.is_array() {
            ParamType::Array
        } else if default.is_map() {
            ParamType::Map
        } else {
            ParamType::Any
        };
        Declared {
            ty,
            default: Some(default.clone()),
            doc: None,
        }
    }

    /// `host_b (string: the second machine)`.
    fn describe(&self, name: &str) -> String {
        match &self.doc {
            Some(doc) => format!("{name} ({}: {doc})", self.ty),
            None => format!("{name} ({})", self.ty),
        }
    }
}

/// `value` as declared type `ty` (an int is a fine float), or `Err(())`.
fn fit(ty: ParamType, value: &Dynamic) -> Result<Dynamic, ()> {
    let ok = match ty {
        ParamType::Any => true,
        ParamType::String => value.is_string(),
        ParamType::Int => value.is_int(),
        ParamType::Float if value.is_int() => {
            return Ok(Dynamic::from_float(value.as_int().unwrap_or(0) as f64));
        }
        ParamType::Float => value.is_float(),
        ParamType::Bool => value.is_bool(),
        ParamType::Array => value.is_array(),
        ParamType::Map => value.is_map(),
    };
    if ok { Ok(value.clone()) } else { Err(()) }
}

fn require(params: &Params, map: &mut Map, required: Map, optional: Map) -> ScriptResult<Map> {
    const FUNCTION: &str = "params.require";
    let mut decls = Vec::with_capacity(required.len() + optional.len());
    for (name, decl) in &required {
        let decl = Declared::required(name, decl).map_err(|e| invalid(FUNCTION, e))?;
        decls.push((name.as_str(), decl));
    }
    for (name, default) in &optional {
        if required.contains_key(name) {
            return Err(invalid(
                FUNCTION,
                format!("{name} is declared both required and with a default"),
            ));
        }
        decls.push((name.as_str(), Declared::optional(default)));
    }
    decls.sort_by_key(|(n, _)| *n);
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    let mut out = map.clone();
    for (name, decl) in &decls {
        let given = map.get(*name);
        // A value straight from --set is read again as the declared type, from its text.
        let from_command_line = params
            .get(name)
            .filter(|s| given.is_some_and(|g| same(g, &to_dynamic(&s.value))));
        let value = match (from_command_line, given) {
            (Some(setting), _) => decl
                .ty
                .parse(&setting.raw)
                .map(|v| to_dynamic(&v))
                .map_err(|e| format!("--set {name}: {e}")),
            (None, Some(v)) if !v.is_unit() => fit(decl.ty, v).map_err(|()| {
                format!(
                    "{name} must be {}, got {}",
                    decl.ty.with_article(),
                    describe(v)
                )
            }),
            (None, _) => match &decl.default {
                Some(d) => Ok(d.clone()),
                None => {
                    missing.push((*name, decl.describe(name)));
                    continue;
                }
            },
        };
        match value {
            Ok(v) => {
                out.insert((*name).into(), v);
            }
            Err(e) => wrong.push(e),
        }
    }
    let names: Vec<&str> = decls.iter().map(|(n, _)| *n).collect();
    let unknown: Vec<String> = params
        .iter()
        .filter(|s| !params.is_shared() && !names.contains(&s.key.as_str()))
        .map(|s| match closest(&s.key, &names) {
            Some(near) => format!("--set {}: no such parameter (did you mean {near}?)", s.key),
            None => format!("--set {}: no such parameter", s.key),
        })
        .collect();
    let mut problems = Vec::new();
    if !missing.is_empty() {
        let how: Vec<String> = missing
            .iter()
            .map(|(n, _)| format!("--set {n}=VALUE"))
            .collect();
        let what: Vec<&str> = missing.iter().map(|(_, d)| d.as_str()).collect();
        problems.push(format!(
            "missing {} {}; pass {}",
            if missing.len() == 1 {
                "parameter"
            } else {
                "parameters"
            },
            what.join(", "),
            how.join(" ")
        ));
    }
    problems.extend(wrong);
    if !unknown.is_empty() {
        problems.push(format!(
            "{}; the script takes {}",
            unknown.join("; "),
            names.join(", ")
        ));
    }
    if !problems.is_empty() {
        return Err(throw(KIND, FUNCTION, problems.join("; ")));
    }
    *map = out.clone();
    Ok(out)
}

/// The same value, as far as a script can tell.
fn same(a: &Dynamic, b: &Dynamic) -> bool {
    a.type_name() == b.type_name() && a.to_string() == b.to_string()
}

fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(d, _)| *d <= (name.len() / 3).clamp(1, 3))
        .min()
        .map(|(_, c)| c)
}

fn env(name: &str, default: Option<Dynamic>) -> ScriptResult<Dynamic> {
    const FUNCTION: &str = "env";
    let value = match std::env::var(name) {
        Ok(v) => v,
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(invalid(
                FUNCTION,
                format!("{name} is set but is not UTF-8 text"),
            ));
        }
        Err(std::env::VarError::NotPresent) => {
            return default.ok_or_else(|| {
                throw(
                    KIND,
                    FUNCTION,
                    format!(
                        "the environment variable {name} is not set; set it, or give a default: env({name:?}, \"…\")"
                    ),
                )
            });
        }
    };
    let Some(default) = default else {
        return Ok(value.into());
    };
    let ty = Declared::optional(&default).ty;
    if matches!(ty, ParamType::String | ParamType::Any) {
        return Ok(value.into());
    }
    ty.parse(&value).map(|v| to_dynamic(&v)).map_err(|e| {
        throw(
            KIND,
            FUNCTION,
            format!(
                "{name}: {e} (the default {} says it should be)",
                describe(&default)
            ),
        )
    })
}
