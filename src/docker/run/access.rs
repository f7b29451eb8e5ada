//! What a scenario may ask of the host, and the run's answer. A scenario
//! drives the Docker daemon, which is root-equivalent on the host, so
//! `netrig run` and `netrig test` refuse what reaches past the containers'
//! own sandbox unless the user says `--allow-host-access`; the REPL allows
//! it with a warning, since a person is typing.
//!
//! Every request that creates something answers [`HostRequest::host_access`]
//! (the reasons it needs host access, naming the option), and the run
//! session checks it at the one place every creation passes through
//! ([`RunSession::admit`](super::RunSession::admit)): its creating steps
//! take the [`Admitted`] proof only that check gives out.
//!
//! netrig's `run` has no options for bind mounts, devices or PID/IPC modes
//! at all, so those cannot be asked for; what remains is checked here.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::docker::client::Notes;
use crate::docker::error::{DockerError, Result};
use crate::docker::spec::{NetworkSpec, RunSpec};

/// How a run treats requests for host access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum HostAccess {
    /// Refuse them (`netrig run`, `netrig test`).
    Refuse = 0,
    /// Allow them, with a warning (the REPL).
    Warn = 1,
    /// Allow them (`--allow-host-access`).
    Allow = 2,
}

/// A run's policy on host access: one for all its sessions (every daemon)
/// and the script's file checks, changeable after the run started (the
/// REPL warns, `--allow-host-access` allows).
#[derive(Debug, Default)]
pub(crate) struct AccessPolicy {
    mode: AtomicU8,
}

impl AccessPolicy {
    /// The policy now.
    pub(crate) fn get(&self) -> HostAccess {
        match self.mode.load(Ordering::SeqCst) {
            2 => HostAccess::Allow,
            1 => HostAccess::Warn,
            _ => HostAccess::Refuse,
        }
    }

    /// Changes the policy.
    pub(crate) fn set(&self, mode: HostAccess) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// Lets `request` through, or refuses it naming its first reason; under
    /// [`HostAccess::Warn`] each reason goes to `notes`.
    pub(super) fn admit(
        &self,
        request: &(impl HostRequest + ?Sized),
        notes: &Notes,
    ) -> Result<Admitted> {
        let reasons = request.host_access();
        let Some(first) = reasons.first() else {
            return Ok(Admitted(()));
        };
        match self.get() {
            HostAccess::Allow => Ok(Admitted(())),
            HostAccess::Warn => {
                for reason in &reasons {
                    notes.warn(reason);
                }
                Ok(Admitted(()))
            }
            HostAccess::Refuse => Err(DockerError::Forbidden {
                reason: first.clone(),
            }),
        }
    }
}

/// Proof that the run's policy let a request through. Only the session's
/// check ([`RunSession::admit`](super::RunSession::admit)) makes one, and
/// its creating steps take one, so no creation can skip the check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admitted(());

/// Something a run is asked to create or reach that may go past the
/// containers into the host.
pub(crate) trait HostRequest {
    /// Why it needs host access, one reason per option that asks for it,
    /// naming the option (empty: it does not).
    fn host_access(&self) -> Vec<String>;
}

/// A batch needs what its items need.
impl<T: HostRequest> HostRequest for [T] {
    fn host_access(&self) -> Vec<String> {
        self.iter().flat_map(HostRequest::host_access).collect()
    }
}

/// Another Docker daemon a script connects to (`docker::connect`): it acts
/// there with the user's credentials.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OtherDaemon<'a>(pub &'a str);

impl HostRequest for OtherDaemon<'_> {
    fn host_access(&self) -> Vec<String> {
        vec![format!(
            "it reaches another Docker daemon ({}) with your credentials",
            self.0
        )]
    }
}

/// Capabilities a network scenario may add without host access.
pub(crate) const NETWORK_CAPS: [&str; 2] = ["NET_ADMIN", "NET_RAW"];

/// Network drivers that attach containers to the host's own interfaces.
const HOST_DRIVERS: [&str; 3] = ["macvlan", "ipvlan", "host"];

impl HostRequest for RunSpec {
    fn host_access(&self) -> Vec<String> {
        let mut reasons = Vec::new();
        if self.privileged {
            reasons.push(
                "option \"privileged\" gives the container full access to the host".to_string(),
            );
        }
        if self.networks.iter().any(|n| n == "host") {
            reasons.push(
                "option \"network\": \"host\" puts the container on the host's own network \
                 stack"
                    .to_string(),
            );
        }
        for cap in &self.cap_add {
            let bare = cap.trim().to_ascii_uppercase();
            let bare = bare.strip_prefix("CAP_").unwrap_or(&bare);
            if !NETWORK_CAPS.contains(&bare) {
                reasons.push(format!(
                    "option \"cap_add\": {cap:?} is more than a network scenario needs (only {} \
                     are allowed)",
                    NETWORK_CAPS.join(" and ")
                ));
            }
        }
        reasons
    }
}

impl HostRequest for NetworkSpec {
    fn host_access(&self) -> Vec<String> {
        match self.driver.as_deref().map(str::to_ascii_lowercase) {
            Some(d) if HOST_DRIVERS.contains(&d.as_str()) => vec![format!(
                "option \"driver\": {d:?} attaches containers to the host's own interfaces"
            )],
            _ => Vec::new(),
        }
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
        assert!(spec.host_access().is_empty());
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
        let reasons = spec.host_access();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].contains("\"privileged\""));
        assert!(reasons[1].contains("\"network\": \"host\""));
        assert!(reasons[2].contains("\"SYS_ADMIN\""));
    }

    #[test]
    fn host_attached_drivers_are_named() {
        let mut spec = NetworkSpec::named("n");
        assert!(spec.host_access().is_empty());
        spec.driver = Some("macvlan".into());
        assert!(spec.host_access()[0].contains("\"macvlan\""));
    }

    #[test]
    fn batches_and_other_daemons_give_their_reasons() {
        let plain = RunSpec::default();
        let privileged = RunSpec {
            privileged: true,
            ..Default::default()
        };
        assert!([plain.clone()].host_access().is_empty());
        assert_eq!([plain, privileged].host_access().len(), 1);
        assert!(OtherDaemon("tcp://h:2375").host_access()[0].contains("tcp://h:2375"));
    }

    #[test]
    fn the_policy_refuses_warns_or_allows() {
        let policy = AccessPolicy::default();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let notes = {
            let seen = seen.clone();
            Notes::new(move |t| seen.lock().unwrap().push(t.to_string()))
        };
        let privileged = RunSpec {
            privileged: true,
            ..Default::default()
        };
        assert!(policy.admit(&RunSpec::default(), &notes).is_ok());
        let refused = policy.admit(&privileged, &notes).unwrap_err();
        assert_eq!(refused.kind(), "forbidden");
        assert!(refused.to_string().contains("\"privileged\""), "{refused}");
        assert!(
            refused.to_string().contains("--allow-host-access"),
            "{refused}"
        );
        policy.set(HostAccess::Warn);
        assert!(policy.admit(&privileged, &notes).is_ok());
        assert_eq!(seen.lock().unwrap().len(), 1);
        policy.set(HostAccess::Allow);
        assert!(policy.admit(&privileged, &notes).is_ok());
        assert_eq!(seen.lock().unwrap().len(), 1);
    }
}
