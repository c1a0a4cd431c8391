#!/usr/bin/env bash
# Time lumen-dicom's HTJ2K decode (openjp2's HT block decoder) against OpenJPH's ojph_expand on a 512×512 16-bit
# demo CT slice and a 2048×2048 12-bit radiograph (the 1800×2000 demo DX, mirrored at its right and bottom edges),
# each lossless (.201) and lossy (.203, -qstep 0.0005 / 0.002). Both are timed as whole processes (frame_bench
# reads, parses and decodes frame 0 without writing; ojph_expand decodes and writes a raw file), then frame_bench
# prints its in-process decode time. Decodes are checked against ojph_expand first.
# Usage: bash crates/dicom/examples/htj2k_bench.sh [WORK_DIR] [RUNS]   (LUMEN=path/to/lumen skips its build)
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
work="${1:-$(mktemp -d)}"; runs="${2:-9}"
mkdir -p "$work"
cargo build --quiet --release -p lumen-dicom --example frame_bench --manifest-path "$root/Cargo.toml"
bench="$root/target/release/examples/frame_bench"
if [ -z "${LUMEN:-}" ]; then
  cargo build --quiet --release -p lumen --manifest-path "$root/Cargo.toml"; LUMEN="$root/target/release/lumen"
fi
[ -d "$work/demo/ct-chest" ] || "$LUMEN" demo --out "$work/demo" >/dev/null
"$LUMEN" decode --format raw --out "$work/ct.raw" "$work/demo/ct-chest/01-axial-1.25mm-explicit-le/0110.dcm"
"$LUMEN" decode --format raw --out "$work/dx.raw" "$work/demo/dx-chest/01-pa-monochrome2/0001.dcm"
python3 - "$work" "$root/crates/dicom/tests/fixtures/htj2k" <<'PY'
import os, struct, subprocess, sys
work, fixtures = sys.argv[1], sys.argv[2]
sys.path.insert(0, fixtures)
import make_htj2k_fixtures as fx  # its Part 10 writer
os.chdir(work)
ct = struct.unpack("<%dh" % (512 * 512), open("ct.raw", "rb").read())
open("ct_u.yuv", "wb").write(struct.pack("<%dH" % len(ct), *[v + 32768 for v in ct]))
dx = struct.unpack("<%dH" % (1800 * 2000), open("dx.raw", "rb").read())
rows = []
for y in range(2048):
    sy = y if y < 2000 else 2 * 1999 - y
    row = dx[sy * 1800:(sy + 1) * 1800]
    rows.append(row + row[-2:-(2048 - 1800) - 2:-1])
open("dx_u.yuv", "wb").write(b"".join(struct.pack("<2048H", *r) for r in rows))
for name, src, size, bits, signed, opts, ts in [
    ("ct512_lossless", "ct_u.yuv", 512, 16, True, ["-reversible", "true"], fx.HT_LOSSLESS),
    ("ct512_lossy", "ct_u.yuv", 512, 16, True, ["-qstep", "0.0005"], fx.HT_LOSSY),
    ("dx2048_lossless", "dx_u.yuv", 2048, 12, False, ["-reversible", "true"], fx.HT_LOSSLESS),
    ("dx2048_lossy", "dx_u.yuv", 2048, 12, False, ["-qstep", "0.002"], fx.HT_LOSSY),
]:
    # signed CT: coded as unsigned + 2^15, Ssiz sign bit set afterwards (see make_htj2k_fixtures.py)
    subprocess.run(["ojph_compress", "-i", src, "-o", name + "_u.j2c", "-dims", "{%d,%d}" % (size, size),
                    "-num_comps", "1", "-signed", "false", "-bit_depth", str(bits), "-downsamp", "{1,1}", *opts],
                   check=True, stdout=subprocess.DEVNULL)
    cs = bytearray(open(name + "_u.j2c", "rb").read())
    if signed:
        cs[42] |= 0x80
    open(name + ".dcm", "wb").write(fx.part10(ts, size, size, 1, "MONOCHROME2", bits, signed, [bytes(cs)], signed))
    print(f"{name}: {len(cs)} bytes of codestream")
PY
ms() { # median and best wall-clock ms of $runs runs of a command
  local t=()
  for _ in $(seq "$runs"); do
    local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); t+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %.1f ms, best %.1f ms", a[int((NR+1)/2)]/1000, a[1]/1000}'
}
cd "$work"
for n in ct512_lossless ct512_lossy dx2048_lossless dx2048_lossy; do
  "$LUMEN" decode --format raw --out "$n.lumen.raw" "$n.dcm"
  ojph_expand -i "${n}_u.j2c" -o "$n.ojph.raw" >/dev/null
  python3 - "$n" <<'PY'
import struct, sys
n = sys.argv[1]
a = open(n + ".lumen.raw", "rb").read(); b = open(n + ".ojph.raw", "rb").read()
fa = "<%dh" if n.startswith("ct") else "<%dH"
off = 32768 if n.startswith("ct") else 0
x = struct.unpack(fa % (len(a) // 2), a); y = struct.unpack("<%dH" % (len(b) // 2), b)
d = max(abs(p - (q - off)) for p, q in zip(x, y))
assert len(x) == len(y) and d <= (0 if "lossless" in n else 1), (n, d)
print(f"{n}: max |lumen - ojph_expand| = {d}")
PY
  echo "$n: openjp2 process $(ms "$bench" "$n.dcm" 1) | ojph_expand process $(ms ojph_expand -i "${n}_u.j2c" -o "$work/out.raw") | in-process $("$bench" "$n.dcm" "$runs" | sed 's/.*frame 0: //')"
done
