//! Resolves a module's imports by name.

use crate::instance::{Extern, Instance, InstantiateError};
use crate::module::Module;
use crate::store::Store;
use std::collections::HashMap;

/// A set of named definitions to instantiate modules against.
#[derive(Default, Clone)]
pub struct Linker {
    defs: HashMap<(String, String), Extern>,
}

impl Linker {
    /// An empty linker.
    pub fn new() -> Linker {
        Linker::default()
    }

    /// Defines `module`.`name`.
    pub fn define(&mut self, module: &str, name: &str, item: Extern) -> &mut Self {
        self.defs
            .insert((module.to_string(), name.to_string()), item);
        self
    }

    /// Defines every export of `instance` under the module name `module`.
    pub fn instance(&mut self, module: &str, instance: &Instance) -> &mut Self {
        for (name, e) in instance.exports() {
            self.define(module, &name, e);
        }
        self
    }

    /// The definition of `module`.`name`.
    pub fn get(&self, module: &str, name: &str) -> Option<&Extern> {
        self.defs.get(&(module.to_string(), name.to_string()))
    }

    /// Instantiates `module` with imports resolved from this linker.
    pub fn instantiate(
        &self,
        store: &Store,
        module: &Module,
    ) -> Result<Instance, InstantiateError> {
        let imports = module
            .imports()
            .map(|(m, n)| {
                self.get(m, n).cloned().ok_or_else(|| {
                    InstantiateError::Link(format!(
                        "unknown import: `{m}`.`{n}` has not been defined"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Instance::new(store, module, &imports)
    }
}
