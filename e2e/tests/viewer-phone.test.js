// The study view on a phone-sized touch screen, and in Simplified Chinese: at 390×844 the image gets most of the
// screen with the series strip below it; a one-finger swipe scrolls the stack and a pinch zooms; the language
// chosen in the header is used for the interface and remembered across a reload (localStorage).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startLumen, launchBrowser, qidoStudies } from "../harness.js";
import { waitForImage, overlayText } from "../viewer-helpers.js";

let server;
let browser;
let context;
let page;
const errors = [];

before(async () => {
  server = await startLumen();
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, locale: "en-US" });
  page = await context.newPage();
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A touch gesture through the DevTools protocol: `tracks` is a list of fingers, each a list of points. */
async function touch(tracks, steps = 8) {
  const cdp = await context.newCDPSession(page);
  const at = (k) => tracks.map((t, id) => {
    const [a, b] = [t[0], t[t.length - 1]];
    return { x: a.x + ((b.x - a.x) * k) / steps, y: a.y + ((b.y - a.y) * k) / steps, id };
  });
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: at(0) });
  for (let k = 1; k <= steps; k++) {
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: at(k) });
  }
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}

test("on a phone the CT fills the screen; a swipe scrolls and a pinch zooms", async () => {
  const studies = await qidoStudies(server.origin);
  const study = studies.find((s) => (s["00080061"]?.Value ?? []).includes("CT"))["0020000D"].Value[0];
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${study}`);
  await waitForImage(page);
  const box = await page.locator('[data-testid="viewport"][data-index="0"]').boundingBox();
  assert.ok(box.width >= 380 && box.height >= 400, `the viewport is large: ${box.width}×${box.height}`);
  assert.match(await overlayText(page, "tr"), /\b1\/22\b/);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await touch([[{ x: cx, y: cy - 60 }, { x: cx, y: cy + 60 }]]);
  const m = /\b(\d+)\/22\b/.exec(await overlayText(page, "tr"));
  assert.ok(Number(m[1]) > 1, `a swipe down moved forward in the stack (${m[1]}/22)`);
  const zoomOf = async () => Number(/Zoom ([\d.]+)×/.exec(await overlayText(page, "bl"))[1]);
  const before = await zoomOf();
  await touch([
    [{ x: cx - 30, y: cy }, { x: cx - 120, y: cy }],
    [{ x: cx + 30, y: cy }, { x: cx + 120, y: cy }],
  ]);
  const after = await zoomOf();
  assert.ok(after > before * 1.5, `pinching out zooms in (${before} → ${after})`);
  await page.screenshot({ path: "/tmp/lumen-viewer-phone.png" });
  assert.deepEqual(errors, []);
});

test("the header switches the interface to Simplified Chinese, remembered after a reload", async () => {
  await page.locator('[data-testid="language"]').selectOption("zh-CN");
  await page.waitForLoadState("load");
  await waitForImage(page);
  assert.equal(await page.locator('[data-tool="wl"]').innerText(), "窗宽/窗位");
  assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN");
  await page.reload();
  await waitForImage(page);
  assert.equal(await page.locator('[data-tool="pan"]').innerText(), "平移");
  // The overlay abbreviations follow: window width/centre, zoom, series, slice location and thickness.
  const bl = await page.locator('[data-testid="viewport"][data-index="0"] [data-testid="overlay-bl"]').innerText();
  assert.match(bl, /窗宽 -?[\d.]+ 窗位 -?[\d.]+/);
  assert.match(bl, /缩放 [\d.]+×/);
  const tr = await page.locator('[data-testid="viewport"][data-index="0"] [data-testid="overlay-tr"]').innerText();
  assert.match(tr, /序列 \d+ · /);
  const br = await page.locator('[data-testid="viewport"][data-index="0"] [data-testid="overlay-br"]').innerText();
  assert.match(br, /位置 -?[\d.]+ mm/);
  assert.match(br, /层厚 [\d.]+ mm/);
  // The CT window presets are named in Chinese too.
  const presets = await page.locator('[data-testid="preset"] option').allInnerTexts();
  assert.ok(presets.some((p) => p.startsWith("肺窗")) && presets.some((p) => p.startsWith("纵隔窗")), `presets: ${presets}`);
  await page.screenshot({ path: "/tmp/lumen-viewer-zh.png" });
  await page.locator('[data-testid="language"]').selectOption("en");
  await page.waitForLoadState("load");
  await page.locator('[data-tool="pan"]', { hasText: "Pan" }).waitFor();
});
