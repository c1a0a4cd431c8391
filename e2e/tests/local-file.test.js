// Opening DICOM files from disk in a real browser: the wasm module decodes them itself (no server round trip), in a
// decode worker — never on the page's thread.
// The JPEG 2000 case pins that openjp2 runs in wasm (its C allocator imports are provided by the libc shim): a
// demo MR image and its lossless JPEG 2000 re-encoding (made with GDCM's gdcmconv) must paint identical pixels.
// A file that is not DICOM must give a readable error, not a crash. A file dropped onto the page (a real drop
// event carrying a DataTransfer built in the page from the file's bytes) opens the same way and is never uploaded.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startLumen, launchBrowser, recordingPage } from "../harness.js";
import { dicomJson } from "../viewer-helpers.js";

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

/** Chooses `file` in the "Open DICOM file…" picker and waits until its facts show `transferSyntaxUid`. */
async function openLocal(page, file, transferSyntaxUid) {
  await page.locator('[data-testid="open-local-file"]').setInputFiles(file);
  await page.waitForURL("**/local");
  await page.locator('[data-testid="local-file-facts"]', { hasText: transferSyntaxUid }).waitFor({ timeout: 30_000 });
}

/** Size, SHA-256 and value range of the painted canvas pixels. */
async function paintedPixels(page) {
  return page.locator('[data-testid="local-image"]').evaluate(async (canvas) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    const digest = await crypto.subtle.digest("SHA-256", data);
    let min = 255;
    let max = 0;
    for (let i = 0; i < data.length; i += 4) {
      min = Math.min(min, data[i]);
      max = Math.max(max, data[i]);
    }
    const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    return { width: canvas.width, height: canvas.height, hash, min, max };
  });
}

test("a JPEG 2000 file decodes in the browser to the same pixels as its uncompressed original", async () => {
  const { page, errors } = session;
  const original = demoFile("mr-brain/");
  const j2k = path.join(work, "mr-j2k.dcm");
  const conv = spawnSync("gdcmconv", ["--j2k", original, j2k], { encoding: "utf8" });
  if (conv.error) throw new Error(`gdcmconv is needed to make the JPEG 2000 file (apt install libgdcm-tools): ${conv.error.message}`);
  assert.equal(conv.status, 0, `gdcmconv --j2k failed: ${conv.stderr}`);

  const workers = [];
  page.on("worker", (w) => workers.push(w.url()));
  await page.goto(`${server.origin}/`);
  await openLocal(page, original, "1.2.840.10008.1.2.1");
  assert.ok(workers.some((u) => u.endsWith("/decode-worker.js")), `decoded in a decode worker (workers: ${workers})`);
  const expected = await paintedPixels(page);
  assert.ok(expected.width > 0 && expected.height > 0, "the original was painted");
  assert.ok(expected.max > expected.min, `the original image is not blank (range ${expected.min}..${expected.max})`);

  await openLocal(page, j2k, "1.2.840.10008.1.2.4.90");
  const decoded = await paintedPixels(page);
  assert.deepEqual(decoded, expected, "lossless JPEG 2000 paints the same pixels as the original");
  await page.screenshot({ path: "/tmp/lumen-local-j2k.png" });
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
  await page.goto(`${server.origin}/`);
  // The picker's rendering of the same file is the reference.
  await openLocal(page, file, "1.2.840.10008.1.2.1");
  const expected = await paintedPixels(page);
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
  await page.locator('[data-testid="local-file-facts"]', { hasText: path.basename(file) }).waitFor({ timeout: 30_000 });
  const dropped = await paintedPixels(page);
  page.off("request", onRequest);
  assert.deepEqual(dropped, expected, "the dropped file paints the same pixels as when opened with the picker");
  assert.ok(dropped.max > dropped.min, "and the image is not blank");

  const head = bytes.subarray(128, 256);
  const carrying = sent.filter(
    (r) => r.method === "POST" || r.method === "PUT" || (r.body && (r.body.includes(head) || (sop && r.body.includes(sop)))) || (sop && r.url.includes(sop)),
  );
  assert.deepEqual(carrying.map((r) => `${r.method} ${r.url}`), [], "no request carries the file, its bytes or its SOP Instance UID");
  assert.ok(sop, "the SOP Instance UID was read from the file, so the check above means something");
  assert.deepEqual(errors, [], "no script errors");
});
