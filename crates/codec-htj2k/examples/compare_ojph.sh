#!/usr/bin/env bash
# Native single-thread timing of lumen-codec-htj2k (the `decode` example: best of 50 in-process decodes,
# allocation included) against OpenJPH's ojph_expand (best "Elapsed time" it prints over 15 runs; it includes
# writing the raw output, here to /dev/shm), on the given codestreams; also compares the two outputs.
# Usage: bash crates/codec-htj2k/examples/compare_ojph.sh FILE.j2c...   (DECODE=path skips the cargo build)
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
if [ -z "${DECODE:-}" ]; then
  cargo build --quiet --release -p lumen-codec-htj2k --example decode --manifest-path "$root/Cargo.toml"
  DECODE="${CARGO_TARGET_DIR:-$root/target}/release/examples/decode"
fi
for f in "$@"; do
  name="$(basename "$f" .j2c)"
  lumen=$("$DECODE" "$f" "/dev/shm/$name.lumen" 50)
  best=$(for i in $(seq 15); do ojph_expand -i "$f" -o "/dev/shm/$name.yuv" | grep -o '[0-9.]*$'; done | sort -g | head -1)
  if cmp -s "/dev/shm/$name.lumen" "/dev/shm/$name.yuv"; then same=identical; else
    same=$(python3 - "/dev/shm/$name.lumen" "/dev/shm/$name.yuv" <<'PY'
import struct, sys
a, b = (open(p, "rb").read() for p in sys.argv[1:3])
if len(a) != len(b):
    print("sizes differ")
else:
    x, y = (struct.unpack("<%dH" % (len(v) // 2), v) for v in (a, b))
    print("max abs diff", max(abs(p - q) for p, q in zip(x, y)))
PY
)
  fi
  echo "$name | lumen $lumen | ojph_expand $(awk "BEGIN{printf \"%.3f\", $best*1000}") ms | $same"
done
