//! Image functions: `pull`, `build`, `images`.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, Map};

use super::context::ScriptContext;
use super::error::ScriptResult;
use super::{register, string_arg};

/// Registers `pull`, `build` and `images`.
pub fn register_all(engine: &mut Engine, ctx: &Arc<ScriptContext>) {
    let c = ctx.clone();
    register(
        engine,
        "pull",
        &["image: String"],
        "Pull an image from its registry, with progress on a terminal.\n```rhai\npull(\"alpine:3.20\");\n```",
        move |image: Dynamic| {
            let image = string_arg("pull", "the image", &image)?;
            let observer = crate::progress::pull_observer(c.show_progress);
            c.wait("pull", c.client().pull(&image, &*observer))
        },
    );

    let c = ctx.clone();
    register(
        engine,
        "build",
        &["context_dir: String", "tag: String", "String"],
        "Build the Dockerfile in `context_dir` (relative to the script) and tag the image; returns its id.\n\
         ```rhai\nbuild(\"images/probe\", \"probe:dev\");\n```",
        move |dir: Dynamic, tag: Dynamic| {
            let dir = string_arg("build", "the context directory", &dir)?;
            let tag = string_arg("build", "the tag", &tag)?;
            let path = c.path("build", "the context directory", &dir)?;
            let show = c.show_progress;
            let on_line = move |line: &str| {
                if show {
                    eprintln!("  {line}");
                }
            };
            c.wait("build", c.client().build(&path, &tag, &on_line))
        },
    );

    let c = ctx.clone();
    register(
        engine,
        "images",
        &["Array"],
        "Images on the daemon, like `docker images`: maps with `tags`, `id`, `size_mb`.\n\
         ```rhai\nfor i in images() { print(i.tags); }\n```",
        move || -> ScriptResult<Array> {
            let rows = c.wait("images", c.client().list_images())?;
            Ok(rows
                .into_iter()
                .map(|i| {
                    let mut m = Map::new();
                    m.insert(
                        "tags".into(),
                        i.tags
                            .into_iter()
                            .map(Dynamic::from)
                            .collect::<Array>()
                            .into(),
                    );
                    m.insert("id".into(), crate::text::short_id(&i.id).to_string().into());
                    m.insert("size_mb".into(), ((i.size as f64) / 1e6).into());
                    m.insert("created".into(), i.created.into());
                    Dynamic::from_map(m)
                })
                .collect::<Array>())
        },
    );
}
