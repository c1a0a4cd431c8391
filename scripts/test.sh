#!/usr/bin/env bash
# Runs every Lumen test on a fresh Debian 12 machine with rustup, installing what it needs first (idempotent):
#   1. unit and integration tests of every native crate (DICOM rules, decode conformance against dcmtk/GDCM,
#      DICOMweb conformance against a real Orthanc, server behaviour),
#   2. the wasm32 build of every crate the browser uses,
#   3. browser end-to-end tests: Playwright driving Debian's Chromium against `lumen serve`.
# Ends with one line "tests: N passed, N failed" and a non-zero exit status if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
logdir="${LUMEN_TEST_LOGS:-target/test-logs}"
mkdir -p "$logdir"
passed=0; failed=0; stages_failed=()

stage() { printf '\n\033[1m=== %s ===\033[0m\n' "$*"; }
fail_stage() { stages_failed+=("$1"); }

stage "setup"
bash scripts/setup.sh test || { echo "setup failed"; exit 1; }

stage "web app (wasm) build"
if ! bash scripts/build-web.sh; then fail_stage "web build"; failed=$((failed+1)); fi

stage "wasm32 build of the browser crates"
if cargo build --profile wasm-release --target wasm32-unknown-unknown \
     -p lumen-dicom -p lumen-dicomweb -p lumen-store -p lumen-phantom -p lumen-frames -p lumen-render \
     -p lumen-wasm-libc-shim -p lumen-results --features lumen-dicomweb/browser 2>&1 | tail -n 3; then
  passed=$((passed+1)); else fail_stage "wasm32 build"; failed=$((failed+1)); fi

# Runs a cargo test command, tees its output and adds its "test result:" counts to the totals.
cargo_tests() {
  local name="$1"; shift
  "$@" 2>&1 | tee "$logdir/$name.log"
  local rc=${PIPESTATUS[0]} p f
  read -r p f < <(awk '/^test result:/ { for (i=1;i<=NF;i++) { if ($(i)=="passed;") p+=$(i-1); if ($(i)=="failed;") f+=$(i-1) } }
                       END { print p+0, f+0 }' "$logdir/$name.log")
  passed=$((passed+p)); failed=$((failed+f))
  if [ "$rc" -ne 0 ]; then fail_stage "$name"; [ "$f" -gt 0 ] || failed=$((failed+1)); fi
}

stage "HTJ2K and JPEG 2000 decoding in wasm32 (Node)"
if bash crates/dicom/wasm-check/check.sh; then passed=$((passed+1)); else fail_stage "wasm decode check"; failed=$((failed+1)); fi

stage "native unit and integration tests"
# `cargo test` (default members) also builds the `lumen` binary (integration and e2e tests run it) with the workspace's
# unified features; a separate `cargo build -p lumen` would compile the dependencies a second time.
cargo_tests cargo-test cargo test --no-fail-fast   # the default members: every native crate (web/ is wasm32-only)

stage "AI worker unit tests (native)"
cargo_tests ai-worker cargo test -p lumen-ai-worker

stage "wasm32 unit tests (Node, wasm-bindgen-test)"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
cargo_tests wasm-web cargo test -p lumen-web --target wasm32-unknown-unknown --profile wasm-release --lib
cargo_tests wasm-dicomweb cargo test -p lumen-dicomweb --target wasm32-unknown-unknown --profile wasm-release \
  --features browser --test fetch_transport

stage "GPU renderer in headless Chromium (WebGPU via SwiftShader, and WebGL2)"
CHROMEDRIVER=/usr/bin/chromedriver cargo_tests wasm-render cargo test -p lumen-render --target wasm32-unknown-unknown \
  --profile wasm-release --test browser

stage "browser end-to-end tests"
if [ -d e2e/tests ]; then
  (cd e2e && node --test --test-reporter=tap tests/) 2>&1 | tee "$logdir/e2e.log"
  e2e_rc=${PIPESTATUS[0]}
  ep=$(awk '/^# pass / {print $3}' "$logdir/e2e.log" | tail -n1); ef=$(awk '/^# fail / {print $3}' "$logdir/e2e.log" | tail -n1)
  passed=$((passed+${ep:-0})); failed=$((failed+${ef:-0}))
  if [ "$e2e_rc" -ne 0 ]; then fail_stage "e2e"; [ "${ef:-0}" -gt 0 ] || failed=$((failed+1)); fi
else
  echo "no e2e tests found"; fail_stage "e2e (missing)"; failed=$((failed+1))
fi

echo
[ ${#stages_failed[@]} -eq 0 ] || echo "failed stages: ${stages_failed[*]}"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
