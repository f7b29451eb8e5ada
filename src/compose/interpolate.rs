//! Compose's variable syntax in values: `$VAR`, `${VAR}`, `${VAR:-default}`,
//! `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+other}`,
//! `${VAR+other}`, and `$$` for a literal `$`; defaults may nest
//! (`${A:-${B}}`). Written here because no crate implements Compose's exact
//! rules; it is small and tested against each form.
//!
//! One difference from Compose, on purpose: a variable that is not set and
//! has no default is an error, not a silent empty string, because a blank
//! image tag or subnet would only fail later and less clearly.

use serde_norway::Value;

use super::error::Problem;
use super::source::{child, item};

/// Looks a variable up: `Some` when it is set (possibly to "").
pub(crate) type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Expands every string value (not the keys) in `value`; problems carry the value's path.
pub(crate) fn interpolate(
    value: &mut Value,
    vars: Lookup<'_>,
    path: &str,
    problems: &mut Vec<Problem>,
) {
    match value {
        Value::String(s) => match expand(s, vars) {
            Ok(done) => *s = done,
            Err(message) => problems.push(Problem::at(path, message)),
        },
        Value::Sequence(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                interpolate(v, vars, &item(path, i), problems);
            }
        }
        Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                interpolate(v, vars, &child(path, &key_text(k)), problems);
            }
        }
        Value::Tagged(t) => interpolate(&mut t.value, vars, path, problems),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A mapping key as text (keys in Compose files are strings; numbers are written out).
pub(crate) fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => format!("{other:?}"),
    }
}

/// Expands one string.
///
/// ```text
/// use netrig::compose::interpolate::expand;
/// let vars = |n: &str| (n == "TAG").then(|| "1.2".to_string());
/// assert_eq!(expand("app:${TAG}", &vars).unwrap(), "app:1.2");
/// assert_eq!(expand("${PORT:-8080}", &vars).unwrap(), "8080");
/// ```
pub(crate) fn expand(text: &str, vars: Lookup<'_>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('{') {
            let end = closing_brace(tail).ok_or_else(|| {
                format!("{text:?}: \"${{\" is not closed; write \"$$\" for a literal \"$\"")
            })?;
            out.push_str(&braced(&tail[..end], vars)?);
            rest = &tail[end + 1..];
        } else {
            let len = name_len(after);
            if len == 0 {
                return Err(format!(
                    "{text:?}: \"$\" must be followed by a variable name or \"{{\"; write \"$$\" for a literal \"$\""
                ));
            }
            let name = &after[..len];
            out.push_str(&vars(name).ok_or_else(|| not_set(name))?);
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `NAME`, `NAME:-word`, … (the text between `${` and its `}`).
fn braced(body: &str, vars: Lookup<'_>) -> Result<String, String> {
    let len = name_len(body);
    let (name, op) = body.split_at(len);
    if name.is_empty() {
        return Err(format!(
            "\"${{{body}}}\" names no variable; a name is letters, digits and '_', not starting with a digit"
        ));
    }
    let value = vars(name);
    let set = value.is_some();
    let non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
    let (word, kind) = match op {
        "" => return value.ok_or_else(|| not_set(name)),
        _ => ["-", "?", "+"]
            .iter()
            .find_map(|k| {
                op.strip_prefix(&format!(":{k}"))
                    .map(|w| (w, (k, true)))
                    .or_else(|| op.strip_prefix(k).map(|w| (w, (k, false))))
            })
            .ok_or_else(|| {
                format!(
                    "\"${{{body}}}\": unknown form; use ${{{name}}}, ${{{name}:-default}}, ${{{name}-default}}, ${{{name}:?error}} or ${{{name}:+other}}"
                )
            })?,
    };
    let (op, colon) = kind;
    // With ':' an empty value counts as unset, as in the shell.
    let present = if colon { non_empty } else { set };
    match *op {
        "-" if present => Ok(value.unwrap_or_default()),
        "-" => expand(word, vars),
        "?" if present => Ok(value.unwrap_or_default()),
        "?" => {
            let why = expand(word, vars)?;
            Err(match why.is_empty() {
                true => format!("variable {name} is required but not set"),
                false => format!("variable {name} is required: {why}"),
            })
        }
        _ if present => expand(word, vars),
        _ => Ok(String::new()),
    }
}

fn not_set(name: &str) -> String {
    format!(
        "variable {name} is not set: set it in the environment or in .env beside the Compose file, or give a default like ${{{name}:-value}}"
    )
}

/// Length of the variable name at the start of `s`.
fn name_len(s: &str) -> usize {
    let mut len = 0;
    for (i, c) in s.char_indices() {
        let ok = c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit());
        if !ok {
            break;
        }
        len = i + c.len_utf8();
    }
    len
}

/// Index of the `}` closing a `${` whose body starts `s`, counting nested `${…}`.
fn closing_brace(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 1;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "TAG" => Some("1.2".into()),
            "EMPTY" => Some(String::new()),
            "NET" => Some("10.1.0".into()),
            _ => None,
        }
    }

    fn x(text: &str) -> Result<String, String> {
        expand(text, &vars)
    }

    #[test]
    fn every_form_expands_like_compose() {
        assert_eq!(x("img:$TAG and ${TAG}").unwrap(), "img:1.2 and 1.2");
        assert_eq!(x("${NET}.0/24").unwrap(), "10.1.0.0/24");
        assert_eq!(x("${NOPE:-d}|${EMPTY:-d}|${TAG:-d}").unwrap(), "d|d|1.2");
        assert_eq!(x("${NOPE-d}|${EMPTY-d}|${TAG-d}").unwrap(), "d||1.2");
        assert_eq!(x("${NOPE:+a}|${EMPTY:+a}|${TAG:+a}").unwrap(), "||a");
        assert_eq!(x("${NOPE+a}|${EMPTY+a}|${TAG+a}").unwrap(), "|a|a");
        assert_eq!(x("${TAG:?must}|${EMPTY?must}").unwrap(), "1.2|");
        assert_eq!(x("${NOPE:-${ALSO:-${TAG}}}").unwrap(), "1.2");
        assert_eq!(x("${NOPE:-a-b:c}").unwrap(), "a-b:c");
        assert_eq!(x("cost: $$5 and $${TAG}").unwrap(), "cost: $5 and ${TAG}");
        assert_eq!(x("no variables").unwrap(), "no variables");
        assert_eq!(x("$TAG.x ${TAG}_y").unwrap(), "1.2.x 1.2_y");
    }

    #[test]
    fn unset_and_malformed_are_errors_that_say_what_to_do() {
        let e = x("${NOPE}").unwrap_err();
        assert!(
            e.contains("variable NOPE is not set") && e.contains("${NOPE:-value}"),
            "{e}"
        );
        assert!(x("$NOPE").unwrap_err().contains("NOPE is not set"));
        assert_eq!(
            x("${EMPTY:?give a tag}").unwrap_err(),
            "variable EMPTY is required: give a tag"
        );
        assert_eq!(
            x("${NOPE?}").unwrap_err(),
            "variable NOPE is required but not set"
        );
        assert!(x("${TAG").unwrap_err().contains("is not closed"));
        assert!(x("a $ b").unwrap_err().contains("write \"$$\""));
        assert!(x("${1X}").unwrap_err().contains("names no variable"));
        assert!(x("${TAG:=x}").unwrap_err().contains("unknown form"));
    }

    #[test]
    fn values_are_expanded_keys_are_not_and_problems_have_paths() {
        let mut v: Value = serde_norway::from_str(
            "services:\n  web:\n    image: \"app:${TAG}\"\n    ports: [\"${NOPE}:80\"]\n    labels: {\"${TAG}\": x}\n",
        )
        .unwrap();
        let mut problems = Vec::new();
        interpolate(&mut v, &vars, "", &mut problems);
        assert_eq!(v["services"]["web"]["image"], "app:1.2");
        assert!(v["services"]["web"]["labels"].get("${TAG}").is_some());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "services.web.ports[0]");
    }
}
