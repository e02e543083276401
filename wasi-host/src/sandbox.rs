//! Path resolution confined to a directory: every guest path is looked up beneath the
//! descriptor it is relative to, and a lookup that would leave it (`..` past the top, an
//! absolute path, a symbolic link pointing outside) is refused with `NOTCAPABLE`.
//!
//! On Linux 5.6 and later the kernel does the confinement (`openat2` with `RESOLVE_BENEATH`),
//! which is race-free by construction. Elsewhere, or when `SOWA_WASI_NO_OPENAT2` is set (the
//! tests run both ways), a walk opens one component at a time with `O_NOFOLLOW`, holding a
//! descriptor for every directory entered and reading symbolic links itself, so that no
//! concurrent rename or symlink swap can make it step outside.
//!
//! Operations other than open (`mkdirat`, `unlinkat`, `renameat`, ...) act on a single name in
//! a parent directory opened this way ([`parent`]), so the kernel never resolves more than
//! that one name, and never follows a symbolic link in it.

use crate::errno::{self, Errno, LOOP, NOENT, NOTCAPABLE, NOTDIR};
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU8, Ordering};

/// How many symbolic links one lookup may follow (Linux's limit).
const MAX_SYMLINKS: usize = 40;

/// 0: not probed yet, 1: openat2 usable, 2: use the walk.
static OPENAT2: AtomicU8 = AtomicU8::new(0);

fn use_openat2() -> bool {
    match OPENAT2.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let ok = std::env::var_os("SOWA_WASI_NO_OPENAT2").is_none_or(|v| v.is_empty())
                && probe_openat2();
            OPENAT2.store(if ok { 1 } else { 2 }, Ordering::Relaxed);
            ok
        }
    }
}

fn probe_openat2() -> bool {
    let r = openat2(libc::AT_FDCWD, c"/", libc::O_PATH, 0, 0);
    !matches!(r, Err(e) if e == libc::ENOSYS || e == libc::EPERM)
}

/// The raw `openat2`, returning the host errno on failure.
fn openat2(
    dir: RawFd,
    path: &std::ffi::CStr,
    flags: i32,
    mode: u32,
    resolve: u64,
) -> Result<OwnedFd, i32> {
    // SAFETY: open_how is plain data; all-zero is its documented default.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    // openat2 refuses O_PATH with any flag but these (open(2) ignored the rest).
    let flags = if flags & libc::O_PATH != 0 {
        flags & (libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW)
    } else {
        flags | libc::O_NOCTTY
    };
    how.flags = (flags | libc::O_CLOEXEC) as u64;
    // The kernel rejects a mode unless the flags create a file.
    // (O_TMPFILE includes O_DIRECTORY's bit, so it is compared whole.)
    if flags & libc::O_CREAT != 0 || flags & libc::O_TMPFILE == libc::O_TMPFILE {
        how.mode = mode as u64;
    }
    how.resolve = resolve;
    // SAFETY: `how` and `path` outlive the call; the size passed is the struct's.
    let r = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir,
            path.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        // SAFETY: the kernel just returned this descriptor to us.
        Ok(unsafe { OwnedFd::from_raw_fd(r as RawFd) })
    }
}

fn cstring(bytes: &[u8]) -> Result<CString, Errno> {
    CString::new(bytes).map_err(|_| errno::INVAL)
}

/// Opens `path` beneath `dir` with `flags` (`O_*`, `O_CLOEXEC` implied). A symbolic link in the
/// last component is followed only if `follow`.
pub fn open(
    dir: RawFd,
    path: &[u8],
    flags: i32,
    mode: u32,
    follow: bool,
) -> Result<OwnedFd, Errno> {
    if path.is_empty() {
        return Err(NOENT);
    }
    if path[0] == b'/' {
        return Err(NOTCAPABLE);
    }
    let flags = if follow {
        flags
    } else {
        flags | libc::O_NOFOLLOW
    };
    if use_openat2() {
        let c = cstring(path)?;
        for _ in 0..16 {
            match openat2(dir, &c, flags, mode, libc::RESOLVE_BENEATH) {
                Ok(fd) => return Ok(fd),
                // A concurrent rename anywhere on the system makes the kernel ask for a retry.
                Err(libc::EAGAIN) => continue,
                Err(libc::EXDEV) => return Err(NOTCAPABLE),
                Err(e) => return Err(errno::from_host(e)),
            }
        }
        return Err(errno::AGAIN);
    }
    walk(dir, path, flags, mode, follow)
}

/// `openat` without following a final symbolic link, returning the host errno.
fn openat(dir: RawFd, name: &[u8], flags: i32, mode: u32) -> Result<OwnedFd, i32> {
    let c = CString::new(name).map_err(|_| libc::EINVAL)?;
    // SAFETY: `c` is a valid C string for the duration of the call.
    let r = unsafe {
        libc::openat(
            dir,
            c.as_ptr(),
            flags | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NOCTTY,
            mode,
        )
    };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        // SAFETY: the kernel just returned this descriptor to us.
        Ok(unsafe { OwnedFd::from_raw_fd(r) })
    }
}

/// The target of the symbolic link `name` in `dir`, or `None` if it is not one.
pub fn readlink(dir: RawFd, name: &[u8]) -> Result<Option<Vec<u8>>, Errno> {
    let c = cstring(name)?;
    let mut buf = vec![0u8; 4096];
    // SAFETY: `buf` is writable for its length; `c` is a valid C string.
    let n = unsafe { libc::readlinkat(dir, c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        return if e == libc::EINVAL {
            Ok(None)
        } else {
            Err(errno::from_host(e))
        };
    }
    buf.truncate(n as usize);
    Ok(Some(buf))
}

/// The component walk used where `openat2` is missing.
fn walk(root: RawFd, path: &[u8], flags: i32, mode: u32, follow: bool) -> Result<OwnedFd, Errno> {
    let mut pending: Vec<Vec<u8>> = components(path);
    pending.reverse(); // a stack: the next component last
    let trailing_slash = path.ends_with(b"/");
    // Directories entered, beneath `root`; `..` pops one, and popping past `root` is an escape.
    let mut stack: Vec<OwnedFd> = Vec::new();
    let mut links = 0;
    loop {
        let cur = stack.last().map_or(root, |f| f.as_raw_fd());
        let Some(c) = pending.pop() else {
            // The path ended in `.` or `..` (or was only those): open where the walk stands.
            return openat(cur, b".", flags & !libc::O_NOFOLLOW, mode).map_err(errno::from_host);
        };
        let last = pending.is_empty();
        if c == b"." {
            continue;
        }
        if c == b".." {
            if stack.pop().is_none() {
                return Err(NOTCAPABLE);
            }
            continue;
        }
        let expand = |target: Vec<u8>, pending: &mut Vec<Vec<u8>>, links: &mut usize| {
            *links += 1;
            if *links > MAX_SYMLINKS {
                return Err(LOOP);
            }
            if target.first() == Some(&b'/') {
                return Err(NOTCAPABLE);
            }
            let mut parts = components(&target);
            if parts.is_empty() {
                return Err(NOENT);
            }
            if last && trailing_slash {
                parts.push(b".".to_vec());
            }
            pending.extend(parts.into_iter().rev());
            Ok(())
        };
        if last && !trailing_slash {
            if follow {
                // Any failure here (no such name, say) is the open's to report below.
                if let Ok(Some(target)) = readlink(cur, &c) {
                    expand(target, &mut pending, &mut links)?;
                    continue;
                }
            }
            // O_NOFOLLOW (always added by `openat`): a link swapped in after the check above
            // gives ELOOP (or, with O_PATH, the link itself), never its target.
            return openat(cur, &c, flags, mode).map_err(errno::from_host);
        }
        match openat(cur, &c, libc::O_PATH | libc::O_DIRECTORY, 0) {
            Ok(fd) => stack.push(fd),
            Err(e) if e == libc::ENOTDIR || e == libc::ELOOP => match readlink(cur, &c)? {
                Some(target) => expand(target, &mut pending, &mut links)?,
                None => return Err(NOTDIR),
            },
            Err(e) => return Err(errno::from_host(e)),
        }
        if last {
            // A trailing slash: the path names the directory just entered.
            pending.push(b".".to_vec());
        }
    }
}

/// The components of a relative path, empty ones (from `//`) dropped.
fn components(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .map(|c| c.to_vec())
        .collect()
}

/// For operations on one name: the directory that holds the last component of `path`
/// (opened beneath `dir`, as `O_PATH`) and that component, trailing slashes kept.
///
/// A path ending in `..` or `.` names a directory that is not "in" the one before it in the
/// usual sense; it is resolved whole and the operation then acts on `.` inside it, which the
/// kernel refuses for creation and removal as it should.
pub fn parent(dir: RawFd, path: &[u8]) -> Result<(OwnedFd, CString), Errno> {
    if path.is_empty() {
        return Err(NOENT);
    }
    if path[0] == b'/' {
        return Err(NOTCAPABLE);
    }
    let trimmed_len = path.len() - path.iter().rev().take_while(|&&b| b == b'/').count();
    let trimmed = &path[..trimmed_len];
    let (head, name) = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => (&trimmed[..i], &path[i + 1..]),
        None => (&b""[..], path),
    };
    let bare = &name[..name.len() - (path.len() - trimmed_len)];
    if bare == b".." || bare == b"." {
        let d = open(dir, path, libc::O_PATH | libc::O_DIRECTORY, 0, true)?;
        return Ok((d, c".".to_owned()));
    }
    let head = if head.is_empty() { &b"."[..] } else { head };
    let d = open(dir, head, libc::O_PATH | libc::O_DIRECTORY, 0, true)?;
    Ok((d, cstring(name)?))
}

/// Forces the component walk (for tests of the fallback path).
#[doc(hidden)]
pub fn force_walk() {
    OPENAT2.store(2, Ordering::Relaxed);
}
