//! The scale case, small: 30 containers on 6 networks from netrig's subnet
//! pool, brought up with `create_networks` and `run_all`, a sample of
//! reachability checked, everything torn down by netrig. The heavy case
//! (300 containers on 60 networks, against the CLI and the floor) is in
//! `benches/` (`cargo bench --bench scale -- --only-large`).

use std::time::Instant;

use crate::support::{Scenario, daemon, daemon_shared, text};

#[test]
fn thirty_containers_on_six_networks_come_up_answer_and_go() {
    let _daemon = daemon_shared();
    let s = Scenario::new(
        "scale30",
        r#"let specs = [];
for i in 0..6 { specs.push(#{name: `sc-n${i}`}); }
let nets = create_networks(specs);
for i in 0..6 {
    assert(nets[i].subnet.starts_with("10.217.6") && nets[i].subnet.ends_with("/26"), `${nets[i].name} got ${nets[i].subnet}`);
}
let specs = [];
for i in 0..6 {
    for j in 0..5 {
        specs.push(#{image: "busybox", name: `sc-n${i}-c${j}`, network: nets[i], cmd: "sleep 600"});
    }
}
let cs = run_all(specs);
assert_eq(cs.len(), 30);
// One container of each network pings two of its neighbours, by name and by address.
let pairs = [];
for i in 0..6 {
    pairs.push([cs[i * 5], cs[i * 5 + 4].name]);
    pairs.push([cs[i * 5 + 2], cs[i * 5 + 1].ip(nets[i])]);
}
for r in ping_all(pairs, 1) { assert(r.ok, `${r.from} got no answer from ${r.target}`); }
print(`up ${cs.len()}`);
"#,
    );
    let started = Instant::now();
    let out = s.run(&["--subnet-pool", "10.217.64.0/23/26"]);
    let took = started.elapsed();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("up 30"), "{stdout}");
    // netrig's own teardown removed all 30 and the 6 networks.
    s.assert_nothing_left();
    assert!(
        daemon()
            .network_names()
            .iter()
            .all(|n| !n.starts_with("sc-n")),
        "a network of the run is left"
    );
    eprintln!("30 containers on 6 networks, up, 12 pings and down in {took:?}");
}
