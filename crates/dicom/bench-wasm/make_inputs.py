#!/usr/bin/env python3
"""Write the compressed DICOM files that compare-cornerstone.sh benchmarks, from Lumen's demo studies.

Usage: python3 make_inputs.py DEMO_DIR LUMEN OUT_DIR

DEMO_DIR holds `lumen demo` output; LUMEN is the lumen binary (its `decode --format raw` gives the stored values
that ojph_compress needs). Sources: CT slice 110 of the 1.25 mm series (512×512, 16 bits stored, signed), the
1800×2000 12-bit PA radiograph, frame 1 of the 640×480 RGB ultrasound cine (40 frames). Encoders (Debian):
  JPEG 2000 lossless (.90)   gdcmconv --j2k (GDCM's OpenJPEG), whole file (the cine keeps its 40 frames)
  JPEG 2000 lossy (.91)      gdcmconv --j2k -Y -r 10 (CT, ≈ 10:1) / -r 20 (DX): the 9/7 wavelet with ICT, one layer
  JPEG 2000 layered (.90)    opj_compress -r 40,10,1 -c [128,128] (OpenJPEG): the CT slice in 3 quality layers (the
                             last lossless) and 128×128 precincts, as vendors' progressive streams come
  HTJ2K lossless (.201)      ojph_compress -reversible true (OpenJPH 0.9.0; 5 decompositions, 64×64 blocks),
                             wrapped by tests/fixtures/htj2k/make_htj2k_fixtures.py's Part 10 writer; the signed
                             CT is coded the way that script explains (unsigned + 2^15, then the SIZ sign bit)
  HTJ2K lossy (.203)         the same with the 9/7 wavelet: ojph_compress -qstep 0.0005 (CT), 0.002 (DX)
  JPEG baseline (.50)        dcmcjpeg +eb (dcmtk, quality 90, YBR_FULL_422), the cine only (8-bit)
  JPEG extended (.51)        dcmcjpeg +ee (dcmtk, quality 90, 12 bits), the radiograph only
Prints one line per file written. Existing outputs are kept.
"""
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures", "htj2k"))
import make_htj2k_fixtures as fx  # noqa: E402  (its Part 10 writer and HTJ2K constants)


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def raw(lumen, src, out, frame=0):
    run(lumen, "decode", "--format", "raw", "--frame", str(frame), "--out", out, src)
    return open(out, "rb").read()


def htj2k(out, cs_path, w, h, spp, bits, signed, pi, ct, ts=fx.HT_LOSSLESS):
    cs = bytearray(open(cs_path, "rb").read())
    assert cs[:4] == b"\xff\x4f\xff\x51" and b"\xff\x50" in cs[:200], f"{cs_path}: not an HTJ2K codestream"
    if signed:
        for c in range(spp):
            assert cs[42 + 3 * c] == bits - 1
            cs[42 + 3 * c] |= 0x80
    with open(out, "wb") as f:
        f.write(fx.part10(ts, w, h, spp, pi, bits, signed, [bytes(cs)], ct))


def main():
    demo, lumen, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    ct = os.path.join(demo, "ct-chest", "01-axial-1.25mm-explicit-le", "0110.dcm")
    dx = os.path.join(demo, "dx-chest", "01-pa-monochrome2", "0001.dcm")
    us = os.path.join(demo, "us-cine", "01-cine-explicit-le", "0001.dcm")
    for path in (ct, dx, us):
        if not os.path.isfile(path):
            sys.exit(f"make_inputs: {path} is missing: is {demo} the output of `lumen demo` (not --small)?")
    o = lambda name: os.path.join(out, name)  # noqa: E731

    for name, src in (("ct512_j2k.dcm", ct), ("dx1800x2000_j2k.dcm", dx), ("us640x480rgb_j2k.dcm", us)):
        if not os.path.exists(o(name)):
            run("gdcmconv", "--j2k", src, o(name))
            print(f"make_inputs: {name} (gdcmconv --j2k)")
    for name, src, rate in (("ct512_j2k_lossy.dcm", ct, "10"), ("dx1800x2000_j2k_lossy.dcm", dx, "20")):
        if not os.path.exists(o(name)):
            subprocess.run(["gdcmconv", "--j2k", "-Y", "-r", rate, src, o(name)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(f"make_inputs: {name} (gdcmconv --j2k -Y -r {rate})")
    if not os.path.exists(o("ct512_j2k_layers.dcm")):
        v = struct.unpack("<%dh" % (512 * 512), raw(lumen, ct, o("ct.raw")))
        with open(o("ct_be.raw"), "wb") as f:
            f.write(struct.pack(">%dh" % len(v), *v))
        run("opj_compress", "-i", o("ct_be.raw"), "-F", "512,512,1,16,s", "-o", o("ct_layers.j2k"),
            "-r", "40,10,1", "-c", "[128,128]")
        cs = open(o("ct_layers.j2k"), "rb").read()
        with open(o("ct512_j2k_layers.dcm"), "wb") as f:
            f.write(fx.part10("1.2.840.10008.1.2.4.90", 512, 512, 1, "MONOCHROME2", 16, True, [cs], True))
        print("make_inputs: ct512_j2k_layers.dcm (opj_compress -r 40,10,1 -c [128,128])")
    if not os.path.exists(o("us640x480rgb_jpeg.dcm")):
        run("dcmcjpeg", "+eb", us, o("us640x480rgb_jpeg.dcm"))
        print("make_inputs: us640x480rgb_jpeg.dcm (dcmcjpeg +eb)")
    if not os.path.exists(o("dx1800x2000_jpeg12.dcm")):
        run("dcmcjpeg", "+ee", dx, o("dx1800x2000_jpeg12.dcm"))
        print("make_inputs: dx1800x2000_jpeg12.dcm (dcmcjpeg +ee)")

    if not os.path.exists(o("ct512_htj2k.dcm")):
        v = struct.unpack("<%dh" % (512 * 512), raw(lumen, ct, o("ct.raw")))
        with open(o("ct_u.yuv"), "wb") as f:
            f.write(struct.pack("<%dH" % len(v), *[x + 32768 for x in v]))
        run("ojph_compress", "-i", o("ct_u.yuv"), "-o", o("ct.j2c"), "-dims", "{512,512}", "-num_comps", "1",
            "-signed", "false", "-bit_depth", "16", "-downsamp", "{1,1}", "-reversible", "true")
        htj2k(o("ct512_htj2k.dcm"), o("ct.j2c"), 512, 512, 1, 16, True, "MONOCHROME2", True)
        print("make_inputs: ct512_htj2k.dcm (ojph_compress -reversible true)")
    if not os.path.exists(o("dx1800x2000_htj2k.dcm")):
        raw(lumen, dx, o("dx.raw"))
        run("ojph_compress", "-i", o("dx.raw"), "-o", o("dx.j2c"), "-dims", "{1800,2000}", "-num_comps", "1",
            "-signed", "false", "-bit_depth", "12", "-downsamp", "{1,1}", "-reversible", "true")
        htj2k(o("dx1800x2000_htj2k.dcm"), o("dx.j2c"), 1800, 2000, 1, 12, False, "MONOCHROME2", False)
        print("make_inputs: dx1800x2000_htj2k.dcm (ojph_compress -reversible true)")
    for name, src, size, bits, signed, qstep, ct_flag in (
        ("ct512_htj2k_lossy.dcm", "ct_u.yuv", (512, 512), 16, True, "0.0005", True),
        ("dx1800x2000_htj2k_lossy.dcm", "dx.raw", (1800, 2000), 12, False, "0.002", False),
    ):
        if not os.path.exists(o(name)):
            run("ojph_compress", "-i", o(src), "-o", o("lossy.j2c"), "-dims", "{%d,%d}" % size, "-num_comps", "1",
                "-signed", "false", "-bit_depth", str(bits), "-downsamp", "{1,1}", "-qstep", qstep)
            htj2k(o(name), o("lossy.j2c"), *size, 1, bits, signed, "MONOCHROME2", ct_flag, fx.HT_LOSSY)
            print(f"make_inputs: {name} (ojph_compress -qstep {qstep})")
    if not os.path.exists(o("us640x480rgb_htj2k.dcm")):
        rgb = raw(lumen, us, o("us.raw"))
        assert len(rgb) == 640 * 480 * 3, "the demo cine is not 640×480 RGB"
        with open(o("us.ppm"), "wb") as f:
            f.write(b"P6\n640 480\n255\n" + rgb)
        run("ojph_compress", "-i", o("us.ppm"), "-o", o("us.j2c"), "-reversible", "true", "-colour_trans", "true")
        htj2k(o("us640x480rgb_htj2k.dcm"), o("us.j2c"), 640, 480, 3, 8, False, "RGB", False)
        print("make_inputs: us640x480rgb_htj2k.dcm (ojph_compress -reversible true -colour_trans true)")


if __name__ == "__main__":
    main()
