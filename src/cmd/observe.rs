//! What a run records besides its result: a trace of its Docker calls
//! (`--trace FILE`), the docker CLI lines behind them (`--explain`), and
//! packet captures of its containers (`--capture DIR`). Set up before the
//! run's client exists (they travel down in its `ClientOptions`), and
//! closed on every kind of end, like teardown.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::capture::CaptureSet;
use crate::docker::ClientOptions;
use crate::docker::explain::Explainer;
use crate::error::{Error, Result};
use crate::rig::report::note;
use crate::text::plural;
use crate::trace::{Category, Span, Tracer};

/// The recorders of one run, and the client options that carry them.
pub(crate) struct Observe {
    /// The daemon options with the tracer, the explainer and the capture hook in.
    pub(crate) options: ClientOptions,
    trace_file: Option<PathBuf>,
    captures: Option<Arc<CaptureSet>>,
}

impl Observe {
    /// Opens the trace file and the capture directory (an unwritable one is
    /// a usage error now, before anything is made) and switches
    /// explanations on, over `base`.
    pub(crate) fn start(
        base: &ClientOptions,
        title: &str,
        trace: Option<&Path>,
        explain: bool,
        capture: Option<&Path>,
    ) -> Result<Observe> {
        let mut options = base.clone();
        if let Some(path) = trace {
            options.tracer = Tracer::to_file(path, title).map_err(|e| {
                Error::Usage(format!(
                    "--trace: cannot write the trace file {}: {e}",
                    path.display()
                ))
            })?;
        }
        if explain {
            options.explain = Explainer::to_stderr(true);
        }
        let captures = match capture {
            Some(dir) => {
                let set = Arc::new(CaptureSet::new(dir).map_err(|e| Error::Usage(e.to_string()))?);
                options.started = set.follower();
                Some(set)
            }
            None => None,
        };
        Ok(Observe {
            options,
            trace_file: trace.map(Path::to_path_buf),
            captures,
        })
    }

    /// A span of the run itself (the script, the teardown), so the trace
    /// shows where the Docker calls sit.
    pub(crate) fn span(&self, name: &str) -> Span {
        self.options
            .tracer
            .span(Category::Script, name, serde_json::Value::default)
    }

    /// Stops the captures, flushing their files, and says what they hold;
    /// false when one could not be written. Safe to call again.
    pub(crate) fn stop_captures(&self) -> bool {
        let Some(set) = &self.captures else {
            return true;
        };
        let mut ok = true;
        let (mut files, mut packets) = (0, 0);
        for result in set.stop_all() {
            match result {
                Ok(summary) => {
                    files += 1;
                    packets += summary.packets;
                }
                Err(e) => {
                    ok = false;
                    note(format!("--capture: {e}"));
                }
            }
        }
        if files > 0 {
            note(format!(
                "captured {} of {} into {}",
                plural(packets as usize, "packet"),
                plural(files, "container"),
                set.dir().display()
            ));
        }
        ok
    }

    /// Stops the captures and closes the trace; false when either could not
    /// be written completely (a full disk), which the caller reports as a
    /// failed run.
    pub(crate) fn finish(&self) -> bool {
        let captured = self.stop_captures();
        let traced = match (&self.trace_file, self.options.tracer.finish()) {
            (Some(path), Ok(())) => {
                note(format!(
                    "trace written to {} (open it in https://ui.perfetto.dev or chrome://tracing)",
                    path.display()
                ));
                true
            }
            (Some(path), Err(e)) => {
                note(format!(
                    "--trace: the trace file {} is incomplete: {e}",
                    path.display()
                ));
                false
            }
            (None, _) => true,
        };
        captured && traced
    }
}
