//! A table of malformed calls: each fails with a message that names the
//! function and the option (or argument), points at the script line, exits 1
//! and leaves nothing behind.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support;
use crate::support::{Scenario, daemon_shared, text};

/// What a case needs before its bad call: nothing, a network `NET`, or also a container `CTR`.
#[derive(Clone, Copy)]
enum Prelude {
    Net,
    Ctr,
}

/// (prelude, the bad call, what the message must contain).
const CASES: &[(Prelude, &str, &[&str])] = {
    use Prelude::*;
    &[
        // run(): image and options
        (
            Net,
            r#"run(42)"#,
            &["run(): the image must be a string, got 42"],
        ),
        (Net, r#"run("")"#, &["run(): the image name is empty"]),
        (Net, r#"run("  ")"#, &["run(): the image name is empty"]),
        (
            Net,
            r#"run("busybox", 42)"#,
            &["run(): the options must be a map", "got 42"],
        ),
        (
            Net,
            r#"run("busybox", #{netwrok: "x"})"#,
            &[
                "run(): unknown option \"netwrok\"",
                "did you mean \"network\"",
            ],
        ),
        (
            Net,
            r#"run("busybox", #{ports: 42})"#,
            &["run(): option \"ports\" must be an array", "got 42"],
        ),
        (
            Net,
            r#"run("busybox", #{ports: ["99999:80"]})"#,
            &["option \"ports\"", "host port 99999 is not a port number"],
        ),
        (
            Net,
            r#"run("busybox", #{ports: ["a:b"]})"#,
            &["option \"ports\"", "\"b\" is not a number"],
        ),
        (
            Net,
            r#"run("busybox", #{ports: ["80:80/sctpx"]})"#,
            &["option \"ports\"", "unknown protocol \"sctpx\""],
        ),
        (
            Net,
            r#"run("busybox", #{ports: [""]})"#,
            &["option \"ports\"", "empty"],
        ),
        (
            Net,
            r#"run("busybox", #{ports: ["1.2.3.999:80:80"]})"#,
            &["option \"ports\"", "not an IP address"],
        ),
        (
            Net,
            r#"run("busybox", #{ports: ["80:0"]})"#,
            &["option \"ports\"", "container port 0"],
        ),
        (
            Net,
            r#"run("busybox", #{ports: ["9000-8000:80"]})"#,
            &["option \"ports\"", "backwards"],
        ),
        (
            Net,
            r#"run("busybox", #{ports: [true]})"#,
            &["option \"ports\"", "one item is true"],
        ),
        (
            Net,
            r#"run("busybox", #{name: "bad name"})"#,
            &["run(): option \"name\"", "not a valid name"],
        ),
        (
            Net,
            r#"run("busybox", #{name: "-leading"})"#,
            &["option \"name\"", "not a valid name"],
        ),
        (
            Net,
            r#"run("busybox", #{name: [1]})"#,
            &["option \"name\" must be a string"],
        ),
        (
            Net,
            r#"run("busybox", #{network: 42})"#,
            &["option \"network\" must be a network handle or a network name, got 42"],
        ),
        (
            Net,
            r#"run("busybox", #{network: []})"#,
            &["option \"network\" is an empty array"],
        ),
        (
            Net,
            r#"run("busybox", #{network: [NET, 7]})"#,
            &["item 2 of option \"network\"", "got 7"],
        ),
        (
            Net,
            r#"run("busybox", #{network: [#{name: NET, ip: "10.1.0.300"}]})"#,
            &[
                "option \"network\"",
                "\"ip\": \"10.1.0.300\" is not an IP address",
            ],
        ),
        (
            Net,
            r#"run("busybox", #{network: #{ip: "10.1.0.10"}})"#,
            &["option \"network\": a network map needs \"name\""],
        ),
        (
            Net,
            r#"run("busybox", #{network: #{name: NET, ipv4: "10.1.0.10"}})"#,
            &["unknown key \"ipv4\"", "valid keys: name, ip, ip6, aliases"],
        ),
        (
            Net,
            r#"run("busybox", #{cmd: 42})"#,
            &["option \"cmd\" must be a string", "got 42"],
        ),
        (
            Net,
            r#"run("busybox", #{cmd: ""})"#,
            &["option \"cmd\" is empty"],
        ),
        (
            Net,
            r#"run("busybox", #{cmd: "sh -c 'open"})"#,
            &["option \"cmd\"", "cannot split"],
        ),
        (
            Net,
            r#"run("busybox", #{cmd: [1, #{}]})"#,
            &["option \"cmd\" must be an array of strings", "a map"],
        ),
        (
            Net,
            r#"run("busybox", #{entrypoint: #{}})"#,
            &["option \"entrypoint\"", "got a map"],
        ),
        (
            Net,
            r#"run("busybox", #{env: "A=1"})"#,
            &["option \"env\" must be a map", "got \"A=1\""],
        ),
        (
            Net,
            r#"run("busybox", #{env: #{A: [1]}})"#,
            &["option \"env\"", "the value of \"A\" must be a string"],
        ),
        (
            Net,
            r#"run("busybox", #{labels: 3})"#,
            &["option \"labels\" must be a map"],
        ),
        (
            Net,
            r#"run("busybox", #{privileged: "yes"})"#,
            &["option \"privileged\" must be true or false"],
        ),
        (
            Net,
            r#"run("busybox", #{init: 1})"#,
            &["option \"init\" must be true or false"],
        ),
        (
            Net,
            r#"run("busybox", #{cap_add: 5})"#,
            &["option \"cap_add\" must be an array of strings", "got 5"],
        ),
        (
            Net,
            r#"run("busybox", #{aliases: [1, 2]})"#,
            &[
                "option \"aliases\" must be an array of strings",
                "one item is 1",
            ],
        ),
        (
            Net,
            r#"run("busybox", #{hostname: #{}})"#,
            &["option \"hostname\" must be a string"],
        ),
        // network::…
        (
            Net,
            r#"network::create(42)"#,
            &["network::create(): the network name must be a string, got 42"],
        ),
        (
            Net,
            r#"network::create("")"#,
            &["network::create()", "not a valid name"],
        ),
        (
            Net,
            r#"network::create("bad/name")"#,
            &["network::create()", "not a valid name"],
        ),
        (
            Net,
            r#"network::create("core-b-n", #{subnet: "10.0.0.0/33"})"#,
            &["option \"subnet\"", "/33"],
        ),
        (
            Net,
            r#"network::create("core-b-n", #{subnet: "banana"})"#,
            &["option \"subnet\"", "not a CIDR"],
        ),
        (
            Net,
            r#"network::create("core-b-n", #{subnet: "10.0.0.0"})"#,
            &["option \"subnet\"", "not a CIDR"],
        ),
        (
            Net,
            r#"network::create("core-b-n", #{gateway: "10.0.0.300"})"#,
            &["option \"gateway\"", "not an IP address"],
        ),
        (
            Net,
            r#"network::create("core-b-n", #{ip_range: "x/8"})"#,
            &["option \"ip_range\"", "not a CIDR"],
        ),
        (
            Net,
            r#"network::create("core-b-n", #{internal: 1})"#,
            &["option \"internal\" must be true or false"],
        ),
        (
            Net,
            r#"network::create("core-b-n", #{drivr: "bridge"})"#,
            &["unknown option \"drivr\"", "did you mean \"driver\""],
        ),
        (
            Net,
            r#"network::create("core-b-n", #{options: #{a: #{}}})"#,
            &["option \"options\"", "must be a string"],
        ),
        (
            Net,
            r#"network::create("core-b-n", [1])"#,
            &["network::create(): the options must be a map"],
        ),
        (
            Net,
            r#"network::inspect(42)"#,
            &["network::inspect(): the network must be a network handle or a network name, got 42"],
        ),
        (
            Net,
            r#"network::rm("bridge")"#,
            &["network::rm()", "Docker's own networks"],
        ),
        (
            Net,
            r#"network::connect(42, "x")"#,
            &["network::connect(): the network must be", "got 42"],
        ),
        (
            Net,
            r#"network::connect(NET, 42)"#,
            &["network::connect(): the container must be", "got 42"],
        ),
        (
            Net,
            r#"network::connect(NET, "x", #{ip: "1.2.3"})"#,
            &["network::connect(): option \"ip\"", "not an IPv4 address"],
        ),
        (
            Net,
            r#"network::connect(NET, "x", #{alias: ["a"]})"#,
            &["unknown option \"alias\"", "did you mean \"aliases\""],
        ),
        (
            Net,
            r#"network::disconnect(NET, [])"#,
            &["network::disconnect(): the container must be", "an array"],
        ),
        // containers and checks
        (
            Net,
            r#"exec(42, "ls")"#,
            &["exec(): the container must be", "got 42"],
        ),
        (
            Ctr,
            r#"exec(CTR, 42)"#,
            &["exec(): the command must be a string", "got 42"],
        ),
        (Ctr, r#"exec(CTR, [])"#, &["exec(): the command is empty"]),
        (
            Ctr,
            r#"exec(CTR, [#{}])"#,
            &["exec(): the command must be an array of strings", "a map"],
        ),
        (
            Ctr,
            r#"exec(NET, "ls")"#,
            &["exec(): the container must be", "got network core-b"],
        ),
        (
            Ctr,
            r#"NET.connect(NET)"#,
            &["connect(): the container must be", "got network"],
        ),
        (
            Ctr,
            r#"CTR.port(#{})"#,
            &["port(): the container port must be a number"],
        ),
        (
            Ctr,
            r#"CTR.ip(42)"#,
            &["ip(): the network must be", "got 42"],
        ),
        (
            Ctr,
            r#"stop(CTR, -3)"#,
            &["stop(): timeout_secs must be between 0 and 3600, got -3"],
        ),
        (
            Net,
            r#"logs(3.5)"#,
            &["logs(): the container must be", "got 3.5"],
        ),
        (
            Net,
            r#"inspect([1])"#,
            &["inspect(): the container must be", "an array"],
        ),
        (Net, r#"rm(())"#, &["rm(): the container must be", "got ()"]),
        (
            Net,
            r#"start(true)"#,
            &["start(): the container must be", "got true"],
        ),
        (
            Net,
            r#"ps(#{al: true})"#,
            &["ps(): unknown option \"al\"", "did you mean \"all\""],
        ),
        (
            Net,
            r#"ps(#{all: "yes"})"#,
            &["ps(): option \"all\" must be true or false"],
        ),
        (Net, r#"ping(1, "x")"#, &["ping(): from must be", "got 1"]),
        (
            Ctr,
            r#"ping(CTR, #{})"#,
            &["ping(): target must be", "a map"],
        ),
        (
            Ctr,
            r#"ping(CTR, "x", 0)"#,
            &["ping(): count must be between 1 and 1000, got 0"],
        ),
        (
            Ctr,
            r#"assert_reachable(CTR, [])"#,
            &["assert_reachable(): target must be", "an array"],
        ),
        (Net, r#"sleep(-1)"#, &["sleep(): secs must be between"]),
        (
            Net,
            r#"sleep("x")"#,
            &["sleep(): secs must be a number of seconds", "got \"x\""],
        ),
        (
            Net,
            r#"wait_until(|| true, -5)"#,
            &["wait_until(): timeout_secs must be between"],
        ),
        (
            Net,
            r#"wait_until(|| 42, 1)"#,
            &["wait_until(): the check must return true or false, got 42"],
        ),
        (
            Net,
            r#"assert(42)"#,
            &["assert(): the condition must be true or false, got 42"],
        ),
        (
            Net,
            r#"table(42)"#,
            &["table(): rows must be an array of maps, got 42"],
        ),
        (Net, r#"table([1, 2])"#, &["table(): row 0 is not a map"]),
        // misspelt names get the nearest one; a known name with wrong arguments says so
        (
            Net,
            r#"pign("a", "x")"#,
            &["Function not found: pign", "did you mean ping?"],
        ),
        (
            Net,
            r#"network::crete("x")"#,
            &["did you mean network::create?"],
        ),
        (
            Net,
            r#"netwrk::ls()"#,
            &["Module not found: netwrk", "did you mean network::?"],
        ),
        (
            Net,
            r#"ping(1)"#,
            &["ping exists, but not for these arguments"],
        ),
        // images
        (
            Net,
            r#"pull(5)"#,
            &["pull(): the image must be a string, got 5"],
        ),
        (
            Net,
            r#"build(1, "t")"#,
            &["build(): the context directory must be a string, got 1"],
        ),
        (
            Net,
            r#"build("no/such/dir", "core-b:1")"#,
            &["build()", "has no Dockerfile"],
        ),
        // Rhai's own limits, not the process's memory
        (
            Net,
            r#"let a = []; a.pad(2000000, 0)"#,
            &["Size of array/BLOB too large"],
        ),
        (
            Net,
            r#"let s = "x"; s.pad(20000000, 'y')"#,
            &["Length of string too large"],
        ),
    ]
};

/// The lines before the bad call, with names unique to case `i` so the
/// cases can run side by side.
fn prelude(p: Prelude, i: usize) -> String {
    let net = format!("let NET = network::create(\"core-b{i}-net\"); ");
    match p {
        Prelude::Net => net,
        Prelude::Ctr => format!(
            "{net}let CTR = run(\"busybox\", #{{name: \"core-b{i}-ctr\", network: NET, cmd: \"sleep 300\"}}); "
        ),
    }
}

/// Runs case `i`; returns what is wrong with its outcome, if anything.
fn check(i: usize) -> Option<String> {
    let (pre, call, wanted) = CASES[i];
    // The prelude is line 1; the bad call is on line 2.
    let s = Scenario::new(
        &format!("bad{i}"),
        &format!("{}\n{call};\n", prelude(pre, i)),
    );
    let out = s.run(&[]);
    let stderr = text(&out).1;
    let position = format!("{}:2:", s.path.display());
    let mut problems = Vec::new();
    if out.status.code() != Some(1) {
        problems.push(format!("exit code {:?}", out.status.code()));
    }
    for w in wanted.iter().copied().chain([position.as_str()]) {
        if !stderr.contains(w) {
            problems.push(format!("no {w:?}"));
        }
    }
    let d = support::daemon();
    let left = [d.containers_with(&s.label()), d.networks_with(&s.label())].concat();
    if !left.is_empty() {
        problems.push(format!("left {left:?}"));
    }
    (!problems.is_empty()).then(|| format!("{call}: {}\n{stderr}", problems.join(", ")))
}

#[test]
fn malformed_calls_are_named_located_and_leave_nothing() {
    let _daemon = daemon_shared();
    assert!(CASES.len() >= 50, "the table must hold at least 50 cases");
    // A few cases at a time: enough to overlap process start-up, not enough
    // to make the daemon the bottleneck.
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= CASES.len() {
                        break;
                    }
                    if let Some(problem) = check(i) {
                        failures.lock().unwrap().push(problem);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}
