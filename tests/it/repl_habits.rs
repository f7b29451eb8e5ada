//! The REPL as someone used to ipython or the Mininet CLI expects it
//! (issue 14): Ctrl-C stops what an input started inside a container,
//! `exec` has a time limit, `:save` never writes a script that cannot
//! replay, and errors speak netrig. Driven through a pseudo-terminal like
//! `repl`, checked against the daemon from outside.

use std::time::{Duration, Instant};

use crate::repl::{ACCEPTED, NameGuard, Repl, container_exists, unique};
use crate::support::{Scenario, assert_exit, daemon, daemon_shared, text};

/// The command lines of the processes running in `container` (`docker top`).
fn top(container: &str) -> Vec<String> {
    let d = daemon();
    let Ok(top) = d.block(d.docker().top_processes(container, None)) else {
        return Vec::new();
    };
    let column = top
        .titles
        .unwrap_or_default()
        .iter()
        .position(|t| t == "CMD" || t == "COMMAND")
        .unwrap_or(usize::MAX);
    top.processes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.get(column).cloned())
        .collect()
}

fn runs(container: &str, command: &str) -> bool {
    top(container).iter().any(|c| c.contains(command))
}

#[test]
fn ctrl_c_and_exec_timeout_stop_the_command_in_the_container() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let ctr = unique("intr-ctr");
    let _guard = NameGuard {
        containers: vec![ctr.clone()],
        networks: vec![],
    };
    let mut repl = Repl::start(home.path(), &[]);
    let out = repl.line(&format!(
        "let c = run(\"busybox\", #{{name: \"{ctr}\", cmd: \"sleep 3600\"}})"
    ));
    assert!(!out.contains("error"), "{out}");

    // Ctrl-C while `exec` waits: back at the prompt, and the process is gone.
    repl.pty.send_line("exec(c, \"sleep 31\")").unwrap();
    repl.expect(ACCEPTED);
    assert!(
        daemon().wait_for(10, || runs(&ctr, "sleep 31")),
        "{:?}",
        top(&ctr)
    );
    // A call that takes a while shows it is alive.
    let spinning = repl.expect("(Ctrl-C stops it)");
    assert!(spinning.contains("exec()"), "{spinning}");
    repl.pty.send_control('c').unwrap();
    let out = repl.ready();
    assert!(out.contains("interrupted"), "{out}");
    assert!(!runs(&ctr, "sleep 31"), "still running: {:?}", top(&ctr));

    // A shell's children carry the marker too.
    repl.pty
        .send_line("exec(c, [\"sh\", \"-c\", \"sleep 33; echo done\"])")
        .unwrap();
    repl.expect(ACCEPTED);
    assert!(daemon().wait_for(10, || runs(&ctr, "sleep 33")));
    repl.pty.send_control('c').unwrap();
    repl.ready();
    assert!(!runs(&ctr, "sleep 33"), "still running: {:?}", top(&ctr));

    // `timeout` stops it too, and says which option did.
    let started = Instant::now();
    let out = repl.line("exec(c, \"sleep 32\", #{timeout: 1})");
    assert!(started.elapsed() < Duration::from_secs(15), "{out}");
    assert!(
        out.contains("did not finish within 1 s (option \"timeout\")"),
        "{out}"
    );
    assert!(!runs(&ctr, "sleep 32"), "still running: {:?}", top(&ctr));
    let out = repl.line("exec(c, \"sleep 32\", #{timeout: -1})");
    assert!(out.contains("option \"timeout\""), "{out}");
    // A command that ends in time is untouched by the option.
    let out = repl.line("exec(c, \"echo fine\", #{timeout: 5}).stdout");
    assert!(out.contains("fine"), "{out}");
    // A method used as a property says how to call it.
    let out = repl.line("c.ip");
    assert!(
        out.contains("Container has no property `ip`: it is a method, use `c.ip()`"),
        "{out}"
    );

    let (out, code) = repl.ctrl_d();
    assert_eq!(code, 0, "{out}");
    assert!(!container_exists(&ctr));
}

#[test]
fn save_refuses_a_script_that_uses_what_a_failed_input_left() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let net = unique("lost-net");
    let _guard = NameGuard {
        containers: vec![],
        networks: vec![net.clone()],
    };
    let saved = home.path().join("s.rhai");
    let mut repl = Repl::start(home.path(), &[]);
    // in[1] binds `net`, then fails: the image is not there.
    let out = repl.line(&format!(
        "let net = network::create(\"{net}\"); run(\"i3-no-such-image\")"
    ));
    assert!(out.contains("i3-no-such-image"), "{out}");
    // in[2] uses it: it works here, but a replay would never have `net`.
    let out = repl.line("let subnet = net.name");
    assert!(!out.contains("error"), "{out}");
    let out = repl.line(&format!(":save {}", saved.display()));
    assert!(out.contains("not saved"), "{out}");
    assert!(
        out.contains("in[2] uses variable `net`, which in[1] made before it failed"),
        "{out}"
    );
    assert!(!saved.exists(), "nothing written");

    // Interrupted after binding counts too.
    repl.pty.send_line("let late = 5; sleep(60)").unwrap();
    repl.expect(ACCEPTED);
    std::thread::sleep(Duration::from_millis(300));
    repl.pty.send_control('c').unwrap();
    repl.ready();
    repl.line("late + 1");
    let out = repl.line(&format!(":save {}", saved.display()));
    assert!(
        out.contains("in[4] uses variable `late`, which in[3] made"),
        "{out}"
    );
    let (out, code) = repl.ctrl_d();
    assert_eq!(code, 0, "{out}");
}

#[test]
fn continuation_prompt_and_errors_in_the_script_s_words() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let mut repl = Repl::start(home.path(), &[]);
    // An unfinished input asks for more after `...`.
    repl.pty.send_line("fn twice(x) {").unwrap();
    repl.expect(ACCEPTED);
    repl.expect("   ...  ");
    repl.pty.send_line("    x * 2").unwrap();
    repl.expect(ACCEPTED);
    repl.expect("   ...  ");
    repl.line("}");
    assert!(repl.line("twice(21)").contains("42"));
    // Ctrl-C on a further line drops the whole input.
    repl.pty.send_line("let lost = 1 +").unwrap();
    repl.expect("   ...  ");
    repl.pty.send_control('c').unwrap();
    repl.ready();
    assert!(repl.line("lost").contains("Variable not found"));

    // An imported std module completes: `reach::matr` + Tab.
    repl.line("import \"std/reach\" as reach");
    repl.type_text("let m = reach::matr");
    repl.type_text("\t");
    let out = repl.line("([])");
    assert!(
        !out.contains("not found") && !out.contains("error"),
        "{out}"
    );
    assert!(repl.line("m.len()").contains('0'));

    // Types as the script knows them, not Rust's.
    let out = repl.line("nosuch(#{a: 1}, \"a\", 1, 2.5, true)");
    assert!(
        out.contains("Function not found: nosuch(Map, String, int, float, bool)"),
        "{out}"
    );
    repl.ctrl_d();
}

#[test]
fn print_of_a_handle_and_a_time_limit_read_plainly() {
    let _daemon = daemon_shared();
    let scenario = Scenario::new(
        "i3-print",
        "let lan = network::create(\"lan\");\n\
         let web = run(\"busybox\", #{name: \"web\", network: lan, cmd: \"sleep 3600\"});\n\
         print(web);\nprint(lan);\nprint(`${web}`);\n",
    );
    let out = scenario.run(&[]);
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("container web ") && l.contains("running  lan 1")),
        "the REPL's summary: {stdout}{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("network lan ") && l.contains("1 container: web")),
        "{stdout}"
    );
    scenario.assert_nothing_left();

    let slow = Scenario::new("i3-slow", "sleep(30);\n");
    let started = Instant::now();
    let out = slow.run(&["--timeout", "1"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    let (_, stderr) = text(&out);
    assert!(!stderr.contains("sleep(): sleep()"), "{stderr}");
    assert!(!stderr.contains("interrupted: interrupted"), "{stderr}");
}

#[test]
fn long_help_is_paged_on_a_terminal() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    // $PAGER gets the text.
    let mut repl = Repl::start_with(home.path(), &[], &[("PAGER", "sed 's/^/paged: /'")]);
    let out = repl.line(":help");
    assert!(out.contains("paged: meta commands"), "{out}");
    assert!(!out.contains('…'), "summaries are whole: {out}");
    // A short topic is not paged.
    let out = repl.line(":help run");
    assert!(!out.contains("paged:"), "{out}");
    repl.ctrl_d();

    // Without one, the built-in pager stops after a screenful.
    let mut repl = Repl::start_with(home.path(), &[], &[("PAGER", "")]);
    repl.pty.send_line(":help").unwrap();
    repl.expect(ACCEPTED);
    let first = repl.expect("-- more: Enter for the next page, q to stop --");
    assert!(!first.contains("meta commands"), "one screenful: {first}");
    repl.pty.send_line("q").unwrap();
    let rest = repl.ready();
    assert!(!rest.contains("meta commands"), "q stops: {rest}");
    assert!(repl.line("1 + 1").contains('2'));
    repl.ctrl_d();
}

#[test]
fn pingall_without_import_and_sh_into_a_container() {
    let _daemon = daemon_shared();
    let home = tempfile::tempdir().unwrap();
    let net = unique("pa-net");
    let (a, b) = (unique("pa-a"), unique("pa-b"));
    let _guard = NameGuard {
        containers: vec![a.clone(), b.clone()],
        networks: vec![net.clone()],
    };
    let mut repl = Repl::start(home.path(), &[]);
    repl.line(&format!("let net = network::create(\"{net}\")"));
    for (var, name) in [("a", &a), ("b", &b)] {
        let out = repl.line(&format!(
            "let {var} = run(\"busybox\", #{{name: \"{name}\", network: net, cmd: \"sleep 3600\"}})"
        ));
        assert!(!out.contains("error"), "{out}");
    }
    let out = repl.line("pingall()");
    assert!(out.contains("2 of 2 pairs reach each other"), "{out}");
    let row = out.lines().find(|l| l.starts_with(&a)).unwrap_or("");
    assert!(row.contains("yes"), "{out}");

    // `:sh a` is a shell in the container; `exit` comes back.
    repl.pty.send_line(":sh a").unwrap();
    repl.expect(ACCEPTED);
    repl.pty
        .send_line("echo inside-$((6*7)) $(hostname)")
        .unwrap();
    repl.expect("inside-42");
    repl.pty.send_line("exit").unwrap();
    repl.ready();
    assert!(repl.line("40 + 2").contains("42"));
    let (out, code) = repl.ctrl_d();
    assert_eq!(code, 0, "{out}");
}
