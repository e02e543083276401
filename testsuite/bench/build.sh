#!/bin/sh
# Rebuilds the checked-in benchmark modules (wasm/*.wasm, and wasm-simd/*.wasm with -msimd128) from c/*.c with Debian's clang and
# wasi-libc: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32
# The native builds (clang -O2 and gcc -O2 of the same sources) are made by the bench harness.
set -eu
cd "$(dirname "$0")"
for c in c/*.c; do
  name=$(basename "$c" .c)
  [ "$name" = bench_main ] && continue
  clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--export=run "$c" -o "wasm/$name.wasm"
  # The same with 128-bit SIMD, so that clang vectorises the Wasm as it does the native build.
  clang --target=wasm32-wasi -O2 -msimd128 -mexec-model=reactor -Wl,--export=run "$c" \
    -o "wasm-simd/$name.wasm"
done
# The WASI file I/O workload is a command (it has a main), not a reactor.
clang --target=wasm32-wasi -O2 io/fileio.c -o io/fileio.wasm
echo "built: $(ls wasm io | tr '\n' ' ')"
