//! Image functions: `pull`, `build`, `images`.

use rhai::{Array, Dynamic, Map};

use super::api::{Api, Call};
use super::error::ScriptResult;

/// Defines `pull`, `build` and `images`.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "pull",
        &["image: String"],
        "Pull an image from its registry, with progress on a terminal.\n```rhai\npull(\"alpine:3.20\");\n```",
        pull,
    );
    api.function(
        "build",
        &["context_dir: String", "tag: String", "String"],
        "Build the Dockerfile in `context_dir` (relative to the script) and tag the image; returns its id.\n\
         ```rhai\nbuild(\"images/probe\", \"probe:dev\");\n```",
        build,
    );
    api.function(
        "images",
        &["Array"],
        "Images on the daemon, like `docker images`: maps with `tags`, `id`, `size_mb`.\n\
         ```rhai\nfor i in images() { print(i.tags); }\n```",
        images,
    );
}

fn pull(cx: &Call, image: Dynamic) -> ScriptResult<()> {
    let image = cx.string("the image", &image)?;
    let observer = crate::progress::pull_observer(cx.show_progress);
    cx.wait(cx.client().pull(&image, &*observer))
}

fn build(cx: &Call, dir: Dynamic, tag: Dynamic) -> ScriptResult<String> {
    let dir = cx.string("the context directory", &dir)?;
    let tag = cx.string("the tag", &tag)?;
    let path = cx.path("the context directory", &dir)?;
    let show = cx.show_progress;
    let on_line = move |line: &str| {
        if show {
            eprintln!("  {line}");
        }
    };
    cx.wait(cx.client().build(&path, &tag, &on_line))
}

fn images(cx: &Call) -> ScriptResult<Array> {
    let rows = cx.wait(cx.client().list_images())?;
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
        .collect())
}
