//! WASI threads through the `sowa` runner: programs that spawn threads with
//! `wasi`.`thread-spawn` over a shared memory, written in WAT (Debian's wasi-libc has no
//! `wasm32-wasip1-threads` sysroot for a C program with pthreads). Each is what wasi-libc's
//! pthreads does underneath: a spawn per thread, atomics and `memory.atomic.wait32`/`notify`
//! for joins, WASI calls from every thread. Run on aarch64 under qemu too (see `common`).

mod common;
use common::*;
use std::time::{Duration, Instant};

/// Imports and helpers every program here shares: the shared memory, spawn, WASI, and
/// `$print(ptr, len, slot)`, which writes with an iovec of its own per thread (`slot`).
const PRELUDE: &str = r#"
  (import "env" "memory" (memory 1 4 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (func $print (param $ptr i32) (param $len i32) (param $slot i32)
    (local $iov i32)
    (local.set $iov (i32.add (i32.const 1024) (i32.mul (i32.const 16) (local.get $slot))))
    (i32.store (local.get $iov) (local.get $ptr))
    (i32.store offset=4 (local.get $iov) (local.get $len))
    (drop (call $write (i32.const 1) (local.get $iov) (i32.const 1)
                       (i32.add (local.get $iov) (i32.const 8)))))
  ;; Sleeps `ns` nanoseconds in poll_oneoff (a relative clock subscription), as `nanosleep`
  ;; does; its buffers at 2048 + 128 * slot.
  (func $sleep (param $ns i64) (param $slot i32)
    (local $sub i32)
    (local.set $sub (i32.add (i32.const 2048) (i32.mul (i32.const 128) (local.get $slot))))
    (i64.store (local.get $sub) (i64.const 0))
    (i32.store8 offset=8 (local.get $sub) (i32.const 0))
    (i32.store offset=16 (local.get $sub) (i32.const 1))
    (i64.store offset=24 (local.get $sub) (local.get $ns))
    (i64.store offset=32 (local.get $sub) (i64.const 0))
    (i32.store16 offset=40 (local.get $sub) (i32.const 0))
    (drop (call $poll (local.get $sub) (i32.add (local.get $sub) (i32.const 48)) (i32.const 1)
                      (i32.add (local.get $sub) (i32.const 120)))))
  ;; Waits until the word at 4 (threads still running) is 0, as pthread_join does.
  (func $join
    (local $live i32)
    (loop $w
      (local.set $live (i32.atomic.load (i32.const 4)))
      (if (local.get $live)
        (then
          (drop (memory.atomic.wait32 (i32.const 4) (local.get $live) (i64.const -1)))
          (br $w)))))
  (func $done
    (drop (i32.atomic.rmw.sub (i32.const 4) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 4) (i32.const 1))))
  ;; Spawns one thread with argument 0; traps if the host refuses.
  (func $spawn_one
    (if (i32.le_s (call $spawn (i32.const 0)) (i32.const 0)) (then unreachable)))
  ;; Waits `ns` nanoseconds (-1: for ever) on the word at 0, which nothing notifies.
  (func $pause (param $ns i64)
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (local.get $ns))))
"#;

fn program(body: &str) -> String {
    format!("(module {PRELUDE} {body})")
}

fn run(name: &str, body: &str, args: &[&str]) -> (std::process::Output, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let so = compile_wat(dir.path(), name, &program(body));
    let mut a = vec!["run"];
    a.extend_from_slice(args);
    a.push(so.to_str().unwrap());
    let started = Instant::now();
    let o = sowa(&a);
    (o, started.elapsed())
}

#[test]
fn threads_share_memory_and_the_wasi_context_and_join_through_atomics() {
    // Four threads each add their argument 100,000 times to one counter, print a line and
    // leave; main joins them and checks the sum: 100,000 * (1 + 2 + 3 + 4).
    let (o, _) = run(
        "counter",
        r#"
        (data (i32.const 64) "thread done\n")
        (data (i32.const 80) "sum ok\n")
        (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
          (local $i i32)
          (loop $l
            (drop (i32.atomic.rmw.add (i32.const 0) (local.get $arg)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (i32.const 100000))))
          (call $print (i32.const 64) (i32.const 12) (local.get $tid))
          (call $done))
        (func (export "_start")
          (local $n i32) (local $tid i32)
          (i32.atomic.store (i32.const 4) (i32.const 4))
          (loop $s
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (local.set $tid (call $spawn (local.get $n)))
            ;; ids are positive and distinct: remember them at 512 + 4 * n
            (if (i32.le_s (local.get $tid) (i32.const 0)) (then unreachable))
            (i32.store offset=512 (i32.shl (local.get $n) (i32.const 2)) (local.get $tid))
            (br_if $s (i32.lt_u (local.get $n) (i32.const 4))))
          (call $join)
          (if (i32.ne (i32.atomic.load (i32.const 0)) (i32.const 1000000)) (then unreachable))
          (call $print (i32.const 80) (i32.const 7) (i32.const 0)))
        "#,
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "thread done\n".repeat(4) + "sum ok\n");
}

#[test]
fn proc_exit_in_a_thread_ends_the_program_with_its_code() {
    // Main waits forever; the thread exits the whole program with 99.
    let (o, t) = run(
        "exit",
        r#"
        (func (export "wasi_thread_start") (param i32 i32) (call $exit (i32.const 99)))
        (func (export "_start")
          (call $spawn_one)
          (call $pause (i64.const -1))
          unreachable)
        "#,
        &[],
    );
    assert_eq!(o.status.code(), Some(99), "{}", stderr(&o));
    assert!(t < Duration::from_secs(20), "{t:?}");
}

#[test]
fn a_trap_in_a_thread_ends_the_program_and_says_which_thread() {
    let (o, _) = run(
        "trap",
        r#"
        (func $boom (export "wasi_thread_start") (param i32 i32) unreachable)
        (func (export "_start")
          (call $spawn_one)
          (call $pause (i64.const -1))
          unreachable)
        "#,
        &[],
    );
    assert_eq!(o.status.code(), Some(134), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("wasi thread 1"), "{err}");
    assert!(err.contains("unreachable"), "{err}");
}

#[test]
fn returning_from_start_ends_threads_still_running() {
    let (o, t) = run(
        "busy",
        r#"
        (func (export "wasi_thread_start") (param i32 i32) (loop $l (br $l)))
        (func (export "_start")
          (call $spawn_one)
          ;; give the thread time to start spinning
          (call $pause (i64.const 100000000)))
        "#,
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(t < Duration::from_secs(20), "{t:?}");
}

#[test]
fn a_sleeping_thread_does_not_hold_up_the_others_wasi_calls() {
    // The thread sleeps 30 s in poll_oneoff; main, 100 ms later, prints and returns. Were the
    // sleeper holding the WASI context, main's fd_write would wait out its sleep.
    let (o, t) = run(
        "sleeper",
        r#"
        (data (i32.const 64) "main\n")
        (func (export "wasi_thread_start") (param i32 i32)
          (call $sleep (i64.const 30000000000) (i32.const 1)))
        (func (export "_start")
          (call $spawn_one)
          (call $pause (i64.const 100000000))
          (call $print (i32.const 64) (i32.const 5) (i32.const 0)))
        "#,
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "main\n");
    assert!(t < Duration::from_secs(20), "{t:?}");
}

#[test]
fn a_timeout_stops_every_thread() {
    // Main waits forever for a thread that spins forever: --timeout ends both.
    let (o, t) = run(
        "spin",
        r#"
        (func (export "wasi_thread_start") (param i32 i32) (loop $l (br $l)))
        (func (export "_start")
          (call $spawn_one)
          (call $pause (i64.const -1)))
        "#,
        &["--timeout", "300ms"],
    );
    assert_eq!(o.status.code(), Some(134), "{}", stderr(&o));
    assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
    assert!(t < Duration::from_secs(20), "{t:?}");
}

#[test]
fn spawn_fails_with_a_negative_result_without_an_entry_point() {
    // No `wasi_thread_start`: spawn returns a negative number, which main reports as exit 3.
    let (o, _) = run(
        "noentry",
        r#"
        (func (export "_start")
          (if (i32.lt_s (call $spawn (i32.const 0)) (i32.const 0))
            (then (call $exit (i32.const 3)))))
        "#,
        &[],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}
