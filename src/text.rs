//! Small text helpers for messages people read: counts with their noun,
//! ids as the docker CLI shortens them.

/// `1 network`, `2 networks`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The first 12 characters of an id, as the docker CLI shows it.
pub(crate) fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_counts_one_and_many() {
        assert_eq!(plural(1, "network"), "1 network");
        assert_eq!(plural(0, "container"), "0 containers");
    }

    #[test]
    fn short_ids_drop_the_digest_prefix() {
        assert_eq!(short_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
    }
}
