//! Candidates from the real command line definition; `tests/completions.rs`
//! drives them through a real bash.

use super::*;
use clap::CommandFactory;
use std::process::Command as Process;

fn fake_runs(host: Option<String>) -> Vec<(String, String)> {
    let on = host.unwrap_or_else(|| "default".into());
    vec![
        ("r1a2b3".into(), format!("two-hosts.rhai on {on}")),
        ("r9f8e7".into(), "web.rhai".into()),
    ]
}

/// The candidates for the last of `words` (typed after `netrig`).
fn complete(words: &[&str]) -> Vec<String> {
    let mut cmd = with_completers(crate::cli::Cli::command(), fake_runs);
    let args: Vec<std::ffi::OsString> = std::iter::once("netrig")
        .chain(words.iter().copied())
        .map(Into::into)
        .collect();
    let index = args.len() - 1;
    clap_complete::engine::complete(&mut cmd, args, index, None)
        .unwrap()
        .into_iter()
        .map(|c| c.get_value().to_string_lossy().into_owned())
        .collect()
}

fn scenario_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["web.rhai", "web-notes.txt", "wan.d.rhai"] {
        std::fs::write(dir.path().join(f), "").unwrap();
    }
    std::fs::create_dir(dir.path().join("wscenarios")).unwrap();
    dir
}

#[test]
fn run_completes_scenario_files_and_test_also_directories() {
    let dir = scenario_dir();
    let prefix = format!("{}/w", dir.path().display());
    let at = |name: &str| format!("{}/{name}", dir.path().display());
    assert_eq!(
        complete(&["run", &prefix]),
        vec![at("web.rhai"), at("wscenarios/")],
        "a .rhai file, and a directory to walk into; no text files or definition files"
    );
    assert_eq!(
        complete(&["test", "--jobs", "2", &prefix]),
        vec![at("web.rhai"), at("wscenarios/")]
    );
}

#[test]
fn clean_and_graph_complete_run_ids_from_the_daemon_named_by_host() {
    assert_eq!(complete(&["clean", "--run", ""]), vec!["r1a2b3", "r9f8e7"]);
    assert_eq!(complete(&["graph", "--run", "r9"]), vec!["r9f8e7"]);
    assert_eq!(
        complete(&["export", "--compose", "--run", "r1"]),
        vec!["r1a2b3"]
    );
    assert_eq!(
        host_from_args(["netrig", "--host", "tcp://b:2375", "clean"].map(String::from)),
        Some("tcp://b:2375".into())
    );
    assert_eq!(
        host_from_args(["netrig", "--host=ssh://me@b", "clean"].map(String::from)),
        Some("ssh://me@b".into())
    );
    assert_eq!(host_from_args(["netrig", "clean"].map(String::from)), None);
}

#[test]
fn subcommands_and_options_complete_too() {
    let subcommands = complete(&[""]);
    for name in ["run", "test", "clean", "graph", "setup"] {
        assert!(subcommands.contains(&name.to_string()), "{subcommands:?}");
    }
    assert!(
        !subcommands.contains(&"reap".to_string()),
        "hidden stays hidden"
    );
    let options = complete(&["test", "--j"]);
    assert!(options.contains(&"--jobs".to_string()) && options.contains(&"--junit".to_string()));
}

#[test]
fn an_unreachable_daemon_gives_no_run_ids_quickly() {
    let started = std::time::Instant::now();
    assert_eq!(daemon_runs(Some("tcp://127.0.0.1:9".into())), Vec::new());
    assert!(started.elapsed() < DAEMON_WAIT + Duration::from_millis(500));
}

#[test]
fn registration_scripts_call_this_netrig_with_the_variable_set() {
    for shell in ["bash", "zsh", "fish"] {
        let script = registration(shell, "/opt/bin/netrig").unwrap();
        assert!(script.contains(VAR), "{shell}: {script}");
        assert!(script.contains("/opt/bin/netrig"), "{shell}: {script}");
    }
    assert!(
        registration("bash", "netrig")
            .unwrap()
            .contains("-F _clap_complete_netrig netrig")
    );
    let err = registration("tcsh", "netrig").unwrap_err();
    assert!(err.contains("bash, zsh, fish"), "{err}");
    assert_eq!(completer_path(OsStr::new("netrig")), "netrig");
    assert!(completer_path(OsStr::new("./Cargo.toml")).starts_with('/'));
}

#[test]
fn the_man_page_renders_cleanly_in_groff() {
    let dir = tempfile::tempdir().unwrap();
    let pages = write_man_pages(crate::cli::Cli::command(), dir.path()).unwrap();
    let names: Vec<String> = pages
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for page in [
        "netrig.1",
        "netrig-run.1",
        "netrig-test.1",
        "netrig-clean.1",
    ] {
        assert!(names.contains(&page.to_string()), "{names:?}");
    }
    assert!(
        !names.iter().any(|n| n.contains("reap")),
        "hidden commands get no page"
    );
    let main = dir.path().join("netrig.1");
    assert!(
        std::fs::read(&main).unwrap() == man_page(crate::cli::Cli::command()),
        "netrig.1 on disk is the page man_page() renders"
    );
    // groff (what `man` uses) formats it, warning about nothing.
    let out = Process::new("groff")
        // -P -cbou: plain text, no overstrike for bold and underline.
        .args(["-man", "-Tutf8", "-ww", "-P", "-cbou"])
        .arg(&main)
        .output()
        .expect("groff (Debian package groff-base) formats man pages");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "{stderr}");
    let text = String::from_utf8_lossy(&out.stdout);
    for part in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "SUBCOMMANDS",
        "netrig-run(1)",
        "--host <URL>",
    ] {
        assert!(text.contains(part), "{part} missing from:\n{text}");
    }
}
