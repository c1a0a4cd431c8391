// Progressive retrieval of HTJ2K frames over a slow network: the demo's 1800×2000 12-bit radiograph and a CT slice
// of the full demo (`lumen demo`), re-encoded losslessly by `ojph_compress -prog_order RPCL` as .202 ("HTJ2K
// Lossless RPCL", e2e/htj2k-write.js), are served by `lumen serve --dicom-dir` (Orthanc 1.10 / DICOMweb 1.7, the
// Debian packages, answer 500 "Unknown transfer syntax" to a frame request for a .202 instance, so this test
// cannot use it). With Chromium's network throttled by CDP (30 Mbit/s, 10 ms latency) the viewer draws a
// reduced-resolution preview of the radiograph while its frame arrives — the page's log of presented images
// (`window.__lumenPresented`) holds previews leaving out resolution levels, coarse to fine, before the frame
// itself — and then the frame, whose rendered pixels equal the display model of the file's own values (decoded by
// `lumen decode`, the non-progressive path): the preview is not kept. Each frame is fetched once (the series
// thumbnail shares the viewport's request). Times to the first preview and to the full
// image (after the frame was asked for) go to target/e2e/progressive.json. Skipped without OpenJPH's tools.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startLumen, launchBrowser, recordingPage, lumenBin } from "../harness.js";
import { modalityValues, gridMismatches, shot, shownWindow, waitForImage } from "../viewer-helpers.js";
import { haveOpenJph, writeHtj2k } from "../htj2k-write.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const skip = haveOpenJph() ? false : "ojph_compress (Debian openjph-tools) is not installed";

let full; // the full demo (`lumen demo`), or LUMEN_DEMO_FULL
let server;
let browser;
const files = {}; // name → { file, sop, study, bytes }
const results = {};

before(async () => {
  if (skip) return;
  full = process.env.LUMEN_DEMO_FULL;
  if (!full) {
    full = mkdtempSync(path.join(tmpdir(), "lumen-e2e-demo-full-"));
    const r = spawnSync(lumenBin, ["demo", "--out", full], { encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) throw new Error(`lumen demo failed: ${r.stderr}`);
  }
  server = await startLumen({
    prepare: (demo) => {
      // Only the HTJ2K copies: the small demo's studies carry the same UIDs as the full demo's.
      for (const entry of readdirSync(demo)) rmSync(path.join(demo, entry), { recursive: true, force: true });
      const dir = path.join(demo, "htj2k");
      mkdirSync(dir);
      for (const [name, src] of [
        ["dx", "dx-chest/01-pa-monochrome2/0001.dcm"],
        ["ct", "ct-chest/01-axial-1.25mm-explicit-le/0110.dcm"],
      ]) {
        const file = path.join(dir, `${name}.dcm`);
        files[name] = { file, ...writeHtj2k(path.join(full, src), file, { order: "RPCL" }) };
      }
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (full && !process.env.LUMEN_DEMO_FULL) rmSync(full, { recursive: true, force: true });
  if (Object.keys(results).length) {
    const out = path.join(repo, "target", "e2e");
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, "progressive.json"), JSON.stringify(results, null, 2));
  }
});

/** A page whose network (the decode workers' fetches included) is throttled to `mbits` Mbit/s and 10 ms. */
async function throttledPage(mbits) {
  const session = await recordingPage(browser);
  const cdp = await session.context.newCDPSession(session.page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 10,
    downloadThroughput: (mbits * 1e6) / 8,
    uploadThroughput: (mbits * 1e6) / 8,
  });
  return session;
}

/**
 * Opens `name`'s study throttled and waits for its full image. Returns the log of presented images of its frame
 * (`ms`: milliseconds after the frame was asked for) and its frame requests (`sent`, `done` in the same time).
 */
async function openThrottled(name) {
  const { sop, study } = files[name];
  const session = await throttledPage(30);
  const { page } = session;
  // The decode workers' fetches show up on the page (Chromium routes them through it, throttled alike).
  const frameRequests = [];
  page.on("request", (r) => {
    if (r.url().includes(`/instances/${sop}/frames/`)) frameRequests.push({ request: r, sent: Date.now() });
  });
  page.on("requestfinished", (r) => {
    const entry = frameRequests.find((e) => e.request === r);
    if (entry) entry.done = Date.now();
  });
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${study}`);
  await waitForImage(page, 0, 120_000);
  await page.waitForFunction(
    (sop) => (window.__lumenPresented ?? []).some((e) => e.sop === sop && e.levels === 0),
    sop,
    { timeout: 60_000 },
  );
  const { origin, list } = await page.evaluate((sop) => ({
    origin: performance.timeOrigin,
    list: (window.__lumenPresented ?? []).filter((e) => e.sop === sop),
  }), sop);
  // Once: the series' thumbnail shares the viewport's request for its one frame.
  assert.equal(frameRequests.length, 1, "the frame was fetched once");
  const t0 = frameRequests[0].sent;
  const presented = list.map((e) => ({ ...e, ms: Math.round(origin + e.ms - t0) }));
  const requests = frameRequests.map((e) => ({ sent: e.sent - t0, done: e.done === undefined ? null : e.done - t0 }));
  return { session, presented, requests };
}

test("a throttled HTJ2K RPCL radiograph shows reduced-resolution previews, then exactly the full frame", { skip }, async () => {
  const { session, presented, requests } = await openThrottled("dx");
  const { page, errors } = session;
  const fullAt = presented.findIndex((e) => e.levels === 0);
  const previews = presented.slice(0, fullAt);
  assert.ok(previews.length >= 1, `a preview was drawn before the full image: ${JSON.stringify(presented)}`);
  for (let i = 1; i < previews.length; i++) {
    assert.ok(previews[i].levels < previews[i - 1].levels, `previews get finer: ${JSON.stringify(previews)}`);
  }
  assert.ok(previews[0].ms < presented[fullAt].ms);
  assert.equal(presented.length, fullAt + 1, "nothing drawn for the frame after the full image");
  // The preview is gone: the viewport shows the frame (no preview attribute, no cue).
  const vp = page.locator('[data-testid="viewport"][data-index="0"]');
  assert.equal(await vp.getAttribute("data-preview"), null);
  assert.equal(await page.locator('[data-testid="frame-preview"]').count(), 0);
  // The rendered picture is the frame's, as the non-progressive path decodes it.
  const img = modalityValues(files.dx.file);
  const { width, center } = await shownWindow(page);
  const s = await shot(page.locator('[data-testid="viewport-canvas"]'), "/tmp/lumen-progressive-dx.png");
  assert.deepEqual(gridMismatches(img, s, center, width), [], "screen pixels differing from the LINEAR window of the file's values");
  assert.deepEqual(errors, []);
  results.dx = {
    codestream_bytes: files.dx.bytes,
    mbit_s: 30,
    latency_ms: 10,
    frame_requests: requests,
    first_preview_ms: previews[0].ms,
    first_preview_levels_left_out: previews[0].levels,
    previews: previews.map((p) => ({ ms: p.ms, levels: p.levels })),
    full_ms: presented[fullAt].ms,
  };
  await session.context.close();
});

test("a throttled HTJ2K RPCL CT slice ends in the same full frame", { skip }, async () => {
  const { session, presented, requests } = await openThrottled("ct");
  const fullAt = presented.findIndex((e) => e.levels === 0);
  const img = modalityValues(files.ct.file);
  const { width, center } = await shownWindow(session.page);
  const s = await shot(session.page.locator('[data-testid="viewport-canvas"]'), "/tmp/lumen-progressive-ct.png");
  assert.deepEqual(gridMismatches(img, s, center, width), []);
  results.ct = {
    codestream_bytes: files.ct.bytes,
    mbit_s: 30,
    latency_ms: 10,
    frame_requests: requests,
    previews: presented.slice(0, fullAt).map((p) => ({ ms: p.ms, levels: p.levels })),
    full_ms: presented[fullAt].ms,
  };
  await session.context.close();
});
