//! Epoch checks: how a guest that never returns is stopped.
//!
//! Code compares the epoch counter with the store's deadline (see `vmctx::limits`) and traps
//! with `interrupted` at or past it. Any unbounded computation either iterates a loop or
//! recurses through functions that make calls, so the checks go where those happen, and only
//! there: at every loop header, and at the entry of every function that makes calls (direct,
//! indirect or tail). A function without calls runs a bounded number of instructions per loop
//! iteration, and one without loops or calls is bounded outright: its callers' checks cover it.
//!
//! A function with checks loads the pointers to the limits record and to the counter once, at
//! entry; a check is then a load of the counter, a compare with the deadline in the record and
//! a branch. The counter is read with an atomic load, which nothing may merge with an earlier
//! read (another thread advances it); the deadline with an ordinary one, which Cranelift may
//! not carry across a call (only a call can move it). Measured alternatives (callgrind, the
//! benchmark's workloads): reloading the pointers at every check keeps them out of callee-saved
//! registers in recursive code (`fib` 1.37x -> 1.29x the instructions of unchecked code) but
//! costs more in loops (`dijkstra` 1.15x -> 1.25x), where most time goes.

use super::{trap_code, trusted, trusted_readonly, FuncTranslator};
use cranelift_codegen::ir::{condcodes::IntCC, types, InstBuilder, Value};
use sowa_targets::vmctx::{self, limits};
use sowa_targets::TrapKind;
use wasmparser::{FunctionBody, Operator};

/// Whether a function has epoch checks, and the pointers they use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpochChecks {
    /// None: compiled without epoch checks, or a function without loops or calls.
    None,
    /// At loop headers (and at entry with calls): the limits record and the counter.
    At(Value, Value),
}

/// Whether `body` has loops and whether it makes calls.
pub fn loops_and_calls(body: &FunctionBody<'_>) -> wasmparser::Result<(bool, bool)> {
    let (mut loops, mut calls) = (false, false);
    let mut ops = body.get_operators_reader()?;
    while !(ops.eof() || loops && calls) {
        match ops.read()? {
            Operator::Loop { .. } => loops = true,
            Operator::Call { .. }
            | Operator::CallIndirect { .. }
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCallRef { .. } => calls = true,
            _ => {}
        }
    }
    Ok((loops, calls))
}

impl FuncTranslator<'_, '_> {
    /// Sets up this function's checks (given whether it has loops and calls), and makes the
    /// entry check when it makes calls.
    pub(super) fn epoch_entry(&mut self, loops: bool, calls: bool) {
        if !self.env.epoch_checks || !(loops || calls) {
            self.epoch = EpochChecks::None;
            return;
        }
        let lim = self.vmctx_load(types::I64, vmctx::LIMITS, true);
        let counter = self.b.ins().load(
            types::I64,
            trusted_readonly(),
            lim,
            limits::EPOCH_COUNTER as i32,
        );
        self.epoch = EpochChecks::At(lim, counter);
        if calls {
            self.epoch_check();
        }
    }

    /// Traps with `interrupted` if the store's epoch deadline has been reached (nothing in a
    /// function without checks).
    pub(super) fn epoch_check(&mut self) {
        let EpochChecks::At(lim, counter) = self.epoch else {
            return;
        };
        let now = self.b.ins().atomic_load(types::I64, trusted(), counter);
        let deadline = self
            .b
            .ins()
            .load(types::I64, trusted(), lim, limits::EPOCH_DEADLINE as i32);
        let reached = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, now, deadline);
        self.b
            .ins()
            .trapnz(reached, trap_code(TrapKind::Interrupted));
    }
}
