#!/usr/bin/env bash
# Benchmark lumen-dicom compiled to wasm32 (with the profile the viewer ships) against Cornerstone3D's wasm codecs
# (npm @cornerstonejs/codec-openjpeg, -openjph, -libjpeg-turbo-8bit) in one Node process, on the same codestreams:
# JPEG 2000 lossless (also in 3 layers with precincts) and HTJ2K lossless of a 512×512 16-bit demo CT slice, the 1800×2000 12-bit demo radiograph and
# the 640×480 RGB demo ultrasound frame, JPEG 2000 and HTJ2K lossy of the CT slice and the radiograph, JPEG baseline of that
# frame, and 12-bit extended JPEG of the radiograph (Lumen alone: Cornerstone has no wasm codec for it). Checks that both decoders return the same samples, within 1 for lossy syntaxes (exit status 1 otherwise).
# A manual benchmark: not part of scripts/test.sh.
#
# Usage: bash crates/dicom/bench-wasm/compare-cornerstone.sh [WORK_DIR] [RUNS]
#   WORK_DIR  demo studies and compressed inputs, reused between runs (default /tmp/lumen-cornerstone-bench)
#   RUNS      least number of timed decodes per case and decoder, after 3 warm-up decodes (default 15; short
#             decodes are repeated until Lumen's add up to 2 s, at most 400 times); medians are reported
# Environment:
#   LUMEN=path/to/lumen   the lumen binary for `lumen demo` and `lumen decode` (default: build it in release);
#                         any build will do (target/debug/lumen too): it only writes the inputs
#   PROFILE=NAME          cargo profile of the wasm module: codecs-o3 (default: what scripts/build-web.sh ships —
#                         opt-level "s", thin LTO, the decoding crates at opt-level 3, as the workspace's
#                         wasm-release profile), wasm-release (the same without the opt-level 3 overrides, the
#                         viewer's profile before them) or bench-o3 (everything at opt-level 3, fat LTO, one
#                         codegen unit)
#   SIMD=0                build the module without wasm SIMD128 (default: with it, as the viewer ships since
#                         .cargo/config.toml enables it for wasm32) — an empty RUSTFLAGS replaces the config's;
#                         the two builds keep separate target folders
#   CASES="a b"           only these inputs (names without .dcm, e.g. "us640x480rgb_jpeg dx1800x2000_jpeg12");
#                         default all
# Needs: node and npm (npm fetches the three codec packages once, from package-lock.json), cargo with the
# wasm32-unknown-unknown target, python3, gdcmconv (GDCM), dcmcjpeg (dcmtk), ojph_compress (openjph-tools),
# opj_compress (libopenjp2-tools).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
work="${1:-/tmp/lumen-cornerstone-bench}"
runs="${2:-15}"
profile="${PROFILE:-codecs-o3}"
case "$profile" in wasm-release|bench-o3|codecs-o3) ;; *) echo "compare-cornerstone: unknown PROFILE $profile" >&2; exit 2 ;; esac
for tool in node npm cargo python3 gdcmconv dcmcjpeg ojph_compress opj_compress; do
  command -v "$tool" >/dev/null || { echo "compare-cornerstone: $tool is not installed" >&2; exit 2; }
done
mkdir -p "$work"

[ -d "$here/node_modules/@cornerstonejs/codec-openjph" ] || (cd "$here" && npm ci --silent --no-audit --no-fund)
if [ -z "${LUMEN:-}" ]; then
  cargo build --quiet --release -p lumen --manifest-path "$root/Cargo.toml"; LUMEN="$root/target/release/lumen"
fi
[ -f "$work/demo/manifest.json" ] || "$LUMEN" demo --out "$work/demo" >/dev/null
python3 "$here/make_inputs.py" "$work/demo" "$LUMEN" "$work/in"

# Built from the repository root, so that the viewer's .cargo/config.toml (its wasm32 target features) applies to
# the bench module too; SIMD=0 overrides it with an empty RUSTFLAGS (which replaces config rustflags). bench.js
# reports whether the module holds SIMD code.
target="$root/target/bench-wasm-dicom"
flags="simd128 (.cargo/config.toml)"
if [ "${SIMD:-1}" = "0" ]; then
  export RUSTFLAGS=""; target="$root/target/bench-wasm-dicom-nosimd"; flags="no simd128"
elif [ -n "${RUSTFLAGS:-}${CARGO_ENCODED_RUSTFLAGS:-}" ]; then
  echo "compare-cornerstone: RUSTFLAGS/CARGO_ENCODED_RUSTFLAGS is set and would replace the viewer's wasm flags; unset it" >&2
  exit 2
fi
(cd "$root" && cargo build --quiet --profile "$profile" --target wasm32-unknown-unknown \
  --manifest-path "$here/Cargo.toml" --target-dir "$target")
echo "lumen-dicom wasm32, profile $profile, $flags, $(rustc --version)"
all="ct512_j2k dx1800x2000_j2k us640x480rgb_j2k ct512_htj2k dx1800x2000_htj2k us640x480rgb_htj2k"
all="$all ct512_htj2k_lossy dx1800x2000_htj2k_lossy us640x480rgb_jpeg dx1800x2000_jpeg12 ct512_j2k_lossy"
all="$all dx1800x2000_j2k_lossy ct512_j2k_layers"
files=()
for c in ${CASES:-$all}; do
  [ -f "$work/in/$c.dcm" ] || { echo "compare-cornerstone: no input $work/in/$c.dcm (cases: $all)" >&2; exit 2; }
  files+=("$work/in/$c.dcm")
done
node "$here/bench.js" "$target/wasm32-unknown-unknown/$profile/lumen_dicom_bench_wasm.wasm" "$runs" "${files[@]}"
