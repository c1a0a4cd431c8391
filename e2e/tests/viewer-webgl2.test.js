// The study view with WebGL2 forced (`?renderer=webgl2`, the switch tests and broken WebGPU drivers use): the
// backend indicator says webgl2, and the rendered pixels of the demo CT (read from a screenshot) still match the
// PS3.3 C.11.2.1.2.1 LINEAR window applied to the file's Hounsfield units (interpolated between pixel centres as
// the display does), before and after a preset change.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startLumen, launchBrowser, recordingPage, qidoStudies } from "../harness.js";
import { modalityValues, seriesFiles, modelGray, gridMismatches, interiorPixels, fittedScreen, shot, settle, shownWindow, waitForImage } from "../viewer-helpers.js";

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

test("with WebGL2 forced, the CT renders with the expected grays", async () => {
  const { page, errors } = session;
  const studies = await qidoStudies(server.origin);
  const study = studies.find((s) => (s["00080061"]?.Value ?? []).includes("CT"))["0020000D"].Value[0];
  const files = seriesFiles(server.demo, "ct-chest/01-");
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${study}&renderer=webgl2`);
  await waitForImage(page);
  assert.equal((await page.locator('[data-testid="gpu-backend"]').innerText()).trim(), "GPU · webgl2");
  const vp = page.locator('[data-testid="viewport"][data-index="0"]');
  await vp.click({ position: { x: 5, y: 5 } });
  for (const [name, key, width, center] of [["mediastinum", "2", 400, 40], ["bone", "4", 1800, 400]]) {
    await page.keyboard.press(key);
    await settle(page);
    assert.deepEqual(await shownWindow(page), { width, center });
    const img = modalityValues(files.get(await vp.getAttribute("data-sop-instance-uid")));
    const s = await shot(page.locator('[data-testid="viewport-canvas"]'), `/tmp/lumen-webgl2-${name}.png`);
    const body = interiorPixels(img, -200, 3000);
    assert.ok(body.length > 0, "pixels inside the body");
    for (const p of [{ c: 1, r: 1, hu: img.hu[img.columns + 1] }, body[Math.floor(body.length / 2)], body[0]]) {
      const { x, y, zoom } = fittedScreen(p.c, p.r, img.columns, img.rows, s.width, s.height);
      const [X, Y] = [Math.floor(x), Math.floor(y)];
      const want = modelGray(img, X, Y, { W: s.width, H: s.height, zoom }, center, width);
      assert.ok(Math.abs(s.gray(X, Y) - want) <= 2, `${name}: near (${p.c},${p.r}) ${p.hu} HU → ${want}, rendered ${s.gray(X, Y)}`);
    }
    assert.deepEqual(gridMismatches(img, s, center, width), [], `${name}: the whole picture`);
  }
  assert.deepEqual(errors, [], "no script errors");
});
