// Worklist prioritisation by AI triage, end to end: three chest radiograph studies (synthetic DX images written by
// the harness) beside the demo studies, served by `lumen serve`. The study list shows an "AI triage" column marked
// as triage support, not a diagnosis; "Score this page with AI" asks the server (`/api/ai/jobs`), which pulls the
// pixels from the archive itself, runs the pneumonia triage model natively and stores a DICOM SR in each radiograph
// study — the scores shown equal `lumen ai`'s; sorting by the column puts the highest score first and unscored
// studies (CT, MR, US) last; a reload shows the stored scores without scoring again. No request leaves Lumen's
// origin.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startLumen, launchBrowser, recordingPage, lumenBin } from "../harness.js";
import { writeRadiograph } from "../dicom-write.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MODEL = "cxr-pneumonia";

let server;
let browser;
let session;
const films = {};

/** A 256² synthetic "chest": a bright ellipse with two darker fields, plus `blotches` bright round opacities. */
function syntheticChest(blotches, seed) {
  const n = 256;
  const px = new Uint8Array(n * n);
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const spots = Array.from({ length: blotches }, () => [0.25 + 0.5 * rand(), 0.3 + 0.45 * rand(), 0.03 + 0.05 * rand()]);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const [u, v] = [x / n, y / n];
      let g = 30;
      if (((u - 0.5) / 0.45) ** 2 + ((v - 0.55) / 0.45) ** 2 <= 1) g = 170;
      for (const cx of [0.33, 0.67]) if (((u - cx) / 0.14) ** 2 + ((v - 0.5) / 0.25) ** 2 <= 1) g = 70;
      for (const [sx, sy, r] of spots) if ((u - sx) ** 2 + (v - sy) ** 2 <= r * r) g = 180;
      px[y * n + x] = Math.max(0, Math.min(255, g + ((x * 31 + y * 17 + seed) % 13) - 6));
    }
  }
  return { width: n, height: n, px };
}

function prepare(demo) {
  const dir = path.join(demo, "triage-films");
  mkdirSync(dir, { recursive: true });
  for (const [name, blotches] of [["clear", 0], ["some", 4], ["many", 14]]) {
    const f = syntheticChest(blotches, blotches + 7);
    const file = path.join(dir, `${name}.dcm`);
    const sop = writeRadiograph(file, {
      rows: f.height, columns: f.width, pixels: f.px, seed: `lumen-e2e-triage-${name}`,
      patientName: `TRIAGE^${name.toUpperCase()}`, patientId: `TRIAGE-${name}`, description: `Triage test film (${name})`,
    });
    films[name] = { file, ...(typeof sop === "object" ? sop : { sop }) };
  }
}

/** The native triage probability of a file (`lumen ai`). */
function native(file) {
  const r = spawnSync(lumenBin, ["ai", file, "--model", path.join(repo, "models", MODEL)], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`lumen ai failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  return out.probabilities[out.labels.indexOf("pneumonia")];
}

before(async () => {
  server = await startLumen({ prepare });
  browser = await launchBrowser();
  session = await recordingPage(browser);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Rows of the study list: [{ name, score (number | null) }] in the order shown. */
async function rows(page) {
  return page.locator('[data-testid="study-list"] tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const cell = tr.querySelector('[data-testid="triage-score"]');
      const s = cell?.getAttribute("data-score");
      return { name: tr.querySelector(".patient-name")?.textContent.trim(), score: s == null ? null : Number(s) };
    }));
}

test("the server scores the page's radiographs as natively, and the list sorts by the score, unscored last", async () => {
  const { page } = session;
  await page.goto(`${server.origin}/`);
  await page.locator('[data-testid="study-list"] tbody tr').first().waitFor();
  await page.locator('[data-testid="triage-header"]').waitFor();
  assert.match(await page.locator('[data-testid="triage-bar"]').innerText(), /Triage support, not a diagnosis/i);
  assert.ok((await rows(page)).every((r) => r.score === null), "no score before scoring");
  await page.locator('[data-action="triage-score"]').click();
  await page.waitForFunction(
    () => !document.querySelector('[data-testid="triage-progress"]') && document.querySelector('[data-action="triage-score"]'),
    null,
    { timeout: 300_000 },
  );
  assert.equal(await page.locator('[data-testid="triage-error"]').count(), 0);
  const scored = await rows(page);
  for (const name of ["clear", "some", "many"]) {
    const row = scored.find((r) => r.name.toUpperCase().includes(`TRIAGE, ${name.toUpperCase()}`) || r.name.toUpperCase().includes(name.toUpperCase()));
    assert.ok(row, `a row for ${name}: ${JSON.stringify(scored)}`);
    assert.ok(row.score !== null, `${name} scored`);
    const want = native(films[name].file);
    assert.ok(Math.abs(row.score - want) < 1e-3, `${name}: ${row.score} shown vs ${want} natively`);
  }
  assert.ok(scored.some((r) => r.score === null), "the CT/MR/US demo studies have no triage score");
  // Sort by the column: highest first, unscored last.
  await page.locator('[data-testid="triage-header"] button').click();
  await page.locator('[data-testid="triage-sorted"]').waitFor();
  const order = await rows(page);
  const firstBlank = order.findIndex((r) => r.score === null);
  assert.ok(firstBlank > 0 && order.slice(firstBlank).every((r) => r.score === null), `unscored last: ${JSON.stringify(order)}`);
  const scores = order.slice(0, firstBlank).map((r) => r.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a), "highest score first");
  assert.equal(await page.locator('[data-testid="triage-header"]').getAttribute("aria-sort"), "descending");
});

test("a reload shows the stored scores without scoring again; nothing left Lumen's origin", async () => {
  const { page, requests, errors } = session;
  const before = requests.length;
  await page.reload();
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="triage-score"]')].filter((c) => c.hasAttribute("data-score")).length >= 3,
    null,
    { timeout: 60_000 },
  );
  assert.ok(!requests.slice(before).some((u) => u.includes("/api/ai/jobs")), "no new server job on reload");
  const foreign = requests.filter((u) => !u.startsWith(server.origin) && !u.startsWith("data:") && !u.startsWith("blob:"));
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
});
