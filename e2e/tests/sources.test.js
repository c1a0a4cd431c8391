// Several DICOMweb sources: when the server's `/api/config` lists more than one, the header offers them in a
// selector; choosing one reloads the app on it (the study list is searched there) and the choice is remembered
// across page loads. `lumen serve` lists a single source, so the test answers `/api/config` itself (Playwright
// route) with two: Lumen's `/dicom-web`, and a "teaching archive" at `/teaching/dicom-web` that the test forwards
// to the same store.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startLumen, launchBrowser, recordingPage, qidoStudies } from "../harness.js";

let server;
let browser;
let session;
let studies;

before(async () => {
  server = await startLumen();
  browser = await launchBrowser();
  session = await recordingPage(browser);
  studies = await qidoStudies(server.origin);
  const { page } = session;
  await page.route("**/api/config", (route) =>
    route.fulfill({
      contentType: "application/json",
      body: JSON.stringify({
        sources: [
          { name: "Lumen demo", dicomweb: "/dicom-web" },
          { name: "Teaching archive", dicomweb: "/teaching/dicom-web/" },
        ],
      }),
    }),
  );
  await page.route("**/teaching/dicom-web/**", async (route) => {
    const url = route.request().url().replace("/teaching/dicom-web/", "/dicom-web/");
    const response = await route.fetch({ url });
    await route.fulfill({ response });
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const rows = (page) => page.locator('[data-testid="study-list"] tbody tr[data-study-uid]');

test("the header offers every configured source, the first by default", async () => {
  const { page, requests } = session;
  await page.goto(`${server.origin}/`);
  const select = page.locator('select[data-testid="source"]');
  await select.waitFor();
  assert.deepEqual(await select.locator("option").allInnerTexts(), ["Lumen demo", "Teaching archive"]);
  assert.equal(await select.inputValue(), "/dicom-web");
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="study-list"] tbody tr[data-study-uid]').length === n, studies.length);
  assert.ok(!requests.some((u) => u.includes("/teaching/")), "nothing asked of the other source");
});

test("choosing another source searches it, and the choice is remembered after a reload", async () => {
  const { page, requests, errors } = session;
  requests.length = 0;
  await Promise.all([page.waitForEvent("load"), page.locator('select[data-testid="source"]').selectOption("/teaching/dicom-web")]);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="study-list"] tbody tr[data-study-uid]').length === n, studies.length);
  assert.equal(await page.locator('select[data-testid="source"]').inputValue(), "/teaching/dicom-web");
  const searched = requests.filter((u) => u.includes("/studies"));
  assert.ok(searched.length > 0 && searched.every((u) => u.startsWith(`${server.origin}/teaching/dicom-web/`)), `the list came from the chosen source: ${searched}`);
  await page.reload();
  await rows(page).first().waitFor();
  assert.equal(await page.locator('select[data-testid="source"]').inputValue(), "/teaching/dicom-web", "remembered");
  assert.deepEqual(errors, []);
});
