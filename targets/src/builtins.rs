//! Runtime functions that compiled code calls through the context's builtin table.
//!
//! Operations that need the runtime (growing a memory, bulk copies that must check bounds first) are
//! calls through `vmctx->builtins[index]` with the platform C calling convention. Those that can
//! fail return a nonzero status, and the caller raises the trap, so that the trap is reported at
//! the wasm instruction that caused it.

/// Abstract parameter/result types of builtin signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer (addresses and lengths in memories, which may be 64-bit: a 32-bit
    /// memory's are zero-extended).
    I64,
    /// Pointer-sized integer.
    Ptr,
}

macro_rules! builtins {
    ($($(#[$doc:meta])* $name:ident($($p:ident),*) -> ($($r:ident),*);)*) => {
        /// A runtime function callable from compiled code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(non_camel_case_types)]
        #[repr(u32)]
        pub enum Builtin { $($(#[$doc])* $name,)* }

        impl Builtin {
            /// Every builtin in table order.
            pub const ALL: &'static [Builtin] = &[$(Builtin::$name),*];
            /// Parameters after the leading vmctx pointer.
            pub fn params(self) -> &'static [BType] {
                match self { $(Builtin::$name => &[$(BType::$p),*],)* }
            }
            /// Results.
            pub fn results(self) -> &'static [BType] {
                match self { $(Builtin::$name => &[$(BType::$r),*],)* }
            }
            /// Byte offset of this builtin's entry in the builtin table.
            pub fn table_offset(self) -> u32 {
                self as u32 * 8
            }
        }
    };
}

builtins! {
    /// `memory.grow(mem, delta) -> old size in pages or -1`
    memory_grow(I32, I64) -> (I64);
    /// `memory.fill(mem, dst, val, len) -> status`
    memory_fill(I32, I64, I32, I64) -> (I32);
    /// `memory.copy(dst_mem, src_mem, dst, src, len) -> status`
    memory_copy(I32, I32, I64, I64, I64) -> (I32);
    /// `memory.init(mem, data, dst, src, len) -> status`
    memory_init(I32, I32, I64, I32, I32) -> (I32);
    /// `data.drop(data)`
    data_drop(I32) -> ();
    /// `table.grow(table, init, delta) -> old size or -1` (indices and sizes of tables, which
    /// may be 64-bit, as `i64`: a 32-bit table's are zero-extended)
    table_grow(I32, Ptr, I64) -> (I64);
    /// `table.fill(table, dst, val, len) -> status`
    table_fill(I32, I64, Ptr, I64) -> (I32);
    /// `table.copy(dst_table, src_table, dst, src, len) -> status`
    table_copy(I32, I32, I64, I64, I64) -> (I32);
    /// `table.init(table, elem, dst, src, len) -> status`
    table_init(I32, I32, I64, I32, I32) -> (I32);
    /// `elem.drop(elem)`
    elem_drop(I32) -> ();
    /// `throw(tag, values)`: throws a new exception of tag `tag` (an index in the context's
    /// tag slots) with the values at `values` (one 16-byte slot each); `throw(u32::MAX, exn)`
    /// throws exception `exn` again (`throw_ref`, and handlers that match none of their
    /// clauses). Returns only by resuming at a handler.
    throw(I32, Ptr) -> ();
    /// `memory.atomic.notify(native address, count) -> woken` (shared memories)
    memory_atomic_notify(Ptr, I32) -> (I32);
    /// `memory.atomic.wait32(native address, expected, timeout ns) -> 0 ok, 1 not equal,
    /// 2 timed out` (shared memories)
    memory_atomic_wait32(Ptr, I32, I64) -> (I32);
    /// `memory.atomic.wait64(native address, expected, timeout ns) -> as wait32`
    memory_atomic_wait64(Ptr, I64, I64) -> (I32);
    /// `struct.new(_default)(type) -> address` of a zeroed structure of module type `type`,
    /// 0 when the GC heap has no room for it
    gc_alloc_struct(I32) -> (Ptr);
    /// `array.new(_default, _fixed)(type, len) -> address` of a zeroed array, 0 when the GC
    /// heap has no room for it
    gc_alloc_array(I32, I32) -> (Ptr);
    /// `array.fill(type, array, offset, value low, value high, n) -> status` (1: out of
    /// bounds); the array is not null
    array_fill(I32, Ptr, I32, I64, I64, I32) -> (I32);
    /// `array.copy(type, dst, dst offset, src, src offset, n) -> status` (1: out of bounds);
    /// neither array is null
    array_copy(I32, Ptr, I32, Ptr, I32, I32) -> (I32);
    /// `array.init_data(type, array, data, dst offset, src offset, n) -> status` (1: out of
    /// the array's bounds, 2: out of the segment's)
    array_init_data(I32, Ptr, I32, I32, I32, I32) -> (I32);
    /// `array.init_elem(type, array, elem, dst offset, src offset, n) -> status` (1: out of
    /// the array's bounds, 2: out of the segment's)
    array_init_elem(I32, Ptr, I32, I32, I32, I32) -> (I32);
    /// `array.new_data(type, data, offset, len) -> address`, 0 when the GC heap has no room,
    /// 1 when the segment has not the bytes
    array_new_data(I32, I32, I32, I32) -> (Ptr);
    /// `array.new_elem(type, elem, offset, len) -> address`, 0 when the GC heap has no room,
    /// 1 when the segment has not the elements
    array_new_elem(I32, I32, I32, I32) -> (Ptr);
    /// `ref.test(reference, heap type code) -> 1 or 0` for a non-null reference (see
    /// [`crate::gc::heap_code`])
    ref_test(Ptr, I32) -> (I32);
    /// `(canonical type id, module type index) -> 1 or 0`: whether a function of the first
    /// type may be called as one of the second (`call_indirect` when the ids differ and the
    /// type expected is not final)
    func_subtype(I32, I32) -> (I32);
}
