//! Reading a Compose file into a [`Plan`]: read the YAML, check every key
//! against what netrig supports, fill in variables, read the typed model,
//! then convert networks and services and order them.

use std::collections::HashMap;
use std::path::Path;

use docker_compose_types::Service;
use serde_norway::Value;

use super::error::{ComposeError, Problem};
use super::interpolate::{interpolate, key_text};
use super::networks::{self, Known};
use super::order::order;
use super::plan::{LoadOptions, Plan, PlannedService};
use super::services::{self, Context};
use super::source::{Source, env_file};
use super::{schema, typed};

/// What to say after a list of unsupported keys.
const UNSUPPORTED_HINT: &str =
    "Remove these keys, or pass `ignore_unsupported: true` to leave them out with a warning.";

/// Reads the Compose file at `file` into a plan.
pub(crate) fn load(file: &Path, opts: &LoadOptions) -> Result<Plan, ComposeError> {
    plan(Source::read(file)?, opts)
}

/// [`load`] for a file's text given here.
#[cfg(test)]
pub(crate) fn load_str(file: &Path, text: &str, opts: &LoadOptions) -> Result<Plan, ComposeError> {
    plan(Source::parse(file, text)?, opts)
}

fn plan(mut src: Source, opts: &LoadOptions) -> Result<Plan, ComposeError> {
    let vars = variables(&src, opts)?;
    let lookup = |name: &str| vars.get(name).cloned();
    if opts.image.is_some() {
        // The replacement image makes `build` moot.
        if let Some(Value::Mapping(services)) = src.value.get_mut("services") {
            for (_, svc) in services.iter_mut() {
                if let Value::Mapping(svc) = svc {
                    svc.remove("build");
                }
            }
        }
    }
    let mut warnings = Vec::new();
    let unsupported = schema::unsupported(&mut src.value, opts.ignore_unsupported);
    if !unsupported.is_empty() {
        if !opts.ignore_unsupported {
            return Err(src.error(unsupported, Some(UNSUPPORTED_HINT.into())));
        }
        warnings = unsupported;
        src.marks.place(&mut warnings);
    }
    let mut problems = Vec::new();
    if let Value::Mapping(top) = &mut src.value {
        for (k, v) in top.iter_mut() {
            let key = key_text(k);
            // Extension sections are templates, used through `<<` merges (already applied).
            if !key.starts_with("x-") {
                interpolate(v, &lookup, &key, &mut problems);
            }
        }
    }
    if !problems.is_empty() {
        return Err(src.error(problems, None));
    }
    let compose = typed::parse(src.value.clone()).map_err(|p| src.error(p, None))?;
    let project = project_name(opts, &vars, compose.name.as_deref(), &src.dir)
        .map_err(|p| src.error(vec![p], None))?;

    let mut profiles = opts.profiles.clone();
    if let Some(env) = vars.get("COMPOSE_PROFILES") {
        profiles.extend(
            env.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty()),
        );
    }
    let mut enabled: Vec<(String, Service)> = Vec::new();
    let mut disabled = Vec::new();
    for (name, svc) in &compose.services.0 {
        let svc = svc.clone().unwrap_or_default();
        if svc.profiles.is_empty() || svc.profiles.iter().any(|p| profiles.contains(p)) {
            enabled.push((name.clone(), svc));
        } else {
            disabled.push(name.clone());
        }
    }

    let mut known: HashMap<String, Known> = HashMap::new();
    let mut declared = Vec::new();
    for (key, settings) in &compose.networks.0 {
        let settings: Option<docker_compose_types::NetworkSettings> = settings.clone().into();
        match networks::convert(&project, key, settings.as_ref()) {
            Ok(k) => {
                known.insert(key.clone(), k);
            }
            Err(p) => problems.extend(p),
        }
        declared.push(key.clone());
    }
    if !known.contains_key("default") && !declared.iter().any(|k| k == "default") {
        known.insert(
            "default".into(),
            networks::convert(&project, "default", None).expect("a plain network converts"),
        );
        declared.push("default".into());
    }

    let mut containers = HashMap::new();
    for (name, svc) in &enabled {
        match services::container_names(&project, name, svc) {
            Ok(c) => {
                containers.insert(name.clone(), c);
            }
            Err(p) => problems.push(p),
        }
    }
    let ctx = Context {
        project: &project,
        dir: &src.dir,
        networks: &known,
        containers: &containers,
        vars: &lookup,
        opts,
    };
    let mut converted = Vec::new();
    for (name, svc) in &enabled {
        match services::convert(&ctx, name, svc) {
            Ok(c) => converted.push((name.clone(), c)),
            Err(p) => problems.extend(p),
        }
    }
    for name in match &opts.cmd {
        super::plan::CmdOverride::PerService(by) => by.keys().cloned().collect(),
        _ => Vec::new(),
    } {
        if !compose.services.0.contains_key(&name) {
            problems.push(Problem::at(
                "services",
                format!("the `cmd` option names service {name:?}, which this file does not have"),
            ));
        }
    }
    if !problems.is_empty() {
        problems.dedup();
        return Err(src.error(problems, None));
    }
    let written: Vec<_> = converted
        .iter()
        .map(|(n, c)| (n.clone(), c.depends_on.clone()))
        .collect();
    let ordered = order(&written, &disabled).map_err(|p| src.error(p, None))?;

    let used: Vec<&String> = converted
        .iter()
        .flat_map(|(_, c)| &c.network_keys)
        .collect();
    let networks = declared
        .iter()
        .filter(|k| used.contains(k))
        .filter_map(|k| known.get(k).map(|n| n.planned.clone()))
        .collect();
    let mut services: Vec<PlannedService> = converted
        .into_iter()
        .zip(ordered)
        .map(|((name, c), (depends_on, stage))| PlannedService {
            name,
            containers: c.containers,
            depends_on,
            stage,
        })
        .collect();
    services.sort_by_key(|s| s.stage);
    Ok(Plan {
        file: src.file.clone(),
        project,
        networks,
        services,
        warnings,
    })
}

/// `.env` beside the file, then the caller's environment on top.
fn variables(src: &Source, opts: &LoadOptions) -> Result<HashMap<String, String>, ComposeError> {
    let mut vars = HashMap::new();
    let dotenv = src.dir.join(".env");
    if dotenv.is_file() {
        let found = env_file(&dotenv).map_err(|e| src.error(vec![Problem::at("", e)], None))?;
        vars.extend(found);
    }
    vars.extend(opts.environment.clone());
    Ok(vars)
}

/// Compose's project name: the option, `COMPOSE_PROJECT_NAME`, the file's
/// `name:`, else the folder's name made lowercase with only `a-z0-9_-`.
fn project_name(
    opts: &LoadOptions,
    vars: &HashMap<String, String>,
    in_file: Option<&str>,
    dir: &Path,
) -> Result<String, Problem> {
    let valid = |n: &str| {
        n.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    };
    let rule =
        "a project name is lowercase letters, digits, '_' and '-', starting with a letter or digit";
    for (given, path, what) in [
        (opts.project.as_deref(), "", "the `project` option"),
        (
            vars.get("COMPOSE_PROJECT_NAME").map(String::as_str),
            "",
            "COMPOSE_PROJECT_NAME",
        ),
        (in_file, "name", "the file's name:"),
    ] {
        if let Some(n) = given.filter(|n| !n.is_empty()) {
            return match valid(n) {
                true => Ok(n.to_string()),
                false => Err(Problem::at(
                    path,
                    format!("{what} {n:?} is not a valid project name: {rule}"),
                )),
            };
        }
    }
    let folder = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let base = folder
        .file_name()
        .map(|f| f.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name: String = base
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect::<String>()
        .trim_start_matches(['_', '-'])
        .to_string();
    match name.is_empty() {
        true => Err(Problem::at(
            "",
            format!(
                "cannot make a project name from the folder {:?}; pass the `project` option",
                folder.display()
            ),
        )),
        false => Ok(name),
    }
}
