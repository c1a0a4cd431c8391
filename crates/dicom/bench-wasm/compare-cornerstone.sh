#!/usr/bin/env bash
# Benchmark lumen-dicom compiled to wasm32 (with the profile the viewer ships) against Cornerstone3D's wasm codecs
# (npm @cornerstonejs/codec-openjpeg, -openjph, -libjpeg-turbo-8bit) in one Node process, on the same codestreams:
# JPEG 2000 lossless and HTJ2K lossless of a 512×512 16-bit demo CT slice, the 1800×2000 12-bit demo radiograph and
# the 640×480 RGB demo ultrasound frame, HTJ2K lossy of the CT slice and the radiograph, and JPEG baseline of that
# frame. Checks that both decoders return the same samples, within 1 for lossy syntaxes (exit status 1 otherwise).
# A manual benchmark: not part of scripts/test.sh.
#
# Usage: bash crates/dicom/bench-wasm/compare-cornerstone.sh [WORK_DIR] [RUNS]
#   WORK_DIR  demo studies and compressed inputs, reused between runs (default /tmp/lumen-cornerstone-bench)
#   RUNS      least number of timed decodes per case and decoder, after 3 warm-up decodes (default 15; short
#             decodes are repeated until Lumen's add up to 2 s, at most 400 times); medians are reported
# Environment:
#   LUMEN=path/to/lumen   the lumen binary for `lumen demo` and `lumen decode` (default: build it in release);
#                         any build will do (target/debug/lumen too): it only writes the inputs
#   PROFILE=NAME          cargo profile of the wasm module: wasm-release (default: what scripts/build-web.sh ships,
#                         opt-level "s", thin LTO), codecs-o3 (the same with the decoding crates at opt-level 3)
#                         or bench-o3 (everything at opt-level 3, fat LTO, one codegen unit)
# Needs: node and npm (npm fetches the three codec packages once, from package-lock.json), cargo with the
# wasm32-unknown-unknown target, python3, gdcmconv (GDCM), dcmcjpeg (dcmtk), ojph_compress (openjph-tools).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
work="${1:-/tmp/lumen-cornerstone-bench}"
runs="${2:-15}"
profile="${PROFILE:-wasm-release}"
case "$profile" in wasm-release|bench-o3|codecs-o3) ;; *) echo "compare-cornerstone: unknown PROFILE $profile" >&2; exit 2 ;; esac
for tool in node npm cargo python3 gdcmconv dcmcjpeg ojph_compress; do
  command -v "$tool" >/dev/null || { echo "compare-cornerstone: $tool is not installed" >&2; exit 2; }
done
mkdir -p "$work"

[ -d "$here/node_modules/@cornerstonejs/codec-openjph" ] || (cd "$here" && npm ci --silent --no-audit --no-fund)
if [ -z "${LUMEN:-}" ]; then
  cargo build --quiet --release -p lumen --manifest-path "$root/Cargo.toml"; LUMEN="$root/target/release/lumen"
fi
[ -f "$work/demo/manifest.json" ] || "$LUMEN" demo --out "$work/demo" >/dev/null
python3 "$here/make_inputs.py" "$work/demo" "$LUMEN" "$work/in"

target="$root/target/bench-wasm-dicom"
cargo build --quiet --profile "$profile" --target wasm32-unknown-unknown --manifest-path "$here/Cargo.toml" \
  --target-dir "$target"
echo "lumen-dicom wasm32, profile $profile, $(rustc --version)"
node "$here/bench.js" "$target/wasm32-unknown-unknown/$profile/lumen_dicom_bench_wasm.wasm" "$runs" \
  "$work"/in/{ct512,dx1800x2000,us640x480rgb}_j2k.dcm "$work"/in/{ct512,dx1800x2000,us640x480rgb}_htj2k.dcm \
  "$work"/in/{ct512,dx1800x2000}_htj2k_lossy.dcm "$work/in/us640x480rgb_jpeg.dcm"
