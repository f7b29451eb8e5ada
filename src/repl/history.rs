//! Where the REPL keeps its history: `$XDG_STATE_HOME/netrig/history`,
//! by default `~/.local/state/netrig/history`.

use std::ffi::OsString;
use std::path::PathBuf;

/// The history file for this user, or `None` when neither `XDG_STATE_HOME`
/// nor `HOME` says where that is.
pub(crate) fn path() -> Option<PathBuf> {
    path_from(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))
}

/// The XDG rule: `XDG_STATE_HOME` when it is an absolute path, else
/// `$HOME/.local/state`.
pub(crate) fn path_from(
    xdg_state_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    let state = xdg_state_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".local").join("state"))
        })?;
    Some(state.join("netrig").join("history"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_xdg_then_home() {
        assert_eq!(
            path_from(Some("/x/state".into()), Some("/home/a".into())),
            Some(PathBuf::from("/x/state/netrig/history"))
        );
        assert_eq!(
            path_from(Some("relative".into()), Some("/home/a".into())),
            Some(PathBuf::from("/home/a/.local/state/netrig/history"))
        );
        assert_eq!(
            path_from(None, Some("/home/a".into())),
            Some(PathBuf::from("/home/a/.local/state/netrig/history"))
        );
        assert_eq!(path_from(Some("".into()), None), None);
    }
}
