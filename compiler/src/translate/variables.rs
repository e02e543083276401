//! Locals and globals.

use super::{ir_type, trusted, trusted_readonly, FuncTranslator};
use crate::error::Result;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use wasmparser::Operator;

impl<'a, 'f> FuncTranslator<'a, 'f> {
    /// Translates a variable operator; returns false if `op` is not one.
    pub(super) fn translate_variable(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::LocalGet { local_index } => {
                let v = self.b.use_var(self.locals[local_index as usize].0);
                self.push(v);
            }
            Operator::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize].0, v);
            }
            Operator::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated");
                self.b.def_var(self.locals[local_index as usize].0, v);
            }
            Operator::GlobalGet { global_index } => {
                let (addr, offset, ty) = self.global_addr(global_index);
                let flags = self.global_flags(global_index);
                let v = self.b.ins().load(ty, flags, addr, offset);
                self.push(v);
            }
            Operator::GlobalSet { global_index } => {
                let v = self.pop();
                let (addr, offset, _) = self.global_addr(global_index);
                let flags = self.global_flags(global_index);
                self.b.ins().store(flags, v, addr, offset);
            }
            Operator::Drop => {
                self.pop();
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                let (a, b, c) = self.pop3();
                let v = self.b.ins().select(c, a, b);
                self.push(v);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Flags of an access to global `index`'s cell: in its own alias region (see `regions`).
    fn global_flags(&mut self, index: u32) -> MemFlagsData {
        let imported = self.env.manifest.info.num_imported_globals();
        let region = super::regions::global(self.b.func, index, imported);
        trusted().with_alias_region(Some(region))
    }

    /// Address (base value and offset) and type of global `index`'s cell.
    fn global_addr(&mut self, index: u32) -> (Value, i32, cranelift_codegen::ir::Type) {
        let imported = self.env.manifest.info.num_imported_globals();
        let ty = ir_type(self.env.global_types[index as usize]);
        if index < imported {
            let ptr = self.b.ins().load(
                types::I64,
                trusted_readonly(),
                self.vmctx,
                self.env.offsets.global_ptr(index) as i32,
            );
            (ptr, 0, ty)
        } else {
            let off = self.env.offsets.defined_global(index - imported);
            (self.vmctx, off as i32, ty)
        }
    }
}
