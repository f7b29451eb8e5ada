//! Image operations: make sure an image is here (pulling if needed), pull,
//! build from a directory, list.

use std::path::Path;

use bollard::query_parameters::{BuildImageOptions, CreateImageOptions, ListImagesOptions};
use futures_util::StreamExt;
use serde_json::json;

use super::client::Client;
use super::error::{DockerError, Result};
use super::explain::DockerOp;

/// Whether netrig may pull an image it does not find on the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum PullPolicy {
    /// Pull an image that is not on the daemon, like `docker run` does.
    #[default]
    Missing,
    /// Never contact a registry: a missing image is an error (for CI and
    /// machines without a registry, where a pull can only fail slowly).
    Never,
}

impl PullPolicy {
    /// `missing` / `never` (any case, spaces around ignored); anything else is `None`.
    pub(crate) fn from_name(text: &str) -> Option<PullPolicy> {
        match text.trim().to_ascii_lowercase().as_str() {
            "missing" => Some(PullPolicy::Missing),
            "never" => Some(PullPolicy::Never),
            _ => None,
        }
    }

    /// The name [`PullPolicy::from_name`] reads: `missing` or `never`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            PullPolicy::Missing => "missing",
            PullPolicy::Never => "never",
        }
    }
}

/// What to say when `--pull never` stops a pull of `image`.
fn pulling_is_off(image: &str, action: String) -> DockerError {
    DockerError::NotFound {
        action,
        message: format!(
            "{image:?} is not on this machine and pulling is off (--pull never / NETRIG_PULL=never). \
             Build it with build(dir, tag), load it with `docker load`, or for busybox run `netrig setup`"
        ),
    }
}

/// One step of a pull, for progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullProgress {
    /// The image being pulled.
    pub(crate) image: String,
    /// The layer this line is about, if any.
    pub(crate) layer: Option<String>,
    /// Docker's status text (`Downloading`, `Pull complete`, …).
    pub(crate) status: String,
    /// Bytes done, when known.
    pub(crate) current: Option<u64>,
    /// Bytes in all, when known.
    pub(crate) total: Option<u64>,
}

/// Receives pull progress; the caller decides how (or whether) to show it.
pub(crate) type PullObserver = dyn Fn(&PullProgress) + Send + Sync;

/// One row of `images`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageSummary {
    /// Image id (`sha256:…`).
    pub(crate) id: String,
    /// Tags such as `busybox:latest`.
    pub(crate) tags: Vec<String>,
    /// Size in bytes.
    pub(crate) size: i64,
    /// Creation time, seconds since the epoch.
    pub(crate) created: i64,
}

/// Splits `name[:tag][@digest]` into the name and the tag or digest to
/// pull, defaulting to `latest` like the docker CLI (an empty tag would pull every tag).
pub(crate) fn split_reference(image: &str) -> (&str, String) {
    if let Some((name, digest)) = image.split_once('@') {
        return (name, digest.to_string());
    }
    let slash = image.rfind('/').map(|i| i + 1).unwrap_or(0);
    match image[slash..].rfind(':') {
        Some(i) => (&image[..slash + i], image[slash + i + 1..].to_string()),
        None => (image, "latest".to_string()),
    }
}

impl Client {
    /// The daemon's answer about one image (`GET /images/{name}/json`);
    /// netrig's own lookup, so never explained.
    async fn inspect_image(
        &self,
        image: &str,
    ) -> std::result::Result<bollard::models::ImageInspect, bollard::errors::Error> {
        let args = self.args(|| json!({"image": image}));
        self.api("GET /images/{name}/json", args, |d| d.inspect_image(image))
            .await
    }

    /// Makes sure `image` is on the daemon, pulling it when it is not.
    pub(crate) async fn ensure_image(&self, image: &str, observer: &PullObserver) -> Result<()> {
        match self.inspect_image(image).await {
            Ok(_) => Ok(()),
            Err(e) => match self.err(format!("look up image {image:?}"), e) {
                DockerError::NotFound { .. } if self.options().pull == PullPolicy::Never => {
                    Err(pulling_is_off(image, format!("find image {image:?}")))
                }
                DockerError::NotFound { .. } => self.pull(image, observer).await.map_err(|e| {
                    match e {
                        DockerError::Unreachable { .. } | DockerError::Interrupted { .. } => e,
                        other => DockerError::NotFound {
                            action: format!("find image {image:?}"),
                            message: format!(
                                "it is not on this machine and pulling it failed: {}. Build it with build(dir, tag) or load it with `docker load`",
                                inner_message(&other)
                            ),
                        },
                    }
                }),
                other => Err(other),
            },
        }
    }

    /// Pulls an image like `docker pull`, reporting progress to `observer`.
    /// Under `--pull never` it only checks the image is already here.
    pub(crate) async fn pull(&self, image: &str, observer: &PullObserver) -> Result<()> {
        let action = format!("pull image {image:?}");
        if self.options().pull == PullPolicy::Never {
            // Scripts that pull first still run offline when the image is here.
            return match self.inspect_image(image).await {
                Ok(_) => Ok(()),
                Err(_) => Err(pulling_is_off(image, action)),
            };
        }
        let (name, tag) = split_reference(image);
        self.explain(&DockerOp::Pull(image));
        let args = self.args(|| json!({"fromImage": name, "tag": &tag}));
        let mut stream = self.api_stream("POST /images/create", args, |d| {
            d.create_image(
                Some(CreateImageOptions {
                    from_image: Some(name.to_string()),
                    tag: Some(tag),
                    ..Default::default()
                }),
                None,
                None,
            )
        });
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| self.err(&action, e))?;
            if let Some(detail) = info.error_detail {
                return Err(DockerError::Failed {
                    action,
                    message: detail.message.unwrap_or_default(),
                });
            }
            let detail = info.progress_detail.unwrap_or_default();
            observer(&PullProgress {
                image: image.to_string(),
                layer: info.id,
                status: info.status.unwrap_or_default(),
                current: detail.current.and_then(|c| u64::try_from(c).ok()),
                total: detail.total.and_then(|t| u64::try_from(t).ok()),
            });
        }
        Ok(())
    }

    /// Builds the Dockerfile in `context_dir` and tags the result `tag`,
    /// sending each line of build output to `on_line`. Returns the image id.
    pub(crate) async fn build(
        &self,
        context_dir: &Path,
        tag: &str,
        on_line: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<String> {
        let action = format!("build {:?} from {}", tag, context_dir.display());
        if !context_dir.join("Dockerfile").is_file() {
            return Err(DockerError::InvalidArgument {
                action,
                message: format!("{} has no Dockerfile", context_dir.display()),
            });
        }
        let context = tar_directory(context_dir).map_err(|e| DockerError::InvalidArgument {
            action: action.clone(),
            message: format!("cannot read the build context: {e}"),
        })?;
        self.explain(&DockerOp::Build {
            context: &context_dir.display().to_string(),
            tag,
        });
        let args = self.args(|| json!({"t": tag, "context_bytes": context.len()}));
        let mut stream = self.api_stream("POST /build", args, |d| {
            d.build_image(
                BuildImageOptions {
                    dockerfile: "Dockerfile".into(),
                    t: Some(tag.to_string()),
                    rm: true,
                    forcerm: true,
                    ..Default::default()
                },
                None,
                Some(bollard::body_full(context.into())),
            )
        });
        let mut id = None;
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| self.err(&action, e))?;
            if let Some(detail) = info.error_detail {
                return Err(DockerError::Failed {
                    action,
                    message: detail.message.unwrap_or_default(),
                });
            }
            if let Some(line) = info.stream.as_deref() {
                for l in line.lines().filter(|l| !l.trim().is_empty()) {
                    on_line(l);
                }
            }
            if let Some(aux) = info.aux.and_then(|a| a.id) {
                id = Some(aux);
            }
        }
        match id {
            Some(id) => Ok(id),
            // Older daemons do not send the aux id: ask for the tag instead.
            None => self
                .inspect_image(tag)
                .await
                .map(|i| i.id.unwrap_or_default())
                .map_err(|e| self.err(&action, e)),
        }
    }

    /// Lists the images on the daemon, like `docker images`.
    pub(crate) async fn list_images(&self) -> Result<Vec<ImageSummary>> {
        self.explain(&DockerOp::Images);
        let images = self
            .api("GET /images/json", self.args(|| json!({})), |d| {
                d.list_images(Some(ListImagesOptions::default()))
            })
            .await
            .map_err(|e| self.err("list images", e))?;
        let mut rows: Vec<ImageSummary> = images
            .into_iter()
            .map(|i| ImageSummary {
                id: i.id,
                tags: i
                    .repo_tags
                    .into_iter()
                    .filter(|t| t != "<none>:<none>")
                    .collect(),
                size: i.size,
                created: i.created,
            })
            .collect();
        rows.sort_by(|a, b| a.tags.cmp(&b.tags));
        Ok(rows)
    }
}

/// The daemon's words without netrig's "action:" prefix.
fn inner_message(e: &DockerError) -> String {
    match e {
        DockerError::NotFound { message, .. }
        | DockerError::Conflict { message, .. }
        | DockerError::InvalidArgument { message, .. }
        | DockerError::Failed { message, .. }
        | DockerError::Daemon { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// A tar archive of a directory, as the build endpoint wants its context.
fn tar_directory(dir: &Path) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(true);
    builder.append_dir_all(".", dir)?;
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policies_read_their_names() {
        assert_eq!(PullPolicy::from_name("never"), Some(PullPolicy::Never));
        assert_eq!(PullPolicy::from_name(" NEVER "), Some(PullPolicy::Never));
        assert_eq!(PullPolicy::from_name("missing"), Some(PullPolicy::Missing));
        assert_eq!(PullPolicy::from_name("always"), None);
        for p in [PullPolicy::Missing, PullPolicy::Never] {
            assert_eq!(PullPolicy::from_name(p.name()), Some(p));
        }
    }

    #[test]
    fn references_default_to_latest() {
        assert_eq!(split_reference("busybox"), ("busybox", "latest".into()));
        assert_eq!(split_reference("busybox:1.36"), ("busybox", "1.36".into()));
        assert_eq!(
            split_reference("localhost:5000/team/app"),
            ("localhost:5000/team/app", "latest".into())
        );
        assert_eq!(
            split_reference("localhost:5000/app:v2"),
            ("localhost:5000/app", "v2".into())
        );
        assert_eq!(
            split_reference("app@sha256:abc"),
            ("app", "sha256:abc".into())
        );
    }
}
