//! `compose::up(path[, opts])`: a Compose file's networks and services as
//! resources of the run, returned as handles by name.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use rhai::{Array, Dynamic, Map};

use super::api::{Api, Call};
use super::convert::{ArgResult, Options, command_words, describe};
use super::error::ScriptResult;
use crate::compose::plan::{CmdOverride, LoadOptions};
use crate::compose::up::App;

/// Defines `compose::up`.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "compose::up",
        &["path: String", "[opts: Map]", "Map"],
        "Bring up a Compose file (relative to the script) as resources of this run: its networks,\n\
         then its services in `depends_on` order, named as Compose names them. Returns\n\
         `#{project, services, networks, warnings}`: `services.web` is a container handle (an\n\
         array of them for a service with replicas), `networks.front` a network handle.\n\
         Options: `project`, `profiles`, `env` (variables for `${VAR}`), `image` and `cmd` (replace\n\
         every service's image and command; `cmd` may be a map by service), `ignore_unsupported`,\n\
         `wait` (seconds to wait for a dependency to become healthy, default 120).\n\
         ```rhai\nlet app = compose::up(\"compose.yml\", #{image: \"busybox\", cmd: \"sleep 3600\"});\n\
         assert_unreachable(app.services.web, app.services.db);\n```",
        up,
    );
}

fn up(cx: &Call, path: Dynamic, opts: Dynamic) -> ScriptResult<Map> {
    let given = cx.string("the Compose file", &path)?;
    let file = cx.path("the Compose file", &given)?;
    let (options, wait) = compose_options(opts).map_err(|e| cx.invalid(e))?;
    let plan = crate::compose::load::load(&file, &options).map_err(|mut e| {
        // Name the file as the script did, not by its absolute path.
        e.file = PathBuf::from(&given);
        cx.invalid(e.to_string())
    })?;
    let mut warnings = Array::new();
    for w in &plan.warnings {
        let text = w.render(std::path::Path::new(&given));
        eprintln!("netrig: warning: {text} (left out: ignore_unsupported)");
        warnings.push(text.into());
    }
    let observer = crate::progress::pull_observer(cx.show_progress);
    let app = cx.wait(crate::compose::up::up(&cx.session, &plan, &*observer, wait))?;
    Ok(app_map(cx, &app, warnings))
}

/// `#{project, services, networks, warnings}` with handles that remember this daemon.
fn app_map(cx: &Call, app: &App, warnings: Array) -> Map {
    let mut services = Map::new();
    for (name, containers) in &app.services {
        let handles: Array = containers
            .iter()
            .map(|c| Dynamic::from(cx.container_handle(c.id.clone(), &c.name)))
            .collect();
        let value = match <[Dynamic; 1]>::try_from(handles) {
            Ok([one]) => one,
            Err(many) => many.into(),
        };
        services.insert(name.as_str().into(), value);
    }
    let mut networks = Map::new();
    for (key, net) in &app.networks {
        networks.insert(
            key.as_str().into(),
            Dynamic::from(cx.network_handle(net.id.clone(), &net.name)),
        );
    }
    let mut m = Map::new();
    m.insert("project".into(), app.project.clone().into());
    m.insert("services".into(), services.into());
    m.insert("networks".into(), networks.into());
    m.insert("warnings".into(), warnings.into());
    m
}

/// Options accepted by `compose::up`.
pub(crate) const COMPOSE_OPTIONS: &[&str] = &[
    "project",
    "profiles",
    "image",
    "cmd",
    "env",
    "ignore_unsupported",
    "wait",
];

/// How long `compose::up` waits for a dependency's condition unless `wait` says.
pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(120);

/// `compose::up`'s options, with the process environment for `${VAR}`.
pub(crate) fn compose_options(opts: Dynamic) -> ArgResult<(LoadOptions, Duration)> {
    let mut o = Options::new(opts, COMPOSE_OPTIONS)?;
    let mut environment: HashMap<String, String> = std::env::vars().collect();
    environment.extend(o.string_map("env")?);
    let cmd = match o.take("cmd") {
        None => CmdOverride::Keep,
        Some(v) => match v.clone().try_cast::<Map>() {
            Some(by_service) => CmdOverride::PerService(
                by_service
                    .iter()
                    .map(|(svc, c)| {
                        command_words(&format!("option \"cmd\" for service \"{svc}\""), c)
                            .map(|w| (svc.to_string(), w))
                    })
                    .collect::<ArgResult<_>>()?,
            ),
            None => CmdOverride::All(
                command_words("option \"cmd\"", &v)
                    .map_err(|e| format!("{e}; or give a map of service name to command"))?,
            ),
        },
    };
    let wait = match o.take("wait") {
        None => DEFAULT_WAIT,
        Some(v) => {
            let secs = v
                .as_int()
                .map(|i| i as f64)
                .or_else(|_| v.as_float())
                .ok()
                .filter(|s| *s > 0.0 && *s <= 86_400.0)
                .ok_or_else(|| {
                    format!(
                        "option \"wait\" must be a number of seconds above 0, got {}",
                        describe(&v)
                    )
                })?;
            Duration::from_secs_f64(secs)
        }
    };
    let options = LoadOptions {
        project: o.string("project")?,
        profiles: o.strings("profiles")?,
        image: o.string("image")?,
        cmd,
        environment,
        ignore_unsupported: o.bool("ignore_unsupported")?,
    };
    if options
        .image
        .as_deref()
        .is_some_and(|i| i.trim().is_empty())
    {
        return Err("option \"image\" is empty; give an image like \"busybox\"".into());
    }
    Ok((options, wait))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rhai::Engine;

    fn map(src: &str) -> Dynamic {
        Engine::new().eval::<Dynamic>(src).unwrap()
    }

    #[test]
    fn options_become_load_options() {
        let (o, wait) = compose_options(map(
            r#"#{project: "shop", profiles: "debug", image: "busybox", cmd: "sleep 300",
                env: #{TAG: 2}, ignore_unsupported: true, wait: 2.5}"#,
        ))
        .unwrap();
        assert_eq!(o.project.as_deref(), Some("shop"));
        assert_eq!(o.profiles, vec!["debug"]);
        assert_eq!(o.image.as_deref(), Some("busybox"));
        assert_eq!(o.cmd, CmdOverride::All(vec!["sleep".into(), "300".into()]));
        assert_eq!(o.environment["TAG"], "2");
        assert!(
            o.environment.contains_key("PATH"),
            "the process environment is there too"
        );
        assert!(o.ignore_unsupported);
        assert_eq!(wait, Duration::from_millis(2500));
        let (o, wait) =
            compose_options(map(r#"#{cmd: #{web: ["httpd", "-f"], db: "nc -l"}}"#)).unwrap();
        let CmdOverride::PerService(by) = o.cmd else {
            panic!("a map is per service")
        };
        assert_eq!(by["db"], vec!["nc", "-l"]);
        assert_eq!(wait, DEFAULT_WAIT);
        let (o, _) = compose_options(Dynamic::UNIT).unwrap();
        assert_eq!(o.cmd, CmdOverride::Keep);
    }

    #[test]
    fn bad_options_say_what_they_want() {
        let err = |src: &str| compose_options(map(src)).unwrap_err();
        assert!(err(r#"#{projct: "x"}"#).contains("did you mean \"project\""));
        assert!(err(r#"#{cmd: 5}"#).contains("or give a map of service name to command"));
        assert!(err(r#"#{cmd: #{web: 5}}"#).contains("option \"cmd\" for service \"web\""));
        assert!(err(r#"#{wait: 0}"#).contains("option \"wait\" must be a number of seconds"));
        assert!(err(r#"#{image: ""}"#).contains("option \"image\" is empty"));
        assert!(err(r#"#{ignore_unsupported: "yes"}"#).contains("must be true or false"));
    }
}
