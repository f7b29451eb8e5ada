//! Script parameters: `netrig run FILE --set KEY=VALUE …` becomes the
//! script's `params` map, `params.require(#{…})` declares what the script
//! expects, and `env("NAME"[, default])` reads the environment.
//!
//! A value's type is guessed from its text (`3` an int, `0.5` a float,
//! `true` a bool, `["a","b"]` an array and `{"k":1}` a map via JSON, `"3"`
//! a string, anything else the text itself); a declared type overrides the
//! guess and reads the original text, so `--set tag=007` declared as
//! `"string"` stays `"007"`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// The error kind of a missing, mistyped or unknown parameter, and of an
/// unset environment variable: the command line, not the scenario, is wrong.
pub(crate) const KIND: &str = "parameter";

/// One `--set KEY=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The parameter's name.
    pub key: String,
    /// The text after `=`, as given.
    pub raw: String,
    /// The value guessed from `raw`.
    pub value: Value,
}

/// `KEY=VALUE` → a setting with its guessed value: the value parser of `--set`.
pub(crate) fn parse_setting(text: &str) -> Result<Setting, String> {
    let Some((key, raw)) = text.split_once('=') else {
        return Err(format!(
            "expected KEY=VALUE (e.g. --set count=3), got {text:?}"
        ));
    };
    let key = key.trim();
    if !is_name(key) {
        return Err(format!(
            "{key:?} is not a parameter name: use letters, digits and _, not starting with a digit (scripts read it as params.NAME)"
        ));
    }
    Ok(Setting {
        key: key.to_string(),
        raw: raw.to_string(),
        value: guess(raw).map_err(|e| format!("{key}: {e}"))?,
    })
}

fn is_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The value `raw` most likely means: a bool, an int, a float, JSON
/// (array, map or quoted string), else the text itself. Text that starts
/// like a JSON array or map must be one.
pub(crate) fn guess(raw: &str) -> Result<Value, String> {
    match raw {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let starts_json = raw.starts_with(['[', '{']);
    if starts_json
        || raw.starts_with('"')
        || raw.starts_with(|c: char| c == '-' || c.is_ascii_digit())
    {
        match serde_json::from_str::<Value>(raw) {
            // A whole number too large for an int is an id, not a float.
            Ok(Value::Number(n)) if n.is_i64() || (n.is_f64() && raw.contains(['.', 'e', 'E'])) => {
                return Ok(Value::Number(n));
            }
            Ok(v @ (Value::Array(_) | Value::Object(_) | Value::String(_))) => return Ok(v),
            Err(e) if starts_json => return Err(format!("{raw:?} is not valid JSON: {e}")),
            // `007`, `1.2.3`, an id too large for an int: text.
            _ => {}
        }
    }
    Ok(Value::String(raw.to_string()))
}

/// A type a script can declare for a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamType {
    /// Text; any value given on the command line, as typed.
    String,
    /// A whole number.
    Int,
    /// A number; whole numbers are accepted too.
    Float,
    /// `true` or `false`.
    Bool,
    /// A JSON array.
    Array,
    /// A JSON object.
    Map,
    /// Whatever the text guesses to.
    Any,
}

/// The names scripts use for [`ParamType`]s.
pub(crate) const TYPE_NAMES: &[&str] = &["string", "int", "float", "bool", "array", "map", "any"];

impl FromStr for ParamType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "string" => ParamType::String,
            "int" => ParamType::Int,
            "float" => ParamType::Float,
            "bool" => ParamType::Bool,
            "array" => ParamType::Array,
            "map" => ParamType::Map,
            "any" => ParamType::Any,
            other => {
                return Err(format!(
                    "unknown type {other:?}; the types are {}",
                    TYPE_NAMES.join(", ")
                ));
            }
        })
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = [
            ParamType::String,
            ParamType::Int,
            ParamType::Float,
            ParamType::Bool,
            ParamType::Array,
            ParamType::Map,
            ParamType::Any,
        ]
        .iter()
        .position(|t| t == self)
        .unwrap_or(0);
        f.write_str(TYPE_NAMES[i])
    }
}

impl ParamType {
    /// `a string`, `an int`: for messages.
    pub(crate) fn with_article(self) -> String {
        match self {
            ParamType::Int | ParamType::Array | ParamType::Any => format!("an {self}"),
            _ => format!("a {self}"),
        }
    }

    /// `raw` read as this type, or why it is not one.
    pub(crate) fn parse(self, raw: &str) -> Result<Value, String> {
        let bad = || format!("{raw:?} is not {}", self.with_article());
        match self {
            ParamType::String => Ok(Value::String(raw.to_string())),
            ParamType::Any => guess(raw),
            ParamType::Int => raw
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| bad()),
            ParamType::Float => raw
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Value::from)
                .ok_or_else(bad),
            ParamType::Bool => match raw.trim() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("{raw:?} is not a bool (true or false)")),
            },
            ParamType::Array | ParamType::Map => {
                let value: Value = serde_json::from_str(raw)
                    .map_err(|e| format!("{raw:?} is not {} in JSON: {e}", self.with_article()))?;
                let fits = match self {
                    ParamType::Array => value.is_array(),
                    _ => value.is_object(),
                };
                fits.then_some(value).ok_or_else(bad)
            }
        }
    }
}

/// The settings of one run; for a key given twice, the last one counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    settings: BTreeMap<String, Setting>,
    /// Settings no scenario declares are fine: `netrig test --set` gives
    /// every scenario of the suite the same ones, each takes what it declares.
    shared: bool,
}

impl Params {
    /// The settings of one script, in command-line order: `params.require`
    /// rejects any it does not declare (a misspelt name, most likely).
    pub fn new(settings: impl IntoIterator<Item = Setting>) -> Params {
        Params {
            settings: settings.into_iter().map(|s| (s.key.clone(), s)).collect(),
            shared: false,
        }
    }

    /// The settings of a whole suite, which each scenario may use in part.
    pub fn shared(settings: impl IntoIterator<Item = Setting>) -> Params {
        Params {
            shared: true,
            ..Params::new(settings)
        }
    }

    /// Whether undeclared settings are fine (see [`Params::shared`]).
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// The setting of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.settings.get(key)
    }

    /// Every setting, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Setting> {
        self.settings.values()
    }

    /// No `--set` at all.
    pub fn is_empty(&self) -> bool {
        self.settings.is_empty()
    }
}

/// The parameters of a run, set once its command line is read and read by
/// `params.require` whenever the script calls it.
pub(crate) type SharedParams = std::sync::Arc<std::sync::RwLock<Params>>;

mod bind;
pub(crate) use bind::{functions, params_map};

#[cfg(test)]
mod tests;
