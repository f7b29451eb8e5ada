//! Progress display for long Docker work (pulls), on a terminal only.

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

/// True when stderr is a terminal, where progress bars make sense.
pub(crate) fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}
