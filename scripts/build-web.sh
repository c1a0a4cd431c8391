#!/usr/bin/env bash
# Builds the Lumen web app (crate `lumen-web`, folder `web/`) and its AI worker (crate `lumen-ai-worker`, folder
# `web/ai-worker/`) into target/web-dist/, with the model packages, ready for the server to embed.
#
# Steps: cargo build for wasm32-unknown-unknown with SIMD128 (the two crates separately, so burn's features never leak into the
# viewer's module) → wasm-bindgen --target web (lumen_web.js, lumen_ai.js) → wasm-opt (only if installed) → copy
# static/* → copy each model package models/<id>/ that has a manifest.json into models/<id>/, and list the ids in
# models/index.json. The server's build.rs embeds target/web-dist/ on its next build, so run `cargo build -p lumen` after
# this script. It does not install tools: when one is missing or has the wrong version it says what to run.
#
# Environment:
#   LUMEN_WEB_DEV=1      use the dev profile (faster to compile, bigger module) instead of wasm-release
#   LUMEN_WEB_DIST=DIR   output folder (default: <repo>/target/web-dist); build.rs reads the same variable
#   LUMEN_WASM_OPT=0     skip wasm-opt even when it is installed
#   LUMEN_MODELS_DIR=DIR folder of model packages to ship (default: <repo>/models)
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
# Both modules use WebAssembly SIMD128: .cargo/config.toml sets `-C target-feature=+simd128` for wasm32. A
# RUSTFLAGS / CARGO_ENCODED_RUSTFLAGS variable replaces config rustflags, so the feature is added to it here.
simd_flag="target-feature=+simd128"
if [[ -n "${CARGO_ENCODED_RUSTFLAGS+x}" ]]; then
    [[ "$CARGO_ENCODED_RUSTFLAGS" == *simd128* ]] \
        || export CARGO_ENCODED_RUSTFLAGS="${CARGO_ENCODED_RUSTFLAGS:+$CARGO_ENCODED_RUSTFLAGS$'\x1f'}-C"$'\x1f'"$simd_flag"
elif [[ -n "${RUSTFLAGS+x}" ]]; then
    [[ "$RUSTFLAGS" == *simd128* ]] || export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C $simd_flag"
fi
echo "build-web: cargo build -p lumen-web --target wasm32-unknown-unknown --profile $profile"
cargo build -p lumen-web --target wasm32-unknown-unknown --profile "$profile"
wasm="$target_dir/wasm32-unknown-unknown/$profile_dir/lumen_web.wasm"
[[ -f "$wasm" ]] || die "cargo did not produce $wasm"
# A separate cargo run: in one run cargo would unify lumen-infer's features and link burn into the viewer too.
echo "build-web: cargo build -p lumen-ai-worker --target wasm32-unknown-unknown --profile $profile"
cargo build -p lumen-ai-worker --target wasm32-unknown-unknown --profile "$profile"
ai_wasm="$target_dir/wasm32-unknown-unknown/$profile_dir/lumen_ai_worker.wasm"
[[ -f "$ai_wasm" ]] || die "cargo did not produce $ai_wasm"

# --- bindgen + static files into a staging folder ----------------------------------------------------------------
stage="$target_dir/web-dist.staging"
rm -rf "$stage"
mkdir -p "$stage"
wasm-bindgen --target web --no-typescript --out-dir "$stage" --out-name lumen_web "$wasm"
wasm-bindgen --target web --no-typescript --out-dir "$stage" --out-name lumen_ai "$ai_wasm"

if [[ "${LUMEN_WASM_OPT:-1}" != "0" ]] && command -v wasm-opt >/dev/null; then
    # Debian 12's binaryen 108 breaks the AI module's externref table: the worker then fails to start with
    # "WebAssembly.Table.set(): Argument 1 is invalid for table" (seen in Chromium). It is skipped for that version.
    opt_version="$(wasm-opt --version | grep -oE '[0-9]+' | head -n1)"
    opt_names=(lumen_web lumen_ai)
    if [[ "${opt_version:-0}" -le 108 ]]; then
        echo "build-web: wasm-opt $opt_version is too old for lumen_ai_bg.wasm; shipping that module unoptimised" >&2
        opt_names=(lumen_web)
    fi
    for name in "${opt_names[@]}"; do
        echo "build-web: wasm-opt -Oz $name ($(wasm-opt --version))"
        wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
            --enable-reference-types --enable-multivalue --enable-mutable-globals --enable-simd \
            -o "$stage/${name}_bg.opt.wasm" "$stage/${name}_bg.wasm"
        mv "$stage/${name}_bg.opt.wasm" "$stage/${name}_bg.wasm"
    done
fi

cp -R "$repo/static/." "$stage/"

# --- model packages ----------------------------------------------------------------------------------------------
# Only the files the AI worker and the model card view read; a package without weights or self-test is skipped
# with a warning (it is still being trained, or broken), never shipped half.
models_dir="${LUMEN_MODELS_DIR:-$repo/models}"
model_ids=()
for pkg in "$models_dir"/*/; do
    [[ -f "$pkg/manifest.json" ]] || continue
    id="$(basename "$pkg")"
    if [[ ! "$id" =~ ^[a-z0-9-]+$ ]]; then
        echo "build-web: warning: skipping model folder $pkg: a package id is lower-case letters, digits and '-'" >&2
        continue
    fi
    if [[ ! -f "$pkg/weights.safetensors" || ! -f "$pkg/selftest.json" ]]; then
        echo "build-web: warning: skipping model package $id: weights.safetensors or selftest.json is missing" >&2
        continue
    fi
    mkdir -p "$stage/models/$id"
    for f in manifest.json weights.safetensors selftest.json metrics.json MODEL_CARD.md; do
        [[ -f "$pkg/$f" ]] && cp "$pkg/$f" "$stage/models/$id/$f"
    done
    model_ids+=("$id")
done
mkdir -p "$stage/models"
{
    printf '['
    sep=""
    for id in "${model_ids[@]}"; do printf '%s"%s"' "$sep" "$id"; sep=","; done
    printf ']\n'
} > "$stage/models/index.json"
echo "build-web: model packages: ${model_ids[*]:-(none)}"

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

sizes=""
for name in lumen_web lumen_ai; do
    raw=$(stat -c %s "$dist/${name}_bg.wasm")
    gz=$(gzip -9 -c "$dist/${name}_bg.wasm" | wc -c)
    sizes+="${sizes:+, }${name}_bg.wasm: $raw bytes, $gz gzipped"
done
echo "build-web: $dist ready ($sizes). Now rebuild the server: cargo build -p lumen"
