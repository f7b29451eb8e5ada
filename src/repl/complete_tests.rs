//! Unit tests of `complete` (kept apart to keep the module short).

use super::*;
use crate::repl::catalog::tests::sample_engine;

fn vocab() -> Vocabulary {
    Vocabulary::new(
        &Catalog::from_engine(&sample_engine()),
        &["help", "save", "quit"],
    )
}

fn live() -> LiveNames {
    LiveNames {
        containers: vec!["web".into(), "i3-db".into()],
        networks: vec!["bridge".into(), "i3-net".into()],
    }
}

fn ask(line: &str, variables: &[(String, Dynamic)]) -> (usize, Vec<String>) {
    let (start, found) = complete(
        &vocab(),
        &Request {
            line,
            pos: line.len(),
            variables,
            live: &live,
        },
    );
    (start, found.into_iter().map(|c| c.replacement).collect())
}

#[test]
fn module_functions() {
    assert_eq!(
        ask("let n = network::cr", &[]),
        (17, vec!["create(".into()])
    );
}

#[test]
fn bare_words_give_variables_functions_and_modules() {
    let vars = vec![("runner".to_string(), Dynamic::from(1_i64))];
    let (start, found) = ask("x + ru", &vars);
    assert_eq!(start, 4);
    assert_eq!(found, vec!["runner", "run("]);
    assert_eq!(ask("netw", &[]).1, vec!["network::"]);
}

#[test]
fn handle_members_and_map_keys() {
    let web = ContainerHandle::detached("1", "web");
    let mut info = Map::new();
    let mut ipam = Map::new();
    ipam.insert("Driver".into(), "default".into());
    info.insert("IPAM".into(), ipam.into());
    let vars = vec![
        ("web".to_string(), Dynamic::from(web)),
        ("info".to_string(), Dynamic::from_map(info)),
    ];
    assert_eq!(ask("web.i", &vars).1, vec!["ip("]);
    assert_eq!(ask("info.IPAM.D", &vars).1, vec!["Driver"]);
    assert!(ask("info.ke", &vars).1.contains(&"keys(".to_string()));
}

#[test]
fn live_names_inside_strings_follow_the_parameter_type() {
    // ip(ctr: Container, net: Network|String): the second argument is a network.
    assert_eq!(ask(r#"web.ip("i3"#, &[]).1, vec!["i3-net\""]);
    assert_eq!(
        ask(r#"ip(web, "i3-n"#, &[]),
        (9, vec!["i3-net\"".to_string()])
    );
    // run's opts map: `network:` wants a network.
    assert_eq!(
        ask(r#"run("busybox", #{network: "i3"#, &[]).1,
        vec!["i3-net\""]
    );
    // Unknown callee: containers and networks.
    assert_eq!(ask(r#"foo("i3-"#, &[]).1, vec!["i3-db\"", "i3-net\""]);
}

#[test]
fn no_second_parenthesis_when_one_follows() {
    let (_, found) = complete(
        &vocab(),
        &Request {
            line: "x = ru(\"busybox\")",
            pos: 6,
            variables: &[],
            live: &live,
        },
    );
    let found: Vec<String> = found.into_iter().map(|c| c.replacement).collect();
    assert_eq!(found, vec!["run"]);
}

#[test]
fn host_handle_methods_are_not_globals() {
    let catalog = Catalog::from_engine(&crate::script::engine_without_docker());
    let vocab = Vocabulary::new(&catalog, &[]);
    let (_, found) = complete(
        &vocab,
        &Request {
            line: "network_cr",
            pos: 10,
            variables: &[],
            live: &live,
        },
    );
    assert!(
        found.is_empty(),
        "{:?}",
        found.iter().map(|c| &c.display).collect::<Vec<_>>()
    );
    assert!(vocab.is_function("run"));
}

#[test]
fn an_imported_std_module_completes() {
    let mut engine = crate::script::engine_without_docker();
    engine.set_max_expr_depths(0, 0);
    let resolver = crate::script::stdlib::Resolver::new(".".into());
    let module =
        rhai::ModuleResolver::resolve(&resolver, &engine, None, "std/reach", rhai::Position::NONE)
            .unwrap();
    engine.register_static_module("reach", module);
    let vocab = Vocabulary::new(&Catalog::from_engine(&engine), &[]);
    let (_, found) = complete(
        &vocab,
        &Request {
            line: "reach::mat",
            pos: 10,
            variables: &[],
            live: &live,
        },
    );
    let found: Vec<String> = found.into_iter().map(|c| c.replacement).collect();
    assert!(found.contains(&"matrix(".to_string()), "{found:?}");
}

#[test]
fn meta_commands() {
    assert_eq!(ask(":he", &[]), (1, vec!["help ".into()]));
    assert_eq!(ask(":help network::c", &[]).1, vec!["network::create"]);
}

#[test]
fn call_sites() {
    let site = call_site(r#"network::connect(net, ["a", f(1)], "#);
    assert_eq!(site.callee.as_deref(), Some("network::connect"));
    assert_eq!(site.arg, 2);
    let site = call_site(r#"web.ip("#);
    assert_eq!(site.callee.as_deref(), Some(".ip"));
    let site = call_site(r#"run("busybox", #{name: "x", network: "#);
    assert_eq!(site.map_key.as_deref(), Some("network"));
    assert_eq!(call_site("if x { y(1) } ").callee, None);
}
