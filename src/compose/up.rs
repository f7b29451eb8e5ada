//! Bringing a [`Plan`] up in a run: its networks, then its services stage
//! by stage, each stage once the conditions its services wait for hold
//! (started, healthy, or ran to the end). Everything goes through the run
//! session, so it is labelled, named for isolation and torn down with the
//! run; if bringing up fails halfway, what was made is removed at once.

use std::time::{Duration, Instant};

use bollard::models::{ContainerStateStatusEnum, HealthStatusEnum};

use super::error::Problem;
use super::plan::{Condition, Plan};
use crate::docker::ResourceKind;
use crate::docker::container::ContainerRef;
use crate::docker::error::{DockerError, Result};
use crate::docker::image::PullObserver;
use crate::docker::network::NetworkRef;
use crate::docker::{BatchError, RunSession};

/// How often a wait looks at the container again.
const POLL: Duration = Duration::from_millis(250);

/// A Compose app brought up in a run; names are Docker names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct App {
    /// Project name.
    pub project: String,
    /// Networks by key, in file order (external ones too).
    pub networks: Vec<(String, NetworkRef)>,
    /// Containers by service, in start order; replicas in number order.
    pub services: Vec<(String, Vec<ContainerRef>)>,
    /// What the plan left out (`ignore_unsupported`).
    pub warnings: Vec<Problem>,
}

/// Brings `plan` up in `session`. `wait` bounds each wait for a dependency's
/// condition (health checks can take long; Compose waits without end).
pub(crate) async fn up(
    session: &RunSession,
    plan: &Plan,
    observer: &PullObserver,
    wait: Duration,
) -> Result<App> {
    let mut app = App {
        project: plan.project.clone(),
        networks: Vec::new(),
        services: Vec::new(),
        warnings: plan.warnings.clone(),
    };
    match bring_up(session, plan, observer, wait, &mut app).await {
        Ok(()) => Ok(app),
        Err(e) => {
            undo(session, &app).await;
            Err(e)
        }
    }
}

async fn bring_up(
    session: &RunSession,
    plan: &Plan,
    observer: &PullObserver,
    wait: Duration,
    app: &mut App,
) -> Result<()> {
    for net in plan.networks.iter().filter(|n| n.external) {
        let name = session.docker_name(ResourceKind::Network, &net.spec.name);
        match session.client().find_network(&name).await? {
            Some(found) => app.networks.push((
                net.key.clone(),
                NetworkRef {
                    id: found.id,
                    name,
                    subnet: None,
                    gateway: None,
                },
            )),
            None => {
                return Err(DockerError::NotFound {
                    action: format!("compose up {:?}", plan.project),
                    message: format!(
                        "external network {:?} (networks.{}) does not exist; create it first, e.g. network::create({:?})",
                        net.spec.name, net.key, net.spec.name
                    ),
                });
            }
        }
    }
    let own: Vec<_> = plan.networks.iter().filter(|n| !n.external).collect();
    let specs: Vec<_> = own.iter().map(|n| n.spec.clone()).collect();
    let made = session
        .create_networks(&specs)
        .await
        .map_err(|e| batch("create the app's networks", e))?;
    app.networks
        .extend(own.iter().map(|n| n.key.clone()).zip(made));
    app.networks
        .sort_by_key(|(k, _)| plan.networks.iter().position(|n| &n.key == k));

    for stage in plan.stages() {
        for svc in &stage {
            for dep in &svc.depends_on {
                let containers = app
                    .services
                    .iter()
                    .find(|(n, _)| *n == dep.service)
                    .map(|(_, c)| c.clone())
                    .unwrap_or_default();
                for c in &containers {
                    reach(session, &dep.service, c, dep.condition, wait, &svc.name).await?;
                }
            }
        }
        let specs: Vec<_> = stage.iter().flat_map(|s| s.containers.clone()).collect();
        let names: Vec<&str> = stage.iter().map(|s| s.name.as_str()).collect();
        let started = session
            .run_all(&specs, observer)
            .await
            .map_err(|e| batch(&format!("start service {}", names.join(", ")), e))?;
        let mut started = started.into_iter();
        for svc in &stage {
            let mine = started.by_ref().take(svc.containers.len()).collect();
            app.services.push((svc.name.clone(), mine));
        }
    }
    Ok(())
}

/// One failure of a batch as it is; several as one message listing them.
fn batch(action: &str, e: BatchError) -> DockerError {
    match e.failures.as_slice() {
        [one] if e.undo_failures.is_empty() => one.error.clone(),
        _ => DockerError::Failed {
            action: action.to_string(),
            message: e.to_string(),
        },
    }
}

/// Waits until container `c` of service `service` meets `condition`.
async fn reach(
    session: &RunSession,
    service: &str,
    c: &ContainerRef,
    condition: Condition,
    wait: Duration,
    dependent: &str,
) -> Result<()> {
    if condition == Condition::Started {
        return Ok(());
    }
    let shown = session.script_name(&c.name).to_string();
    let action = format!("start service {dependent:?}: wait for {service:?} ({shown})");
    let deadline = Instant::now() + wait;
    loop {
        let inspect = session.client().inspect_container(&c.id).await?;
        let state = inspect.state.unwrap_or_default();
        let exited = state.status == Some(ContainerStateStatusEnum::EXITED)
            || state.status == Some(ContainerStateStatusEnum::DEAD);
        let code = state.exit_code.unwrap_or_default();
        let health = state.health.unwrap_or_default();
        let failed = |message: String| DockerError::Failed {
            action: action.clone(),
            message,
        };
        match condition {
            Condition::CompletedSuccessfully if exited && code == 0 => return Ok(()),
            Condition::CompletedSuccessfully if exited => {
                return Err(failed(format!(
                    "it exited with code {code} (service_completed_successfully wants 0){}",
                    tail(session, c).await
                )));
            }
            Condition::Healthy
                if matches!(
                    health.status,
                    None | Some(HealthStatusEnum::NONE | HealthStatusEnum::EMPTY)
                ) =>
            {
                return Err(failed(
                    "it has no health check; condition service_healthy needs a `healthcheck` on it (or in its image)".into(),
                ));
            }
            Condition::Healthy if health.status == Some(HealthStatusEnum::HEALTHY) => return Ok(()),
            Condition::Healthy if health.status == Some(HealthStatusEnum::UNHEALTHY) => {
                return Err(failed(format!(
                    "its health check fails{}",
                    last_check(&health)
                )));
            }
            Condition::Healthy if exited => {
                return Err(failed(format!(
                    "it exited with code {code} before its health check passed{}",
                    tail(session, c).await
                )));
            }
            _ => {}
        }
        if Instant::now() >= deadline {
            let why = match condition {
                Condition::Healthy => format!(
                    "it did not become healthy within {} s{}",
                    wait.as_secs(),
                    last_check(&health)
                ),
                _ => format!("it did not run to its end within {} s", wait.as_secs()),
            };
            return Err(failed(why));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The last health check's output, as `; last check: …`.
fn last_check(health: &bollard::models::Health) -> String {
    let last = health.log.as_ref().and_then(|l| l.last());
    match last {
        Some(r) => format!(
            "; last check exited {}: {}",
            r.exit_code.unwrap_or_default(),
            r.output.as_deref().unwrap_or("").trim()
        ),
        None => String::new(),
    }
}

/// The last lines of a container's log, as `; its log ends: …`.
async fn tail(session: &RunSession, c: &ContainerRef) -> String {
    let logs = session.client().logs(&c.id).await.unwrap_or_default();
    let lines: Vec<&str> = logs.lines().collect();
    match lines.len() {
        0 => String::new(),
        n => format!(
            "; its log ends:\n{}",
            lines[n.saturating_sub(5)..].join("\n")
        ),
    }
}

/// Removes what a failed bring-up made: containers, then its own networks.
async fn undo(session: &RunSession, app: &App) {
    let ids: Vec<String> = app
        .services
        .iter()
        .flat_map(|(_, c)| c.iter().map(|c| c.id.clone()))
        .collect();
    let removals = ids.iter().map(|id| session.client().remove_container(id));
    futures_util::future::join_all(removals).await;
    session.forget(&ids);
    let own: Vec<&NetworkRef> = app
        .networks
        .iter()
        .map(|(_, n)| n)
        .filter(|n| {
            session
                .created()
                .iter()
                .any(|c| c.kind == ResourceKind::Network && c.id == n.id)
        })
        .collect();
    let net_ids: Vec<String> = own.iter().map(|n| n.id.clone()).collect();
    futures_util::future::join_all(own.iter().map(|n| session.client().remove_network(&n.id)))
        .await;
    session.forget(&net_ids);
}
