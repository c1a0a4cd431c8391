#!/usr/bin/env bash
# Builds everything (the wasm web app, then the `lumen` binary that embeds it) and starts Lumen with the bundled
# demo studies. Extra arguments go to `lumen serve` (e.g. --port 9000, --dicom-dir DIR, --pacs URL).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
bash scripts/build-web.sh
echo "[start] building the lumen server (release)"
cargo build --release -p lumen
exec target/release/lumen serve "$@"
