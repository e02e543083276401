//! sowa's WASI preview1 host and the `sowa` runner.
//!
//! [`WasiCtx`] holds what a program sees of the world: its arguments, its environment and its
//! descriptors ([`fdtable`]): the host's standard streams, the directories preopened for it and
//! any listening sockets. [`add_to_linker`] defines all 46 `wasi_snapshot_preview1` functions
//! over it. Guest pointers are checked against linear memory ([`guest`]): a bad pointer is
//! `EFAULT`, never a host fault. Paths never leave the preopened directories ([`sandbox`]).
//!
//! # Running a WASI command from Rust
//!
//! What `sowa run --dir data --env NAME=VALUE app.so ARGS` does: a context with the program's
//! arguments, environment and directories, its functions in a linker, then `_start`. The
//! program's `proc_exit` comes back as a trap with [`exit_code`](sowa_runtime::Trap::exit_code).
//!
//! ```
//! use sowa_runtime::{Linker, Module, Store};
//! use sowa_wasi::WasiCtx;
//! use std::sync::{Arc, Mutex};
//! # fn compile(wat: &str) -> Vec<u8> {
//! #     sowa_compiler::compile(&wat::parse_str(wat).unwrap(), &Default::default()).unwrap()
//! # }
//! // A program that creates `out.txt` in its directory (fd 3, the first preopen) and exits
//! // with status 7.
//! let module = Module::from_bytes(&compile(r#"
//!     (module
//!       (import "wasi_snapshot_preview1" "path_open"
//!         (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
//!       (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!       (memory (export "memory") 1)
//!       (data (i32.const 0) "out.txt")
//!       (func (export "_start")
//!         ;; dirfd 3, path "out.txt", O_CREAT, rights to write, result fd at 64
//!         (drop (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 7)
//!                           (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0)
//!                           (i32.const 64)))
//!         (call $exit (i32.const 7))))
//! "#))?;
//! let dir = std::env::temp_dir().join(format!("sowa-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let mut wasi = WasiCtx::new(vec!["app".into(), "--verbose".into()], vec!["LANG=C".into()]);
//! wasi.preopen_dir(&dir, "/data")?;
//! let mut linker = Linker::new();
//! sowa_wasi::add_to_linker(&mut linker, Arc::new(Mutex::new(wasi)));
//! let store = Store::default();
//! let instance = linker.instantiate(&store, &module)?;
//! let trap = instance.get_func("_start").unwrap().call(&[]).unwrap_err();
//! assert_eq!(trap.exit_code(), Some(7));
//! assert!(dir.join("out.txt").exists());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod abi;
#[cfg(feature = "compiler")]
pub mod cache;
pub mod errno;
pub mod fdtable;
pub mod guest;
pub mod preview1;
pub mod sandbox;
pub mod size;
pub mod threads;

pub use preview1::{add_to_linker, SharedCtx};

use abi::rights;
use fdtable::{Descriptor, FdTable, Kind};
use std::os::fd::OwnedFd;
use std::path::Path;

/// Exit status of a program that traps, as Wasmtime's CLI gives it (128 + SIGABRT): what
/// `sowa run` exits with and `sowa_wasi_run` reports.
pub const TRAP_STATUS: u8 = 134;

/// What a WASI program sees of the host.
#[derive(Debug)]
pub struct WasiCtx {
    /// Program arguments, the program name first.
    pub args: Vec<String>,
    /// Environment variables as `KEY=VALUE`.
    pub env: Vec<String>,
    /// Open descriptors.
    pub table: FdTable,
}

impl WasiCtx {
    /// A context with `args` and `env`, the host's stdin, stdout and stderr, and no files.
    pub fn new(args: Vec<String>, env: Vec<String>) -> WasiCtx {
        WasiCtx {
            args,
            env,
            table: FdTable::with_stdio(),
        }
    }

    /// Gives the program a directory written as `sowa run --dir` takes it: `HOST`, seen under
    /// the same name, or `HOST::GUEST`; returns its descriptor. The error names `HOST`.
    pub fn preopen(&mut self, spec: &str) -> Result<u32, String> {
        let (host, guest) = spec.split_once("::").unwrap_or((spec, spec));
        self.preopen_dir(Path::new(host), guest)
            .map_err(|e| format!("{host}: {e}"))
    }

    /// Gives the program the host directory `host` under the name `guest`; returns its
    /// descriptor. Preopen directories before sockets: wasi-libc stops looking for preopens at
    /// the first descriptor that is not one.
    pub fn preopen_dir(&mut self, host: &Path, guest: &str) -> std::io::Result<u32> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(host)?;
        let mut d = Descriptor::new(
            Kind::Dir(OwnedFd::from(dir)),
            rights::DIR,
            rights::DIR | rights::FILE,
        );
        d.preopen = Some(guest.to_string());
        self.table
            .insert(d)
            .map_err(|_| std::io::Error::from_raw_os_error(libc::EMFILE))
    }

    /// Gives the program a listening socket, for `sock_accept`; returns its descriptor.
    pub fn preopen_listener(&mut self, listener: std::net::TcpListener) -> std::io::Result<u32> {
        let d = Descriptor::new(
            Kind::Listener(OwnedFd::from(listener)),
            rights::LISTENER,
            rights::SOCKET,
        );
        self.table
            .insert(d)
            .map_err(|_| std::io::Error::from_raw_os_error(libc::EMFILE))
    }
}
