//! What went wrong in a Compose file, and where: every problem carries the
//! key's path (`services.web.volumes`) and, when known, its line in the file.

use std::fmt;
use std::path::{Path, PathBuf};

/// A place in the Compose file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

/// One thing wrong (or, as a warning, left out) in a Compose file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The key's path, `services.web.ports[1]`; empty for the file as a whole.
    pub path: String,
    /// Where the key is in the file.
    pub at: Option<Position>,
    /// What is wrong and what to do.
    pub message: String,
}

impl Problem {
    /// A problem at `path` (its position is filled in later from the file's marks).
    pub(crate) fn at(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            at: None,
            message: message.into(),
        }
    }

    /// The problem as one line: `file:line:col: path: message`.
    pub(crate) fn render(&self, file: &Path) -> String {
        let mut out = file.display().to_string();
        if let Some(p) = self.at {
            out.push_str(&format!(":{}:{}", p.line, p.column));
        }
        out.push_str(": ");
        if !self.path.is_empty() {
            out.push_str(&self.path);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}

/// A Compose file that cannot be used as it is: one or more problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComposeError {
    /// The Compose file.
    pub file: PathBuf,
    /// Everything found wrong, in file order where known.
    pub problems: Vec<Problem>,
    /// A closing hint for all of them (e.g. how to turn unsupported keys into warnings).
    pub hint: Option<String>,
}

impl ComposeError {
    /// An error with one problem.
    pub(crate) fn one(file: &Path, problem: Problem) -> ComposeError {
        ComposeError {
            file: file.to_path_buf(),
            problems: vec![problem],
            hint: None,
        }
    }
}

impl fmt::Display for ComposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "{}", one.render(&self.file))?,
            many => {
                write!(
                    f,
                    "{} problems in Compose file {}:",
                    many.len(),
                    self.file.display()
                )?;
                for p in many {
                    write!(f, "\n  {}", p.render(&self.file))?;
                }
            }
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n{hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ComposeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_problem_is_one_line_many_are_listed() {
        let file = Path::new("app/compose.yml");
        let mut p = Problem::at(
            "services.web.volumes",
            "netrig does not support \"volumes\"",
        );
        p.at = Some(Position { line: 7, column: 5 });
        let one = ComposeError::one(file, p.clone());
        assert_eq!(
            one.to_string(),
            "app/compose.yml:7:5: services.web.volumes: netrig does not support \"volumes\""
        );
        let many = ComposeError {
            file: file.into(),
            problems: vec![p, Problem::at("", "the file is empty")],
            hint: Some("remove them".into()),
        };
        assert_eq!(
            many.to_string(),
            "2 problems in Compose file app/compose.yml:\n  \
             app/compose.yml:7:5: services.web.volumes: netrig does not support \"volumes\"\n  \
             app/compose.yml: the file is empty\nremove them"
        );
    }
}
