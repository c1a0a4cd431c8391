// The AI worker (`/ai-worker.js` → web/ai-worker, burn in wasm) driven through its protocol
// (crates/infer/src/protocol.rs) from a page of Lumen's origin, against the model packages `lumen serve` embeds:
// WebGPU on SwiftShader and the Flex CPU backend both reproduce the package's self-test; with WebGPU disabled the
// worker falls back to the CPU and says why; the QC model tells an upright film from one turned 90° (real test-split
// films from ../shared/data, skipped when absent); weights whose SHA-256 does not match are refused and not cached;
// a second load in a fresh worker comes from the Cache API; a cancelled load answers `cancelled` and nothing else;
// bad requests are answered with `failed` and the worker lives on. Cold/warm latencies go to
// target/e2e/ai-latency.json.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";
import { startLumen, launchBrowser, chromiumArgs, chromiumPath } from "../harness.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dataDir = path.resolve(repo, "..", "shared", "data", "cxr-pneumonia");
const MODEL = "cxr-qc";
// SwiftShader runs burn's kernels on the CPU and compiles every shader: minutes, not milliseconds.
const SLOW = 300_000;

let server;
let browser;
const latency = {};
const segLatency = {};

before(async () => {
  server = await startLumen();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (Object.keys(latency).length > 0) {
    const out = path.join(repo, "target", "e2e");
    mkdirSync(out, { recursive: true });
    writeFileSync(
      path.join(out, "ai-latency.json"),
      JSON.stringify({ model: MODEL, browser: "headless Chromium, WebGPU on SwiftShader", ...latency, measured: new Date().toISOString() }, null, 2) + "\n",
    );
  }
  if (Object.keys(segLatency).length > 0) {
    const out = path.join(repo, "target", "e2e");
    mkdirSync(out, { recursive: true });
    writeFileSync(
      path.join(out, "ai-latency-seg.json"),
      JSON.stringify({ model: "ct-chest-seg", image: "512×512 CT slice", browser: "headless Chromium, WebGPU on SwiftShader", ...segLatency, measured: new Date().toISOString() }, null, 2) + "\n",
    );
  }
});

/** Installs the worker driver into a page of Lumen's origin: start workers, post protocol messages, log answers. */
async function driverPage(b = browser) {
  const context = await b.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
  // A small JSON document of Lumen's own origin: the worker is same-origin and no viewer starts beside it.
  const res = await page.goto(`${server.origin}/models/index.json`);
  assert.equal(res.status(), 200, "the server ships the model index");
  await page.evaluate(() => {
    window.ai = new Map();
    window.aiStart = (name) => {
      const worker = new Worker("/ai-worker.js", { type: "module" });
      const log = [];
      worker.onmessage = (e) => {
        const m = JSON.parse(e.data[0]);
        // A label map (segmentation) travels as item 1: keep its length and an FNV-1a hash.
        if (e.data[1] instanceof Uint8Array) {
          let h = 0x811c9dc5;
          for (const b of e.data[1]) h = Math.imul(h ^ b, 0x01000193) >>> 0;
          m.labels_len = e.data[1].length;
          m.labels_hash = h;
        }
        log.push(m);
      };
      worker.onerror = (e) => log.push({ type: "worker-error", message: String(e.message) });
      window.ai.set(name, { worker, log });
    };
    window.aiSend = (name, msg, pixels) => {
      const { worker } = window.ai.get(name);
      if (pixels) worker.postMessage([JSON.stringify(msg), pixels], [pixels.buffer]);
      else worker.postMessage([JSON.stringify(msg)]);
    };
  });
  return { context, page, errors };
}

const FINAL = ["ready", "loaded", "result", "segmentation", "rules-result", "failed", "cancelled", "worker-error"];

/** The first final answer of worker `name` for `job` (null: init), waiting up to `timeout` ms. */
async function answer(page, name, job, timeout = SLOW) {
  const handle = await page.waitForFunction(
    ([name, job, final]) => window.ai.get(name).log.find((m) => final.includes(m.type) && (m.job ?? null) === job),
    [name, job, FINAL],
    { timeout, polling: 100 },
  );
  return handle.jsonValue();
}

async function messages(page, name) {
  return page.evaluate((name) => window.ai.get(name).log, name);
}

async function init(page, name, backend) {
  await page.evaluate(([name, backend]) => {
    window.aiStart(name);
    window.aiSend(name, { type: "init", backend });
  }, [name, backend]);
  return answer(page, name, null);
}

async function load(page, name, job, model = MODEL) {
  await page.evaluate(([name, job, model]) => window.aiSend(name, { type: "load", job, model, base_url: "/models" }), [name, job, model]);
  return answer(page, name, job);
}

/** Runs `model` on 8-bit grey pixels sent as RGB bytes (`rgb8`) or as modality values through a window. */
async function run(page, name, job, { width, height, grey }, as = "rgb8", model = MODEL) {
  await page.evaluate(
    ([name, job, model, width, height, grey, as]) => {
      let pixels;
      let kind;
      if (as === "rgb8") {
        pixels = new Uint8Array(width * height * 3);
        grey.forEach((v, i) => pixels.fill(v, 3 * i, 3 * i + 3));
        kind = { kind: "rgb8" };
      } else {
        // Modality values 0..4095 (v · 16) under a window that shows them as v / 255 again.
        pixels = Float32Array.from(grey, (v) => v * 16);
        kind = { kind: "modality", window: { center: 2040, width: 4081, function: "Linear", explanation: null }, invert: false };
      }
      window.aiSend(name, { type: "run", job, model, width, height, pixels: kind, rules: true }, pixels);
    },
    [name, job, model, width, height, Array.from(grey), as],
  );
  return answer(page, name, job);
}

const manifest = async (model = MODEL) => (await fetch(`${server.origin}/models/${model}/manifest.json`)).json();
const packageIds = async () => (await fetch(`${server.origin}/models/index.json`)).json();
/** The packages whose manifest lets them run in the browser (all but `runs_on: server`; the 3D model is
 * `server-or-browser`). */
const browserPackageIds = async () => {
  const out = [];
  for (const id of await packageIds()) if (((await manifest(id)).runs_on ?? "browser") !== "server") out.push(id);
  return out;
};
const argmax = (p) => p.indexOf(Math.max(...p));

/** Test-split films of ../shared/data/cxr-pneumonia as 8-bit grey, or null when the data is absent. */
function testFilms(n) {
  const labels = path.join(dataDir, "labels.csv");
  if (!existsSync(labels)) return null;
  const rows = readFileSync(labels, "utf8").trim().split("\n");
  const cols = rows[0].split(",");
  const [fileCol, splitCol] = [cols.indexOf("file"), cols.indexOf("split")];
  return rows
    .slice(1)
    .map((r) => r.split(","))
    .filter((r) => r[splitCol] === "test")
    .slice(0, n)
    .map((r) => {
      const png = PNG.sync.read(readFileSync(path.join(dataDir, r[fileCol])));
      const grey = new Uint8Array(png.width * png.height);
      for (let i = 0; i < grey.length; i++) grey[i] = png.data[4 * i];
      return { file: r[fileCol], width: png.width, height: png.height, grey };
    });
}

/** `img` turned 90° clockwise (the top row becomes the right column), as the QC model's "rotated-90". */
function rotateCw({ width, height, grey }) {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[x * height + (height - 1 - y)] = grey[y * width + x];
  return { width: height, height: width, grey: out };
}

test("WebGPU (SwiftShader): ready on webgpu, load reproduces the self-test, a second load comes from the cache", { timeout: 2 * SLOW }, async (t) => {
  const { context, page, errors } = await driverPage();
  try {
    const ready = await init(page, "gpu", "auto");
    assert.equal(ready.type, "ready", JSON.stringify(ready));
    assert.equal(ready.backend, "web-gpu", `Auto picks WebGPU when the browser has it: ${JSON.stringify(ready)}`);
    assert.equal(ready.fallback_reason, null);
    assert.ok(ready.adapter, "the adapter is named");
    assert.ok(ready.max_storage_buffer_binding_size >= 64 << 20, JSON.stringify(ready));

    const m = await manifest();
    const loaded = await load(page, "gpu", 1);
    assert.equal(loaded.type, "loaded", JSON.stringify(loaded));
    assert.equal(loaded.from_cache, false, "first load downloads");
    assert.ok(loaded.selftest_max_diff < 1e-3, `WebGPU self-test differs by ${loaded.selftest_max_diff}`);
    const log = await messages(page, "gpu");
    const download = log.filter((x) => x.type === "progress" && x.job === 1 && x.stage === "download");
    assert.ok(download.length >= 2, "download progress is reported");
    assert.deepEqual([download.at(-1).done, download.at(-1).total], [m.weights.bytes, m.weights.bytes]);
    assert.ok(log.some((x) => x.type === "progress" && x.job === 1 && x.stage === "verify"), "verification is reported");
    latency["web-gpu"] = { load_ms: Math.round(loaded.ms), warm_up_ms: Math.round(loaded.warm_up_ms) };

    // A fresh worker in the same browser profile takes the verified weights from the Cache API.
    const again = await init(page, "gpu2", "auto");
    assert.equal(again.backend, "web-gpu");
    const cached = await load(page, "gpu2", 2);
    assert.equal(cached.type, "loaded", JSON.stringify(cached));
    assert.equal(cached.from_cache, true, "the second load comes from the cache");
    assert.ok(cached.selftest_max_diff < 1e-3);
    const log2 = await messages(page, "gpu2");
    assert.ok(!log2.some((x) => x.type === "progress" && x.stage === "download" && x.done > 0), "nothing downloaded");
    // Every shipped package reproduces its own self-test on WebGPU.
    let job = 3;
    for (const id of await browserPackageIds()) {
      const other = await load(page, "gpu2", job++, id);
      assert.equal(other.type, "loaded", JSON.stringify(other));
      assert.ok(other.selftest_max_diff < 1e-3, `${id} on WebGPU differs by ${other.selftest_max_diff}`);
    }
    t.diagnostic(`adapter: ${ready.adapter}; cold load ${Math.round(loaded.ms)} ms, warm-up ${Math.round(loaded.warm_up_ms)} ms`);
    assert.deepEqual(errors, [], "no uncaught script errors");
  } finally {
    await context.close();
  }
});

test("CPU (Flex in wasm): ready on cpu, the self-test within 1e-4, bad requests answered and survived", { timeout: 2 * SLOW }, async () => {
  const { context, page } = await driverPage();
  try {
    const ready = await init(page, "cpu", "cpu");
    assert.deepEqual([ready.type, ready.backend, ready.fallback_reason], ["ready", "cpu", null], JSON.stringify(ready));
    const loaded = await load(page, "cpu", 1);
    assert.equal(loaded.type, "loaded", JSON.stringify(loaded));
    assert.ok(loaded.selftest_max_diff < 1e-4, `CPU self-test differs by ${loaded.selftest_max_diff}`);
    latency.cpu = { load_ms: Math.round(loaded.ms), warm_up_ms: Math.round(loaded.warm_up_ms) };
    let job = 100;
    // A server-only package is refused by the worker with the reason, before its weights are downloaded, and the
    // worker goes on. No shipped package is server-only, so the 3D model's manifest is made one in flight.
    await context.route("**/models/ct-chest-seg3d/manifest.json", async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), runs_on: "server" } });
    });
    const refused = await load(page, "cpu", job++, "ct-chest-seg3d");
    assert.equal(refused.type, "failed", JSON.stringify(refused));
    assert.match(refused.message, /server/, JSON.stringify(refused));
    const refusedLog = await messages(page, "cpu");
    assert.ok(
      !refusedLog.some((x) => x.type === "progress" && x.stage === "download" && x.job === job - 1 && x.done > 0),
      "no weights downloaded for a server-only package",
    );
    await context.unroute("**/models/ct-chest-seg3d/manifest.json");
    for (const id of await browserPackageIds()) {
      const other = await load(page, "cpu", job++, id);
      assert.equal(other.type, "loaded", JSON.stringify(other));
      assert.ok(other.selftest_max_diff < 1e-4, `${id} on the CPU differs by ${other.selftest_max_diff}`);
    }

    // Mismatched pixels, an unknown model, an unreadable message, a model id that leaves the models folder.
    await page.evaluate(() =>
      window.aiSend("cpu", { type: "run", job: 2, model: "cxr-qc", width: 4, height: 4, pixels: { kind: "rgb8" }, rules: false }, new Uint8Array(15)),
    );
    const bad = await answer(page, "cpu", 2);
    assert.equal(bad.type, "failed");
    assert.match(bad.message, /needs 48 bytes/);
    const unknown = await run(page, "cpu", 3, { width: 4, height: 4, grey: new Uint8Array(16) }, "rgb8", "no-such-model");
    assert.equal(unknown.type, "failed");
    assert.match(unknown.message, /not loaded/);
    await page.evaluate(() => window.ai.get("cpu").worker.postMessage(['{"type":"explode","job":4}']));
    const garbled = await answer(page, "cpu", 4);
    assert.equal(garbled.type, "failed");
    assert.match(garbled.message, /unreadable request/);
    const escape = await load(page, "cpu", 5, "../secret");
    assert.equal(escape.type, "failed");
    assert.match(escape.message, /not a model id/);

    // The pixel rules alone: an all-white film is clipped.
    await page.evaluate(() =>
      window.aiSend("cpu", { type: "rules", job: 6, width: 64, height: 64, pixels: { kind: "rgb8" } }, new Uint8Array(64 * 64 * 3).fill(255)),
    );
    const rules = await answer(page, "cpu", 6);
    assert.equal(rules.type, "rules-result", JSON.stringify(rules));
    assert.ok(rules.findings.some((f) => f.rule === "clipped-bright"), JSON.stringify(rules.findings));

    // Still alive: a well-formed run is answered.
    const ok = await run(page, "cpu", 7, { width: 64, height: 64, grey: new Uint8Array(64 * 64).fill(90) });
    assert.equal(ok.type, "result", JSON.stringify(ok));
    assert.equal(ok.probabilities.length, (await manifest()).outputs.length);
    assert.ok(Math.abs(ok.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-4);
  } finally {
    await context.close();
  }
});

test("with WebGPU disabled, Auto falls back to the CPU and says why", { timeout: SLOW }, async (t) => {
  const noGpu = await chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs.filter((a) => !/webgpu|vulkan|angle|Vulkan/.test(a)), "--disable-gpu", "--disable-features=WebGPU"],
  });
  try {
    const { page } = await driverPage(noGpu);
    const ready = await init(page, "auto", "auto");
    assert.equal(ready.type, "ready", JSON.stringify(ready));
    assert.equal(ready.backend, "cpu");
    assert.ok(typeof ready.fallback_reason === "string" && ready.fallback_reason.length > 10, JSON.stringify(ready));
    t.diagnostic(`fallback reason: ${ready.fallback_reason}`);
    const forced = await init(page, "forced", "web-gpu");
    assert.equal(forced.type, "failed", "WebGPU asked for explicitly is an error, not a silent fallback");
    assert.match(forced.message, /WebGPU/);
  } finally {
    await noGpu.close();
  }
});

test("QC on real test-split films: upright is ok, turned 90° clockwise is rotated-90, on WebGPU and CPU alike; a cancelled run posts no result", { timeout: 3 * SLOW }, async (t) => {
  const films = testFilms(3);
  if (!films) {
    t.skip(`../shared/data/cxr-pneumonia is absent (${dataDir}): no real films to classify`);
    return;
  }
  const m = await manifest();
  const names = m.outputs.map((o) => o.name);
  const { context, page } = await driverPage();
  try {
    for (const [worker, backend] of [["gpu", "auto"], ["cpu", "cpu"]]) {
      await init(page, worker, backend);
      const loaded = await load(page, worker, 1);
      assert.equal(loaded.type, "loaded", JSON.stringify(loaded));
    }
    let job = 10;
    const warm = { "web-gpu": [], cpu: [] };
    for (const film of films) {
      const turned = rotateCw(film);
      for (const [img, want, as] of [[film, "ok", "rgb8"], [turned, "rotated-90", "modality"]]) {
        const byBackend = {};
        for (const worker of ["gpu", "cpu"]) {
          const r = await run(page, worker, job++, img, as);
          assert.equal(r.type, "result", JSON.stringify(r));
          assert.equal(names[argmax(r.probabilities)], want, `${film.file} (${want}) on ${r.backend}: ${JSON.stringify(r.probabilities)}`);
          byBackend[r.backend] = r.probabilities;
          warm[r.backend].push(r.ms);
        }
        const diff = Math.max(...byBackend["web-gpu"].map((p, i) => Math.abs(p - byBackend.cpu[i])));
        assert.ok(diff < 1e-3, `${film.file}: WebGPU and CPU differ by ${diff}`);
      }
    }
    // A run cancelled while the GPU works on it answers `cancelled`, and its result is never posted.
    await page.evaluate(([w, h]) => {
      window.aiSend("gpu", { type: "run", job: 99, model: "cxr-qc", width: w, height: h, pixels: { kind: "rgb8" }, rules: false }, new Uint8Array(w * h * 3).fill(80));
      window.aiSend("gpu", { type: "cancel", job: 99 });
    }, [films[0].width, films[0].height]);
    assert.equal((await answer(page, "gpu", 99)).type, "cancelled");
    assert.equal((await run(page, "gpu", 100, films[0])).type, "result", "the worker goes on");
    const finals = (await messages(page, "gpu")).filter((x) => x.job === 99 && FINAL.includes(x.type));
    assert.deepEqual(finals.map((x) => x.type), ["cancelled"], "no result for the cancelled run");
    for (const [backend, ms] of Object.entries(warm)) {
      ms.sort((a, b) => a - b);
      latency[backend] = { ...latency[backend], run_median_ms: Math.round(ms[Math.floor(ms.length / 2)]), runs: ms.length };
    }
  } finally {
    await context.close();
  }
});

test("weights whose SHA-256 does not match are refused and not cached; a corrupt cache entry is replaced", { timeout: 2 * SLOW }, async () => {
  const { context, page } = await driverPage();
  try {
    await context.route("**/models/*/weights.safetensors", async (route) => {
      const res = await route.fetch();
      const body = Buffer.from(await res.body());
      body[body.length >> 1] ^= 0x55;
      await route.fulfill({ response: res, body });
    });
    await init(page, "w", "cpu");
    const refused = await load(page, "w", 1);
    assert.equal(refused.type, "failed", JSON.stringify(refused));
    assert.match(refused.message, /SHA-256/);
    assert.match(refused.message, /refused/);

    // The corrupt bytes were not kept: with the network honest again, a fresh worker downloads and loads.
    await context.unrouteAll();
    await init(page, "w2", "cpu");
    const loaded = await load(page, "w2", 2);
    assert.equal(loaded.type, "loaded", JSON.stringify(loaded));
    assert.equal(loaded.from_cache, false, "nothing corrupt was cached");

    // A cache entry that went bad on disk is not trusted either: it is checked, dropped and downloaded again.
    const m = await manifest();
    await page.evaluate(async ([url, sha]) => {
      const cache = await caches.open("lumen-models-v1");
      const key = `${url}?sha256=${sha}`;
      if (!(await cache.match(key))) throw new Error(`the verified weights are not cached under ${key}`);
      await cache.put(key, new Response(new Uint8Array(1000).fill(7)));
    }, [`${server.origin}/models/${MODEL}/${m.weights.file}`, m.weights.sha256]);
    await init(page, "w3", "cpu");
    const redone = await load(page, "w3", 3);
    assert.equal(redone.type, "loaded", JSON.stringify(redone));
    assert.equal(redone.from_cache, false, "a corrupt cache entry is not used");
    await init(page, "w4", "cpu");
    const recached = await load(page, "w4", 4);
    assert.equal(recached.from_cache, true, "the good weights replaced the corrupt entry");
  } finally {
    await context.close();
  }
});

test("cancel during a download answers cancelled, and the load's own answer never comes", { timeout: SLOW }, async () => {
  const { context, page } = await driverPage();
  try {
    let release;
    let reached;
    const held = new Promise((r) => (release = r));
    const requested = new Promise((r) => (reached = r));
    await context.route("**/models/*/weights.safetensors", async (route) => {
      reached();
      await held; // the download stays in flight until the test lets it go
      await route.continue().catch(() => {});
    });
    await init(page, "c", "cpu");
    await page.evaluate(() => window.aiSend("c", { type: "load", job: 1, model: "cxr-qc", base_url: "/models" }));
    await requested;
    await page.evaluate(() => window.aiSend("c", { type: "cancel", job: 1 }));
    const cancelled = await answer(page, "c", 1, 30_000);
    assert.equal(cancelled.type, "cancelled", JSON.stringify(cancelled));
    release();
    await page.waitForTimeout(3000);
    const after = (await messages(page, "c")).filter((m) => m.job === 1 && FINAL.includes(m.type));
    assert.deepEqual(after.map((m) => m.type), ["cancelled"], "exactly one final answer for the cancelled job");
    // The worker is still usable: the same model loads under a new job.
    await context.unrouteAll();
    const loaded = await load(page, "c", 2);
    assert.equal(loaded.type, "loaded", JSON.stringify(loaded));
  } finally {
    await context.close();
  }
});

/** A 512² CT-like slice in HU: air, an elliptic body (40 HU) with two lungs (−850 HU), a sternum and a spine (700 HU). */
function ctSlice(n = 512) {
  const hu = new Float32Array(n * n);
  const inside = (x, y, cx, cy, rx, ry) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const [u, v] = [x / n, y / n];
      let h = -1000;
      if (inside(u, v, 0.5, 0.5, 0.42, 0.3)) h = 40;
      if (inside(u, v, 0.33, 0.47, 0.13, 0.2) || inside(u, v, 0.67, 0.47, 0.13, 0.2)) h = -850;
      if (inside(u, v, 0.5, 0.24, 0.05, 0.02) || inside(u, v, 0.5, 0.72, 0.05, 0.05)) h = 700;
      hu[y * n + x] = h + ((x * 7 + y * 13) % 21) - 10;
    }
  }
  return { n, hu };
}

test("the CT segmentation model answers label maps whose label counts agree on WebGPU and the CPU (ties aside); cold and warm latency", { timeout: 3 * SLOW }, async () => {
  const m = await manifest("ct-chest-seg");
  const lung = m.outputs.findIndex((o) => o.name === "lung");
  const body = m.outputs.findIndex((o) => o.name === "body");
  const { n, hu } = ctSlice();
  const { context, page } = await driverPage();
  try {
    const answers = {};
    let job = 200;
    for (const [worker, backend] of [["gpu", "auto"], ["cpu", "cpu"]]) {
      await init(page, worker, backend);
      const loaded = await load(page, worker, job++, "ct-chest-seg");
      assert.equal(loaded.type, "loaded", JSON.stringify(loaded));
      assert.ok(loaded.selftest_max_diff < 1e-3, `self-test on ${worker}: ${loaded.selftest_max_diff}`);
      const times = [];
      let last;
      for (let i = 0; i < 3; i++) {
        const id = job++;
        // The display window (lung, inverted) must not matter: the model has its own fixed window.
        await page.evaluate(([worker, id, n, hu]) => {
          window.aiSend(worker, { type: "run", job: id, model: "ct-chest-seg", width: n, height: n,
            pixels: { kind: "modality", window: { center: -600, width: 1500, function: "Linear", explanation: null }, invert: true }, rules: false },
            Float32Array.from(hu));
        }, [worker, id, n, Array.from(hu)]);
        const a = await answer(page, worker, id);
        assert.equal(a.type, "segmentation", JSON.stringify(a));
        assert.equal(a.labels_len, n * n);
        assert.equal(a.counts.reduce((x, y) => x + y, 0), n * n);
        times.push(a.ms);
        answers[a.backend] = a;
        last = a;
      }
      segLatency[last.backend] = {
        load_ms: Math.round(loaded.ms), warm_up_ms: Math.round(loaded.warm_up_ms),
        first_run_ms: Math.round(times[0]), warm_run_ms: Math.round(Math.min(...times.slice(1))),
      };
    }
    const [gpu, cpu] = [answers["web-gpu"], answers.cpu];
    assert.ok(gpu && cpu, `answers from both backends: ${Object.keys(answers)}`);
    for (let c = 0; c < m.outputs.length; c++) {
      assert.ok(Math.abs(gpu.counts[c] - cpu.counts[c]) <= n * n * 0.001, `${m.outputs[c].name}: WebGPU ${gpu.counts[c]} vs CPU ${cpu.counts[c]} pixels`);
    }
    // The synthetic lungs are ≈ 2 × π · 0.13 · 0.2 of the slice; the model finds most of them, and the body.
    const lungArea = 2 * Math.PI * 0.13 * 0.2 * n * n;
    assert.ok(cpu.counts[lung] > 0.7 * lungArea && cpu.counts[lung] < 1.3 * lungArea, `lung ${cpu.counts[lung]} px vs ≈ ${Math.round(lungArea)}`);
    assert.ok(cpu.counts[body] > 0.2 * n * n, `body ${cpu.counts[body]} px`);
  } finally {
    await context.close();
  }
});
