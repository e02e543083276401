//! Epoch checks: how a guest that never returns is stopped.
//!
//! Every function entry and loop header compares the epoch counter with the store's deadline
//! (see `vmctx::limits`) and traps with `interrupted` at or past it, so any computation, however
//! it loops or recurses, reaches a check within a bounded amount of work. The pointers to the
//! limits record and to the counter are loaded once at entry (they are fixed for the whole call);
//! the counter and the deadline are loaded at every check, since another thread advances the
//! first and a host function may move the second (only calls can, and calls end Cranelift's
//! assumption that memory is unchanged, so the deadline can be an ordinary load).

use super::{trap_code, trusted, trusted_readonly, FuncTranslator};
use cranelift_codegen::ir::{condcodes::IntCC, types, InstBuilder, Value};
use sowa_targets::vmctx::{self, limits};
use sowa_targets::TrapKind;

/// The values an epoch check needs, loaded at function entry.
#[derive(Clone, Copy)]
pub struct EpochPointers {
    limits: Value,
    counter: Value,
}

impl FuncTranslator<'_, '_> {
    /// Loads the pointers the epoch checks of this function use.
    pub(super) fn load_epoch_pointers(&mut self) {
        let limits = self.vmctx_load(types::I64, vmctx::LIMITS, true);
        let counter = self.b.ins().load(
            types::I64,
            trusted_readonly(),
            limits,
            limits::EPOCH_COUNTER as i32,
        );
        self.epoch = Some(EpochPointers { limits, counter });
    }

    /// Traps with `interrupted` if the store's epoch deadline has been reached (nothing when
    /// the module is compiled without epoch checks).
    pub(super) fn epoch_check(&mut self) {
        let Some(p) = self.epoch else { return };
        // An atomic load: Cranelift would merge a plain load with the one at function entry in
        // a loop that stores nothing, and the loop would never see the counter move.
        let now = self.b.ins().atomic_load(types::I64, trusted(), p.counter);
        let deadline = self.b.ins().load(
            types::I64,
            trusted(),
            p.limits,
            limits::EPOCH_DEADLINE as i32,
        );
        let reached = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, now, deadline);
        self.b
            .ins()
            .trapnz(reached, trap_code(TrapKind::Interrupted));
    }
}
