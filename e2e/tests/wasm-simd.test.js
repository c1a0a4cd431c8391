// The web app's modules are built with WebAssembly SIMD128 (.cargo/config.toml): the served modules really hold
// SIMD code, a browser with SIMD starts the app, and a browser without it (simulated: its WebAssembly.validate
// refuses every module that uses the v128 type, as Safari < 16.4 / Chrome < 91 / Firefox < 89 do) gets a plain
// sentence saying the browser is too old instead of a blank page or a spinner, without downloading the module.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startLumen, launchBrowser, recordingPage } from "../harness.js";

let server;
let browser;

before(async () => {
  server = await startLumen();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** How many function bodies of a wasm module declare v128 locals (its code section parsed); 0 without SIMD. */
function simdFunctions(bytes) {
  let p = 8;
  const leb = () => {
    let v = 0;
    let shift = 0;
    let b;
    do {
      b = bytes[p++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return v;
  };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    if (id !== 10) {
      p += size;
      continue;
    }
    let n = 0;
    for (let count = leb(); count > 0; count--) {
      const end = leb() + p;
      let simd = false;
      for (let groups = leb(); groups > 0; groups--) {
        leb();
        if (bytes[p++] === 0x7b) simd = true;
      }
      if (simd) n++;
      p = end;
    }
    return n;
  }
  return 0;
}

test("the viewer's and the AI worker's modules are built with SIMD128", async () => {
  for (const name of ["lumen_web_bg.wasm", "lumen_ai_bg.wasm"]) {
    const res = await fetch(`${server.origin}/${name}`);
    assert.equal(res.status, 200, name);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.ok(WebAssembly.validate(bytes), `${name} is a valid module`);
    const n = simdFunctions(bytes);
    assert.ok(n > 0, `${name}: no function uses v128, the module was built without simd128 (RUSTFLAGS set?)`);
  }
});

test("a browser with WebAssembly SIMD starts the app", async () => {
  const { context, page, errors } = await recordingPage(browser);
  await page.goto(`${server.origin}/`);
  await page.locator('[data-testid="study-list"] tbody tr').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.locator("#boot-message").count(), 0, "the boot message is replaced by the app");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a browser without WebAssembly SIMD is told it is too old, and the module is not downloaded", async () => {
  const { context, page, requests } = await recordingPage(browser);
  await context.addInitScript(() => {
    // A byte 0x7b (the v128 value type) in a module's type or code marks SIMD use for this simulation; Lumen's
    // boot check validates a module whose only function returns v128.
    const validate = WebAssembly.validate.bind(WebAssembly);
    WebAssembly.validate = (bytes) => !new Uint8Array(bytes.buffer ?? bytes).includes(0x7b) && validate(bytes);
  });
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${server.origin}/`);
  const message = page.locator("#boot-message");
  await page.waitForFunction(() => /too old/.test(document.getElementById("boot-message")?.textContent ?? ""), null, {
    timeout: 15_000,
  });
  const text = await message.innerText();
  assert.match(text, /This browser is too old for Lumen: it needs WebAssembly SIMD/);
  assert.match(text, /Safari 16\.4/);
  assert.ok(await message.isVisible(), "the message is visible");
  assert.ok(await message.evaluate((e) => e.classList.contains("boot-error")), "shown as an error");
  await page.waitForTimeout(500);
  assert.ok(!requests.some((u) => u.endsWith(".wasm")), `no module is fetched: ${requests.join(", ")}`);
  assert.deepEqual(pageErrors, []);
  await context.close();
});
