use super::*;
use crate::script::error::netrig_error;
use rhai::{Dynamic, Engine, EvalAltResult, Scope};
use serde_json::json;

fn set(text: &str) -> Setting {
    parse_setting(text).unwrap()
}

#[test]
fn values_are_typed_by_their_text() {
    assert_eq!(set("count=3").value, json!(3));
    assert_eq!(set("delta=-12").value, json!(-12));
    assert_eq!(set("ratio=0.25").value, json!(0.25));
    assert_eq!(set("big=1e3").value, json!(1000.0));
    assert_eq!(set("on=true").value, json!(true));
    assert_eq!(set("off=false").value, json!(false));
    assert_eq!(
        set("host=tcp://10.0.0.2:2375").value,
        json!("tcp://10.0.0.2:2375")
    );
    assert_eq!(set(r#"hosts=["a","b"]"#).value, json!(["a", "b"]));
    assert_eq!(
        set(r#"limits={"cpu": 2, "mem": "1g"}"#).value,
        json!({"cpu": 2, "mem": "1g"})
    );
    assert_eq!(
        set(r#"quoted="3""#).value,
        json!("3"),
        "JSON quotes force a string"
    );
    // Text that only looks numeric stays text.
    assert_eq!(set("zip=007").value, json!("007"));
    assert_eq!(set("version=1.2.3").value, json!("1.2.3"));
    assert_eq!(
        set("id=123456789012345678901").value,
        json!("123456789012345678901")
    );
    assert_eq!(set("empty=").value, json!(""));
    assert_eq!(set("eq=a=b").raw, "a=b", "only the first = splits");
    assert_eq!(set("t=True").value, json!("True"));
}

#[test]
fn bad_settings_say_what_was_expected() {
    let no_eq = parse_setting("count").unwrap_err();
    assert!(no_eq.contains("expected KEY=VALUE"), "{no_eq}");
    let bad_key = parse_setting("host-b=x").unwrap_err();
    assert!(
        bad_key.contains("\"host-b\" is not a parameter name"),
        "{bad_key}"
    );
    assert!(parse_setting("1x=2").is_err());
    let bad_json = parse_setting(r#"hosts=["a",]"#).unwrap_err();
    assert!(
        bad_json.starts_with("hosts: \"[\\\"a\\\",]\" is not valid JSON"),
        "{bad_json}"
    );
}

#[test]
fn declared_types_read_the_original_text() {
    assert_eq!(ParamType::String.parse("007"), Ok(json!("007")));
    assert_eq!(ParamType::String.parse("3"), Ok(json!("3")));
    assert_eq!(ParamType::Float.parse("2"), Ok(json!(2.0)));
    assert_eq!(ParamType::Int.parse("42"), Ok(json!(42)));
    assert_eq!(
        ParamType::Int.parse("4.2").unwrap_err(),
        "\"4.2\" is not an int"
    );
    assert!(ParamType::Float.parse("NaN").is_err());
    assert_eq!(
        ParamType::Bool.parse("yes").unwrap_err(),
        "\"yes\" is not a bool (true or false)"
    );
    assert_eq!(ParamType::Array.parse("[1]"), Ok(json!([1])));
    assert_eq!(
        ParamType::Array.parse("{}").unwrap_err(),
        "\"{}\" is not an array"
    );
    assert!(
        ParamType::Map
            .parse("x")
            .unwrap_err()
            .contains("is not a map in JSON")
    );
    assert_eq!("float".parse(), Ok(ParamType::Float));
    assert_eq!(ParamType::Float.to_string(), "float");
    assert!(
        "integer"
            .parse::<ParamType>()
            .unwrap_err()
            .contains("string, int, float")
    );
}

/// Runs `script` with the given `--set`s; the `params` it ends with, or the error.
fn run(sets: &[&str], script: &str) -> Result<Dynamic, Box<EvalAltResult>> {
    run_with(Params::new(sets.iter().map(|s| set(s))), script)
}

fn run_with(params: Params, script: &str) -> Result<Dynamic, Box<EvalAltResult>> {
    let mut engine = Engine::new();
    engine.register_fn("assert", |ok: bool| -> Result<(), Box<EvalAltResult>> {
        if ok {
            Ok(())
        } else {
            Err("assertion failed".into())
        }
    });
    // The real definitions, given these settings in place of a run's.
    let mut api = crate::script::api::Api::default();
    let given = params.clone();
    bind::definitions(&mut api, move |_| given.clone());
    crate::script::api::install(&mut engine, None, &api.into_functions());
    let mut scope = Scope::new();
    scope.push("params", params_map(&params));
    engine.run_with_scope(&mut scope, script)?;
    Ok(scope.get_value::<Dynamic>("params").unwrap())
}

fn error(sets: &[&str], script: &str) -> (String, String, Option<usize>) {
    let err = run(sets, script).unwrap_err();
    let (kind, message) = netrig_error(&err).expect("a netrig error");
    (kind, message, err.position().line())
}

#[test]
fn params_reach_the_script_typed() {
    let p = run(
        &[
            "count=3",
            "ratio=0.5",
            "on=true",
            "name=web",
            r#"hosts=["a","b"]"#,
        ],
        r#"
        assert(params.count == 3);
        assert(params.ratio == 0.5);
        assert(params.on == true);
        assert(params.name == "web");
        assert(params.hosts.len() == 2 && params.hosts[1] == "b");
        "#,
    );
    assert!(p.is_ok(), "{p:?}");
}

#[test]
fn require_fills_defaults_converts_and_returns_params() {
    let p = run(
        &["count=3", "tag=007", "ratio=2"],
        r#"
        let p = params.require(
            #{count: "int", tag: #{type: "string", doc: "a label"}},
            #{ratio: 1.0, hosts: ["x"], retries: 2},
        );
        assert(p.ratio == 2.0 && type_of(p.ratio) == "f64");
        "#,
    )
    .unwrap();
    let p = p.cast::<rhai::Map>();
    assert_eq!(p["count"].as_int(), Ok(3));
    assert_eq!(p["tag"].clone().into_string().unwrap(), "007");
    assert_eq!(p["ratio"].as_float(), Ok(2.0));
    assert_eq!(p["hosts"].clone().into_array().unwrap().len(), 1);
    assert_eq!(p["retries"].as_int(), Ok(2), "a default fills in");
}

#[test]
fn a_missing_parameter_is_an_error_at_the_require_line() {
    let (kind, message, line) = error(
        &[],
        "let x = 1;\nparams.require(#{host_b: #{type: \"string\", doc: \"Docker URL\"}, count: \"int\"});\nx = 2;",
    );
    assert_eq!(kind, KIND);
    assert_eq!(line, Some(2));
    assert_eq!(
        message,
        "params.require(): missing parameters count (int), host_b (string: Docker URL); pass --set count=VALUE --set host_b=VALUE"
    );
}

#[test]
fn a_wrong_type_or_an_unknown_name_is_an_error_too() {
    let (kind, message, line) = error(&["count=many"], "\n\nparams.require(#{count: \"int\"});");
    assert_eq!((kind.as_str(), line), (KIND, Some(3)));
    assert_eq!(
        message,
        "params.require(): --set count: \"many\" is not an int"
    );

    let (_, message, _) = error(&["hots_b=x"], "params.require(#{}, #{host_b: \"\"});");
    assert_eq!(
        message,
        "params.require(): --set hots_b: no such parameter (did you mean host_b?); the script takes host_b"
    );
    // A suite's --set is shared: a scenario takes what it declares.
    let shared = Params::shared([set("hots_b=x"), set("n=3")]);
    assert!(run_with(shared, "params.require(#{n: \"int\"});").is_ok());
    let (kind, message, _) = error(&[], "params.require(#{n: \"integer\"});");
    assert_eq!(kind, "invalid_argument");
    assert!(message.contains("n: unknown type \"integer\""), "{message}");
    let (_, message, _) = error(&["n=x"], "params.require(#{}, #{n: 3});");
    assert_eq!(message, "params.require(): --set n: \"x\" is not an int");
    let (_, message, _) = error(
        &[],
        "params.require(#{n: #{type: \"int\", \"default\": 3}});",
    );
    assert!(message.contains("n: unknown key \"default\""), "{message}");
}

#[test]
fn env_reads_the_environment_with_or_without_a_default() {
    // SAFETY: these variable names belong to this test alone.
    unsafe {
        std::env::set_var("NETRIG_TEST_ENV_COUNT", "5");
        std::env::set_var("NETRIG_TEST_ENV_WORD", "five");
        std::env::remove_var("NETRIG_TEST_ENV_UNSET");
    }
    let ok = run(
        &[],
        r#"
        assert(env("NETRIG_TEST_ENV_COUNT") == "5");
        assert(env("NETRIG_TEST_ENV_COUNT", 3) == 5);
        assert(env("NETRIG_TEST_ENV_COUNT", "3") == "5");
        assert(env("NETRIG_TEST_ENV_UNSET", 3) == 3);
        assert(env("NETRIG_TEST_ENV_UNSET", ()) == ());
        assert(env("NETRIG_TEST_ENV_UNSET", "x") == "x");
        "#,
    );
    assert!(ok.is_ok(), "{ok:?}");
    let (kind, message, line) = error(&[], "\nlet h = env(\"NETRIG_TEST_ENV_UNSET\");");
    assert_eq!((kind.as_str(), line), (KIND, Some(2)));
    assert_eq!(
        message,
        "env(): the environment variable NETRIG_TEST_ENV_UNSET is not set; set it, or give a default: env(\"NETRIG_TEST_ENV_UNSET\", \"…\")"
    );
    let (_, message, _) = error(&[], "env(\"NETRIG_TEST_ENV_WORD\", 3);");
    assert_eq!(
        message,
        "env(): NETRIG_TEST_ENV_WORD: \"five\" is not an int (the default 3 says it should be)"
    );
}
