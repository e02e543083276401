//! Layout of the per-instance context (`vmctx`) that compiled code receives as its first argument.
//!
//! The compiler turns every access to instance state into a load at an offset computed here; the
//! runtime allocates and fills a block of exactly this shape. Fixed header first, then arrays whose
//! lengths come from the module:
//!
//! ```text
//! header     limits, builtins, instance                          (HEADER_SIZE bytes)
//! type_ids   [u32; types]            canonical signature id per module type index
//! memories   [(*mut VMMemory, base); memories]   imported then defined: the record, and a
//!                                        copy of its base address, which never changes (a
//!                                        memory's whole range is reserved up front), so that
//!                                        code reaches linear memory in one load
//! tables     [*mut VMTable;  tables]     imported then defined
//! globals    [*mut VMGlobal; globals]    imported then defined
//! tags       [*const VMTag; tags]        imported then defined: a tag's identity, which
//!                                        exceptions carry and handlers compare
//! funcrefs   [VMFuncRef; funcrefs]       imported functions, then the defined functions a
//!                                        reference can be taken to (see `funcref_slots`);
//!                                        also the import table
//! defined globals, stored inline
//! ```
//!
//! Memory and table records live with the memory or table itself (they are shared by every
//! instance that imports them and change on growth), so the context only points at them.

/// Offset of the pointer to the store's [`limits`] record, shared by all instances of a store.
pub const LIMITS: u32 = 0;
/// Offset of the pointer to the table of runtime functions ([`crate::builtins`]).
pub const BUILTINS: u32 = 8;
/// Offset of the runtime's back pointer to the instance that owns this context.
pub const INSTANCE: u32 = 16;
/// Size of the fixed header.
pub const HEADER_SIZE: u32 = 24;

/// Size of a pointer-sized field (both supported targets are 64-bit).
pub const PTR: u32 = 8;

/// Size of a memory's entry in the context: the record pointer and the base address.
const MEMORY_SLOT: u32 = 2 * PTR;

/// Per-store, per-call limits that compiled code checks, and where wasm last left for the
/// runtime (so that the collector can walk its frames).
///
/// ```text
///  0  stack_limit     usize        lowest stack address wasm may use (every prologue)
///  8  exit_fp         usize        frame pointer of the innermost wasm frame when wasm last
///                                  called the host (written by host bridges) or an
///                                  allocating builtin (written by its entry stub)
/// 16  exit_pc         usize        the return address into that frame
/// ```
///
/// Deadlines need nothing here: a guest past its store's deadline is stopped by a signal to its
/// thread (see the runtime's `epoch` module), so compiled code carries no checks for them.
pub mod limits {
    /// Offset of the lowest stack address wasm code may use, checked in every function prologue.
    pub const STACK_LIMIT: u32 = 0;
    /// Offset of the frame pointer of the wasm frame that last called out of wasm.
    pub const EXIT_FP: u32 = 8;
    /// Offset of the return address into that frame.
    pub const EXIT_PC: u32 = 16;
    /// Size of the part of the record compiled code reads and writes.
    pub const SIZE: u32 = 24;
}

/// An exception as compiled code sees it (what an `exnref` points to): its tag's identity
/// and its values, one 16-byte slot each (see [`VALUE_SLOT`]).
pub mod exn {
    /// Offset of the pointer to the tag's identity (compared with a context's tag slots).
    pub const TAG: u32 = 0;
    /// Offset of the pointer to the values.
    pub const VALUES: u32 = 8;
    /// Size of the part of the record compiled code reads.
    pub const SIZE: u32 = 16;
}

/// A linear memory as compiled code sees it: base address and current length in bytes.
pub mod memory {
    /// Offset of the base address.
    pub const BASE: u32 = 0;
    /// Offset of the current length in bytes (u64).
    pub const LENGTH: u32 = 8;
    /// Size of the record.
    pub const SIZE: u32 = 16;
}

/// A table as compiled code sees it: base of its element array and its current length.
pub mod table {
    /// Offset of the pointer to the elements (each a pointer-sized reference).
    pub const BASE: u32 = 0;
    /// Offset of the current number of elements (u64).
    pub const LENGTH: u32 = 8;
    /// Size of the record.
    pub const SIZE: u32 = 16;
}

/// A global's storage cell; large enough for any value type.
pub mod global {
    /// Size of the cell.
    pub const SIZE: u32 = 16;
}

/// A function reference: what `ref.func` yields, tables hold, and imports are called through.
pub mod funcref {
    /// Offset of the code address to call with the wasm calling convention.
    pub const WASM_CALL: u32 = 0;
    /// Offset of the callee's own context, passed as its first argument.
    pub const VMCTX: u32 = 8;
    /// Offset of the canonical signature id (u32) checked by `call_indirect`.
    pub const TYPE_ID: u32 = 16;
    /// Offset of the host-to-wasm entry trampoline for this signature (null for host functions).
    pub const ARRAY_CALL: u32 = 24;
    /// Size of the record.
    pub const SIZE: u32 = 32;
}

/// The context of a host function, passed as the callee vmctx to a wasm-to-host bridge.
pub mod host_ctx {
    /// Offset of the host entry point: `extern "C" fn(host_ctx, caller_vmctx, values: *mut [u8; 16])`.
    pub const FUNC: u32 = 0;
}

/// The funcref slot of function `index`: an imported function's slot is its index; a defined
/// function has one only if a reference can be taken to it, after the imports, in the order of
/// `referenced` (sorted function indices, the manifest's `FuncRefs` table). Direct calls need no
/// record, so a large program's context holds records for its indirect-call table and exports,
/// not for every function. `position` finds an index in `referenced`.
pub fn funcref_slot(
    index: u32,
    imported: u32,
    position: impl FnOnce(u32) -> Option<u32>,
) -> Option<u32> {
    if index < imported {
        Some(index)
    } else {
        Some(imported + position(index)?)
    }
}

/// Size of one slot of the value array that trampolines and bridges pass values in.
pub const VALUE_SLOT: u32 = 16;

/// The counts that determine a context's layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VMCounts {
    /// Module type section entries.
    pub types: u32,
    /// Funcref slots: one per imported function, then one per defined function a reference
    /// can be taken to (see [`funcref_slot`]).
    pub funcrefs: u32,
    /// All memories, imported and defined.
    pub memories: u32,
    /// Imported memories.
    pub imported_memories: u32,
    /// All tables, imported and defined.
    pub tables: u32,
    /// Imported tables.
    pub imported_tables: u32,
    /// All globals, imported and defined.
    pub globals: u32,
    /// Imported globals.
    pub imported_globals: u32,
    /// All tags (exceptions), imported and defined.
    pub tags: u32,
}

/// Offsets of every field of a context with the given counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VMOffsets {
    /// The counts this layout was computed from.
    pub counts: VMCounts,
    type_ids: u32,
    memories: u32,
    tables: u32,
    globals: u32,
    tags: u32,
    funcrefs: u32,
    defined_globals: u32,
    size: u32,
}

fn align(x: u32, to: u32) -> u32 {
    x.div_ceil(to) * to
}

impl VMOffsets {
    /// Computes the layout for `counts`.
    pub fn new(counts: VMCounts) -> Self {
        let type_ids = HEADER_SIZE;
        let memories = align(type_ids + 4 * counts.types, 8);
        let tables = memories + MEMORY_SLOT * counts.memories;
        let globals = tables + PTR * counts.tables;
        let tags = globals + PTR * counts.globals;
        let funcrefs = align(tags + PTR * counts.tags, 16);
        let defined_globals = funcrefs + funcref::SIZE * counts.funcrefs;
        let size = defined_globals + global::SIZE * (counts.globals - counts.imported_globals);
        VMOffsets {
            counts,
            type_ids,
            memories,
            tables,
            globals,
            tags,
            funcrefs,
            defined_globals,
            size,
        }
    }

    /// Offset of the canonical id of module type `index`.
    pub fn type_id(&self, index: u32) -> u32 {
        self.type_ids + 4 * index
    }
    /// Offset of the pointer to memory `index`'s [`memory`] record.
    pub fn memory_ptr(&self, index: u32) -> u32 {
        self.memories + MEMORY_SLOT * index
    }

    /// Offset of the copy of memory `index`'s base address (the record's `BASE`, which never
    /// changes once the memory exists).
    pub fn memory_base(&self, index: u32) -> u32 {
        self.memory_ptr(index) + PTR
    }
    /// Offset of the pointer to table `index`'s [`table`] record.
    pub fn table_ptr(&self, index: u32) -> u32 {
        self.tables + PTR * index
    }
    /// Offset of the pointer to global `index`'s cell.
    pub fn global_ptr(&self, index: u32) -> u32 {
        self.globals + PTR * index
    }
    /// Offset of the pointer to tag `index`'s identity record.
    pub fn tag_ptr(&self, index: u32) -> u32 {
        self.tags + PTR * index
    }
    /// Offset of the [`funcref`] record in slot `slot` (see [`funcref_slot`]).
    pub fn funcref(&self, slot: u32) -> u32 {
        self.funcrefs + funcref::SIZE * slot
    }
    /// Offset of the storage of the `index`-th defined global.
    pub fn defined_global(&self, index: u32) -> u32 {
        self.defined_globals + global::SIZE * index
    }
    /// Total size of the context in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_do_not_overlap() {
        let o = VMOffsets::new(VMCounts {
            types: 3,
            funcrefs: 5,
            memories: 2,
            imported_memories: 1,
            tables: 1,
            imported_tables: 0,
            globals: 4,
            imported_globals: 2,
            tags: 2,
        });
        assert!(o.type_id(2) + 4 <= o.memory_ptr(0));
        assert_eq!(o.memory_base(0), o.memory_ptr(0) + 8);
        assert!(o.memory_ptr(0) + 8 < o.memory_ptr(1));
        assert!(o.memory_base(1) + 8 <= o.table_ptr(0));
        assert!(o.global_ptr(3) + 8 <= o.tag_ptr(0));
        assert!(o.tag_ptr(1) + 8 <= o.funcref(0));
        assert_eq!(o.funcref(0) % 16, 0);
        assert!(o.funcref(4) + funcref::SIZE <= o.defined_global(0));
        assert_eq!(o.defined_global(1) + global::SIZE, o.size());
    }
}
