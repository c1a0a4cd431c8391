// DICOM text comes from outside (modalities, other sites, uploads) and must reach the screen as text, never as
// markup: a study whose Patient Name and Study Description are HTML is stored with STOW-RS, and the study list and
// the study view (overlay, series panel, tag browser) must show those strings literally, create no element from
// them and load nothing they point to. Also: the interface follows the browser's language.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startLumen, launchBrowser, recordingPage } from "../harness.js";

let server;
let browser;
let work;

before(async () => {
  server = await startLumen();
  browser = await launchBrowser();
  work = mkdtempSync(path.join(tmpdir(), "lumen-e2e-untrusted-"));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Any one file of the demo archive. */
function anyDemoFile(dir = server.demo) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = anyDemoFile(p);
      if (found) return found;
    } else if (entry.name.endsWith(".dcm")) {
      return p;
    }
  }
  return undefined;
}

/** Stores one Part 10 file with STOW-RS (`multipart/related; type="application/dicom"`). */
async function stow(file) {
  const boundary = "lumen-e2e-boundary";
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
    readFileSync(file),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await fetch(`${server.origin}/dicom-web/studies`, {
    method: "POST",
    headers: {
      "Content-Type": `multipart/related; type="application/dicom"; boundary=${boundary}`,
      Accept: "application/dicom+json",
    },
    body,
  });
  assert.ok(res.ok, `STOW-RS answered ${res.status}: ${await res.text()}`);
}

// No "=" in the name: in a Person Name it separates component groups (PS3.5 6.2), so it would cut the value.
const hostileName = `<script>window.__pwned</script><b>Mallory</b>^Eve`;
const hostileDescription = `<img src="/pwned.png" onerror="window.__pwned=2"><b>bold</b>`;

test("HTML in DICOM text is shown as text, never interpreted", async () => {
  const source = anyDemoFile();
  assert.ok(source, "the demo archive has files");
  const file = path.join(work, "hostile.dcm");
  copyFileSync(source, file);
  // A new study (-gst -gse -gin: new Study/Series/SOP Instance UIDs) with hostile text.
  const mod = spawnSync(
    "dcmodify",
    ["-nb", "-gst", "-gse", "-gin", "-m", `(0010,0010)=${hostileName}`, "-m", `(0008,1030)=${hostileDescription}`, file],
    { encoding: "utf8" },
  );
  if (mod.error) throw new Error(`dcmodify (dcmtk) is needed to make the test file: ${mod.error.message}`);
  assert.equal(mod.status, 0, `dcmodify failed: ${mod.stderr}`);
  await stow(file);

  const { page, requests, errors } = await recordingPage(browser);
  await page.goto(`${server.origin}/?PatientName=${encodeURIComponent("<script>")}`);
  const row = page.locator('[data-testid="study-list"] tbody tr');
  await row.first().waitFor({ timeout: 30_000 });
  assert.equal(await row.count(), 1, "only the hostile study matches");

  assert.equal((await row.locator("td.patient-name").innerText()).trim(), `<script>window.__pwned</script><b>Mallory</b>, Eve`);
  assert.ok((await row.innerText()).includes(hostileDescription), "the description is shown literally");
  assert.equal(await page.locator('[data-testid="study-list"] img, [data-testid="study-list"] script, [data-testid="study-list"] b').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, "no injected script ran");

  // The same in the study view: the overlay, the series panel and the tag browser show the text literally.
  await row.first().click();
  await page.locator('[data-testid="viewport"] [data-testid="overlay-bl"]', { hasText: "Zoom" }).waitFor({ timeout: 60_000 });
  const topLeft = await page.locator('[data-testid="viewport"] .corner.tl').innerText();
  assert.ok(topLeft.includes(`<script>window.__pwned</script><b>Mallory</b>, Eve`), `overlay: ${topLeft}`);
  assert.ok((await page.locator('[data-testid="series-panel"] .series-study').innerText()).includes(hostileDescription));
  await page.keyboard.press("t");
  await page.locator('[data-testid="tag-search"]').fill("StudyDescription");
  assert.equal((await page.locator('.tag-row[data-tag="(0008,1030)"] .tag-value').innerText()).trim(), hostileDescription);
  const injected = '[data-testid="viewport"] img, [data-testid="viewport"] script, [data-testid="viewport"] b, ' +
    '.series-study img, .series-study b, [data-testid="tag-browser"] img, [data-testid="tag-browser"] b';
  assert.equal(await page.locator(injected).count(), 0, "no element made from DICOM text");
  assert.equal(await page.evaluate(() => window.__pwned), undefined, "no injected script ran");
  assert.ok(!requests.some((u) => u.includes("pwned")), "nothing the text points to was loaded");
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("the interface follows the browser's language", async () => {
  const context = await browser.newContext({ locale: "fr-FR" });
  const page = await context.newPage();
  await page.goto(`${server.origin}/`);
  await page.locator('[data-testid="study-list"] tbody tr').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.locator("h1").innerText(), "Examens");
  assert.match(await page.locator('[data-testid="result-count"]').innerText(), /^\d+ examens?$/);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "fr");
  await context.close();
});
