//! What a Compose file becomes: networks and containers as netrig specs, in
//! the order they must be made, with Compose's names.

use std::collections::HashMap;
use std::path::PathBuf;

use super::error::Problem;
use crate::docker::spec::{NetworkSpec, RunSpec};

/// Label on every container of a Compose app: the project name.
pub(crate) const PROJECT_LABEL: &str = "netrig.compose.project";
/// Label on every container of a Compose app: the service it runs.
pub(crate) const SERVICE_LABEL: &str = "netrig.compose.service";

/// How to read a Compose file.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadOptions {
    /// Project name; else `COMPOSE_PROJECT_NAME`, the file's `name:`, the folder's name.
    pub project: Option<String>,
    /// Profiles to enable besides those in `COMPOSE_PROFILES`.
    pub profiles: Vec<String>,
    /// Replace every service's image (and drop its entrypoint).
    pub image: Option<String>,
    /// Replace services' commands.
    pub cmd: CmdOverride,
    /// Variables for `${VAR}`: the process environment as the caller passes
    /// it. They win over `.env`, like the shell's do in Compose.
    pub environment: HashMap<String, String>,
    /// Report unsupported keys as warnings and go on without them.
    pub ignore_unsupported: bool,
}

/// Commands that replace the services' own (with an `image` override, so
/// the replacement image does something useful).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum CmdOverride {
    /// Keep each service's command.
    #[default]
    Keep,
    /// One command for every service.
    All(Vec<String>),
    /// Commands by service name; services not named keep their own.
    PerService(HashMap<String, Vec<String>>),
}

/// A Compose file as netrig will bring it up.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// The Compose file.
    pub file: PathBuf,
    /// Project name (prefix of network and container names).
    pub project: String,
    /// Networks the enabled services use, in file order.
    pub networks: Vec<PlannedNetwork>,
    /// Enabled services in start order (dependencies first).
    pub services: Vec<PlannedService>,
    /// Keys left out with `ignore_unsupported`, and other notes.
    pub warnings: Vec<Problem>,
}

/// One network of the app.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlannedNetwork {
    /// Its key in the file (`front`, or `default`).
    pub key: String,
    /// What to create; `spec.name` is the Docker name (`<project>_front`).
    pub spec: NetworkSpec,
    /// Made outside the app: netrig checks it exists and never creates or removes it.
    pub external: bool,
}

/// One service of the app.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlannedService {
    /// Service name (its DNS name on its networks).
    pub name: String,
    /// One spec per replica, named `<project>-<service>-<n>` (or `container_name`).
    pub containers: Vec<RunSpec>,
    /// Services that must be up first, and in what state.
    pub depends_on: Vec<Dependency>,
    /// Start stage: 0 for services without dependencies, else one more than
    /// the latest stage among them. Services of one stage may start together.
    pub stage: usize,
}

/// A `depends_on` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dependency {
    /// The service depended on.
    pub service: String,
    /// What it must have reached.
    pub condition: Condition,
}

/// What a dependency must reach before its dependents start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Condition {
    /// Started (`service_started`, the default).
    Started,
    /// Its health check passes (`service_healthy`).
    Healthy,
    /// It ran to the end with exit code 0 (`service_completed_successfully`).
    CompletedSuccessfully,
}

impl Plan {
    /// The service called `name`.
    #[cfg(test)]
    pub(crate) fn service(&self, name: &str) -> Option<&PlannedService> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The network with key `key`.
    #[cfg(test)]
    pub(crate) fn network(&self, key: &str) -> Option<&PlannedNetwork> {
        self.networks.iter().find(|n| n.key == key)
    }

    /// Services grouped by start stage, in order.
    pub(crate) fn stages(&self) -> Vec<Vec<&PlannedService>> {
        let last = self.services.iter().map(|s| s.stage).max();
        (0..=last.unwrap_or(0))
            .map(|st| self.services.iter().filter(|s| s.stage == st).collect())
            .filter(|v: &Vec<_>| !v.is_empty())
            .collect()
    }
}
