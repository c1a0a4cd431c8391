// The 3D model (models/ct-chest-seg3d) in this browser on the FULL demo CT (512 × 512 × 220, 16-bit): how long it
// takes from the click (model download and warm-up included) and what it costs in memory — the page's and the AI
// worker's WebAssembly memories before and after the run, and their JS heaps. Not a test (minutes on a 2-core
// machine); the numbers go to docs/AI.md with the setup they were measured on.
//
//   node bench/seg3d-full.js            (from e2e/, after scripts/build-web.sh and cargo build -p lumen)
//
// The CPU backend is forced (`lumen.ai.backend = cpu`) as the worker picks it on a software WebGPU adapter anyway.

import { startLumen, launchBrowser, recordingPage, qidoStudies, CAPTURE_WASM_MEMORIES as CAPTURE } from "../harness.js";
import { waitForImage } from "../viewer-helpers.js";


const MB = (b) => Math.round(b / 1e5) / 10;
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

const server = await startLumen({ full: true });
const browser = await launchBrowser();
try {
  const { context, page, errors } = await recordingPage(browser);
  await context.addInitScript(CAPTURE);
  await context.addInitScript(() => localStorage.setItem("lumen.ai.backend", "cpu"));
  await context.route(/\/ai-worker\.js$/, async (route) => {
    const res = await route.fetch();
    route.fulfill({ response: res, body: CAPTURE + (await res.text()) });
  });
  const studies = await qidoStudies(server.origin);
  const study = studies.find((s) => (s["00080061"]?.Value ?? []).includes("CT"))["0020000D"].Value[0];
  const t0 = Date.now();
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${study}`);
  await waitForImage(page, 0, 120_000);
  const item = page.locator('[data-testid="series-item"]').first();
  let loaded = "";
  while (Date.now() - t0 < 600_000) {
    loaded = (await item.getAttribute("data-loaded")) ?? "";
    const [a, b] = loaded.split("/");
    if (a && a === b) break;
    await page.waitForTimeout(500);
  }
  const loadMs = Date.now() - t0;
  const slices = Number(loaded.split("/")[1]);
  if ((await page.locator('[data-testid="ai-panel"]').count()) === 0) await page.locator('[data-action="ai"]').click();
  const card = page.locator('[data-testid="ai-model"][data-model="ct-chest-seg3d"]');
  await card.waitFor({ timeout: 60_000 });
  await card.locator('[data-testid="seg-place"]').selectOption("browser");
  const wasm = async () => {
    const pageWasm = sum(await page.evaluate(() => self.__lumenWasmMemories.map((m) => m.buffer.byteLength)));
    let ai = 0;
    for (const w of page.workers()) {
      if (w.url().includes("ai-worker")) ai += sum(await w.evaluate(() => (self.__lumenWasmMemories ?? []).map((m) => m.buffer.byteLength)));
    }
    return { page: pageWasm, ai };
  };
  const before = await wasm();
  const t1 = Date.now();
  await card.locator('[data-action="seg-volume"]').click();
  const done = card.locator('[data-testid="seg-volume-done"]');
  const error = card.locator('[data-testid="seg-volume-error"]');
  await Promise.race([done.waitFor({ timeout: 1_800_000 }), error.waitFor({ timeout: 1_800_000 })]);
  const runMs = Date.now() - t1;
  if ((await error.count()) > 0) throw new Error(`the browser run failed: ${await error.innerText()}`);
  const after = await wasm();
  const cdp = await context.newCDPSession(page);
  await cdp.send("HeapProfiler.collectGarbage");
  const heap = await cdp.send("Runtime.getHeapUsage");
  const report = {
    slices,
    load_ms: loadMs,
    run_ms: runMs,
    card: await done.innerText(),
    blocks: await done.getAttribute("data-blocks"),
    labelled_slices: await done.getAttribute("data-slices"),
    wasm_mb: { page_before: MB(before.page), page_after: MB(after.page), ai_worker_after: MB(after.ai) },
    page_js_heap_mb: MB((heap.usedSize ?? 0) + (heap.backingStorageSize ?? 0)),
    errors,
    chromium: browser.version(),
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  await browser.close();
  await server.stop();
}
