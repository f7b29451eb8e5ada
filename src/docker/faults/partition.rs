//! Partitions as sets of cut pairs: `partition([[a, b], [c, d]])` cuts
//! every pair that crosses a group boundary (a–c, a–d, b–c, b–d) and no pair
//! inside a group. Keeping only pairs makes `cut`, `restore`, repeated
//! partitions and `heal` one model: heal empties the set. Pure.

use std::collections::BTreeSet;
use std::fmt::Display;

/// An unordered pair, smaller first, so `(a, b)` and `(b, a)` are one cut.
pub(crate) fn pair<T: Ord + Clone>(a: &T, b: &T) -> (T, T) {
    if a <= b {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

/// Every pair that crosses a group boundary. At least two groups, none
/// empty, no member in two groups (or twice in one).
pub(crate) fn pairs_across<T: Ord + Clone + Display>(
    groups: &[Vec<T>],
) -> Result<Vec<(T, T)>, String> {
    if groups.len() < 2 {
        return Err(format!(
            "a partition needs at least two groups, like [[\"a\", \"b\"], [\"c\"]], got {}",
            groups.len()
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, group) in groups.iter().enumerate() {
        if group.is_empty() {
            return Err(format!("group {} is empty", i + 1));
        }
        for member in group {
            if !seen.insert(member.clone()) {
                return Err(format!(
                    "container {member} is named twice; each container belongs to one group"
                ));
            }
        }
    }
    let mut pairs = Vec::new();
    for (i, left) in groups.iter().enumerate() {
        for right in &groups[i + 1..] {
            for a in left {
                for b in right {
                    pairs.push(pair(a, b));
                }
            }
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(g: &[&[&str]]) -> Vec<Vec<String>> {
        g.iter()
            .map(|grp| grp.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn pairs_cross_groups_and_never_stay_inside_one() {
        let pairs = pairs_across(&groups(&[&["a", "b"], &["c", "d"]])).unwrap();
        let shown: Vec<String> = pairs.iter().map(|(x, y)| format!("{x}-{y}")).collect();
        assert_eq!(shown, vec!["a-c", "a-d", "b-c", "b-d"]);
    }

    #[test]
    fn three_groups_cut_every_boundary() {
        let pairs = pairs_across(&groups(&[&["a"], &["b"], &["c"]])).unwrap();
        assert_eq!(pairs.len(), 3);
        assert!(pairs.contains(&pair(&"c".to_string(), &"a".to_string())));
    }

    #[test]
    fn bad_partitions_are_explained() {
        assert!(
            pairs_across(&groups(&[&["a", "b"]]))
                .unwrap_err()
                .contains("at least two groups")
        );
        assert!(
            pairs_across(&groups(&[&["a"], &[]]))
                .unwrap_err()
                .contains("group 2 is empty")
        );
        assert!(
            pairs_across(&groups(&[&["a", "b"], &["b"]]))
                .unwrap_err()
                .contains("container b is named twice")
        );
    }

    #[test]
    fn pairs_are_unordered() {
        assert_eq!(pair(&2, &1), pair(&1, &2));
    }
}
