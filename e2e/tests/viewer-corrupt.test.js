// A corrupt instance in the demo CT — a copy of one slice with its own SOP Instance UID whose Pixel Data was cut
// to half its length, added to the demo folder before the server starts — shows an error placeholder with the
// reason in its viewport, while the other slices of the series still display.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startLumen, launchBrowser, recordingPage, qidoStudies } from "../harness.js";
import { waitForImage, overlayText } from "../viewer-helpers.js";

let server;
let browser;
let session;
let corruptSop;

/** Writes a half-truncated copy of the middle slice of the main CT series with a new SOP Instance UID. */
function addCorruptCopy(demo) {
  const dir = path.join(demo, "ct-chest", readdirSync(path.join(demo, "ct-chest")).find((d) => d.startsWith("01-")));
  const source = path.join(dir, "0011.dcm");
  let bytes = Buffer.from(readFileSync(source));
  // The SOP Instance UID (0008,0018), explicit VR little endian: tag, "UI", 2-byte length, value.
  const tag = Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49]);
  const at = bytes.indexOf(tag);
  const len = bytes.readUInt16LE(at + 6);
  const uid = bytes.subarray(at + 8, at + 8 + len).toString("latin1").replace(/\0$/, "");
  const last = uid.at(-1);
  corruptSop = uid.slice(0, -1) + (last === "9" ? "8" : String(Number(last) + 1));
  // Same length, so every occurrence (meta group and data set) can be replaced in place.
  bytes = Buffer.from(bytes.toString("latin1").split(uid).join(corruptSop), "latin1");
  // Pixel Data (7FE0,0010) OW: halve its length and cut the file there.
  const pd = bytes.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0]));
  const pdLen = bytes.readUInt32LE(pd + 8);
  bytes.writeUInt32LE(pdLen / 2, pd + 8);
  writeFileSync(path.join(dir, "0099.dcm"), bytes.subarray(0, pd + 12 + pdLen / 2));
}

before(async () => {
  server = await startLumen({ prepare: addCorruptCopy });
  browser = await launchBrowser();
  session = await recordingPage(browser);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the corrupt slice shows an error placeholder and its neighbours still display", async () => {
  const { page } = session;
  const studies = await qidoStudies(server.origin);
  const study = studies.find((s) => (s["00080061"]?.Value ?? []).includes("CT"))["0020000D"].Value[0];
  await page.goto(`${server.origin}/viewer?StudyInstanceUIDs=${study}`);
  await waitForImage(page);
  const vp = page.locator('[data-testid="viewport"][data-index="0"]');
  await vp.click({ position: { x: 5, y: 5 } });
  for (let i = 0; i < 40; i++) {
    if ((await vp.getAttribute("data-sop-instance-uid")) === corruptSop) break;
    await page.keyboard.press("ArrowDown");
  }
  assert.equal(await vp.getAttribute("data-sop-instance-uid"), corruptSop, "the corrupt copy is part of the stack");
  const placeholder = vp.locator('[data-testid="frame-error"]');
  await placeholder.waitFor({ timeout: 30_000 });
  const reason = await placeholder.innerText();
  assert.match(reason, /cannot be shown/i);
  assert.ok(reason.length > 40, `the placeholder gives the reason: ${reason}`);
  await page.screenshot({ path: "/tmp/lumen-viewer-corrupt.png" });
  // The next slice displays.
  await page.keyboard.press("ArrowDown");
  await vp.locator('[data-testid="overlay-bl"]', { hasText: "Zoom" }).waitFor({ timeout: 30_000 });
  assert.equal(await vp.locator('[data-testid="frame-error"]').count(), 0);
  assert.match(await overlayText(page, "tr"), /\d+\/\d+/);
});
