#!/usr/bin/env python3
"""Make seed inputs for the encapsulated_frames and jpegls_decode fuzz targets from encapsulated DICOM files.

Usage: python3 fuzz/make_seeds.py OUT_DIR FILE.dcm...

For each file in Explicit VR Little Endian with encapsulated Pixel Data it writes
OUT_DIR/encapsulated_frames/<name> (the 12-byte header that fuzz/src/dicom_harness.rs::wrap_encapsulated
reads, then the first frame's codestream) and, for JPEG-LS files, OUT_DIR/jpegls_decode/<name> (the bare
codestream). Standard library only.
"""
import os
import struct
import sys

TRANSFER_SYNTAXES = [
    "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203",
]
PHOTOMETRICS = ["MONOCHROME2", "MONOCHROME1", "RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT",
                "PALETTE COLOR"]
LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT", b"SV", b"UV"}


def elements(data, pos):
    """Yield (group, element, vr, value) of an Explicit VR Little Endian data set, top level only."""
    while pos + 8 <= len(data):
        group, elem = struct.unpack_from("<HH", data, pos)
        vr = data[pos + 4:pos + 6]
        if vr in LONG_VRS:
            (length,) = struct.unpack_from("<I", data, pos + 8)
            pos += 12
        else:
            (length,) = struct.unpack_from("<H", data, pos + 6)
            pos += 8
        if length == 0xFFFFFFFF:
            if (group, elem) != (0x7FE0, 0x0010):
                return  # undefined-length sequence: not needed for these files
            yield group, elem, vr, fragments(data, pos)
            return
        yield group, elem, vr, data[pos:pos + length]
        pos += length


def fragments(data, pos):
    items = []
    while pos + 8 <= len(data):
        group, elem, length = struct.unpack_from("<HHI", data, pos)
        pos += 8
        if (group, elem) == (0xFFFE, 0xE0DD):
            break
        items.append(data[pos:pos + length])
        pos += length
    return items[1:]  # drop the Basic Offset Table


def main():
    out, files = sys.argv[1], sys.argv[2:]
    for sub in ("encapsulated_frames", "jpegls_decode"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    for path in files:
        data = open(path, "rb").read()
        if data[128:132] != b"DICM":
            continue
        attrs = {}
        for group, elem, vr, value in elements(data, 132):
            attrs[(group, elem)] = value
        ts = attrs.get((0x0002, 0x0010), b"").rstrip(b"\0 ").decode()
        frags = attrs.get((0x7FE0, 0x0010))
        if ts not in TRANSFER_SYNTAXES or not isinstance(frags, list) or not frags:
            continue
        us = lambda tag: struct.unpack("<H", attrs[tag][:2])[0]
        pi = attrs[(0x0028, 0x0004)].rstrip(b"\0 ").decode()
        # The first frame: one fragment per frame in these files, or all fragments for a single frame.
        frames = int(attrs.get((0x0028, 0x0008), b"1").strip(b"\0 ") or 1)
        stream = frags[0] if frames > 1 else b"".join(frags)
        planar = us((0x0028, 0x0006)) if (0x0028, 0x0006) in attrs else 0
        header = bytes([TRANSFER_SYNTAXES.index(ts)]) + struct.pack("<HH", us((0x0028, 0x0010)), us((0x0028, 0x0011)))
        header += bytes([us((0x0028, 0x0002)), us((0x0028, 0x0100)), us((0x0028, 0x0101)),
                         (us((0x0028, 0x0103)) & 1) | ((planar & 1) << 1),
                         PHOTOMETRICS.index(pi) if pi in PHOTOMETRICS else 0, 0, 0])
        name = os.path.splitext(os.path.basename(path))[0]
        open(os.path.join(out, "encapsulated_frames", name), "wb").write(header + stream)
        if ts.startswith("1.2.840.10008.1.2.4.8"):
            open(os.path.join(out, "jpegls_decode", name), "wb").write(stream)


if __name__ == "__main__":
    main()
