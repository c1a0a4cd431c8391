#!/bin/sh
# Compare lumen-codec-jpegls compiled to wasm32 with CharLS compiled to wasm (npm @cornerstonejs/codec-charls),
# both run by Node on the same codestream. FILE is a raw JPEG-LS codestream (.jls); extract one from a DICOM file
# with `cargo run --release -p lumen-codec-jpegls --example bench -- FILE.dcm --extract OUT.jls`.
# Needs node, npm (once, to fetch the CharLS package into $CHARLS_CACHE) and the wasm32-unknown-unknown target.
# Usage: [CLOCK=cpu] crates/codec-jpegls/bench-wasm/compare-charls.sh FILE.jls [RUNS]
# CLOCK=cpu: time by the process's CPU time instead of the wall clock (steadier on a shared machine).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
file=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
runs=${2:-20}
cache=${CHARLS_CACHE:-/tmp/lumen-charls-npm}
if [ ! -d "$cache/node_modules/@cornerstonejs/codec-charls" ]; then
    mkdir -p "$cache" && (cd "$cache" && npm install --silent @cornerstonejs/codec-charls@1.2.7)
fi
target=${CARGO_TARGET_DIR:-/tmp/lumen-jpegls-bench-wasm}
JLS_FILE="$file" CARGO_TARGET_DIR="$target" cargo build --quiet --release --target wasm32-unknown-unknown \
    --manifest-path "$here/Cargo.toml"
node "$here/bench.js" "$target/wasm32-unknown-unknown/release/lumen_codec_jpegls_bench_wasm.wasm" "$file" \
    "$cache/node_modules/@cornerstonejs/codec-charls" "$runs"
