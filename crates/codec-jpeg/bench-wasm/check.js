// Decode JPEG files with the wasm module (as built by bench.sh: with simd128 unless SIMD=0) and compare the
// samples byte for byte with reference decodes: every FILE.jpg next to a FILE.raw (the crate's fixtures, written
// by libjpeg as dcmdjpeg decodes: YCbCr converted to RGB). Exits 1 on any difference.
// Usage: node check.js MODULE.wasm FILE.jpg...
const fs = require('fs');
(async () => {
  const [wasmPath, ...files] = process.argv.slice(2);
  const w = (await WebAssembly.instantiate(fs.readFileSync(wasmPath), {})).instance.exports;
  let failed = 0;
  for (const file of files) {
    const jpg = fs.readFileSync(file);
    const raw = fs.readFileSync(file.replace(/\.jpg$/, '.raw'));
    const ptr = w.input(jpg.length);
    new Uint8Array(w.memory.buffer, ptr, jpg.length).set(jpg);
    const len = w.decode_input(1);
    const got = len === 0xffffffff ? null : Buffer.from(new Uint8Array(w.memory.buffer, w.output(), len));
    const same = got !== null && got.equals(raw);
    if (!same) failed++;
    console.log(`${same ? 'same' : 'DIFFERENT'}: ${file} (${got ? got.length : 'error'} / ${raw.length} bytes)`);
  }
  process.exit(failed ? 1 : 0);
})();
