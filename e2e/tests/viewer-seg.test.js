// CT segmentation in the reading flow, end to end, on the demo CT served by `lumen serve`: the AI panel lists the
// chest CT segmentation model (models/ct-chest-seg, a 2D U-Net trained on Lumen's synthetic phantom) for the CT;
// "Run" segments the slice shown in the AI worker on WebGPU (SwiftShader), with the same label map the native run
// (`lumen ai --labels-out`, burn Flex) gives except on ties; the overlay tints the lungs blue and the body orange
// on the rendered image, follows the visibility/opacity controls; "Segment every slice" labels the whole series
// with progress and can be cancelled part-way; "Save segmentation to archive" stores a DICOM Segmentation
// (STOW-RS) that dcmdump reads with one segment per label; reopening the study shows the stored segmentation over its slices without running the model.
// The CPU backend gives the same label map; "Segment the series on the Lumen server" has the server pull the
// pixels and store its own SEG, shown like a stored one. Nothing is requested from another origin.
// The 3D model (models/ct-chest-seg3d, `runs_on: server-or-browser`) runs on the server by default and, when the
// reader picks "this browser", in the AI worker block by block (progress, cancel), with the server's label maps
// on every slice except ties (≥ 99.9% agreement), the lungs tinted blue, and its SEG saved from the browser.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startLumen, launchBrowser, recordingPage, lumenBin, qidoStudies } from "../harness.js";
import { waitForImage, shot, settle, seriesFiles, fittedScreen } from "../viewer-helpers.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MODEL = "ct-chest-seg";
const manifest = JSON.parse(readFileSync(path.join(repo, "models", MODEL, "manifest.json"), "utf8"));
const LUNG = manifest.outputs.findIndex((o) => o.name === "lung");
const BODY = manifest.outputs.findIndex((o) => o.name === "body");

let server;
let browser;
let session;
let ct;

before(async () => {
  server = await startLumen();
  browser = await launchBrowser();
  session = await recordingPage(browser);
  const studies = await qidoStudies(server.origin);
  const study = studies.find((s) => (s["00080061"]?.Value ?? []).includes("CT"))["0020000D"].Value[0];
  ct = { study, files: seriesFiles(server.demo, "ct-chest/01-") };
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const viewport = (page) => page.locator('[data-testid="viewport"][data-index="0"]');
const card = (page) => page.locator(`[data-testid="ai-model"][data-model="${MODEL}"]`);

const nativeCache = new Map();

/** `lumen ai FILE --model models/ct-chest-seg --labels-out …`: the native result and its label map (once per file). */
function native(file) {
  if (!nativeCache.has(file)) nativeCache.set(file, runNative(file));
  return nativeCache.get(file);
}

function runNative(file) {
  const out = path.join(server.demo, `labels-${path.basename(file)}.bin`);
  const r = spawnSync(lumenBin, ["ai", file, "--model", path.join(repo, "models", MODEL), "--labels-out", out], {
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`lumen ai failed: ${r.stderr}`);
  return { ...JSON.parse(r.stdout), map: readFileSync(out) };
}

async function openCt(page) {
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${ct.study}`);
  await waitForImage(page);
  // Segmentation does not open the panel by itself: the reader asks for it.
  if ((await page.locator('[data-testid="ai-panel"]').count()) === 0) await page.locator('[data-action="ai"]').click();
  await card(page).waitFor({ timeout: 30_000 });
}

/** Moves to the slice with the most lung (by the native label maps), returns { sop, file, nat }. */
async function goToLungSlice(page) {
  let best = null;
  for (const [sop, file] of ct.files) {
    const nat = native(file);
    if (!best || nat.counts[LUNG] > best.nat.counts[LUNG]) best = { sop, file, nat };
  }
  await viewport(page).click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("Home");
  for (let i = 0; i < ct.files.size; i++) {
    if ((await viewport(page).getAttribute("data-sop-instance-uid")) === best.sop) break;
    await page.keyboard.press("ArrowDown");
    await page.waitForTimeout(100);
  }
  assert.equal(await viewport(page).getAttribute("data-sop-instance-uid"), best.sop, "reached the slice with most lung");
  await waitForImage(page);
  return best;
}

/** Pixel counts per label the panel shows for the current slice. */
async function shownCounts(page) {
  const items = card(page).locator('[data-testid="seg-legend"] li');
  await items.first().waitFor();
  const rows = await items.evaluateAll((els) => els.map((e) => [e.getAttribute("data-label"), e.getAttribute("data-pixels")]));
  return Object.fromEntries(rows.map(([k, v]) => [k, v === "" ? null : Number(v)]));
}

function assertSameCounts(got, nat, what) {
  const total = nat.width * nat.height;
  manifest.outputs.forEach((o, i) => {
    if (i === 0) return;
    assert.ok(got[o.name] !== null, `${what}: no count shown for ${o.name}`);
    // Identical label maps except on ties: allow a handful of pixels.
    assert.ok(Math.abs(got[o.name] - nat.counts[i]) <= Math.max(2, total * 0.001),
      `${what}: ${o.name} ${got[o.name]} pixels in the browser vs ${nat.counts[i]} natively`);
  });
}

/** Interior pixels of label `label` in a native label map (all 8 neighbours the same label). */
function interior(nat, label) {
  const { width: w, height: h, map } = nat;
  const out = [];
  for (let r = 2; r < h - 2; r++) {
    for (let c = 2; c < w - 2; c++) {
      let ok = true;
      for (let dr = -2; dr <= 2 && ok; dr++) for (let dc = -2; dc <= 2 && ok; dc++) if (map[(r + dr) * w + c + dc] !== label) ok = false;
      if (ok) out.push({ c, r });
    }
  }
  return out;
}

/** Mean (B − R) over the screen positions of `pixels` in a screenshot of the fitted viewport. */
function blueness(img, pixels, nat) {
  let sum = 0;
  for (const { c, r } of pixels) {
    const { x, y } = fittedScreen(c, r, nat.width, nat.height, img.width, img.height);
    const [R, , B] = img.rgb(x, y);
    sum += B - R;
  }
  return sum / pixels.length;
}

let lungSlice;

/**
 * Retrieves SEG instance `uid` of the CT's study from the archive and checks it with dcmdump: a Segmentation with
 * one segment per foreground output of `outputs` and at least `minFrames` frames. Returns false when dcmdump is
 * not installed (outside CI).
 */
async function checkStoredSeg(uid, outputs, minFrames, name) {
  const series = await (await fetch(`${server.origin}/dicom-web/studies/${ct.study}/series`, { headers: { Accept: "application/dicom+json" } })).json();
  const segs = series.filter((s) => s["00080060"]?.Value?.[0] === "SEG");
  assert.ok(segs.length > 0, "a SEG series in the study");
  let res = null;
  for (const seg of segs) {
    const r = await fetch(`${server.origin}/dicom-web/studies/${ct.study}/series/${seg["0020000E"].Value[0]}/instances/${uid}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"' },
    });
    if (r.status === 200) res = r;
  }
  assert.ok(res, `SEG instance ${uid} retrieved from the archive`);
  const body = Buffer.from(await res.arrayBuffer());
  const start = body.indexOf(Buffer.from("DICM")) - 128;
  const boundary = /boundary="?([^";]+)"?/.exec(res.headers.get("content-type"))[1];
  const end = body.indexOf(Buffer.from(`\r\n--${boundary}`), start);
  const file = path.join(server.demo, name);
  writeFileSync(file, body.subarray(start, end));
  const dump = spawnSync("dcmdump", ["+P", "0008,0016", "+P", "0062,0005", "+P", "0028,0008", file], { encoding: "utf8" });
  if (dump.error) {
    // CI installs dcmtk: there, a missing dcmdump is a failure, not a skip.
    assert.ok(!process.env.CI, `dcmdump not available in CI: ${dump.error.message}`);
    console.log(`dcmdump not available (${dump.error.message}): the SEG was not checked with dcmtk`);
    return false;
  }
  assert.equal(dump.status, 0, dump.stderr);
  assert.match(dump.stdout, /SegmentationStorage/);
  for (const o of outputs.slice(1)) assert.match(dump.stdout, new RegExp(`\\[${o.display}\\]`), `segment ${o.display}`);
  const frames = Number(/\(0028,0008\) IS \[(\d+)\]/.exec(dump.stdout)?.[1]);
  assert.ok(frames >= minFrames, `one frame per segment and slice that holds it (${frames} frames, at least ${minFrames})`);
  return true;
}

test("the CT segmentation runs on the slice shown, as natively, and the overlay tints the lungs and the body", async () => {
  const { page } = session;
  await openCt(page);
  lungSlice = await goToLungSlice(page);
  const nat = lungSlice.nat;
  assert.ok(nat.counts[LUNG] > 0 && nat.counts[BODY] > 0, "the native run finds lung and body on this slice");
  const before = await shot(viewport(page));
  await card(page).locator('[data-action="ai-run"]').click();
  await card(page).locator('[data-testid="seg-done"]').waitFor({ timeout: 240_000 });
  assertSameCounts(await shownCounts(page), nat, "WebGPU");
  assert.match(await card(page).innerText(), /WebGPU/);
  await settle(page);
  const after = await shot(viewport(page));
  const lung = interior(nat, LUNG);
  const body = interior(nat, BODY);
  assert.ok(lung.length > 20 && body.length > 20, "enough interior lung and body pixels to sample");
  // Lung is dark and grey before; the blue overlay (70,150,240) at 40% lifts B well above R.
  assert.ok(Math.abs(blueness(before, lung, nat)) < 3, "no tint before the model ran");
  assert.ok(blueness(after, lung, nat) > 40, `lungs tinted blue (B−R ${blueness(after, lung, nat).toFixed(1)})`);
  // Body is orange (230,180,60): R above B.
  assert.ok(blueness(after, body, nat) < -40, `body tinted orange (B−R ${blueness(after, body, nat).toFixed(1)})`);
  // Hiding the lung label leaves the lungs untinted; hiding the overlay restores the image exactly.
  await card(page).locator(`[data-testid="seg-legend"] li[data-label="lung"] input`).uncheck();
  await settle(page);
  assert.ok(Math.abs(blueness(await shot(viewport(page)), lung, nat)) < 3, "the lung label hidden");
  await card(page).locator(`[data-testid="seg-legend"] li[data-label="lung"] input`).check();
  await card(page).locator('[data-testid="seg-shown"]').uncheck();
  await settle(page);
  const hidden = await shot(viewport(page));
  assert.ok(Math.abs(blueness(hidden, lung, nat) - blueness(before, lung, nat)) < 1, "overlay off: the image as before");
  await card(page).locator('[data-testid="seg-shown"]').check();
});

let savedUid;

test("every slice is segmented with progress (cancel stops it part-way), and the segmentation is saved as a DICOM SEG that dcmdump reads", async () => {
  const { page } = session;
  const progress = card(page).locator('[data-testid="seg-progress"]');
  const total = ct.files.size;
  const attr = async (name) => Number(await progress.getAttribute(name));
  // Started, then cancelled part-way: the runs stop and the count stays.
  await card(page).locator('[data-action="seg-series"]').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="seg-progress"]')?.getAttribute("data-done")) >= 3, null, { timeout: 300_000 });
  await card(page).locator('[data-action="seg-cancel"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="seg-progress"]')?.getAttribute("data-busy") === "0", null, { timeout: 60_000 });
  const stopped = await attr("data-done");
  assert.ok(stopped < total, `cancelled before the end (${stopped} of ${total})`);
  await page.waitForTimeout(3000);
  assert.equal(await attr("data-done"), stopped, "nothing ran after the cancel");
  // Started again: it finishes the rest.
  await card(page).locator('[data-action="seg-series"]').click();
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="seg-progress"]')?.getAttribute("data-done") === String(n),
    total,
    { timeout: 600_000 },
  );
  assert.equal(await progress.getAttribute("data-total"), String(total));
  await card(page).locator('[data-action="seg-save"]').click();
  const stored = card(page).locator('[data-testid="seg-stored"]');
  await stored.waitFor({ timeout: 60_000 });
  savedUid = await stored.getAttribute("data-seg-uid");
  await checkStoredSeg(savedUid, manifest.outputs, total, "retrieved-seg.dcm");
});

test("reopening the study shows the stored segmentation over its slices without running the model", async () => {
  const { context } = session;
  const page = await context.newPage();
  await openCt(page);
  await card(page).locator(`[data-testid="seg-stored"][data-seg-uid="${savedUid}"]`).waitFor({ timeout: 60_000 });
  await goToLungSlice(page);
  const counts = await shownCounts(page);
  assertSameCounts(counts, lungSlice.nat, "stored SEG");
  await settle(page);
  const nat = lungSlice.nat;
  assert.ok(blueness(await shot(viewport(page)), interior(nat, LUNG), nat) > 40, "the stored lungs are tinted blue");
  assert.equal(await card(page).locator('[data-testid="seg-done"]').count(), 0, "the model did not run");
  await page.close();
});

test("the CPU backend gives the same label map, and no request left Lumen's origin", async () => {
  const { context, requests, errors } = session;
  const page = await context.newPage();
  await page.goto(`${server.origin}/`);
  await page.evaluate(() => localStorage.setItem("lumen.ai.backend", "cpu"));
  await openCt(page);
  await viewport(page).click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("End");
  await waitForImage(page);
  const sop = await viewport(page).getAttribute("data-sop-instance-uid");
  const nat = native(ct.files.get(sop));
  // The stored segmentation is shown; the reader may still run the model afresh.
  await card(page).locator('[data-action="ai-run"]').click();
  await card(page).locator('[data-testid="seg-done"]').waitFor({ timeout: 240_000 });
  assert.match(await card(page).innerText(), /CPU/);
  assertSameCounts(await shownCounts(page), nat, "CPU");
  await page.close();
  const foreign = requests.filter((u) => !u.startsWith(server.origin) && !u.startsWith("data:") && !u.startsWith("blob:"));
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
});

test("the series segmented on the Lumen server: progress, a second SEG in the archive, shown like a stored one", async () => {
  const { context } = session;
  const page = await context.newPage();
  await openCt(page);
  await card(page).locator(`[data-testid="seg-stored"][data-seg-uid="${savedUid}"]`).waitFor({ timeout: 60_000 });
  await card(page).locator('[data-action="seg-server"]').click();
  // The server's job reports progress, then its SEG is read back from the archive and listed.
  await page.waitForFunction(
    (saved) => [...document.querySelectorAll('[data-testid="seg-stored"]')].some((e) => e.getAttribute("data-seg-uid") !== saved),
    savedUid,
    { timeout: 300_000 },
  );
  assert.equal(await card(page).locator('[data-testid="seg-server-error"]').count(), 0);
  const series = await (await fetch(`${server.origin}/dicom-web/studies/${ct.study}/series`, { headers: { Accept: "application/dicom+json" } })).json();
  const segSeries = series.filter((s) => s["00080060"]?.Value?.[0] === "SEG").length;
  assert.ok(segSeries >= 2, `two SEG series in the study (the browser's and the server's), found ${segSeries}`);
  const serverUid = await page.evaluate(
    (saved) => [...document.querySelectorAll('[data-testid="seg-stored"]')].map((e) => e.getAttribute("data-seg-uid")).find((u) => u !== saved),
    savedUid,
  );
  // The server ran the same model natively: the slice with most lung shows the server's SEG, with the native
  // label counts.
  await goToLungSlice(page);
  await page.waitForFunction(
    (src) => document.querySelector('[data-testid="seg-legend"]')?.getAttribute("data-source") === src,
    `seg:${serverUid}`,
    { timeout: 30_000 },
  );
  assertSameCounts(await shownCounts(page), lungSlice.nat, "server SEG");
  await page.close();
});

const card3d = (page) => page.locator('[data-testid="ai-model"][data-model="ct-chest-seg3d"]');
const MANIFEST_3D = JSON.parse(readFileSync(path.join(repo, "models", "ct-chest-seg3d", "manifest.json"), "utf8"));

/** Label counts (name → pixels) the 3D card's legend shows for the current slice once they come from `source`. */
async function counts3d(page, source) {
  await page.waitForFunction(
    (src) => document.querySelector('[data-model="ct-chest-seg3d"] [data-testid="seg-legend"]')?.getAttribute("data-source") === src,
    source,
    { timeout: 30_000 },
  );
  const rows = await card3d(page).locator('[data-testid="seg-legend"] li').evaluateAll((els) => els.map((e) => [e.getAttribute("data-label"), Number(e.getAttribute("data-pixels"))]));
  return Object.fromEntries(rows);
}

/** The 3D card's label counts on every slice (SOP Instance UID → counts), from the first slice down. */
async function countsPerSlice(page, source) {
  const out = new Map();
  await viewport(page).click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("Home");
  for (let i = 0; i < ct.files.size; i++) {
    if (i > 0) {
      await page.keyboard.press("ArrowDown");
      await page.waitForTimeout(100);
    }
    out.set(await viewport(page).getAttribute("data-sop-instance-uid"), await counts3d(page, source));
  }
  assert.equal(out.size, ct.files.size, "every slice visited");
  return out;
}

/** The server's 3D label counts per slice (filled by the server test, compared by the browser test). */
let server3d;

test("a 3D model runs on the server by default: the whole series labelled as one volume, stored as a SEG, shown over the lungs", async () => {
  const { context } = session;
  const page = await context.newPage();
  await openCt(page);
  const card3d = page.locator('[data-testid="ai-model"][data-model="ct-chest-seg3d"]');
  await card3d.waitFor({ timeout: 30_000 });
  // A model for either place, preferring the server: the choice says server, no per-slice run, no "every slice",
  // no browser run while the server is chosen.
  assert.equal(MANIFEST_3D.runs_on, "server-or-browser");
  assert.equal(await card3d.locator('[data-testid="seg-place"]').inputValue(), "server");
  assert.equal(await card3d.locator('[data-testid="seg-server-only"]').count(), 0);
  assert.equal(await card3d.locator('[data-action="ai-run"]').count(), 0);
  assert.equal(await card3d.locator('[data-action="seg-series"]').count(), 0);
  assert.equal(await card3d.locator('[data-action="seg-volume"]').count(), 0);
  const before = await card3d.locator('[data-testid="seg-stored"]').count();
  await card3d.locator('[data-action="seg-server"]').click();
  // Progress counts the instances, then the volume's blocks.
  await card3d.locator('[data-testid="seg-server-progress"]').waitFor({ timeout: 30_000 });
  await card3d.locator('[data-testid="seg-stored"]').nth(before).waitFor({ timeout: 600_000 });
  assert.equal(await card3d.locator('[data-testid="seg-server-error"]').count(), 0);
  const uid = await card3d.locator('[data-testid="seg-stored"]').nth(before).getAttribute("data-seg-uid");
  // On the slice with most lung the 3D model's label map is shown: lung where the 2D model finds lung.
  const slice = await goToLungSlice(page);
  await page.waitForFunction(
    (src) => document.querySelector('[data-model="ct-chest-seg3d"] [data-testid="seg-legend"]')?.getAttribute("data-source") === src,
    `seg:${uid}`,
    { timeout: 30_000 },
  );
  const rows = await card3d.locator('[data-testid="seg-legend"] li').evaluateAll((els) => els.map((e) => [e.getAttribute("data-label"), Number(e.getAttribute("data-pixels"))]));
  const counts = Object.fromEntries(rows);
  const lung2d = slice.nat.counts[LUNG];
  assert.ok(Math.abs(counts.lung - lung2d) < 0.25 * lung2d, `3D lung ${counts.lung} pixels vs 2D ${lung2d} on the same slice`);
  await settle(page);
  const nat = slice.nat;
  assert.ok(blueness(await shot(viewport(page)), interior(nat, LUNG), nat) > 40, "the 3D model's lungs are tinted blue");
  server3d = { uid, counts: await countsPerSlice(page, `seg:${uid}`) };
  await page.close();
});

test("a 3D model in this browser: block by block with progress and cancel, the server's label maps, the lungs tinted, its SEG saved", async () => {
  assert.ok(server3d, "the server test ran first");
  const { context } = session;
  const page = await context.newPage();
  const seen = [];
  page.on("console", (m) => seen.push(m.text()));
  await openCt(page);
  const card = card3d(page);
  await card.waitFor({ timeout: 30_000 });
  await card.locator('[data-testid="seg-place"]').selectOption("browser");
  assert.equal(await card.locator('[data-action="seg-server"]').count(), 0, "the server run is hidden while the browser is chosen");
  const before = await card.locator('[data-testid="seg-stored"]').count();
  const progress = card.locator('[data-testid="seg-volume-progress"]');
  const attr = async (name) => Number(await progress.getAttribute(name));
  // Started (as soon as every slice is loaded), then cancelled after the first block.
  const start = async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      await card.locator('[data-action="seg-volume"]').click();
      const error = card.locator('[data-testid="seg-volume-error"]');
      await page.waitForTimeout(300);
      if ((await error.count()) === 0) return;
      const text = await error.innerText();
      assert.match(text, /not loaded yet/, "the only refusal for the demo CT is slices still loading");
      assert.ok(Date.now() < deadline, `the series never finished loading: ${text}`);
      await page.waitForTimeout(1000);
    }
  };
  await start();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="seg-volume-progress"]')?.getAttribute("data-done")) >= 1, null, { timeout: 600_000 });
  const total = await attr("data-total");
  assert.equal(total, 8, "the demo CT's 92 × 119 × 119 grid is 2 × 2 × 2 blocks of 64³");
  await card.locator('[data-action="seg-volume-cancel"]').click();
  await card.locator('[data-action="seg-volume"]').waitFor({ timeout: 10_000 });
  await page.waitForTimeout(5000);
  assert.equal(await card.locator('[data-testid="seg-volume-done"]').count(), 0, "nothing finished after the cancel");
  assert.equal(await card.locator('[data-action="seg-save"]').count(), 0, "no label maps to save after the cancel");
  // Started again: every block, then every slice's label map.
  await start();
  const t0 = Date.now();
  await card.locator('[data-testid="seg-volume-done"]').waitFor({ timeout: 900_000 });
  const done = card.locator('[data-testid="seg-volume-done"]');
  assert.equal(await done.getAttribute("data-blocks"), "8");
  assert.equal(await done.getAttribute("data-slices"), String(ct.files.size));
  console.log(`ct-chest-seg3d in the browser: ${await done.innerText()} (${((Date.now() - t0) / 1000).toFixed(1)} s from the click, model load included)`);
  assert.equal(await card.locator('[data-testid="seg-volume-error"]').count(), 0);
  // WebGPU here is SwiftShader, a software rasteriser: the worker runs 3D models on its CPU backend instead.
  assert.match(await done.innerText(), /^CPU ·/, "a 3D model on a software WebGPU adapter runs on the CPU backend");
  // The same label maps as the server's on every slice, except ties: ≥ 99.9% of the pixels agree (compared by
  // the pixels of each label, per slice).
  const browser = await countsPerSlice(page, "ct-chest-seg3d");
  let differing = 0;
  let pixels = 0;
  for (const [sop, got] of browser) {
    const want = server3d.counts.get(sop);
    assert.ok(want, `the server labelled slice ${sop}`);
    for (const o of MANIFEST_3D.outputs.slice(1)) differing += Math.abs(got[o.name] - want[o.name]);
    pixels += 96 * 96;
  }
  assert.ok(differing <= 0.001 * pixels, `${differing} of ${pixels} pixels differ from the server's label maps`);
  // The lungs tinted blue on the slice with most lung.
  const slice = await goToLungSlice(page);
  const lung = (await counts3d(page, "ct-chest-seg3d")).lung;
  assert.ok(Math.abs(lung - slice.nat.counts[LUNG]) < 0.25 * slice.nat.counts[LUNG], `3D lung ${lung} pixels vs 2D ${slice.nat.counts[LUNG]}`);
  await settle(page);
  assert.ok(blueness(await shot(viewport(page)), interior(slice.nat, LUNG), slice.nat) > 40, "the browser's 3D lungs are tinted blue");
  // Saved from the browser as the 2D whole-series segmentation is: a SEG in the archive that dcmdump reads.
  await card.locator('[data-action="seg-save"]').click();
  await card.locator('[data-testid="seg-stored"]').nth(before).waitFor({ timeout: 60_000 });
  assert.equal(await card.locator('[data-testid="ai-save-error"]').count(), 0);
  const uids = await card.locator('[data-testid="seg-stored"]').evaluateAll((els) => els.map((e) => e.getAttribute("data-seg-uid")));
  const saved = uids.find((u) => u !== server3d.uid && u !== savedUid);
  assert.ok(saved, `a new SEG listed (${uids})`);
  await checkStoredSeg(saved, MANIFEST_3D.outputs, ct.files.size, "retrieved-seg3d.dcm");
  await page.close();
});
