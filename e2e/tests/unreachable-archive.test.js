// When the archive behind Lumen cannot be reached (here: `lumen serve --pacs` pointing at a closed port), the study
// list says so — which URL failed and how — and offers Retry, instead of an empty list or a spinner forever.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startLumen, launchBrowser, recordingPage, freePort } from "../harness.js";

let server;
let browser;
let session;

before(async () => {
  // Nothing listens on this port once freePort returns: the proxy's requests to it are refused.
  const closed = await freePort();
  server = await startLumen({ pacs: `http://127.0.0.1:${closed}/dicom-web` });
  browser = await launchBrowser();
  session = await recordingPage(browser);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("an unreachable archive shows an error naming the failed request, with Retry", async () => {
  const { page, errors } = session;
  await page.goto(`${server.origin}/`);
  const alert = page.getByRole("alert");
  await alert.waitFor({ timeout: 30_000 });
  const text = await alert.innerText();
  assert.match(text, /The study list could not be loaded/);
  assert.match(text, /\/dicom-web\/studies/, "the failed URL is named");
  assert.match(text, /HTTP 5\d\d/, "the HTTP status is named");

  // Retry asks again (and fails again, visibly).
  const retried = page.waitForRequest((r) => r.url().includes("/dicom-web/studies"), { timeout: 15_000 });
  await alert.getByRole("button", { name: "Retry" }).click();
  await retried;
  await page.getByRole("alert").waitFor({ timeout: 30_000 });
  assert.match(await page.getByRole("alert").innerText(), /HTTP 5\d\d/);

  // The browser logs the failed fetch itself; anything else would be an app error.
  const appErrors = errors.filter((e) => !/Failed to load resource/.test(e));
  assert.deepEqual(appErrors, []);
});
