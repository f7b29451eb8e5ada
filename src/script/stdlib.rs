//! The standard library: Rhai modules embedded in the binary, imported as
//! `import "std/<name>"`, ahead of ordinary files next to the script.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use rhai::module_resolvers::FileModuleResolver;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

/// The embedded modules: name and source.
pub const MODULES: &[(&str, &str)] = &[("reach", include_str!("../../stdlib/reach.rhai"))];

/// Resolves `std/…` to the embedded modules and everything else to files
/// relative to the importing script.
pub struct Resolver {
    files: FileModuleResolver,
    compiled: Mutex<HashMap<String, Shared<Module>>>,
}

impl Resolver {
    /// A resolver whose file imports start at `base_dir`.
    pub fn new(base_dir: PathBuf) -> Self {
        Resolver {
            files: FileModuleResolver::new_with_path(base_dir),
            compiled: Mutex::new(HashMap::new()),
        }
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
            return Err(EvalAltResult::ErrorModuleNotFound(
                format!("{path} (the standard library has: {})", known.join(", ")),
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
