#!/usr/bin/env bash
# Builds the Lumen web app (crate `lumen-web`, folder `web/`) into target/web-dist/, ready for the server to embed.
#
# Steps: cargo build for wasm32-unknown-unknown → wasm-bindgen --target web → copy static/* → wasm-opt (only if
# installed). The server's build.rs embeds target/web-dist/ on its next build, so run `cargo build -p lumen` after
# this script. It does not install tools: when one is missing or has the wrong version it says what to run.
#
# Environment:
#   LUMEN_WEB_DEV=1      use the dev profile (faster to compile, bigger module) instead of wasm-release
#   LUMEN_WEB_DIST=DIR   output folder (default: <repo>/target/web-dist); build.rs reads the same variable
#   LUMEN_WASM_OPT=0     skip wasm-opt even when it is installed
#
# Idempotent: files in the dist folder are only replaced when their content changed, so an unchanged rebuild does
# not make cargo re-embed (and relink) the server.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

target_dir="${CARGO_TARGET_DIR:-$repo/target}"
dist="${LUMEN_WEB_DIST:-$target_dir/web-dist}"
if [[ "${LUMEN_WEB_DEV:-0}" == "1" ]]; then
    profile="dev"; profile_dir="debug"
else
    profile="wasm-release"; profile_dir="wasm-release"
fi

die() { echo "build-web: $*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------------------------------------------
if command -v rustup >/dev/null; then
    rustup target list --installed | grep -qx wasm32-unknown-unknown \
        || die "the Rust target wasm32-unknown-unknown is not installed. Run: rustup target add wasm32-unknown-unknown"
fi

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock, or the generated glue
# does not match the module.
lock_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[[ -n "$lock_version" ]] || die "could not find the wasm-bindgen crate version in Cargo.lock"
command -v wasm-bindgen >/dev/null \
    || die "wasm-bindgen CLI not found. Run: cargo install wasm-bindgen-cli --version $lock_version"
cli_version="$(wasm-bindgen --version | awk '{ print $2 }')"
[[ "$cli_version" == "$lock_version" ]] \
    || die "wasm-bindgen CLI is $cli_version but Cargo.lock has wasm-bindgen $lock_version. Run: cargo install wasm-bindgen-cli --version $lock_version --force"

# --- compile -----------------------------------------------------------------------------------------------------
echo "build-web: cargo build -p lumen-web --target wasm32-unknown-unknown --profile $profile"
cargo build -p lumen-web --target wasm32-unknown-unknown --profile "$profile"
wasm="$target_dir/wasm32-unknown-unknown/$profile_dir/lumen_web.wasm"
[[ -f "$wasm" ]] || die "cargo did not produce $wasm"

# --- bindgen + static files into a staging folder ----------------------------------------------------------------
stage="$target_dir/web-dist.staging"
rm -rf "$stage"
mkdir -p "$stage"
wasm-bindgen --target web --no-typescript --out-dir "$stage" --out-name lumen_web "$wasm"

if [[ "${LUMEN_WASM_OPT:-1}" != "0" ]] && command -v wasm-opt >/dev/null; then
    echo "build-web: wasm-opt -Oz ($(wasm-opt --version))"
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-reference-types --enable-multivalue --enable-mutable-globals \
        -o "$stage/lumen_web_bg.opt.wasm" "$stage/lumen_web_bg.wasm"
    mv "$stage/lumen_web_bg.opt.wasm" "$stage/lumen_web_bg.wasm"
fi

cp -R "$repo/static/." "$stage/"

# The app must load nothing from elsewhere: refuse to ship a static file that names an external origin.
if grep -rIlE '(src|href)=["'"'"']?(https?:)?//' "$stage" --include='*.html' --include='*.css' >/dev/null 2>&1; then
    grep -rInE '(src|href)=["'"'"']?(https?:)?//' "$stage" --include='*.html' --include='*.css' >&2 || true
    die "a static file refers to an external origin; Lumen serves everything itself"
fi

# --- sync staging → dist, touching only files that changed -------------------------------------------------------
mkdir -p "$dist"
(cd "$stage" && find . -type f) | while read -r rel; do
    if ! cmp -s "$stage/$rel" "$dist/$rel"; then
        mkdir -p "$(dirname "$dist/$rel")"
        cp "$stage/$rel" "$dist/$rel"
    fi
done
(cd "$dist" && find . -type f) | while read -r rel; do
    [[ -f "$stage/$rel" ]] || rm -f "$dist/$rel"
done
rm -rf "$stage"

raw=$(stat -c %s "$dist/lumen_web_bg.wasm")
gz=$(gzip -9 -c "$dist/lumen_web_bg.wasm" | wc -c)
echo "build-web: $dist ready (lumen_web_bg.wasm: $raw bytes, $gz gzipped). Now rebuild the server: cargo build -p lumen"
