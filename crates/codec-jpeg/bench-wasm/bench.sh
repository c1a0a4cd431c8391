#!/usr/bin/env bash
# Build the wasm bench module around one JPEG codestream and time it in Node.
# Usage: bash crates/codec-jpeg/bench-wasm/bench.sh FILE.jpg OUTPUT_BYTES [--rgb]
# Built from the repository root, so .cargo/config.toml's wasm32 flags (simd128, as the viewer) apply;
# SIMD=0 builds without simd128 (an empty RUSTFLAGS replaces the config's), in its own target folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
jpeg="$(realpath "$1")"
rgb=0; [ "${3:-}" = "--rgb" ] && rgb=1
target="$root/target/bench-wasm-jpeg"
if [ "${SIMD:-1}" = "0" ]; then export RUSTFLAGS=""; target="$root/target/bench-wasm-jpeg-nosimd"; fi
(cd "$root" && JPEG_FILE="$jpeg" cargo build --quiet --release --target wasm32-unknown-unknown \
  --manifest-path "$here/Cargo.toml" --target-dir "$target")
node "$here/bench.js" "$target/wasm32-unknown-unknown/release/lumen_codec_jpeg_bench_wasm.wasm" "$2" "$rgb" "${RUNS:-200}"
