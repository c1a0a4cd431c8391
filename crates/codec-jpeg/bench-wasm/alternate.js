// Time several bench modules (built by bench.sh around the same codestream: e.g. before/after a change, with and
// without SIMD=0) in one Node process, one decode of each in turn, so that load changes on a shared machine hit
// them alike; prints the median and best time of each and its checksum (equal checksums: same samples).
// Usage: node alternate.js RGB(0|1) RUNS MODULE.wasm...
const fs = require('fs');
(async () => {
  const [rgb, runs, ...paths] = process.argv.slice(2);
  const mods = [];
  for (const p of paths) mods.push((await WebAssembly.instantiate(fs.readFileSync(p), {})).instance.exports);
  const t = mods.map(() => []);
  const sums = mods.map(() => 0);
  for (let i = 0; i < 3 + Number(runs); i++) {
    mods.forEach((m, j) => {
      const s = process.hrtime.bigint();
      sums[j] = m.decode(1, Number(rgb)) >>> 0;
      const d = Number(process.hrtime.bigint() - s) / 1e6;
      if (i >= 3) t[j].push(d);
    });
  }
  const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  paths.forEach((p, j) => console.log(`${p}: median ${med(t[j]).toFixed(2)} ms, best ${Math.min(...t[j]).toFixed(2)} ms, checksum ${sums[j]}`));
})();
