// A/B timing of several builds of the lumen-dicom bench module (crates/dicom/bench-wasm, as compare-cornerstone.sh
// builds it) in one Node process, without Cornerstone: each module gets its own instance and a copy of the DICOM
// file, and the decodes alternate module by module, so that the machine's load falls on all of them alike. Prints
// each module's median process CPU time per decode (user + system, after 3 warm-up rounds). Lumen only: use
// crates/dicom/bench-wasm/bench.js for the comparison with Cornerstone and the check of the samples.
// Usage: node crates/codec-htj2k/examples/wasm_ab.js RUNS FILE.dcm A.wasm B.wasm...
'use strict';
const fs = require('fs');
const path = require('path');

(async () => {
  const [runs, file, ...modules] = process.argv.slice(2);
  if (!(Number(runs) >= 1) || !file || !modules.length) {
    console.error('usage: node wasm_ab.js RUNS FILE.dcm A.wasm B.wasm...');
    process.exit(2);
  }
  const data = fs.readFileSync(file);
  const instances = [];
  for (const m of modules) {
    const { instance } = await WebAssembly.instantiate(fs.readFileSync(m), {});
    const w = instance.exports;
    const at = w.input(data.length); // may grow the memory: take the buffer after it
    new Uint8Array(w.memory.buffer, at, data.length).set(data);
    if (!w.load(0)) throw new Error(`${m}: cannot load ${file}`);
    instances.push(w);
  }
  const times = modules.map(() => []);
  for (let i = 0; i < Number(runs) + 3; i++) {
    instances.forEach((w, k) => {
      const start = process.cpuUsage();
      if (!w.decode(1)) throw new Error(`${modules[k]}: decode failed`);
      const d = process.cpuUsage(start);
      if (i >= 3) times[k].push((d.user + d.system) / 1e3);
    });
  }
  const median = (t) => [...t].sort((a, b) => a - b)[t.length >> 1];
  console.log(path.basename(file).padEnd(30) +
    modules.map((m, k) => `${path.basename(m, '.wasm')} ${median(times[k]).toFixed(2)} ms`).join('  '));
})();
