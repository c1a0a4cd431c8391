#!/usr/bin/env python3
"""Regenerate the `g_*` codestreams of lumen-codec-htj2k's tests (tests/geometry.rs): tiles, image offsets and
tile-grid offsets whose corners are not multiples of 2^levels (partial code-blocks and precincts at the tile edges,
resolutions that start at odd coordinates), from opj_compress (libopenjp2-tools; references from opj_decompress)
and ojph_compress (openjph-tools; references from ojph_expand). Run from anywhere: python3 make_geometry_data.py.
It writes only `g_*` files into its own folder, the same every time.

Each case: `g_<case>.j2c`, `g_<case>.ref` (samples interleaved per pixel, one byte each up to 8 bits, two
little-endian bytes above) and, where asked, `g_<case>.skip<n>`: the decode without the n highest resolution levels
(opj_decompress -r n, ojph_expand -skip_res n), stored the same way (tests/reduced.rs reads them). 5/3 references
are exact, 9/7 ones (names with `lossy`) within 1.
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_test_data import case, ct_like, noise, ramp  # noqa: E402
from make_marker_data import read_pgx  # noqa: E402


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def opj(name, w, h, bits, comps, options, skips=()):
    """An image of len(comps) unsigned components (lists of w*h samples) through opj_compress (raw input) with
    `options`; the references from opj_decompress (-r n for `.skip<n>`)."""
    name = "g_" + name
    path = os.path.join(HERE, name + ".j2c")
    fmt = "<%dH" if bits > 8 else "%dB"
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.rawl")
        open(src, "wb").write(b"".join(struct.pack(fmt % len(v), *v) for v in comps))
        run("opj_compress", "-i", src, "-o", path, "-F", "%d,%d,%d,%d,u" % (w, h, len(comps), bits), *options)
        for skip in (0,) + tuple(skips):
            run("opj_decompress", "-i", path, "-o", os.path.join(tmp, "out.pgx"), "-r", str(skip))
            planes = []
            size = None
            for c in range(len(comps)):
                pgx = open(os.path.join(tmp, "out_%d.pgx" % c), "rb").read()
                fields = pgx[:pgx.index(b"\n")].split()
                size = (int(fields[4]), int(fields[5]))
                planes.append(read_pgx(pgx))
            flat = [p[i] for i in range(size[0] * size[1]) for p in planes]
            ext = ".skip%d" % skip if skip else ".ref"
            open(os.path.join(HERE, name + ext), "wb").write(struct.pack(fmt % len(flat), *flat))
    print(f"{name}: {os.path.getsize(path)} bytes")


def main():
    for f in os.listdir(HERE):
        if f.startswith("g_"):
            os.remove(os.path.join(HERE, f))
    # Tiles of 100 x 70 with 5 levels: corners at multiples of 2 and 10, never of 32.
    w, h = 130, 90
    u8 = ramp(w, h, 8)
    opj("tiles_100x70_l5_u8", w, h, 8, [u8], ["-t", "100,70", "-n", "5"], skips=(1, 2))
    u12 = [v + 1024 for v in ct_like(w, h, False)]
    opj("tiles_100x70_l5_u12_lossy", w, h, 12, [u12], ["-t", "100,70", "-n", "5", "-I", "-r", "12"],
        skips=(1, 3))
    # Image offsets at odd coordinates, a tile grid offset, small tiles, precincts and code-blocks cut by them.
    w, h = 61, 47
    a8, b8 = ramp(w, h, 8), noise(w, h, 8, 7)
    opj("offset_d3_5_u8", w, h, 8, [a8], ["-d", "3,5", "-n", "3"])
    opj("offset_d3_5_u12_lossy", w, h, 12, [[v % 4096 for v in ramp(w, h, 12)]], ["-d", "3,5", "-n", "4", "-I"])
    for prog in ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL"):
        opj("offset_tiles_prec_u8_2c_" + prog.lower(), w, h, 8, [a8, b8],
            ["-d", "5,7", "-T", "2,3", "-t", "21,18", "-n", "3", "-b", "8,8", "-c", "[16,16],[8,8],[8,8],[4,4]",
             "-p", prog])
    opj("tiles_prec_u8_rpcl", w, h, 8, [a8], ["-t", "27,22", "-n", "4", "-b", "4,4", "-c", "[16,16],[8,8]", "-p",
                                              "RPCL"], skips=(1, 2))
    opj("offset_tiles_rgb_u8_lossy", w, h, 8, [a8, b8, ramp(w, h, 8)[::-1]],
        ["-d", "1,2", "-t", "30,19", "-n", "3", "-I"])
    opj("offset_tiles_rgb_u8_rct", w, h, 8, [a8, b8, ramp(w, h, 8)[::-1]],
        ["-d", "9,4", "-T", "0,3", "-t", "15,12", "-n", "2"])
    # Single-row and single-column tiles at odd coordinates (lone high-pass samples).
    opj("thin_tiles_u8", 9, 7, 8, [noise(9, 7, 8, 3)], ["-d", "1,1", "-T", "0,0", "-t", "2,2", "-n", "2"])
    opj("thin_tiles_u8_lossy", 9, 7, 8, [noise(9, 7, 8, 3)], ["-d", "1,1", "-T", "0,0", "-t", "2,3", "-n", "2", "-I"])
    # HTJ2K: precincts across tile edges, tiles off multiples of 2^levels.
    w, h = 160, 100
    case("g_ht_tiles96_prec_u12", w, h, 12, False, [v + 1024 for v in ct_like(w, h, False)],
         options=("-reversible", "true", "-tile_size", "{96,96}", "-num_decomps", "4", "-precincts",
                  "{32,32},{64,64}", "-prog_order", "RPCL"), skips=(1, 2))
    case("g_ht_tiles100x70_l5_u8", w, h, 8, False, ramp(w, h, 8),
         options=("-reversible", "true", "-tile_size", "{100,70}", "-num_decomps", "5"), skips=(1, 3))
    case("g_ht_tiles100x70_l5_u12_lossy", w, h, 12, False, [v + 1024 for v in ct_like(w, h, False)],
         options=("-qstep", "0.002", "-tile_size", "{100,70}", "-num_decomps", "5"), skips=(2,))


if __name__ == "__main__":
    main()
