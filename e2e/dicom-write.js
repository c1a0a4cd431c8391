// Writes minimal DICOM Part 10 files (Explicit VR Little Endian) for the browser tests: a grey 8-bit radiograph
// (Digital X-Ray, For Presentation) from pixels the test holds, e.g. a held-out film of ../shared/data wrapped
// into DICOM. It must not reach the network or depend on the app under test.

import { writeFileSync } from "node:fs";
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
  const ts = "1.2.840.10008.1.2.1";
  const metaBody = Buffer.concat([
    element(0x0002, 0x0001, "OB", Buffer.from([0, 1])),
    element(0x0002, 0x0002, "UI", sopClass),
    element(0x0002, 0x0003, "UI", sop),
    element(0x0002, 0x0010, "UI", ts),
    element(0x0002, 0x0012, "UI", "1.2.826.0.1.3680043.9.7433.1"),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(metaBody.length);
  const meta = Buffer.concat([element(0x0002, 0x0000, "UL", Buffer.alloc(0)).subarray(0, 6), Buffer.from([4, 0]), groupLength, metaBody]);
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
  writeFileSync(file, Buffer.concat([Buffer.alloc(128), Buffer.from("DICM", "latin1"), meta, data]));
  return { study, series, sop };
}
