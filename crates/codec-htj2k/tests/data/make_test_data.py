#!/usr/bin/env python3
"""Regenerate the codestreams of lumen-codec-htj2k's tests with OpenJPH's command-line tools (Debian's
openjph-tools 0.9.0: ojph_compress, ojph_expand). Run from anywhere: python3 make_test_data.py. It writes only into
its own folder, and the same files every time (the images are formulas; the encoder is deterministic).

For each case: `<case>.j2c`, the HTJ2K codestream, and `<case>.ref`, ojph_expand's decode of it as this crate
returns samples: interleaved per pixel, one byte per sample up to 8 bits, two (little endian) above. For lossless
cases the reference is the source image, which ojph_expand gives back (the script says when it does not).

Signed components: OpenJPH 0.9.0's tools do not handle them, so a signed codestream is made the way T.800 G.1.2
defines the difference (only the DC level shift): the samples plus 2^(B-1) are encoded unsigned, then the sign bit
of each component's Ssiz is set in SIZ. The reference is ojph_expand's decode of the unsigned stream minus
2^(B-1) (exact for lossless; for lossy the clamping differs at the extremes, which these images avoid).
"""
import os
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def lcg(seed):
    state = seed
    while True:
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        yield state


def ct_like(w, h, extremes):
    """A CT slice in HU: air, a body ellipse, a bone ring, noise; with `extremes`, the 16-bit limits in it."""
    rnd = lcg(7)
    out = []
    for y in range(h):
        for x in range(w):
            dx, dy = (x - w / 2) / (w * 0.42), (y - h / 2) / (h * 0.36)
            r2 = dx * dx + dy * dy
            v = -1000 if r2 > 1 else (1200 + (x * 7) % 300 if r2 > 0.8 else 40 + int(60 * (x - y) / max(w, h)))
            out.append(v + next(rnd) % 41 - 20)
    if extremes and w * h > w + 1:
        out[0], out[1], out[w] = -32768, 32767, -2048
    return out


def ramp(w, h, bits):
    m = 1 << bits
    return [(x * 131 + y * 71 + (x * y) % 17) % m for y in range(h) for x in range(w)]


def noise(w, h, bits, seed):
    rnd = lcg(seed)
    return [next(rnd) % (1 << bits) for _ in range(w * h)]


def rgb(w, h):
    rnd = lcg(3)
    return [((x * 255 // max(w - 1, 1) + next(rnd) % 9) % 256, y * 255 // max(h - 1, 1), (x * 37 + y * 11) % 256)
            for y in range(h) for x in range(w)]


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def case(name, w, h, bits, signed, samples, nc=1, options=(), write_ref=True, skips=()):
    """samples: per pixel values (nc == 1) or tuples (nc == 3). Without `write_ref` the test computes the
    reference itself (the source of a lossless case). For each n of `skips` (unsigned cases only),
    `<case>.skip<n>` is ojph_expand -skip_res n's decode: the image without its n highest resolution levels,
    stored like a `.ref`."""
    offset = 1 << (bits - 1) if signed else 0
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in")
        if nc == 1:
            src += ".yuv"
            fmt = "<%dH" % (w * h) if bits > 8 else "%dB" % (w * h)
            open(src, "wb").write(struct.pack(fmt, *[v + offset for v in samples]))
            extra = ["-dims", "{%d,%d}" % (w, h), "-num_comps", "1", "-signed", "false", "-bit_depth", str(bits),
                     "-downsamp", "{1,1}"]
        else:
            assert bits == 8 and not signed
            src += ".ppm"
            open(src, "wb").write(b"P6\n%d %d\n255\n" % (w, h) + bytes(v for px in samples for v in px))
            extra = []
        cs_path = os.path.join(tmp, "out.j2c")
        run("ojph_compress", "-i", src, "-o", cs_path, *extra, *options)
        out = os.path.join(tmp, "dec" + (".yuv" if nc == 1 else ".ppm"))
        run("ojph_expand", "-i", cs_path, "-o", out)
        dec = open(out, "rb").read()
        if nc == 3:
            dec = dec[dec.index(b"255\n") + 4:]
            values = list(dec)
        elif bits > 8:
            values = [v - offset for v in struct.unpack("<%dH" % (w * h), dec)]
        else:
            values = [v - offset for v in dec]
        if "-reversible" in options:
            flat = [v for px in samples for v in px] if nc == 3 else samples
            if values != flat:
                # OpenJPH 0.9.0 mis-decodes some tiny images with many levels (7x13, 5 levels); the source is the
                # truth for a lossless stream.
                print(f"{name}: ojph_expand does not give back the source; the reference is the source")
                values = flat
        assert not (signed and skips)
        for n in skips:
            out = os.path.join(tmp, "skip%d" % n + (".yuv" if nc == 1 else ".ppm"))
            run("ojph_expand", "-i", cs_path, "-o", out, "-skip_res", str(n))
            dec = open(out, "rb").read()
            if nc == 3:
                dec = dec[dec.index(b"255\n") + 4:]
            open(os.path.join(HERE, "%s.skip%d" % (name, n)), "wb").write(dec)
        cs = bytearray(open(cs_path, "rb").read())
    if signed:
        for c in range(nc):
            assert cs[42 + 3 * c] == bits - 1
            cs[42 + 3 * c] |= 0x80
    open(os.path.join(HERE, name + ".j2c"), "wb").write(cs)
    if bits > 8:
        ref = struct.pack("<%d%s" % (len(values), "h" if signed else "H"), *values)
    else:
        ref = struct.pack("%d%s" % (len(values), "b" if signed else "B"), *values)
    if write_ref:
        open(os.path.join(HERE, name + ".ref"), "wb").write(ref)
    print(f"{name}: {len(cs)} bytes")


LOSSLESS = ("-reversible", "true")


def main():
    case("ct16s_96x80", 96, 80, 16, True, ct_like(96, 80, True), options=LOSSLESS)
    for levels in range(6):
        case(f"u12_7x13_l{levels}", 7, 13, 12, False, ramp(7, 13, 12),
             options=LOSSLESS + ("-num_decomps", str(levels)))
        case(f"ct16s_70x66_l{levels}", 70, 66, 16, True, ct_like(70, 66, True),
             options=LOSSLESS + ("-num_decomps", str(levels)))
    # Reference computed by the test: (7x + 3y) mod 4096.
    case("u12_513x511", 513, 511, 12, False, [(7 * x + 3 * y) % 4096 for y in range(511) for x in range(513)],
         options=LOSSLESS, write_ref=False)
    case("u8_1x1", 1, 1, 8, False, [201], options=LOSSLESS)
    case("u8_1x1_l0", 1, 1, 8, False, [7], options=LOSSLESS + ("-num_decomps", "0"))
    case("u16_noise_67x45", 67, 45, 16, False, noise(67, 45, 16, 5), options=LOSSLESS)
    case("s8_noise_31x29", 31, 29, 8, True, [v - 128 for v in noise(31, 29, 8, 9)], options=LOSSLESS)
    case("u12_blocks32_100x90", 100, 90, 12, False, ramp(100, 90, 12),
         options=LOSSLESS + ("-block_size", "{32,32}"))
    case("u12_blocks16x128_100x90", 100, 90, 12, False, noise(100, 90, 12, 11),
         options=LOSSLESS + ("-block_size", "{16,128}", "-num_decomps", "3"))
    for order in ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL"):
        case(f"rgb8_rct_{order.lower()}_45x37", 45, 37, 8, False, rgb(45, 37), 3,
             options=LOSSLESS + ("-prog_order", order), skips=(1, 2, 5) if order[0] in "LR" else ())
    # Reduced-resolution decodes (ojph_expand -skip_res) of resolution-major codestreams; RPCL is ojph_compress's
    # default, so the 513x511 and 100x90 cases above are RPCL too.
    case("u12_rpcl_300x200", 300, 200, 12, False, ramp(300, 200, 12), options=LOSSLESS +
         ("-prog_order", "RPCL", "-block_size", "{32,32}"), skips=(1, 2, 3, 4, 5))
    case("u16_rlcp_97x61", 97, 61, 16, False, ramp(97, 61, 16), options=LOSSLESS +
         ("-prog_order", "RLCP", "-num_decomps", "4"), skips=(1, 2, 3, 4))
    case("u8_cprl_65x33", 65, 33, 8, False, noise(65, 33, 8, 19), options=LOSSLESS + ("-prog_order", "CPRL"),
         skips=(2,))
    case("rgb8_noct_20x9", 20, 9, 8, False, rgb(20, 9), 3, options=LOSSLESS + ("-colour_trans", "false"))
    # Precincts and tiles (the packet layer shared with Part 1): several precincts per resolution in each
    # progression that orders them, tiles whose corners are multiples of 2^levels with a partial last row and
    # column of tiles, and both together.
    for order in ("RPCL", "PCRL", "CPRL"):
        case(f"u12_precincts_{order.lower()}_150x120", 150, 120, 12, False, noise(150, 120, 12, 23),
             options=LOSSLESS + ("-prog_order", order, "-block_size", "{16,16}",
                                 "-precincts", "{16,16},{32,32},{32,32},{64,64}"),
             skips=(1, 3) if order[0] == "R" else ())
    case("rgb8_precincts_pcrl_61x47", 61, 47, 8, False, rgb(61, 47), 3,
         options=LOSSLESS + ("-prog_order", "PCRL", "-precincts", "{8,8},{16,16}", "-block_size", "{8,8}",
                             "-num_decomps", "3"))
    case("u12_tiles64_200x150", 200, 150, 12, False, ramp(200, 150, 12),
         options=LOSSLESS + ("-tile_size", "{64,64}"), skips=(1, 2))
    case("ct16s_tiles32_precincts_90x70", 90, 70, 16, True, ct_like(90, 70, True),
         options=LOSSLESS + ("-tile_size", "{32,32}", "-num_decomps", "3", "-precincts", "{8,8},{16,16}",
                             "-block_size", "{8,8}", "-prog_order", "PCRL"))
    # Lossy (irreversible 9/7).
    case("ct16s_96x80_lossy", 96, 80, 16, True, ct_like(96, 80, False), options=("-qstep", "0.0005"))
    case("u12_100x75_lossy", 100, 75, 12, False, ramp(100, 75, 12), options=("-qstep", "0.002"), skips=(1, 3, 5))
    case("u12_7x13_lossy_l3", 7, 13, 12, False, ramp(7, 13, 12), options=("-qstep", "0.002", "-num_decomps", "3"))
    case("u8_65x33_lossy", 65, 33, 8, False, noise(65, 33, 8, 13), options=("-qstep", "0.01"))
    case("u12_tiles128_precincts_170x130_lossy", 170, 130, 12, False, ramp(170, 130, 12),
         options=("-qstep", "0.002", "-tile_size", "{128,128}", "-num_decomps", "4", "-precincts", "{32,32},{64,64}"))
    case("rgb8_ict_45x37_lossy", 45, 37, 8, False, rgb(45, 37), 3, options=())


if __name__ == "__main__":
    main()
