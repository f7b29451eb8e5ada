//! What a scenario may ask of the host. A scenario drives the Docker
//! daemon, which is root-equivalent on the host, so `netrig run` and
//! `netrig test` refuse what reaches past the containers' own sandbox unless
//! the user says `--allow-host-access`. These checks are pure: each returns
//! the reasons a spec needs host access, naming the option.
//!
//! netrig's `run` has no options for bind mounts, devices or PID/IPC modes
//! at all, so those cannot be asked for; what remains is checked here.

use crate::docker::spec::{NetworkSpec, RunSpec};

/// Capabilities a network scenario may add without host access.
pub const NETWORK_CAPS: [&str; 2] = ["NET_ADMIN", "NET_RAW"];

/// Network drivers that attach containers to the host's own interfaces.
const HOST_DRIVERS: [&str; 3] = ["macvlan", "ipvlan", "host"];

/// Why running `spec` needs host access (empty: it does not).
pub fn run_needs_host_access(spec: &RunSpec) -> Vec<String> {
    let mut reasons = Vec::new();
    if spec.privileged {
        reasons
            .push("option \"privileged\" gives the container full access to the host".to_string());
    }
    for net in &spec.networks {
        if net == "host" {
            reasons.push(
                "option \"network\": \"host\" puts the container on the host's own network stack"
                    .to_string(),
            );
        }
    }
    for cap in &spec.cap_add {
        let bare = cap.trim().to_ascii_uppercase();
        let bare = bare.strip_prefix("CAP_").unwrap_or(&bare);
        if !NETWORK_CAPS.contains(&bare) {
            reasons.push(format!(
                "option \"cap_add\": {cap:?} is more than a network scenario needs (only {} are allowed)",
                NETWORK_CAPS.join(" and ")
            ));
        }
    }
    reasons
}

/// Why creating `spec` needs host access (empty: it does not).
pub fn network_needs_host_access(spec: &NetworkSpec) -> Vec<String> {
    match spec.driver.as_deref().map(str::to_ascii_lowercase) {
        Some(d) if HOST_DRIVERS.contains(&d.as_str()) => vec![format!(
            "option \"driver\": {d:?} attaches containers to the host's own interfaces"
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_containers_need_nothing() {
        let spec = RunSpec {
            image: "busybox".into(),
            networks: vec!["front".into()],
            cap_add: vec!["NET_ADMIN".into(), "cap_net_raw".into()],
            ..Default::default()
        };
        assert!(run_needs_host_access(&spec).is_empty());
    }

    #[test]
    fn privileged_host_network_and_big_caps_are_named() {
        let spec = RunSpec {
            image: "busybox".into(),
            privileged: true,
            networks: vec!["host".into()],
            cap_add: vec!["SYS_ADMIN".into()],
            ..Default::default()
        };
        let reasons = run_needs_host_access(&spec);
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].contains("\"privileged\""));
        assert!(reasons[1].contains("\"network\": \"host\""));
        assert!(reasons[2].contains("\"SYS_ADMIN\""));
    }

    #[test]
    fn host_attached_drivers_are_named() {
        let mut spec = NetworkSpec::named("n");
        assert!(network_needs_host_access(&spec).is_empty());
        spec.driver = Some("macvlan".into());
        assert!(network_needs_host_access(&spec)[0].contains("\"macvlan\""));
    }
}
