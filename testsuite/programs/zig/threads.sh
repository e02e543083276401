#!/bin/sh
# WASI threads built by a real toolchain: Zig (the `ziglang` wheel from PyPI, fetched by package
# name into target/zig, never checked in) compiles testsuite/programs/zig/threads.zig for
# wasm32-wasi with a shared memory and `wasi.thread-spawn`; `sowa run` must print the exact sums
# on this machine and, when the aarch64 device runner has been built (see .ci/run) and qemu is
# installed, on aarch64 under qemu. Debian's wasi-libc has no threads sysroot, and Zig's
# wasi-libc pthread_create is a stub, so this is the project's pthreads-free threads program.
# Without network it says so and exits 0. Exit status 1 when a run fails or prints otherwise.
set -eu
cd "$(dirname "$0")/../../.."
root=$PWD
out=$root/target/zig
ZIG=ziglang==0.17.1
mkdir -p "$out"
if [ ! -x "$out/ziglang/zig" ]; then
  if ! pip download --quiet --no-deps -d "$out/wheels" "$ZIG"; then
    echo "zig threads: cannot fetch $ZIG from PyPI; skipped"
    exit 0
  fi
  unzip -q -o "$out"/wheels/ziglang-*.whl -d "$out"
fi
"$out/ziglang/zig" build-exe testsuite/programs/zig/threads.zig -target wasm32-wasi \
  -mcpu=generic+atomics+bulk_memory -fno-single-threaded -O ReleaseSmall \
  --import-memory --shared-memory --max-memory=67108864 --export=wasi_thread_start \
  --cache-dir "$out/cache" --global-cache-dir "$out/cache" -femit-bin="$out/threads.wasm"
cargo build --quiet --release -p sowa-wasi --bin sowa
sowa=$root/target/release/sowa
expected="atomic 10000000 locked 10000000"
status=0
check() { # name, command...
  name=$1; shift
  got=$(timeout 120 "$@" 2>&1) || { echo "zig threads: $name: exit $?: $got"; status=1; return; }
  if [ "$got" = "$expected" ]; then echo "zig threads: $name: $got"; else
    echo "zig threads: $name printed '$got', expected '$expected'"; status=1; fi
}
"$sowa" compile "$out/threads.wasm" -o "$out/threads.so"
for i in 1 2 3; do check "x86_64 run $i" "$sowa" run "$out/threads.so"; done
arm=$root/target/aarch64-unknown-linux-gnu/device/sowa
if [ -x "$arm" ] && command -v qemu-aarch64-static >/dev/null; then
  "$sowa" compile --target aarch64 "$out/threads.wasm" -o "$out/threads-aarch64.so"
  for i in 1 2 3; do
    check "aarch64 run $i" qemu-aarch64-static -L /usr/aarch64-linux-gnu "$arm" run "$out/threads-aarch64.so"
  done
else
  echo "zig threads: no aarch64 device runner at $arm (or no qemu-aarch64-static); aarch64 not run"
fi
exit $status
