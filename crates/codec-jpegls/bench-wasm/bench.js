// Decode one JPEG-LS codestream with lumen-codec-jpegls (wasm32, built by compare-charls.sh) and with CharLS
// (emscripten build from the npm package @cornerstonejs/codec-charls) in the same Node process, alternating,
// and print the median and best time of each and whether their outputs agree (sum of samples, computed outside
// the timed part for both). CLOCK=cpu times with process.cpuUsage() (user + system CPU time of the process, less
// disturbed by other load on a shared machine) instead of the wall clock.
// Usage: [CLOCK=cpu] node bench.js MODULE.wasm FILE.jls CHARLS_DIR [RUNS]
const fs = require('fs');
const [wasmPath, jlsPath, charlsDir, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 20);
const cpuClock = process.env.CLOCK === 'cpu';
const now = () => {
  if (cpuClock) { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; }
  return Number(process.hrtime.bigint()) / 1e6;
};
const stats = (t) => { t.sort((a, b) => a - b); return { median: t[t.length >> 1], best: t[0] }; };
(async () => {
  const charls = await require(charlsDir + '/dist/charlswasm_decode.js')();
  const ours = (await WebAssembly.instantiate(fs.readFileSync(wasmPath), {})).instance.exports;
  const data = fs.readFileSync(jlsPath);
  const tOurs = [], tCharls = [];
  let sumOurs = 0, sumCharls = 0, outBytes = 0;
  for (let i = 0; i < runs; i++) {
    let s = now();
    const failed = ours.decode(1) !== 0;
    tOurs.push(now() - s);
    sumOurs = failed ? -1 : ours.checksum() >>> 0;
    s = now();
    const decoder = new charls.JpegLSDecoder();
    decoder.getEncodedBuffer(data.length).set(data);
    decoder.decode();
    const out = decoder.getDecodedBuffer();
    tCharls.push(now() - s);
    const info = decoder.getFrameInfo();
    outBytes = out.length;
    const v = info.bitsPerSample > 8 ? new Uint16Array(out.buffer, out.byteOffset, out.length / 2) : out;
    sumCharls = 0;
    for (const x of v) sumCharls = (sumCharls + x) >>> 0;
    decoder.delete();
  }
  const a = stats(tOurs), b = stats(tCharls);
  const mbs = (ms) => (outBytes / ms / 1e3).toFixed(1);
  console.log(`${jlsPath}: ${outBytes} bytes decoded, ${runs} runs each, ${cpuClock ? 'CPU time' : 'wall time'}`);
  console.log(`  lumen-codec-jpegls (wasm32): median ${a.median.toFixed(2)} ms, best ${a.best.toFixed(2)} ms = ${mbs(a.median)} MB/s`);
  console.log(`  CharLS (emscripten wasm):    median ${b.median.toFixed(2)} ms, best ${b.best.toFixed(2)} ms = ${mbs(b.median)} MB/s`);
  console.log(`  speed ratio Lumen/CharLS (CharLS median / Lumen median): ${(b.median / a.median).toFixed(3)}`);
  console.log(`  outputs ${sumOurs === sumCharls ? 'agree' : 'DIFFER'} (sum of samples ${sumOurs} / ${sumCharls})`);
})();
