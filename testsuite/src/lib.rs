//! sowa's test suite: the project's test programs (`programs/`), end-to-end tests of the
//! embedding API (`tests/`), and the [`spec`] runner that drives the official WebAssembly test
//! suite through the same path users take (compiler, `.so`, loader, runtime), and the [`bench`]
//! harness that measures sowa against native code and Wasmtime.

#[cfg(feature = "wasmtime")]
pub mod bench;
pub mod spec;
