//! The batch functions against the real daemon: results come back in the
//! order asked, a failed item fails the call with every error listed, and a
//! batch that fails half-way leaves nothing of itself behind (checked with
//! `--keep`, so the end-of-run teardown cannot hide a leak).

use crate::support::{
    LabelGuard, Scenario, assert_exit, clean_runs_with, daemon, daemon_shared, text,
};

#[test]
fn run_all_and_ping_all_keep_the_order_asked() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "i5-order",
        r#"
        let nets = create_networks(["i5-or-a", #{name: "i5-or-b", internal: true}]);
        assert_eq(nets[0].name, "i5-or-a");
        assert_eq(nets[1].name, "i5-or-b");
        // Interleaved on purpose: the order of the answer must be the order asked.
        let specs = [];
        for i in 0..3 {
            specs.push(#{image: "busybox", name: `i5-or-b${i}`, network: "i5-or-b", cmd: "sleep 600"});
            specs.push(#{image: "busybox", name: `i5-or-a${i}`, network: "i5-or-a", cmd: "sleep 600"});
        }
        let ctrs = run_all(specs);
        let names = [];
        for c in ctrs { names.push(c.name); }
        print(`RUN ${names}`);
        let pairs = [];
        for a in ctrs { for b in ctrs { if a.name != b.name { pairs.push([a, b.name]); } } }
        let results = ping_all(pairs, 1);
        for r in results { print(`PING ${r.from} ${r.target} ${r.ok} ${r.sent}`); }
        let out = exec_all([[ctrs[1], "hostname"], [ctrs[0], ["sh", "-c", "echo two; exit 3"]]]);
        let first = out[0].stdout;
        let second = out[1].stdout;
        first.trim();
        second.trim();
        print(`EXEC ${out[0].exit_code} ${first}|${out[1].exit_code} ${second}`);
        "#,
    );
    let out = s.run(&["--keep"]);
    let _guard = LabelGuard(s.label());
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);

    let expected: Vec<String> = (0..3)
        .flat_map(|i| [format!("i5-or-b{i}"), format!("i5-or-a{i}")])
        .collect();
    let run_line = stdout.lines().find(|l| l.starts_with("RUN ")).unwrap();
    assert_eq!(
        run_line,
        format!(
            "RUN [{}]",
            expected
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    );

    // Every pair, in the order asked; same network answers, the other does not,
    // and the daemon agrees when asked from outside netrig.
    let d = daemon();
    let pings: Vec<&str> = stdout.lines().filter(|l| l.starts_with("PING ")).collect();
    assert_eq!(pings.len(), 30, "{stdout}");
    let mut k = 0;
    for a in &expected {
        for b in &expected {
            if a == b {
                continue;
            }
            let same_net = a[..7] == b[..7];
            assert_eq!(
                pings[k],
                format!("PING {a} {b} {same_net} {}", if same_net { 1 } else { 0 }),
                "{stdout}"
            );
            k += 1;
        }
    }
    assert!(d.can_ping("i5-or-a0", "i5-or-a2"));
    assert!(!d.can_ping("i5-or-a0", "i5-or-b2"));
    assert_eq!(
        d.network_members("i5-or-b"),
        ["i5-or-b0", "i5-or-b1", "i5-or-b2"]
    );

    let exec_line = stdout.lines().find(|l| l.starts_with("EXEC ")).unwrap();
    let id_a0 = d.container("i5-or-a0").unwrap().id.unwrap();
    assert_eq!(exec_line, format!("EXEC 0 {}|3 two", &id_a0[..12]));

    clean_runs_with(&s.label());
    s.assert_nothing_left();
}

#[test]
fn a_failure_half_way_through_run_all_lists_every_error_and_leaves_nothing() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "i5-runfail",
        r#"
        network::create("i5-rf-net");
        let specs = [];
        for i in 0..6 {
            // Items 2 and 4 name a network that does not exist: Docker creates
            // those containers and fails only when starting them.
            let net = if i == 2 || i == 4 { "i5-rf-missing" } else { "i5-rf-net" };
            specs.push(#{image: "busybox", name: `i5-rf-c${i}`, network: net, cmd: "sleep 600"});
        }
        try {
            run_all(specs);
            print("NO ERROR");
        } catch (e) {
            print(`KIND ${e.kind}`);
            print(`MESSAGE ${e.message}`);
        }
        print(`LEFT ${ps(#{all: true, name: "i5-rf-c"}).len()}`);
        run_all(specs);
        "#,
    );
    let out = s.run(&["--keep"]);
    let _guard = LabelGuard(s.label());
    assert_exit(&out, 1);
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("KIND not_found"), "{stdout}");
    let message = stdout.lines().find(|l| l.starts_with("MESSAGE ")).unwrap();
    assert!(
        message.contains("run_all(): 2 of 6 items failed"),
        "{message}"
    );
    assert!(
        message.contains("item 2: ") && message.contains("item 4: "),
        "{message}"
    );
    assert!(message.contains("i5-rf-missing"), "{message}");
    assert!(
        message.contains("removed again the 4 containers"),
        "{message}"
    );
    assert!(stdout.contains("LEFT 0"), "{stdout}");
    // The uncaught second try points at the script line.
    assert!(
        stderr.contains("run_all(): 2 of 6 items failed"),
        "{stderr}"
    );
    assert!(stderr.contains("i5-runfail.rhai:"), "{stderr}");

    // Kept run: only the network the script made itself is left, no container.
    let d = daemon();
    assert!(d.containers_with(&s.label()).is_empty());
    assert_eq!(d.networks_with(&s.label()), ["i5-rf-net"]);
    clean_runs_with(&s.label());
    s.assert_nothing_left();
}

#[test]
fn create_networks_checks_every_name_before_making_anything() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "i5-netfail",
        r#"
        network::create("i5-nf-taken");
        try {
            create_networks(["i5-nf-new", "i5-nf-taken", "i5-nf-dup", "i5-nf-dup"]);
        } catch (e) {
            print(`KIND ${e.kind}`);
            print(`MESSAGE ${e.message}`);
        }
        try {
            create_networks(["i5-nf-fine", #{name: "i5-nf-bad", subnet: "10.1.0.0/24", gateway: "10.2.0.1"}]);
        } catch (e) {
            print(`SECOND ${e.message}`);
        }
        try { create_networks([42]); } catch (e) { print(`THIRD ${e.message}`); }
        "#,
    );
    let out = s.run(&["--keep"]);
    let _guard = LabelGuard(s.label());
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    let message = stdout.lines().find(|l| l.starts_with("MESSAGE ")).unwrap();
    assert!(message.contains("2 of 4 items failed"), "{message}");
    assert!(
        message
            .contains("item 1: create network \"i5-nf-taken\": the name \"i5-nf-taken\" is in use"),
        "{message}"
    );
    assert!(
        message.contains("item 3: ") && message.contains("item 2 of the batch"),
        "{message}"
    );
    assert!(
        stdout.contains("KIND invalid_argument") || stdout.contains("KIND conflict"),
        "{stdout}"
    );
    // A daemon refusal half-way (gateway outside the subnet) removes the network made beside it.
    let second = stdout.lines().find(|l| l.starts_with("SECOND ")).unwrap();
    assert!(second.contains("1 of 2 items failed: item 1: "), "{second}");
    assert!(second.contains("removed again the 1 network"), "{second}");
    let third = stdout.lines().find(|l| l.starts_with("THIRD ")).unwrap();
    assert!(
        third.contains("create_networks(): item 0: must be a network name"),
        "{third}"
    );

    assert_eq!(daemon().networks_with(&s.label()), ["i5-nf-taken"]);
    clean_runs_with(&s.label());
    s.assert_nothing_left();
}

#[test]
fn ping_all_and_exec_all_report_every_failed_item() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "i5-checkfail",
        r#"
        let a = run("busybox", #{name: "i5-cf-a", cmd: "sleep 600"});
        try {
            ping_all([[a, "127.0.0.1"], ["i5-cf-nobody", "127.0.0.1"], [a, "i5-cf-nowhere"]], 1);
        } catch (e) {
            print(`PING ${e.kind} ${e.message}`);
        }
        let r = ping_all([[a, "127.0.0.1"], [a, "i5-cf-nowhere"]], 1);
        print(`OK ${r[0].ok} ${r[1].ok}`);
        try { exec_all([[a, "true"], ["i5-cf-nobody", "true"]]); } catch (e) { print(`EXEC ${e.kind} ${e.message}`); }
        try { ping_all([[a]]); } catch (e) { print(`SHAPE ${e.message}`); }
        "#,
    );
    let out = s.run(&[]);
    let _guard = LabelGuard(s.label());
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    let ping = stdout.lines().find(|l| l.starts_with("PING ")).unwrap();
    assert!(
        ping.starts_with("PING not_found ping_all(): 1 of 3 items failed: item 1: "),
        "{ping}"
    );
    assert!(ping.contains("i5-cf-nobody"), "{ping}");
    assert!(stdout.contains("OK true false"), "{stdout}");
    let exec = stdout.lines().find(|l| l.starts_with("EXEC ")).unwrap();
    assert!(
        exec.starts_with("EXEC not_found exec_all(): 1 of 2 items failed: item 1: "),
        "{exec}"
    );
    assert!(
        stdout.contains("SHAPE ping_all(): item 0: must be a pair [from, target]"),
        "{stdout}"
    );
    s.assert_nothing_left();
}

/// An image with `ping` and `sleep` but no shell: the shared exec cannot
/// run, so `ping_all` pings once per exec instead, with the same answers.
#[test]
fn ping_all_works_without_a_shell_in_the_image() {
    let _daemon = daemon_shared();
    const TAG: &str = "i5-noshell:latest";
    build_image_without_shell(TAG);
    struct RemoveImage;
    impl Drop for RemoveImage {
        fn drop(&mut self) {
            let _ = daemon().block(daemon().docker().remove_image(
                TAG,
                None::<bollard::query_parameters::RemoveImageOptions>,
                None,
            ));
        }
    }
    let _image = RemoveImage;
    let s = Scenario::new(
        "i5-noshell",
        &format!(
            r#"
            network::create("i5-ns-net");
            let ctrs = run_all([#{{image: "{TAG}", name: "i5-ns-a", network: "i5-ns-net", cmd: ["sleep", "600"]}},
                                #{{image: "busybox", name: "i5-ns-b", network: "i5-ns-net", cmd: "sleep 600"}}]);
            let shell = "error";
            try {{ shell = exec(ctrs[0], ["sh", "-c", "true"]).exit_code; }} catch (e) {{ }}
            print(`SHELL ${{shell}}`);
            for r in ping_all([[ctrs[0], "i5-ns-b"], [ctrs[0], "i5-ns-nowhere"], [ctrs[0], "127.0.0.1"]], 1) {{
                print(`PING ${{r.target}} ${{r.ok}}`);
            }}
            "#
        ),
    );
    let out = s.run(&[]);
    let _guard = LabelGuard(s.label());
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    assert!(
        !stdout.contains("SHELL 0"),
        "the image has a shell after all: {stdout}"
    );
    assert!(stdout.contains("PING i5-ns-b true"), "{stdout}");
    assert!(stdout.contains("PING i5-ns-nowhere false"), "{stdout}");
    assert!(stdout.contains("PING 127.0.0.1 true"), "{stdout}");
    s.assert_nothing_left();
}

/// `FROM scratch` with the host's static busybox as `/bin/ping` and
/// `/bin/sleep` only (busybox picks the applet from its file name).
fn build_image_without_shell(tag: &str) {
    use futures_util::StreamExt;
    let busybox = std::fs::read("/bin/busybox").expect("/bin/busybox (busybox-static)");
    let dockerfile = "FROM scratch\nCOPY busybox /bin/ping\nCOPY busybox /bin/sleep\n";
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data, mode) in [
        ("Dockerfile", dockerfile.as_bytes(), 0o644),
        ("busybox", busybox.as_slice(), 0o755),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        tar.append_data(&mut header, name, data).unwrap();
    }
    let context = tar.into_inner().unwrap();
    let options = bollard::query_parameters::BuildImageOptions {
        t: Some(tag.to_string()),
        dockerfile: "Dockerfile".into(),
        rm: true,
        ..Default::default()
    };
    let d = daemon();
    d.block(async {
        let mut stream =
            d.docker()
                .build_image(options, None, Some(bollard::body_full(context.into())));
        while let Some(item) = stream.next().await {
            let info = item.expect("building the shell-less test image");
            assert!(info.error_detail.is_none(), "{:?}", info.error_detail);
        }
    });
}

/// `reach::matrix` now pings every pair in one batch: same answers as
/// asking the daemon pair by pair from outside.
#[test]
fn the_reach_matrix_agrees_with_the_daemon() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "i5-reach",
        r#"
        import "std/reach" as reach;
        create_networks(["i5-rm-front", "i5-rm-back"]);
        let c = run_all([
            #{image: "busybox", name: "i5-rm-web", network: "i5-rm-front", cmd: "sleep 600"},
            #{image: "busybox", name: "i5-rm-api", network: ["i5-rm-front", "i5-rm-back"], cmd: "sleep 600"},
            #{image: "busybox", name: "i5-rm-db", network: "i5-rm-back", cmd: "sleep 600"},
        ]);
        let m = reach::matrix(c);
        for from in ["i5-rm-web", "i5-rm-api", "i5-rm-db"] {
            for to in m[from].keys() { print(`REACH ${from} ${to} ${m[from][to]}`); }
        }
        "#,
    );
    let out = s.run(&["--keep"]);
    let _guard = LabelGuard(s.label());
    assert_exit(&out, 0);
    let (stdout, _) = text(&out);
    let d = daemon();
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("REACH ")).collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    for line in lines {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let outside = d.can_ping(parts[1], parts[2]);
        assert_eq!(parts[3], outside.to_string(), "{line}");
    }
    assert!(
        stdout.contains("REACH i5-rm-web i5-rm-db false"),
        "{stdout}"
    );
    assert!(stdout.contains("REACH i5-rm-api i5-rm-db true"), "{stdout}");
    clean_runs_with(&s.label());
    s.assert_nothing_left();
}
