//! What one run of a generated module did, in terms both runtimes share, and how two runs
//! compare.
//!
//! Values are compared by their bits (the generator canonicalises NaNs), references by whether
//! they are null (their identities are each runtime's own), traps by kind under one naming.
//! Stack overflow and the safety-net deadline depend on frame sizes and timing, not on
//! semantics: once either side hits one, the rest of the run (whose side effects stopped at a
//! different point) is not compared.

use std::fmt;

/// A value as both runtimes can express it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum V {
    I32(u32),
    I64(u64),
    F32(u32),
    F64(u64),
    V128(u128),
    /// A reference: whether it is null.
    Ref {
        null: bool,
    },
}

/// A trap, by kind, named the same for both runtimes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    Trap(&'static str),
    /// The call stack ran out (frame sizes differ between runtimes).
    StackOverflow,
    /// The safety-net deadline passed (the generator's fuel should end every loop first).
    Deadline,
    /// An allocation the GC heap could not hold (heap limits and object sizes differ between
    /// runtimes, and the fuzzer gives sowa a small heap so that huge arrays fail fast).
    OutOfMemory,
    /// A wasm exception no handler caught.
    Exception,
    /// A host or embedding error that is not a wasm trap.
    Other(String),
}

impl Stop {
    /// Whether what happened after this stop depends on more than the module's semantics.
    pub fn ends_comparison(&self) -> bool {
        matches!(
            self,
            Stop::StackOverflow | Stop::Deadline | Stop::OutOfMemory
        )
    }
}

/// One observable step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Instantiation (data and element segments, start function).
    Instantiate(Result<(), Stop>),
    /// A call of an export with its arguments.
    Call {
        name: String,
        args: Vec<V>,
        result: Result<Vec<V>, Stop>,
    },
    /// A host function called by the guest, with its arguments.
    Host(String, Vec<V>),
    /// After the calls: an exported global's value.
    Global(String, V),
    /// After the calls: an exported memory's size in pages and a hash of its bytes.
    Memory(String, u64, u64),
    /// After the calls: an exported table's size and which entries are null.
    Table(String, u64, Vec<bool>),
}

/// Everything one runtime did with a module.
#[derive(Clone, Debug, Default)]
pub struct Run {
    pub events: Vec<Event>,
}

impl Run {
    /// Whether some event ends the comparable part of the run.
    fn cut(&self) -> usize {
        self.events
            .iter()
            .position(|e| match e {
                Event::Instantiate(Err(s)) => s.ends_comparison(),
                Event::Call { result: Err(s), .. } => s.ends_comparison(),
                _ => false,
            })
            .map_or(self.events.len(), |i| i + 1)
    }
}

/// How two runs compare.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Identical, event for event.
    Same,
    /// Identical up to a stack overflow, deadline or full GC heap on one side or both, where
    /// the comparison stopped.
    Inconclusive,
    /// The first event that differs.
    Diverged(Divergence),
}

/// The first difference between a sowa run and a Wasmtime run.
#[derive(Debug, PartialEq, Eq)]
pub struct Divergence {
    pub index: usize,
    pub sowa: Option<Event>,
    pub wasmtime: Option<Event>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "event {}:", self.index)?;
        writeln!(f, "  sowa:     {:?}", self.sowa)?;
        write!(f, "  wasmtime: {:?}", self.wasmtime)
    }
}

/// Compares two runs of the same module.
pub fn compare(sowa: &Run, wasmtime: &Run) -> Verdict {
    let (cs, cw) = (sowa.cut(), wasmtime.cut());
    let n = cs.min(cw);
    for i in 0..n {
        let (a, b) = (&sowa.events[i], &wasmtime.events[i]);
        if a == b {
            continue;
        }
        let hit_limit = |e: &Event| match e {
            Event::Instantiate(Err(s)) | Event::Call { result: Err(s), .. } => s.ends_comparison(),
            _ => false,
        };
        if hit_limit(a) || hit_limit(b) {
            return Verdict::Inconclusive;
        }
        return Verdict::Diverged(Divergence {
            index: i,
            sowa: Some(a.clone()),
            wasmtime: Some(b.clone()),
        });
    }
    if cs != cw {
        // One side stopped early at a limit the other did not reach at that point.
        if cs < sowa.events.len() || cw < wasmtime.events.len() {
            return Verdict::Inconclusive;
        }
        return Verdict::Diverged(Divergence {
            index: n,
            sowa: sowa.events.get(n).cloned(),
            wasmtime: wasmtime.events.get(n).cloned(),
        });
    }
    if cs < sowa.events.len() || cw < wasmtime.events.len() {
        Verdict::Inconclusive
    } else {
        Verdict::Same
    }
}

/// FNV-1a, to compare memories without keeping them.
pub fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(result: Result<Vec<V>, Stop>) -> Event {
        Event::Call {
            name: "f".into(),
            args: vec![],
            result,
        }
    }

    fn run(events: Vec<Event>) -> Run {
        Run { events }
    }

    #[test]
    fn equal_runs_are_the_same_and_a_different_result_diverges() {
        let a = run(vec![Event::Instantiate(Ok(())), call(Ok(vec![V::I32(1)]))]);
        assert_eq!(compare(&a, &a.clone()), Verdict::Same);
        let b = run(vec![Event::Instantiate(Ok(())), call(Ok(vec![V::I32(2)]))]);
        match compare(&a, &b) {
            Verdict::Diverged(d) => assert_eq!(d.index, 1),
            other => panic!("{other:?}"),
        }
        let c = run(vec![
            Event::Instantiate(Ok(())),
            call(Err(Stop::Trap("unreachable"))),
        ]);
        assert!(matches!(compare(&a, &c), Verdict::Diverged(_)));
    }

    #[test]
    fn a_stack_overflow_on_one_side_ends_the_comparison() {
        let a = run(vec![
            Event::Instantiate(Ok(())),
            call(Err(Stop::StackOverflow)),
            Event::Global("g".into(), V::I32(1)),
        ]);
        let b = run(vec![
            Event::Instantiate(Ok(())),
            call(Ok(vec![])),
            Event::Global("g".into(), V::I32(7)),
        ]);
        assert_eq!(compare(&a, &b), Verdict::Inconclusive);
        // ... but not a difference before it.
        let c = run(vec![
            Event::Instantiate(Err(Stop::Trap("unreachable"))),
            call(Err(Stop::StackOverflow)),
        ]);
        assert!(matches!(compare(&a, &c), Verdict::Diverged(_)));
    }

    #[test]
    fn a_missing_event_diverges() {
        let a = run(vec![Event::Instantiate(Ok(())), call(Ok(vec![]))]);
        let b = run(vec![Event::Instantiate(Ok(()))]);
        assert!(matches!(compare(&a, &b), Verdict::Diverged(_)));
    }
}
