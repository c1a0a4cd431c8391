// The study view against a real PACS: the harness starts Orthanc with its DICOMweb plugin on loopback (free ports,
// empty temporary storage), loads the small demo into it through Orthanc's REST API (`POST /instances`), and runs
// `lumen serve --pacs <Orthanc's DICOMweb root>`; Chromium talks only to Lumen, which proxies to Orthanc. Checked:
// the patient-name search finds the demo CT; opening it hangs the largest CT series and its first image renders
// with the PS3.3 C.11.2.1.2.1 LINEAR window of the file's own values (read with `lumen decode`, not through the app);
// the arrow keys move to the expected slice (Instance Number); the tag browser shows a known value; the OHIF-style
// URL hangs the named series (RLE Lossless; and the Big Endian and Deflated ones, whose frames Orthanc only serves
// uncompressed); no origin other than Lumen's is contacted and no script error occurs.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { startLumen, startOrthanc, writeDemo, launchBrowser, recordingPage, qidoStudies, patientName, displayedName } from "../harness.js";
import { dicomJson, modalityValues, seriesFiles, gridMismatches, shot, settle, overlayText, shownWindow, waitForImage } from "../viewer-helpers.js";

let demo;
let orthanc;
let server;
let browser;
let session;
let ct; // { study, name, series (largest first), main, files: Map sop → file }

before(async () => {
  demo = writeDemo();
  orthanc = await startOrthanc(demo);
  server = await startLumen({ pacs: orthanc.dicomWeb });
  browser = await launchBrowser();
  session = await recordingPage(browser);
  const studies = await qidoStudies(server.origin);
  const ctStudy = studies.find((s) => (s["00080061"]?.Value ?? []).includes("CT"));
  assert.ok(ctStudy, "Orthanc lists the demo CT through Lumen's proxy");
  const study = ctStudy["0020000D"].Value[0];
  const res = await fetch(`${server.origin}/dicom-web/studies/${study}/series`, { headers: { Accept: "application/dicom+json" } });
  const series = await res.json();
  series.sort((a, b) => (b["00201209"]?.Value?.[0] ?? 0) - (a["00201209"]?.Value?.[0] ?? 0));
  ct = { study, name: patientName(ctStudy), series, main: series[0]["0020000E"].Value[0], files: seriesFiles(demo, "ct-chest/01-") };
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await orthanc?.stop();
  if (demo) rmSync(demo, { recursive: true, force: true });
});

const canvas = (page) => page.locator('[data-testid="viewport-canvas"]');
const viewport = (page) => page.locator('[data-testid="viewport"][data-index="0"]');

/** The demo file viewport 0 shows, by its SOP Instance UID. */
async function shownFile(page) {
  const sop = await viewport(page).getAttribute("data-sop-instance-uid");
  const file = ct.files.get(sop);
  assert.ok(file, `the displayed SOP Instance UID ${sop} is a file of the demo CT`);
  return file;
}

/** The rendered picture against the LINEAR window shown in the overlay, on a 17×17 grid of screen pixels. */
async function checkPixels(page, label) {
  const img = modalityValues(await shownFile(page));
  const { width, center } = await shownWindow(page);
  const s = await shot(canvas(page), `/tmp/lumen-orthanc-${label}.png`);
  assert.deepEqual(gridMismatches(img, s, center, width), [], `${label}: screen pixels differing from the LINEAR window of the file's values`);
}

test("the patient-name search finds the demo CT stored in Orthanc", async () => {
  const { page } = session;
  // The family-name prefix, lower case: the app asks for `demo*` with fuzzy matching, which Orthanc honours
  // case-insensitively. (A `^` in the search reaches Orthanc percent-encoded, which it does not decode: see README.)
  const family = ct.name.split("^")[0];
  const matching = await qidoStudies(orthanc.dicomWeb.replace(/\/dicom-web\/$/, ""), { PatientName: `${family}*` });
  assert.ok(matching.length >= 1);
  await page.goto(`${server.origin}/`);
  await page.fill('input[type="search"]', "zzz-no-such-patient");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="study-list"] tbody tr[data-study-uid]').length === 0);
  await page.fill('input[type="search"]', family.toLowerCase());
  const row = page.locator(`[data-testid="study-list"] tbody tr[data-study-uid="${ct.study}"]`);
  await row.waitFor({ timeout: 15_000 });
  assert.ok((await row.innerText()).includes(displayedName(ct.name)), "the row shows the patient's name");
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="study-list"] tbody tr[data-study-uid]').length === n, matching.length);
});

test("opening it hangs the largest CT series and the first image renders with the LINEAR window", async () => {
  const { page } = session;
  await page.locator(`[data-testid="study-list"] tbody tr[data-study-uid="${ct.study}"]`).click();
  await page.waitForURL(/\/viewer\?StudyInstanceUIDs=/);
  await waitForImage(page);
  assert.equal(await viewport(page).getAttribute("data-series-uid"), ct.main);
  assert.match(await overlayText(page, "tr"), new RegExp(`\\b1/${ct.files.size}\\b`));
  await checkPixels(page, "first");
  await viewport(page).click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("2");
  await settle(page);
  assert.deepEqual(await shownWindow(page), { width: 400, center: 40 });
  await checkPixels(page, "mediastinum");
});

test("the arrow keys move to the expected slice and it renders", async () => {
  const { page } = session;
  const n = ct.files.size;
  await page.keyboard.press("Home");
  assert.match(await overlayText(page, "tr"), new RegExp(`\\b1/${n}\\b`));
  const first = Number(dicomJson(await shownFile(page))["00200013"]?.Value?.[0]);
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  assert.match(await overlayText(page, "tr"), new RegExp(`\\b3/${n}\\b`));
  await waitForImage(page);
  const third = Number(dicomJson(await shownFile(page))["00200013"]?.Value?.[0]);
  assert.equal(Math.abs(third - first), 2, `two steps from Instance Number ${first} lead to ${first + 2} (or ${first - 2}), shown ${third}`);
  await checkPixels(page, "third");
});

test("the tag browser shows the Patient ID stored in Orthanc", async () => {
  const { page } = session;
  await page.keyboard.press("t");
  const panel = page.locator('[data-testid="tag-browser"]');
  await panel.waitFor();
  await page.locator('[data-testid="tag-search"]').fill("PatientID");
  const row = panel.locator('.tag-row[data-tag="(0010,0020)"]');
  await row.waitFor();
  assert.equal((await row.locator(".tag-value").innerText()).trim(), "LUMEN-CT-0001");
  await page.locator('[data-testid="tag-browser"] .tag-head button').click();
});

test("the OHIF-style launch URL hangs the requested series: the RLE Lossless one, rendered right", async () => {
  const { page } = session;
  // Orthanc answers frames of the RLE Lossless series in whatever syntax it negotiates; the picture must still be
  // the file's own values through the window.
  const rle = ct.series.find((s) => /RLE/.test(s["0008103E"]?.Value?.[0] ?? ""));
  assert.ok(rle, "the demo CT has an RLE Lossless series");
  const uid = rle["0020000E"].Value[0];
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${ct.study}&SeriesInstanceUIDs=${uid}`);
  await waitForImage(page);
  assert.equal(await viewport(page).getAttribute("data-series-uid"), uid);
  assert.match(await overlayText(page, "tr"), new RegExp(`\\b1/${rle["00201209"].Value[0]}\\b`));
  const files = seriesFiles(demo, "ct-chest/05-");
  const sop = await viewport(page).getAttribute("data-sop-instance-uid");
  assert.ok(files.has(sop), `the displayed SOP Instance UID ${sop} is a file of the RLE series`);
  const img = modalityValues(files.get(sop));
  const { width, center } = await shownWindow(page);
  const s = await shot(canvas(page), "/tmp/lumen-orthanc-rle.png");
  assert.deepEqual(gridMismatches(img, s, center, width), [], "RLE series: screen pixels differing from the LINEAR window");
});

test("Big Endian and Deflated series render although Orthanc cannot send their frames as stored", async () => {
  // Orthanc's DICOMweb plugin answers 500 to `transfer-syntax=*` for these: the viewer asks again for the
  // default (Explicit VR Little Endian) frames, and the pixels must still be the file's values through the window.
  const { page } = session;
  for (const [pattern, folder] of [[/Big Endian/, "ct-chest/03-"], [/Deflated/, "ct-chest/04-"]]) {
    const series = ct.series.find((s) => pattern.test(s["0008103E"]?.Value?.[0] ?? ""));
    assert.ok(series, `the demo CT has a ${pattern} series`);
    const uid = series["0020000E"].Value[0];
    await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${ct.study}&SeriesInstanceUIDs=${uid}`);
    await waitForImage(page);
    assert.equal(await viewport(page).getAttribute("data-series-uid"), uid);
    const files = seriesFiles(demo, folder);
    const sop = await viewport(page).getAttribute("data-sop-instance-uid");
    assert.ok(files.has(sop), `the displayed SOP Instance UID ${sop} is a file of ${folder}`);
    const img = modalityValues(files.get(sop));
    const { width, center } = await shownWindow(page);
    const s = await shot(canvas(page), `/tmp/lumen-orthanc-${folder.slice(-3, -1)}.png`);
    assert.deepEqual(gridMismatches(img, s, center, width), [], `${pattern}: screen pixels differing from the LINEAR window`);
  }
});

test("nothing but Lumen's origin was contacted and no script error occurred", async () => {
  const { requests, errors } = session;
  const foreign = requests.filter((u) => !u.startsWith(server.origin) && !u.startsWith("data:") && !u.startsWith("blob:"));
  assert.deepEqual(foreign, [], "only Lumen's own origin (never Orthanc's)");
  assert.ok(requests.some((u) => u.startsWith(`${server.origin}/dicom-web/`)), "the images came through Lumen's DICOMweb proxy");
  assert.deepEqual(errors, [], "no script errors");
});
