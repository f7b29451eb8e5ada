//! `netrig setup`: make a machine ready for the scenarios — a daemon that
//! answers and a `busybox:latest` image, built from the host's static
//! busybox when no registry can provide one.

use std::path::Path;

use tokio::runtime::Runtime;

use super::Context;
use crate::docker::DockerError;
use crate::error::{Error, Result};
use crate::rig::report::note;

/// The image the seed scripts and tests use.
pub(crate) const BUSYBOX: &str = "busybox:latest";
/// Where Debian's busybox-static puts its binary.
pub(crate) const HOST_BUSYBOX: &str = "/bin/busybox";

/// The Dockerfile for a busybox image FROM scratch: the static binary and its applet links.
pub(crate) const BUSYBOX_DOCKERFILE: &str = "FROM scratch\n\
COPY busybox /bin/busybox\n\
RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
CMD [\"sh\"]\n";

/// Runs `netrig setup`.
pub(crate) fn execute(ctx: &Context) -> Result {
    let runtime = &ctx.runtime;
    let client = ctx.connect()?;
    let version = runtime
        .block_on(client.server_version())
        .unwrap_or_default();
    note(format!(
        "Docker {version} at {} answers (API {})",
        client.host(),
        client.api_version()
    ));

    let quiet = |_: &crate::docker::image::PullProgress| {};
    match runtime.block_on(client.ensure_image(BUSYBOX, &quiet)) {
        Ok(()) => {
            note(format!("{BUSYBOX} is ready"));
            return Ok(());
        }
        Err(DockerError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    if !Path::new(HOST_BUSYBOX).is_file() {
        return Err(Error::Failed(format!(
            "{BUSYBOX} is not here, no registry provides it, and there is no {HOST_BUSYBOX} to build it from.\n\
             Install a static busybox (Debian/Ubuntu: apt-get install busybox-static) and run `netrig setup` again,\n\
             or load an image with `docker load -i busybox.tar`."
        )));
    }
    note(format!(
        "no registry provides {BUSYBOX}; building it from {HOST_BUSYBOX}"
    ));
    let id = build_busybox(runtime, &client).map_err(Error::Failed)?;
    note(format!("{BUSYBOX} built ({})", crate::text::short_id(&id)));
    Ok(())
}

fn build_busybox(runtime: &Runtime, client: &crate::docker::Client) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("netrig-busybox-{}", std::process::id()));
    let result = (|| {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("Dockerfile"), BUSYBOX_DOCKERFILE).map_err(|e| e.to_string())?;
        std::fs::copy(HOST_BUSYBOX, dir.join("busybox")).map_err(|e| e.to_string())?;
        runtime
            .block_on(client.build(&dir, BUSYBOX, &|_| {}))
            .map_err(|e| e.to_string())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
