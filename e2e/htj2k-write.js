// Re-encodes a single-frame greyscale DICOM file as HTJ2K for the browser tests: its stored values (read with
// `lumen decode --format raw`) coded losslessly by OpenJPH's `ojph_compress` (Debian openjph-tools) in the given
// progression order, wrapped in a Part 10 file (Explicit VR Little Endian data set, encapsulated Pixel Data with an
// empty Basic Offset Table and one fragment) that keeps the source's attributes of simple VRs (identity, UIDs,
// Image Pixel, windows, geometry; sequences and other binary values are left out). It must not reach the network.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { lumenBin } from "./harness.js";

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "buffer", timeout: 120_000, maxBuffer: 256 << 20 });
  if (r.error) throw new Error(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Whether `ojph_compress` is on PATH. */
export function haveOpenJph() {
  return spawnSync("ojph_compress", [], { encoding: "utf8" }).error === undefined;
}

const STRING_VRS = new Set(["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UI", "UT", "UC", "UR"]);
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"]);
const NUMBER_VRS = { US: [2, "writeUInt16LE"], SS: [2, "writeInt16LE"], UL: [4, "writeUInt32LE"], SL: [4, "writeInt32LE"], FL: [4, "writeFloatLE"], FD: [8, "writeDoubleLE"] };

function element(tag, vr, body) {
  if (body.length % 2) body = Buffer.concat([body, Buffer.from([vr === "UI" || vr === "OB" ? 0 : 0x20])]);
  const long = LONG_VRS.has(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(parseInt(tag.slice(0, 4), 16), 0);
  head.writeUInt16LE(parseInt(tag.slice(4), 16), 2);
  head.write(vr, 4, "latin1");
  if (long) head.writeUInt32LE(body.length, 8);
  else head.writeUInt16LE(body.length, 6);
  return Buffer.concat([head, body]);
}

/** One DICOM JSON attribute as an Explicit VR Little Endian element, or null for what is left out. */
function fromJson(tag, { vr, Value }) {
  if (!Value || tag.startsWith("0002") || tag.toUpperCase().startsWith("7FE0")) return null;
  if (STRING_VRS.has(vr)) {
    const text = Value.map((v) => (vr === "PN" ? v?.Alphabetic ?? "" : String(v ?? ""))).join("\\");
    return element(tag, vr, Buffer.from(text, "latin1"));
  }
  if (NUMBER_VRS[vr]) {
    const [size, write] = NUMBER_VRS[vr];
    const body = Buffer.alloc(size * Value.length);
    Value.forEach((v, i) => body[write](Number(v), i * size));
    return element(tag, vr, body);
  }
  return null;
}

function fileMeta(sopClass, sop, ts) {
  const body = Buffer.concat([
    element("00020001", "OB", Buffer.from([0, 1])),
    element("00020002", "UI", Buffer.from(sopClass, "latin1")),
    element("00020003", "UI", Buffer.from(sop, "latin1")),
    element("00020010", "UI", Buffer.from(ts, "latin1")),
    element("00020012", "UI", Buffer.from("1.2.826.0.1.3680043.9.7433.1", "latin1")),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.alloc(128), Buffer.from("DICM", "latin1"), element("00020000", "UL", length), body]);
}

/** Encapsulated Pixel Data: an empty Basic Offset Table item, one fragment, the sequence delimiter. */
function encapsulated(codestream) {
  const item = (body) => {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(0xfffe, 0);
    head.writeUInt16LE(0xe000, 2);
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body]);
  };
  const fragment = codestream.length % 2 ? Buffer.concat([codestream, Buffer.from([0])]) : codestream;
  const head = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  const end = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return Buffer.concat([head, item(Buffer.alloc(0)), item(fragment), end]);
}

/**
 * Writes `out`: `src` (single frame, 1 sample per pixel, 16 bits allocated) as HTJ2K, lossless, coded in
 * `order` (RPCL, LRCP…) with transfer syntax `ts` (.202 "HTJ2K Lossless RPCL" by default). Returns
 * `{ sop, study, series, bytes }` (`bytes`: the codestream's size).
 */
export function writeHtj2k(src, out, { order = "RPCL", ts = "1.2.840.10008.1.2.4.202" } = {}) {
  const ds = JSON.parse(run(lumenBin, ["info", "--json", src]).toString("utf8"));
  const v = (tag) => ds[tag]?.Value?.[0];
  const [rows, columns, bitsStored, signed] = [v("00280010"), v("00280011"), v("00280101"), v("00280103") === 1];
  if (v("00280002") !== 1 || v("00280100") !== 16) throw new Error(`${src}: not a 16-bit greyscale image`);
  const dir = mkdtempSync(path.join(tmpdir(), "lumen-e2e-htj2k-"));
  try {
    const raw = path.join(dir, "frame.raw");
    run(lumenBin, ["decode", "--format", "raw", "--frame", "0", "--out", raw, src]);
    const samples = readFileSync(raw);
    // OpenJPH's tools code unsigned samples only: a signed image is coded with 2^(B-1) added, then the sign bit of
    // SIZ's Ssiz is set (T.800 G.1.2: the DC level shift is the only difference).
    const offset = signed ? 1 << (bitsStored - 1) : 0;
    const yuv = Buffer.alloc(rows * columns * 2);
    for (let i = 0; i < rows * columns; i++) {
      const s = signed ? samples.readInt16LE(i * 2) : samples.readUInt16LE(i * 2);
      yuv.writeUInt16LE(s + offset, i * 2);
    }
    writeFileSync(path.join(dir, "in.yuv"), yuv);
    const j2c = path.join(dir, "out.j2c");
    run("ojph_compress", ["-i", path.join(dir, "in.yuv"), "-o", j2c, "-dims", `{${columns},${rows}}`, "-num_comps", "1",
      "-signed", "false", "-bit_depth", String(bitsStored), "-downsamp", "{1,1}", "-reversible", "true", "-prog_order", order]);
    const cs = readFileSync(j2c);
    if (signed) cs[42] |= 0x80;
    const elements = Object.keys(ds)
      .sort()
      .map((tag) => fromJson(tag, ds[tag]))
      .filter(Boolean);
    writeFileSync(out, Buffer.concat([fileMeta(v("00080016"), v("00080018"), ts), ...elements, encapsulated(cs)]));
    return { sop: v("00080018"), study: v("0020000D"), series: v("0020000E"), bytes: cs.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
