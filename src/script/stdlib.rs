//! The standard library: Rhai modules embedded in the binary, imported as
//! `import "std/<name>"`, ahead of ordinary files next to the script.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rhai::module_resolvers::FileModuleResolver;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

use super::sandbox::Sandbox;

/// The embedded modules: name and source.
pub(crate) const MODULES: &[(&str, &str)] = &[
    ("assert", include_str!("../../stdlib/assert.rhai")),
    ("reach", include_str!("../../stdlib/reach.rhai")),
    ("topo", include_str!("../../stdlib/topo.rhai")),
];

/// Resolves `std/…` to the embedded modules and everything else to files
/// relative to the importing script.
pub(crate) struct Resolver {
    files: FileModuleResolver,
    base_dir: PathBuf,
    sandbox: Option<Arc<Sandbox>>,
    compiled: Mutex<HashMap<String, Shared<Module>>>,
}

impl Resolver {
    /// A resolver whose file imports start at `base_dir`.
    pub(crate) fn new(base_dir: PathBuf) -> Self {
        Resolver {
            files: FileModuleResolver::new_with_path(base_dir.clone()),
            base_dir,
            sandbox: None,
            compiled: Mutex::new(HashMap::new()),
        }
    }

    /// Keeps file imports below `base_dir` unless `sandbox` allows host access.
    pub(crate) fn with_sandbox(mut self, sandbox: Arc<Sandbox>) -> Self {
        self.sandbox = Some(sandbox);
        self
    }
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        let Some(name) = path.strip_prefix("std/") else {
            if let Some(sandbox) = &self.sandbox {
                let file = self.files.get_file_path(path, None);
                let file = file.to_string_lossy();
                sandbox
                    .path("import", "the module", &self.base_dir, &file)
                    .map_err(|e| Box::new(EvalAltResult::ErrorInModule(path.into(), e, pos)))?;
            }
            return self.files.resolve(engine, source, path, pos);
        };
        if let Some(m) = self
            .compiled
            .lock()
            .expect("stdlib cache poisoned")
            .get(name)
        {
            return Ok(m.clone());
        }
        let Some((_, text)) = MODULES.iter().find(|(n, _)| *n == name) else {
            let known: Vec<String> = MODULES.iter().map(|(n, _)| format!("std/{n}")).collect();
            // Not ErrorModuleNotFound: Rhai replaces that one with its own
            // message, and the list of modules would be lost.
            let why = format!(
                "no such module; the standard library has: {}",
                known.join(", ")
            );
            return Err(EvalAltResult::ErrorInModule(
                path.into(),
                EvalAltResult::ErrorRuntime(why.into(), pos).into(),
                pos,
            )
            .into());
        };
        let mut ast = engine
            .compile(*text)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(path.into(), e.into(), pos)))?;
        ast.set_source(path);
        let module: Shared<Module> = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(path.into(), e, pos)))?
            .into();
        self.compiled
            .lock()
            .expect("stdlib cache poisoned")
            .insert(name.to_string(), module.clone());
        Ok(module)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::error::netrig_error;

    /// A bare engine with the resolver: enough for modules that only compute.
    fn eval(script: &str) -> Result<rhai::Dynamic, Box<EvalAltResult>> {
        let mut engine = Engine::new();
        engine.set_max_expr_depths(128, 64);
        engine.set_module_resolver(Resolver::new(PathBuf::from(".")));
        engine.eval(&format!("import \"std/assert\" as assert;\n{script}"))
    }

    fn assertion(script: &str) -> String {
        let err = eval(script).expect_err("the assertion should fail");
        let (kind, message) = netrig_error(&err).expect("a netrig error");
        assert_eq!(kind, "assertion", "{message}");
        message
    }

    #[test]
    fn every_module_compiles() {
        let mut engine = Engine::new();
        engine.set_max_expr_depths(128, 64);
        for (name, text) in MODULES {
            engine
                .compile(*text)
                .unwrap_or_else(|e| panic!("std/{name}: {e}"));
        }
    }

    #[test]
    fn passing_assertions_are_silent() {
        let _ = eval(
            r#"assert::eq(1 + 1, 2); assert::ne("a", "b"); assert::lt(1, 2); assert::le(2, 2);
               assert::gt(3, 2); assert::ge(3, 3); assert::approx(1.0, 1.05, 0.1);
               assert::contains("hello web", "web"); assert::contains([1, 2], 2);
               assert::contains(#{web: 1}, "web"); assert::not_contains([1], 3);
               assert::len([1, 2, 3], 3); assert::is_true(true); assert::is_false(false);"#,
        )
        .unwrap();
    }

    #[test]
    fn failures_show_both_sides_and_the_message() {
        let m = assertion(r#"assert::eq(2, 3, "two pings")"#);
        assert_eq!(
            m,
            "assert::eq(): two pings: expected left == right (left: 2, right: 3)"
        );
        let m = assertion(r#"assert::gt("a", "b")"#);
        assert!(m.contains(r#"left: "a", right: "b""#), "{m}");
        let m = assertion(r#"assert::contains([1, 2], 5)"#);
        assert!(m.contains("value: [1, 2], item: 5"), "{m}");
        let m = assertion(r#"assert::len("abc", 2)"#);
        assert!(m.contains("expected 2 elements, got 3"), "{m}");
        let m = assertion(r#"assert::approx(10, 13, 2)"#);
        assert!(m.contains("at most 2, got 3"), "{m}");
        assert_eq!(assertion(r#"assert::fail("no")"#), "assert::fail(): no");
    }

    #[test]
    fn unknown_std_modules_list_the_known_ones() {
        let err = eval(r#"import "std/nope" as x;"#).unwrap_err();
        assert!(err.to_string().contains("std/topo"), "{err}");
    }
}
