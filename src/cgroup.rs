//! Which container a process of this machine belongs to: the one check
//! the fault, probe and capture layers all make before entering a
//! container's network namespace by the pid the daemon reports.

/// Whether a `/proc/<pid>/cgroup` listing places the process in the
/// container with full id `id` (cgroupfs `/docker/<id>`, systemd
/// `docker-<id>.scope`, v1 and v2 alike).
pub(crate) fn cgroup_names(cgroup: &str, id: &str) -> bool {
    id.len() >= 12 && cgroup.lines().any(|l| l.contains(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroups_name_the_container() {
        let id = "0d33040f5c10f8f626ad16b77894100b2fc48f76051001e60422af95f04bd1a9";
        assert!(cgroup_names(&format!("0::/docker/{id}\n"), id));
        assert!(cgroup_names(
            &format!("0::/system.slice/docker-{id}.scope\n"),
            id
        ));
        assert!(!cgroup_names("0::/user.slice/session-3.scope\n", id));
        assert!(!cgroup_names("0::/\n", ""));
    }
}
