//! The guest's descriptor table: which host descriptor each WASI `fd` stands for, what kind of
//! object it is and the rights it carries.

use crate::abi::{filetype, rights};
use crate::errno::{Errno, BADF, NOTCAPABLE};
use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

/// What a descriptor refers to.
#[derive(Debug)]
pub enum Kind {
    /// One of the host's own standard streams (0, 1, 2): closing it in the guest leaves the
    /// host's open.
    Stdio(RawFd),
    /// A file (or device, pipe) opened through `path_open`.
    File(OwnedFd),
    /// A directory: a preopen or one opened through `path_open`.
    Dir(OwnedFd),
    /// A listening TCP socket (`--tcplisten`).
    Listener(OwnedFd),
    /// A connected socket returned by `sock_accept`.
    Stream(OwnedFd),
}

/// An open guest descriptor.
#[derive(Debug)]
pub struct Descriptor {
    /// The object.
    pub kind: Kind,
    /// Rights for operations on this descriptor.
    pub base: u64,
    /// Rights that descriptors opened through this one may have.
    pub inheriting: u64,
    /// The guest path of a preopened directory (what `fd_prestat_dir_name` returns).
    pub preopen: Option<String>,
    /// The entries of a directory read at cookie 0, served by later `fd_readdir` calls with
    /// the cookies they handed out, so a listing is consistent across calls.
    pub dir_entries: Option<Vec<DirEntry>>,
}

/// One directory entry, as `fd_readdir` returns it.
#[derive(Debug, Clone)]
pub struct DirEntry {
    /// Inode number.
    pub ino: u64,
    /// WASI file type.
    pub filetype: u8,
    /// Name bytes.
    pub name: Vec<u8>,
}

impl Descriptor {
    /// A descriptor over `kind` with the given rights.
    pub fn new(kind: Kind, base: u64, inheriting: u64) -> Descriptor {
        Descriptor {
            kind,
            base,
            inheriting,
            preopen: None,
            dir_entries: None,
        }
    }

    /// The host descriptor.
    pub fn raw(&self) -> RawFd {
        match &self.kind {
            Kind::Stdio(fd) => *fd,
            Kind::File(fd) | Kind::Dir(fd) | Kind::Listener(fd) | Kind::Stream(fd) => {
                fd.as_raw_fd()
            }
        }
    }

    /// `Ok` if this descriptor carries every right in `needed`.
    pub fn require(&self, needed: u64) -> Result<(), Errno> {
        if self.base & needed == needed {
            Ok(())
        } else {
            Err(NOTCAPABLE)
        }
    }

    /// The WASI file type, from the host's view of the descriptor.
    pub fn filetype(&self) -> u8 {
        match self.kind {
            Kind::Dir(_) => filetype::DIRECTORY,
            Kind::Listener(_) | Kind::Stream(_) => filetype::SOCKET_STREAM,
            _ => {
                // SAFETY: fstat writes into a zeroed stat of the right type.
                let mut st: libc::stat = unsafe { std::mem::zeroed() };
                // SAFETY: as above; `raw` is an open descriptor.
                if unsafe { libc::fstat(self.raw(), &mut st) } != 0 {
                    return filetype::UNKNOWN;
                }
                filetype::from_mode(st.st_mode)
            }
        }
    }
}

/// The table, by guest descriptor number.
///
/// Numbers are handed out as Wasmtime's preview1 host hands them out, since programs' effects
/// are judged against it and some depend on the numbers: a number freed by a close or a
/// renumber is reused first (the highest such), else the one after the highest open. (POSIX
/// takes the lowest free number; yosys restores its stdout around ABC so that with that rule
/// its buffered log lands in the next file it opens, and not with Wasmtime's.)
#[derive(Debug, Default)]
pub struct FdTable {
    fds: BTreeMap<u32, Descriptor>,
    /// Numbers freed by `remove` and `renumber` and not taken since.
    free: BTreeSet<u32>,
}

impl FdTable {
    /// A table with the host's stdin, stdout and stderr at 0, 1 and 2.
    pub fn with_stdio() -> FdTable {
        let mut t = FdTable::default();
        for fd in 0..3 {
            let d = Descriptor::new(Kind::Stdio(fd), 0, 0);
            let ft = d.filetype();
            // Seek and tell only for regular files: that is how wasi-libc tells a terminal
            // from a redirected file.
            let base = match ft {
                filetype::REGULAR_FILE => rights::FILE,
                filetype::DIRECTORY => rights::DIR,
                _ => rights::STREAM,
            };
            t.fds.insert(fd as u32, Descriptor { base, ..d });
        }
        t
    }

    /// Puts `d` at the next number (see the type's comment) and returns it.
    pub fn insert(&mut self, d: Descriptor) -> Result<u32, Errno> {
        let n = match self.free.pop_last() {
            Some(n) => n,
            None => match self.fds.last_key_value() {
                Some((k, _)) => k
                    .checked_add(1)
                    .ok_or(crate::errno::from_host(libc::EMFILE))?,
                None => 0,
            },
        };
        self.fds.insert(n, d);
        Ok(n)
    }

    /// The descriptor `fd`.
    pub fn get(&self, fd: u32) -> Result<&Descriptor, Errno> {
        self.fds.get(&fd).ok_or(BADF)
    }

    /// The descriptor `fd`, mutably.
    pub fn get_mut(&mut self, fd: u32) -> Result<&mut Descriptor, Errno> {
        self.fds.get_mut(&fd).ok_or(BADF)
    }

    /// The descriptor `fd` if it carries the rights `needed`.
    pub fn with_rights(&self, fd: u32, needed: u64) -> Result<&Descriptor, Errno> {
        let d = self.get(fd)?;
        d.require(needed)?;
        Ok(d)
    }

    /// Removes `fd` (closing the host descriptor unless it is a standard stream).
    pub fn remove(&mut self, fd: u32) -> Result<Descriptor, Errno> {
        let d = self.fds.remove(&fd).ok_or(BADF)?;
        self.free.insert(fd);
        Ok(d)
    }

    /// Moves `from` to `to`, closing what `to` was; both must be open.
    pub fn renumber(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        if !self.fds.contains_key(&from) || !self.fds.contains_key(&to) {
            return Err(BADF);
        }
        if from != to {
            let d = self.fds.remove(&from).ok_or(BADF)?;
            self.fds.insert(to, d);
            self.free.insert(from);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn null() -> Descriptor {
        let f = std::fs::File::open("/dev/null").unwrap();
        Descriptor::new(Kind::File(f.into()), 0, 0)
    }

    #[test]
    fn numbers_are_reused_as_wasmtime_reuses_them() {
        let mut t = FdTable::with_stdio();
        assert_eq!(t.insert(null()).unwrap(), 3);
        assert_eq!(t.insert(null()).unwrap(), 4);
        assert_eq!(t.insert(null()).unwrap(), 5);
        t.remove(1).unwrap();
        t.remove(4).unwrap();
        // The highest freed number first, then the lower one, then past the highest.
        assert_eq!(t.insert(null()).unwrap(), 4);
        assert_eq!(t.insert(null()).unwrap(), 1);
        assert_eq!(t.insert(null()).unwrap(), 6);
        // `dup2(5, 1)` then close(5): 5 is free again, 1 is taken.
        t.renumber(5, 1).unwrap();
        assert_eq!(t.insert(null()).unwrap(), 5);
        assert!(t.renumber(9, 1).is_err());
    }
}
