#!/bin/sh
# Rebuilds the checked-in test modules from their sources.
# Needs Debian's clang, lld, wasi-libc and libclang-rt-14-dev-wasm32, and wabt's wat2wasm:
#   apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt
set -eu
cd "$(dirname "$0")"
for c in c/*.c; do
  name=$(basename "$c" .c)
  clang --target=wasm32-wasi -O2 "$c" -o "wasm/$name.wasm" -lm
done
for w in wat/*.wat; do
  name=$(basename "$w" .wat)
  wat2wasm --debug-names "$w" -o "wasm/$name.wasm"
done
echo "built: $(ls wasm | tr '\n' ' ')"
