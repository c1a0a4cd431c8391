// The study view in a real browser on the demo archive (WebGPU on SwiftShader): the demo CT opens from the study
// list and its first image renders; rendered pixels, read from screenshots, match the PS3.3 C.11.2.1.2.1 LINEAR
// window applied to the file's own Hounsfield units (read with `lumen decode`, not through the app) — air black,
// the contrast-filled aorta (~200 HU) the expected gray — for a preset, a W/L drag and another preset; stack
// scroll moves the image index; flip and 1:1 change where pixels land as they should; the tag browser shows a
// known value; the OHIF-style URL hangs the named series; the ultrasound cine advances; only Lumen's origin is
// contacted. Time to first image (navigation start → first presented frame) goes to target/e2e/ttfi.json.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startLumen, launchBrowser, recordingPage, qidoStudies } from "../harness.js";
import {
  modalityValues,
  seriesFiles,
  linearGray,
  interiorPixels,
  fittedScreen,
  modelGray,
  gridMismatches,
  shot,
  settle,
  overlayText,
  shownWindow,
  waitForImage,
} from "../viewer-helpers.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
let server;
let browser;
let session;
let ct; // { study, series (main), files: Map sop → file }

async function seriesOf(origin, study) {
  const res = await fetch(`${origin}/dicom-web/studies/${study}/series`, { headers: { Accept: "application/dicom+json" } });
  return res.json();
}

before(async () => {
  server = await startLumen();
  browser = await launchBrowser();
  session = await recordingPage(browser);
  const studies = await qidoStudies(server.origin);
  const ctStudy = studies.find((s) => (s["00080061"]?.Value ?? []).includes("CT"));
  const study = ctStudy["0020000D"].Value[0];
  const series = await seriesOf(server.origin, study);
  series.sort((a, b) => (b["00201209"]?.Value?.[0] ?? 0) - (a["00201209"]?.Value?.[0] ?? 0));
  ct = { study, series, main: series[0]["0020000E"].Value[0], files: seriesFiles(server.demo, "ct-chest/01-") };
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const canvas = (page) => page.locator('[data-testid="viewport-canvas"]');
const viewport = (page, i = 0) => page.locator(`[data-testid="viewport"][data-index="${i}"]`);

/** The stored values of the image viewport 0 shows. */
async function shownImage(page) {
  const sop = await viewport(page).getAttribute("data-sop-instance-uid");
  const file = ct.files.get(sop);
  assert.ok(file, `the displayed SOP Instance UID ${sop} is a file of the demo CT`);
  return modalityValues(file);
}

/** Scrolls viewport 0 with the arrow keys to the slice with the most aorta (interior pixels 150..260 HU). */
async function goToAortaSlice(page) {
  let best = null;
  for (const [sop, file] of ct.files) {
    const img = modalityValues(file);
    const n = interiorPixels(img, 180, 230).length;
    if (!best || n > best.n) best = { sop, n };
  }
  assert.ok(best.n > 0, "the demo CT has a slice with contrast-filled aorta");
  await viewport(page).click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("Home");
  for (let i = 0; i < 40; i++) {
    if ((await viewport(page).getAttribute("data-sop-instance-uid")) === best.sop) break;
    await page.keyboard.press("ArrowDown");
  }
  assert.equal(await viewport(page).getAttribute("data-sop-instance-uid"), best.sop);
  await waitForImage(page);
}

/** Checks air (a corner pixel) and an aorta pixel against the window shown in the overlay. */
async function checkPixels(page, label) {
  const img = await shownImage(page);
  const { width, center } = await shownWindow(page);
  const s = await shot(canvas(page), `/tmp/lumen-viewer-${label}.png`);
  const aorta = interiorPixels(img, 180, 230);
  assert.ok(aorta.length > 0, "aorta pixels on this slice");
  const checks = [{ c: 1, r: 1, hu: img.hu[1 * img.columns + 1], what: "air" }, { ...aorta[Math.floor(aorta.length / 2)], what: "aorta" }];
  for (const p of checks) {
    const { x, y, zoom } = fittedScreen(p.c, p.r, img.columns, img.rows, s.width, s.height);
    const [X, Y] = [Math.floor(x), Math.floor(y)];
    const want = modelGray(img, X, Y, { W: s.width, H: s.height, zoom }, center, width);
    const got = s.gray(X, Y);
    assert.ok(Math.abs(got - want) <= 2, `${label}: ${p.what} near pixel (${p.c},${p.r}) ${p.hu} HU in W ${width} L ${center}: expected gray ${want}, rendered ${got}`);
  }
  // And the whole picture: a 17×17 grid of screen pixels over the image against the model.
  const bad = gridMismatches(img, s, center, width);
  assert.deepEqual(bad, [], `${label}: screen pixels differing from the LINEAR window of the file's values`);
  return { img, s, aorta: checks[1] };
}

test("the demo CT opens from the study list and its first image renders", async () => {
  const { page, errors } = session;
  await page.goto(`${server.origin}/`);
  const row = page.locator(`[data-testid="study-list"] tbody tr[data-study-uid="${ct.study}"]`);
  await row.click();
  await page.waitForURL(/\/viewer\?StudyInstanceUIDs=/);
  await waitForImage(page);
  assert.equal(await viewport(page).getAttribute("data-series-uid"), ct.main, "the largest CT series is hung");
  const tr = await overlayText(page, "tr");
  assert.match(tr, new RegExp(`\\b1/${ct.files.size}\\b`));
  const backend = (await page.locator('[data-testid="gpu-backend"]').innerText()).trim();
  assert.equal(backend, "GPU · webgpu");
  // The whole series loads in the background (the thumbnail's frame counted too), and its item says so.
  await page.waitForFunction(
    ({ uid, n }) => document.querySelector(`[data-testid="series-item"][data-series-uid="${uid}"]`)?.dataset.loaded === `${n}/${n}`,
    { uid: ct.main, n: ct.files.size },
    { timeout: 60_000 },
  );
  // The series panel lists every series with a thumbnail rendered in the browser.
  await page.locator('[data-testid="series-item"] img').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('[data-testid="series-item"]').count(), ct.series.length);
  await page.screenshot({ path: "/tmp/lumen-viewer-ct.png" });
  assert.deepEqual(errors, [], "no script errors");
});

test("rendered pixels follow the mediastinum window: air black, aorta the LINEAR-window gray", async () => {
  const { page } = session;
  await goToAortaSlice(page);
  await page.keyboard.press("2");
  await settle(page);
  assert.deepEqual(await shownWindow(page), { width: 400, center: 40 });
  const { s, img, aorta } = await checkPixels(page, "mediastinum");
  const { x, y } = fittedScreen(1, 1, img.columns, img.rows, s.width, s.height);
  assert.equal(s.gray(x, y), 0, "air is black in the mediastinum window");
  assert.ok(Math.abs(linearGray(aorta.hu, 40, 400) - 230) <= 20, "the aorta is bright gray");
});

test("a W/L drag changes the window and the pixels as the LINEAR rule says", async () => {
  const { page } = session;
  const before = await shownWindow(page);
  const box = await viewport(page).boundingBox();
  const x0 = box.x + box.width / 2;
  const y0 = box.y + box.height / 2;
  await page.mouse.move(x0, y0);
  await page.mouse.down({ button: "right" });
  await page.mouse.move(x0 + 60, y0 + 40, { steps: 6 });
  await page.mouse.up({ button: "right" });
  await settle(page);
  const after = await shownWindow(page);
  assert.ok(after.width > before.width, `dragging right widens the window (${before.width} → ${after.width})`);
  assert.ok(after.center > before.center, `dragging down raises the centre (${before.center} → ${after.center})`);
  await checkPixels(page, "wl-drag");
});

test("choosing the lung preset applies W 1500 L -600 to the pixels", async () => {
  const { page } = session;
  const select = page.locator('[data-testid="preset"]');
  const lung = await select.locator("option", { hasText: /^Lung / }).getAttribute("value");
  await select.selectOption(lung);
  await settle(page);
  assert.deepEqual(await shownWindow(page), { width: 1500, center: -600 });
  await checkPixels(page, "lung");
});

test("stack scroll: arrow keys, the wheel and the scrollbar move to the expected slice", async () => {
  const { page } = session;
  const n = ct.files.size;
  await page.keyboard.press("Home");
  assert.match(await overlayText(page, "tr"), new RegExp(`\\b1/${n}\\b`));
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  assert.match(await overlayText(page, "tr"), new RegExp(`\\b3/${n}\\b`));
  const box = await viewport(page).boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, 120);
  await page.waitForFunction((want) => document.querySelector('[data-testid="overlay-tr"]')?.innerText.includes(want), `4/${n}`);
  await page.locator('[data-testid="scrollbar"]').fill("9");
  await page.waitForFunction((want) => document.querySelector('[data-testid="overlay-tr"]')?.innerText.includes(want), `10/${n}`);
  await waitForImage(page);
});

test("flip horizontal mirrors the picture and 1:1 shows one image pixel per screen pixel", async () => {
  const { page } = session;
  await goToAortaSlice(page);
  await page.keyboard.press("2");
  await settle(page);
  const { img, s, aorta } = await checkPixels(page, "before-flip");
  await page.locator('[data-action="flip-h"]').click();
  await settle(page);
  const flipped = await shot(canvas(page), "/tmp/lumen-viewer-flipped.png");
  // After a horizontal flip, column c appears where column (columns-1-c) was.
  const m = fittedScreen(img.columns - 1 - aorta.c, aorta.r, img.columns, img.rows, s.width, s.height);
  const [MX, MY] = [Math.floor(m.x), Math.floor(m.y)];
  const wantFlipped = modelGray(img, MX, MY, { W: s.width, H: s.height, zoom: m.zoom, flipH: true }, 40, 400);
  assert.ok(Math.abs(flipped.gray(MX, MY) - wantFlipped) <= 2, `the aorta moved to its mirror position: ${wantFlipped} expected, ${flipped.gray(MX, MY)} rendered`);
  assert.ok(Math.abs(wantFlipped - linearGray(aorta.hu, 40, 400)) <= 12, "and it is the aorta's gray there");
  await page.locator('[data-action="flip-h"]').click();
  // 1:1 with pixelated display (S): one image pixel per screen pixel, each the exact gray of its pixel.
  await page.locator('[data-action="actual-size"]').click();
  await page.keyboard.press("s");
  assert.equal(await page.locator('[data-action="smooth"]').getAttribute("aria-pressed"), "false");
  await settle(page);
  const one = await shot(canvas(page), "/tmp/lumen-viewer-1to1.png");
  for (const [dx, dy] of [[0, 0], [5, 3], [-7, 2]]) {
    const X = Math.floor(one.width / 2) + dx;
    const Y = Math.floor(one.height / 2) + dy;
    // With an odd viewport size, screen pixel centres fall on image pixel edges: either side is right.
    const view = { W: one.width, H: one.height, zoom: 1, smooth: false };
    const wants = [0, -0.001].flatMap((ex) => [0, -0.001].map((ey) => modelGray(img, X + ex, Y + ey, view, 40, 400)));
    const got = one.gray(X, Y);
    assert.ok(wants.some((w) => Math.abs(got - w) <= 2), `1:1 pixel (${X},${Y}): expected one of ${wants}, rendered ${got}`);
  }
  assert.equal(one.gray(Math.floor(one.width / 2) + img.columns, Math.floor(one.height / 2)), 0, "outside the 96-pixel image is black");
  await page.keyboard.press("s");
  assert.match(await overlayText(page, "bl"), /Zoom 1\.00×/);
  await page.locator('[data-action="fit"]').click();
});

test("the tag browser shows the current image's attributes and finds a tag by name", async () => {
  const { page } = session;
  await page.keyboard.press("t");
  const browserPanel = page.locator('[data-testid="tag-browser"]');
  await browserPanel.waitFor();
  await page.locator('[data-testid="tag-search"]').fill("PatientID");
  const row = browserPanel.locator('.tag-row[data-tag="(0010,0020)"]');
  await row.waitFor();
  assert.equal((await row.locator(".tag-value").innerText()).trim(), "LUMEN-CT-0001");
  await page.screenshot({ path: "/tmp/lumen-viewer-tags.png" });
  await page.locator('[data-testid="tag-browser"] .tag-head button').click();
});

test("the pixel probe shows the stored value and the HU of the pixel under the cursor", async () => {
  const { page } = session;
  await page.locator('[data-action="fit"]').click();
  await settle(page);
  const img = await shownImage(page);
  const box = await canvas(page).boundingBox();
  const aorta = interiorPixels(img, 180, 230)[0] ?? { c: 48, r: 48, hu: img.hu[48 * img.columns + 48] };
  const { x, y } = fittedScreen(aorta.c, aorta.r, img.columns, img.rows, box.width, box.height);
  await page.mouse.move(box.x + x, box.y + y);
  const want = `(${aorta.c}, ${aorta.r}) SV ${aorta.hu + 1024} ${aorta.hu} HU`;
  await page.waitForFunction((w) => document.querySelector('[data-testid="overlay-bl"]')?.innerText.replace(/\s+/g, " ").includes(w), want, { timeout: 5000 })
    .catch(async () => assert.fail(`probe shows "${await overlayText(page, "bl")}", expected "${want}"`));
});

test("orientation markers come from the image plane and follow a flip", async () => {
  const { page } = session;
  const left = page.locator('[data-testid="viewport"][data-index="0"] [data-testid="marker-left"]');
  const right = page.locator('[data-testid="viewport"][data-index="0"] [data-testid="marker-right"]');
  // Axial, head first supine: the patient's right is on the screen's left.
  assert.equal(await left.innerText(), "R");
  assert.equal(await right.innerText(), "L");
  await page.locator('[data-action="flip-h"]').click();
  assert.equal(await left.innerText(), "L");
  await page.locator('[data-action="flip-h"]').click();
  assert.equal(await left.innerText(), "R");
  // A quarter turn clockwise brings the anterior side (top) to the right.
  await page.locator('[data-action="rotate"]').click();
  assert.equal(await right.innerText(), "A");
  assert.equal(await left.innerText(), "P");
  await page.keyboard.press("Escape");
  assert.equal(await left.innerText(), "R");
  assert.match(await page.locator('[data-testid="scale-bar"]').innerText(), /^\d+ (cm|mm)$/);
});

test("? opens the keyboard shortcuts, which list the CT window keys", async () => {
  const { page } = session;
  await page.keyboard.press("?");
  const help = page.locator('[data-testid="help"]');
  await help.waitFor();
  assert.match(await help.innerText(), /lung, mediastinum, abdomen, bone, brain/);
  await help.getByRole("button").click();
  assert.equal(await help.count(), 0);
});

test("layout 1×2: a series dragged onto the second viewport loads there; a click loads into the active one", async () => {
  const { page } = session;
  await page.locator('[data-layout="1×2"]').click();
  assert.equal(await page.locator('[data-testid="viewport"]').count(), 2);
  const items = page.locator('[data-testid="series-item"]');
  const second = await items.nth(1).getAttribute("data-series-uid");
  await items.nth(1).dragTo(viewport(page, 1));
  await waitForImage(page, 1);
  assert.equal(await viewport(page, 1).getAttribute("data-series-uid"), second);
  // Its overlay follows the fitted view of its own size: markers, scale bar, a zoom other than the 1.00 default.
  await viewport(page, 1).locator('[data-testid="marker-left"]', { hasText: "R" }).waitFor({ timeout: 5000 });
  await viewport(page, 1).locator('[data-testid="scale-bar"]').waitFor({ timeout: 5000 });
  assert.doesNotMatch(await overlayText(page, "bl", 1), /Zoom 1\.00×/);
  assert.equal(await viewport(page, 0).getAttribute("data-series-uid"), ct.main, "the first viewport keeps its series");
  const third = await items.nth(2).getAttribute("data-series-uid");
  await viewport(page, 1).click({ position: { x: 5, y: 5 } });
  await items.nth(2).click();
  await waitForImage(page, 1);
  assert.equal(await viewport(page, 1).getAttribute("data-series-uid"), third);
  await page.screenshot({ path: "/tmp/lumen-viewer-1x2.png" });
  await page.locator('[data-layout="1×1"]').click();
});

test("radiographs hang one image per viewport", async () => {
  const { page } = session;
  const studies = await qidoStudies(server.origin);
  const dx = studies.find((s) => (s["00080061"]?.Value ?? []).includes("DX"))["0020000D"].Value[0];
  const series = await seriesOf(server.origin, dx);
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${dx}`);
  await waitForImage(page, 0);
  await waitForImage(page, 1);
  assert.equal(await page.locator('[data-layout="1×2"]').getAttribute("aria-pressed"), "true");
  const shownSeries = [await viewport(page, 0).getAttribute("data-series-uid"), await viewport(page, 1).getAttribute("data-series-uid")];
  assert.deepEqual(shownSeries.sort(), series.map((s) => s["0020000E"].Value[0]).sort());
  await page.screenshot({ path: "/tmp/lumen-viewer-dx.png" });
});

test("the OHIF-style launch URL hangs the requested series", async () => {
  const { page } = session;
  const other = ct.series[ct.series.length - 1]["0020000E"].Value[0];
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${ct.study}&SeriesInstanceUIDs=${other}`);
  await waitForImage(page);
  assert.equal(await viewport(page).getAttribute("data-series-uid"), other);
  const count = ct.series[ct.series.length - 1]["00201209"].Value[0];
  assert.match(await overlayText(page, "tr"), new RegExp(`\\b1/${count}\\b`));
});

test("the ultrasound cine plays: the frame index advances on its own", async () => {
  const { page } = session;
  const studies = await qidoStudies(server.origin);
  const us = studies.find((s) => (s["00080061"]?.Value ?? []).includes("US"))["0020000D"].Value[0];
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${us}`);
  await waitForImage(page);
  assert.equal(await page.locator('[data-action="cine"]').getAttribute("aria-pressed"), "true");
  const seen = new Set();
  const deadline = Date.now() + 8000;
  while (Date.now() < deadline && seen.size < 4) {
    const m = /(\d+)\/(\d+)/.exec(await overlayText(page, "tr"));
    if (m) seen.add(m[1]);
    await page.waitForTimeout(150);
  }
  assert.ok(seen.size >= 4, `cine showed frames ${[...seen].join(", ")}`);
  // The rate comes from the file: Frame Time (0018,1063) 33.3 ms → 30 fps; the reader can change it.
  assert.match(await overlayText(page, "br"), /Cine 30 fps/);
  await page.locator('[data-testid="fps"]').fill("5");
  await page.locator('[data-testid="fps"]').press("Enter");
  await page.waitForFunction(() => document.querySelector('[data-testid="overlay-br"]')?.innerText.includes("Cine 5 fps"));
  await viewport(page).click({ position: { x: 5, y: 5 } });
  await page.keyboard.press(" ");
  assert.equal(await page.locator('[data-action="cine"]').getAttribute("aria-pressed"), "false");
});

test("time to first image is recorded, and nothing but Lumen's origin was contacted", async () => {
  const { page, requests, errors } = session;
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${ct.study}`);
  await waitForImage(page);
  const ttfi = await page.evaluate(() => window.__lumenFirstImageMs);
  assert.ok(ttfi > 0);
  const out = path.join(repo, "target", "e2e");
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, "ttfi.json"),
    JSON.stringify({ series: "demo CT (small), WebGPU on SwiftShader", time_to_first_image_ms: Math.round(ttfi), measured: new Date().toISOString() }, null, 2) + "\n",
  );
  const foreign = requests.filter((u) => !u.startsWith(server.origin) && !u.startsWith("data:") && !u.startsWith("blob:"));
  assert.deepEqual(foreign, [], "only Lumen's own origin");
  assert.deepEqual(errors, [], "no script errors");
});
