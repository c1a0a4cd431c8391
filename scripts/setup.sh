#!/usr/bin/env bash
# Installs what building and testing Lumen needs, idempotently, on Debian 12 with rustup.
#   scripts/setup.sh build   — the Rust side only: wasm32 target and the wasm-bindgen CLI matching Cargo.lock
#   scripts/setup.sh test    — the above plus Debian packages (Chromium, Orthanc + DICOMweb, dcmtk, GDCM, OpenJPH)
#                              and the e2e npm packages
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-build}"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- Rust: wasm target and a wasm-bindgen CLI of exactly the crate's version -------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
want_wb=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have_wb=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_wb" != "$want_wb" ]; then
  log "installing wasm-bindgen-cli $want_wb (found '${have_wb:-none}'; takes ~3 minutes once)"
  # No --locked: the CLI's own lockfile pins a crate version the registry mirror lacks (see docs/DECISIONS.md).
  cargo install wasm-bindgen-cli --version "$want_wb" --force
fi

[ "$mode" = "test" ] || exit 0

# --- Debian packages for the reference tools and browser tests -----------------------------------------------
pkgs=(chromium chromium-driver orthanc orthanc-dicomweb dcmtk libgdcm-tools openjph-tools mesa-vulkan-drivers libvulkan1)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian orthanc package starts a system service on port 8042; the tests start their own instance.
  $SUDO systemctl stop orthanc 2>/dev/null || $SUDO service orthanc stop 2>/dev/null || true
fi

# --- npm packages for the browser tests (playwright-core drives Debian's Chromium; no browser download) ------
if [ -f e2e/package-lock.json ]; then
  if [ ! -d e2e/node_modules ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
    log "installing e2e npm packages"
    (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
log "ready"
