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

/// A few definitions that need no daemon, installed into a bare engine.
fn demo_engine() -> rhai::Engine {
    let mut api = Api::default();
    api.function(
        "demo",
        &["a: int", "[b: Map]", "String"],
        "A demo.\n```rhai\ndemo(1);\n```",
        |_: &Call, a: i64, b: Dynamic| Ok(format!("{a} {b:?}")),
    );
    api.function(
        "m::fail",
        &["x: Dynamic"],
        "Always fails.\n```rhai\nm::fail(1);\n```",
        |cx: &Call, _: Dynamic| -> ScriptResult<()> { Err(cx.invalid("no")) },
    )
    .global_only();
    let mut engine = rhai::Engine::new();
    install(&mut engine, None, &api.into_functions());
    engine
}

#[test]
fn optional_parameters_make_one_overload_per_count() {
    let engine = demo_engine();
    assert_eq!(engine.eval::<String>("demo(1)").unwrap(), "1 ()");
    assert_eq!(engine.eval::<String>("demo(1, #{})").unwrap(), "1 #{}");
    // Typed parameters still choose the function.
    let err = engine.eval::<String>(r#"demo("x")"#).unwrap_err();
    assert!(err.to_string().contains("Function not found"), "{err}");
}

#[test]
fn errors_name_the_function_and_carry_the_script_position() {
    let err = demo_engine().run("let x = 1;\n  m::fail(x);").unwrap_err();
    let (kind, message) = crate::script::error::netrig_error(&err).unwrap();
    assert_eq!(
        (kind.as_str(), message.as_str()),
        ("invalid_argument", "m::fail(): no")
    );
    assert_eq!(err.position().line(), Some(2));
}

#[test]
#[should_panic(expected = "script function demo: 3 parameter entries for a body of 1 arguments")]
fn an_entry_that_does_not_fit_its_body_names_the_function() {
    Api::default().function(
        "demo",
        &["a: int", "b: int", "c: int"],
        "",
        |_: &Call, _: i64| Ok(()),
    );
}

#[test]
#[should_panic(expected = "script function demo: [b: int] may be left out")]
fn an_optional_parameter_needs_a_body_argument_that_can_be_absent() {
    Api::default().function(
        "demo",
        &["a: int", "[b: int]"],
        "",
        |_: &Call, _: i64, _: i64| Ok(()),
    );
}

#[test]
fn every_definition_is_well_formed_and_documented() {
    // Building them checks each entry against its body (it panics otherwise).
    let functions = crate::script::functions();
    let mut seen = BTreeSet::new();
    for f in &functions {
        let name = f.qualified_name();
        let types: Vec<_> = f.body.args.iter().map(|a| a.rhai_type).collect();
        assert!(
            seen.insert((name.clone(), types)),
            "{name} is defined twice"
        );
        let doc = f.doc;
        assert!(
            doc.contains("```rhai\n") && doc.trim_end().ends_with("```"),
            "{name}: the doc needs a ```rhai example"
        );
        assert!(
            !doc.trim().starts_with("```"),
            "{name}: the doc needs a description"
        );
    }
    // The host form: `<module>_<name>` for module functions.
    let create = functions
        .iter()
        .find(|f| f.qualified_name() == "network::create")
        .unwrap();
    assert_eq!(create.host_name().as_deref(), Some("network_create"));
    let assert = functions
        .iter()
        .find(|f| f.qualified_name() == "assert")
        .unwrap();
    assert_eq!(assert.host_name(), None);
}
