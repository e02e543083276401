//! Threads calling into wasm: what each thread sets up for traps is released when it exits.
//! In a test binary of its own: it reads the process's address space size, which other tests'
//! memories would disturb.

use sowa_runtime::{Linker, Module, Store, Val};

fn vm_size_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmSize:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn short_lived_threads_leave_no_signal_stacks_behind() {
    let wasm =
        wat::parse_str(r#"(module (func (export "f") (result i32) (i32.const 5)))"#).unwrap();
    let module =
        Module::from_bytes(&sowa_compiler::compile(&wasm, &Default::default()).unwrap()).unwrap();
    let run = |m: Module| {
        std::thread::spawn(move || {
            let store = Store::default();
            let i = Linker::new().instantiate(&store, &m).unwrap();
            assert_eq!(
                i.get_func("f").unwrap().call(&[]).unwrap(),
                vec![Val::I32(5)]
            );
        })
        .join()
        .unwrap()
    };
    // Warm up: the allocator's and the thread library's caches settle first.
    for _ in 0..20 {
        run(module.clone());
    }
    let before = vm_size_kib();
    for _ in 0..400 {
        run(module.clone());
    }
    let grown = vm_size_kib().saturating_sub(before);
    // Each thread's alternate signal stack is 64 KiB and a guard page: 400 leaked ones would
    // be 26 MB.
    assert!(
        grown < 4096,
        "address space grew by {grown} KiB over 400 threads"
    );
}
