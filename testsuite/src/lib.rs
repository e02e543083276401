//! sowa's test suite: the project's test programs (`programs/`), end-to-end tests of the
//! embedding API (`tests/`), and the [`spec`] runner that drives the official WebAssembly test
//! suite through the same path users take (compiler, `.so`, loader, runtime), and the [`bench`](mod@bench)
//! harness that measures sowa against native code and Wasmtime, and the [`fuzz`] harness that
//! compares it with Wasmtime on generated modules and feeds mutated inputs to compiler and loader.

#[cfg(feature = "wasmtime")]
pub mod bench;
#[cfg(feature = "wasmtime")]
pub mod fuzz;
pub mod spec;
