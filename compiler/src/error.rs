//! Compilation errors: every one names what went wrong and, where it has one, the byte offset.

/// Why a module could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The input is not valid WebAssembly.
    #[error("invalid wasm at offset {offset:#x}{}: {message}", func_suffix(.func))]
    Invalid {
        /// Byte offset of the problem in the input.
        offset: u64,
        /// The function it is in, if any.
        func: Option<String>,
        /// What the validator said.
        message: String,
    },
    /// Valid WebAssembly that sowa does not compile (yet).
    #[error("unsupported at offset {offset:#x}{}: {message}", func_suffix(.func))]
    Unsupported {
        /// Byte offset of the construct.
        offset: u64,
        /// The function it is in, if any.
        func: Option<String>,
        /// What is unsupported.
        message: String,
    },
    /// The code generator refused a function.
    #[error("code generation failed in function {func}: {message}")]
    Codegen {
        /// Function name.
        func: String,
        /// Code generator message.
        message: String,
    },
    /// The target or options are not usable.
    #[error("{0}")]
    Config(String),
}

fn func_suffix(func: &Option<String>) -> String {
    match func {
        Some(f) => format!(" in function '{f}'"),
        None => String::new(),
    }
}

impl From<wasmparser::BinaryReaderError> for CompileError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        CompileError::Invalid {
            offset: e.offset(),
            func: None,
            message: e.message().to_string(),
        }
    }
}

/// Whether the validator's `message` refuses a feature that was not turned on.
fn is_missing_feature(message: &str) -> bool {
    [
        "proposal not enabled",
        "support is not enabled",
        "must be enabled",
        // GC's refusals, worded otherwise.
        "requires `gc` proposal",
        "without the gc feature",
        "GC proposal is disabled",
        // Stack switching's.
        "stack switching is disabled",
    ]
    .iter()
    .any(|p| message.contains(p))
}

impl CompileError {
    /// Whether this is the validator's refusal of a feature that was not turned on.
    pub fn is_missing_feature(&self) -> bool {
        matches!(self, CompileError::Invalid { message, .. } if is_missing_feature(message))
    }

    /// The same error with `hint` after its message.
    pub fn with_hint(mut self, hint: &str) -> Self {
        if let CompileError::Invalid { message, .. } | CompileError::Unsupported { message, .. } =
            &mut self
        {
            message.push_str(": ");
            message.push_str(hint);
        }
        self
    }

    /// The validator's refusal of a proposal that was not turned on, as what it is when every
    /// proposal sowa compiles was on: sowa's limit, not the module's fault.
    pub fn as_missing_proposal(self) -> Self {
        match self {
            CompileError::Invalid {
                offset,
                func,
                message,
            } if is_missing_feature(&message) => CompileError::Unsupported {
                offset,
                func,
                message: format!(
                    "{message}: the module uses a WebAssembly feature sowa does not compile \
                         yet (it compiles WebAssembly 2.0 with SIMD and {})",
                    crate::Proposals::ALL.names().join(", ")
                ),
            },
            other => other,
        }
    }

    /// The same error, placed in function `name` if it does not say where yet.
    pub fn in_function(mut self, name: impl FnOnce() -> String) -> Self {
        if let CompileError::Invalid { func, .. } | CompileError::Unsupported { func, .. } =
            &mut self
        {
            if func.is_none() {
                *func = Some(name());
            }
        }
        self
    }
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, CompileError>;

/// An `Unsupported` error at `offset`.
pub fn unsupported(offset: u64, message: impl Into<String>) -> CompileError {
    CompileError::Unsupported {
        offset,
        func: None,
        message: message.into(),
    }
}
