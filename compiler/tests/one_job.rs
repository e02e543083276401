//! `Options::jobs == 1` promises that compiling spawns no thread: CI's aarch64 spec run relies on
//! it, because qemu-user on some hosts hangs in `pthread_create`. Its own test binary, with one
//! test, so that no other test starts or ends threads while this one counts them.

use std::sync::atomic::{AtomicUsize, Ordering};

static MOST_THREADS: AtomicUsize = AtomicUsize::new(0);

fn threads_now() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

fn note_threads(_done: usize, _all: usize) {
    MOST_THREADS.fetch_max(threads_now(), Ordering::SeqCst);
}

#[test]
fn one_job_compiles_on_the_calling_thread() {
    // Enough data that hashing it and laying out memory 0's image outlast the first functions:
    // were that work on a thread of its own, the progress callback would see it.
    let data = "\\ff".repeat(8 << 20);
    let funcs = "(func (result i32) i32.const 1)".repeat(8);
    let wat = format!("(module (memory 160) {funcs} (data (i32.const 0) \"{data}\"))");
    let wasm = wat::parse_str(&wat).unwrap();
    let before = threads_now();
    assert!(before > 0, "/proc/self/task is readable on Linux");
    let options = sowa_compiler::Options {
        jobs: 1,
        progress: Some(note_threads),
        ..Default::default()
    };
    sowa_compiler::compile(&wasm, &options).unwrap();
    let most = MOST_THREADS.load(Ordering::SeqCst);
    assert!(most > 0, "the progress callback ran");
    assert_eq!(most, before, "threads while compiling with jobs: 1");
}
