//! WASI preview1 error numbers (`errno`), the ones this host returns.

/// An errno value.
pub type Errno = u16;

/// No error.
pub const SUCCESS: Errno = 0;
/// Bad file descriptor.
pub const BADF: Errno = 8;
/// Bad address (a guest pointer outside linear memory).
pub const FAULT: Errno = 21;
/// Invalid argument.
pub const INVAL: Errno = 28;
/// I/O error.
pub const IO: Errno = 29;
/// Illegal seek.
pub const SPIPE: Errno = 70;

/// Maps a host `errno` to the WASI one (the subset the first host's calls can produce).
pub fn from_host(e: i32) -> Errno {
    match e {
        libc::EBADF => BADF,
        libc::EFAULT => FAULT,
        libc::EINVAL => INVAL,
        libc::ESPIPE => SPIPE,
        libc::EAGAIN => 6,
        libc::EINTR => 27,
        libc::EPIPE => 64,
        libc::ENOSPC => 51,
        libc::EOVERFLOW => 61,
        _ => IO,
    }
}

/// The last host error, as a WASI errno.
pub fn last() -> Errno {
    from_host(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}
