//! Start order from `depends_on`: unknown services and cycles are errors
//! that show where the entry is; the rest becomes start stages.

use std::collections::HashMap;

use super::error::Problem;
use super::plan::Dependency;
use super::services::WrittenDependency;

/// Checks the dependencies of the enabled services (`services`, in file
/// order) and gives each its dependencies and start stage. `disabled` are
/// services that exist but whose profile is off.
pub(crate) fn order(
    services: &[(String, Vec<WrittenDependency>)],
    disabled: &[String],
) -> Result<Vec<(Vec<Dependency>, usize)>, Vec<Problem>> {
    let index: HashMap<&str, usize> = services
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), i))
        .collect();
    let mut problems = Vec::new();
    let mut edges: Vec<Vec<(usize, &WrittenDependency)>> = vec![Vec::new(); services.len()];
    for (i, (name, deps)) in services.iter().enumerate() {
        for d in deps {
            match index.get(d.service.as_str()) {
                Some(&j) if j == i => problems.push(Problem::at(
                    &d.path,
                    format!("service {name:?} depends on itself"),
                )),
                Some(&j) => edges[i].push((j, d)),
                None if disabled.contains(&d.service) && !d.required => {}
                None if disabled.contains(&d.service) => problems.push(Problem::at(
                    &d.path,
                    format!(
                        "service {name:?} depends on {:?}, whose profile is not enabled; enable it with the `profiles` option, or mark the dependency `required: false`",
                        d.service
                    ),
                )),
                None => {
                    let known: Vec<&str> = services.iter().map(|(n, _)| n.as_str()).collect();
                    problems.push(Problem::at(
                        &d.path,
                        format!(
                            "service {name:?} depends on {:?}, which is not a service of this file (services: {})",
                            d.service,
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if let Some(cycle) = find_cycle(&edges) {
        let names: Vec<&str> = cycle.iter().map(|&i| services[i].0.as_str()).collect();
        let first = edges[cycle[0]]
            .iter()
            .find(|(j, _)| *j == cycle[1])
            .map(|(_, d)| d.path.clone())
            .unwrap_or_default();
        return Err(vec![Problem::at(
            first,
            format!(
                "depends_on goes round in a cycle: {}; no service of it could start first",
                names.join(" → ")
            ),
        )]);
    }
    let mut stage: Vec<Option<usize>> = vec![None; services.len()];
    fn stage_of(
        i: usize,
        edges: &[Vec<(usize, &WrittenDependency)>],
        stage: &mut [Option<usize>],
    ) -> usize {
        if let Some(s) = stage[i] {
            return s;
        }
        let s = edges[i]
            .iter()
            .map(|(j, _)| stage_of(*j, edges, stage) + 1)
            .max()
            .unwrap_or(0);
        stage[i] = Some(s);
        s
    }
    Ok((0..services.len())
        .map(|i| {
            let deps = edges[i]
                .iter()
                .map(|(_, d)| Dependency {
                    service: d.service.clone(),
                    condition: d.condition,
                })
                .collect();
            (deps, stage_of(i, &edges, &mut stage))
        })
        .collect())
}

/// A cycle as service indexes, first repeated at the end (`[a, b, a]`).
fn find_cycle(edges: &[Vec<(usize, &WrittenDependency)>]) -> Option<Vec<usize>> {
    // 0: not seen, 1: on the current path, 2: done.
    let mut state = vec![0u8; edges.len()];
    let mut path = Vec::new();
    fn visit(
        i: usize,
        edges: &[Vec<(usize, &WrittenDependency)>],
        state: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[i] = 1;
        path.push(i);
        for (j, _) in &edges[i] {
            match state[*j] {
                1 => {
                    let start = path.iter().position(|p| p == j).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(*j);
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(*j, edges, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state[i] = 2;
        None
    }
    (0..edges.len()).find_map(|i| match state[i] {
        0 => visit(i, edges, &mut state, &mut path),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::plan::Condition;

    fn dep(service: &str, from: &str) -> WrittenDependency {
        WrittenDependency {
            service: service.into(),
            condition: Condition::Started,
            required: true,
            path: format!("services.{from}.depends_on.{service}"),
        }
    }

    fn svc(name: &str, deps: &[&str]) -> (String, Vec<WrittenDependency>) {
        (name.into(), deps.iter().map(|d| dep(d, name)).collect())
    }

    #[test]
    fn stages_follow_dependencies() {
        let s = [
            svc("web", &["api"]),
            svc("api", &["db", "cache"]),
            svc("db", &[]),
            svc("cache", &[]),
        ];
        let stages: Vec<usize> = order(&s, &[])
            .unwrap()
            .into_iter()
            .map(|(_, st)| st)
            .collect();
        assert_eq!(stages, vec![2, 1, 0, 0]);
    }

    #[test]
    fn cycles_are_named_in_order() {
        let s = [
            svc("web", &["api"]),
            svc("api", &["db"]),
            svc("db", &["web"]),
        ];
        let e = order(&s, &[]).unwrap_err();
        assert_eq!(e[0].path, "services.web.depends_on.api");
        assert!(
            e[0].message.contains("web → api → db → web"),
            "{}",
            e[0].message
        );
        let own = order(&[svc("a", &["a"])], &[]).unwrap_err();
        assert!(own[0].message.contains("depends on itself"));
    }

    #[test]
    fn unknown_and_disabled_services() {
        let e = order(&[svc("web", &["dbb"]), svc("db", &[])], &[]).unwrap_err();
        assert!(
            e[0].message
                .contains("\"dbb\", which is not a service of this file (services: web, db)"),
            "{}",
            e[0].message
        );
        let e = order(&[svc("web", &["debug"])], &["debug".into()]).unwrap_err();
        assert!(
            e[0].message.contains("profile is not enabled"),
            "{}",
            e[0].message
        );
        let mut optional = svc("web", &["debug"]);
        optional.1[0].required = false;
        assert_eq!(order(&[optional], &["debug".into()]).unwrap()[0].0, vec![]);
    }
}
