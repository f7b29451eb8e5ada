//! What a script may reach outside its containers: host access (privileged
//! containers, the host network, big capabilities, host-attached network
//! drivers) and files (only below the script's own directory).
//!
//! `netrig run` and `netrig test` refuse host access unless
//! `--allow-host-access`; the REPL allows it with a warning, since a person
//! is typing. The run session checks what its creations ask of the host
//! (`docker/run/access.rs`); Rhai itself has no file or process access, and
//! the few netrig functions that touch files (`build`, `graph(#{file})`,
//! `import`) are kept inside the script's directory here, under the same
//! policy.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::error::{ScriptResult, throw};
use crate::docker::run::access::{AccessPolicy, HostAccess};

/// The error kind of a refused request.
pub(crate) const FORBIDDEN: &str = "forbidden";

/// The file checks of one engine, following the run's host-access policy.
#[derive(Debug)]
pub(crate) struct Sandbox {
    policy: Arc<AccessPolicy>,
}

impl Sandbox {
    /// File checks under the run's `policy` (`RunSession::access_policy`).
    pub(crate) fn new(policy: Arc<AccessPolicy>) -> Self {
        Sandbox { policy }
    }

    /// The current policy.
    pub(crate) fn host_access(&self) -> HostAccess {
        self.policy.get()
    }

    /// `path` resolved against `base_dir`; outside it only with host access.
    pub(crate) fn path(
        &self,
        function: &str,
        param: &str,
        base_dir: &Path,
        path: &str,
    ) -> ScriptResult<PathBuf> {
        let joined = base_dir.join(path);
        if self.host_access() != HostAccess::Refuse || is_below(base_dir, &joined) {
            return Ok(joined);
        }
        Err(throw(
            FORBIDDEN,
            function,
            format!(
                "{param} {path:?} is outside the script's directory {}; scenarios may only use files below it unless run with --allow-host-access",
                base_dir.display()
            ),
        ))
    }
}

/// Whether `path` stays below `base` once `.` and `..` are taken out
/// (lexically: a path to be written need not exist yet).
pub(crate) fn is_below(base: &Path, path: &Path) -> bool {
    let (Some(base), Some(path)) = (normalize(&absolute(base)), normalize(&absolute(path))) else {
        return false;
    };
    path.starts_with(base)
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}

fn normalize(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_stay_below_the_script() {
        let base = Path::new("/work/scenarios");
        assert!(is_below(base, &base.join("ctx/Dockerfile")));
        assert!(is_below(base, &base.join("./a/../b")));
        assert!(!is_below(base, &base.join("../etc")));
        assert!(!is_below(base, Path::new("/etc/passwd")));
        assert!(!is_below(base, &base.join("a/../../x")));
    }

    #[test]
    fn host_access_lets_files_outside_through() {
        let policy = Arc::new(AccessPolicy::default());
        let s = Sandbox::new(policy.clone());
        assert!(
            s.path("build", "the context directory", Path::new("/w"), "/etc")
                .is_err()
        );
        policy.set(HostAccess::Allow);
        assert!(
            s.path("build", "the context directory", Path::new("/w"), "/etc")
                .is_ok()
        );
    }

    #[test]
    fn files_outside_are_refused() {
        let s = Sandbox::new(Arc::default());
        let err = s
            .path("build", "the context directory", Path::new("/w"), "../x")
            .unwrap_err();
        let (_, message) = crate::script::error::netrig_error(&err).unwrap();
        assert!(
            message.contains("build(): the context directory \"../x\" is outside"),
            "{message}"
        );
    }
}
