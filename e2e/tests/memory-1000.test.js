// Memory of a large CT series in the viewer: a 1000-slice 512×512 CT (16-bit, generated at test time into the demo
// folder — about 2 s and 524 MB of temporary disk, never committed) is served uncompressed by `lumen serve
// --dicom-dir` and opened in the study view; once every slice is decoded and cached, the memory the viewer holds —
// every WebAssembly memory (the page's module and each of the 8 decode workers' — the pool's largest size, forced so
// the result does not depend on the machine — captured as they are instantiated) plus the JS heaps
// (page and workers, after a garbage collection, array buffers included) — must stay within 1.3× the series' raw
// pixel bytes (1000 × 512 × 512 × 2 B = 524 MB), also after paging through the whole stack (each shown slice is
// uploaded to the GPU). The numbers are printed and written to target/e2e/memory-1000.json.
// LUMEN_MEMORY_SLICES overrides the slice count (e.g. 200 for a quick run); docs/perf/memory.md records the results.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startLumen, launchBrowser, recordingPage, CAPTURE_WASM_MEMORIES as CAPTURE } from "../harness.js";
import { writeCtSeries } from "../dicom-write.js";
import { waitForImage } from "../viewer-helpers.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const SLICES = Number(process.env.LUMEN_MEMORY_SLICES ?? 1000);
const LIMIT = 1.3;

let server;
let browser;
let session;
let ct;
let generateMs;


before(async () => {
  server = await startLumen({
    prepare: (demo) => {
      const dir = path.join(demo, "memory-ct");
      mkdirSync(dir);
      const t0 = Date.now();
      ct = writeCtSeries(dir, { slices: SLICES });
      generateMs = Date.now() - t0;
    },
  });
  browser = await launchBrowser();
  session = await recordingPage(browser);
  await session.context.addInitScript(CAPTURE);
  // The decode pool takes hardwareConcurrency − 1 workers, at most 8: make it 8 whatever this machine has, so the
  // measurement is the worst case (each worker holds its own wasm memory).
  await session.context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, "hardwareConcurrency", { get: () => 9, configurable: true });
  });
  // Worker scripts are ES modules: the capture runs after their imports are evaluated, before the wasm module is
  // instantiated (on the page's first message).
  await session.context.route(/\/(decode|ai)-worker\.js$/, async (route) => {
    const res = await route.fetch();
    route.fulfill({ response: res, body: CAPTURE + (await res.text()) });
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Sends `method` to every dedicated worker of the page through a browser CDP session; answers by target. */
async function inWorkers(cdp, method, params = {}) {
  const { targetInfos } = await cdp.send("Target.getTargets");
  const workers = targetInfos.filter((t) => t.type === "worker");
  const out = [];
  for (const t of workers) {
    const { sessionId } = await cdp.send("Target.attachToTarget", { targetId: t.targetId, flatten: false });
    const id = Math.floor(Math.random() * 1e9);
    const answer = new Promise((resolve) => {
      const on = (e) => {
        if (e.sessionId !== sessionId) return;
        const msg = JSON.parse(e.message);
        if (msg.id === id) {
          cdp.off("Target.receivedMessageFromTarget", on);
          resolve(msg.result ?? { error: msg.error });
        }
      };
      cdp.on("Target.receivedMessageFromTarget", on);
    });
    await cdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method, params }) });
    out.push({ url: t.url, result: await Promise.race([answer, new Promise((r) => setTimeout(() => r({ error: "timeout" }), 10_000))]) });
    await cdp.send("Target.detachFromTarget", { sessionId }).catch(() => {});
  }
  return out;
}

const MB = (b) => Math.round(b / 1e5) / 10;

test(`a ${SLICES}-slice 512×512 CT series fully loaded stays within ${LIMIT}× its raw pixel bytes (wasm + JS heap)`, async () => {
  const { page, errors } = session;
  const t0 = Date.now();
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${ct.study}`);
  await waitForImage(page, 0, 120_000);
  const item = page.locator(`[data-testid="series-item"][data-series-uid="${ct.series}"]`);
  // Every slice decoded and kept: the series item says n/n. A viewer whose cache cannot hold the series stops
  // short (its prefetch window is the budget); then the test waits for the count to stop moving and fails below.
  let loaded = "";
  let last = "";
  let still = 0;
  while (Date.now() - t0 < 600_000) {
    loaded = (await item.getAttribute("data-loaded")) ?? "";
    if (loaded === `${SLICES}/${SLICES}`) break;
    still = loaded === last ? still + 1 : 0;
    last = loaded;
    if (still >= 20) break; // 10 s without progress
    await page.waitForTimeout(500);
  }
  const loadMs = Date.now() - t0;
  // Page through the whole stack (every 10th slice shown, so uploaded to the GPU from the cache) to the last one:
  // showing frames must not grow memory, nor refetch (the count stays n/n).
  const tr = () => page.locator('[data-testid="viewport"][data-index="0"] [data-testid="overlay-tr"]').innerText();
  const t1 = Date.now();
  for (let i = 0; i < Math.ceil(SLICES / 10); i++) {
    await page.keyboard.press("PageDown");
    if (i % 10 === 9) await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  }
  await page.keyboard.press("End");
  await waitForImage(page, 0, 60_000);
  const pageMs = Date.now() - t1;
  assert.match(await tr(), new RegExp(`\\b${SLICES}/${SLICES}\\b`), "the last slice is shown");
  // Let the last answers land and the decode workers go idle, then collect garbage everywhere.
  await page.waitForTimeout(2000);
  const cdp = await session.context.newCDPSession(page);
  await cdp.send("HeapProfiler.enable");
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("HeapProfiler.collectGarbage");
  const pageHeap = await cdp.send("Runtime.getHeapUsage");
  const pageWasm = await page.evaluate(() => self.__lumenWasmMemories.map((m) => m.buffer.byteLength));
  const browserCdp = await browser.newBrowserCDPSession();
  await inWorkers(browserCdp, "HeapProfiler.collectGarbage");
  const workerHeaps = await inWorkers(browserCdp, "Runtime.getHeapUsage");
  const workers = [];
  for (const w of page.workers()) {
    workers.push({
      url: w.url(),
      wasm: await w.evaluate(() => (self.__lumenWasmMemories ?? []).map((m) => m.buffer.byteLength)),
    });
  }
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const wasmBytes = sum(pageWasm) + sum(workers.flatMap((w) => w.wasm));
  // V8's used heap plus array-buffer backing stores; WebAssembly memories are accounted above, not here.
  const heapOf = (h) => (h?.usedSize ?? 0) + (h?.embedderHeapUsedSize ?? 0);
  const buffersOf = (h) => h?.backingStorageSize ?? 0;
  const jsHeapBytes = heapOf(pageHeap) + sum(workerHeaps.map((w) => heapOf(w.result)));
  const arrayBufferBytes = buffersOf(pageHeap) + sum(workerHeaps.map((w) => buffersOf(w.result)));
  const raw = ct.bytes;
  const total = wasmBytes + jsHeapBytes + arrayBufferBytes;
  const report = {
    slices: SLICES,
    rows: 512,
    columns: 512,
    raw_pixel_bytes: raw,
    loaded,
    wasm_bytes: { page: pageWasm, workers: workers.map((w) => w.wasm), total: wasmBytes },
    js_heap_bytes: { page: pageHeap, workers: workerHeaps.map((w) => w.result), used_total: jsHeapBytes, array_buffers_total: arrayBufferBytes },
    total_bytes: total,
    ratio_to_raw: Math.round((total / raw) * 1000) / 1000,
    limit: LIMIT,
    decode_workers: workers.filter((w) => w.url.includes("decode-worker")).length,
    generate_ms: generateMs,
    load_ms: loadMs,
    page_through_ms: pageMs,
    chromium: browser.version(),
  };
  console.log(
    `memory: ${SLICES} slices loaded ${loaded}, raw ${MB(raw)} MB; wasm ${MB(wasmBytes)} MB (page ${pageWasm.map(MB).join("+")}, ` +
      `workers ${workers.map((w) => w.wasm.map(MB).join("+")).join(", ")}), JS heap ${MB(jsHeapBytes)} MB, array buffers ` +
      `${MB(arrayBufferBytes)} MB; total ${MB(total)} MB = ${report.ratio_to_raw}× raw (limit ${LIMIT}×); ` +
      `series generated in ${generateMs} ms, loaded in ${loadMs} ms`,
  );
  const out = path.join(repo, "target", "e2e");
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "memory-1000.json"), JSON.stringify(report, null, 2) + "\n");

  assert.equal(loaded, `${SLICES}/${SLICES}`, "every slice of the series is decoded and held in the cache");
  assert.equal(await item.getAttribute("data-loaded"), `${SLICES}/${SLICES}`, "paging through refetched nothing");
  assert.ok(pageWasm.length >= 1, "the page's WebAssembly memory was seen");
  assert.equal(report.decode_workers, 8, "the decode pool runs its largest size, 8 workers");
  assert.ok(workers.every((w) => w.wasm.length >= 1), "each worker's WebAssembly memory was seen");
  assert.ok(workerHeaps.every((w) => typeof w.result?.usedSize === "number"), `each worker's JS heap was measured: ${JSON.stringify(workerHeaps)}`);
  assert.ok(total <= LIMIT * raw, `wasm + JS heap ${MB(total)} MB exceeds ${LIMIT}× the raw ${MB(raw)} MB`);
  // The frames really are in memory: the page's module alone holds at least the raw pixels.
  assert.ok(sum(pageWasm) >= raw, `the page's wasm memory (${MB(sum(pageWasm))} MB) holds the ${MB(raw)} MB of pixels`);
  assert.deepEqual(errors, [], "no script errors");
});
