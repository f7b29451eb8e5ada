//! Label keys in one place. Every resource a run creates carries them; they
//! are how teardown and `netrig clean` find what belongs to netrig.

use std::collections::HashMap;

/// Marks a resource as created by netrig. Nothing without it is ever removed.
pub(crate) const MANAGED: &str = "netrig.managed";
/// The id of the run that created the resource.
pub(crate) const RUN: &str = "netrig.run";
/// The script file (or `<repl>`) the run executed.
pub(crate) const SCRIPT: &str = "netrig.script";
/// The process id of the netrig that created the resource, so `netrig clean`
/// can tell a live run from a dead one.
pub(crate) const PID: &str = "netrig.pid";
/// The host name of the machine that ran netrig (pids are only meaningful there).
pub(crate) const HOST: &str = "netrig.host";

/// On a network created without a subnet: `daemon`, the daemon picked its
/// address pool. An export leaves such a pool out, so the Compose file does
/// not pin an address range that only this daemon happened to have free.
pub(crate) const IPAM: &str = "netrig.ipam";

/// On a swarm netrig started: `made` when starting it created Docker's
/// `docker_gwbridge` (so leaving removes it again), `kept` when it was there.
pub(crate) const GWBRIDGE: &str = "netrig.gwbridge";

/// The networks Docker itself defines; netrig never removes them.
pub(crate) const PREDEFINED_NETWORKS: [&str; 3] = ["bridge", "host", "none"];

/// The labels of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunLabels {
    /// Short unique id of the run.
    pub(crate) run_id: String,
    /// The script path as the user gave it.
    pub(crate) script: String,
    /// This process's id.
    pub(crate) pid: u32,
    /// This machine's host name.
    pub(crate) host: String,
}

impl RunLabels {
    /// Labels for a run of `script` by this process.
    pub(crate) fn for_this_process(run_id: &str, script: &str) -> Self {
        RunLabels {
            run_id: run_id.to_string(),
            script: script.to_string(),
            pid: std::process::id(),
            host: this_host(),
        }
    }

    /// The user's labels with the run's labels added; the run's win on a clash
    /// because teardown depends on them.
    pub(crate) fn merged_with(&self, user: &HashMap<String, String>) -> HashMap<String, String> {
        let mut labels = user.clone();
        labels.insert(MANAGED.into(), "true".into());
        labels.insert(RUN.into(), self.run_id.clone());
        labels.insert(SCRIPT.into(), self.script.clone());
        labels.insert(PID.into(), self.pid.to_string());
        labels.insert(HOST.into(), self.host.clone());
        labels
    }

    /// The Docker filter that selects this run's resources.
    pub(crate) fn run_filter(&self) -> String {
        format!("{RUN}={}", self.run_id)
    }
}

/// Who made a resource, from its labels, for "name in use" messages:
/// `netrig run 3fa9c1d2 of scenario.rhai`, or `nothing of netrig's`.
pub(crate) fn owner(labels: &HashMap<String, String>) -> String {
    match (labels.get(MANAGED), labels.get(RUN)) {
        (Some(_), Some(run)) => format!(
            "netrig run {run} of {}",
            labels
                .get(SCRIPT)
                .map(String::as_str)
                .unwrap_or("an unknown script")
        ),
        _ => "something other than netrig".to_string(),
    }
}

/// This machine's host name, as the kernel knows it.
pub(crate) fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// A new short run id: 8 hex digits from the OS's random hash seed, the clock and the pid.
pub(crate) fn new_run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.write_u32(std::process::id());
    format!("{:08x}", h.finish() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_labels_override_user_labels() {
        let run = RunLabels::for_this_process("abc", "s.rhai");
        let user = HashMap::from([
            ("team".to_string(), "net".to_string()),
            (RUN.to_string(), "forged".to_string()),
        ]);
        let labels = run.merged_with(&user);
        assert_eq!(labels["team"], "net");
        assert_eq!(labels[RUN], "abc");
        assert_eq!(labels[MANAGED], "true");
        assert_eq!(labels[SCRIPT], "s.rhai");
    }

    #[test]
    fn owners_are_named_from_labels() {
        let run = RunLabels::for_this_process("abc", "s.rhai");
        assert_eq!(
            owner(&run.merged_with(&HashMap::new())),
            "netrig run abc of s.rhai"
        );
        assert_eq!(owner(&HashMap::new()), "something other than netrig");
    }

    #[test]
    fn run_ids_differ() {
        assert_ne!(new_run_id(), new_run_id());
        assert_eq!(new_run_id().len(), 8);
    }
}
