// The study list in a real browser against a real `lumen serve` over the demo archive: it loads and lists the
// demo studies, the patient-name search filters them, a study opens on its series list, and the page never
// contacts any origin but Lumen's own. Expected values come from the server's own QIDO-RS answers, so these tests
// check what the user sees against what the archive holds.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startLumen,
  launchBrowser,
  recordingPage,
  qidoStudies,
  patientName,
  displayedName,
} from "../harness.js";

let server;
let browser;
let session;

before(async () => {
  server = await startLumen();
  browser = await launchBrowser();
  session = await recordingPage(browser);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const rowsSelector = '[data-testid="study-list"] tbody tr';

/** The patient names shown in the study table, in order. */
async function shownNames(page) {
  return page.locator(`${rowsSelector} td.patient-name`).allInnerTexts();
}

/** Waits until the table shows exactly `expected` (order-independent), or fails with what it shows. */
async function waitForNames(page, expected) {
  const want = [...expected].sort();
  const deadline = Date.now() + 15_000;
  let got = [];
  while (Date.now() < deadline) {
    got = (await shownNames(page)).map((s) => s.trim()).sort();
    if (JSON.stringify(got) === JSON.stringify(want)) return;
    await page.waitForTimeout(100);
  }
  assert.deepEqual(got, want, "study list rows");
}

test("the web app loads and shows the demo study list", async () => {
  const { page, errors } = session;
  const studies = await qidoStudies(server.origin);
  assert.ok(studies.length >= 2, `the demo archive should hold several studies, found ${studies.length}`);

  await page.goto(`${server.origin}/`);
  await page.waitForSelector(rowsSelector, { timeout: 30_000 });
  await waitForNames(page, studies.map((s) => displayedName(patientName(s))));

  const count = await page.locator('[data-testid="result-count"]').innerText();
  assert.equal(count.trim(), `${studies.length} ${studies.length === 1 ? "study" : "studies"}`);

  // Each row carries its study's UID, and every demo study is there once.
  const uids = await page.locator(rowsSelector).evaluateAll((rows) => rows.map((r) => r.dataset.studyUid));
  assert.deepEqual(uids.sort(), studies.map((s) => s["0020000D"].Value[0]).sort());

  await page.screenshot({ path: "/tmp/lumen-study-list.png" });
  assert.deepEqual(errors, [], "no script errors while loading");
});

test("clicking a column header sorts the list, clicking again reverses it", async () => {
  const { page } = session;
  const shown = async () => (await shownNames(page)).map((s) => s.trim());
  const ascending = [...(await shown())].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  const header = page.locator('[data-testid="study-list"] thead th', { hasText: "Patient name" });

  await header.getByRole("button").click();
  assert.deepEqual(await shown(), ascending);
  assert.equal(await header.getAttribute("aria-sort"), "ascending");

  await header.getByRole("button").click();
  assert.deepEqual(await shown(), [...ascending].reverse());
  assert.equal(await header.getAttribute("aria-sort"), "descending");

  // Back to the default: newest study first.
  const dates = page.locator('[data-testid="study-list"] thead th', { hasText: "Study date" });
  await dates.getByRole("button").click();
  if ((await dates.getAttribute("aria-sort")) !== "descending") await dates.getByRole("button").click();
  const shownDates = await page.locator(`${rowsSelector} td.date`).allInnerTexts();
  assert.deepEqual(shownDates, [...shownDates].sort().reverse(), "newest first");
});

test("searching by patient name filters the list", async () => {
  const { page } = session;
  const all = await qidoStudies(server.origin);
  // The shortest prefix of a demo patient's name that matches some demo studies but not all, so the filter
  // visibly filters (demo patients may share a family name: DEMO^CHEST CT, DEMO^BRAIN MR…).
  const names = [...new Set(all.map(patientName).filter(Boolean))];
  let prefix;
  let expected;
  search: for (const name of names) {
    for (let len = 1; len <= name.length; len++) {
      const candidate = name.slice(0, len);
      if (candidate.endsWith(" ")) continue;
      const matching = await qidoStudies(server.origin, { PatientName: `${candidate}*`, fuzzymatching: "true" });
      if (matching.length > 0 && matching.length < all.length) {
        prefix = candidate;
        expected = matching;
        break search;
      }
    }
  }
  assert.ok(prefix, `the demo archive needs patients with different names (has ${names.join(", ")})`);

  await page.fill('input[type="search"]', prefix.toLowerCase());
  await waitForNames(page, expected.map((s) => displayedName(patientName(s))));
  assert.match(page.url(), new RegExp(`[?&]PatientName=${encodeURIComponent(prefix.toLowerCase())}(&|$)`));

  // A name no patient has: the list says so instead of showing an empty table.
  await page.fill('input[type="search"]', "zzz-no-such-patient");
  await page.getByText("No study matches this patient name.").waitFor({ timeout: 15_000 });
  assert.equal(await page.locator(rowsSelector).count(), 0);

  // Clearing the search shows every study again.
  await page.fill('input[type="search"]', "");
  await waitForNames(page, all.map((s) => displayedName(patientName(s))));
});

test("clicking a study opens the study view with its series panel", async () => {
  const { page, errors } = session;
  const first = page.locator(rowsSelector).first();
  const uid = await first.getAttribute("data-study-uid");
  await first.click();
  await page.waitForURL(`**/viewer?StudyInstanceUIDs=${uid}`);

  const res = await fetch(`${server.origin}/dicom-web/studies/${uid}/series`, {
    headers: { Accept: "application/dicom+json" },
  });
  assert.equal(res.status, 200);
  const series = await res.json();
  const rows = page.locator('[data-testid="series-panel"] [data-testid="series-item"]');
  await rows.first().waitFor({ timeout: 15_000 });
  assert.equal(await rows.count(), series.length);

  // Back returns to the full study list.
  await page.goBack();
  await page.waitForSelector(rowsSelector);

  // The viewer URL works on its own too (a link from a RIS, a reload): the server serves the app for it.
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${uid}`);
  await rows.first().waitFor({ timeout: 15_000 });
  assert.equal(await rows.count(), series.length);
  assert.deepEqual(errors, [], "no script errors while navigating");
});

test("the network log contains no request to any origin other than Lumen's", async () => {
  const { page, requests } = session;
  await page.goto(`${server.origin}/`);
  await page.waitForSelector(rowsSelector);
  await page.waitForLoadState("networkidle");
  assert.ok(requests.length > 0, "requests were recorded");
  const foreign = requests.filter((url) => {
    if (url.startsWith("data:") || url.startsWith("blob:")) return false;
    return new URL(url).origin !== server.origin;
  });
  assert.deepEqual(foreign, [], "requests to other origins");
  // The app itself was served by Lumen: the wasm module and its glue were requested from it.
  assert.ok(requests.some((u) => u.endsWith("/lumen_web_bg.wasm")), "wasm module loaded from Lumen");
});
