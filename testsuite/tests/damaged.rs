//! Modules damaged after compilation (found by `fuzz --mode so`): whatever their manifest says,
//! the host process gets an error, never a crash.

use sowa_runtime::{Linker, Module, Store, TrapReason};
use sowa_targets::artifact::{ManifestHeader, TableId, HEADER_SIZE, MAGIC};

fn compile(wat: &str) -> Vec<u8> {
    sowa_compiler::compile(&wat::parse_str(wat).unwrap(), &Default::default()).unwrap()
}

/// The byte range of table `t` in `so`.
fn table(so: &[u8], t: TableId) -> std::ops::Range<usize> {
    let m = so.windows(MAGIC.len()).position(|w| w == MAGIC).unwrap();
    let h = ManifestHeader::from_bytes(&so[m..m + HEADER_SIZE]).unwrap();
    let (off, len) = h.tables[t as usize];
    m + off as usize..m + (off + len) as usize
}

#[test]
fn a_fault_the_trap_table_does_not_list_is_an_error_not_a_crash() {
    // Before: the signal handler let a fault at an unlisted place through, and the process
    // died of SIGILL (fuzz --mode so --seed 14).
    let mut so = compile(
        r#"(module (func (export "f") unreachable)
                   (func (export "g") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))"#,
    );
    let sites = table(&so, TableId::TrapSites);
    assert!(!sites.is_empty());
    so[sites].fill(0xff);
    let module = Module::from_bytes(&so).unwrap();
    let store = Store::default();
    let i = Linker::new().instantiate(&store, &module).unwrap();
    for (name, args) in [("f", vec![]), ("g", vec![sowa_runtime::Val::I32(0)])] {
        let trap = i.get_func(name).unwrap().call(&args).unwrap_err();
        match &trap.reason {
            TrapReason::Host(m) => assert!(m.contains("corrupt module"), "{m}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    // The store and the process go on: a sound call still works.
    let r = i.get_func("g").unwrap().call(&[sowa_runtime::Val::I32(1)]);
    assert_eq!(r.unwrap(), vec![sowa_runtime::Val::I32(1)]);
}

#[test]
fn program_headers_that_move_the_code_are_refused() {
    // Before: an edited executable segment (fuzz --mode so --seed 7926) made the loader map
    // other bytes as code, and the first call jumped into them.
    let so = compile(r#"(module (func (export "f") (result i32) (i32.const 1)))"#);
    let phoff = u64::from_le_bytes(so[32..40].try_into().unwrap()) as usize;
    let (entsize, num) = (so[54] as usize, so[56] as usize);
    let exec = (0..num)
        .map(|i| phoff + i * entsize)
        .find(|p| so[*p] == 1 && so[p + 4] & 1 != 0)
        .expect("an executable PT_LOAD");
    for field in [8usize, 16] {
        // p_offset, p_vaddr: either moves where the text symbol lands in the file.
        let mut bad = so.clone();
        let v = u64::from_le_bytes(bad[exec + field..exec + field + 8].try_into().unwrap());
        bad[exec + field..exec + field + 8].copy_from_slice(&(v ^ 0x40).to_le_bytes());
        let err = Module::from_bytes(&bad).err().expect("refused").to_string();
        // p_offset alone passes the segment checks and meets the manifest's text offset.
        let expected = if field == 8 { "code" } else { "text" };
        assert!(err.contains(expected), "{err}");
    }
}
