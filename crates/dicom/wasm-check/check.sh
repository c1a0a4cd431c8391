#!/usr/bin/env bash
# Build lumen-dicom for wasm32-unknown-unknown around the embedded fixtures and check its HTJ2K and JPEG 2000
# decodes in Node against the fixtures' references. Usage: bash crates/dicom/wasm-check/check.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="$here/../../../target/wasm-check-dicom"
cargo build --quiet --target wasm32-unknown-unknown --manifest-path "$here/Cargo.toml" --target-dir "$target"
node "$here/check.js" "$target/wasm32-unknown-unknown/debug/lumen_dicom_wasm_check.wasm"
