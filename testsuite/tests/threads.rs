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

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_hundred_thousand_instances_leave_the_resident_size_flat() {
    let wasm = wat::parse_str(
        r#"(module
             (memory (export "memory") 1)
             (table 4 funcref)
             (global $g (mut i32) (i32.const 0))
             (data (i32.const 0) "hello")
             (func $f (export "f") (result i32)
               (i32.store (i32.const 100) (i32.const 7))
               (global.set $g (i32.add (global.get $g) (i32.load (i32.const 100))))
               (global.get $g))
             (elem (i32.const 0) $f))"#,
    )
    .unwrap();
    let module =
        Module::from_bytes(&sowa_compiler::compile(&wasm, &Default::default()).unwrap()).unwrap();
    let linker = Linker::new();
    let cycle = |n: usize| {
        for _ in 0..n {
            let store = Store::default();
            let i = linker.instantiate(&store, &module).unwrap();
            assert_eq!(
                i.get_func("f").unwrap().call(&[]).unwrap(),
                vec![Val::I32(7)]
            );
        }
    };
    // Warm up: the allocator's caches and the memory reservation pool settle first.
    cycle(5_000);
    let before = rss_kib();
    cycle(100_000);
    let grown = rss_kib().saturating_sub(before);
    // An instance's context, lists and touched memory page are several KiB: 100,000 leaked
    // ones would be hundreds of MB.
    assert!(grown < 8192, "resident size grew by {grown} KiB");
}
