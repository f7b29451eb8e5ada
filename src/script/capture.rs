//! `capture(ctr[, opts])`: a packet capture inside a container's network
//! namespace, as a handle whose `.stop()` says what it wrote. The captures
//! a script starts are also kept in [`Running`], so the run stops and
//! flushes them when it ends however it ends (an error, Ctrl-C, SIGTERM,
//! `--timeout`), before teardown takes the containers away.

use std::fmt;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rhai::{Dynamic, Engine, Map};

use super::api::{Api, Call};
use super::convert::Options;
use super::error::{ScriptResult, throw};
use crate::capture::{Capture, CaptureOptions, CaptureSummary, CaptureTarget};
use crate::docker::DockerError;

const CAPTURE_OPTIONS: &[&str] = &["network", "filter", "file", "max_packets", "secs"];

/// Defines `capture` and the capture handle's `stop`.
pub(super) fn functions(api: &mut Api) {
    api.function(
        "capture",
        &["ctr: Container|String", "[opts: Map]", "Capture"],
        "Capture packets inside a container's network namespace (no tcpdump needed in the\n\
         image) into a pcap file Wireshark and tshark open. Options: `network` (capture only\n\
         the interface on that network; default every interface), `filter` (pcap syntax as in\n\
         tcpdump: `\"icmp\"`, `\"tcp port 80\"`), `file` (default `<container>.pcap` beside the\n\
         script), `max_packets`, `secs` (stop by itself after so many packets or seconds).\n\
         `.stop()` ends it and returns `#{file, packets, bytes, dropped}`; the run stops any\n\
         capture still going when it ends.\n\
         ```rhai\nlet cap = capture(web, #{filter: \"icmp\", file: \"web.pcap\"});\n\
         ping(client, \"web\", 5);\nlet r = cap.stop();\nassert_eq(r.packets, 10);\n```",
        capture,
    );
    api.function(
        "stop",
        &["cap: Capture", "Map"],
        "End a capture, flush and close its file, and say what it wrote:\n\
         `#{file, packets, bytes, dropped}`. Stopping it again gives the same answer.\n\
         ```rhai\nlet cap = capture(web, #{filter: \"tcp port 80\"});\nexec(client, \"wget -q -O - http://web/\");\nprint(cap.stop().packets);\n```",
        stop,
    );
}

/// A capture a script started. Shown as `capture of web into web.pcap`.
#[derive(Clone)]
pub(crate) struct CaptureHandle {
    /// The container, as the script knows it.
    container: String,
    /// The pcap file, as the script named it.
    file: String,
    state: Arc<Mutex<State>>,
}

enum State {
    Running(Capture),
    Stopped(CaptureSummary),
    /// Stopping failed; the message, said again to every later `stop()`.
    Failed(DockerError),
}

impl State {
    /// Stops a running capture; a stopped one stays as it was.
    fn settle(&mut self) {
        if !matches!(self, State::Running(_)) {
            return;
        }
        // Only there while `stop` runs, which consumes the capture.
        let placeholder = State::Failed(DockerError::Failed {
            action: "stop a capture".into(),
            message: "it was being stopped".into(),
        });
        if let State::Running(capture) = std::mem::replace(self, placeholder) {
            *self = match capture.stop() {
                Ok(summary) => State::Stopped(summary),
                Err(e) => State::Failed(e),
            };
        }
    }
}

impl CaptureHandle {
    /// Ends the capture (once) and says what it wrote.
    fn stop(&self) -> Result<CaptureSummary, DockerError> {
        let mut state = self.state.lock().expect("capture state poisoned");
        state.settle();
        match &*state {
            State::Stopped(summary) => Ok(summary.clone()),
            State::Failed(e) => Err(e.clone()),
            State::Running(_) => unreachable!("settled above"),
        }
    }

    fn packets(&self) -> i64 {
        match &*self.state.lock().expect("capture state poisoned") {
            State::Running(capture) => capture.packets() as i64,
            State::Stopped(summary) => summary.packets as i64,
            State::Failed(_) => 0,
        }
    }

    fn running(&self) -> bool {
        match &*self.state.lock().expect("capture state poisoned") {
            State::Running(capture) => !capture.is_finished(),
            _ => false,
        }
    }
}

/// The captures one engine's scripts started (weakly: a handle the script
/// dropped has stopped its capture already).
#[derive(Default)]
pub(crate) struct Running {
    captures: Mutex<Vec<Weak<Mutex<State>>>>,
}

impl fmt::Debug for Running {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Running captures")
    }
}

impl Running {
    fn add(&self, handle: &CaptureHandle) {
        let mut captures = self.captures.lock().expect("captures poisoned");
        captures.retain(|c| c.strong_count() > 0);
        captures.push(Arc::downgrade(&handle.state));
    }

    /// Stops every capture still going, flushing its file; a later
    /// `.stop()` in the script says what it wrote.
    pub(crate) fn stop_all(&self) {
        let captures = std::mem::take(&mut *self.captures.lock().expect("captures poisoned"));
        for state in captures.iter().filter_map(Weak::upgrade) {
            state.lock().expect("capture state poisoned").settle();
        }
    }
}

/// Registers the capture handle type and its properties.
pub(crate) fn register_types(engine: &mut Engine) {
    engine
        .register_type_with_name::<CaptureHandle>("Capture")
        .register_get("container", |h: &mut CaptureHandle| h.container.clone())
        .register_get("file", |h: &mut CaptureHandle| h.file.clone())
        .register_get("packets", |h: &mut CaptureHandle| h.packets())
        .register_get("running", |h: &mut CaptureHandle| h.running())
        .register_fn("to_string", |h: &mut CaptureHandle| h.to_string())
        .register_fn("to_debug", |h: &mut CaptureHandle| h.to_string());
}

impl fmt::Display for CaptureHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "capture of {} into {}", self.container, self.file)
    }
}

impl fmt::Debug for CaptureHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn capture(cx: &Call, ctr: Dynamic, opts: Dynamic) -> ScriptResult<CaptureHandle> {
    let container = cx.container("ctr", &ctr)?;
    let shown = cx.script_name(&container);
    let invalid = |e: String| cx.invalid(e);
    let mut o = Options::new(opts, CAPTURE_OPTIONS).map_err(invalid)?;
    let network = match o.value("network") {
        Some(net) => Some(cx.network("option \"network\"", &net)?),
        None => None,
    };
    let filter = o.string("filter").map_err(invalid)?;
    let file = o
        .string("file")
        .map_err(invalid)?
        .unwrap_or_else(|| format!("{shown}.pcap"));
    let max_packets = o.int("max_packets", 1..=i64::MAX).map_err(invalid)?;
    // A tenth of a millisecond at least: a zero would stop at once.
    let secs = o.number("secs", 0.0001..=86_400.0).map_err(invalid)?;
    let path = cx.path("option \"file\"", &file)?;

    let target = cx.wait(CaptureTarget::resolve(
        cx.client(),
        &container,
        network.as_deref(),
    ))?;
    let options = CaptureOptions {
        filter,
        max_packets: max_packets.map(|n| n as u64),
        duration: secs.map(Duration::from_secs_f64),
        ..CaptureOptions::to_file(&path)
    };
    let capture = Capture::start(&target, options).map_err(|e| fail(cx, &e))?;
    let handle = CaptureHandle {
        container: shown,
        file,
        state: Arc::new(Mutex::new(State::Running(capture))),
    };
    cx.captures.add(&handle);
    Ok(handle)
}

fn stop(cx: &Call, cap: CaptureHandle) -> ScriptResult<Map> {
    let summary = cap.stop().map_err(|e| fail(cx, &e))?;
    Ok(summary_map(&cap.file, &summary))
}

/// `#{file, packets, bytes, dropped}` (and `ended` when the interface went away).
fn summary_map(file: &str, summary: &CaptureSummary) -> Map {
    let mut m = Map::new();
    m.insert("file".into(), file.into());
    m.insert("packets".into(), (summary.packets as i64).into());
    m.insert("bytes".into(), (summary.bytes as i64).into());
    m.insert("dropped".into(), (summary.dropped as i64).into());
    if let Some(why) = &summary.ended_early {
        m.insert("ended".into(), why.clone().into());
    }
    m
}

/// A capture error as the script sees it: its kind kept, the script's names.
fn fail(cx: &Call, e: &DockerError) -> Box<rhai::EvalAltResult> {
    throw(
        e.kind(),
        cx.name(),
        cx.session.names().script_text(&e.to_string()),
    )
}
