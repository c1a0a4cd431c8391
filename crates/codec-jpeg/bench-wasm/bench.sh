#!/usr/bin/env bash
# Build the wasm bench module around one JPEG codestream and time it in Node.
# Usage: bash crates/codec-jpeg/bench-wasm/bench.sh FILE.jpg OUTPUT_BYTES [--rgb]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jpeg="$(realpath "$1")"
rgb=0; [ "${3:-}" = "--rgb" ] && rgb=1
JPEG_FILE="$jpeg" cargo build --quiet --release --target wasm32-unknown-unknown \
  --manifest-path "$here/Cargo.toml" --target-dir "$here/../../../target/bench-wasm-jpeg"
node "$here/bench.js" "$here/../../../target/bench-wasm-jpeg/wasm32-unknown-unknown/release/lumen_codec_jpeg_bench_wasm.wasm" "$2" "$rgb"
