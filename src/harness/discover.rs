//! Finding scenarios: every `.rhai` file under the given paths (default
//! `tests/scenarios/`, else `scenarios/`), read with its header.

use std::path::{Path, PathBuf};

use super::meta::{self, Meta};

/// One scenario file, read and with its header parsed.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file, as found from the paths given.
    pub(crate) path: PathBuf,
    /// The path as shown in reports and as the `netrig.script` label.
    pub(crate) file: String,
    /// The script.
    pub(crate) source: String,
    /// What its header says.
    pub(crate) meta: Meta,
    /// Why it cannot run (unreadable, bad header); reported as an error.
    pub(crate) problem: Option<String>,
}

impl Scenario {
    /// Reads `path`; problems are kept for the report, not returned.
    pub(crate) fn load(path: &Path) -> Scenario {
        let file = path.display().to_string();
        let (source, problem) = match std::fs::read_to_string(path) {
            Ok(s) => (s, None),
            Err(e) => (String::new(), Some(format!("cannot read {file}: {e}"))),
        };
        let (meta, problem) = match (problem, meta::parse(&source)) {
            (Some(p), _) => (Meta::default(), Some(p)),
            (None, Ok(m)) => (m, None),
            (None, Err(e)) => (
                Meta::default(),
                Some(format!("{file}:{}: {}", e.line, e.message)),
            ),
        };
        Scenario {
            path: path.to_path_buf(),
            file,
            source,
            meta,
            problem,
        }
    }

    /// The header's `name:`, else the file name without `.rhai`.
    pub fn name(&self) -> String {
        self.meta.name.clone().unwrap_or_else(|| {
            self.path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.file.clone())
        })
    }

    /// `--filter`: the text is part of the name or the path, or is one of the tags.
    pub(crate) fn matches(&self, filter: &str) -> bool {
        self.name().contains(filter)
            || self.file.contains(filter)
            || self.meta.tags.iter().any(|t| t == filter)
    }

    /// The directory imports and `build` paths start from.
    pub(crate) fn base_dir(&self) -> PathBuf {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// Where scenarios are looked for when no path is given.
pub(crate) const DEFAULT_DIRS: [&str; 2] = ["tests/scenarios", "scenarios"];

/// The paths to search: those given, else the first default directory that exists.
pub(crate) fn search_paths(given: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    DEFAULT_DIRS
        .iter()
        .map(PathBuf::from)
        .find(|d| d.is_dir())
        .map(|d| vec![d])
        .ok_or_else(|| {
            format!(
                "no scenarios here: give a path, or put .rhai files in {}/ or {}/",
                DEFAULT_DIRS[0], DEFAULT_DIRS[1]
            )
        })
}

/// Every scenario under `paths`, sorted by path within each given path. A
/// file given by name always counts; in directories, `.rhai` files count
/// except those whose name starts with `_` (helpers that scenarios import),
/// definition files (`*.d.rhai`, from `netrig defs`) and those in hidden
/// directories. An error is a usage error.
pub(crate) fn discover(paths: &[PathBuf]) -> Result<Vec<Scenario>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)
                .map_err(|e| format!("cannot read directory {}: {e}", path.display()))?;
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(format!("no such file or directory: {}", path.display()));
        }
    }
    // The same file reached twice (a directory and a file in it) runs once.
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.canonicalize().unwrap_or_else(|_| f.clone())));
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(format!("no .rhai scenarios under {}", shown.join(", ")));
    }
    Ok(files.iter().map(|f| Scenario::load(f)).collect())
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, found)?;
        } else if name.ends_with(".rhai") && !name.starts_with('_') && !name.ends_with(".d.rhai") {
            found.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("sub")).unwrap();
        std::fs::create_dir_all(p.join(".hidden")).unwrap();
        std::fs::create_dir_all(p.join("netrig-defs")).unwrap();
        for (f, text) in [
            ("b.rhai", "//! name: second\n//! tags: dns_v2\n"),
            ("a.rhai", ""),
            ("_helper.rhai", ""),
            ("netrig-defs/__static__.d.rhai", "module static;\n"),
            ("notes.txt", ""),
            ("sub/c.rhai", "//! timeout: never\n"),
            (".hidden/d.rhai", ""),
        ] {
            std::fs::write(p.join(f), text).unwrap();
        }
        dir
    }

    #[test]
    fn finds_rhai_files_sorted_skipping_helpers_and_hidden_ones() {
        let dir = tree();
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<String> = found.iter().map(Scenario::name).collect();
        assert_eq!(names, ["a", "second", "c"]);
        assert!(found[2].problem.as_ref().unwrap().contains("c.rhai:1:"));
    }

    #[test]
    fn a_file_given_twice_runs_once_and_a_missing_path_is_an_error() {
        let dir = tree();
        let a = dir.path().join("a.rhai");
        let found = discover(&[a.clone(), dir.path().to_path_buf()]).unwrap();
        assert_eq!(found.len(), 3);
        assert!(
            discover(&[dir.path().join("nope")])
                .unwrap_err()
                .contains("no such file")
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(
            discover(&[empty.path().to_path_buf()])
                .unwrap_err()
                .contains("no .rhai scenarios")
        );
    }

    #[test]
    fn filter_matches_name_path_or_tag() {
        let dir = tree();
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        let b = &found[1];
        assert!(b.matches("sec") && b.matches("b.rhai") && b.matches("dns_v2"));
        assert!(!b.matches("dns_"), "tags match whole");
        assert!(!found[0].matches("dns_v2"));
    }
}
