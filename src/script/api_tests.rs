use super::*;

#[test]
fn typos_get_the_nearest_name_and_known_names_a_pointer_to_their_forms() {
    remember("assert_reachable".into());
    remember("network::create".into());
    assert_eq!(
        name_hint("asert_reachable (i64)").as_deref(),
        Some("did you mean assert_reachable?")
    );
    assert_eq!(
        name_hint("network::craete (&str)").as_deref(),
        Some("did you mean network::create?")
    );
    assert!(
        name_hint("assert_reachable (i64)")
            .unwrap()
            .contains("exists, but not for these arguments")
    );
    // Far from every name: no guess.
    assert_eq!(name_hint("frobnicate ()"), None);
    assert_eq!(
        module_hint("netwrok").as_deref(),
        Some("did you mean network::?")
    );
    assert_eq!(module_hint("zzz"), None);
}
