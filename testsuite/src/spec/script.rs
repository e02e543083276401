//! Executes the directives of one `.wast` script.

use super::{spectest, values};
use sowa_compiler::{Options, Proposals};
use sowa_runtime::{Instance, InstantiateError, Linker, Module, Store, Trap, TrapKind, Val};
use std::collections::HashMap;
use wast::core::{Module as WatModule, ModuleKind};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, Wat};

/// The outcome of one script.
#[derive(Default, Debug)]
pub struct ScriptResult {
    /// Directives that passed.
    pub passed: usize,
    /// `line: what went wrong`, per failed directive.
    pub failures: Vec<String>,
    /// `line: why`, per skipped directive.
    pub skipped: Vec<String>,
}

struct Runner {
    options: Options,
    store: Store,
    linker: Linker,
    named: HashMap<String, Instance>,
    current: Option<Instance>,
    /// Modules compiled by `(module definition ...)`, by name; the unnamed one under "".
    definitions: HashMap<String, Module>,
}

enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

/// The proposals a script's set needs: none for the numbered spec versions, its own (and those
/// its scripts use) for a proposal's, since some of them check that later proposals are off
/// (memory64's predate multiple memories); all for a proposal sowa does not know.
fn options(script: &str, jobs: usize, cpu: sowa_compiler::CpuLevel) -> Options {
    let proposals = match script.strip_prefix("proposals/") {
        Some(rest) => {
            let name = rest.split('/').next().unwrap_or(rest);
            let needs = match name {
                "custom-page-sizes" => "custom-page-sizes,memory64,multi-memory",
                "function-references" => "function-references,tail-call",
                // tag.wast declares its tags' types in recursion groups.
                "exceptions" => "exceptions,tail-call,function-references,gc",
                "gc" => "gc,function-references,tail-call,exceptions",
                // Written against WebAssembly 1.0: expects a second table to be invalid.
                "threads" => "threads,reference-types=n",
                other => other,
            };
            Proposals::NONE.with(needs).unwrap_or(Proposals::ALL)
        }
        // WebAssembly 3.0 is 2.0 plus the proposals it merged, sowa's among them.
        None if script.starts_with("wasm-v3/") => Proposals::ALL,
        None => Proposals::NONE,
    };
    Options {
        proposals,
        jobs,
        cpu,
        ..Default::default()
    }
}

fn compile(wasm: &[u8], options: &Options) -> Result<Module, String> {
    let so = sowa_compiler::compile(wasm, options).map_err(|e| e.to_string())?;
    Module::from_bytes(&so).map_err(|e| format!("load: {e}"))
}

fn module_id(q: &QuoteWat<'_>) -> Option<String> {
    match q {
        QuoteWat::Wat(Wat::Module(WatModule { id: Some(id), .. })) => Some(id.name().to_string()),
        _ => None,
    }
}

fn is_binary_or_text_module(q: &QuoteWat<'_>) -> bool {
    matches!(
        q,
        QuoteWat::Wat(Wat::Module(WatModule {
            kind: ModuleKind::Text(_) | ModuleKind::Binary(_),
            ..
        })) | QuoteWat::QuoteModule(..)
    )
}

/// Whether a trap message matches the script's expectation (the spec allows longer messages).
fn trap_matches(t: &Trap, want: &str) -> bool {
    match t.kind() {
        Some(k) => want.starts_with(k.message()) || k.message().starts_with(want),
        None => false,
    }
}

impl Runner {
    fn new(options: Options) -> Runner {
        let store = Store::default();
        let mut linker = Linker::new();
        spectest::define(&mut linker, &store);
        Runner {
            options,
            store,
            linker,
            named: HashMap::new(),
            current: None,
            definitions: HashMap::new(),
        }
    }

    fn instance(&self, id: Option<wast::token::Id<'_>>) -> Result<&Instance, String> {
        match id {
            Some(id) => self
                .named
                .get(id.name())
                .ok_or_else(|| format!("no module named {}", id.name())),
            None => self
                .current
                .as_ref()
                .ok_or_else(|| "no current module".into()),
        }
    }

    fn instantiate(&self, wasm: &[u8]) -> Result<Result<Instance, InstantiateError>, String> {
        let m = compile(wasm, &self.options)?;
        Ok(self.linker.instantiate(&self.store, &m))
    }

    fn invoke(&self, inv: &WastInvoke<'_>) -> Result<Result<Vec<Val>, Trap>, String> {
        let inst = self.instance(inv.module)?;
        let f = inst
            .get_func(inv.name)
            .ok_or_else(|| format!("no exported function '{}'", inv.name))?;
        let args = inv
            .args
            .iter()
            .map(|a| values::arg(a, &self.store))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(f.call(&args))
    }

    fn execute(&mut self, exec: &mut WastExecute<'_>) -> Result<Result<Vec<Val>, Trap>, String> {
        match exec {
            WastExecute::Invoke(inv) => self.invoke(inv),
            WastExecute::Get { module, global, .. } => {
                let inst = self.instance(*module)?;
                let g = inst
                    .get_global(global)
                    .ok_or_else(|| format!("no exported global '{global}'"))?;
                Ok(Ok(vec![g.get()]))
            }
            WastExecute::Wat(w) => {
                let wasm = w.encode().map_err(|e| e.to_string())?;
                match self.instantiate(&wasm)? {
                    Ok(_) => Ok(Ok(vec![])),
                    Err(InstantiateError::Trap(t)) => Ok(Err(t)),
                    Err(e) => Err(format!("instantiation failed without a trap: {e}")),
                }
            }
        }
    }

    fn directive(&mut self, d: WastDirective<'_>) -> Outcome {
        match self.try_directive(d) {
            Ok(o) => o,
            Err(e) => Outcome::Fail(e),
        }
    }

    fn try_directive(&mut self, d: WastDirective<'_>) -> Result<Outcome, String> {
        Ok(match d {
            WastDirective::Module(mut q) => {
                let id = module_id(&q);
                let wasm = q.encode().map_err(|e| format!("encode: {e}"))?;
                let inst = self.instantiate(&wasm)?.map_err(|e| e.to_string())?;
                if let Some(id) = id {
                    self.named.insert(id, inst.clone());
                }
                self.current = Some(inst);
                Outcome::Pass
            }
            WastDirective::Register { name, module, .. } => {
                let inst = self.instance(module)?.clone();
                self.linker.instance(name, &inst);
                Outcome::Pass
            }
            WastDirective::Invoke(inv) => match self.invoke(&inv)? {
                Ok(_) => Outcome::Pass,
                Err(t) => Outcome::Fail(format!("unexpected trap: {t}")),
            },
            WastDirective::AssertReturn {
                mut exec, results, ..
            } => match self.execute(&mut exec)? {
                Ok(got) => {
                    if got.len() != results.len() {
                        return Ok(Outcome::Fail(format!(
                            "expected {} results, got {got:?}",
                            results.len()
                        )));
                    }
                    for (w, g) in results.iter().zip(&got) {
                        if !values::matches(w, g, &self.store)? {
                            return Ok(Outcome::Fail(format!("expected {w:?}, got {g}")));
                        }
                    }
                    Outcome::Pass
                }
                Err(t) => Outcome::Fail(format!("unexpected trap: {t}")),
            },
            WastDirective::AssertTrap {
                mut exec, message, ..
            } => match self.execute(&mut exec)? {
                Ok(v) => Outcome::Fail(format!("expected trap '{message}', got {v:?}")),
                Err(t) if trap_matches(&t, message) => Outcome::Pass,
                Err(t) => Outcome::Fail(format!("expected trap '{message}', got '{t}'")),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call)? {
                Err(t) if t.kind() == Some(TrapKind::StackOverflow) => Outcome::Pass,
                other => Outcome::Fail(format!("expected '{message}', got {other:?}")),
            },
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            }
            | WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => {
                if !is_binary_or_text_module(&module) {
                    return Ok(Outcome::Skip("component module".into()));
                }
                match module.encode() {
                    // Text that does not even parse is malformed, as expected.
                    Err(_) => Outcome::Pass,
                    Ok(wasm) => match sowa_compiler::compile(&wasm, &self.options) {
                        Err(_) => Outcome::Pass,
                        Ok(_) => Outcome::Fail(format!("compiled a module that is '{message}'")),
                    },
                }
            }
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => {
                let wasm = module.encode().map_err(|e| e.to_string())?;
                match self.instantiate(&wasm)? {
                    Err(InstantiateError::Link(_)) => Outcome::Pass,
                    other => Outcome::Fail(format!(
                        "expected unlinkable '{message}', got {:?}",
                        other.map(|_| ()).map_err(|e| e.to_string())
                    )),
                }
            }
            // A definition compiles (and so validates) a module without instantiating it; an
            // instance directive instantiates a definition, as `(module ...)` would have.
            WastDirective::ModuleDefinition(mut q) => {
                if !is_binary_or_text_module(&q) {
                    return Ok(Outcome::Skip("component module".into()));
                }
                let id = module_id(&q).unwrap_or_default();
                let wasm = q.encode().map_err(|e| format!("encode: {e}"))?;
                self.definitions.insert(id, compile(&wasm, &self.options)?);
                Outcome::Pass
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let def = module.map_or("", |m| m.name());
                let m = self
                    .definitions
                    .get(def)
                    .ok_or_else(|| format!("no module definition named '{def}'"))?;
                let inst = self
                    .linker
                    .instantiate(&self.store, m)
                    .map_err(|e| e.to_string())?;
                if let Some(id) = instance {
                    self.named.insert(id.name().to_string(), inst.clone());
                }
                self.current = Some(inst);
                Outcome::Pass
            }
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => {
                Outcome::Skip("custom-section assertions".into())
            }
            WastDirective::AssertException { mut exec, .. } => match self.execute(&mut exec)? {
                Ok(v) => Outcome::Fail(format!("expected an uncaught exception, got {v:?}")),
                Err(t) if matches!(t.reason, sowa_runtime::TrapReason::Exception(_)) => {
                    Outcome::Pass
                }
                Err(t) => Outcome::Fail(format!("expected an uncaught exception, got '{t}'")),
            },
            WastDirective::AssertSuspension { .. }
            | WastDirective::Thread(_)
            | WastDirective::Wait { .. } => {
                Outcome::Skip("exceptions, stack switching and threads are not supported".into())
            }
        })
    }
}

/// Runs one script's text; `name` labels it; `jobs` is the compiler's thread count.
pub fn run_script(
    name: &str,
    text: &str,
    jobs: usize,
    cpu: sowa_compiler::CpuLevel,
) -> ScriptResult {
    let mut result = ScriptResult::default();
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match wast::parser::ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => {
            result.failures.push(format!("{name}: cannot lex: {e}"));
            return result;
        }
    };
    let wast = match wast::parser::parse::<Wast<'_>>(&buf) {
        Ok(w) => w,
        Err(e) => {
            result.failures.push(format!("{name}: cannot parse: {e}"));
            return result;
        }
    };
    let mut runner = Runner::new(options(name, jobs, cpu));
    for d in wast.directives {
        let (line, _) = d.span().linecol_in(text);
        let line = line + 1;
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner.directive(d)))
                .unwrap_or_else(|p| {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    Outcome::Fail(format!("panic: {msg}"))
                });
        match outcome {
            Outcome::Pass => result.passed += 1,
            Outcome::Fail(m) => result.failures.push(format!("{name}:{line}: {m}")),
            Outcome::Skip(m) => result.skipped.push(format!("{name}:{line}: {m}")),
        }
    }
    result
}
