#!/usr/bin/env python3
"""Regenerate the `g_*` codestreams of lumen-codec-htj2k's tests (tests/geometry.rs): tiles, image offsets and
tile-grid offsets whose corners are not multiples of 2^levels (partial code-blocks and precincts at the tile edges,
resolutions that start at odd coordinates), from opj_compress (libopenjp2-tools; references from opj_decompress)
and ojph_compress (openjph-tools; references from ojph_expand); and packed packet headers (PPM, PPT: see
`packed`). Run from anywhere: python3 make_geometry_data.py.
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


SOC, SOT, SOD, EOC, COD, PPM, PPT = 0xFF4F, 0xFF90, 0xFF93, 0xFFD9, 0xFF52, 0xFF60, 0xFF61


def segment(marker, body):
    return struct.pack(">HH", marker, len(body) + 2) + body


def tile_parts(cs):
    """(main header bytes after SOC, [(SOT body, header bytes after SOT, body)])."""
    pos = 2
    while struct.unpack(">H", cs[pos:pos + 2])[0] != SOT:
        pos += 2 + struct.unpack(">H", cs[pos + 2:pos + 4])[0]
    main, parts = cs[2:pos], []
    while struct.unpack(">H", cs[pos:pos + 2])[0] == SOT:
        sot = cs[pos + 4:pos + 12]
        psot = struct.unpack(">I", sot[2:6])[0]
        end = pos + psot if psot else len(cs) - 2
        p = pos + 12
        while struct.unpack(">H", cs[p:p + 2])[0] != SOD:
            p += 2 + struct.unpack(">H", cs[p + 2:p + 4])[0]
        parts.append((sot, cs[pos + 12:p], cs[p + 2:end]))
        pos = end
    return main, parts


def split_packets(body, keep_markers):
    """A tile-part body written with SOP and EPH markers: (packet headers, packet bodies), the headers ending at
    their EPH markers (FF 91 and FF 92 occur nowhere else: the headers' and the code-blocks' bit stuffing leave no
    byte above 8F after an FF). With `keep_markers`, each header keeps its EPH and each body its SOP; otherwise both
    go."""
    headers, bodies = b"", b""
    pos = 0
    while pos < len(body):
        assert body[pos:pos + 2] == b"\xff\x91", "a packet without its SOP marker"
        eph = body.index(b"\xff\x92", pos + 6)
        nxt = body.find(b"\xff\x91", eph)
        nxt = len(body) if nxt < 0 else nxt
        headers += body[pos + 6:eph + (2 if keep_markers else 0)]
        bodies += (body[pos:pos + 6] if keep_markers else b"") + body[eph + 2:nxt]
        pos = nxt
    return headers, bodies


def packed(name, w, h, bits, comps, options, where, keep_markers, chunk):
    """An opj_compress codestream (with SOP and EPH markers) whose packet headers move to PPM marker segments of
    the main header (`where` "ppm": Nppm and the headers of each tile-part in turn, cut into segments of at most `chunk`
    bytes regardless of the tile-parts' boundaries, each Nppm whole) or to PPT marker segments of each tile-part's header (`chunk`
    bytes each). Without `keep_markers`, the SOP and EPH markers go and COD says so. The reference is
    opj_decompress's decode of the original, and it must decode the packed codestream the same."""
    name = "g_" + name
    path = os.path.join(HERE, name + ".j2c")
    fmt = "<%dH" if bits > 8 else "%dB"
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.rawl")
        open(src, "wb").write(b"".join(struct.pack(fmt % len(v), *v) for v in comps))
        orig = os.path.join(tmp, "orig.j2c")
        run("opj_compress", "-i", src, "-o", orig, "-F", "%d,%d,%d,%d,u" % (w, h, len(comps), bits), "-SOP",
            "-EPH", *options)
        cs = open(orig, "rb").read()
        main, parts = tile_parts(cs)
        if not keep_markers:
            i = main.index(struct.pack(">H", COD))
            main = main[:i + 4] + bytes([main[i + 4] & ~0x06]) + main[i + 5:]
        split = [split_packets(body, keep_markers) for _, _, body in parts]
        out = struct.pack(">H", SOC) + main
        if where == "ppm":
            # Pieces of at most `chunk` bytes, the Ippm of a tile-part cut anywhere, each Nppm whole (OpenJPEG
            # reads an Nppm only from one segment).
            pieces = [b""]
            for hd, _ in split:
                if len(pieces[-1]) + 4 > chunk:
                    pieces.append(b"")
                pieces[-1] += struct.pack(">I", len(hd))
                rest = hd
                while rest:
                    room = chunk - len(pieces[-1])
                    if room == 0:
                        pieces.append(b"")
                        continue
                    pieces[-1] += rest[:room]
                    rest = rest[room:]
            # Inserted before the first SOT: the end of the main header.
            out += b"".join(segment(PPM, bytes([z]) + p) for z, p in enumerate(pieces))
        zppt = {}  # the next Zppt of each tile: PPT segments are numbered across its tile-parts
        for (sot, header, _), (hd, bd) in zip(parts, split):
            if where == "ppt":
                pieces = [hd[i:i + chunk] for i in range(0, len(hd), chunk)] or [b""]
                tile = sot[:2]
                for p in pieces:
                    z = zppt.get(tile, 0)
                    zppt[tile] = z + 1
                    header += segment(PPT, bytes([z]) + p)
            psot = 12 + len(header) + 2 + len(bd)
            out += struct.pack(">H", SOT) + struct.pack(">H", 10) + sot[:2] + struct.pack(">I", psot) + sot[6:8]
            out += header + struct.pack(">H", SOD) + bd
        out += struct.pack(">H", EOC)
        open(path, "wb").write(out)
        refs = []
        for f in (orig, path):
            run("opj_decompress", "-i", f, "-o", os.path.join(tmp, "out.pgx"))
            planes = [read_pgx(open(os.path.join(tmp, "out_%d.pgx" % c), "rb").read()) for c in range(len(comps))]
            refs.append([p[i] for i in range(w * h) for p in planes])
        assert refs[0] == refs[1], f"{name}: opj_decompress decodes the packed codestream otherwise"
        open(os.path.join(HERE, name + ".ref"), "wb").write(struct.pack(fmt % len(refs[0]), *refs[0]))
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
    # Packed packet headers (PPM, PPT), which no Debian encoder writes: moved there from opj_compress's packets.
    w, h = 61, 47
    a8, b8 = ramp(w, h, 8), noise(w, h, 8, 7)
    packed("ppt_u8", w, h, 8, [a8], ["-n", "3", "-c", "[16,16]"], "ppt", False, 1000)
    packed("ppt_eph_tiles_u8_2c_lossy", w, h, 8, [a8, b8], ["-t", "32,24", "-n", "2", "-I", "-TP", "R", "-r", "3"],
           "ppt", True, 37)
    packed("ppm_u12_layers", w, h, 12, [[v % 4096 for v in ramp(w, h, 12)]], ["-n", "3", "-r", "20,5,1"], "ppm",
           False, 60000)
    packed("ppm_eph_tiles_u8_2c", w, h, 8, [a8, b8], ["-d", "3,1", "-t", "20,20", "-n", "2", "-TP", "C",
                                                       "-p", "RPCL"], "ppm", True, 53)
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
