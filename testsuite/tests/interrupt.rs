//! Stopping guests: epoch deadlines in the embedding API, and many stores on many threads
//! trapping in every way at once without disturbing each other.

use sowa_runtime::{Epoch, FuncType, Linker, Module, Store, StoreLimits, TrapKind, Val};
use std::time::Duration;

fn module(wat: &str) -> Module {
    let wasm = wat::parse_str(wat).unwrap();
    let so = sowa_compiler::compile(&wasm, &Default::default()).unwrap();
    Module::from_bytes(&so).unwrap()
}

const GUESTS: &str = r#"
(module
  (import "host" "stop_me" (func $stop_me))
  (memory 1)
  (func $spin (export "spin") (loop $l (br $l)))
  (func $tail (export "tail") (return_call $tail))
  (func (export "stop_self") (call $stop_me) (loop $l (br $l)))
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (i32.const 1) (call $deep (local.get 0))))
  (func (export "oob") (param i32) (result i32) (i32.load (local.get 0)))
)"#;

fn linker() -> Linker {
    let mut l = Linker::new();
    // The host moves the deadline while the guest is running: the guest stops as it returns.
    l.func_new("host", "stop_me", FuncType::default(), |caller, _, _| {
        caller.set_epoch_deadline(0);
        Ok(())
    });
    l
}

fn ticker(epoch: Epoch, after: Duration) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        std::thread::sleep(after);
        epoch.increment();
    })
}

#[test]
fn a_deadline_stops_loops_and_tail_call_cycles() {
    let m = module(GUESTS);
    for name in ["spin", "tail"] {
        let epoch = Epoch::new();
        let store = Store::with_epoch(StoreLimits::default(), epoch.clone());
        let i = linker().instantiate(&store, &m).unwrap();
        store.set_epoch_deadline(1);
        let t = ticker(epoch, Duration::from_millis(20));
        let trap = i.get_func(name).unwrap().call(&[]).unwrap_err();
        t.join().unwrap();
        assert_eq!(trap.kind(), Some(TrapKind::Interrupted), "{name}: {trap}");
        assert_eq!(trap.func.as_deref(), Some(name));
        assert!(trap.wasm_offset.is_some());
        // The store stays usable: with a later deadline, finite work completes.
        store.set_epoch_deadline(u64::MAX);
        let r = i
            .get_func("count")
            .unwrap()
            .call(&[Val::I32(1000)])
            .unwrap();
        assert_eq!(r, vec![Val::I32(1000)]);
    }
}

#[test]
fn a_host_function_can_stop_its_caller() {
    let m = module(GUESTS);
    let store = Store::with_epoch(StoreLimits::default(), Epoch::new());
    let i = linker().instantiate(&store, &m).unwrap();
    let trap = i.get_func("stop_self").unwrap().call(&[]).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::Interrupted), "{trap}");
}

#[test]
fn stores_on_one_epoch_keep_their_own_deadlines() {
    let m = module(GUESTS);
    let epoch = Epoch::new();
    let near = Store::with_epoch(StoreLimits::default(), epoch.clone());
    let far = Store::with_epoch(StoreLimits::default(), epoch.clone());
    near.set_epoch_deadline(1);
    far.set_epoch_deadline(1000);
    epoch.increment();
    let i = linker().instantiate(&near, &m).unwrap();
    let trap = i
        .get_func("count")
        .unwrap()
        .call(&[Val::I32(5)])
        .unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::Interrupted));
    let i = linker().instantiate(&far, &m).unwrap();
    let r = i.get_func("count").unwrap().call(&[Val::I32(5)]).unwrap();
    assert_eq!(r, vec![Val::I32(5)]);
}

/// 1,000 instances of one module over 8 threads, a store per thread, each call ending its own
/// way: a result, out of bounds, stack overflow, or interrupted by a shared epoch.
#[test]
fn a_thousand_instances_on_eight_threads_each_end_their_own_way() {
    let m = module(GUESTS);
    let epoch = Epoch::new();
    let ticking = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let timer = {
        let (epoch, ticking) = (epoch.clone(), ticking.clone());
        std::thread::spawn(move || {
            while ticking.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
                epoch.increment();
            }
        })
    };
    let workers: Vec<_> = (0..8)
        .map(|t| {
            let (m, epoch) = (m.clone(), epoch.clone());
            std::thread::spawn(move || {
                let limits = StoreLimits {
                    max_wasm_stack: 256 << 10,
                    ..Default::default()
                };
                let mut store = Store::with_epoch(limits, epoch);
                let mut ended = [0u32; 4];
                for n in 0..125 {
                    let l = linker();
                    let i = l.instantiate(&store, &m).unwrap();
                    let case = (n + t) % 4;
                    match case {
                        0 => {
                            let arg = 1000 + n as i32;
                            let r = i.get_func("count").unwrap().call(&[Val::I32(arg)]);
                            assert_eq!(r.unwrap(), vec![Val::I32(arg)]);
                        }
                        1 => {
                            let r = i.get_func("oob").unwrap().call(&[Val::I32(70_000)]);
                            assert_eq!(r.unwrap_err().kind(), Some(TrapKind::MemoryOutOfBounds));
                            let r = i.get_func("oob").unwrap().call(&[Val::I32(8)]);
                            assert_eq!(r.unwrap(), vec![Val::I32(0)]);
                        }
                        2 => {
                            let r = i.get_func("deep").unwrap().call(&[Val::I32(0)]);
                            assert_eq!(r.unwrap_err().kind(), Some(TrapKind::StackOverflow));
                        }
                        _ => {
                            store.set_epoch_deadline(2);
                            let r = i.get_func("spin").unwrap().call(&[]);
                            assert_eq!(r.unwrap_err().kind(), Some(TrapKind::Interrupted));
                            store.set_epoch_deadline(u64::MAX);
                        }
                    }
                    ended[case] += 1;
                    drop((i, l));
                    store.reset().unwrap();
                }
                ended
            })
        })
        .collect();
    let mut total = [0u32; 4];
    for w in workers {
        for (t, n) in total.iter_mut().zip(w.join().unwrap()) {
            *t += n;
        }
    }
    ticking.store(false, std::sync::atomic::Ordering::Relaxed);
    timer.join().unwrap();
    assert_eq!(total, [250, 250, 250, 250]);
}

/// The interrupt signal is only obeyed for a store past its deadline: a guest whose deadline
/// is far off (or who has none) runs through a storm of them, sent by someone else, and
/// returns the right result.
#[test]
fn stray_interrupt_signals_do_not_disturb_a_guest() {
    let m = module(GUESTS);
    let epoch = Epoch::new();
    let store = Store::with_epoch(StoreLimits::default(), epoch.clone());
    store.set_epoch_deadline(1_000_000);
    let i = linker().instantiate(&store, &m).unwrap();
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let storm = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut sent = 0u32;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                // SAFETY: a signal to a live thread of this process (the test's own thread,
                // which waits for this one before it ends).
                unsafe { libc::tgkill(libc::getpid(), tid, libc::SIGURG) };
                epoch.increment();
                sent += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
            sent
        })
    };
    let count = i.get_func("count").unwrap();
    for _ in 0..20 {
        let r = count.call(&[Val::I32(5_000_000)]).unwrap();
        assert_eq!(r, vec![Val::I32(5_000_000)]);
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(storm.join().unwrap() > 0);
}

/// A guest waiting on a shared memory with no timeout sits in the runtime, where no signal
/// can stop it: the wait looks at the deadline between slices.
#[test]
fn a_deadline_stops_an_atomic_wait_without_timeout() {
    let m = module(
        r#"(module
          (memory 1 1 shared)
          (func (export "wait") (result i32)
            (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
          (func (export "poll") (result i32)
            (memory.atomic.wait64 (i32.const 8) (i64.const 0) (i64.const 1000000)))
          (func (export "unequal") (result i32)
            (memory.atomic.wait32 (i32.const 0) (i32.const 1) (i64.const -1))))"#,
    );
    let epoch = Epoch::new();
    let store = Store::with_epoch(StoreLimits::default(), epoch.clone());
    let i = Linker::new().instantiate(&store, &m).unwrap();
    let call = |name: &str| i.get_func(name).unwrap().call(&[]);
    // 1: the word is not the expected value; 2: one millisecond passed with no notify.
    assert_eq!(call("unequal").unwrap(), [Val::I32(1)]);
    assert_eq!(call("poll").unwrap(), [Val::I32(2)]);
    store.set_epoch_deadline(1);
    let t = ticker(epoch, Duration::from_millis(30));
    let trap = call("wait").unwrap_err();
    t.join().unwrap();
    assert_eq!(trap.kind(), Some(TrapKind::Interrupted), "{trap}");
}
