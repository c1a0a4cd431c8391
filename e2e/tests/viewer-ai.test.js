// AI in the reading flow, end to end: held-out chest films of ../shared/data/cxr-pneumonia (test split) wrapped
// into DICOM DX studies — upright, turned 90° clockwise, and with inverted grey levels — served by `lumen serve`.
// Opening a study shows the AI panel by itself; the QC model (models/cxr-qc) and the pneumonia triage model
// (models/cxr-pneumonia) run in the AI worker on WebGPU (SwiftShader) and give the probabilities the native run
// (`lumen ai`, burn Flex) gives within 1e-3; a rotated or inverted film gets the matching badge, and its
// "Correct the display" button makes the viewport show what the upright film shows (compared on screenshots). The
// CPU backend (`lumen.ai.backend` = cpu) gives the same numbers. "Save to archive" stores the triage result as a
// DICOM SR (STOW-RS) that dsrdump reads, and reopening the study shows it. Nothing is requested from another origin.
//
// Skipped, with a message, when ../shared/data is absent (the films are not in the repository).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";
import { startLumen, launchBrowser, recordingPage, lumenBin } from "../harness.js";
import { waitForImage, shot, settle } from "../viewer-helpers.js";
import { writeRadiograph } from "../dicom-write.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const data = process.env.LUMEN_CXR_DATA ?? path.join(repo, "..", "shared", "data", "cxr-pneumonia");
const haveData = existsSync(path.join(data, "labels.csv"));
const skip = haveData ? false : `no training data at ${data} (../shared/data is not in the repository)`;

// A film of the held-out test split (labels.csv split = test), chosen when the test was written.
const FILM = "img_0023.png";

let server;
let browser;
let session;
const studies = {};

function film() {
  const png = PNG.sync.read(readFileSync(path.join(data, FILM)));
  const px = new Uint8Array(png.width * png.height);
  for (let i = 0; i < px.length; i++) px[i] = png.data[i * 4];
  return { width: png.width, height: png.height, px };
}

/** Turned 90° clockwise: the top row becomes the right column. */
function rotate90(f) {
  const out = new Uint8Array(f.px.length);
  for (let y = 0; y < f.height; y++) for (let x = 0; x < f.width; x++) out[x * f.height + (f.height - 1 - y)] = f.px[y * f.width + x];
  return { width: f.height, height: f.width, px: out };
}

function prepare(demo) {
  const dir = path.join(demo, "ai-films");
  mkdirSync(dir, { recursive: true });
  const f = film();
  const variants = {
    upright: f,
    rotated: rotate90(f),
    inverted: { ...f, px: f.px.map((v) => 255 - v) },
  };
  for (const [name, v] of Object.entries(variants)) {
    const file = path.join(dir, `${name}.dcm`);
    const uids = writeRadiograph(file, {
      rows: v.height, columns: v.width, pixels: v.px, seed: `lumen-e2e-ai-${name}`,
      patientName: `QC^${name.toUpperCase()}`, patientId: `AI-${name}`, description: `AI test film (${name})`,
    });
    studies[name] = { ...uids, file };
  }
}

/** `lumen ai FILE --model models/ID`: the native outputs. */
function native(file, id) {
  const r = spawnSync(lumenBin, ["ai", file, "--model", path.join(repo, "models", id)], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`lumen ai failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The probabilities the panel shows for model `id`, once its result is there: `{ label: p }`. */
async function shown(page, id, timeout = 180_000) {
  const card = page.locator(`[data-testid="ai-model"][data-model="${id}"]`);
  await card.locator('[data-testid="ai-probability"]').first().waitFor({ timeout });
  const rows = await card.locator('[data-testid="ai-probability"]').evaluateAll((els) =>
    els.map((e) => [e.getAttribute("data-label"), Number(e.getAttribute("data-probability"))]));
  return Object.fromEntries(rows);
}

function assertClose(got, want, what) {
  want.labels.forEach((label, i) => {
    assert.ok(Math.abs(got[label] - want.probabilities[i]) < 1e-3,
      `${what}: ${label} ${got[label]} in the browser vs ${want.probabilities[i]} natively`);
  });
}

/** Mean absolute grey difference between two viewport screenshots over the central half. */
function centralDiff(a, b) {
  let sum = 0, n = 0;
  for (let y = Math.floor(a.height / 4); y < (3 * a.height) / 4; y += 2) {
    for (let x = Math.floor(a.width / 4); x < (3 * a.width) / 4; x += 2) {
      sum += Math.abs(a.gray(x, y) - b.gray(x, y));
      n++;
    }
  }
  return sum / n;
}

async function open(page, name) {
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${studies[name].study}`);
  await waitForImage(page);
  await page.locator('[data-testid="ai-panel"]').waitFor({ timeout: 30_000 });
}

before(async () => {
  if (skip) return;
  server = await startLumen({ prepare });
  browser = await launchBrowser();
  session = await recordingPage(browser);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

let uprightShot;

test("an upright film: QC says standard, triage score as natively, on WebGPU", { skip }, async () => {
  const { page } = session;
  await open(page, "upright");
  const qc = await shown(page, "cxr-qc");
  assertClose(qc, native(studies.upright.file, "cxr-qc"), "cxr-qc upright");
  await page.locator('[data-testid="qc-ok"]').waitFor();
  assert.equal(await page.locator('[data-testid="qc-badge"]').count(), 0);
  const triage = await shown(page, "cxr-pneumonia");
  assertClose(triage, native(studies.upright.file, "cxr-pneumonia"), "cxr-pneumonia upright");
  assert.match(await page.locator('[data-testid="ai-panel"]').innerText(), /Triage support, not a diagnosis/i);
  assert.equal((await page.locator('[data-testid="ai-backend"]').innerText()).trim(), "WebGPU");
  await settle(page);
  uprightShot = await shot(page.locator('[data-testid="viewport"][data-index="0"]'));
});

test("the triage result is saved to the archive as a DICOM SR that dsrdump reads, and shows again on reopening", { skip }, async () => {
  const { page } = session;
  const card = page.locator('[data-testid="ai-model"][data-model="cxr-pneumonia"]');
  await card.locator('[data-action="ai-save"]').click();
  const stored = card.locator('[data-testid="ai-stored"]');
  await stored.waitFor({ timeout: 30_000 });
  const srUid = await stored.getAttribute("data-sr-uid");
  // The archive now holds an SR series in the film's study with that instance.
  const study = studies.upright.study;
  const series = await (await fetch(`${server.origin}/dicom-web/studies/${study}/series`, { headers: { Accept: "application/dicom+json" } })).json();
  const sr = series.find((s) => s["00080060"]?.Value?.[0] === "SR");
  assert.ok(sr, "an SR series in the study");
  const srSeries = sr["0020000E"].Value[0];
  const res = await fetch(`${server.origin}/dicom-web/studies/${study}/series/${srSeries}/instances/${srUid}`, {
    headers: { Accept: 'multipart/related; type="application/dicom"' },
  });
  assert.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  const start = body.indexOf(Buffer.from("DICM")) - 128;
  const boundary = /boundary="?([^";]+)"?/.exec(res.headers.get("content-type"))[1];
  const end = body.indexOf(Buffer.from(`\r\n--${boundary}`), start);
  const file = path.join(server.demo, "retrieved-sr.dcm");
  writeFileSync(file, body.subarray(start, end));
  const dump = spawnSync("dsrdump", [file], { encoding: "utf8" });
  if (dump.error) {
    console.log(`dsrdump not available (${dump.error.message}): the SR was not checked with dcmtk`);
  } else {
    assert.equal(dump.status, 0, dump.stderr);
    assert.match(dump.stdout, /Enhanced SR/);
    assert.match(dump.stdout, /cxr-pneumonia/);
    // A NUM item per class, the probability of "Pneumonia" as the panel showed it.
    const m = /NUM:\([^)]*"Pneumonia"\)="([\d.]+)"/.exec(dump.stdout);
    assert.ok(m, `no Pneumonia probability in the SR:\n${dump.stdout}`);
    assert.ok(Math.abs(Number(m[1]) - native(studies.upright.file, "cxr-pneumonia").probabilities[1]) < 1e-3);
  }
  // Reopening the study shows the stored report without saving again.
  await open(page, "upright");
  await page.locator('[data-testid="ai-model"][data-model="cxr-pneumonia"] [data-testid="ai-stored"]').waitFor({ timeout: 30_000 });
});

for (const [name, label] of [["rotated", "rotated-90"], ["inverted", "inverted"]]) {
  test(`the ${name} film gets the "${label}" badge and one click corrects the display`, { skip }, async () => {
    const { page } = session;
    await open(page, name);
    const qc = await shown(page, "cxr-qc");
    assertClose(qc, native(studies[name].file, "cxr-qc"), `cxr-qc ${name}`);
    const badge = page.locator('[data-testid="qc-badge"]');
    await badge.waitFor();
    assert.equal(await badge.getAttribute("data-label"), label);
    const vp = page.locator('[data-testid="viewport"][data-index="0"]');
    const before = await shot(vp);
    assert.ok(uprightShot, "the upright film's screenshot (previous test)");
    assert.ok(centralDiff(before, uprightShot) > 20, `the ${name} film looks different before the correction`);
    await badge.locator('[data-action="qc-fix"]').click();
    await settle(page);
    const after = await shot(vp);
    const diff = centralDiff(after, uprightShot);
    assert.ok(diff < 4, `after the correction the ${name} film looks like the upright one (mean difference ${diff.toFixed(2)})`);
  });
}

test("the CPU backend gives the same probabilities, and no request left Lumen's origin", { skip }, async () => {
  const { context, requests, errors } = session;
  const page = await context.newPage();
  await page.goto(`${server.origin}/`);
  await page.evaluate(() => localStorage.setItem("lumen.ai.backend", "cpu"));
  await open(page, "rotated");
  const qc = await shown(page, "cxr-qc");
  assertClose(qc, native(studies.rotated.file, "cxr-qc"), "cxr-qc on the CPU");
  assert.match((await page.locator('[data-testid="ai-backend"]').innerText()).trim(), /^CPU/);
  await page.close();
  const foreign = requests.filter((u) => !u.startsWith(server.origin) && !u.startsWith("data:") && !u.startsWith("blob:"));
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
});
