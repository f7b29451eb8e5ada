//! Unit tests of `convert` (kept apart to keep the module short).

use super::*;
use rhai::Engine;

fn map(src: &str) -> Dynamic {
    Engine::new().eval::<Dynamic>(src).unwrap()
}

#[test]
fn run_options_become_a_spec() {
    let spec = run_spec(
        "busybox",
        map(
            r#"#{name: "web", network: ["a", "b"], ports: ["8080:80"], cmd: "sleep 60",
                env: #{A: 1}, aliases: "www", cap_add: ["NET_ADMIN"], privileged: true}"#,
        ),
    )
    .unwrap();
    assert_eq!(spec.name.as_deref(), Some("web"));
    assert_eq!(spec.networks, vec!["a", "b"]);
    assert_eq!(spec.ports[0].host_port, Some(8080));
    assert_eq!(spec.cmd, Some(vec!["sleep".to_string(), "60".to_string()]));
    assert_eq!(spec.env, vec![("A".to_string(), "1".to_string())]);
    assert_eq!(spec.aliases, vec!["www"]);
    assert!(spec.privileged);
}

#[test]
fn wrong_type_names_the_option_and_the_form() {
    let err = run_spec("busybox", map("#{ports: 42}")).unwrap_err();
    assert!(err.contains("option \"ports\" must be an array"), "{err}");
    assert!(err.contains("got 42"), "{err}");
}

#[test]
fn misspelt_option_is_named_with_a_suggestion() {
    let err = run_spec("busybox", map("#{netwrok: \"x\"}")).unwrap_err();
    assert!(err.contains("unknown option \"netwrok\""), "{err}");
    assert!(err.contains("did you mean \"network\"?"), "{err}");
    assert!(err.contains("valid options: name, network"), "{err}");
}

#[test]
fn bad_port_strings_are_explained() {
    let err = run_spec("busybox", map("#{ports: [\"99999:80\"]}")).unwrap_err();
    assert!(err.contains("option \"ports\": host port 99999"), "{err}");
    let err = run_spec("busybox", map("#{ports: [true]}")).unwrap_err();
    assert!(err.contains("one item is true"), "{err}");
}

#[test]
fn empty_image_and_bad_names_are_rejected() {
    assert!(
        run_spec("", Dynamic::UNIT)
            .unwrap_err()
            .contains("image name is empty")
    );
    let err = run_spec("busybox", map("#{name: \"bad name!\"}")).unwrap_err();
    assert!(err.contains("not a valid name"), "{err}");
    assert!(
        network_spec("-x", Dynamic::UNIT)
            .unwrap_err()
            .contains("not a valid name")
    );
}

#[test]
fn network_options_are_checked() {
    let spec = network_spec("n", map(r#"#{subnet: "10.1.0.0/24", internal: true}"#)).unwrap();
    assert_eq!(spec.subnet.as_deref(), Some("10.1.0.0/24"));
    assert!(spec.internal);
    let err = network_spec("n", map(r#"#{subnet: "10.1.0.0/33"}"#)).unwrap_err();
    assert!(err.contains("/33"), "{err}");
    let err = network_spec("n", map(r#"#{subnet: "banana"}"#)).unwrap_err();
    assert!(err.contains("not a CIDR"), "{err}");
    let err = network_spec("n", map(r#"#{internal: "yes"}"#)).unwrap_err();
    assert!(err.contains("\"internal\" must be true or false"), "{err}");
    let err = network_spec("n", map("42")).unwrap_err();
    assert!(err.contains("options must be a map"), "{err}");
}

#[test]
fn commands_split_like_a_shell() {
    let words = command_words("cmd", &map(r#""sh -c 'echo a b'""#)).unwrap();
    assert_eq!(words, vec!["sh", "-c", "echo a b"]);
    assert!(
        command_words("cmd", &map("\"\""))
            .unwrap_err()
            .contains("empty")
    );
    assert!(
        command_words("cmd", &map("#{}"))
            .unwrap_err()
            .contains("got a map")
    );
}

#[test]
fn handles_and_names_both_refer() {
    let h = Dynamic::from(ContainerHandle::detached("1", "web"));
    assert_eq!(container_ref("ctr", &h).unwrap(), "web");
    assert_eq!(container_ref("ctr", &Dynamic::from("db")).unwrap(), "db");
    let err = container_ref("ctr", &Dynamic::from(3_i64)).unwrap_err();
    assert!(err.contains("ctr must be a container handle or a container name, got 3"));
    let n = Dynamic::from(NetworkHandle::detached("1", "net"));
    assert!(
        container_ref("ctr", &n)
            .unwrap_err()
            .contains("got network net")
    );
}

#[test]
fn connect_ip_must_be_ipv4() {
    assert!(
        connect_spec(map(r#"#{ip: "10.0.0.300"}"#))
            .unwrap_err()
            .contains("not an IPv4")
    );
    assert_eq!(
        connect_spec(map(r#"#{aliases: ["a"]}"#)).unwrap().aliases,
        vec!["a"]
    );
}
