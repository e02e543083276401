//! The embedding API: load once, instantiate many, host functions, exports and traps as values.

use sowa_runtime::{Extern, Func, FuncType, Linker, Module, Store, Trap, TrapKind, Val, ValType};
use std::cell::Cell;
use std::rc::Rc;

fn module(wat: &str) -> Module {
    let wasm = wat::parse_str(wat).unwrap();
    let so = sowa_compiler::compile(&wasm, &Default::default()).unwrap();
    Module::from_bytes(&so).unwrap()
}

const COUNTER: &str = r#"
(module
  (import "host" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $n))
    (call $log (global.get $n))
    (global.get $n))
  (func (export "fail") (call $log (i32.const -1)))
)"#;

fn log_linker(store: &Store, seen: Rc<Cell<i32>>) -> Linker {
    let mut linker = Linker::new();
    let log = Func::new(
        store,
        FuncType {
            params: vec![ValType::I32],
            results: vec![],
        },
        move |_, args, _| {
            let v = args[0].i32().unwrap();
            if v < 0 {
                return Err(Trap::host("negative value logged"));
            }
            seen.set(v);
            Ok(())
        },
    );
    linker.define("host", "log", Extern::Func(log));
    linker
}

#[test]
fn load_once_instantiate_many_with_isolated_state() {
    let m = module(COUNTER);
    for request in 0..50 {
        let store = Store::default();
        let seen = Rc::new(Cell::new(0));
        let inst = log_linker(&store, seen.clone())
            .instantiate(&store, &m)
            .unwrap();
        let bump = inst.get_func("bump").unwrap();
        // Every fresh instance starts from its own initial state.
        assert_eq!(
            bump.call(&[]).unwrap(),
            vec![Val::I32(1)],
            "request {request}"
        );
        assert_eq!(bump.call(&[]).unwrap(), vec![Val::I32(2)]);
        assert_eq!(seen.get(), 2);
        let mut word = [0u8; 4];
        inst.get_memory("memory")
            .unwrap()
            .read(0, &mut word)
            .unwrap();
        assert_eq!(u32::from_le_bytes(word), 2);
    }
}

#[test]
fn one_linker_serves_a_store_per_request() {
    // Host functions defined once, with no store, as a server defines its host API at start;
    // each request gets a fresh store and instance of its own.
    let seen = Rc::new(Cell::new(0));
    let mut linker = Linker::new();
    let s = seen.clone();
    linker.func_new(
        "host",
        "log",
        FuncType {
            params: vec![ValType::I32],
            results: vec![],
        },
        move |_, args, _| {
            s.set(s.get() + args[0].i32().unwrap());
            Ok(())
        },
    );
    let m = module(COUNTER);
    for _ in 0..3 {
        let store = Store::default();
        let i = linker.instantiate(&store, &m).unwrap();
        let r = i.get_func("bump").unwrap().call(&[]).unwrap();
        assert_eq!(r, vec![Val::I32(1)], "every store starts afresh");
    }
    assert_eq!(seen.get(), 3, "the one definition ran in every store");
    // A resolver answers only for the names a module imports, and unknown names stay unknown.
    let mut by_resolver = Linker::new();
    let asked = Rc::new(std::cell::RefCell::new(Vec::new()));
    let a = asked.clone();
    by_resolver.func_resolver("host", move |name| {
        a.borrow_mut().push(name.to_string());
        let f: sowa_runtime::SharedHostFn = Rc::new(|_, _, _| Ok(()));
        let ty = FuncType {
            params: vec![ValType::I32],
            results: vec![],
        };
        (name == "log").then_some((ty, f))
    });
    let store = Store::default();
    by_resolver.instantiate(&store, &m).unwrap();
    assert_eq!(*asked.borrow(), vec!["log".to_string()]);
    let other = module(r#"(module (import "host" "nope" (func)))"#);
    let e = by_resolver.instantiate(&store, &other).err().unwrap();
    assert!(e.to_string().contains("`host`.`nope`"), "{e}");
}

#[test]
fn objects_of_another_store_are_refused_as_imports() {
    // Contexts keep raw pointers to what they import; accepting another store's memory or
    // function would leave them dangling once that store is dropped.
    let m = module(
        r#"(module
             (import "env" "mem" (memory 1))
             (import "env" "f" (func))
             (func (export "peek") (result i32) (i32.load (i32.const 0))))"#,
    );
    // A memory and a function of `store`, defined in `linker`.
    let define = |store: &Store, linker: &mut Linker| {
        let ty = sowa_runtime::MemoryType::new(1, None);
        let mem = sowa_runtime::Memory::new(store, ty).unwrap();
        let f = Func::new(store, FuncType::default(), |_, _, _| Ok(()));
        linker.define("env", "mem", Extern::Memory(mem));
        linker.define("env", "f", Extern::Func(f));
    };
    let other = Store::default();
    let mut linker = Linker::new();
    define(&other, &mut linker);
    let store = Store::default();
    let e = linker.instantiate(&store, &m).err().expect("refused");
    assert!(e.to_string().contains("belongs to another store"), "{e}");
    drop(other);
    // The same definitions made in the right store link.
    define(&store, &mut linker);
    let i = linker.instantiate(&store, &m).unwrap();
    assert_eq!(
        i.get_func("peek").unwrap().call(&[]).unwrap(),
        vec![Val::I32(0)]
    );
}

#[test]
fn a_reset_store_serves_the_next_request_afresh() {
    let seen = Rc::new(Cell::new(0));
    let m = module(COUNTER);
    let mut store = Store::default();
    let linker = log_linker(&store, seen.clone());
    let i = linker.instantiate(&store, &m).unwrap();
    assert_eq!(
        i.get_func("bump").unwrap().call(&[]).unwrap(),
        vec![Val::I32(1)]
    );
    // Handles alive (the instance, and the linker's host function): refused, nothing changed.
    assert!(store.reset().is_err());
    assert_eq!(
        i.get_func("bump").unwrap().call(&[]).unwrap(),
        vec![Val::I32(2)]
    );
    drop(i);
    drop(linker);
    store.reset().unwrap();
    for _ in 0..3 {
        // Host functions are the store's objects too: define them again after a reset.
        let linker = log_linker(&store, seen.clone());
        let i = linker.instantiate(&store, &m).unwrap();
        let mem = i.get_memory("memory").unwrap();
        assert_eq!(
            i.get_func("bump").unwrap().call(&[]).unwrap(),
            vec![Val::I32(1)],
            "globals start afresh"
        );
        let mut word = [9u8; 8];
        mem.read(0, &mut word).unwrap();
        assert_eq!(word, [1, 0, 0, 0, 0, 0, 0, 0], "memory starts zeroed");
        drop((i, mem, linker));
        store.reset().unwrap();
    }
}

#[test]
fn bulk_memory_reaches_the_last_byte_of_a_4_gib_memory() {
    // `dst + len` is exactly 2^32 here: computed in 32 bits it wrapped to 0, the slice panicked
    // inside a builtin called from compiled code, and the process aborted.
    let m = module(
        r#"(module (memory (export "memory") 65536)
             (data $d "\2a")
             (func (export "fill") (memory.fill (i32.const 0xffffffff) (i32.const 7) (i32.const 1)))
             (func (export "init") (memory.init $d (i32.const 0xffffffff) (i32.const 0) (i32.const 1)))
             (func (export "last") (result i32) (i32.load8_u (i32.const 0xffffffff))))"#,
    );
    let store = Store::default();
    let i = Linker::new().instantiate(&store, &m).unwrap();
    i.get_func("fill").unwrap().call(&[]).unwrap();
    assert_eq!(
        i.get_func("last").unwrap().call(&[]).unwrap(),
        vec![Val::I32(7)]
    );
    i.get_func("init").unwrap().call(&[]).unwrap();
    assert_eq!(
        i.get_func("last").unwrap().call(&[]).unwrap(),
        vec![Val::I32(42)]
    );
}

#[test]
fn modules_are_shared_across_threads() {
    let m = module(COUNTER);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                let store = Store::default();
                let inst = log_linker(&store, Rc::new(Cell::new(0)))
                    .instantiate(&store, &m)
                    .unwrap();
                let bump = inst.get_func("bump").unwrap();
                let mut last = Val::I32(0);
                for _ in 0..100 {
                    last = bump.call(&[]).unwrap()[0];
                }
                last
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), Val::I32(100));
    }
}

#[test]
fn host_errors_and_wasm_traps_come_back_as_values() {
    let m = module(COUNTER);
    let store = Store::default();
    let inst = log_linker(&store, Rc::new(Cell::new(0)))
        .instantiate(&store, &m)
        .unwrap();
    let err = inst.get_func("fail").unwrap().call(&[]).unwrap_err();
    assert_eq!(err, Trap::host("negative value logged"));
    // The instance is still usable after a trap.
    assert_eq!(
        inst.get_func("bump").unwrap().call(&[]).unwrap(),
        vec![Val::I32(1)]
    );

    let m = module(
        r#"(module (func $divide (export "div") (param i32 i32) (result i32)
              (i32.div_s (local.get 0) (local.get 1))))"#,
    );
    let inst = Linker::new().instantiate(&store, &m).unwrap();
    let div = inst.get_func("div").unwrap();
    assert_eq!(div.call(&[7.into(), 2.into()]).unwrap(), vec![Val::I32(3)]);
    let t = div.call(&[7.into(), 0.into()]).unwrap_err();
    assert_eq!(t.kind(), Some(TrapKind::IntegerDivideByZero));
    assert_eq!(t.func.as_deref(), Some("divide"));
    assert!(t.wasm_offset.is_some());
    // Wrong argument types are refused before entering wasm.
    assert!(div.call(&[Val::I64(1), Val::I32(1)]).is_err());
}

#[test]
fn missing_and_mistyped_imports_are_link_errors() {
    let m = module(COUNTER);
    let store = Store::default();
    let err = Linker::new().instantiate(&store, &m).err().unwrap();
    assert!(err.to_string().starts_with("unknown import"), "{err}");
    let mut linker = Linker::new();
    let wrong = Func::new(
        &store,
        FuncType {
            params: vec![ValType::I64],
            results: vec![],
        },
        |_, _, _| Ok(()),
    );
    linker.define("host", "log", Extern::Func(wrong));
    let err = linker.instantiate(&store, &m).err().unwrap().to_string();
    assert!(err.starts_with("incompatible import type"), "{err}");
    // Both types are named, so the embedder sees what to change.
    assert!(
        err.contains("expects function (param i32)")
            && err.contains("definition is function (param i64)"),
        "{err}"
    );
}

#[test]
fn wasm_calls_host_calls_wasm() {
    // A host function that calls back into another instance while the first is suspended.
    let store = Store::default();
    let callee = module(
        r#"(module (func (export "sq") (param i32) (result i32)
        (i32.mul (local.get 0) (local.get 0))))"#,
    );
    let callee = Linker::new().instantiate(&store, &callee).unwrap();
    let sq = callee.get_func("sq").unwrap();
    let mut linker = Linker::new();
    let host = Func::new(
        &store,
        FuncType {
            params: vec![ValType::I32],
            results: vec![ValType::I32],
        },
        move |_, args, results| {
            results[0] = sq.call(args)?[0];
            Ok(())
        },
    );
    linker.define("env", "sq", Extern::Func(host));
    let caller = module(
        r#"(module (import "env" "sq" (func $sq (param i32) (result i32)))
        (func (export "sum_sq") (param i32) (result i32) (local $s i32)
          (block $done (loop $l
            (br_if $done (i32.eqz (local.get 0)))
            (local.set $s (i32.add (local.get $s) (call $sq (local.get 0))))
            (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
            (br $l)))
          (local.get $s)))"#,
    );
    let inst = linker.instantiate(&store, &caller).unwrap();
    assert_eq!(
        inst.get_func("sum_sq").unwrap().call(&[10.into()]).unwrap(),
        vec![Val::I32(385)]
    );
}

#[test]
fn reused_memories_start_zeroed_and_exactly_sized() {
    // Memories are recycled between instances: a new one must still read as zero and end, with
    // a trap, exactly where its type says, whatever size its reservation had before.
    let big = module(
        r#"(module (memory 3)
             (func (export "fill") (param $p i32) (loop $l
               (i32.store8 (local.get $p) (i32.const 0xab))
               (br_if $l (local.tee $p (i32.sub (local.get $p) (i32.const 1)))))))"#,
    );
    let small = module(
        r#"(module (memory 1)
             (func (export "sum") (param $p i32) (result i32) (local $s i32)
               (loop $l
                 (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
                 (br_if $l (local.tee $p (i32.sub (local.get $p) (i32.const 1)))))
               (local.get $s))
             (func (export "peek") (param $p i32) (result i32) (i32.load8_u (local.get $p))))"#,
    );
    for round in 0..50 {
        let store = Store::default();
        let b = Linker::new().instantiate(&store, &big).unwrap();
        b.get_func("fill")
            .unwrap()
            .call(&[Val::I32(3 * 65536 - 1)])
            .unwrap();
        drop(b);
        drop(store);
        let store = Store::default();
        let s = Linker::new().instantiate(&store, &small).unwrap();
        let sum = s.get_func("sum").unwrap().call(&[Val::I32(65535)]).unwrap();
        assert_eq!(sum[0].i32(), Some(0), "round {round}: old contents leaked");
        let err = s
            .get_func("peek")
            .unwrap()
            .call(&[Val::I32(65536)])
            .unwrap_err();
        assert_eq!(
            err.kind(),
            Some(TrapKind::MemoryOutOfBounds),
            "round {round}"
        );
    }
}

#[test]
fn memory_images_are_private_and_restored_for_every_instance() {
    // Modules whose data segments are mapped from the file: each instance sees its module's
    // initial data, whatever an earlier instance (of it or of another module) wrote into a
    // recycled memory, and nothing an instance writes reaches the file.
    let with_data = |text: &str| {
        format!(
            r#"(module (memory 2)
                 (data (i32.const 70000) "{text}")
                 (func (export "get") (param i32) (result i32) (i32.load8_u (local.get 0)))
                 (func (export "set") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))"#
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let load = |name: &str, wat: &str| {
        let so =
            sowa_compiler::compile(&wat::parse_str(wat).unwrap(), &Default::default()).unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &so).unwrap();
        (Module::from_file(&path).unwrap(), path, so)
    };
    let (a, a_path, a_bytes) = load("a.so", &with_data("A"));
    let (b, _, _) = load("b.so", &with_data("B"));
    assert!(
        a.info().memory_image.is_some(),
        "the module should have an image"
    );
    let plain = module(
        r#"(module (memory 2)
             (func (export "get") (param i32) (result i32) (i32.load8_u (local.get 0)))
             (func (export "set") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))"#,
    );
    let get = |i: &sowa_runtime::Instance, at: i32| {
        i.get_func("get").unwrap().call(&[Val::I32(at)]).unwrap()[0]
            .i32()
            .unwrap()
    };
    let set = |i: &sowa_runtime::Instance, at: i32, v: i32| {
        i.get_func("set")
            .unwrap()
            .call(&[Val::I32(at), Val::I32(v)])
            .unwrap();
    };
    for round in 0..20 {
        for (m, want) in [(&a, b'A'), (&b, b'B'), (&a, b'A'), (&plain, 0)] {
            let store = Store::default();
            let i = Linker::new().instantiate(&store, m).unwrap();
            assert_eq!(get(&i, 70000), want as i32, "round {round}");
            assert_eq!(get(&i, 100), 0, "round {round}");
            set(&i, 70000, 0x5a);
            set(&i, 100, 0x5a);
            assert_eq!(get(&i, 70000), 0x5a);
        }
    }
    assert_eq!(
        std::fs::read(&a_path).unwrap(),
        a_bytes,
        "an instance wrote to the file"
    );
}

#[test]
fn traps_stay_traps_while_other_threads_load_and_drop_modules() {
    // Code of a dropped module is unmapped and its address soon reused by another module's:
    // whichever order threads load, drop and trap in, every trap must come back as a value
    // (a lost registration would let the fault kill the process instead).
    let so = sowa_compiler::compile(
        &wat::parse_str(r#"(module (func (export "boom") unreachable))"#).unwrap(),
        &Default::default(),
    )
    .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let so = so.clone();
            std::thread::spawn(move || {
                for _ in 0..300 {
                    let m = Module::from_bytes(&so).unwrap();
                    let store = Store::default();
                    let i = Linker::new().instantiate(&store, &m).unwrap();
                    let err = i.get_func("boom").unwrap().call(&[]).unwrap_err();
                    assert_eq!(err.kind(), Some(TrapKind::Unreachable));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn multi_value_recursion_goes_nearly_as_deep_as_single_value() {
    // Before: each call site reserved a 144-byte return area in the caller's frame, and this
    // recursion overflowed the default 1 MiB after 5,953 frames (single results: 65,504).
    let m = module(
        r#"(module
          (func $r (export "r") (param i32) (result i32 i32 i32 i32 i32 i32 i32 i32 i32)
            (if (result i32 i32 i32 i32 i32 i32 i32 i32 i32) (i32.eqz (local.get 0))
              (then (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4) (i32.const 5)
                    (i32.const 6) (i32.const 7) (i32.const 8) (i32.const 9))
              (else (call $r (i32.sub (local.get 0) (i32.const 1)))))))"#,
    );
    let store = Store::default();
    let i = Linker::new().instantiate(&store, &m).unwrap();
    let r = i.get_func("r").unwrap().call(&[Val::I32(15_000)]).unwrap();
    assert_eq!(r, (1..=9).map(Val::I32).collect::<Vec<_>>());
}
