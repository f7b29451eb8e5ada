//! A scenario's header: the leading `//!` lines may say `name:`, `tags:` and
//! `timeout:`; every other header line is documentation and left alone.
//!
//! ```rhai
//! //! Two containers on one network find each other by name.
//! //! name: dns by name
//! //! tags: dns, smoke
//! //! timeout: 60
//! ```

use std::time::Duration;

/// What a scenario's header says about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Meta {
    /// `name:` — how reports call the scenario (default: the file name).
    pub(crate) name: Option<String>,
    /// `tags:` — comma-separated words `--filter` also matches.
    pub(crate) tags: Vec<String>,
    /// `timeout:` — seconds the scenario may take, overriding `--timeout`.
    pub(crate) timeout: Option<Duration>,
}

/// A header line netrig could not read: its 1-based line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetaError {
    /// Line in the file.
    pub(crate) line: usize,
    /// What is wrong, naming the key.
    pub(crate) message: String,
}

/// Reads the header: the `//!` lines before the first other non-blank line.
pub(crate) fn parse(source: &str) -> Result<Meta, MetaError> {
    let mut meta = Meta::default();
    for (i, line) in source.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(text) = line.strip_prefix("//!") else {
            break;
        };
        let Some((key, value)) = text.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let error = |message: String| MetaError {
            line: i + 1,
            message,
        };
        match key.trim() {
            "name" if value.is_empty() => {
                return Err(error("`name:` is empty".into()));
            }
            "name" => meta.name = Some(value.to_string()),
            "tags" => {
                meta.tags = value
                    .split([',', ' '])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect();
            }
            "timeout" => {
                let secs = value
                    .trim_end_matches('s')
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
                    .ok_or_else(|| {
                        error(format!(
                            "`timeout:` must be a number of seconds between 0 and 86400, got {value:?}"
                        ))
                    })?;
                meta.timeout = Some(Duration::from_secs_f64(secs));
            }
            // Prose such as "//! Seed: …" is documentation, not metadata.
            _ => {}
        }
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_known_keys_and_ignores_prose() {
        let meta = parse(
            "//! Checks DNS. Seed: \"names resolve\"\n\
             //! name: dns by name\n\
             //! tags: dns, smoke slow\n\
             //!\n\
             //! timeout: 2.5\n\
             let x = 1;\n",
        )
        .unwrap();
        assert_eq!(meta.name.as_deref(), Some("dns by name"));
        assert_eq!(meta.tags, ["dns", "smoke", "slow"]);
        assert_eq!(meta.timeout, Some(Duration::from_millis(2500)));
    }

    #[test]
    fn only_the_leading_header_counts() {
        let meta = parse("let x = 1;\n//! name: late\n").unwrap();
        assert_eq!(meta, Meta::default());
        let meta = parse("\n\n//! name: after blank lines\n").unwrap();
        assert_eq!(meta.name.as_deref(), Some("after blank lines"));
    }

    #[test]
    fn a_bad_timeout_names_the_line_and_the_value() {
        let err = parse("//! name: x\n//! timeout: soon\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("\"soon\""), "{}", err.message);
        assert!(parse("//! timeout: 0\n").is_err());
        assert_eq!(
            parse("//! timeout: 30s\n").unwrap().timeout,
            Some(Duration::from_secs(30))
        );
    }
}
