//! The REPL driven through a pseudo-terminal, as a person types: Tab
//! completion (a module function, a live container name), multi-line input,
//! recovery after errors, Ctrl-C, `:save` replayed by `netrig run`, history
//! across sessions, and cleanup on Ctrl-D and SIGTERM, all checked against
//! the real daemon from outside netrig.

use std::path::{Path, PathBuf};

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions};
use rexpect::process::{Signal, WaitStatus};
use rexpect::session::{Options, PtySession, spawn_with_options};

use crate::support;
use crate::support::{
    assert_exit, assert_nothing_left, daemon, daemon_shared, netrig, netrig_command, script_label,
    text,
};

pub(crate) const PROMPT: &str = "netrig> ";
/// rustyline turns bracketed paste off when it hands over a finished line:
/// everything after this is the input's own output.
pub(crate) const ACCEPTED: &str = "\x1b[?2004l\r\n";
/// … and turns it on again when it starts reading the next line: the prompt
/// after this is a fresh one, not a repaint of the line being typed.
pub(crate) const READING: &str = "\x1b[?2004h";

/// A name unique to this test process: `i3-<what>-<pid>`.
pub(crate) fn unique(what: &str) -> String {
    format!("i3-{what}-{}", std::process::id())
}

/// One interactive netrig in a pty, with its own HOME (so its history is
/// its own) and no colours.
pub(crate) struct Repl {
    pub(crate) pty: PtySession,
}

impl Repl {
    pub(crate) fn start(home: &Path, args: &[&str]) -> Repl {
        Repl::start_with(home, args, &[])
    }

    /// Like [`Repl::start`], with more environment variables.
    pub(crate) fn start_with(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Repl {
        daemon();
        let mut cmd = netrig_command();
        cmd.args(args)
            .current_dir(home)
            .env("HOME", home)
            .env("XDG_STATE_HOME", home.join("state"))
            .env("TERM", "xterm")
            // Long `:help` output goes through it on a terminal.
            .env("PAGER", "cat");
        cmd.envs(env.iter().copied());
        let pty = spawn_with_options(cmd, Options::new().timeout_ms(Some(30_000))).unwrap();
        let mut repl = Repl { pty };
        repl.expect(":help for help");
        repl.ready();
        repl
    }

    /// Waits for `needle`; returns what came before it.
    pub(crate) fn expect(&mut self, needle: &str) -> String {
        match self.pty.exp_string(needle) {
            Ok(before) => before,
            Err(e) => panic!("waiting for {needle:?}: {e}"),
        }
    }

    /// Waits for a fresh prompt (input typed before it could be lost);
    /// returns what was printed before it.
    pub(crate) fn ready(&mut self) -> String {
        let before = self.expect(READING);
        self.expect(PROMPT);
        plain(&before)
    }

    /// Types a line and Enter; returns everything it printed (escape codes
    /// removed) once the next prompt is there.
    pub(crate) fn line(&mut self, line: &str) -> String {
        self.pty.send_line(line).unwrap();
        self.expect(ACCEPTED);
        self.ready()
    }

    /// Types text without Enter.
    pub(crate) fn type_text(&mut self, text: &str) {
        self.pty.send(text).unwrap();
        self.pty.flush().unwrap();
    }

    /// Ctrl-D; returns the rest of the output and the exit code.
    pub(crate) fn ctrl_d(mut self) -> (String, i32) {
        self.pty.send_control('d').unwrap();
        let out = plain(&self.pty.exp_eof().unwrap());
        (out, exit_code(&mut self.pty))
    }
}

fn exit_code(pty: &mut PtySession) -> i32 {
    match pty.process_mut().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("netrig did not exit normally: {other:?}"),
    }
}

/// Output without terminal escape codes and carriage returns.
pub(crate) fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Removes the containers and networks named here when dropped, so a failed
/// assertion leaks nothing (the names are this test's own).
pub(crate) struct NameGuard {
    pub(crate) containers: Vec<String>,
    pub(crate) networks: Vec<String>,
}

impl Drop for NameGuard {
    fn drop(&mut self) {
        let d = daemon();
        for c in &self.containers {
            let _ = d.block(d.docker().remove_container(
                c,
                Some(RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            ));
        }
        for n in &self.networks {
            let _ = d.block(d.docker().remove_network(n));
        }
    }
}

pub(crate) fn container_exists(name: &str) -> bool {
    daemon().container(name).is_some()
}

pub(crate) fn network_exists(name: &str) -> bool {
    daemon().network_labels(name).is_some()
}

#[test]
fn tab_completes_module_functions_and_live_container_names() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let net = unique("tab-net");
    // A container made outside netrig: its name can only come from the daemon.
    let outside = unique("tab-outside");
    let _guard = NameGuard {
        containers: vec![outside.clone()],
        networks: vec![net.clone()],
    };
    let d = daemon();
    d.block(d.docker().create_container(
        Some(CreateContainerOptions {
            name: Some(outside.clone()),
            ..Default::default()
        }),
        ContainerCreateBody {
            image: Some(support::IMAGE.into()),
            cmd: Some(vec!["sleep".into(), "3600".into()]),
            ..Default::default()
        },
    ))
    .unwrap();
    d.block(d.docker().start_container(&outside, None)).unwrap();

    let mut repl = Repl::start(home.path(), &[]);
    // `network::cr` + Tab → `network::create(`.
    repl.type_text("let net = network::cr");
    repl.type_text("\t");
    let out = repl.line(&format!("\"{net}\")"));
    assert!(!out.contains("error"), "{out}");
    assert!(network_exists(&net), "the completed call created {net}");

    // Inside a string argument, Tab offers the daemon's container names.
    let prefix = &outside[..outside.len() - 3];
    repl.type_text(&format!("exec(\"{prefix}"));
    repl.type_text("\t");
    let out = repl.line(", \"hostname\").exit_code");
    assert!(
        out.trim_end().ends_with('0'),
        "exec ran in {outside}: {out}"
    );

    let (out, code) = repl.ctrl_d();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("removed 1 network ({net})")), "{out}");
    assert!(!network_exists(&net));
    assert!(container_exists(&outside), "not the session's: left alone");
}

#[test]
fn multi_line_input_errors_and_ctrl_c_do_not_end_the_session() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let mut repl = Repl::start(home.path(), &[]);

    // Open braces keep reading lines; the function lives on.
    repl.pty.send_line("fn twice(x) {").unwrap();
    repl.pty.send_line("    x * 2").unwrap();
    repl.line("}");
    repl.pty.send_line("let m = #{").unwrap();
    repl.pty.send_line("    a: twice(21),").unwrap();
    repl.line("}");
    assert!(repl.line("m.a").contains("42"));

    // Errors print and the session carries on.
    let out = repl.line("nosuch(1)");
    assert!(out.contains("Function not found: nosuch"), "{out}");
    let missing = unique("missing");
    let out = repl.line(&format!("network::inspect(\"{missing}\")"));
    assert!(out.contains("network::inspect()"), "{out}");
    assert!(out.contains(&missing), "{out}");
    let out = repl.line("let = 5");
    assert!(out.contains("syntax error"), "{out}");
    // An error inside a function an earlier input defined shows that input's line.
    repl.pty.send_line("fn halve(x) {").unwrap();
    repl.pty.send_line("    x / 0").unwrap();
    repl.line("}");
    let out = repl.line("halve(4)");
    assert!(out.contains("Division by zero"), "{out}");
    assert!(out.contains("(in[") && out.contains(":2:7)"), "{out}");
    assert!(out.contains("x / 0"), "the defining line is shown: {out}");
    assert!(repl.line("m.a + 1").contains("43"));

    // Ctrl-C drops the line being typed …
    repl.type_text("let lost = 1 +");
    repl.pty.send_control('c').unwrap();
    repl.ready();
    let out = repl.line("40 + 2");
    assert!(out.contains("42"), "{out}");

    // … and interrupts a long call without leaving the REPL.
    repl.pty.send_line("sleep(60)").unwrap();
    repl.expect(ACCEPTED);
    std::thread::sleep(std::time::Duration::from_millis(300));
    repl.pty.send_control('c').unwrap();
    assert!(repl.ready().contains("interrupted"));
    assert!(repl.line("m.a").contains("42"), "variables survive");

    let (out, code) = repl.ctrl_d();
    assert_eq!(code, 0, "{out}");
}

#[test]
fn saved_session_replays_with_netrig_run() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let net = unique("save-net");
    let web = unique("save-web");
    let _guard = NameGuard {
        containers: vec![web.clone()],
        networks: vec![net.clone()],
    };
    let saved: PathBuf = home.path().join("session.rhai");

    let mut repl = Repl::start(home.path(), &[]);
    repl.line(&format!("let net = network::create(\"{net}\")"));
    let out = repl.line(&format!(
        "let web = run(\"busybox\", #{{name: \"{web}\", network: net, cmd: \"sleep 3600\"}})"
    ));
    assert!(!out.contains("error"), "{out}");
    let out = repl.line("web.nosuch()");
    assert!(out.contains("nosuch"), "{out}");
    repl.pty.send_line("fn host(c) {").unwrap();
    repl.pty
        .send_line("    exec(c, \"hostname\").stdout.trim()")
        .unwrap();
    repl.line("}");
    repl.line("let r = exec(web, \"hostname\")");
    repl.line("assert_eq(r.exit_code, 0)");
    let out = repl.line("web");
    assert!(out.contains(&format!("container {web} ")), "{out}");
    assert!(out.contains(&net), "summary shows the network: {out}");
    let out = repl.line(&format!(":save {}", saved.display()));
    assert!(out.contains("netrig run"), "{out}");

    let (out, code) = repl.ctrl_d();
    assert_eq!(code, 0, "{out}");
    assert!(!container_exists(&web) && !network_exists(&net));

    let script = std::fs::read_to_string(&saved).unwrap();
    assert!(
        !script.contains("nosuch"),
        "failed input is not saved:\n{script}"
    );
    assert!(script.contains("fn host(c) {"), "{script}");
    let order: Vec<usize> = ["network::create", "run(", "fn host", "assert_eq"]
        .iter()
        .map(|s| script.find(s).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "in order:\n{script}");

    let replay = netrig().arg("run").arg(&saved).output().unwrap();
    assert_exit(&replay, 0);
    let (_, stderr) = text(&replay);
    assert!(stderr.contains("passed"), "{stderr}");
    assert_nothing_left(&script_label(&saved));
}

#[test]
fn history_is_kept_across_sessions() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let mut first = Repl::start(home.path(), &[]);
    assert!(first.line("\"hist\" + \"ory-one\"").contains("history-one"));
    assert!(first.line("\"hist\" + \"ory-two\"").contains("history-two"));
    first.ctrl_d();
    let file = home.path().join("state/netrig/history");
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(saved.contains("\"ory-one\""), "{saved}");

    let mut second = Repl::start(home.path(), &[]);
    // Up arrow brings back the last line of the first session …
    second.type_text("\x1b[A");
    let out = second.line("");
    assert!(out.contains("history-two"), "{out}");
    // … and Ctrl-R finds an older one.
    second.type_text("\x12ory-one");
    second.expect("ory-one");
    let out = second.line("");
    assert!(out.contains("history-one"), "{out}");
    second.ctrl_d();
}

#[test]
fn ctrl_d_removes_what_the_session_created_and_keep_keeps_it() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let net = unique("cd-net");
    let ctr = unique("cd-ctr");
    let _guard = NameGuard {
        containers: vec![ctr.clone()],
        networks: vec![net.clone()],
    };
    let mut repl = Repl::start(home.path(), &[]);
    repl.line(&format!("let net = network::create(\"{net}\")"));
    repl.line(&format!(
        "run(\"busybox\", #{{name: \"{ctr}\", network: net, cmd: \"sleep 3600\"}})"
    ));
    let out = repl.line(":ls");
    assert!(out.contains(&ctr) && out.contains(&net), "{out}");
    assert!(container_exists(&ctr) && network_exists(&net));
    let (out, code) = repl.ctrl_d();
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "removed 1 container ({ctr}) and 1 network ({net})"
        )),
        "{out}"
    );
    assert!(!container_exists(&ctr) && !network_exists(&net));

    // `netrig --keep` leaves it, and says how to remove it later.
    let mut repl = Repl::start(home.path(), &["--keep"]);
    repl.line(&format!("network::create(\"{net}\")"));
    let (out, code) = repl.ctrl_d();
    assert_eq!(code, 0, "{out}");
    assert!(network_exists(&net), "kept: {out}");
    let run_id = out
        .split("netrig clean --run ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no clean hint in {out}"));
    assert_exit(
        &netrig().args(["clean", "--run", run_id]).output().unwrap(),
        0,
    );
    assert!(!network_exists(&net));
}

#[test]
fn clean_and_sigterm_remove_what_the_session_created() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let first = unique("term-a");
    let second = unique("term-b");
    let _guard = NameGuard {
        containers: vec![],
        networks: vec![first.clone(), second.clone()],
    };
    let mut repl = Repl::start(home.path(), &[]);
    repl.line(&format!("network::create(\"{first}\")"));
    let out = repl.line(":clean");
    assert!(
        out.contains(&format!("removed 1 network ({first})")),
        "{out}"
    );
    assert!(!network_exists(&first));

    repl.line(&format!("network::create(\"{second}\")"));
    assert!(network_exists(&second));
    repl.pty.process_mut().signal(Signal::SIGTERM).unwrap();
    let out = plain(&repl.pty.exp_eof().unwrap());
    assert!(
        out.contains(&format!("removed 1 network ({second})")),
        "{out}"
    );
    assert_eq!(exit_code(&mut repl.pty), 143);
    assert!(!network_exists(&second));
}

#[test]
fn help_and_results_for_people() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let mut repl = Repl::start(home.path(), &[]);
    let out = repl.line(":help");
    for expected in [
        "network::create(name[, opts])",
        "run(image[, opts])",
        "assert_reachable(from, target[, opts])",
        ".ip([net])",
        ":save [--compose] FILE",
    ] {
        assert!(out.contains(expected), "{expected} missing from:\n{out}");
    }
    let out = repl.line(":help network::create");
    assert!(
        out.contains("network::create(name: String, opts: Map) -> Network"),
        "{out}"
    );
    assert!(out.contains("example:"), "{out}");
    assert!(repl.line(":help rnu").contains("did you mean run"));

    // Arrays of maps are tables.
    let out = repl.line("network::ls()");
    let header = out.lines().find(|l| l.starts_with("NAME")).unwrap_or("");
    assert!(
        header.contains("DRIVER") && header.contains("SUBNET"),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("bridge ")), "{out}");
    // `:json` shows the raw value.
    repl.line(":json on");
    let out = repl.line("#{answer: 42}");
    assert!(out.contains("\"answer\": 42"), "{out}");
    repl.ctrl_d();
}

#[test]
fn piped_input_runs_as_a_script() {
    let _daemon = daemon_shared();
    let ok = netrig()
        .write_stdin("let x = 1 + 1;\nassert_eq(x, 2);\n")
        .output()
        .unwrap();
    assert_exit(&ok, 0);
    let failing = netrig()
        .write_stdin("let x = 1;\nassert_eq(x, 2, \"one is not two\");\n")
        .output()
        .unwrap();
    assert_exit(&failing, 1);
    assert!(text(&failing).1.contains("one is not two"));
}

/// docker-compose, for the round trip of `:save --compose`.
fn docker_compose(file: &Path, project: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new("docker-compose")
        .arg("-f")
        .arg(file)
        .args(["-p", project])
        .args(args)
        .output()
        .unwrap()
}

/// Each container's networks with its fixed address and aliases (not its
/// id, not names starting `skip`), as the daemon shows them.
fn attachments(names: &[&str], skip: &str) -> Vec<String> {
    let d = daemon();
    let mut rows = Vec::new();
    for n in names {
        let c = d.container(n).unwrap();
        let id = c.id.clone().unwrap();
        for (net, ep) in c.network_settings.unwrap().networks.unwrap() {
            let fixed = ep.ipam_config.and_then(|i| i.ipv4_address);
            let mut aliases: Vec<String> = (ep.aliases.unwrap_or_default().into_iter())
                .filter(|a| !id.starts_with(a.as_str()) && !a.starts_with(skip))
                .collect();
            aliases.sort();
            rows.push(format!("{n} on {net} at {fixed:?} as {aliases:?}"));
        }
    }
    rows.sort();
    rows
}

#[test]
fn a_session_saved_as_compose_comes_up_the_same_under_docker_compose() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let (front, back) = (unique("rt-front"), unique("rt-back"));
    let (web, db) = (unique("rt-web"), unique("rt-db"));
    let _guard = NameGuard {
        containers: vec![web.clone(), db.clone()],
        networks: vec![front.clone(), back.clone()],
    };
    let file = home.path().join("compose.yml");
    let project = format!("i3rt{}", std::process::id());

    let mut repl = Repl::start(home.path(), &[]);
    repl.line(&format!(
        "let front = network::create(\"{front}\", #{{subnet: \"10.231.68.0/24\"}})"
    ));
    repl.line(&format!(
        "let back = network::create(\"{back}\", #{{internal: true}})"
    ));
    let out = repl.line(&format!(
        "run(\"busybox\", #{{name: \"{web}\", cmd: \"sleep 3600\", ports: [\"127.0.0.1::80\"], \
         network: [#{{name: front, ip: \"10.231.68.7\", aliases: [\"www\"]}}, back]}})"
    ));
    assert!(!out.contains("error"), "{out}");
    repl.line(&format!(
        "run(\"busybox\", #{{name: \"{db}\", cmd: \"sleep 3600\", network: back, aliases: [\"database\"]}})"
    ));
    let before = attachments(&[&web, &db], "i3-");
    let out = repl.line(&format!(":save --compose {}", file.display()));
    assert!(out.contains("wrote 2 services and 2 networks"), "{out}");
    let (out, code) = repl.ctrl_d();
    assert_eq!(code, 0, "{out}");
    assert!(!container_exists(&web) && !network_exists(&front));

    let up = docker_compose(&file, &project, &["up", "-d"]);
    let down = || docker_compose(&file, &project, &["down", "--timeout", "1"]);
    if !up.status.success() {
        down();
        panic!("docker-compose up: {}", String::from_utf8_lossy(&up.stderr));
    }
    // docker-compose names each service (here: the container name) as an alias too.
    let after = attachments(&[&web, &db], "i3-");
    let subnet = daemon()
        .block(daemon().docker().inspect_network(
            &front,
            None::<bollard::query_parameters::InspectNetworkOptions>,
        ))
        .ok()
        .and_then(|n| n.ipam?.config?.first()?.subnet.clone());
    let gone = down();
    assert_eq!(after, before);
    assert_eq!(subnet.as_deref(), Some("10.231.68.0/24"));
    assert!(
        gone.status.success(),
        "{}",
        String::from_utf8_lossy(&gone.stderr)
    );
    assert!(!container_exists(&web) && !container_exists(&db));
    assert!(!network_exists(&front) && !network_exists(&back));
}

#[test]
fn explain_on_shows_docker_commands_and_sigterm_flushes_a_capture() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let (net, quiet, ctr) = (unique("x-net"), unique("x-quiet"), unique("x-ctr"));
    let _guard = NameGuard {
        containers: vec![ctr.clone()],
        networks: vec![net.clone(), quiet.clone()],
    };
    let mut repl = Repl::start(home.path(), &[]);
    let out = repl.line(":explain on");
    assert!(out.contains("docker command first"), "{out}");
    let out = repl.line(&format!("let net = network::create(\"{net}\")"));
    assert!(
        out.lines()
            .filter_map(|l| l.trim().strip_prefix("$ "))
            .any(|l| crate::observe::without_pool_subnet(l)
                == format!("docker network create {net}")),
        "{out}"
    );
    let out = repl.line(&format!(
        "let c = run(\"busybox\", #{{name: \"{ctr}\", network: net, cmd: \"sleep 300\"}})"
    ));
    assert!(
        out.contains(&format!(
            "$ docker run -d --name {ctr} --network {net} busybox sleep 300"
        )),
        "{out}"
    );
    repl.line(":explain off");
    let out = repl.line(&format!("network::create(\"{quiet}\")"));
    assert!(!out.contains("$ docker"), "{out}");

    // A capture left running is flushed when SIGTERM ends the session.
    repl.line("let cap = capture(c, #{filter: \"icmp\"})");
    repl.line("exec(c, \"ping -c 3 -i 0.2 127.0.0.1\")");
    repl.pty.process_mut().signal(Signal::SIGTERM).unwrap();
    plain(&repl.pty.exp_eof().unwrap());
    assert_eq!(exit_code(&mut repl.pty), 143);
    let file = home.path().join(format!("{ctr}.pcap"));
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(&file)
        .args(["-Y", "icmp.type == 8", "-T", "fields", "-e", "frame.number"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!(requests >= 3, "the capture was flushed: {requests}");
    assert!(!container_exists(&ctr));
}
