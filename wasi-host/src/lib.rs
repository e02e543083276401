//! sowa's WASI preview1 host and the `sowa` runner.
//!
//! [`WasiCtx`] holds what a program sees of the world: its arguments, its environment and its
//! descriptors ([`fdtable`]): the host's standard streams, the directories preopened for it and
//! any listening sockets. [`add_to_linker`] defines all 46 `wasi_snapshot_preview1` functions
//! over it. Guest pointers are checked against linear memory ([`guest`]): a bad pointer is
//! `EFAULT`, never a host fault. Paths never leave the preopened directories ([`sandbox`]).

pub mod abi;
#[cfg(feature = "compiler")]
pub mod cache;
pub mod errno;
pub mod fdtable;
pub mod guest;
pub mod preview1;
pub mod sandbox;
pub mod size;

pub use preview1::add_to_linker;

use abi::rights;
use fdtable::{Descriptor, FdTable, Kind};
use std::os::fd::OwnedFd;
use std::path::Path;

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
