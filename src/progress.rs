//! Progress display for long Docker work (pulls, long calls), on a terminal only.

use std::collections::HashMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::docker::image::{PullObserver, PullProgress};

/// An observer that draws one bar per layer on stderr when `enabled`,
/// and does nothing otherwise (scripts in CI should not fill logs with bars).
pub(crate) fn pull_observer(enabled: bool) -> Box<PullObserver> {
    if !enabled {
        return Box::new(|_: &PullProgress| {});
    }
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let bars: Mutex<HashMap<String, ProgressBar>> = Mutex::new(HashMap::new());
    let style =
        ProgressStyle::with_template("{prefix:>14} {msg:<12} [{bar:30}] {bytes}/{total_bytes}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    Box::new(move |p: &PullProgress| {
        let Some(layer) = &p.layer else {
            let _ = multi.println(format!("{}: {}", p.image, p.status));
            return;
        };
        let mut bars = bars.lock().expect("progress bars poisoned");
        let bar = bars.entry(layer.clone()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new(0));
            bar.set_style(style.clone());
            bar.set_prefix(layer.clone());
            bar
        });
        if let Some(total) = p.total {
            bar.set_length(total);
        }
        if let Some(current) = p.current {
            bar.set_position(current);
        }
        bar.set_message(p.status.clone());
        if p.status.starts_with("Pull complete") || p.status.starts_with("Already exists") {
            bar.finish();
        }
    })
}

/// A spinner on stderr for a call that takes a while: its name and the
/// seconds so far (a 40-second `ping` shows it is alive). Cleared when dropped.
pub(crate) struct Spinner(ProgressBar);

impl Spinner {
    /// Starts spinning with `what` (`ping()`), which has run for `since`.
    pub(crate) fn start(what: &str, since: std::time::Duration) -> Spinner {
        let bar =
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_elapsed(since);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed} (Ctrl-C stops it)")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(what.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Spinner(bar)
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// True when stderr is a terminal, where progress bars make sense.
pub(crate) fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}
