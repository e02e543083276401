//! Structured control flow: blocks, loops, ifs, branches and returns.

use super::{ir_type, FuncTranslator};
use crate::error::Result;
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, JumpTableData, Value};
use sowa_targets::{FuncType, TrapKind};
use wasmparser::{BlockType, Operator};

/// What kind of construct a frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameKind {
    Block,
    Loop,
    /// `if`: the else block (reached with the params) and whether an `else` was seen.
    If {
        else_block: ir::Block,
        seen_else: bool,
    },
    Function,
    /// `try_table`: a block whose calls unwind to `pad`.
    TryTable {
        pad: ir::Block,
    },
}

/// An open block, loop, if, or the function body itself.
pub struct Frame {
    kind: FrameKind,
    /// Where control goes after `end`; takes the results as parameters.
    dest: ir::Block,
    /// Loop header, the target of branches to a loop.
    header: Option<ir::Block>,
    params: usize,
    results: usize,
    /// Operand stack height below the params.
    height: usize,
    /// Whether any branch targets `dest` (so code after `end` is reachable).
    branched_to: bool,
}

impl Frame {
    /// Number of values a branch to this frame carries.
    fn branch_arity(&self) -> usize {
        if self.kind == FrameKind::Loop {
            self.params
        } else {
            self.results
        }
    }

    pub(super) fn branch_target(&self) -> ir::Block {
        self.header.unwrap_or(self.dest)
    }

    /// Records that a branch goes to this frame (so code after its `end` is reachable).
    pub(super) fn mark_branched(&mut self) {
        self.branched_to = true;
    }
}

fn args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|v| BlockArg::Value(*v)).collect()
}

impl<'a, 'f> FuncTranslator<'a, 'f> {
    fn block_types(&self, bt: BlockType) -> (Vec<ir::Type>, Vec<ir::Type>) {
        match bt {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => (
                vec![],
                vec![ir_type(
                    crate::environ::val_type(t, self.offset).expect("validated"),
                )],
            ),
            BlockType::FuncType(i) => {
                let ft = self.env.manifest.info.sig(i);
                (
                    ft.params.iter().map(|t| ir_type(*t)).collect(),
                    ft.results.iter().map(|t| ir_type(*t)).collect(),
                )
            }
        }
    }

    fn block_with_params(&mut self, tys: &[ir::Type]) -> ir::Block {
        let block = self.b.create_block();
        for t in tys {
            self.b.append_block_param(block, *t);
        }
        block
    }

    pub(super) fn push_function_frame(&mut self, ft: &FuncType) {
        let results: Vec<ir::Type> = ft.results.iter().map(|t| ir_type(*t)).collect();
        let dest = self.block_with_params(&results);
        self.control.push(Frame {
            kind: FrameKind::Function,
            dest,
            header: None,
            params: 0,
            results: results.len(),
            height: 0,
            branched_to: false,
        });
    }

    /// Translates a control operator; returns false if `op` is not one.
    pub(super) fn translate_control(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::Nop => {}
            Operator::Unreachable => {
                self.trap(TrapKind::Unreachable);
                self.reachable = false;
            }
            Operator::Block { blockty } => {
                let (params, results) = self.block_types(blockty);
                let dest = self.block_with_params(&results);
                self.control.push(Frame {
                    kind: FrameKind::Block,
                    dest,
                    header: None,
                    params: params.len(),
                    results: results.len(),
                    height: self.stack.len() - params.len(),
                    branched_to: false,
                });
            }
            Operator::Loop { blockty } => {
                let (params, results) = self.block_types(blockty);
                let header = self.block_with_params(&params);
                let dest = self.block_with_params(&results);
                let n = params.len();
                let a = args(self.peekn(n));
                self.b.ins().jump(header, &a);
                self.stack.truncate(self.stack.len() - n);
                self.b.switch_to_block(header);
                let hp = self.b.block_params(header).to_vec();
                self.stack.extend(hp);
                self.control.push(Frame {
                    kind: FrameKind::Loop,
                    dest,
                    header: Some(header),
                    params: n,
                    results: results.len(),
                    height: self.stack.len() - n,
                    branched_to: false,
                });
            }
            Operator::If { blockty } => {
                let cond = self.pop();
                let (params, results) = self.block_types(blockty);
                let then_block = self.b.create_block();
                let else_block = self.block_with_params(&params);
                let dest = self.block_with_params(&results);
                let n = params.len();
                let a = args(self.peekn(n));
                self.b.ins().brif(cond, then_block, &[], else_block, &a);
                self.b.seal_block(then_block);
                self.b.seal_block(else_block);
                self.b.switch_to_block(then_block);
                self.control.push(Frame {
                    kind: FrameKind::If {
                        else_block,
                        seen_else: false,
                    },
                    dest,
                    header: None,
                    params: n,
                    results: results.len(),
                    height: self.stack.len() - n,
                    branched_to: false,
                });
            }
            Operator::Else => self.translate_else(),
            Operator::End => self.translate_end(),
            Operator::Br { relative_depth } => {
                self.branch(relative_depth);
                self.reachable = false;
            }
            Operator::BrIf { relative_depth } => {
                let cond = self.pop();
                self.branch_if(relative_depth, cond, false);
            }
            // The reference stays on the stack for the fall-through (br_on_null) or goes with
            // the branch (br_on_non_null), where it is the last of the branch's values.
            Operator::BrOnNull { relative_depth } => {
                let r = self.pop();
                self.branch_if(relative_depth, r, true);
                self.push(r);
            }
            Operator::BrOnNonNull { relative_depth } => {
                let r = *self.stack.last().expect("validated");
                self.branch_if(relative_depth, r, false);
                self.pop();
            }
            Operator::BrTable { ref targets } => {
                let index = self.pop();
                let default = targets.default();
                let depths: Vec<u32> = targets.targets().collect::<std::result::Result<_, _>>()?;
                self.br_table(index, &depths, default);
                self.reachable = false;
            }
            Operator::Return => {
                let n = self.control[0].results;
                let rets = self.peekn(n).to_vec();
                self.emit_return(&rets);
                self.reachable = false;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Opens a `try_table` of type `bt` whose calls unwind to `pad`, with its clauses.
    pub(super) fn open_try_table(
        &mut self,
        bt: BlockType,
        pad: ir::Block,
        catches: Vec<wasmparser::Catch>,
    ) {
        let (params, results) = self.block_types(bt);
        let dest = self.block_with_params(&results);
        self.handlers.push(pad);
        self.try_catches.push(catches);
        self.control.push(Frame {
            kind: FrameKind::TryTable { pad },
            dest,
            header: None,
            params: params.len(),
            results: results.len(),
            height: self.stack.len() - params.len(),
            branched_to: false,
        });
    }

    pub(super) fn frame_mut(&mut self, depth: u32) -> &mut Frame {
        let i = self.control.len() - 1 - depth as usize;
        &mut self.control[i]
    }

    /// Branches to frame `depth`, with the values on top of the stack, when `cond` is nonzero
    /// (zero, with `on_zero`); falls through otherwise.
    pub(super) fn branch_if(&mut self, depth: u32, cond: Value, on_zero: bool) {
        let frame = self.frame_mut(depth);
        frame.branched_to = true;
        let (target, n) = (frame.branch_target(), frame.branch_arity());
        let a = args(self.peekn(n));
        let next = self.b.create_block();
        if on_zero {
            self.b.ins().brif(cond, next, &[], target, &a);
        } else {
            self.b.ins().brif(cond, target, &a, next, &[]);
        }
        self.b.seal_block(next);
        self.b.switch_to_block(next);
    }

    fn branch(&mut self, depth: u32) {
        let frame = self.frame_mut(depth);
        frame.branched_to = true;
        let (target, n) = (frame.branch_target(), frame.branch_arity());
        let a = args(self.peekn(n));
        self.b.ins().jump(target, &a);
    }

    fn br_table(&mut self, index: Value, depths: &[u32], default: u32) {
        let n = self.frame_mut(default).branch_arity();
        let a = args(self.peekn(n));
        // With arguments, each distinct target gets a small block that forwards them, so the
        // jump table itself carries none.
        let mut forwarders: std::collections::HashMap<u32, ir::Block> = Default::default();
        let mut target_of = |t: &mut Self, depth: u32| -> ir::Block {
            let frame = t.frame_mut(depth);
            frame.branched_to = true;
            let target = frame.branch_target();
            if n == 0 {
                return target;
            }
            *forwarders
                .entry(depth)
                .or_insert_with(|| t.b.create_block())
        };
        let default_block = target_of(self, default);
        let blocks: Vec<ir::Block> = depths.iter().map(|d| target_of(self, *d)).collect();
        let pool = &mut self.b.func.dfg;
        let def_call = pool.block_call(default_block, &[]);
        let calls: Vec<_> = blocks.iter().map(|b| pool.block_call(*b, &[])).collect();
        let jt = self
            .b
            .create_jump_table(JumpTableData::new(def_call, &calls));
        self.b.ins().br_table(index, jt);
        let mut fw: Vec<(u32, ir::Block)> = forwarders.into_iter().collect();
        fw.sort_by_key(|(d, _)| *d);
        for (depth, block) in fw {
            self.b.seal_block(block);
            self.b.switch_to_block(block);
            let target = self.frame_mut(depth).branch_target();
            self.b.ins().jump(target, &a);
        }
    }

    fn translate_else(&mut self) {
        let frame = self.control.last_mut().expect("validated");
        let FrameKind::If { else_block, .. } = frame.kind else {
            unreachable!("validated: else closes an if")
        };
        frame.kind = FrameKind::If {
            else_block,
            seen_else: true,
        };
        let (dest, results, height) = (frame.dest, frame.results, frame.height);
        if self.reachable {
            let a = args(self.peekn(results));
            self.b.ins().jump(dest, &a);
            self.control.last_mut().unwrap().branched_to = true;
        }
        self.stack.truncate(height);
        self.b.switch_to_block(else_block);
        let ep = self.b.block_params(else_block).to_vec();
        self.stack.extend(ep);
        self.reachable = true;
    }

    fn translate_end(&mut self) {
        let frame = self.control.pop().expect("validated");
        if self.reachable {
            let a = args(self.peekn(frame.results));
            self.b.ins().jump(frame.dest, &a);
        }
        if let FrameKind::TryTable { pad } = frame.kind {
            self.handlers.pop();
            let catches = self
                .try_catches
                .pop()
                .expect("one clause list per try_table");
            self.fill_pad(pad, &catches);
        }
        let mut reachable = self.reachable || frame.branched_to;
        if let FrameKind::If {
            else_block,
            seen_else: false,
        } = frame.kind
        {
            // No else: the false edge carries the params straight through (validation has
            // checked that params and results agree).
            self.b.switch_to_block(else_block);
            let ep = self.b.block_params(else_block).to_vec();
            let a = args(&ep);
            self.b.ins().jump(frame.dest, &a);
            reachable = true;
        }
        if let Some(header) = frame.header {
            self.b.seal_block(header);
        }
        self.stack.truncate(frame.height);
        self.b.switch_to_block(frame.dest);
        self.b.seal_block(frame.dest);
        let results = self.b.block_params(frame.dest).to_vec();
        if frame.kind == FrameKind::Function {
            self.emit_return(&results);
            self.reachable = false;
            return;
        }
        self.stack.extend(results);
        self.reachable = reachable;
    }

    /// Skips an operator in dead code, tracking nesting so the right `else`/`end` is found.
    pub(super) fn translate_unreachable(&mut self, op: &Operator<'_>) -> Result<()> {
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. } => {
                self.unreachable_depth += 1;
            }
            Operator::Else if self.unreachable_depth == 0 => self.translate_else(),
            Operator::End if self.unreachable_depth == 0 => self.translate_end(),
            Operator::End => self.unreachable_depth -= 1,
            _ => {}
        }
        Ok(())
    }
}
