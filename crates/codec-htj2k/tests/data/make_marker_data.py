#!/usr/bin/env python3
"""Regenerate the `m_*` codestreams of lumen-codec-htj2k's tests (tests/markers.rs): Part 1 codestreams with the
marker segments Debian's opj_compress (libopenjp2-tools 2.5.0) does not write — COC and QCC in the main header,
COD/COC/QCD/QCC in a tile's first tile-part header — and components of different precision or signedness. Run from
anywhere: python3 make_marker_data.py. It writes only `m_*` files into its own folder, and the same files every time
(the images are make_test_data.py's formulas; the encoder is deterministic).

How: each component of each tile is encoded on its own with opj_compress (one component, CPRL, SOP markers, one
layer), with its own parameters (levels, code-block size, precincts, 5/3 or 9/7, rate). The script then splices
those codestreams into one: SIZ with every component, COD/QCD from the first encoding, COC/QCC (main header or tile
header) for the components or tiles coded otherwise, and each tile's packets in the progression asked for (the
packets are cut at their SOP markers, one per packet with one layer and one precinct per resolution; their
sequence numbers are rewritten). The reference (`m_<case>.ref`, interleaved per pixel, one byte per sample when
every component has at most 8 bits, two little-endian bytes otherwise) is assembled from opj_decompress's decodes of
the separate encodings; the script checks that opj_decompress decodes the spliced codestream to the same samples,
which shows that the splice is a valid codestream meaning what the test says. Lossless (5/3) references are exact,
9/7 ones (names with `lossy`) within 1.
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_test_data import ct_like, noise, ramp  # noqa: E402

SOC, SIZ, COD, COC, QCD, QCC, RGN, SOT, SOD, EOC, SOP = (
    0xFF4F, 0xFF51, 0xFF52, 0xFF53, 0xFF5C, 0xFF5D, 0xFF5E, 0xFF90, 0xFF93, 0xFFD9, 0xFF91)
PROGRESSIONS = {"LRCP": 0, "RLCP": 1, "RPCL": 2, "PCRL": 3, "CPRL": 4}


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def segment(marker, body):
    return struct.pack(">HH", marker, len(body) + 2) + body


def parse(cs):
    """(main header segments [(marker, body)], tile-parts [(tile, header segments, body)])."""
    assert struct.unpack(">H", cs[:2])[0] == SOC
    pos, main, parts = 2, [], []
    while True:
        marker = struct.unpack(">H", cs[pos:pos + 2])[0]
        if marker == SOT:
            break
        length = struct.unpack(">H", cs[pos + 2:pos + 4])[0]
        main.append((marker, cs[pos + 4:pos + 2 + length]))
        pos += 2 + length
    while struct.unpack(">H", cs[pos:pos + 2])[0] == SOT:
        tile, psot = struct.unpack(">HI", cs[pos + 4:pos + 10])
        end = pos + psot if psot else len(cs) - 2
        p, header = pos + 12, []
        while struct.unpack(">H", cs[p:p + 2])[0] != SOD:
            length = struct.unpack(">H", cs[p + 2:p + 4])[0]
            header.append((struct.unpack(">H", cs[p:p + 2])[0], cs[p + 4:p + 2 + length]))
            p += 2 + length
        parts.append((tile, header, cs[p + 2:end]))
        pos = end
    return main, parts


def packets(body):
    """The packets of a tile-part body written with SOP markers, each without its SOP segment."""
    starts = []
    i = body.find(b"\xff\x91")
    while i >= 0:
        starts.append(i)
        i = body.find(b"\xff\x91", i + 6)
    assert starts and starts[0] == 0
    return [body[s + 6:e] for s, e in zip(starts, starts[1:] + [len(body)])]


class Encoding:
    """One component encoded on its own: options of opj_compress, and the results."""

    def __init__(self, w, h, bits, signed, samples, options, tile):
        self.bits, self.signed = bits, signed
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "in.rawl")
            offset_fmt = "h" if signed else "H"
            if bits > 8:
                open(src, "wb").write(struct.pack("<%d%s" % (w * h, offset_fmt), *samples))
            else:
                open(src, "wb").write(struct.pack("%d%s" % (w * h, "b" if signed else "B"), *samples))
            cs_path = os.path.join(tmp, "c.j2k")
            tiling = ["-t", "%d,%d" % tile] if tile else []
            run("opj_compress", "-i", src, "-o", cs_path, "-F", "%d,%d,1,%d,%s" % (w, h, bits, "s" if signed else "u"),
                "-p", "CPRL", "-SOP", *tiling, *options)
            self.cs = open(cs_path, "rb").read()
            out = os.path.join(tmp, "out.rawl")
            run("opj_decompress", "-i", cs_path, "-o", out)
            self.decoded = decode_raw(open(out, "rb").read(), bits, signed)
        main, parts = parse(self.cs)
        self.main = dict(main)
        self.tiles = {}
        for tile, header, body in parts:
            assert not header and tile not in self.tiles, "one tile-part per tile, no tile-part header markers"
            self.tiles[tile] = packets(body)

    def cod(self):
        return self.main[COD]

    def qcd(self):
        return self.main[QCD]

    def levels(self):
        return self.cod()[5]


def decode_raw(raw, bits, signed):
    if bits > 8:
        values = list(struct.unpack("<%dH" % (len(raw) // 2), raw))
    else:
        values = list(raw)
    if signed:
        values = [v - (1 << bits) if v >= 1 << (bits - 1) else v for v in values]
    return values


def coc(c, cod):
    """COC for component c with the coding style of a COD body."""
    return segment(COC, bytes([c, cod[0] & 1]) + cod[5:])


def qcc(c, qcd):
    return segment(QCC, bytes([c]) + qcd)


def rgn(c, body):
    """RGN for component c with the Srgn and SPrgn of an encoding's RGN (written for its component 0)."""
    assert body[0] == 0
    return segment(RGN, bytes([c]) + body[1:])


def splice(name, w, h, comps, table, tile=None, progression="CPRL", main_coc=(), main_qcc=(), main_rgn=(),
           tile_markers=None):
    """comps: [(bits, signed, samples)]; table[t][c]: the opj_compress options of component c in tile t (tile 0's
    component 0 gives COD and QCD); main_coc, main_qcc, main_rgn: components whose main-header COC, QCC and
    RGN come from tile 0's encoding; tile_markers[t]: [("COD" | "QCD", None) | ("COC" | "QCC" | "RGN", c)] for tile
    t's header, from tile t's encodings. The RGN of an encoding (opj_compress -ROI c=0,U=s) is written only where
    asked."""
    nc = len(comps)
    cache = {}

    def enc(c, options):
        key = (c, tuple(options))
        if key not in cache:
            bits, signed, samples = comps[c]
            cache[key] = Encoding(w, h, bits, signed, samples, list(options), tile)
        return cache[key]

    ntiles = len(table)
    first = enc(0, table[0][0])
    siz = bytearray(first.main[SIZ])
    siz[34:36] = struct.pack(">H", nc)
    siz = bytes(siz[:36]) + b"".join(bytes([(bits - 1) | (0x80 if signed else 0), 1, 1]) for bits, signed, _ in comps)
    cod = bytearray(first.cod())
    cod[1] = PROGRESSIONS[progression]
    out = bytearray(struct.pack(">H", SOC)) + segment(SIZ, siz) + segment(COD, bytes(cod)) + segment(QCD, first.qcd())
    for c in main_coc:
        out += coc(c, enc(c, table[0][c]).cod())
    for c in main_qcc:
        out += qcc(c, enc(c, table[0][c]).qcd())
    for c in main_rgn:
        out += rgn(c, enc(c, table[0][c]).main[RGN])
    # The reference: each tile-component's samples from its own encoding's decode.
    ref = [[0] * (w * h) for _ in range(nc)]
    for t in range(ntiles):
        encs = [enc(c, table[t][c]) for c in range(nc)]
        header = b""
        for kind, c in (tile_markers or {}).get(t, []):
            if kind == "COD":
                body = bytearray(encs[0].cod())
                body[1] = PROGRESSIONS[progression]
                header += segment(COD, bytes(body))
            elif kind == "QCD":
                header += segment(QCD, encs[0].qcd())
            elif kind == "COC":
                header += coc(c, encs[c].cod())
            elif kind == "RGN":
                header += rgn(c, encs[c].main[RGN])
            else:
                header += qcc(c, encs[c].qcd())
        levels = [e.levels() for e in encs]
        # (component, index) of each packet, in the progression: CPRL, each component's in the order of its own
        # encoding (any precincts); otherwise one precinct per resolution (one packet, with one layer).
        if progression == "CPRL":
            order = [(c, i) for c in range(nc) for i in range(len(encs[c].tiles[t]))]
        else:
            assert all(len(e.tiles[t]) == e.levels() + 1 for e in encs), "one precinct per resolution"
            if progression == "PCRL":
                order = [(c, r) for c in range(nc) for r in range(levels[c] + 1)]
            else:
                order = [(c, r) for r in range(max(levels) + 1) for c in range(nc) if r <= levels[c]]
        body = b""
        for n, (c, i) in enumerate(order):
            body += struct.pack(">HHH", SOP, 4, n % 65536) + encs[c].tiles[t][i]
        psot = 14 + len(header) + len(body)
        out += struct.pack(">HHHIBB", SOT, 10, t, psot, 0, 1) + header + struct.pack(">H", SOD) + body
        if tile:
            across = -(-w // tile[0])
            x0, y0 = (t % across) * tile[0], (t // across) * tile[1]
            x1, y1 = min(x0 + tile[0], w), min(y0 + tile[1], h)
        else:
            x0, y0, x1, y1 = 0, 0, w, h
        for c in range(nc):
            for y in range(y0, y1):
                ref[c][y * w + x0:y * w + x1] = encs[c].decoded[y * w + x0:y * w + x1]
    out += struct.pack(">H", EOC)
    write(name, bytes(out), comps, ref, w, h)


def write(name, cs, comps, ref, w, h):
    name = "m_" + name
    nc = len(comps)
    path = os.path.join(HERE, name + ".j2c")
    open(path, "wb").write(cs)
    # opj_decompress must decode the splice to the reference.
    with tempfile.TemporaryDirectory() as tmp:
        run("opj_decompress", "-i", path, "-o", os.path.join(tmp, "out.pgx"))
        for c in range(nc):
            pgx = open(os.path.join(tmp, "out_%d.pgx" % c), "rb").read()
            got = read_pgx(pgx)
            assert got == ref[c], f"{name}: opj_decompress decodes component {c} otherwise"
    wide = any(bits > 8 for bits, _, _ in comps)
    signed = any(s for _, s, _ in comps)
    fmt = ("h" if signed else "H") if wide else ("b" if signed else "B")
    flat = [ref[c][i] for i in range(w * h) for c in range(nc)]
    open(os.path.join(HERE, name + ".ref"), "wb").write(struct.pack("<%d%s" % (len(flat), fmt), *flat))


def subsampled(name, w, h, bits, comps, options):
    """An image with subsampled components (or offsets: options -d, -T), straight from opj_compress (raw input,
    -F ...@dxxdy): comps are
    [(dx, dy, samples of the component's ceil(w/dx) x ceil(h/dy) grid)]. The reference repeats each component's
    samples (opj_decompress's decode) over the dx x dy pixels each covers, as the decoder gives them; `.skip1`: the
    same of opj_decompress -r 1's decode (the image without its highest resolution level)."""
    name = "m_" + name
    path = os.path.join(HERE, name + ".j2c")
    fmt = "<%dH" if bits > 8 else "%dB"
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.rawl")
        open(src, "wb").write(b"".join(struct.pack(fmt % len(v), *v) for _, _, v in comps))
        sub = ":".join("%dx%d" % (dx, dy) for dx, dy, _ in comps)
        run("opj_compress", "-i", src, "-o", path, "-F", "%d,%d,%d,%d,u@%s" % (w, h, len(comps), bits, sub), *options)
        for skip, ext in ((0, ".ref"), (1, ".skip1")):
            run("opj_decompress", "-i", path, "-o", os.path.join(tmp, "out.pgx"), "-r", str(skip))
            s = 1 << skip
            rw, rh = -(-w // s), -(-h // s)
            flat = []
            planes = []
            for c, (dx, dy, _) in enumerate(comps):
                pgx = open(os.path.join(tmp, "out_%d.pgx" % c), "rb").read()
                size = (-(-(-(-w // dx)) // s), -(-(-(-h // dy)) // s))
                # Not converted or upsampled by opj_decompress (it turns some patterns of 3 components into RGB).
                assert pgx[:pgx.index(b"\n")].split()[4:6] == [b"%d" % size[0], b"%d" % size[1]], name
                planes.append((size, read_pgx(pgx)))
            for y in range(rh):
                for x in range(rw):
                    for (dx, dy, _), ((cw, ch), plane) in zip(comps, planes):
                        flat.append(plane[min(y // dy, ch - 1) * cw + min(x // dx, cw - 1)])
            open(os.path.join(HERE, name + ext), "wb").write(struct.pack(fmt % len(flat), *flat))


def read_pgx(data):
    """A PGX file (what opj_decompress writes per component): 'PG ML|LM +|- bits w h\\n' and the samples."""
    end = data.index(b"\n")
    fields = data[:end].split()
    endian = ">" if fields[1] == b"ML" else "<"
    signed = fields[2] == b"-"
    bits, w, h = int(fields[3]), int(fields[4]), int(fields[5])
    size = 1 if bits <= 8 else 2
    fmt = endian + "%d%s" % (w * h, ("b" if signed else "B") if size == 1 else ("h" if signed else "H"))
    return list(struct.unpack(fmt, data[end + 1:end + 1 + w * h * size]))


def main():
    for f in os.listdir(HERE):
        if f.startswith("m_"):
            os.remove(os.path.join(HERE, f))
    w, h = 48, 40
    u8a, u8b = ramp(w, h, 8), noise(w, h, 8, 5)
    u12a = [v % 4096 for v in ramp(w, h, 12)]
    u12b = [v + 1024 for v in ct_like(w, h, False)]
    u12c = noise(w, h, 12, 9)
    # COC/QCC in the main header: levels, code-block sizes, precincts, 5/3 and 9/7 per component.
    a = ["-n", "4", "-b", "32,32"]
    b = ["-n", "2", "-b", "16,16"]
    for prog in ("CPRL", "RPCL", "LRCP", "PCRL"):
        splice("coc_u8_2c_" + prog.lower(), w, h, [(8, False, u8a), (8, False, u8b)], [[a, b]], progression=prog,
               main_coc=[1], main_qcc=[1])
    splice("coc_prec_u8_2c", w, h, [(8, False, u8a), (8, False, u8b)],
           [[a, ["-n", "3", "-b", "16,16", "-c", "[32,32],[16,16],[16,16]"]]], main_coc=[1], main_qcc=[1])
    splice("cocqcc_u12_3c_lossy", w, h, [(12, False, u12a), (12, False, u12b), (12, False, u12c)],
           [[["-n", "3", "-I", "-r", "8"], ["-n", "5", "-b", "16,64"], ["-n", "2", "-I", "-r", "4", "-M", "1"]]],
           progression="RPCL", main_coc=[1, 2], main_qcc=[1, 2])
    # QCC only: the same coding style, different quantization (rates).
    splice("qcc_u12_2c_lossy", w, h, [(12, False, u12a), (12, False, u12b)],
           [[["-I", "-r", "20"], ["-I", "-r", "5"]]], main_qcc=[1])
    # Tile overrides (T.800 A.6: tile COC > tile COD > main COC > main COD), two tiles side by side.
    tiles = (32, 40)
    c = ["-n", "2", "-b", "8,16"]
    splice("tilecod_u12_lossy", w, h, [(12, False, u12b)], [[["-n", "3"]], [["-n", "4", "-b", "16,16", "-I"]]],
           tile=tiles, tile_markers={1: [("COD", None), ("QCD", None)]})
    splice("tilecoc_u8_2c", w, h, [(8, False, u8a), (8, False, u8b)], [[a, b], [a, c]], tile=tiles,
           main_coc=[1], main_qcc=[1], tile_markers={1: [("COC", 1), ("QCC", 1)]})
    splice("tilecod_over_coc_u8_2c_lossy", w, h, [(8, False, u8a), (8, False, u8b)],
           [[a, b], [c + ["-I"], c + ["-I"]]], tile=tiles, main_coc=[1], main_qcc=[1],
           tile_markers={1: [("COD", None), ("QCD", None)]})
    splice("tilecod_rpcl_u8_2c", w, h, [(8, False, u8a), (8, False, u8b)], [[a, b], [c, b]], tile=tiles,
           progression="RPCL", main_coc=[1], main_qcc=[1], tile_markers={1: [("COD", None), ("COC", 1)]})
    # Components of different precision and signedness.
    s12 = ct_like(w, h, False)
    s8 = [v - 128 for v in noise(w, h, 8, 11)]
    u5 = ramp(w, h, 5)
    splice("prec_u12_u8_2c", w, h, [(12, False, u12b), (8, False, u8a)], [[a, a]], main_qcc=[1])
    splice("prec_s12_u8_2c_lossy", w, h, [(12, True, s12), (8, False, u8a)], [[["-I"], ["-I", "-r", "3"]]],
           main_qcc=[1])
    splice("prec_s8_u5_s8_3c", w, h, [(8, True, s8), (5, False, u5), (8, True, [v - 128 for v in u8b])],
           [[a, b, ["-n", "3"]]], progression="RPCL", main_coc=[1, 2], main_qcc=[1, 2])
    # Regions of interest (RGN, max-shift). OpenJPEG's encoder scales every coefficient (the whole image is the
    # region): only RGN's shift differs from a stream without it.
    splice("rgn_u12", w, h, [(12, False, u12b)], [[["-ROI", "c=0,U=5"]]], main_rgn=[0])
    splice("rgn_u8_lossy", w, h, [(8, False, u8a)], [[["-I", "-r", "4", "-ROI", "c=0,U=3", "-M", "8"]]], main_rgn=[0])
    splice("rgn_c1_u8_2c_lossy", w, h, [(8, False, u8a), (8, False, u8b)],
           [[a, ["-I", "-ROI", "c=0,U=7", "-n", "2"]]], main_coc=[1], main_qcc=[1], main_rgn=[1])
    splice("rgn_tile_u12", w, h, [(12, False, u12b)], [[["-n", "3"]], [["-n", "3", "-ROI", "c=0,U=9"]]], tile=tiles,
           tile_markers={1: [("RGN", 0)]})
    # Subsampled components, repeated to the image grid.
    def comp(dx, dy, image):
        cw, ch = -(-w // dx), -(-h // dy)
        return (dx, dy, image(cw, ch))

    subsampled("sub_u8_3c", w, h, 8, [comp(1, 1, lambda a, b: ramp(a, b, 8)), comp(2, 2, lambda a, b: noise(a, b, 8, 3)),
               comp(2, 1, lambda a, b: ramp(a, b, 8))], ["-mct", "0"])
    w2, h2 = 49, 39
    # (opj_compress reads w * h / (dx * dy) samples of a subsampled raw component, fewer than its 25 x 39.)
    subsampled("sub_21_u12_2c_lossy", w2, h2, 12, [(1, 1, ramp(w2, h2, 12)), (2, 1, ramp(24, h2, 12) + [0] * 19)],
               ["-I", "-n", "4"])
    subsampled("sub_tiles_u8_3c", w, h, 8, [comp(1, 1, lambda a, b: ramp(a, b, 8)), comp(2, 2, lambda a, b: noise(a, b, 8, 4)),
               comp(1, 2, lambda a, b: ramp(a, b, 8))], ["-mct", "0", "-t", "32,32", "-n", "3"])
    # Image and tile-grid offsets (opj_compress -d, -T): every tile corner on a multiple of 2^levels.
    subsampled("offset_u8", w, h, 8, [(1, 1, u8a)], ["-d", "32,16", "-n", "3"])
    subsampled("offset_tiles_u12_lossy", w, h, 12, [(1, 1, u12b)],
               ["-d", "64,32", "-T", "48,16", "-t", "24,24", "-n", "3", "-I"])
    subsampled("offset_tiles_sub_u8_2c", w, h, 8, [comp(1, 1, lambda a, b: ramp(a, b, 8)),
               comp(2, 2, lambda a, b: noise(a, b, 8, 6))], ["-d", "64,32", "-T", "48,16", "-t", "32,32", "-n", "2"])


if __name__ == "__main__":
    main()
