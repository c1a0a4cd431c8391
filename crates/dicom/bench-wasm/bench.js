// Decode frame 1 of each DICOM file with lumen-dicom (wasm32, built by compare-cornerstone.sh) and with the
// Cornerstone3D codec for its transfer syntax (the emscripten wasm builds of the npm packages, as
// @cornerstonejs/dicom-image-loader loads them) in the same Node process, alternating run by run; print the median
// and best time of each, the throughput in MB/s of decoded output, the speed ratio Lumen/Cornerstone, and the
// largest difference between the two decodes. Both get exactly the same codestream bytes (Lumen extracts them).
// Exits 1 when a decode fails or the decoders disagree (lossless syntaxes: any difference; lossy: more than 1).
// Usage: node bench.js MODULE.wasm RUNS FILE.dcm...   (RUNS: the least number of timed decodes per decoder)
// Environment: CLOCK=cpu times decodes by process CPU time rather than wall time (see below).
'use strict';
const fs = require('fs');
const path = require('path');

const CODECS = {
  j2k: { pkg: '@cornerstonejs/codec-openjpeg', file: 'dist/openjpegwasm_decode.js', cls: 'J2KDecoder' },
  htj2k: { pkg: '@cornerstonejs/codec-openjph', file: 'dist/openjphjs.js', cls: 'HTJ2KDecoder' },
  jpeg: { pkg: '@cornerstonejs/codec-libjpeg-turbo-8bit', file: 'dist/libjpegturbowasm_decode.js', cls: 'JPEGDecoder' },
};
// transfer syntax → [codec, name, lossless]
const SYNTAXES = {
  '1.2.840.10008.1.2.4.90': ['j2k', 'JPEG 2000 lossless (.90)', true],
  '1.2.840.10008.1.2.4.91': ['j2k', 'JPEG 2000 (.91)', false],
  '1.2.840.10008.1.2.4.201': ['htj2k', 'HTJ2K lossless (.201)', true],
  '1.2.840.10008.1.2.4.202': ['htj2k', 'HTJ2K RPCL lossless (.202)', true],
  '1.2.840.10008.1.2.4.203': ['htj2k', 'HTJ2K (.203)', false],
  '1.2.840.10008.1.2.4.50': ['jpeg', 'JPEG baseline 8-bit (.50)', false],
  // Cornerstone decodes 12-bit JPEG with a JavaScript decoder, not a wasm codec: Lumen is timed alone.
  '1.2.840.10008.1.2.4.51': [null, 'JPEG extended 12-bit (.51)', false],
};
const WARMUP = 3;
// Short decodes are repeated beyond RUNS until Lumen's timed decodes add up to MIN_TOTAL_MS (at most MAX_RUNS),
// so that a median of a 3 ms decode on a noisy machine rests on more than a handful of samples.
const MIN_TOTAL_MS = 2000;
const MAX_RUNS = 400;

// How many function bodies of a wasm module declare v128 locals (the code section parsed, LEB128 sizes): 0 for a
// module compiled without SIMD128.
function simdFunctions(bytes) {
  let p = 8;
  const leb = () => { let v = 0, shift = 0, b; do { b = bytes[p++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80); return v; };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    const end = p + size;
    if (id === 10) {
      let n = 0;
      for (let count = leb(); count > 0; count--) {
        const bodyEnd = leb() + p;
        let simd = false;
        for (let groups = leb(); groups > 0; groups--) { leb(); if (bytes[p++] === 0x7b) simd = true; }
        if (simd) n++;
        p = bodyEnd;
      }
      return n;
    }
    p = end;
  }
  return 0;
}

const median = (t) => [...t].sort((a, b) => a - b)[t.length >> 1];
const best = (t) => Math.min(...t);
// CLOCK=cpu: time each decode by the process's CPU time (process.cpuUsage, user + system, µs resolution) instead
// of the wall clock: on a shared, loaded machine a decode's wall time includes the time other processes hold the
// CPU; its CPU time does not.
const CPU_CLOCK = process.env.CLOCK === 'cpu';
const now = () => (CPU_CLOCK ? process.cpuUsage() : process.hrtime.bigint());
const ms = (start) => {
  if (!CPU_CLOCK) return Number(process.hrtime.bigint() - start) / 1e6;
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e3;
};

// The samples of a little-endian buffer as numbers.
function samples(bytes, bytesPerSample, signed) {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytesPerSample === 1) return signed ? new Int8Array(b.buffer, b.byteOffset, b.length) : b;
  const n = b.length >> 1;
  const v = signed ? new Int16Array(n) : new Uint16Array(n);
  for (let i = 0; i < n; i++) v[i] = signed ? b.readInt16LE(2 * i) : b.readUInt16LE(2 * i);
  return v;
}

function compare(a, b) {
  if (a.length !== b.length) return { maxDiff: Infinity, differing: Math.max(a.length, b.length) };
  let maxDiff = 0, differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d) { differing++; if (d > maxDiff) maxDiff = d; }
  }
  return { maxDiff, differing };
}

class Lumen {
  constructor(exports) { this.w = exports; }
  bytes(ptr, len) { return new Uint8Array(this.w.memory.buffer, ptr, len); }
  text() { return Buffer.from(this.bytes(this.w.text(), this.w.text_len())).toString('utf8'); }
  load(file) {
    const data = fs.readFileSync(file);
    this.bytes(this.w.input(data.length), data.length).set(data);
    const len = this.w.load(0);
    if (!len) throw new Error(`${file}: lumen-dicom cannot load it: ${this.text()}`);
    const info = JSON.parse(this.text());
    return { info, codestream: Uint8Array.from(this.bytes(this.w.codestream(), len)) };
  }
  decode() { if (!this.w.decode(1)) throw new Error(`lumen-dicom decode failed: ${this.text()}`); }
  output() {
    const len = this.w.output();
    const out = Uint8Array.from(this.bytes(this.w.output_ptr(), len));
    this.w.output_photometric();
    return { out, photometric: this.text() };
  }
}

// One Cornerstone decode as the image loader does it: a decoder, the codestream copied into its buffer, decode.
function cornerstoneDecode(mod, cls, codestream) {
  const decoder = new mod[cls]();
  decoder.getEncodedBuffer(codestream.length).set(codestream);
  decoder.decode();
  const out = decoder.getDecodedBuffer();
  return { decoder, out };
}

(async () => {
  const [wasmPath, runsArg, ...files] = process.argv.slice(2);
  const runs = Number(runsArg);
  if (!wasmPath || !(runs >= 1) || !files.length) {
    console.error('usage: node bench.js MODULE.wasm RUNS FILE.dcm...');
    process.exit(2);
  }
  const wasmBytes = fs.readFileSync(wasmPath);
  const { instance } = await WebAssembly.instantiate(wasmBytes, {});
  console.log(`Lumen module: ${wasmBytes.length} bytes, ${simdFunctions(wasmBytes)} functions with v128 locals`);
  const lumen = new Lumen(instance.exports);
  const modules = {};
  const versions = {};
  for (const [key, c] of Object.entries(CODECS)) {
    const dir = path.join(__dirname, 'node_modules', c.pkg);
    // Silence the codecs' console output (OpenJPEG logs three [INFO] lines per decode): printing is not decoding.
    modules[key] = await require(path.join(dir, c.file))({ print: () => {}, printErr: () => {} });
    versions[c.pkg] = require(path.join(dir, 'package.json')).version;
  }
  console.log(`Node ${process.version}, ${CPU_CLOCK ? 'CPU time' : 'wall time'}, at least ${runs} timed runs per decoder (more until Lumen's add up to ` +
    `${MIN_TOTAL_MS / 1000} s) after ${WARMUP} warm-up decodes, alternating; ` +
    Object.entries(versions).map(([p, v]) => `${p} ${v}`).join(', '));
  console.log('');
  console.log('| image | syntax | codestream | decoded | runs | Lumen wasm median (best) | Cornerstone wasm median (best) | ratio Lumen/Cornerstone | max abs diff |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---|');
  let failed = 0;
  for (const file of files) {
    const { info, codestream } = lumen.load(file);
    const syntax = SYNTAXES[info.transfer_syntax];
    if (!syntax) throw new Error(`${file}: transfer syntax ${info.transfer_syntax} has no Cornerstone codec here`);
    const [key, syntaxName, lossless] = syntax;
    if (!key) {
      const t = [];
      let total = 0;
      for (let i = 0; i < WARMUP + runs || (total < MIN_TOTAL_MS && i < WARMUP + MAX_RUNS); i++) {
        const s = now();
        lumen.decode();
        const a = ms(s);
        if (i >= WARMUP) { t.push(a); total += a; }
      }
      const decodedBytes = lumen.output().out.length;
      console.log(`| ${path.basename(file)}: ${info.columns}×${info.rows} ${info.bits_stored}-bit | ${syntaxName} ` +
        `| ${codestream.length} B | ${decodedBytes} B | ${t.length} | ${median(t).toFixed(2)} ms ` +
        `(${best(t).toFixed(2)}) = ${(decodedBytes / median(t) / 1e3).toFixed(1)} MB/s | no wasm codec | | |`);
      continue;
    }
    const { cls } = CODECS[key];
    const mod = modules[key];
    const tL = [], tC = [];
    let last = null;
    let totalL = 0;
    for (let i = 0; i < WARMUP + runs || (totalL < MIN_TOTAL_MS && i < WARMUP + MAX_RUNS); i++) {
      let s = now();
      lumen.decode();
      const a = ms(s);
      if (last) last.decoder.delete();
      s = now();
      last = cornerstoneDecode(mod, cls, codestream);
      const b = ms(s);
      if (i >= WARMUP) { tL.push(a); tC.push(b); totalL += a; }
    }
    const csOut = Uint8Array.from(last.out);
    const csInfo = last.decoder.getFrameInfo();
    last.decoder.delete();
    const { out: lOut, photometric } = lumen.output();

    const bytesPerSample = info.bits_allocated > 8 ? 2 : 1;
    const cmp = compare(samples(lOut, bytesPerSample, info.signed), samples(csOut, bytesPerSample, info.signed));
    const ok = lossless ? cmp.maxDiff === 0 : cmp.maxDiff <= 1;
    if (!ok) failed++;
    const decodedBytes = lOut.length;
    const mbs = (t) => (decodedBytes / t / 1e3).toFixed(1);
    const image = `${path.basename(file)}: ${info.columns}×${info.rows}` +
      `${info.samples_per_pixel === 3 ? ' RGB' : ''} ${info.bits_stored}-bit${info.signed ? ' signed' : ''}`;
    const diff = cmp.maxDiff === Infinity
      ? `sizes differ (${lOut.length} / ${csOut.length} B)`
      : `${cmp.maxDiff}${cmp.differing ? ` (${cmp.differing} samples)` : ''}`;
    console.log(`| ${image} | ${syntaxName} | ${codestream.length} B | ${decodedBytes} B | ${tL.length} ` +
      `| ${median(tL).toFixed(2)} ms (${best(tL).toFixed(2)}) = ${mbs(median(tL))} MB/s ` +
      `| ${median(tC).toFixed(2)} ms (${best(tC).toFixed(2)}) = ${mbs(median(tC))} MB/s ` +
      `| **${(median(tC) / median(tL)).toFixed(2)}×** | ${ok ? '' : 'DIFFER: '}${diff} |`);
    const csDesc = `${csInfo.width}×${csInfo.height}×${csInfo.componentCount}, ${csInfo.bitsPerSample} bits` +
      `${csInfo.isSigned ? ' signed' : ''}`;
    if (csInfo.width !== info.columns || csInfo.height !== info.rows || csInfo.componentCount !== info.samples_per_pixel) {
      console.log(`|   ↳ Cornerstone frame info ${csDesc} does not match the DICOM attributes | | | | | | | | |`);
      failed++;
    }
    if (!ok) console.log(`|   ↳ Lumen output ${photometric}; Cornerstone ${csDesc} | | | | | | | | |`);
  }
  if (failed) console.log(`\n${failed} case(s) failed: the decoders disagree or a frame info does not match`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(`bench.js: ${e.message}`); process.exit(1); });
