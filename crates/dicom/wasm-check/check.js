// Check lumen-dicom's wasm32 build on HTJ2K and JPEG 2000 frames in Node: decode each embedded fixture and
// compare it with the fixture's reference decode (ojph_expand for HTJ2K, the source pattern for JPEG 2000
// lossless): byte for byte for lossless files, within 1 for lossy ones. Usage: node check.js MODULE.wasm
const fs = require('fs');
const path = require('path');
const fixtures = path.join(__dirname, '..', 'tests', 'fixtures');
// [file, reference, bytes per sample, signed, lossless], in lib.rs's FILES order
const cases = [
  ['htj2k/ct16s_lossless.dcm', 'htj2k/ct16s_lossless.ref.raw', 2, true, true],
  ['htj2k/ct16s_rpcl_tiles.dcm', 'htj2k/ct16s_rpcl_tiles.ref.raw', 2, true, true],
  ['htj2k/ct16s_lossy.dcm', 'htj2k/ct16s_lossy.ref.raw', 2, true, false],
  ['htj2k/u12_tiles_rpcl.dcm', 'htj2k/u12_tiles_rpcl.ref.raw', 2, false, true],
  ['htj2k/u8_multiframe.dcm', 'htj2k/u8_multiframe.ref.raw', 1, false, true],
  ['htj2k/rgb8_rct.dcm', 'htj2k/rgb8_rct.ref.raw', 1, false, true],
  ['htj2k/rgb8_ict_lossy.dcm', 'htj2k/rgb8_ict_lossy.ref.raw', 1, false, false],
  ['ct12s_j2k90.dcm', null, 2, true, true],
];

// The 16×16 12-bit signed CT pattern of tests/decode.rs (ct12s_j2k90.dcm is lossless).
function ct12sPattern() {
  const out = Buffer.alloc(16 * 16 * 2);
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) out.writeInt16LE(((x * 131 + y * 71) % 4096) - 2048, (y * 16 + x) * 2);
  return out;
}

function samples(buf, bytes, signed) {
  const v = [];
  for (let i = 0; i < buf.length; i += bytes) {
    v.push(bytes === 1 ? (signed ? buf.readInt8(i) : buf[i]) : (signed ? buf.readInt16LE(i) : buf.readUInt16LE(i)));
  }
  return v;
}

(async () => {
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(process.argv[2]), {});
  const wasm = instance.exports;
  let failed = 0;
  cases.forEach(([file, ref, bytes, signed, lossless], i) => {
    const want = ref ? fs.readFileSync(path.join(fixtures, ref)) : ct12sPattern();
    const len = wasm.decode(i);
    const got = Buffer.from(new Uint8Array(wasm.memory.buffer, wasm.output(), len));
    let diff = Infinity;
    if (len === want.length) {
      const a = samples(got, bytes, signed);
      const b = samples(want, bytes, signed);
      diff = a.reduce((m, x, k) => Math.max(m, Math.abs(x - b[k])), 0);
    }
    const ok = lossless ? diff === 0 : diff <= 1;
    if (!ok) failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${file}: ${len} bytes decoded (reference ${want.length}), max |diff| ${diff}`);
  });
  console.log(`wasm32 (Node ${process.version}): ${cases.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
