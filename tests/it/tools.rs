//! The user's tools: shell completion in a real bash (source what `netrig
//! completions bash` prints, set COMP_WORDS as bash does on Tab, call the
//! completion function, read COMPREPLY; run ids come from a kept run on the
//! real daemon), the man pages through groff, and `netrig defs`.

use std::path::Path;
use std::process::Command;

use crate::support::{
    LabelGuard, Scenario, assert_exit, daemon, daemon_shared, netrig, netrig_command, text,
};

/// What bash offers for the last of `words` (typed after `netrig`), in `dir`.
fn bash_complete(dir: &Path, words: &[&str]) -> Vec<String> {
    let script = String::from_utf8(
        netrig_command()
            .args(["completions", "bash"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let quoted: Vec<String> = std::iter::once("netrig")
        .chain(words.iter().copied())
        .map(|w| format!("'{w}'"))
        .collect();
    let line = quoted.join(" ");
    let current = words.last().copied().unwrap_or("");
    let previous = if words.len() >= 2 {
        words[words.len() - 2]
    } else {
        "netrig"
    };
    let driver = format!(
        "{script}\n\
         COMP_WORDS=({line}); COMP_CWORD={cword}; COMP_TYPE=9\n\
         COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}\n\
         _clap_complete_netrig netrig '{current}' '{previous}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        cword = words.len(),
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &driver])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DOCKER_HOST")
        .output()
        .expect("bash");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "bash failed: {stderr}");
    stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn bash_completes_subcommands_scenario_files_and_options() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["web.rhai", "wiki.txt"] {
        std::fs::write(dir.path().join(f), "").unwrap();
    }
    std::fs::create_dir(dir.path().join("worlds")).unwrap();
    let subcommands = bash_complete(dir.path(), &["c"]);
    assert!(
        subcommands.contains(&"clean".to_string())
            && subcommands.contains(&"completions".to_string()),
        "{subcommands:?}"
    );
    assert_eq!(
        bash_complete(dir.path(), &["run", "w"]),
        vec!["web.rhai", "worlds/"]
    );
    assert_eq!(
        bash_complete(dir.path(), &["test", "--report", "w"]),
        vec!["worlds/"]
    );
    assert_eq!(
        bash_complete(dir.path(), &["completions", "f"]),
        vec!["fish"]
    );
    let options = bash_complete(dir.path(), &["run", "web.rhai", "--s"]);
    assert!(options.contains(&"--set".to_string()), "{options:?}");
}

#[test]
fn bash_completes_the_run_ids_left_on_the_daemon() {
    let _daemon = daemon_shared();
    let kept = Scenario::new(
        "completion-kept",
        "network::create(\"tools_kept_net\");\nrun(\"busybox\", #{name: \"tools_kept\", network: \"tools_kept_net\", cmd: \"sleep 300\"});\n",
    );
    let _guard = LabelGuard(kept.label());
    assert_exit(&kept.run(&["--keep"]), 0);
    let ids = daemon().run_ids_with(&kept.label());
    assert_eq!(ids.len(), 1, "one kept run");
    let dir = tempfile::tempdir().unwrap();
    let offered = bash_complete(dir.path(), &["clean", "--run", ""]);
    assert!(offered.contains(&ids[0]), "{:?} among {offered:?}", ids[0]);
    let prefix = &ids[0][..ids[0].len() - 2];
    assert!(bash_complete(dir.path(), &["graph", "--run", prefix]).contains(&ids[0]));
    assert_exit(
        &netrig().args(["clean", "--run", &ids[0]]).output().unwrap(),
        0,
    );
    kept.assert_nothing_left();
}

#[test]
fn netrig_man_writes_a_page_per_command_that_man_can_show() {
    let dir = tempfile::tempdir().unwrap();
    let out = netrig().arg("man").arg(dir.path()).output().unwrap();
    assert_exit(&out, 0);
    for page in [
        "netrig.1",
        "netrig-run.1",
        "netrig-test.1",
        "netrig-completions.1",
    ] {
        assert!(dir.path().join(page).exists(), "{page}");
    }
    // man itself formats the page (through groff), as a user would read it.
    let shown = Command::new("man")
        .arg("-l")
        .arg(dir.path().join("netrig-test.1"))
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man (Debian package man-db)");
    let (page, stderr) = text(&shown);
    assert!(shown.status.success(), "{stderr}");
    let page = page.replace('\u{8}', "");
    assert!(page.contains("--report"), "{page}");
    assert!(page.contains("--format"), "{page}");
    let printed = netrig().arg("man").output().unwrap();
    assert_exit(&printed, 0);
    assert_eq!(
        printed.stdout,
        std::fs::read(dir.path().join("netrig.1")).unwrap()
    );
}

#[test]
fn netrig_defs_writes_definition_files_without_a_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let out = netrig_command()
        // No daemon: nothing is asked of it.
        .env("DOCKER_HOST", "tcp://127.0.0.1:9")
        .arg("defs")
        .arg(dir.path().join("defs"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let file = |name: &str| std::fs::read_to_string(dir.path().join("defs").join(name)).unwrap();
    let globals = file("__static__.d.rhai");
    for head in [
        "fn ping(from: Container|String, target: Container|String) -> map;",
        "fn require(params: map, required: map) -> map;",
        "fn env(name: String) -> String;",
    ] {
        assert!(globals.contains(head), "{head}");
    }
    assert!(file("network.d.rhai").contains("fn create(name: String) -> Network;"));
    assert!(file("__scope__.d.rhai").contains("let params: map;"));
}
