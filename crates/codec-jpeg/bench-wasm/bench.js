// Time lumen-codec-jpeg (wasm32, built by bench.sh) in Node: decode the embedded codestream RUNS times and print
// the median and best time. Usage: node bench.js MODULE.wasm OUTPUT_BYTES RGB(0|1) [RUNS]
const fs = require('fs');
const [wasmPath, outBytesArg, rgbArg, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 30);
(async () => {
  const ours = (await WebAssembly.instantiate(fs.readFileSync(wasmPath), {})).instance.exports;
  const times = [];
  let sum = 0;
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    sum = ours.decode(1, Number(rgbArg)) >>> 0;
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  const mbs = (Number(outBytesArg) / median / 1e3).toFixed(1);
  console.log(`lumen-codec-jpeg (wasm32, Node ${process.version}): median ${median.toFixed(2)} ms, best ${times[0].toFixed(2)} ms = ${mbs} MB/s (checksum ${sum})`);
})();
