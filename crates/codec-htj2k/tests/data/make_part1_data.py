#!/usr/bin/env python3
"""Regenerate the JPEG 2000 Part 1 (EBCOT, non-HT) codestreams of lumen-codec-htj2k's tests with OpenJPEG's
command-line tools (Debian's libopenjp2-tools 2.5.0: opj_compress, opj_decompress). Run from anywhere:
python3 make_part1_data.py. It writes only `p1_*` files into its own folder, and the same files every time (the
images are the formulas of make_test_data.py; the encoder is deterministic).

For each case: `p1_<case>.j2c`, the codestream, and `p1_<case>.ref`, opj_decompress's decode of it stored like
make_test_data.py's references (interleaved per pixel, one byte per sample up to 8 bits, two little-endian bytes
above), which tests/reference.rs compares with: exactly, or within 1 for the `lossy` (9/7) cases. For lossless
cases the script checks that opj_decompress gives back the source. `p1_<case>.skip<n>`: opj_decompress -r n's
decode (the image without its n highest resolution levels), for tests/reduced.rs.

opj_decompress writes signed raw samples as B-bit two's complement; the script sign-extends them.
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_test_data import ct_like, noise, ramp, rgb  # noqa: E402


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def read_decode(path, w, h, bits, signed, nc):
    """opj_decompress output (.rawl for one component, .ppm for RGB) as a flat list of values."""
    dec = open(path, "rb").read()
    if nc == 3:
        return list(dec[dec.index(b"255\n") + 4:])
    if bits > 8:
        values = list(struct.unpack("<%dH" % (w * h), dec))
    else:
        values = list(dec)
    if signed:
        values = [v - (1 << bits) if v >= 1 << (bits - 1) else v for v in values]
    return values


def pack(values, bits, signed):
    if bits > 8:
        return struct.pack("<%d%s" % (len(values), "h" if signed else "H"), *values)
    return struct.pack("%d%s" % (len(values), "b" if signed else "B"), *values)


def case(name, w, h, bits, signed, samples, nc=1, options=(), lossless=True, skips=(), reference=True):
    """samples: per pixel values (nc == 1) or (r, g, b) tuples (nc == 3, 8-bit unsigned). reference=False: only the
    codestream (one the decoder refuses)."""
    name = "p1_" + name
    with tempfile.TemporaryDirectory() as tmp:
        if nc == 1:
            src = os.path.join(tmp, "in.rawl")
            open(src, "wb").write(pack(samples, bits, signed))
            extra = ["-F", "%d,%d,1,%d,%s" % (w, h, bits, "s" if signed else "u")]
            ext = ".rawl"
        else:
            assert bits == 8 and not signed
            src = os.path.join(tmp, "in.ppm")
            open(src, "wb").write(b"P6\n%d %d\n255\n" % (w, h) + bytes(v for px in samples for v in px))
            extra = []
            ext = ".ppm"
        cs_path = os.path.join(tmp, "out.j2k")
        run("opj_compress", "-i", src, "-o", cs_path, *extra, *options)
        out = os.path.join(tmp, "dec" + ext)
        run("opj_decompress", "-i", cs_path, "-o", out)
        values = read_decode(out, w, h, bits, signed, nc)
        if lossless:
            flat = [v for px in samples for v in px] if nc == 3 else samples
            assert values == flat, f"{name}: opj_decompress does not give back the source"
        for n in skips:
            out = os.path.join(tmp, "skip%d%s" % (n, ext))
            run("opj_decompress", "-i", cs_path, "-o", out, "-r", str(n))
            s = 1 << n
            rw, rh = (w + s - 1) // s, (h + s - 1) // s
            small = read_decode(out, rw, rh, bits, signed, nc)
            open(os.path.join(HERE, "%s.skip%d" % (name, n)), "wb").write(pack(small, bits, signed))
        cs = open(cs_path, "rb").read()
    open(os.path.join(HERE, name + ".j2c"), "wb").write(cs)
    if reference:
        open(os.path.join(HERE, name + ".ref"), "wb").write(pack(values, bits, signed))
    print(f"{name}: {len(cs)} bytes")


def main():
    # Lossless 5/3 (opj_compress's default), 64x64 code-blocks, LRCP, one layer.
    case("ct16s_96x80", 96, 80, 16, True, ct_like(96, 80, True))
    for levels in range(6):
        case(f"ct16s_70x66_l{levels}", 70, 66, 16, True, ct_like(70, 66, True), options=("-n", str(levels + 1)))
    for levels in range(3):
        case(f"s12_7x13_l{levels}", 7, 13, 12, True, [v - 2048 for v in ramp(7, 13, 12)],
             options=("-n", str(levels + 1)))
    case("u8_1x1", 1, 1, 8, False, [201], options=("-n", "1"))
    case("u16_noise_67x45", 67, 45, 16, False, noise(67, 45, 16, 5))
    case("s8_noise_31x29", 31, 29, 8, True, [v - 128 for v in noise(31, 29, 8, 9)], options=("-n", "5"))
    case("u12_300x200", 300, 200, 12, False, ramp(300, 200, 12), skips=(1, 2, 5))
    case("u12_blocks32_100x90", 100, 90, 12, False, ramp(100, 90, 12), options=("-b", "32,32"))
    case("u12_blocks16x128_100x90", 100, 90, 12, False, noise(100, 90, 12, 11),
         options=("-b", "16,128", "-n", "4"))
    for order in ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL"):
        case(f"rgb8_rct_{order.lower()}_45x37", 45, 37, 8, False, rgb(45, 37), 3, options=("-p", order))
    case("rgb8_noct_20x9", 20, 9, 8, False, rgb(20, 9), 3, options=("-mct", "0", "-n", "3"))
    # Code-block styles the decoder handles: context reset + segmentation symbols, predictable termination.
    case("u12_reset_segmark_100x90", 100, 90, 12, False, noise(100, 90, 12, 23), options=("-M", "34"))
    case("u16_erterm_67x45", 67, 45, 16, False, noise(67, 45, 16, 29), options=("-M", "16"))
    # SOP and EPH markers.
    case("u8_sop_eph_65x33", 65, 33, 8, False, noise(65, 33, 8, 19), options=("-SOP", "-EPH"))
    # 5/3 with truncated coding passes (rate 12): integer reconstruction, still exact against OpenJPEG.
    case("u12_53_rate12_100x75", 100, 75, 12, False, ramp(100, 75, 12), options=("-r", "12"), lossless=False,
         skips=(1, 3))
    # Lossy (irreversible 9/7), with all passes and with passes truncated by a rate.
    case("ct16s_96x80_lossy", 96, 80, 16, True, ct_like(96, 80, False), options=("-I",), lossless=False)
    case("u12_100x75_lossy", 100, 75, 12, False, ramp(100, 75, 12), options=("-I", "-r", "8"), lossless=False)
    case("u8_65x33_lossy", 65, 33, 8, False, noise(65, 33, 8, 13), options=("-I", "-r", "3"), lossless=False)
    case("s12_7x13_lossy_l2", 7, 13, 12, True, [v - 2048 for v in ramp(7, 13, 12)], options=("-I", "-n", "3"),
         lossless=False)
    case("rgb8_ict_45x37_lossy", 45, 37, 8, False, rgb(45, 37), 3, options=("-I", "-r", "5"), lossless=False)

    # Several quality layers (code-blocks that grow layer by layer; the last layer lossless for 5/3).
    case("ct16s_layers5_96x80", 96, 80, 16, True, ct_like(96, 80, True), options=("-r", "40,20,10,5,1"))
    case("u12_layers3_rlcp_100x75", 100, 75, 12, False, noise(100, 75, 12, 31),
         options=("-r", "8,3,1", "-p", "RLCP"), skips=(1, 2))
    case("rgb8_layers4_rpcl_45x37", 45, 37, 8, False, rgb(45, 37), 3, options=("-r", "20,8,3,1", "-p", "RPCL"))
    # (Lossy cases stay at 12 bits and below: on 16-bit full-range noise OpenJPEG's and Lumen's float 9/7 differ by
    # up to 3, with one layer as with several.)
    case("u12_layers3_lossy_67x45", 67, 45, 12, False, noise(67, 45, 12, 37), options=("-I", "-r", "20,8,2"),
         lossless=False)
    # Precincts (several per resolution), alone and with layers, in every progression order.
    case("u12_precincts32_100x90", 100, 90, 12, False, noise(100, 90, 12, 41), options=("-c", "[32,32]",
         "-b", "16,16"), skips=(1, 2))
    case("s16_precincts_mixed_97x71", 97, 71, 16, True, ct_like(97, 71, True),
         options=("-c", "[64,32],[32,16],[16,16]", "-b", "8,8", "-n", "4"))
    for order in ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL"):
        case(f"rgb8_prec_layers_{order.lower()}_45x37", 45, 37, 8, False, rgb(45, 37), 3,
             options=("-c", "[16,16],[16,16],[8,8]", "-b", "8,8", "-r", "12,4,1", "-p", order, "-n", "3"))
    case("u8_prec_layers_lossy_65x33", 65, 33, 8, False, noise(65, 33, 8, 43),
         options=("-I", "-c", "[32,32],[16,16]", "-b", "16,8", "-r", "10,4,2", "-p", "PCRL"), lossless=False)
    # Part 1 code-block styles: bypass, termination on each pass, vertically causal contexts, and combinations.
    for bits in (1, 4, 8, 5, 9, 12, 13, 63):
        case(f"u16_style{bits}_67x45", 67, 45, 16, False, noise(67, 45, 16, 47 + bits), options=("-M", str(bits)))
    case("s12_style1_layers_100x75", 100, 75, 12, True, [v - 2048 for v in ramp(100, 75, 12)],
         options=("-M", "1", "-r", "10,3,1"))
    case("u16_style5_layers_prec_67x45", 67, 45, 16, False, noise(67, 45, 16, 53),
         options=("-M", "5", "-r", "6,2,1", "-c", "[32,32]", "-b", "16,16", "-p", "RPCL", "-n", "3"))
    case("u12_style63_lossy_67x45", 67, 45, 12, False, noise(67, 45, 12, 59),
         options=("-I", "-M", "63", "-r", "12,4,1.5"), lossless=False)
    case("u8_style1_lossy_65x33", 65, 33, 8, False, noise(65, 33, 8, 61), options=("-I", "-M", "1", "-r", "2"),
         lossless=False)

    # Several tiles (corners on multiples of 2^levels), with tile-parts, layers, precincts.
    case("u12_tiles32_100x90", 100, 90, 12, False, noise(100, 90, 12, 67), options=("-t", "32,32", "-n", "3"),
         skips=(1, 2))
    case("u16_tiles64_tp_150x100", 150, 100, 16, False, noise(150, 100, 16, 83),
         options=("-t", "64,64", "-n", "4", "-TP", "R", "-p", "RPCL"), skips=(2,))
    case("rgb8_tiles_layers_prec_45x37", 45, 37, 8, False, rgb(45, 37), 3,
         options=("-t", "16,16", "-n", "2", "-r", "8,1", "-c", "[8,8]", "-b", "4,4", "-p", "PCRL"))
    case("u8_tiles_lossy_65x33", 65, 33, 8, False, noise(65, 33, 8, 71), options=("-I", "-t", "32,16", "-n", "3",
         "-r", "3"), lossless=False)
    case("u12_tiles32_style13_layers_100x90", 100, 90, 12, False, noise(100, 90, 12, 73),
         options=("-t", "32,32", "-n", "2", "-M", "13", "-r", "6,1", "-TP", "L"))
    # Tiles whose corners are not on multiples of 2^levels (-n counts resolutions: 3 levels): refused
    # (Unsupported), left to OpenJPEG.
    case("u12_tiles20_l3_100x90", 100, 90, 12, False, noise(100, 90, 12, 79), options=("-t", "20,20", "-n", "4"),
         reference=False)

    # Progression order changes (POC, in the tile-part header): by resolution, by component. (OpenJPEG 2.5's encoder
    # writes streams it cannot decode itself when a POC splits layers, so none of those.)
    case("rgb8_poc_res_45x37", 45, 37, 8, False, rgb(45, 37), 3,
         options=("-r", "10,4,1", "-n", "4", "-c", "[16,16]", "-b", "8,8", "-POC", "T1=0,0,3,2,3,RLCP/T1=2,0,3,4,3,LRCP"))
    case("rgb8_poc_comp_45x37", 45, 37, 8, False, rgb(45, 37), 3,
         options=("-r", "10,4,1", "-n", "4", "-c", "[16,16]", "-b", "8,8", "-POC", "T1=0,0,3,4,1,LRCP/T1=0,1,3,4,3,RPCL"))


if __name__ == "__main__":
    main()
