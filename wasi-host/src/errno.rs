//! WASI preview1 error numbers (`errno`) and the mapping from the host's.

/// An errno value.
pub type Errno = u16;

/// No error.
pub const SUCCESS: Errno = 0;
/// Argument list too long.
pub const TOOBIG: Errno = 1;
/// Permission denied.
pub const ACCES: Errno = 2;
/// Resource unavailable, try again.
pub const AGAIN: Errno = 6;
/// Bad file descriptor.
pub const BADF: Errno = 8;
/// Device or resource busy.
pub const BUSY: Errno = 10;
/// File exists.
pub const EXIST: Errno = 20;
/// Bad address (a guest pointer outside linear memory).
pub const FAULT: Errno = 21;
/// File too large.
pub const FBIG: Errno = 22;
/// Interrupted function.
pub const INTR: Errno = 27;
/// Invalid argument.
pub const INVAL: Errno = 28;
/// I/O error.
pub const IO: Errno = 29;
/// Is a directory.
pub const ISDIR: Errno = 31;
/// Too many levels of symbolic links.
pub const LOOP: Errno = 32;
/// Filename too long.
pub const NAMETOOLONG: Errno = 37;
/// No such file or directory.
pub const NOENT: Errno = 44;
/// Not enough space.
pub const NOMEM: Errno = 48;
/// Function not supported.
pub const NOSYS: Errno = 52;
/// Not a directory.
pub const NOTDIR: Errno = 54;
/// Directory not empty.
pub const NOTEMPTY: Errno = 55;
/// Not a socket.
pub const NOTSOCK: Errno = 57;
/// Not supported.
pub const NOTSUP: Errno = 58;
/// Value too large for its type.
pub const OVERFLOW: Errno = 61;
/// Operation not permitted.
pub const PERM: Errno = 63;
/// Broken pipe.
pub const PIPE: Errno = 64;
/// Invalid seek.
pub const SPIPE: Errno = 70;
/// Cross-device link.
pub const XDEV: Errno = 75;
/// Capabilities insufficient: what a sandbox escape (or a missing right) gets.
pub const NOTCAPABLE: Errno = 76;

/// Maps a host `errno` to the WASI one.
pub fn from_host(e: i32) -> Errno {
    use libc::*;
    match e {
        0 => SUCCESS,
        E2BIG => TOOBIG,
        EACCES => ACCES,
        EADDRINUSE => 3,
        EADDRNOTAVAIL => 4,
        EAFNOSUPPORT => 5,
        EAGAIN => AGAIN,
        EALREADY => 7,
        EBADF => BADF,
        EBADMSG => 9,
        EBUSY => BUSY,
        ECANCELED => 11,
        ECHILD => 12,
        ECONNABORTED => 13,
        ECONNREFUSED => 14,
        ECONNRESET => 15,
        EDEADLK => 16,
        EDESTADDRREQ => 17,
        EDOM => 18,
        EDQUOT => 19,
        EEXIST => EXIST,
        EFAULT => FAULT,
        EFBIG => FBIG,
        EHOSTUNREACH => 23,
        EIDRM => 24,
        EILSEQ => 25,
        EINPROGRESS => 26,
        EINTR => INTR,
        EINVAL => INVAL,
        EIO => IO,
        EISCONN => 30,
        EISDIR => ISDIR,
        ELOOP => LOOP,
        EMFILE => 33,
        EMLINK => 34,
        EMSGSIZE => 35,
        EMULTIHOP => 36,
        ENAMETOOLONG => NAMETOOLONG,
        ENETDOWN => 38,
        ENETRESET => 39,
        ENETUNREACH => 40,
        ENFILE => 41,
        ENOBUFS => 42,
        ENODEV => 43,
        ENOENT => NOENT,
        ENOEXEC => 45,
        ENOLCK => 46,
        ENOLINK => 47,
        ENOMEM => NOMEM,
        ENOMSG => 49,
        ENOPROTOOPT => 50,
        ENOSPC => 51,
        ENOSYS => NOSYS,
        ENOTCONN => 53,
        ENOTDIR => NOTDIR,
        ENOTEMPTY => NOTEMPTY,
        ENOTRECOVERABLE => 56,
        ENOTSOCK => NOTSOCK,
        EOPNOTSUPP => NOTSUP,
        ENOTTY => 59,
        ENXIO => 60,
        EOVERFLOW => OVERFLOW,
        EOWNERDEAD => 62,
        EPERM => PERM,
        EPIPE => PIPE,
        EPROTO => 65,
        EPROTONOSUPPORT => 66,
        EPROTOTYPE => 67,
        ERANGE => 68,
        EROFS => 69,
        ESPIPE => SPIPE,
        ESRCH => 71,
        ESTALE => 72,
        ETIMEDOUT => 73,
        ETXTBSY => 74,
        // Only the sandbox produces EXDEV on lookups (RESOLVE_BENEATH refusing an escape);
        // rename and link across file systems keep their meaning.
        EXDEV => XDEV,
        _ => IO,
    }
}

/// The last host error, as a WASI errno.
pub fn last() -> Errno {
    from_host(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// `Ok(r)` for a non-negative system call result, else the WASI errno of `errno`.
pub fn check<T: Copy + PartialOrd + Default>(r: T) -> Result<T, Errno> {
    if r < T::default() {
        Err(last())
    } else {
        Ok(r)
    }
}
