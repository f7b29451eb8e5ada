//! Many scenarios at once: 16 scenarios of 6 networks each under
//! `netrig test`, at `--jobs 16` (96 networks alive at once, from netrig's
//! subnet pool, more than Docker's default pools hold) against `--jobs 1`.

use std::process::Command;

use super::{Bench, IMAGE, NETRIG, f2, run_measured, table, target};

/// Scenarios in the suite.
const SCENARIOS: usize = 16;
/// Networks each scenario creates (without a subnet).
const NETWORKS: usize = 6;

impl Bench {
    /// Writes the suite into a directory of its own; returns that directory.
    fn suite_dir(&self, tag: &str) -> std::path::PathBuf {
        let dir = self.dir.path().join(format!("suite-{tag}"));
        std::fs::create_dir_all(&dir).expect("suite directory");
        let labels: Vec<String> = self
            .labels()
            .iter()
            .filter(|(k, _)| k == "netrig.bench")
            .map(|(k, v)| format!("\"{k}\": \"{v}\""))
            .collect();
        let labels = format!("#{{{}}}", labels.join(", "));
        for i in 0..SCENARIOS {
            let source = format!(
                "let nets = [];\n\
                 for i in 0..{NETWORKS} {{ nets.push(#{{name: `net${{i}}`, labels: {labels}}}); }}\n\
                 let nets = create_networks(nets);\n\
                 let c = run(\"{IMAGE}\", #{{name: \"box\", network: nets, cmd: \"sleep 600\", labels: {labels}}});\n\
                 for n in nets {{ assert(n.subnet != (), `${{n.name}} has no subnet`); }}\n"
            );
            std::fs::write(dir.join(format!("s{i:02}.rhai")), source).expect("write scenario");
        }
        dir
    }

    /// `netrig test --jobs N` of the suite; its wall time.
    fn suite_run(&self, jobs: usize) -> f64 {
        let dir = self.suite_dir(&format!("j{jobs}"));
        let mut c = Command::new(NETRIG);
        c.args(["test", "--jobs", &jobs.to_string()]).arg(&dir);
        let f = run_measured(c);
        self.after_run(&format!("netrig test --jobs {jobs}"));
        assert!(
            f.exit_code == 0 && f.stdout.contains(&format!("{SCENARIOS} passed")),
            "the suite at --jobs {jobs} did not pass:\n{}\n{}",
            f.stdout,
            f.stderr
        );
        f.wall
    }

    /// Runs the suite at `--jobs 16` and `--jobs 1`; prints the table and
    /// returns the target (all pass, and in parallel it is faster).
    pub(crate) fn suite_section(&self) -> Vec<(String, String, bool)> {
        let parallel = self.suite_run(SCENARIOS);
        let serial = self.suite_run(1);
        let mut t = table(&[
            &format!("netrig test, {SCENARIOS} scenarios × {NETWORKS} networks + 1 container"),
            "wall s",
            "vs --jobs 1",
        ]);
        t.add_row(vec![
            format!("--jobs {SCENARIOS}"),
            f2(parallel),
            format!("{:.2}×", parallel / serial),
        ]);
        t.add_row(vec!["--jobs 1".into(), f2(serial), "1.00×".into()]);
        println!("{t}\n\none run each; all scenarios passed\n");
        vec![target(
            &format!(
                "{SCENARIOS} × {NETWORKS} at --jobs {SCENARIOS}: all pass, faster than --jobs 1"
            ),
            parallel / serial,
            1.0,
        )]
    }
}
