// Writes minimal DICOM Part 10 files (Explicit VR Little Endian) for the browser tests: a grey 8-bit radiograph
// (Digital X-Ray, For Presentation) from pixels the test holds, e.g. a held-out film of ../shared/data wrapped
// into DICOM. It must not reach the network or depend on the app under test.

import { writeFileSync } from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";

/** A deterministic UID under the 2.25 (UUID-derived) root from a seed text. */
export function uidFrom(seed) {
  const hex = createHash("sha256").update(seed).digest("hex").slice(0, 30);
  return `2.25.${BigInt("0x" + hex).toString()}`;
}

function element(group, el, vr, value) {
  const long = ["OB", "OW", "OF", "SQ", "UT", "UN", "UC", "UR"].includes(vr);
  let body = Buffer.isBuffer(value) ? value : null;
  if (!body) {
    if (vr === "US") {
      body = Buffer.alloc(2);
      body.writeUInt16LE(value);
    } else {
      body = Buffer.from(String(value), "latin1");
    }
  }
  if (body.length % 2) body = Buffer.concat([body, Buffer.from([vr === "UI" || vr === "OB" ? 0 : 0x20])]);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(el, 2);
  head.write(vr, 4, "latin1");
  if (long) head.writeUInt32LE(body.length, 8);
  else head.writeUInt16LE(body.length, 6);
  return Buffer.concat([head, body]);
}

/**
 * Writes `file`: a `columns`×`rows` 8-bit MONOCHROME2 DX image with `pixels` (Uint8Array, row by row) and the
 * given patient/study identity. Returns the SOP Instance UID.
 */
export function writeRadiograph(file, { rows, columns, pixels, patientName, patientId, seed, description, photometric = "MONOCHROME2" }) {
  const study = uidFrom(`${seed}/study`);
  const series = uidFrom(`${seed}/series`);
  const sop = uidFrom(`${seed}/sop`);
  const sopClass = "1.2.840.10008.5.1.4.1.1.1.1"; // Digital X-Ray Image Storage - For Presentation
  const data = Buffer.concat([
    element(0x0008, 0x0016, "UI", sopClass),
    element(0x0008, 0x0018, "UI", sop),
    element(0x0008, 0x0020, "DA", "20261127"),
    element(0x0008, 0x0060, "CS", "DX"),
    element(0x0008, 0x0068, "CS", "FOR PRESENTATION"),
    element(0x0008, 0x1030, "LO", description),
    element(0x0010, 0x0010, "PN", patientName),
    element(0x0010, 0x0020, "LO", patientId),
    element(0x0018, 0x0015, "CS", "CHEST"),
    element(0x0018, 0x5101, "CS", "PA"),
    element(0x0020, 0x000d, "UI", study),
    element(0x0020, 0x000e, "UI", series),
    element(0x0020, 0x0011, "IS", "1"),
    element(0x0020, 0x0013, "IS", "1"),
    element(0x0028, 0x0002, "US", 1),
    element(0x0028, 0x0004, "CS", photometric),
    element(0x0028, 0x0010, "US", rows),
    element(0x0028, 0x0011, "US", columns),
    element(0x0028, 0x0100, "US", 8),
    element(0x0028, 0x0101, "US", 8),
    element(0x0028, 0x0102, "US", 7),
    element(0x0028, 0x0103, "US", 0),
    // LINEAR_EXACT 127.5/255 shows stored value v as grey v/255: the film looks as its PNG did.
    element(0x0028, 0x1050, "DS", "127.5"),
    element(0x0028, 0x1051, "DS", "255"),
    element(0x0028, 0x1056, "CS", "LINEAR_EXACT"),
    element(0x7fe0, 0x0010, "OB", Buffer.from(pixels)),
  ]);
  writeFileSync(file, Buffer.concat([fileMeta(sopClass, sop), data]));
  return { study, series, sop };
}

/** The Part 10 preamble, "DICM" and the File Meta Information group for `sop` of class `sopClass`. */
function fileMeta(sopClass, sop, ts = "1.2.840.10008.1.2.1") {
  const metaBody = Buffer.concat([
    element(0x0002, 0x0001, "OB", Buffer.from([0, 1])),
    element(0x0002, 0x0002, "UI", sopClass),
    element(0x0002, 0x0003, "UI", sop),
    element(0x0002, 0x0010, "UI", ts),
    element(0x0002, 0x0012, "UI", "1.2.826.0.1.3680043.9.7433.1"),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(metaBody.length);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from("DICM", "latin1"),
    element(0x0002, 0x0000, "UL", Buffer.alloc(0)).subarray(0, 6),
    Buffer.from([4, 0]),
    groupLength,
    metaBody,
  ]);
}

/**
 * Writes an axial CT series of `slices` `columns`×`rows` images into folder `dir` (`slice-0001.dcm`, …): CT Image
 * Storage, Explicit VR Little Endian, 16-bit signed stored values with Rescale Intercept −1024 (so HU), 1 mm apart,
 * a deterministic body phantom (an elliptic body at 40 HU with lungs at −850 HU, a spine at 700 HU and a sphere
 * that moves from slice to slice, plus ±20 HU of pseudo-random noise) in air. Fast enough for test time (about
 * 2 s per 1000 512×512 slices). Returns `{ study, series, sops, bytes }` (`bytes`: raw pixel bytes written).
 */
export function writeCtSeries(dir, { slices, rows = 512, columns = 512, seed = "lumen-ct-series", patientName = "MEMORY^CT", patientId = "MEM-1" }) {
  const study = uidFrom(`${seed}/study`);
  const series = uidFrom(`${seed}/series`);
  const sopClass = "1.2.840.10008.5.1.4.1.1.2"; // CT Image Storage
  const sops = [];
  const pixels = new Int16Array(rows * columns);
  let state = 0x2545f491;
  const spacing = 0.78125;
  for (let i = 0; i < slices; i++) {
    const sop = uidFrom(`${seed}/sop/${i}`);
    sops.push(sop);
    const z = -i * 1.0;
    const t = i / Math.max(1, slices - 1);
    const sphere = { x: columns * (0.35 + 0.3 * t), y: rows * 0.5, r: columns * 0.08 };
    for (let r = 0; r < rows; r++) {
      const dy = (r - rows / 2) / (rows * 0.42);
      for (let c = 0; c < columns; c++) {
        const dx = (c - columns / 2) / (columns * 0.46);
        let hu = -1000;
        if (dx * dx + dy * dy <= 1) {
          hu = 40;
          const lx = Math.abs(dx) - 0.45;
          if (lx * lx / 0.09 + (dy + 0.1) * (dy + 0.1) / 0.3 <= 1) hu = -850;
          const sx = dx, sy = dy - 0.6;
          if (sx * sx + sy * sy <= 0.012) hu = 700;
          const px = c - sphere.x, py = r - sphere.y;
          if (px * px + py * py <= sphere.r * sphere.r) hu = 120;
        }
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        pixels[r * columns + c] = hu + 1024 + ((state >>> 0) % 41) - 20;
      }
    }
    const data = Buffer.concat([
      element(0x0008, 0x0016, "UI", sopClass),
      element(0x0008, 0x0018, "UI", sop),
      element(0x0008, 0x0020, "DA", "20261127"),
      element(0x0008, 0x0060, "CS", "CT"),
      element(0x0008, 0x1030, "LO", `CT ${slices} slices`),
      element(0x0008, 0x103e, "LO", `AXIAL ${slices}`),
      element(0x0010, 0x0010, "PN", patientName),
      element(0x0010, 0x0020, "LO", patientId),
      element(0x0018, 0x0050, "DS", "1"),
      element(0x0020, 0x000d, "UI", study),
      element(0x0020, 0x000e, "UI", series),
      element(0x0020, 0x0011, "IS", "1"),
      element(0x0020, 0x0013, "IS", String(i + 1)),
      element(0x0020, 0x0032, "DS", `-200\\-200\\${z}`),
      element(0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0"),
      element(0x0028, 0x0002, "US", 1),
      element(0x0028, 0x0004, "CS", "MONOCHROME2"),
      element(0x0028, 0x0010, "US", rows),
      element(0x0028, 0x0011, "US", columns),
      element(0x0028, 0x0030, "DS", `${spacing}\\${spacing}`),
      element(0x0028, 0x0100, "US", 16),
      element(0x0028, 0x0101, "US", 16),
      element(0x0028, 0x0102, "US", 15),
      element(0x0028, 0x0103, "US", 1),
      element(0x0028, 0x1050, "DS", "40"),
      element(0x0028, 0x1051, "DS", "400"),
      element(0x0028, 0x1052, "DS", "-1024"),
      element(0x0028, 0x1053, "DS", "1"),
      element(0x0028, 0x1054, "LO", "HU"),
      element(0x7fe0, 0x0010, "OW", Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength)),
    ]);
    writeFileSync(path.join(dir, `slice-${String(i + 1).padStart(4, "0")}.dcm`), Buffer.concat([fileMeta(sopClass, sop), data]));
  }
  return { study, series, sops, bytes: slices * rows * columns * 2 };
}
