//! Why a WebAssembly computation stopped: the trap kinds compiled code can raise.
//!
//! The compiler records each potentially trapping instruction with one of these kinds; the runtime
//! reports it. The numeric values are part of the artifact format.

use serde::{Deserialize, Serialize};

/// A trap kind, with the message the WebAssembly spec tests expect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum TrapKind {
    /// A linear memory access outside the memory's current size.
    MemoryOutOfBounds = 1,
    /// Integer division or remainder by zero.
    IntegerDivideByZero = 2,
    /// Integer overflow (signed division of MIN by -1, trapping float-to-int out of range).
    IntegerOverflow = 3,
    /// A trapping float-to-int conversion of NaN.
    BadConversionToInteger = 4,
    /// The `unreachable` instruction.
    Unreachable = 5,
    /// `call_indirect` whose callee has another signature.
    IndirectCallTypeMismatch = 6,
    /// `call_indirect` with an index outside the table.
    UndefinedElement = 7,
    /// `call_indirect` on a null table entry.
    UninitializedElement = 8,
    /// The wasm stack limit was reached.
    StackOverflow = 9,
    /// A table access outside the table's current size.
    TableOutOfBounds = 10,
    /// `ref.as_non_null` of a null reference.
    NullReference = 11,
    /// The store's epoch deadline passed (the host asked the guest to stop).
    Interrupted = 12,
    /// `call_ref` or `return_call_ref` of a null function reference.
    NullFunctionReference = 13,
    /// An atomic access at an address not a multiple of its size.
    UnalignedAtomic = 14,
    /// `memory.atomic.wait32/64` on a memory that is not shared (no other thread could wake it).
    AtomicWaitNonSharedMemory = 15,
    /// `throw_ref` of a null exception reference.
    NullExceptionReference = 16,
    /// `struct.get` or `struct.set` of a null reference.
    NullStructReference = 17,
    /// An array instruction on a null reference.
    NullArrayReference = 18,
    /// `i31.get_s` or `i31.get_u` of a null reference.
    NullI31Reference = 19,
    /// `ref.cast` of a value not of the type (or a null where none is allowed).
    CastFailure = 20,
    /// An array index or range beyond the array's length.
    ArrayOutOfBounds = 21,
    /// An allocation the store's GC heap cannot hold within its limit, even after collecting.
    GcHeapExhausted = 22,
}

impl TrapKind {
    /// Every kind, for tables that map codes in both directions.
    pub const ALL: [TrapKind; 22] = [
        TrapKind::MemoryOutOfBounds,
        TrapKind::IntegerDivideByZero,
        TrapKind::IntegerOverflow,
        TrapKind::BadConversionToInteger,
        TrapKind::Unreachable,
        TrapKind::IndirectCallTypeMismatch,
        TrapKind::UndefinedElement,
        TrapKind::UninitializedElement,
        TrapKind::StackOverflow,
        TrapKind::TableOutOfBounds,
        TrapKind::NullReference,
        TrapKind::Interrupted,
        TrapKind::NullFunctionReference,
        TrapKind::UnalignedAtomic,
        TrapKind::AtomicWaitNonSharedMemory,
        TrapKind::NullExceptionReference,
        TrapKind::NullStructReference,
        TrapKind::NullArrayReference,
        TrapKind::NullI31Reference,
        TrapKind::CastFailure,
        TrapKind::ArrayOutOfBounds,
        TrapKind::GcHeapExhausted,
    ];

    /// The kind encoded as `code`, if any.
    pub fn from_code(code: u8) -> Option<TrapKind> {
        Self::ALL.iter().copied().find(|k| *k as u8 == code)
    }

    /// The wording of the WebAssembly specification's test suite.
    pub fn message(self) -> &'static str {
        match self {
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::IntegerDivideByZero => "integer divide by zero",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::BadConversionToInteger => "invalid conversion to integer",
            TrapKind::Unreachable => "unreachable",
            TrapKind::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapKind::UndefinedElement => "undefined element",
            TrapKind::UninitializedElement => "uninitialized element",
            TrapKind::StackOverflow => "call stack exhausted",
            TrapKind::TableOutOfBounds => "out of bounds table access",
            TrapKind::NullReference => "null reference",
            TrapKind::Interrupted => "interrupted",
            TrapKind::NullFunctionReference => "null function reference",
            TrapKind::UnalignedAtomic => "unaligned atomic",
            TrapKind::AtomicWaitNonSharedMemory => "expected shared memory",
            TrapKind::NullExceptionReference => "null exception reference",
            TrapKind::NullStructReference => "null structure reference",
            TrapKind::NullArrayReference => "null array reference",
            TrapKind::NullI31Reference => "null i31 reference",
            TrapKind::CastFailure => "cast failure",
            TrapKind::ArrayOutOfBounds => "out of bounds array access",
            TrapKind::GcHeapExhausted => "GC heap out of memory",
        }
    }
}

impl std::fmt::Display for TrapKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}
