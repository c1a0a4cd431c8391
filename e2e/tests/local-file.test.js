// Opening DICOM files and folders from disk in a real browser: the files are read by decode workers (never on the
// page's thread, never uploaded), grouped into studies and series, and shown in the same GPU study view as an
// archive's studies.
// The JPEG 2000 case pins that openjp2 runs in wasm (its C allocator imports are provided by the libc shim): a
// demo MR image and its lossless JPEG 2000 re-encoding (made with GDCM's gdcmconv) must render identical pixels.
// A file that is not DICOM must give a readable error, not a crash. A file dropped onto the page (a real drop
// event carrying a DataTransfer built in the page from the file's bytes) opens the same way and is never uploaded.
// A chosen folder (the demo CT series plus a text file) opens as a stack: its pixels match the LINEAR window of the
// files' own values, it scrolls, and the text file is listed as not shown.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startLumen, launchBrowser, recordingPage, lumenBin } from "../harness.js";
import { dicomJson, gridMismatches, modalityValues, overlayText, seriesFiles, shot, shownWindow, waitForImage } from "../viewer-helpers.js";

let server;
let browser;
let session;
let work;

before(async () => {
  server = await startLumen();
  browser = await launchBrowser();
  session = await recordingPage(browser);
  work = mkdtempSync(path.join(tmpdir(), "lumen-e2e-local-"));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The first file of the first demo series whose `study/series` folder path contains `hint`. */
function demoFile(hint) {
  for (const study of readdirSync(server.demo, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    const studyDir = path.join(server.demo, study.name);
    for (const series of readdirSync(studyDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      if (!`${study.name}/${series.name}`.includes(hint)) continue;
      const files = readdirSync(path.join(studyDir, series.name)).filter((f) => f.endsWith(".dcm")).sort();
      if (files.length > 0) return path.join(studyDir, series.name, files[0]);
    }
  }
  throw new Error(`no demo series folder containing "${hint}" in ${server.demo}`);
}

const canvas = (page) => page.locator('[data-testid="viewport-canvas"]');
const viewport = (page) => page.locator('[data-testid="viewport"][data-index="0"]');

/** Chooses `file` in the "Open DICOM file…" picker and waits until the study view shows its image. */
async function openLocal(page, file) {
  await page.locator('[data-testid="open-local-file"]').setInputFiles(file);
  await page.waitForURL("**/local");
  await waitForImage(page);
}

/** The rendered image (overlays hidden) as raw RGBA bytes, with its size and value range. */
async function renderedPixels(page) {
  const s = await shot(canvas(page));
  let min = 255;
  let max = 0;
  const gray = [];
  for (let y = 0; y < s.height; y += 2) {
    for (let x = 0; x < s.width; x += 2) {
      const g = s.gray(x, y);
      gray.push(g);
      min = Math.min(min, g);
      max = Math.max(max, g);
    }
  }
  return { width: s.width, height: s.height, gray, min, max };
}

/** Requests among `sent` that carry a file: an upload, its bytes, or its SOP Instance UID. */
function carrying(sent, bytes, sop) {
  const head = bytes.subarray(132, 260);
  return sent
    .filter((r) => r.method === "POST" || r.method === "PUT" || (r.body && (r.body.includes(head) || r.body.includes(sop))) || r.url.includes(sop))
    .map((r) => `${r.method} ${r.url}`);
}

test("a JPEG 2000 file decodes in the browser to the same pixels as its uncompressed original", async () => {
  const { page, errors } = session;
  const original = demoFile("mr-brain/");
  const j2k = path.join(work, "mr-j2k.dcm");
  const conv = spawnSync("gdcmconv", ["--j2k", original, j2k], { encoding: "utf8" });
  if (conv.error) throw new Error(`gdcmconv is needed to make the JPEG 2000 file (apt install libgdcm-tools): ${conv.error.message}`);
  assert.equal(conv.status, 0, `gdcmconv --j2k failed: ${conv.stderr}`);
  const info = spawnSync(lumenBin, ["info", j2k], { encoding: "utf8" });
  assert.match(info.stdout, /1\.2\.840\.10008\.1\.2\.4\.90/, "gdcmconv wrote lossless JPEG 2000");

  const workers = [];
  page.on("worker", (w) => workers.push(w.url()));
  await page.goto(`${server.origin}/`);
  await openLocal(page, original);
  assert.ok(workers.some((u) => u.endsWith("/decode-worker.js")), `decoded in a decode worker (workers: ${workers})`);
  assert.match(await overlayText(page, "tr"), /\b1\/1\b/);
  const expected = await renderedPixels(page);
  assert.ok(expected.max > expected.min, `the original image is not blank (range ${expected.min}..${expected.max})`);

  await page.goto(`${server.origin}/`);
  await openLocal(page, j2k);
  await page.screenshot({ path: "/tmp/lumen-local-j2k.png" });
  const decoded = await renderedPixels(page);
  assert.equal(decoded.width, expected.width);
  assert.equal(decoded.height, expected.height);
  const differing = decoded.gray.filter((g, i) => g !== expected.gray[i]).length;
  assert.equal(differing, 0, "lossless JPEG 2000 renders the same pixels as the original");
  assert.deepEqual(errors, [], "no script errors (an unresolved import or a trap would show here)");
});

test("a file that is not DICOM shows why it cannot be displayed", async () => {
  const { page, errors } = session;
  const notDicom = path.join(work, "notes.dcm");
  writeFileSync(notDicom, "These are notes, not a DICOM file.\n");
  await page.goto(`${server.origin}/`);
  await page.locator('[data-testid="open-local-file"]').setInputFiles(notDicom);
  const panel = page.locator('[data-testid="local-file-error"]');
  await panel.waitFor({ timeout: 15_000 });
  assert.match(await panel.innerText(), /notes\.dcm/);
  assert.match(await panel.innerText(), /DICOM/i);
  assert.deepEqual(errors, [], "a bad file is an error message, not a crash");
});

test("a DICOM file dropped on the page is decoded in the browser and shown, and never uploaded", async () => {
  const { page, errors } = session;
  const file = demoFile("mr-brain/");
  const bytes = readFileSync(file);
  const sop = dicomJson(file)["00080018"]?.Value?.[0];
  assert.ok(sop, "the SOP Instance UID was read from the file, so the upload check means something");
  await page.goto(`${server.origin}/`);
  // The picker's rendering of the same file is the reference.
  await openLocal(page, file);
  const expected = await renderedPixels(page);
  await page.goto(`${server.origin}/`);
  await page.locator('[data-testid="study-list"]').waitFor();

  const sent = [];
  const onRequest = (req) => sent.push({ method: req.method(), url: req.url(), body: req.postDataBuffer() });
  page.on("request", onRequest);
  const dataTransfer = await page.evaluateHandle(({ b64, name }) => {
    const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([raw], name, { type: "application/dicom" }));
    return dt;
  }, { b64: bytes.toString("base64"), name: path.basename(file) });
  await page.dispatchEvent("main", "dragenter", { dataTransfer });
  await page.dispatchEvent("main", "dragover", { dataTransfer });
  await page.dispatchEvent("main", "drop", { dataTransfer });
  await page.waitForURL("**/local");
  await waitForImage(page);
  assert.equal(await viewport(page).getAttribute("data-sop-instance-uid"), sop, "the dropped file is the one shown");
  const dropped = await renderedPixels(page);
  page.off("request", onRequest);
  assert.equal(dropped.gray.filter((g, i) => g !== expected.gray[i]).length, 0, "the dropped file renders as when opened with the picker");
  assert.ok(dropped.max > dropped.min, "and the image is not blank");
  assert.deepEqual(carrying(sent, bytes, sop), [], "no request carries the file, its bytes or its SOP Instance UID");
  assert.deepEqual(errors, [], "no script errors");
});

test("a chosen folder opens as a stack with the right pixels; a stray file is listed, nothing is uploaded", async () => {
  const { page, errors } = session;
  const files = seriesFiles(server.demo, "ct-chest/01-");
  const folder = path.join(work, "from-cd", "SERIES1");
  mkdirSync(folder, { recursive: true });
  let n = 0;
  for (const file of files.values()) copyFileSync(file, path.join(folder, `IM${String(++n).padStart(4, "0")}`));
  writeFileSync(path.join(folder, "README.txt"), "Burned by the hospital's CD robot.\n");
  const [firstSop, firstFile] = [...files.entries()][0];

  await page.goto(`${server.origin}/`);
  const sent = [];
  const onRequest = (req) => sent.push({ method: req.method(), url: req.url(), body: req.postDataBuffer() });
  page.on("request", onRequest);
  await page.locator('[data-testid="open-local-folder"]').setInputFiles(path.join(work, "from-cd"));
  await page.waitForURL("**/local");
  await waitForImage(page);
  assert.match(await overlayText(page, "tr"), new RegExp(`\\b1/${files.size}\\b`), "every file of the series is in the stack");
  const skipped = page.locator('[data-testid="local-skipped"]');
  assert.match(await skipped.innerText(), /1/);
  await skipped.locator("summary").click();
  assert.match(await skipped.innerText(), /README\.txt/);

  // The picture is the LINEAR window of the shown file's own values.
  const check = async (label) => {
    const sop = await viewport(page).getAttribute("data-sop-instance-uid");
    const img = modalityValues(files.get(sop));
    const { width, center } = await shownWindow(page);
    const s = await shot(canvas(page), `/tmp/lumen-local-folder-${label}.png`);
    assert.deepEqual(gridMismatches(img, s, center, width), [], `${label}: screen pixels differ from the window of the file's values`);
    return sop;
  };
  const first = await check("first");
  await viewport(page).click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await page.waitForFunction(() => /\b3\//.test(document.querySelector('[data-testid="viewport"][data-index="0"] [data-testid="overlay-tr"]')?.innerText ?? ""));
  await waitForImage(page);
  const third = await check("third");
  assert.notEqual(third, first, "scrolling shows another slice");
  page.off("request", onRequest);
  assert.deepEqual(carrying(sent, readFileSync(firstFile), firstSop), [], "no request carries a file of the folder");
  assert.deepEqual(errors, [], "no script errors");
});
