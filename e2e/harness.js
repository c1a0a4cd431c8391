// Test harness for Lumen's browser tests: starts a real `lumen serve` over a freshly written demo archive on a
// free local port, and launches the system Chromium (never a downloaded browser) with the flags Lumen needs.
//
// It expects the debug binary built after the web app (`scripts/build-web.sh && cargo build -p lumen`), so the app
// is embedded. Set LUMEN_BIN to use another binary. It must not build anything itself or reach the network.

import { chromium } from "playwright-core";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const lumenBin = process.env.LUMEN_BIN ?? path.join(repo, "target", "debug", "lumen");
export const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** Chromium flags: headless, nothing phoned home, and WebGPU on SwiftShader (see STACK-NOTES). */
export const chromiumArgs = [
  "--headless=new",
  "--no-sandbox",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--enable-unsafe-webgpu",
  "--use-webgpu-adapter=swiftshader",
  "--enable-features=Vulkan",
  "--use-vulkan=swiftshader",
  "--use-angle=swiftshader",
];

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Runs `lumen <args>` to completion; throws with its stderr when it fails. */
function lumen(args) {
  const r = spawnSync(lumenBin, args, { encoding: "utf8", timeout: 300_000 });
  if (r.error) throw new Error(`could not run ${lumenBin} ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${lumenBin} ${args.join(" ")} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Writes the demo studies into a new temporary folder: the small set when this `lumen` offers one, unless `full`. */
export function writeDemo(full = false) {
  const dir = mkdtempSync(path.join(tmpdir(), "lumen-e2e-demo-"));
  const help = lumen(["demo", "--help"]);
  lumen(["demo", "--out", dir, ...(help.includes("--small") && !full ? ["--small"] : [])]);
  return dir;
}

/** Polls `url` until it answers 200, or throws after `timeoutMs` with what the server printed. */
async function waitUntilUp(url, child, output, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`lumen serve exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`lumen serve did not answer ${url} within ${timeoutMs} ms:\n${output()}`);
}

/**
 * Starts `lumen serve` over a new demo archive, or, with `{ pacs: URL }`, as a proxy in front of that DICOMweb
 * root. `prepare(demoDir)`, when given, runs after the demo is written and before the server starts (to add files);
 * `args` are passed on to `lumen serve` (e.g. `--frame-ancestor ORIGIN`); `full` serves the full-size demo studies
 * (the 512² × 220 CT…) instead of the small set.
 * Returns `{ origin, demo, stop() }` (`demo`: the archive folder, absent with `pacs`); `stop` ends the server
 * and removes the demo folder.
 */
export async function startLumen({ pacs, prepare, args = [], full = false } = {}) {
  if (!existsSync(lumenBin)) {
    throw new Error(`${lumenBin} not found: run scripts/build-web.sh && cargo build -p lumen first`);
  }
  const demo = pacs ? undefined : writeDemo(full);
  if (demo && prepare) await prepare(demo);
  const port = await freePort();
  const source = pacs ? ["--pacs", pacs] : ["--dicom-dir", demo];
  const child = spawn(lumenBin, ["serve", ...source, "--port", String(port), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    if (demo) rmSync(demo, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(`${origin}/`, child, () => log);
  } catch (e) {
    await stop();
    throw e;
  }
  return { origin, demo, stop, log: () => log };
}

/** Launches the system Chromium headless. */
export async function launchBrowser() {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath} (set CHROMIUM)`);
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/**
 * A new page that records every request it makes (`requests`: URLs) and every script error or console error
 * (`errors`), so a test can assert on both.
 */
export async function recordingPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, locale: "en-US" });
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  page.on("request", (req) => requests.push(req.url()));
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console error: ${msg.text()}`);
  });
  return { context, page, requests, errors };
}

/** QIDO-RS study search straight against the server, for the expected values (DICOM JSON). */
export async function qidoStudies(origin, params = {}) {
  const url = new URL(`${origin}/dicom-web/studies`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { headers: { Accept: "application/dicom+json" } });
  if (res.status === 204) return [];
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}

/** The Alphabetic group of a Patient Name (0010,0010) in a DICOM JSON dataset, or "". */
export function patientName(dataset) {
  const v = dataset?.["00100010"]?.Value?.[0];
  return typeof v === "string" ? v : v?.Alphabetic ?? "";
}

/** How the web app displays a Person Name: `FAMILY^GIVEN^MIDDLE` → `FAMILY, GIVEN MIDDLE` (see web/src/dicom_text.rs). */
export function displayedName(pn) {
  const [family = "", given = "", middle = "", prefix = "", suffix = ""] = pn.split("^").map((s) => s.trim());
  const first = [prefix, given, middle].filter(Boolean).join(" ");
  let out = [family, first].filter(Boolean).join(", ");
  if (suffix) out = out ? `${out}, ${suffix}` : suffix;
  return out;
}

/** Every `.dcm` file under `dir`, depth first. */
function dicomFilesUnder(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...dicomFilesUnder(full));
    else if (e.name.endsWith(".dcm")) out.push(full);
  }
  return out.sort();
}

/**
 * Starts a throw-away Orthanc with the DICOMweb plugin on loopback (free ports, empty storage in a new temporary
 * folder; `scripts/orthanc.sh`), and loads every `.dcm` file of `demoDir` into it through Orthanc's REST API
 * (`POST /instances`). Returns `{ url, dicomWeb, instances, stop() }`: `dicomWeb` is the DICOMweb root to give
 * `lumen serve --pacs`; `stop` ends Orthanc and removes its storage. Throws with Orthanc's answer when an upload fails.
 */
export async function startOrthanc(demoDir) {
  const script = path.join(repo, "scripts", "orthanc.sh");
  const r = spawnSync("bash", [script, "start"], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`scripts/orthanc.sh start failed (${r.status}): ${r.stderr.trim()}`);
  const url = /ORTHANC_URL=(\S+)/.exec(r.stdout)?.[1];
  const dir = /ORTHANC_DIR=(\S+)/.exec(r.stdout)?.[1];
  if (!url || !dir) throw new Error(`scripts/orthanc.sh start printed no URL/folder: ${r.stdout}`);
  const stop = async () => {
    spawnSync("bash", [script, "stop", dir], { encoding: "utf8", timeout: 30_000 });
  };
  try {
    const files = dicomFilesUnder(demoDir);
    for (const f of files) {
      const res = await fetch(`${url}/instances`, { method: "POST", body: readFileSync(f) });
      if (!res.ok) throw new Error(`Orthanc refused ${f}: ${res.status} ${await res.text()}`);
    }
    return { url, dicomWeb: `${url}/dicom-web/`, instances: files.length, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

// Run in the page (init script) and at the top of each worker script: keeps every WebAssembly.Memory instantiated,
// so the test can read its size without any hook in the app.
export const CAPTURE_WASM_MEMORIES = `(() => {
  if (self.__lumenWasmMemories) return;
  self.__lumenWasmMemories = [];
  const keep = (result) => {
    const instance = result instanceof WebAssembly.Instance ? result : result && result.instance;
    const memory = instance && instance.exports && instance.exports.memory;
    if (memory instanceof WebAssembly.Memory) self.__lumenWasmMemories.push(memory);
    return result;
  };
  for (const name of ["instantiate", "instantiateStreaming"]) {
    const original = WebAssembly[name];
    if (original) WebAssembly[name] = function (...args) { return original.apply(this, args).then(keep); };
  }
})();
`;
