//! Resolves a module's imports by name.
//!
//! A linker holds two kinds of definitions: objects of a store ([`Linker::define`]), and host
//! functions that belong to no store ([`Linker::func_new`]). The latter are what a server wants:
//! it defines WASI or its own host API once, then instantiates in a fresh store per request;
//! each instantiation creates, in its store, only the host functions the module imports. So a
//! definition costs one entry here and nothing per store, however many functions a host API
//! has and however few a module uses. A host API with many functions can go further and
//! define a whole import module by a resolver ([`Linker::func_resolver`]), asked only for the
//! names a module imports: defining it costs one entry, not one per function.

use crate::func::{Caller, Func};
use crate::instance::{Extern, Instance, InstantiateError};
use crate::module::Module;
use crate::store::Store;
use crate::traps::Trap;
use crate::values::Val;
use sowa_targets::FuncType;
use std::collections::BTreeMap;
use std::rc::Rc;

/// A host function shared by every store a linker instantiates into.
pub type SharedHostFn = Rc<crate::func::HostFn>;

/// Resolves a field name of an import module to a host function and its type.
type Resolver = Rc<dyn Fn(&str) -> Option<(FuncType, SharedHostFn)>>;

#[derive(Clone)]
enum Definition {
    /// An object of some store.
    Extern(Extern),
    /// A host function of no store yet.
    Host { ty: FuncType, f: SharedHostFn },
}

/// A set of named definitions to instantiate modules against.
#[derive(Default, Clone)]
pub struct Linker {
    // By module name, then field name: looked up with `&str`, without building keys.
    defs: BTreeMap<String, BTreeMap<String, Definition>>,
    // Consulted for names a module has no definition for in `defs`.
    resolvers: BTreeMap<String, Resolver>,
}

impl Linker {
    /// An empty linker.
    pub fn new() -> Linker {
        Linker::default()
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition) -> &mut Self {
        let fields = match self.defs.get_mut(module) {
            Some(f) => f,
            None => self.defs.entry(module.to_string()).or_default(),
        };
        fields.insert(name.to_string(), def);
        self
    }

    /// Defines `module`.`name` as an object of some store; only modules instantiated in that
    /// store can import it.
    pub fn define(&mut self, module: &str, name: &str, item: Extern) -> &mut Self {
        self.insert(module, name, Definition::Extern(item))
    }

    /// Defines `module`.`name` as a host function of type `ty`, usable from every store.
    ///
    /// The function gets the calling instance's memory through its [`Caller`], fills its
    /// results, and may fail with a [`Trap`], which stops the guest and is returned by the call
    /// into wasm that led to it.
    ///
    /// ```
    /// use sowa_runtime::{FuncType, Linker, Module, Store, Trap, TrapReason, Val, ValType};
    /// use std::{cell::RefCell, rc::Rc};
    /// # fn compile(wat: &str) -> Vec<u8> {
    /// #     sowa_compiler::compile(&wat::parse_str(wat).unwrap(), &Default::default()).unwrap()
    /// # }
    /// let module = Module::from_bytes(&compile(r#"
    ///     (module
    ///       (import "env" "log" (func $log (param i32 i32)))
    ///       (memory (export "memory") 1)
    ///       (data (i32.const 8) "ready")
    ///       (func (export "main") (call $log (i32.const 8) (i32.const 5)))
    ///       (func (export "bad") (call $log (i32.const 65530) (i32.const 100))))
    /// "#))?;
    /// let lines = Rc::new(RefCell::new(Vec::new()));
    /// let mut linker = Linker::new();
    /// let ty = FuncType { params: vec![ValType::I32, ValType::I32], results: vec![] };
    /// let log = lines.clone();
    /// linker.func_new("env", "log", ty, move |caller, args, _results| {
    ///     let (ptr, len) = (args[0].i32().unwrap() as u32 as usize, args[1].i32().unwrap() as u32 as usize);
    ///     let memory = caller.memory().ok_or_else(|| Trap::host("log: no memory"))?;
    ///     // Guest pointers are checked: a bad one fails the call, never the host.
    ///     let bytes = memory.get(ptr..ptr + len).ok_or_else(|| Trap::host("log: out of bounds"))?;
    ///     log.borrow_mut().push(String::from_utf8_lossy(bytes).into_owned());
    ///     Ok(())
    /// });
    /// let store = Store::default();
    /// let instance = linker.instantiate(&store, &module)?;
    /// instance.get_func("main").unwrap().call(&[])?;
    /// assert_eq!(*lines.borrow(), ["ready"]);
    /// let trap = instance.get_func("bad").unwrap().call(&[]).unwrap_err();
    /// assert_eq!(trap.reason, TrapReason::Host("log: out of bounds".into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(&mut Caller, &[Val], &mut [Val]) -> Result<(), Trap> + 'static,
    ) -> &mut Self {
        let f: SharedHostFn = Rc::new(f);
        self.insert(module, name, Definition::Host { ty, f })
    }

    /// Defines the functions of import module `module` by `resolve`, which is asked, at each
    /// instantiation, for every name a module imports from `module` that has no definition of
    /// its own here, and answers with the function's type and the function (or `None`).
    pub fn func_resolver(
        &mut self,
        module: &str,
        resolve: impl Fn(&str) -> Option<(FuncType, SharedHostFn)> + 'static,
    ) -> &mut Self {
        self.resolvers.insert(module.to_string(), Rc::new(resolve));
        self
    }

    /// Defines every export of `instance` under the module name `module`.
    pub fn instance(&mut self, module: &str, instance: &Instance) -> &mut Self {
        for (name, e) in instance.exports() {
            self.define(module, &name, e);
        }
        self
    }

    fn definition(&self, module: &str, name: &str) -> Option<&Definition> {
        self.defs.get(module)?.get(name)
    }

    /// The definition of `module`.`name` as an object of `store` (a host function defined with
    /// [`Linker::func_new`] is created in `store` for the purpose).
    pub fn get(&self, store: &Store, module: &str, name: &str) -> Option<Extern> {
        Some(match self.definition(module, name) {
            Some(Definition::Extern(e)) => e.clone(),
            Some(Definition::Host { ty, f }) => {
                Extern::Func(Func::from_shared(store, ty.clone(), f))
            }
            None => {
                let (ty, f) = self.resolvers.get(module)?(name)?;
                Extern::Func(Func::from_shared(store, ty, &f))
            }
        })
    }

    /// Instantiates `module` with imports resolved from this linker.
    pub fn instantiate(
        &self,
        store: &Store,
        module: &Module,
    ) -> Result<Instance, InstantiateError> {
        let mut imports = Vec::with_capacity(module.info().imports.len());
        for (m, n) in module.imports() {
            imports.push(self.get(store, m, n).ok_or_else(|| {
                InstantiateError::Link(format!("unknown import: `{m}`.`{n}` has not been defined"))
            })?);
        }
        Instance::new(store, module, &imports)
    }
}
