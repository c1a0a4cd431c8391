// The bearer token for archives behind an authorising gateway: a token in the launching URL (`?token=…` or
// `#token=…`) is removed from the address bar and sent as `Authorization: Bearer` on every DICOMweb request —
// QIDO-RS from the page, series metadata, and the frames fetched by the decode workers; a token posted by a page
// of the same origin (`{type: "lumen-token", token}`) replaces it for the requests that follow. Checked on the
// request log Playwright records (page and workers), against `lumen serve` over the demo archive. A portal on
// another origin that `lumen serve --frame-ancestor` allows embeds the viewer in an iframe, waits for its
// "lumen-ready" message and posts the token; the iframe's requests (workers' too) then carry it.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startLumen, launchBrowser, recordingPage, qidoStudies, freePort } from "../harness.js";
import { waitForImage, overlayText } from "../viewer-helpers.js";

let server;
let browser;
let session;
let ct;
const sent = []; // { url, authorization }

before(async () => {
  server = await startLumen();
  browser = await launchBrowser();
  session = await recordingPage(browser);
  session.page.on("request", async (req) => {
    const headers = await req.allHeaders();
    sent.push({ url: req.url(), authorization: headers.authorization });
  });
  const studies = await qidoStudies(server.origin);
  ct = studies.find((s) => (s["00080061"]?.Value ?? []).includes("CT"))["0020000D"].Value[0];
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const dicomWeb = () => sent.filter((r) => r.url.startsWith(`${server.origin}/dicom-web/`));

test("a ?token= in the launching URL leaves the address bar and goes with every DICOMweb request, workers' too", async () => {
  const { page, errors } = session;
  const token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJyYWRpb2xvZ2lzdCJ9.c2ln";
  sent.length = 0;
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${ct}&token=${token}`);
  await waitForImage(page);
  assert.ok(!page.url().includes("token"), `the token is gone from the address bar: ${page.url()}`);
  assert.ok(page.url().includes(`StudyInstanceUIDs=${ct}`), "the rest of the URL stays");
  const requests = dicomWeb();
  assert.ok(requests.some((r) => r.url.includes("/metadata")), "series metadata was fetched");
  assert.ok(requests.some((r) => r.url.includes("/frames/")), "frames were fetched (by the decode workers)");
  const without = requests.filter((r) => r.authorization !== `Bearer ${token}`).map((r) => `${r.url}: ${r.authorization}`);
  assert.deepEqual(without, [], "every DICOMweb request carries the token");
  assert.deepEqual(errors, []);
});

test("a token posted by the same-origin host page replaces it for the requests that follow", async () => {
  const { page } = session;
  const second = "c2Vjb25kLXRva2Vu";
  await page.evaluate((token) => window.postMessage({ type: "lumen-token", token }, location.origin), second);
  await page.waitForTimeout(200);
  sent.length = 0;
  // Back to the list and into the study again, inside the app (no reload: the token lives in memory only).
  await page.getByText("← Study list").click();
  const row = page.locator(`[data-testid="study-list"] tbody tr[data-study-uid="${ct}"]`);
  await row.waitFor({ timeout: 30_000 });
  await row.click();
  await waitForImage(page);
  await page.locator('[data-testid="viewport"][data-index="0"]').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("End");
  await waitForImage(page);
  const m = /(\d+)\/(\d+)/.exec(await overlayText(page, "tr"));
  assert.equal(m?.[1], m?.[2], "the last slice is shown");
  const requests = dicomWeb();
  assert.ok(requests.some((r) => r.url.includes("/frames/")), "frames were fetched after the message");
  const other = requests.filter((r) => r.authorization !== `Bearer ${second}`).map((r) => `${r.url}: ${r.authorization}`);
  assert.deepEqual(other, [], "every request after the message carries the posted token");
});

test("a new page load without a token sends none", async () => {
  const { page } = session;
  sent.length = 0;
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${ct}`);
  await waitForImage(page);
  const requests = dicomWeb();
  assert.ok(requests.length > 0);
  assert.deepEqual(requests.filter((r) => r.authorization !== undefined).map((r) => r.url), [], "no Authorization header");
});

test("a #token= fragment works the same and is removed from the address bar", async () => {
  const { page, errors } = session;
  const token = "ZnJhZ21lbnQ";
  sent.length = 0;
  await page.goto(`${server.origin}/#token=${token}`);
  await page.locator(`[data-testid="study-list"] tbody tr[data-study-uid="${ct}"]`).waitFor({ timeout: 30_000 });
  assert.ok(!page.url().includes("token"), `the token is gone from the address bar: ${page.url()}`);
  const qido = dicomWeb().filter((r) => r.url.includes("/studies"));
  assert.ok(qido.length > 0, "the study list was searched");
  assert.ok(qido.every((r) => r.authorization === `Bearer ${token}`), "with the token");
  assert.deepEqual(errors, []);
});

test("a portal on another origin allowed to frame the viewer posts the token into the iframe", async () => {
  const portalPort = await freePort();
  // "localhost" and "127.0.0.1" are different origins: the portal is cross-origin to Lumen.
  const portalOrigin = `http://localhost:${portalPort}`;
  const framed = await startLumen({ args: ["--frame-ancestor", portalOrigin] });
  const token = "cG9ydGFsLXRva2Vu";
  const html = `<!doctype html><meta charset="utf-8"><title>Portal</title>
<iframe id="viewer" src="${framed.origin}/viewer?StudyInstanceUIDs=${ct}" style="width:1200px;height:780px"></iframe>
<script>
  addEventListener("message", (e) => {
    if (e.origin !== ${JSON.stringify(framed.origin)} || e.data?.type !== "lumen-ready") return;
    window.lumenReady = true;
    document.getElementById("viewer").contentWindow.postMessage({ type: "lumen-token", token: ${JSON.stringify(token)} }, e.origin);
  });
</script>`;
  const portal = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise((r) => portal.listen(portalPort, r));
  const context = await browser.newContext({ viewport: { width: 1300, height: 860 } });
  try {
    const page = await context.newPage();
    const seen = [];
    page.on("request", async (req) => seen.push({ url: req.url(), authorization: (await req.allHeaders()).authorization }));
    await page.goto(`${portalOrigin}/`);
    await page.waitForFunction(() => window.lumenReady === true, null, { timeout: 30_000 });
    const frame = page.frames().find((f) => f.url().startsWith(framed.origin));
    assert.ok(frame, "the viewer loaded in the iframe (its CSP frame-ancestors allows the portal)");
    await waitForImage(frame);
    await page.waitForTimeout(200);
    seen.length = 0;
    // Another series: its frames are fetched now, after the token arrived.
    const second = frame.locator('[data-testid="series-item"]').nth(1);
    const uid = await second.getAttribute("data-series-uid");
    await second.click();
    await frame.waitForFunction((u) => document.querySelector('[data-testid="viewport"][data-index="0"]')?.getAttribute("data-series-uid") === u, uid);
    await waitForImage(frame);
    // And the keys reach the viewer inside the iframe once the reader clicks the image.
    await frame.locator('[data-testid="viewport"][data-index="0"]').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press("End");
    await waitForImage(frame);
    const m = /(\d+)\/(\d+)/.exec(await frame.locator('[data-testid="viewport"][data-index="0"] [data-testid="overlay-tr"]').innerText());
    assert.equal(m?.[1], m?.[2], "the last slice is shown");
    await page.waitForTimeout(300);
    const requests = seen.filter((r) => r.url.startsWith(`${framed.origin}/dicom-web/`));
    assert.ok(requests.some((r) => r.url.includes("/frames/")), "frames were fetched after the token was posted");
    const other = requests.filter((r) => r.authorization !== `Bearer ${token}`).map((r) => `${r.url}: ${r.authorization}`);
    assert.deepEqual(other, [], "every request after the portal's message carries its token");
  } finally {
    await context.close();
    portal.close();
    await framed.stop();
  }
});
