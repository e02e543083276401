#!/bin/sh
# Compares the machine code sowa and Wasmtime AOT make of each benchmark kernel's functions
# (`run` holds the hot loops, except fib's, where clang has inlined the rest), as the benchmark
# compiles them: `sowa compile --cpu native` and Wasmtime's pooling engine (`wasmtime-run --precompile`).
# Prints, per kernel and build, the instructions of each and how many of sowa's differ once
# addresses and register names are set aside. Needs objdump (binutils) and a release build:
#   cargo build --release -p sowa-wasi -p sowa-testsuite && sh testsuite/bench/same-code.sh
set -eu
cd "$(dirname "$0")/../.."
bin=target/release
out=target/bench/same-code
mkdir -p "$out"
# Addresses, branch targets, RIP-relative displacements and register names out; what is left
# is the instruction and its immediates and memory offsets.
normalize() {
  cut -f2- | sed -e 's/[0-9a-f]\+ <[^>]*>//' -e 's/#.*//' -e 's/-\?0x[0-9a-f]*(%rip)/K(%rip)/' \
    -e 's/%[xyz]mm[0-9]\+/%v/g' -e 's/%[a-z0-9]\+/%r/g' -e 's/[[:space:]]\+$//' | grep -v '^$' |
    grep -v '^(bad)$' | grep -v '^add    %r,(%r)$' || true
}
printf '| kernel | build | sowa instructions | Wasmtime instructions | differing |\n'
printf '|---|---|---:|---:|---:|\n'
for dir in wasm wasm-simd; do
  for wasm in testsuite/bench/$dir/*.wasm; do
    name=$(basename "$wasm" .wasm)
    [ "$name" = trivial ] && continue
    so=$out/$name-$dir.so
    cwasm=$out/$name-$dir.cwasm
    "$bin/sowa" compile --cpu native "$wasm" -o "$so"
    "$bin/wasmtime-run" --precompile "$wasm" "$cwasm"
    # Every function of the module, matched by name (`func[N]` in sowa is `function[N]` there).
    : > "$out/a"
    : > "$out/b"
    for f in $(objdump -t "$so" | awk '$3 == "F" { print $NF }'); do
      case $f in
        'func['*) pat="::function\\[${f#func[}\$" ;;
        *) pat="::function\\[[0-9]*\\]::$f\$" ;;
      esac
      sym=$(objdump -t "$cwasm" | awk -v p="$pat" '$NF ~ p { print $NF; exit }')
      [ -n "$sym" ] || continue
      objdump -d --no-show-raw-insn --disassemble="$f" "$so" | tail -n +8 | normalize >> "$out/a"
      objdump -d --no-show-raw-insn --disassemble="$sym" "$cwasm" | tail -n +8 | normalize >> "$out/b"
    done
    differ=$(diff "$out/a" "$out/b" | grep -c '^<' || true)
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$dir" "$(wc -l < "$out/a")" \
      "$(wc -l < "$out/b")" "$differ"
  done
done
