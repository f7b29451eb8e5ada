//! What a script may reach outside its containers: host access (privileged
//! containers, the host network, big capabilities, host-attached network
//! drivers) and files (only below the script's own directory).
//!
//! `netrig run` and `netrig test` refuse host access unless
//! `--allow-host-access`; the REPL allows it with a warning, since a person
//! is typing. Rhai itself has no file or process access; the few netrig
//! functions that touch files (`build`, `graph(#{file})`, `import`) stay
//! inside the script's directory unless host access is allowed.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};

use super::error::{ScriptResult, throw};

/// The error kind of a refused request.
pub const FORBIDDEN: &str = "forbidden";

/// How a run treats requests for host access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum HostAccess {
    /// Refuse them (`netrig run`, `netrig test`).
    Refuse = 0,
    /// Allow them, with a warning on stderr (the REPL).
    Warn = 1,
    /// Allow them (`--allow-host-access`).
    Allow = 2,
}

/// The policy of one engine; settable after the engine is built.
#[derive(Debug, Default)]
pub struct Sandbox {
    host_access: AtomicU8,
}

impl Sandbox {
    /// The current policy.
    pub fn host_access(&self) -> HostAccess {
        match self.host_access.load(Ordering::SeqCst) {
            2 => HostAccess::Allow,
            1 => HostAccess::Warn,
            _ => HostAccess::Refuse,
        }
    }

    /// Changes the policy.
    pub fn set_host_access(&self, mode: HostAccess) {
        self.host_access.store(mode as u8, Ordering::SeqCst);
    }

    /// Passes when `reasons` is empty or host access is allowed; otherwise
    /// fails naming the first reason and the flag that allows it.
    pub fn check(&self, function: &str, reasons: &[String]) -> ScriptResult<()> {
        let Some(first) = reasons.first() else {
            return Ok(());
        };
        match self.host_access() {
            HostAccess::Allow => Ok(()),
            HostAccess::Warn => {
                for r in reasons {
                    eprintln!("netrig: warning: {function}(): {r}");
                }
                Ok(())
            }
            HostAccess::Refuse => Err(throw(
                FORBIDDEN,
                function,
                format!(
                    "{first}; scenarios may not reach the host unless you run them with --allow-host-access"
                ),
            )),
        }
    }

    /// `path` resolved against `base_dir`; outside it only with host access.
    pub fn path(
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
pub fn is_below(base: &Path, path: &Path) -> bool {
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
    fn refusals_name_the_reason_and_the_flag() {
        let s = Sandbox::default();
        assert!(s.check("run", &[]).is_ok());
        let err = s
            .check("run", &["option \"privileged\" gives …".into()])
            .unwrap_err();
        let (kind, message) = crate::script::error::netrig_error(&err).unwrap();
        assert_eq!(kind, FORBIDDEN);
        assert!(
            message.contains("run(): option \"privileged\""),
            "{message}"
        );
        assert!(message.contains("--allow-host-access"), "{message}");
        s.set_host_access(HostAccess::Allow);
        assert!(s.check("run", &["x".into()]).is_ok());
        assert!(
            s.path("build", "the context directory", Path::new("/w"), "/etc")
                .is_ok()
        );
    }

    #[test]
    fn files_outside_are_refused() {
        let s = Sandbox::default();
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
