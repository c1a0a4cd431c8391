// The study list in a real browser against a real `lumen serve` over the demo archive: it loads and lists the
// demo studies, the patient-name search and the filters (modality, Patient ID, date range) narrow them and survive
// a reload, an archive with more studies than a page is paged through, a study opens on its series list, and the
// page never contacts any origin but Lumen's own. Expected values come from the server's own QIDO-RS answers, so these tests
// check what the user sees against what the archive holds.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
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

/** The Study Instance UIDs of the rows shown, in order. */
async function shownUids(page) {
  return page.locator(rowsSelector).evaluateAll((rows) => rows.map((r) => r.dataset.studyUid));
}

/** Waits until the rows are exactly the studies `expected` (QIDO datasets), in any order. */
async function waitForStudies(page, expected, what) {
  const want = expected.map((s) => s["0020000D"].Value[0]).sort();
  const deadline = Date.now() + 15_000;
  let got = [];
  while (Date.now() < deadline) {
    got = (await shownUids(page)).sort();
    if (JSON.stringify(got) === JSON.stringify(want)) return;
    await page.waitForTimeout(100);
  }
  assert.deepEqual(got, want, what);
}

test("the filters narrow the list as the archive's own QIDO answers say, and survive a reload", async () => {
  const { page } = session;
  const all = await qidoStudies(server.origin);
  await page.goto(`${server.origin}/`);
  await waitForStudies(page, all, "every study at first");

  await page.locator('[data-testid="filter-modality"]').selectOption("US");
  const us = await qidoStudies(server.origin, { ModalitiesInStudy: "US" });
  assert.ok(us.length > 0 && us.length < all.length, "the modality filter can visibly filter the demo");
  await waitForStudies(page, us, "studies with an ultrasound series");
  assert.match(page.url(), /[?&]ModalitiesInStudy=US(&|$)/);
  await page.reload();
  await waitForStudies(page, us, "the filter is kept across a reload");
  assert.equal(await page.locator('[data-testid="filter-modality"]').inputValue(), "US");
  // Into a study and back with the viewer's own link: the same filtered list.
  await page.locator(rowsSelector).first().click();
  await page.waitForURL(/\/viewer\?/);
  await page.getByText("← Study list").click();
  await waitForStudies(page, us, "the series panel's link returns to the filtered list");
  assert.match(page.url(), /[?&]ModalitiesInStudy=US(&|$)/);

  await page.locator('[data-testid="clear-search"]').click();
  await waitForStudies(page, all, "Clear shows every study again");

  // Patient ID: the beginning of one patient's ID.
  const ct = all.find((s) => (s["00080061"]?.Value ?? []).includes("CT"));
  const id = ct["00100020"].Value[0];
  const idPrefix = id.slice(0, id.length - 1);
  const byId = await qidoStudies(server.origin, { PatientID: `${idPrefix}*` });
  await page.locator('[data-testid="filter-patient-id"]').fill(idPrefix);
  await page.locator('[data-testid="filter-patient-id"]').press("Enter");
  await waitForStudies(page, byId, `studies whose Patient ID starts with ${idPrefix}`);
  await page.locator('[data-testid="clear-search"]').click();

  // Date range: the CT's study date alone.
  const day = ct["00080020"].Value[0];
  const iso = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}`;
  const onDay = await qidoStudies(server.origin, { StudyDate: `${day}-${day}` });
  await page.locator('[data-testid="filter-date-from"]').fill(iso);
  await page.locator('[data-testid="filter-date-to"]').fill(iso);
  await waitForStudies(page, onDay, `studies of ${iso}`);
  assert.match(page.url(), new RegExp(`[?&]StudyDate=${day}-${day}(&|$)`));
  await page.locator('[data-testid="clear-search"]').click();
  await waitForStudies(page, all, "and everything again");
});

test("an archive with more studies than a page is paged through, 50 at a time", async () => {
  // 60 more studies: copies of the demo radiograph, each with its own Study/Series/SOP Instance UIDs.
  const paged = await startLumen({
    prepare: async (demo) => {
      const find = (dir) => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) {
            const f = find(p);
            if (f) return f;
          } else if (p.includes("dx-") && p.endsWith(".dcm")) return p;
        }
        return undefined;
      };
      const dx = find(demo);
      assert.ok(dx, "a demo radiograph to copy");
      const out = path.join(demo, "paging");
      mkdirSync(out);
      for (let i = 1; i <= 60; i++) {
        const file = path.join(out, `copy-${i}.dcm`);
        copyFileSync(dx, file);
        const r = spawnSync("dcmodify", ["-nb", "-m", `(0020,000D)=1.2.826.0.1.3680043.10.1337.${i}`, "-m", `(0020,000E)=1.2.826.0.1.3680043.10.1337.${i}.1`, "-m", `(0008,0018)=1.2.826.0.1.3680043.10.1337.${i}.1.1`, "-m", `(0010,0010)=PAGING^${String(i).padStart(3, "0")}`, file], { encoding: "utf8" });
        assert.equal(r.status, 0, `dcmodify: ${r.stderr}`);
      }
    },
  });
  try {
    const all = await qidoStudies(paged.origin);
    assert.ok(all.length > 50 && all.length <= 100, `${all.length} studies`);
    // A page of its own: the shared one's network log must hold only the main server's origin.
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: "en-US" });
    const page = await context.newPage();
    await page.goto(`${paged.origin}/`);
    await page.waitForSelector(rowsSelector, { timeout: 30_000 });
    const count = page.locator('[data-testid="result-count"]');
    await page.waitForFunction(() => /1–50/.test(document.querySelector('[data-testid="result-count"]')?.innerText ?? ""));
    assert.equal((await count.innerText()).trim(), "studies 1–50 and more");
    const first = await shownUids(page);
    assert.equal(first.length, 50);
    assert.ok(await page.locator('[data-testid="previous-page"]').isDisabled());

    await page.locator('[data-testid="next-page"]').click();
    await page.waitForFunction(() => /51–/.test(document.querySelector('[data-testid="result-count"]')?.innerText ?? ""));
    assert.equal((await count.innerText()).trim(), `studies 51–${all.length}`);
    const second = await shownUids(page);
    assert.equal(second.length, all.length - 50);
    assert.ok(await page.locator('[data-testid="next-page"]').isDisabled());
    assert.match(page.url(), /[?&]offset=50(&|$)/);
    // The two pages together are the whole archive, each study once.
    assert.deepEqual([...first, ...second].sort(), all.map((s) => s["0020000D"].Value[0]).sort());

    await page.locator('[data-testid="previous-page"]').click();
    await page.waitForFunction(() => /1–50/.test(document.querySelector('[data-testid="result-count"]')?.innerText ?? ""));
    assert.deepEqual((await shownUids(page)).sort(), [...first].sort());
    await context.close();
  } finally {
    await paged.stop();
  }
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
