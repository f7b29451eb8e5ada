//! A trace of a run (`netrig run --trace FILE`): every Docker API call,
//! exec and check as a span with its start, duration, arguments and result,
//! written in the Chrome trace-event format that Perfetto
//! (<https://ui.perfetto.dev>) and `chrome://tracing` open.
//!
//! The file is a JSON array of complete (`"ph": "X"`) events, one per span,
//! each written and flushed the moment its span ends, so a run that dies
//! still leaves a readable trace (both viewers accept the array without its
//! closing `]`). Concurrent spans go to separate rows ("lanes"), chosen so
//! that spans on one row always nest, as the viewers require.
//!
//! Off, a [`Tracer`] is a `None`: a span costs one branch and its arguments
//! are never built.
//!
//! ```text
//! use netrig::trace::{Category, Tracer};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("run.json");
//! let tracer = Tracer::to_file(&path, "netrig run demo.rhai").unwrap();
//! let span = tracer.span(Category::Docker, "network create", || serde_json::json!({"name": "my_net"}));
//! span.end(serde_json::json!("ok"));
//! tracer.finish().unwrap();
//! let events: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
//! assert!(events.as_array().unwrap().iter().any(|e| e["ph"] == "X" && e["name"] == "network create"));
//! ```

use std::collections::BTreeSet;
use std::fmt::Display;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};

/// What a span stands for; the viewers can show or hide each category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    /// One request to the Docker Engine API.
    Docker,
    /// A command run in a container (several API calls).
    Exec,
    /// A check: ping, reachability, an assertion that asks the daemon.
    Check,
    /// A script function call or another step of the run around the above.
    Script,
}

impl Category {
    /// The name written to the file (`cat`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Category::Docker => "docker",
            Category::Exec => "exec",
            Category::Check => "check",
            Category::Script => "script",
        }
    }
}

/// Records spans into one trace file; clones share it. The default is off.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tracer {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    origin: Instant,
    pid: u32,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// `None` once finished (or after a write error).
    out: Option<BufWriter<File>>,
    /// Whether an event has been written (the next needs a comma).
    written: bool,
    /// The first write error, reported by `finish`.
    error: Option<io::Error>,
    next_id: u64,
    /// Starts of the spans still open, to know which ended ones a future
    /// span could still overlap.
    open: BTreeSet<(u64, u64)>,
    /// Per lane, the ended spans (start, end in ns) a future span could overlap.
    lanes: Vec<Vec<(u64, u64)>>,
}

impl Tracer {
    /// A tracer that records nothing.
    pub(crate) fn off() -> Tracer {
        Tracer::default()
    }

    /// A tracer writing to `path` (created or truncated now, so an
    /// unwritable path is an error before the run starts). `title` names
    /// the process in the viewer, e.g. `netrig run scenario.rhai`.
    pub(crate) fn to_file(path: &Path, title: &str) -> io::Result<Tracer> {
        let mut out = BufWriter::new(File::create(path)?);
        let pid = std::process::id();
        let meta = json!({"name": "process_name", "ph": "M", "pid": pid, "tid": 0,
                          "args": {"name": title}});
        write!(out, "[\n{meta}")?;
        out.flush()?;
        Ok(Tracer {
            inner: Some(Arc::new(Inner {
                origin: Instant::now(),
                pid,
                state: Mutex::new(State {
                    out: Some(out),
                    written: true,
                    error: None,
                    next_id: 0,
                    open: BTreeSet::new(),
                    lanes: Vec::new(),
                }),
            })),
        })
    }

    /// Whether spans are recorded.
    pub(crate) fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    /// Opens a span that ends with [`Span::end`] (or, if dropped unended,
    /// is recorded as `"cancelled"`). `args` is only called when tracing is on.
    pub(crate) fn span(
        &self,
        category: Category,
        name: impl Into<String>,
        args: impl FnOnce() -> Value,
    ) -> Span {
        let Some(inner) = &self.inner else {
            return Span(None);
        };
        // Times are read under the lock, so the open set and the lanes see
        // starts and ends in the order they happened.
        let (start, id) = {
            let mut state = inner.lock();
            let start = inner.now();
            state.next_id += 1;
            let id = state.next_id;
            state.open.insert((start, id));
            (start, id)
        };
        Span(Some(Box::new(OpenSpan {
            inner: inner.clone(),
            id,
            category,
            name: name.into(),
            start,
            args: args(),
        })))
    }

    /// Closes the array and the file. Later spans are not recorded. Says
    /// whether every event reached the file (a full disk is an error here).
    pub(crate) fn finish(&self) -> io::Result<()> {
        match &self.inner {
            Some(inner) => inner.lock().finish(),
            None => Ok(()),
        }
    }
}

impl Inner {
    /// Nanoseconds since the tracer started.
    fn now(&self) -> u64 {
        self.origin.elapsed().as_nanos() as u64
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.lock().finish();
    }
}

impl State {
    /// Writes one event and pushes it to the file at once.
    fn write(&mut self, event: &Value) {
        let Some(out) = self.out.as_mut() else {
            return;
        };
        let sep = if self.written { ",\n" } else { "" };
        let result = write!(out, "{sep}{event}").and_then(|()| out.flush());
        self.written = true;
        if let Err(e) = result {
            self.error.get_or_insert(e);
            self.out = None;
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        if let Some(mut out) = self.out.take()
            && let Err(e) = out.write_all(b"\n]\n").and_then(|()| out.flush())
        {
            self.error.get_or_insert(e);
        }
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The lowest lane where `[start, end]` nests with every span already
    /// there, made if none fits; names the lane in the file on first use.
    fn lane_for(&mut self, start: u64, end: u64, pid: u32) -> usize {
        // Spans that ended before every open span started cannot overlap a
        // future one any more: forget them.
        let horizon = self.open.first().map_or(start, |(s, _)| (*s).min(start));
        for lane in &mut self.lanes {
            lane.retain(|(_, e)| *e > horizon);
        }
        // Spans end in order, so every span in a lane ended at or before
        // this one: it fits if each is before it or inside it.
        let fits = |lane: &Vec<(u64, u64)>| lane.iter().all(|(s, e)| *e <= start || *s >= start);
        let lane = match self.lanes.iter().position(fits) {
            Some(lane) => lane,
            None => {
                self.lanes.push(Vec::new());
                let lane = self.lanes.len() - 1;
                let meta = json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": lane + 1,
                                  "args": {"name": format!("lane {}", lane + 1)}});
                self.write(&meta);
                lane
            }
        };
        self.lanes[lane].push((start, end));
        lane
    }
}

/// An open span; see [`Tracer::span`].
#[derive(Debug)]
#[must_use = "a span records when it ends"]
pub(crate) struct Span(Option<Box<OpenSpan>>);

#[derive(Debug)]
struct OpenSpan {
    inner: Arc<Inner>,
    id: u64,
    category: Category,
    name: String,
    start: u64,
    args: Value,
}

impl Span {
    /// Ends the span with `result` (`"ok"`, a summary, or `{"error": …}`).
    pub(crate) fn end(mut self, result: Value) {
        if let Some(open) = self.0.take() {
            open.record(result);
        }
    }

    /// Ends the span with `"ok"` or the error's message.
    pub(crate) fn end_result<T, E: Display>(self, result: &Result<T, E>) {
        if self.0.is_none() {
            return;
        }
        self.end(match result {
            Ok(_) => json!("ok"),
            Err(e) => json!({"error": e.to_string()}),
        });
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some(open) = self.0.take() {
            open.record(json!("cancelled"));
        }
    }
}

impl OpenSpan {
    fn record(self, result: Value) {
        let mut args = match self.args {
            Value::Object(map) => map,
            Value::Null => serde_json::Map::new(),
            other => serde_json::Map::from_iter([("value".to_string(), other)]),
        };
        args.insert("result".into(), result);
        let mut state = self.inner.lock();
        let end = self.inner.now().max(self.start);
        state.open.remove(&(self.start, self.id));
        let lane = state.lane_for(self.start, end, self.inner.pid);
        let event = json!({
            "name": self.name,
            "cat": self.category.as_str(),
            "ph": "X",
            "ts": micros(self.start),
            "dur": micros(end - self.start),
            "pid": self.inner.pid,
            "tid": lane + 1,
            "args": args,
        });
        state.write(&event);
    }
}

/// Nanoseconds as the format's microseconds, to the nanosecond.
fn micros(nanos: u64) -> f64 {
    nanos as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> Vec<Value> {
        let text = std::fs::read_to_string(path).unwrap();
        serde_json::from_str::<Value>(&text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
            .as_array()
            .unwrap()
            .clone()
    }

    fn complete(events: &[Value]) -> Vec<&Value> {
        events.iter().filter(|e| e["ph"] == "X").collect()
    }

    #[test]
    fn off_records_nothing_and_builds_no_arguments() {
        let tracer = Tracer::off();
        assert!(!tracer.is_on());
        let span = tracer.span(Category::Docker, "x", || {
            panic!("arguments built while off")
        });
        span.end(json!("ok"));
        tracer.finish().unwrap();
    }

    #[test]
    fn one_complete_event_per_span_with_arguments_and_result() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let tracer = Tracer::to_file(&path, "netrig run t.rhai").unwrap();
        tracer
            .span(
                Category::Docker,
                "network create",
                || json!({"name": "my_net"}),
            )
            .end(json!("ok"));
        let failed: Result<(), String> = Err("no such container".into());
        tracer
            .span(Category::Exec, "exec", || json!({"container": "web"}))
            .end_result(&failed);
        tracer.finish().unwrap();
        let events = read(&path);
        assert_eq!(events[0]["ph"], "M");
        assert_eq!(events[0]["args"]["name"], "netrig run t.rhai");
        let x = complete(&events);
        assert_eq!(x.len(), 2);
        assert_eq!(x[0]["name"], "network create");
        assert_eq!(x[0]["cat"], "docker");
        assert_eq!(x[0]["args"]["name"], "my_net");
        assert_eq!(x[0]["args"]["result"], "ok");
        assert_eq!(x[1]["cat"], "exec");
        assert_eq!(x[1]["args"]["result"]["error"], "no such container");
        assert!(x[0]["dur"].as_f64().unwrap() >= 0.0);
        assert!(x[1]["ts"].as_f64().unwrap() >= x[0]["ts"].as_f64().unwrap());
    }

    #[test]
    fn every_end_reaches_the_file_and_an_unended_span_says_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let tracer = Tracer::to_file(&path, "t").unwrap();
        tracer
            .span(Category::Docker, "first", || Value::Null)
            .end(json!("ok"));
        // Not finished: what a killed run leaves, which the viewers accept.
        let so_far = std::fs::read_to_string(&path).unwrap() + "]";
        let events: Value = serde_json::from_str(&so_far).unwrap();
        assert_eq!(events.as_array().unwrap().len(), 3, "{so_far}");
        drop(tracer.span(Category::Check, "interrupted", || Value::Null));
        drop(tracer);
        let events = read(&path);
        let x = complete(&events);
        assert_eq!(x.last().unwrap()["args"]["result"], "cancelled");
    }

    #[test]
    fn nested_spans_share_a_lane_and_overlapping_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let tracer = Tracer::to_file(&path, "t").unwrap();
        let check = tracer.span(Category::Check, "ping", || Value::Null);
        let a = tracer.span(Category::Docker, "a", || Value::Null);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = tracer.span(Category::Docker, "b", || Value::Null);
        a.end(json!("ok")); // a and b overlap without nesting
        b.end(json!("ok"));
        check.end(json!("ok"));
        let after = tracer.span(Category::Docker, "after", || Value::Null);
        after.end(json!("ok"));
        tracer.finish().unwrap();
        let events = read(&path);
        let x = complete(&events);
        let tid = |name: &str| x.iter().find(|e| e["name"] == name).unwrap()["tid"].clone();
        assert_eq!(tid("a"), tid("ping"));
        assert_ne!(tid("a"), tid("b"));
        assert_eq!(tid("after"), 1);
        assert_eq!(
            events
                .iter()
                .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
                .count(),
            2,
            "each lane is named once"
        );
        assert_properly_nested(&x);
    }

    #[test]
    fn a_span_that_outlives_one_it_overlaps_moves_to_another_lane() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let tracer = Tracer::to_file(&path, "t").unwrap();
        let a = tracer.span(Category::Docker, "a", || Value::Null);
        std::thread::sleep(std::time::Duration::from_millis(1));
        let b = tracer.span(Category::Docker, "b", || Value::Null);
        std::thread::sleep(std::time::Duration::from_millis(1));
        a.end(json!("ok"));
        b.end(json!("ok")); // nothing open any more
        tracer.finish().unwrap();
        let events = read(&path);
        let x = complete(&events);
        assert_ne!(x[0]["tid"], x[1]["tid"]);
        assert_properly_nested(&x);
    }

    #[test]
    fn many_concurrent_spans_always_nest_per_lane() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let tracer = Tracer::to_file(&path, "t").unwrap();
        std::thread::scope(|scope| {
            for t in 0..4 {
                let tracer = tracer.clone();
                scope.spawn(move || {
                    for i in 0..25 {
                        let outer =
                            tracer.span(Category::Exec, format!("exec {t}.{i}"), || Value::Null);
                        for _ in 0..2 {
                            let inner = tracer.span(Category::Docker, "call", || Value::Null);
                            std::thread::sleep(std::time::Duration::from_micros(50 * (t + 1)));
                            inner.end(json!("ok"));
                        }
                        outer.end(json!("ok"));
                    }
                });
            }
        });
        tracer.finish().unwrap();
        let events = read(&path);
        let x = complete(&events);
        assert_eq!(x.len(), 4 * 25 * 3);
        assert_properly_nested(&x);
    }

    /// On each lane, any two events are disjoint or one contains the other.
    fn assert_properly_nested(events: &[&Value]) {
        let span = |e: &Value| {
            let ts = e["ts"].as_f64().unwrap();
            (
                e["tid"].as_u64().unwrap(),
                ts,
                ts + e["dur"].as_f64().unwrap(),
            )
        };
        for (i, a) in events.iter().enumerate() {
            for b in &events[i + 1..] {
                let ((ta, sa, ea), (tb, sb, eb)) = (span(a), span(b));
                if ta != tb {
                    continue;
                }
                let disjoint = ea <= sb || eb <= sa;
                let nested = (sa <= sb && eb <= ea) || (sb <= sa && ea <= eb);
                assert!(disjoint || nested, "{a} and {b} overlap on lane {ta}");
            }
        }
    }

    #[test]
    fn an_unwritable_file_is_an_error_up_front() {
        let err = Tracer::to_file(Path::new("/nonexistent-dir/t.json"), "t").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn a_full_disk_is_reported_by_finish() {
        let tracer = Tracer::to_file(Path::new("/dev/full"), "t");
        // The header's flush already hits ENOSPC.
        assert!(tracer.is_err());
    }
}
