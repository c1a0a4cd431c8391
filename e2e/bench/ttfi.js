// Time to first image of the demo CT, measured N times in fresh pages (median, min, max), for comparing builds:
// `node bench/ttfi.js [runs]` (from e2e/, after scripts/build-web.sh and cargo build -p lumen). Not a test: the
// numbers go to docs/PERFORMANCE.md with the setup they were measured on.

import { startLumen, launchBrowser, qidoStudies } from "../harness.js";
import { waitForImage } from "../viewer-helpers.js";

const runs = Number(process.argv[2] ?? 7);
const server = await startLumen();
const browser = await launchBrowser();
try {
  const studies = await qidoStudies(server.origin);
  const ct = studies.find((s) => (s["00080061"]?.Value ?? []).includes("CT"))["0020000D"].Value[0];
  const times = [];
  for (let i = 0; i < runs + 1; i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    const page = await context.newPage();
    await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${ct}`);
    await waitForImage(page);
    const ms = await page.evaluate(() => window.__lumenFirstImageMs);
    await context.close();
    if (i > 0) times.push(ms); // the first load warms the HTTP and compiled-code caches
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({ runs, median_ms: Math.round(median), min_ms: Math.round(times[0]), max_ms: Math.round(times.at(-1)) }));
} finally {
  await browser.close();
  await server.stop();
}
