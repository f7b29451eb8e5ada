//! Reading a Compose file: its YAML as a value (with anchors and `<<`
//! merges applied), where each key sits in the file, and the variables
//! from `.env` beside it. YAML is read by `serde_norway` (the maintained
//! serde_yaml fork that `docker-compose-types` reads with); positions come
//! from `saphyr`, which keeps a span for every node.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_norway::Value;

use super::error::{ComposeError, Position, Problem};

/// The path of key `key` under `path`: `services` + `web` → `services.web`.
pub(crate) fn child(path: &str, key: &str) -> String {
    match path {
        "" => key.to_string(),
        _ => format!("{path}.{key}"),
    }
}

/// The path of item `i` of the list at `path`: `services.web.ports[1]`.
pub(crate) fn item(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Where each key and list item of a file is: path → position.
#[derive(Debug, Clone, Default)]
pub(crate) struct Marks(HashMap<String, Position>);

impl Marks {
    /// Positions of every key and item in `text`; empty when saphyr cannot read it.
    pub(crate) fn of(text: &str) -> Marks {
        let mut marks = Marks::default();
        if let Ok(docs) = MarkedYaml::load_from_str(text)
            && let Some(doc) = docs.first()
        {
            marks.walk(doc, "");
        }
        marks
    }

    fn walk(&mut self, node: &MarkedYaml, path: &str) {
        match &node.data {
            YamlData::Mapping(map) => {
                for (k, v) in map {
                    let key = match &k.data {
                        YamlData::Value(Scalar::String(s)) => s.to_string(),
                        YamlData::Value(Scalar::Integer(i)) => i.to_string(),
                        YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
                        _ => continue,
                    };
                    let here = child(path, &key);
                    self.0.insert(here.clone(), position(k.span.start));
                    self.walk(v, &here);
                }
            }
            YamlData::Sequence(items) => {
                for (i, v) in items.iter().enumerate() {
                    let here = item(path, i);
                    self.0.insert(here.clone(), position(v.span.start));
                    self.walk(v, &here);
                }
            }
            _ => {}
        }
    }

    /// The position of `path`, or of its nearest ancestor the file shows
    /// (keys brought in by a `<<` merge sit where the anchor is).
    pub(crate) fn find(&self, path: &str) -> Option<Position> {
        let mut p = path;
        loop {
            if let Some(pos) = self.0.get(p) {
                return Some(*pos);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }

    /// Fills in the positions of problems that have none.
    pub(crate) fn place(&self, problems: &mut [Problem]) {
        for p in problems {
            if p.at.is_none() {
                p.at = self.find(&p.path);
            }
        }
    }
}

fn position(m: saphyr::Marker) -> Position {
    Position {
        line: m.line(),
        column: m.col() + 1,
    }
}

/// A Compose file read and parsed, before interpolation.
pub(crate) struct Source {
    /// The file as given.
    pub file: PathBuf,
    /// Its directory: relative paths (`.env`, `env_file`) start here.
    pub dir: PathBuf,
    /// The YAML, anchors resolved and `<<` merges applied.
    pub value: Value,
    /// Where each key is.
    pub marks: Marks,
}

impl Source {
    /// Reads and parses `file`.
    pub(crate) fn read(file: &Path) -> Result<Source, ComposeError> {
        let text = std::fs::read_to_string(file).map_err(|e| {
            ComposeError::one(
                file,
                Problem::at("", format!("cannot read the Compose file: {e}")),
            )
        })?;
        Source::parse(file, &text)
    }

    /// Parses `text` as the contents of `file`.
    pub(crate) fn parse(file: &Path, text: &str) -> Result<Source, ComposeError> {
        let mut value: Value = serde_norway::from_str(text).map_err(|e| {
            let at = e.location().map(|l| Position {
                line: l.line(),
                column: l.column(),
            });
            let mut message = format!("not valid YAML: {e}");
            if let Some(line) = at.and_then(|p| text.lines().nth(p.line.saturating_sub(1))) {
                let n = at.map(|p| p.line).unwrap_or_default();
                message.push_str(&format!("\n    {n} | {line}"));
            }
            ComposeError::one(
                file,
                Problem {
                    path: String::new(),
                    at,
                    message,
                },
            )
        })?;
        if !value.is_mapping() {
            let what = match value {
                Value::Null => "is empty".to_string(),
                _ => "is not a map of keys like services: and networks:".to_string(),
            };
            return Err(ComposeError::one(
                file,
                Problem::at("", format!("the Compose file {what}")),
            ));
        }
        value.apply_merge().map_err(|e| {
            ComposeError::one(file, Problem::at("", format!("a `<<` merge failed: {e}")))
        })?;
        let dir = match file.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(Source {
            file: file.to_path_buf(),
            dir,
            value,
            marks: Marks::of(text),
        })
    }

    /// An error made of `problems`, placed in this file.
    pub(crate) fn error(&self, mut problems: Vec<Problem>, hint: Option<String>) -> ComposeError {
        self.marks.place(&mut problems);
        problems.sort_by_key(|p| p.at.map(|a| (a.line, a.column)));
        ComposeError {
            file: self.file.clone(),
            problems,
            hint,
        }
    }
}

/// The variables in an env file (`.env` format: `KEY=value`, quotes, `export`, comments).
pub(crate) fn env_file(path: &Path) -> Result<Vec<(String, String)>, String> {
    let iter = dotenvy::from_path_iter(path)
        .map_err(|e| format!("cannot read env file {}: {e}", path.display()))?;
    iter.map(|kv| kv.map_err(|e| format!("env file {}: {e}", path.display())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_items_have_positions() {
        let text =
            "services:\n  web:\n    image: busybox\n    ports:\n      - \"80:80\"\n      - 81\n";
        let marks = Marks::of(text);
        let at = |p: &str| marks.find(p).map(|p| (p.line, p.column));
        assert_eq!(at("services.web"), Some((2, 3)));
        assert_eq!(at("services.web.image"), Some((3, 5)));
        assert_eq!(at("services.web.ports[1]"), Some((6, 9)));
        // Unknown paths fall back to their nearest ancestor.
        assert_eq!(at("services.web.ports[1].target"), Some((6, 9)));
        assert_eq!(at("services.web.nothing"), Some((2, 3)));
    }

    #[test]
    fn yaml_errors_show_the_line() {
        let text = "services:\n  web:\n    image: busybox\n   ports: [\n";
        let err = Source::parse(Path::new("c.yml"), text).err().unwrap();
        let shown = err.to_string();
        assert!(shown.starts_with("c.yml:4:"), "{shown}");
        assert!(shown.contains("not valid YAML"), "{shown}");
        assert!(shown.contains("4 |    ports: ["), "{shown}");
        let empty = Source::parse(Path::new("c.yml"), "# nothing\n")
            .err()
            .unwrap();
        assert_eq!(empty.to_string(), "c.yml: the Compose file is empty");
        let list = Source::parse(Path::new("c.yml"), "- a\n").err().unwrap();
        assert!(list.to_string().contains("is not a map"));
    }

    #[test]
    fn anchors_and_merges_are_applied() {
        let text = "x-base: &base\n  image: busybox\n  cap_add: [NET_ADMIN]\nservices:\n  a:\n    <<: *base\n    hostname: a\n";
        let src = Source::parse(Path::new("c.yml"), text).ok().unwrap();
        assert_eq!(src.value["services"]["a"]["image"], "busybox");
        assert_eq!(src.value["services"]["a"]["hostname"], "a");
        assert!(src.value["services"]["a"].get("<<").is_none());
    }

    #[test]
    fn env_files_read_quotes_and_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(
            &path,
            "# comment\nTAG=1.2\nexport NAME=\"two words\"\nEMPTY=\n",
        )
        .unwrap();
        let vars = env_file(&path).unwrap();
        assert_eq!(
            vars,
            vec![
                ("TAG".to_string(), "1.2".to_string()),
                ("NAME".to_string(), "two words".to_string()),
                ("EMPTY".to_string(), String::new())
            ]
        );
        assert!(env_file(&dir.path().join("missing")).is_err());
    }
}
