//! One REPL session: the engine and its run, one `Scope` for every line,
//! the functions defined so far, and the journal of successful inputs that
//! `:save` writes out as a script.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rhai::{AST, Dynamic, EvalAltResult, Position, Scope};
use tokio::runtime::Handle;

use super::catalog::Catalog;
use super::display;
use super::highlight::Style;
use super::journal::{Entry, Journal};
use super::lexer;
use super::live::Daemon;
use super::out::say;
use crate::diagnostic;
use crate::docker::{ContainerSummary, NetworkSummary, RunSession};
use crate::rig::report::{self, removed_by_name};
use crate::rig::{Rig, RunEnd, Signal, Stop};
use crate::text::plural;

/// How an input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It ran; its result was shown.
    Done,
    /// It failed; the error was shown.
    Failed,
    /// The script called `exit()`: the session should end.
    Exit,
}

/// The state of one interactive session.
pub(crate) struct Session {
    runtime: Handle,
    /// The engine, the run's resources and the interrupt.
    pub(crate) rig: Rig,
    scope: Scope<'static>,
    /// Functions defined by earlier inputs (statements cleared).
    functions: AST,
    /// The inputs, for `:save`.
    journal: Journal,
    /// For each function defined so far, the input that defined it (its
    /// name and text), so an error inside it shows that input's line.
    defined_in: HashMap<String, (String, Arc<str>)>,
    inputs: usize,
    /// Every function the engine knows, for help and completion.
    pub(crate) catalog: Catalog,
    /// Colour or not.
    pub(crate) style: Style,
    /// Results as raw JSON (`:json`).
    pub(crate) json: bool,
    /// The daemon, for summaries and live names.
    pub(crate) daemon: Arc<Daemon>,
}

impl Session {
    /// A session over `rig`, blocking on `runtime`.
    pub(crate) fn new(runtime: Handle, rig: Rig, style: Style) -> Self {
        let catalog = Catalog::from_engine(&rig.engine);
        let daemon = Arc::new(Daemon::new(runtime.clone(), rig.session.client().clone()));
        Session {
            runtime,
            scope: rig.scope(),
            rig,
            functions: AST::empty(),
            journal: Journal::default(),
            defined_in: HashMap::new(),
            inputs: 0,
            catalog,
            style,
            json: false,
            daemon,
        }
    }

    /// Runs one typed input and shows its result or its error.
    pub(crate) fn eval(&mut self, source: &str) -> Outcome {
        self.inputs += 1;
        let name = format!("in[{}]", self.inputs);
        let before = self.before();
        let ran = self.run(&name, source);
        self.journal
            .record(self.entry(before, name, source.trim().to_string(), ran.is_ok()));
        match ran {
            Ok(value) => {
                if let Some(text) = display::render(&value, self.json, &*self.daemon) {
                    crate::repl::out::out!("{text}");
                }
                Outcome::Done
            }
            Err(outcome) => outcome,
        }
    }

    /// Runs `source` for a meta command: in the session's scope, shown
    /// nowhere and not journaled for `:save`. Errors are printed; `None` then.
    pub(crate) fn call(&mut self, source: &str) -> Option<Dynamic> {
        self.run(":command", source).ok()
    }

    /// `:load FILE`: runs a script into the session (its variables and
    /// functions stay), and journals it for `:save`.
    pub(crate) fn load(&mut self, path: &Path) -> Outcome {
        let source = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) => {
                crate::repl::out::err!("error: cannot read {}: {e}", path.display());
                return Outcome::Failed;
            }
        };
        let before = self.before();
        let ran = self.run(&path.display().to_string(), &source);
        let text = format!("// :load {}\n{}", path.display(), source.trim());
        self.journal
            .record(self.entry(before, path.display().to_string(), text, ran.is_ok()));
        match ran {
            Ok(_) => {
                say(format!("loaded {}", path.display()));
                Outcome::Done
            }
            Err(outcome) => outcome,
        }
    }

    /// The session's state before an input: scope size and what the run created.
    fn before(&self) -> (usize, Vec<String>) {
        let ids = self
            .rig
            .session
            .created()
            .into_iter()
            .map(|c| c.id)
            .collect();
        (self.scope.len(), ids)
    }

    /// The journal entry of an input, from the state `before` it.
    fn entry(&self, before: (usize, Vec<String>), name: String, source: String, ok: bool) -> Entry {
        let (len, ids) = before;
        let variables = self
            .scope
            .iter()
            .skip(len)
            .map(|(n, _, _)| n.to_string())
            .collect();
        let created = self
            .rig
            .session
            .created()
            .into_iter()
            .filter(|c| !ids.contains(&c.id))
            .map(|c| {
                let kind = format!("{:?}", c.kind).to_lowercase();
                (kind, self.rig.session.script_name(&c.name).to_string())
            })
            .collect();
        Entry {
            name,
            source,
            ok,
            variables,
            created,
        }
    }

    /// Compiles and runs `source` in the session's scope, with the functions
    /// defined so far. Errors are shown here.
    fn run(&mut self, name: &str, source: &str) -> Result<Dynamic, Outcome> {
        let interrupt = self.rig.interrupt.clone();
        match interrupt.stopped() {
            // The last Ctrl-C was for the last input.
            None | Some(Stop::Signal(Signal::Interrupt)) => interrupt.reset(),
            // SIGTERM / SIGHUP: the session is ending; run nothing more.
            Some(_) => return Err(Outcome::Failed),
        }
        let end = self
            .rig
            .execute_in(&mut self.scope, &self.functions, source, name);
        match end {
            RunEnd::Completed { value, ast } => {
                let text: Arc<str> = source.into();
                for f in ast.iter_functions() {
                    self.defined_in
                        .insert(f.name.to_string(), (name.to_string(), text.clone()));
                }
                self.functions = self.functions.merge(&ast);
                self.functions.clear_statements();
                self.keep_imports(source);
                Ok(value)
            }
            RunEnd::Exited(_) => Err(Outcome::Exit),
            RunEnd::ParseError(e) => {
                crate::repl::out::err_raw!("{}", diagnostic::render_parse(&e, name, source));
                Err(Outcome::Failed)
            }
            RunEnd::Failed(e) => {
                self.report(&e, name, source);
                Err(Outcome::Failed)
            }
            RunEnd::Stopped { error, .. } => {
                // What could not be stopped in a container follows the `;`.
                match diagnostic::message_of(&error).split_once("; ") {
                    Some((_, left)) => say(format!("interrupted; {left}")),
                    None => say("interrupted"),
                }
                Err(Outcome::Failed)
            }
            RunEnd::Panicked(_) => {
                say("netrig itself failed on that line (a bug); the session goes on");
                Err(Outcome::Failed)
            }
        }
    }

    /// Shows a failed input's error. An error inside a function an earlier
    /// input defined points into that input: its line is shown, not this one's.
    fn report(&self, err: &EvalAltResult, name: &str, source: &str) {
        let earlier = diagnostic::innermost_function(err, name)
            .and_then(|f| self.defined_in.get(f))
            .filter(|(input, _)| input != name);
        let text = match earlier {
            Some((input, text)) => diagnostic::render_in(err, name, input, text),
            None => diagnostic::render(err, name, source),
        };
        crate::repl::out::err_raw!("{text}");
    }

    /// An `import … as x` lives only as long as one evaluation in Rhai; the
    /// REPL keeps it by registering the module under its alias.
    fn keep_imports(&mut self, source: &str) {
        let mut changed = false;
        for (path, alias) in lexer::imports(source) {
            let engine = &self.rig.engine;
            if let Ok(module) =
                engine
                    .module_resolver()
                    .resolve(engine, None, &path, Position::NONE)
            {
                self.rig.engine.register_static_module(alias, module);
                changed = true;
            }
        }
        if changed {
            self.catalog = Catalog::from_engine(&self.rig.engine);
        }
    }

    /// The session's variables and their current values.
    pub(crate) fn variables(&self) -> Vec<(String, Dynamic)> {
        self.scope
            .iter()
            .map(|(name, _, value)| (name.to_string(), value))
            .collect()
    }

    /// The Docker name of the container `arg` means: a variable holding a
    /// container handle, or a container name.
    pub(crate) fn container_name(&self, arg: &str) -> String {
        let handle = self
            .scope
            .get_value::<crate::script::handles::ContainerHandle>(arg);
        let name = handle.map_or_else(|| arg.to_string(), |h| h.name);
        self.rig
            .session
            .docker_name(crate::docker::ResourceKind::Container, &name)
    }

    /// Names of the functions defined with `fn` so far.
    pub(crate) fn user_functions(&self) -> Vec<String> {
        self.functions
            .iter_functions()
            .map(|f| f.name.to_string())
            .collect()
    }

    /// `:save FILE`: the successful inputs as a script `netrig run`
    /// replays, unless one of them uses what a failed input left.
    pub(crate) fn save(&self, path: &Path) -> Outcome {
        let text = match self.journal.script() {
            Ok(text) => text,
            Err(why) => {
                crate::repl::out::err!("error: {why}");
                return Outcome::Failed;
            }
        };
        match std::fs::write(path, &text) {
            Ok(()) => {
                say(format!(
                    "saved {} to {}; replay it with: netrig run {}",
                    plural(self.journal.saved(), "input"),
                    path.display(),
                    path.display()
                ));
                Outcome::Done
            }
            Err(e) => {
                crate::repl::out::err!("error: cannot write {}: {e}", path.display());
                Outcome::Failed
            }
        }
    }

    /// `:save --compose FILE`: what this session made, as a Compose file.
    pub(crate) fn save_compose(&self, path: &Path) -> Outcome {
        let run = &self.rig.session;
        let exported = self.runtime.block_on(crate::compose::gather::compose_file(
            run.client(),
            run.run_id(),
        ));
        let exported = match exported {
            Ok(x) if x.containers + x.networks > 0 => x,
            Ok(_) => {
                crate::repl::out::err!(
                    "error: this session has made nothing that is still there to save as a Compose file"
                );
                return Outcome::Failed;
            }
            Err(e) => {
                crate::repl::out::err!("error: :save --compose: {e}");
                return Outcome::Failed;
            }
        };
        for n in &exported.notes {
            say(n);
        }
        match std::fs::write(path, &exported.text) {
            Ok(()) => {
                say(exported.summary(path));
                Outcome::Done
            }
            Err(e) => {
                crate::repl::out::err!("error: cannot write {}: {e}", path.display());
                Outcome::Failed
            }
        }
    }

    /// What this session's run has on the daemon now (by its run label).
    pub(crate) fn owned(&self) -> (Vec<ContainerSummary>, Vec<NetworkSummary>) {
        self.runtime.block_on(owned(&self.rig.session))
    }

    /// `:ls`: the containers and networks this session created that still exist.
    pub(crate) fn ls(&self) -> Outcome {
        let (containers, networks) = self.owned();
        if containers.is_empty() && networks.is_empty() {
            crate::repl::out::out!("this session has created nothing that is still there");
            return Outcome::Done;
        }
        let rows: Vec<Vec<String>> = containers
            .iter()
            .map(|c| {
                vec![
                    "container".into(),
                    c.name.clone(),
                    crate::text::short_id(&c.id).into(),
                    c.state.clone(),
                    c.networks.join(", "),
                    c.ports.join(", "),
                ]
            })
            .chain(networks.iter().map(|n| {
                vec![
                    "network".into(),
                    n.name.clone(),
                    crate::text::short_id(&n.id).into(),
                    n.driver.clone(),
                    n.subnets.join(", "),
                    String::new(),
                ]
            }))
            .collect();
        let headers = [
            "kind",
            "name",
            "id",
            "state/driver",
            "networks/subnet",
            "ports",
        ]
        .map(String::from);
        crate::repl::out::out!("{}", crate::table::render(&headers, &rows));
        Outcome::Done
    }

    /// `:clean`: removes what the session created so far; the session goes on.
    pub(crate) fn clean(&self) -> Outcome {
        let report = self.runtime.block_on(self.rig.session.teardown());
        match removed_by_name(&report) {
            Some(line) => say(line),
            None => say("nothing to remove"),
        }
        for failure in &report.failures {
            say(format!("could not remove: {failure}"));
        }
        if report.is_clean() {
            Outcome::Done
        } else {
            Outcome::Failed
        }
    }
}

/// The run's containers and networks on the daemon, found by its label.
pub(crate) async fn owned(run: &RunSession) -> (Vec<ContainerSummary>, Vec<NetworkSummary>) {
    let filter =
        std::collections::HashMap::from([("label".to_string(), vec![run.labels().run_filter()])]);
    let client = run.client().quiet();
    let (containers, networks) = futures_util::join!(
        client.list_containers(true, filter.clone()),
        client.list_networks(filter)
    );
    (containers.unwrap_or_default(), networks.unwrap_or_default())
}

/// Ends a session's run: removes what it created and says what (or, with
/// `keep`, says what stays and how to remove it later). False when
/// something could not be removed.
pub(crate) async fn leave(run: &RunSession, keep: bool) -> bool {
    if keep {
        let (containers, networks) = owned(run).await;
        let names: Vec<String> = containers
            .into_iter()
            .map(|c| c.name)
            .chain(networks.into_iter().map(|n| n.name))
            .collect();
        report::kept(run, &names);
        return true;
    }
    let teardown = run.teardown().await;
    if let Some(line) = removed_by_name(&teardown) {
        say(line);
    }
    for failure in &teardown.failures {
        say(format!("could not remove: {failure}"));
    }
    if !teardown.is_clean() {
        for hint in report::leftover_hints(run.run_id(), &teardown.other_hosts) {
            say(hint);
        }
    }
    teardown.is_clean()
}
