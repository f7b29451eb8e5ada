//! Every script function is defined once, here registered twice: as the
//! global (or `module::`) function, and as a method of the host handle
//! `docker::connect` returns — same arguments, same doc, same body.
//!
//! # Adding a script function
//!
//! Write the body in the module of its domain as a plain `fn` taking a
//! [`Call`] and then its arguments, and add one entry to that module's
//! `functions(api)`: name, parameters, doc with a ```` ```rhai ```` example,
//! body. For `tcp(from, target, port[, opts])` in `checks.rs`:
//!
//! ```text
//! api.function(
//!     "tcp",
//!     &["from: Container|String", "target: Container|String", "port: int", "[opts: Map]", "Map"],
//!     "Connect to `port` of `target` from inside `from`; returns `#{state, ms}`.\n\
//!      ```rhai\nlet r = tcp(client, \"web\", 80);\nassert_eq(r.state, \"open\");\n```",
//!     tcp,
//! );
//!
//! fn tcp(cx: &Call, from: Dynamic, target: Dynamic, port: i64, opts: Dynamic) -> ScriptResult<Map> {
//!     let from = cx.container("from", &from)?;   // Docker name; refuses another daemon's handle
//!     let target = cx.target("target", &target)?;
//!     let spec = convert::tcp_spec(port, opts).map_err(|e| cx.invalid(e))?;
//!     Ok(tcp_map(cx.wait(cx.client().tcp(&from, &target, &spec))?))
//! }
//! ```
//!
//! That entry alone gives `tcp(from, target, port)` and `tcp(from, target,
//! port, opts)`, the host methods `h.tcp(…)` with the same arguments, the
//! script position on every error, `:help tcp`, completion, signature
//! hints and "did you mean tcp?". A name `"compose::up"` makes a module
//! function and the host method `h.compose_up(…)`.
//!
//! - **Parameters**: `"name: Type"` per argument (the type as the script
//!   sees it: `Container|String`, `Map`, `int`), then the return type when
//!   there is one. `"[opts: Map]"` marks trailing parameters the caller may
//!   leave out; the body then gets `()` (a `Dynamic`) or `None` (an `Option<T>`).
//! - **Argument types**: `Dynamic` takes anything — check it and say what you
//!   wanted ([`Call::string`], [`Call::container`], `convert::*`); `i64`,
//!   `f64`, `bool`, `String`, `Array`, `Map`, `FnPtr` and the handle types
//!   make Rhai choose the function by type (see [`body::Arg`](super::body::Arg)).
//! - **The daemon**: `cx` dereferences to the [`ScriptContext`] the call runs
//!   on: the host handle's for `h.tcp(…)`, the daemon of a container or
//!   network handle given as the first argument, else the default one. Make
//!   handles with [`Call::container_handle`] so they remember it.
//! - **Errors**: [`Call::invalid`], [`Call::fail`], and [`Call::wait`] for
//!   Docker operations (interruptible; errors keep their kind). They all name
//!   the function as it was called.
//! - **Returns**: any value a script can hold (`Map`, `Array`, `String`,
//!   `bool`, `i64`, a handle, `()`), wrapped in [`ScriptResult`].
//! - **`.global_only()`** for functions that do not talk to a daemon
//!   (`assert`, `sleep`, `table`, …).
//! - **A new file** (`compose.rs`): give it a `pub(super) fn functions(api:
//!   &mut Api)` and call it from `script::functions()` in `mod.rs`.
//! - **A new handle type** (a capture): register its name and properties in
//!   `register_netrig` in `mod.rs` (like `handles::register_types`), add it to
//!   `plain_args!` in `body.rs` so bodies can take it typed (`.stop()` on it).
//!
//! A malformed entry (parameters that do not match the body, a `[…]` before
//! a required one) panics when the engine is built, naming the function;
//! the unit tests build every entry.

use std::any::TypeId;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use rhai::{Dynamic, FuncRegistration, Module, NativeCallContext, RhaiFunc, Shared};

pub(crate) use super::body::Body;
use super::body::{Args, Erased};
pub(crate) use super::call::Call;
use super::context::ScriptContext;
use super::error::ScriptResult;
use super::handles::home_of;
use super::hosts::HostHandle;

/// The definitions of script functions, as the domain modules add them.
#[derive(Default)]
pub(crate) struct Api {
    functions: Vec<Function>,
}

/// One script function: every overload its optional parameters make, in
/// its global (or module) form and, unless global-only, its host form.
pub(crate) struct Function {
    module: Option<&'static str>,
    name: &'static str,
    /// `"name: Type"` per parameter, without the brackets of optional ones.
    params: Vec<&'static str>,
    /// How many parameters every call gives.
    required: usize,
    returns: Option<&'static str>,
    doc: &'static str,
    host: bool,
    body: Erased,
}

impl Api {
    /// Defines the script function `name` (`"ping"`, `"network::create"`);
    /// see the module doc. Panics on an entry that does not fit its body.
    pub(crate) fn function<M>(
        &mut self,
        name: &'static str,
        params: &[&'static str],
        doc: &'static str,
        body: impl Body<M>,
    ) -> &mut Function {
        let body = body.erase();
        let (module, short) = match name.split_once("::") {
            Some((m, n)) => (Some(m), n),
            None => (None, name),
        };
        let bad = |why: String| -> ! { panic!("script function {name}: {why}") };
        if ![module.unwrap_or("x"), short]
            .iter()
            .all(|n| is_identifier(n))
        {
            bad("the name must be `name` or `module::name`".into());
        }
        let arity = body.args.len();
        let returns = match params.len() {
            n if n == arity => None,
            n if n == arity + 1 => Some(params[arity]),
            n => bad(format!(
                "{n} parameter entries for a body of {arity} arguments (the last entry may be the return type)"
            )),
        };
        let optional = |p: &str| p.starts_with('[') && p.ends_with(']');
        let required = params[..arity]
            .iter()
            .position(|p| optional(p))
            .unwrap_or(arity);
        if let Some(p) = params[required..arity].iter().find(|p| !optional(p)) {
            bad(format!("{p:?} follows an optional parameter"));
        }
        if let Some(p) = (required..arity).find(|&i| !body.args[i].may_be_absent) {
            bad(format!(
                "{} may be left out, so its body argument must be a Dynamic or an Option",
                params[p]
            ));
        }
        if body.by_ref && required == 0 {
            bad("a `&mut` first argument cannot be optional".into());
        }
        self.functions.push(Function {
            module,
            name: short,
            params: params[..arity]
                .iter()
                .map(|p| p.trim_start_matches('[').trim_end_matches(']'))
                .collect(),
            required,
            returns,
            doc,
            host: true,
            body,
        });
        self.functions.last_mut().expect("just pushed")
    }

    /// The definitions, for [`install`].
    pub(crate) fn into_functions(self) -> Vec<Function> {
        self.functions
    }
}

impl Function {
    /// No host form: the function does not talk to a daemon.
    pub(crate) fn global_only(&mut self) -> &mut Self {
        self.host = false;
        self
    }

    /// `network::create` or `ping`: the global form's name.
    pub(crate) fn qualified_name(&self) -> String {
        match self.module {
            Some(m) => format!("{m}::{}", self.name),
            None => self.name.to_string(),
        }
    }

    /// Whether one of its overloads takes parameters with these names
    /// (`["url", "opts"]`).
    #[cfg(test)]
    pub(crate) fn takes(&self, names: &[&str]) -> bool {
        (self.required..=self.params.len()).contains(&names.len())
            && self
                .params
                .iter()
                .zip(names)
                .all(|(p, n)| p.split(':').next().map(str::trim) == Some(n))
    }

    /// `network_create` or `ping`: the host method's name, if it has one.
    pub(crate) fn host_name(&self) -> Option<String> {
        self.host.then(|| match self.module {
            Some(m) => format!("{m}_{}", self.name),
            None => self.name.to_string(),
        })
    }

    /// Registers one overload (`given` arguments) of one form into `module`.
    fn register(
        &self,
        module: &mut Module,
        given: usize,
        host: bool,
        ctx: Option<&Arc<ScriptContext>>,
    ) {
        let (name, called) = match (host, self.host_name()) {
            (true, Some(method)) => (method.clone(), method),
            _ => (self.name.to_string(), self.qualified_name()),
        };
        let mut info: Vec<&str> = if host { vec!["h: Host"] } else { Vec::new() };
        info.extend(&self.params[..given]);
        info.extend(self.returns);
        let mut types: Vec<TypeId> = if host {
            vec![TypeId::of::<HostHandle>()]
        } else {
            Vec::new()
        };
        types.extend(self.body.args[..given].iter().map(|a| a.rhai_type));
        let doc = if host {
            host_doc(self.doc, &called)
        } else {
            self.doc.to_string()
        };

        let body = self.body.call.clone();
        let default = ctx.cloned();
        let called: Arc<str> = called.into();
        let func = Shared::new(
            move |native: Option<NativeCallContext>, args: &mut [&mut Dynamic]| {
                let native = native.expect("netrig's functions get their call context");
                let position = native.call_position();
                let result = if host {
                    let (host, rest) = args.split_first_mut().expect("a host method has its host");
                    let home = host.read_lock::<HostHandle>().map(|h| h.ctx.clone());
                    run(&body, &called, native, home, rest)
                } else {
                    run(&body, &called, native, default.clone(), args)
                };
                result.map_err(|mut e| {
                    // Rhai leaves module functions' errors without a position.
                    if e.position().is_none() {
                        e.set_position(position);
                    }
                    e
                })
            },
        );
        // A `&mut` first argument is the caller's own value only in the global form.
        let func = if self.body.by_ref && !host {
            RhaiFunc::Method {
                func,
                has_context: true,
                is_pure: true,
                is_volatile: true,
            }
        } else {
            RhaiFunc::Pure {
                func,
                has_context: true,
                is_pure: true,
                is_volatile: true,
            }
        };
        FuncRegistration::new(name)
            .with_params_info(info)
            .with_comments(super::doc_lines(&doc))
            .set_into_module_raw(module, types, func);
    }
}

/// Calls a body on the daemon of its first argument's handle, if it is a
/// container or network handle, else on `daemon`.
fn run(
    body: &Arc<super::body::ErasedFn>,
    called: &str,
    native: NativeCallContext,
    daemon: Option<Arc<ScriptContext>>,
    args: Args<'_, '_>,
) -> ScriptResult<Dynamic> {
    let daemon = args.first().and_then(|a| home_of(a)).or(daemon);
    body(&Call::new(daemon, called, native), args)
}

/// The doc of a host method: the function's own, and where it runs.
fn host_doc(doc: &str, method: &str) -> String {
    let line = format!("On a host handle (`h.{method}(…)`), it runs on that daemon.");
    match doc.find("```rhai") {
        Some(i) => format!("{}\n{line}\n{}", doc[..i].trim_end(), &doc[i..]),
        None => format!("{}\n{line}", doc.trim_end()),
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The one registration loop: every function's overloads, global (or in
/// its module) and on the host handle. `ctx` is the default daemon (`None`
/// only in tests that read the metadata).
pub(crate) fn install(
    engine: &mut rhai::Engine,
    ctx: Option<&Arc<ScriptContext>>,
    functions: &[Function],
) {
    let mut globals = Module::new();
    let mut host_methods = Module::new();
    let mut modules: BTreeMap<&str, Module> = BTreeMap::new();
    for f in functions {
        for given in f.required..=f.params.len() {
            let module = match f.module {
                Some(m) => modules.entry(m).or_default(),
                None => &mut globals,
            };
            f.register(module, given, false, ctx);
            if f.host {
                f.register(&mut host_methods, given, true, ctx);
            }
        }
        remember(f.qualified_name());
        if let Some(method) = f.host_name() {
            remember(method);
        }
    }
    engine.register_global_module(globals.into());
    engine.register_global_module(host_methods.into());
    for (name, module) in modules {
        engine.register_static_module(name, module.into());
    }
}

/// Every function name netrig registers (`ping`, `network::create`, host
/// methods), for "did you mean" hints on typos. Filled as engines are
/// built; the set is the same for every engine.
static KNOWN_NAMES: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Adds a name to the hints' list.
pub(crate) fn remember(name: String) {
    KNOWN_NAMES
        .lock()
        .expect("known names poisoned")
        .insert(name);
}

/// What to add to "Function not found: NAME (…)": the closest netrig name
/// when NAME is a typo, or a pointer to the forms NAME takes when it exists
/// but not for those argument types.
pub(crate) fn name_hint(signature: &str) -> Option<String> {
    let name = signature.split([' ', '(']).next()?.trim();
    let known = KNOWN_NAMES.lock().expect("known names poisoned");
    if known.contains(name) {
        return Some(format!(
            "{name} exists, but not for these arguments (`:help {name}` in the REPL shows its forms)"
        ));
    }
    closest(name, known.iter().map(String::as_str)).map(|k| format!("did you mean {k}?"))
}

/// A function or method of that name is registered (`ip` for `.ip()`).
pub(crate) fn is_known(name: &str) -> bool {
    KNOWN_NAMES
        .lock()
        .expect("known names poisoned")
        .contains(name)
}

/// What to add to "Module not found: NAME": the closest of netrig's modules.
pub(crate) fn module_hint(name: &str) -> Option<String> {
    let known = KNOWN_NAMES.lock().expect("known names poisoned");
    let modules: BTreeSet<&str> = known
        .iter()
        .filter_map(|k| k.split_once("::").map(|(m, _)| m))
        .collect();
    closest(name, modules.into_iter()).map(|m| format!("did you mean {m}::?"))
}

/// The candidate nearest to `name` within a few edits, if any.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

#[cfg(test)]
#[path = "api_tests.rs"]
mod tests;
