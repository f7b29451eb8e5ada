//! The floor: the Engine API calls the scale case needs and nothing else,
//! made with bollard at a chosen concurrency — networks, then each
//! container created and started, then one exec'd ping per check, then
//! teardown with each network removed as soon as its containers are gone.
//! No name checks, no image look-up, no inspects, no labels beyond the
//! benchmark's own: what is left is the daemon's own cost, so netrig's time
//! over this is netrig's overhead.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{ContainerCreateBody, HostConfig, Ipam, IpamConfig, NetworkCreateRequest};
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions};
use futures_util::{StreamExt, stream};
use tokio::sync::Mutex;

/// What the floor does: the same networks, containers and pings as the
/// netrig script and the CLI script of the same case.
pub(crate) struct Plan {
    /// Network name and subnet.
    pub networks: Vec<(String, String)>,
    /// Container name and the index of its network.
    pub containers: Vec<(String, usize)>,
    /// Pings: from, to (container names).
    pub pings: Vec<(String, String)>,
    /// Labels on every resource.
    pub labels: HashMap<String, String>,
    /// The image.
    pub image: String,
}

/// Seconds per phase.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Phases {
    pub networks: f64,
    pub up: f64,
    pub checks: f64,
    pub teardown: f64,
}

/// Runs the plan with at most `concurrency` requests in flight per phase.
pub(crate) async fn run(
    docker: &Docker,
    plan: &Plan,
    concurrency: usize,
) -> Result<Phases, String> {
    let mut phases = Phases::default();

    let t = Instant::now();
    let ids: Vec<String> = all(
        plan.networks.iter().map(|(name, subnet)| {
            let request = NetworkCreateRequest {
                name: name.clone(),
                labels: Some(plan.labels.clone()),
                ipam: Some(Ipam {
                    config: Some(vec![IpamConfig {
                        subnet: Some(subnet.clone()),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
                ..Default::default()
            };
            async move {
                docker
                    .create_network(request)
                    .await
                    .map(|r| r.id)
                    .map_err(|e| format!("create network {name}: {e}"))
            }
        }),
        concurrency,
    )
    .await?;
    phases.networks = t.elapsed().as_secs_f64();

    let t = Instant::now();
    all(
        plan.containers.iter().map(|(name, net)| {
            let body = ContainerCreateBody {
                image: Some(plan.image.clone()),
                cmd: Some(vec!["sleep".into(), "3600".into()]),
                labels: Some(plan.labels.clone()),
                host_config: Some(HostConfig {
                    network_mode: Some(plan.networks[*net].0.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            };
            async move {
                let options = CreateContainerOptions {
                    name: Some(name.clone()),
                    ..Default::default()
                };
                let id = docker
                    .create_container(Some(options), body)
                    .await
                    .map_err(|e| format!("create {name}: {e}"))?
                    .id;
                docker
                    .start_container(&id, None)
                    .await
                    .map_err(|e| format!("start {name}: {e}"))
            }
        }),
        concurrency,
    )
    .await?;
    phases.up = t.elapsed().as_secs_f64();

    let t = Instant::now();
    all(
        plan.pings.iter().map(|(from, to)| async move {
            let exec = docker
                .create_exec(
                    from,
                    CreateExecOptions::<String> {
                        attach_stdout: Some(true),
                        attach_stderr: Some(true),
                        cmd: Some(vec![
                            "ping".into(),
                            "-c".into(),
                            "1".into(),
                            "-W".into(),
                            "1".into(),
                            to.clone(),
                        ]),
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| format!("exec in {from}: {e}"))?;
            if let StartExecResults::Attached { mut output, .. } = docker
                .start_exec(&exec.id, None)
                .await
                .map_err(|e| format!("start exec in {from}: {e}"))?
            {
                while output.next().await.is_some() {}
            }
            let code = docker
                .inspect_exec(&exec.id)
                .await
                .map_err(|e| format!("inspect exec in {from}: {e}"))?
                .exit_code;
            match code {
                Some(0) => Ok(()),
                other => Err(format!("{from} got no answer from {to} (exit {other:?})")),
            }
        }),
        concurrency,
    )
    .await?;
    phases.checks = t.elapsed().as_secs_f64();

    // Each network goes as soon as its last container is gone.
    let t = Instant::now();
    let mut left = vec![0usize; plan.networks.len()];
    for (_, net) in &plan.containers {
        left[*net] += 1;
    }
    let left = Arc::new(Mutex::new(left));
    let ids = &ids;
    let results: Vec<Result<(), String>> =
        stream::iter(plan.containers.iter().map(|(name, net)| {
            let left = left.clone();
            async move {
                docker
                    .remove_container(
                        name,
                        Some(RemoveContainerOptions {
                            force: true,
                            ..Default::default()
                        }),
                    )
                    .await
                    .map_err(|e| format!("remove {name}: {e}"))?;
                let last = {
                    let mut left = left.lock().await;
                    left[*net] -= 1;
                    left[*net] == 0
                };
                if last {
                    docker
                        .remove_network(&ids[*net])
                        .await
                        .map_err(|e| format!("remove network {}: {e}", plan.networks[*net].0))?;
                }
                Ok(())
            }
        }))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    results.into_iter().collect::<Result<Vec<()>, String>>()?;
    phases.teardown = t.elapsed().as_secs_f64();
    Ok(phases)
}

/// Runs the futures with at most `concurrency` at once; all their results, or the first error.
async fn all<T, F>(futures: impl Iterator<Item = F>, concurrency: usize) -> Result<Vec<T>, String>
where
    F: std::future::Future<Output = Result<T, String>>,
{
    stream::iter(futures)
        .buffered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}
