// Time to first image and time to the whole series for the demo CT served by Orthanc (through `lumen serve --pacs`),
// stored uncompressed and in each lossless compressed transfer syntax, on loopback and under Chromium's network
// emulation (30 Mbit/s, 10 ms latency). Not a test: it prints a table and writes target/bench/transfer.json for
// docs/PERFORMANCE.md.
//
//   cd e2e && node bench/transfer.js [--small]     (after scripts/build-web.sh and cargo build -p lumen)
//
// The CT is transcoded with dcmtk/GDCM (dcmcrle, dcmcjpls, dcmcjpeg, gdcmconv --j2k); each syntax gets its own
// throw-away Orthanc, so UIDs stay those of the demo.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { lumenBin, startLumen, startOrthanc, launchBrowser, qidoStudies } from "../harness.js";
import { waitForImage } from "../viewer-helpers.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const small = process.argv.includes("--small");
const work = mkdtempSync(path.join(tmpdir(), "lumen-bench-transfer-"));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd} is needed (apt install dcmtk libgdcm-tools): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
}

const syntaxes = [
  { name: "Explicit VR Little Endian (uncompressed)", convert: null },
  { name: "RLE Lossless", convert: (i, o) => run("dcmcrle", [i, o]) },
  { name: "JPEG Lossless SV1", convert: (i, o) => run("dcmcjpeg", ["+e1", i, o]) },
  { name: "JPEG-LS Lossless", convert: (i, o) => run("dcmcjpls", ["+el", i, o]) },
  { name: "JPEG 2000 Lossless", convert: (i, o) => run("gdcmconv", ["--j2k", i, o]) },
];
const conditions = [
  { name: "loopback", emulate: null },
  { name: "30 Mbit/s, 10 ms", emulate: { offline: false, latency: 10, downloadThroughput: (30e6 / 8), uploadThroughput: (30e6 / 8) } },
];

const results = [];
const browser = await launchBrowser();
try {
  const demo = path.join(work, "demo");
  run(lumenBin, ["demo", "--out", demo, ...(small ? ["--small"] : [])]);
  const ctDir = path.join(demo, "ct-chest", readdirSync(path.join(demo, "ct-chest")).find((d) => d.startsWith("01-")));
  const files = readdirSync(ctDir).filter((f) => f.endsWith(".dcm")).sort();
  for (const syntax of syntaxes) {
    const dir = path.join(work, syntax.name.replace(/\W+/g, "-"));
    mkdirSync(dir);
    let bytes = 0;
    for (const f of files) {
      const out = path.join(dir, f);
      if (syntax.convert) syntax.convert(path.join(ctDir, f), out);
      else run("cp", [path.join(ctDir, f), out]);
      bytes += statSync(out).size;
    }
    const orthanc = await startOrthanc(dir);
    const lumen = await startLumen({ pacs: orthanc.dicomWeb });
    try {
      const study = (await qidoStudies(lumen.origin))[0]["0020000D"].Value[0];
      for (const condition of conditions) {
        const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
        const page = await context.newPage();
        if (condition.emulate) {
          const cdp = await context.newCDPSession(page);
          await cdp.send("Network.enable");
          await cdp.send("Network.emulateNetworkConditions", condition.emulate);
        }
        await page.goto(`${lumen.origin}/viewer?StudyInstanceUIDs=${study}`);
        await waitForImage(page, 0, 300_000);
        const ttfi = await page.evaluate(() => window.__lumenFirstImageMs);
        await page.waitForFunction(
          () => {
            const v = document.querySelector('[data-testid="series-item"]')?.dataset.loaded ?? "";
            const [done, total] = v.split("/").map(Number);
            return total > 0 && done === total;
          },
          null,
          { timeout: 600_000, polling: 100 },
        );
        const full = await page.evaluate(() => performance.now());
        const row = { syntax: syntax.name, condition: condition.name, frames: files.length, stored_mb: +(bytes / 1e6).toFixed(1), ttfi_ms: Math.round(ttfi), full_series_ms: Math.round(full) };
        console.log(JSON.stringify(row));
        results.push(row);
        await context.close();
      }
    } finally {
      await lumen.stop();
      await orthanc.stop();
    }
  }
} finally {
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}
mkdirSync(path.join(repo, "target", "bench"), { recursive: true });
writeFileSync(path.join(repo, "target", "bench", "transfer.json"), JSON.stringify({ small, measured: new Date().toISOString(), results }, null, 2) + "\n");
