// Helpers for the study-view tests: the demo CT's stored values read with `lumen` itself (never through the web
// app), the C.11.2.1.2.1 LINEAR window, where an image pixel lands on the canvas when the view is fitted, and
// reading rendered pixels back from screenshots (a WebGPU canvas reads back as zeros through drawImage).
// It must not start servers or browsers (harness.js does).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PNG } from "pngjs";
import { lumenBin } from "./harness.js";

function lumen(args) {
  const r = spawnSync(lumenBin, args, { encoding: "buffer", timeout: 60_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`lumen ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** The DICOM JSON of a file, from `lumen info --json`. */
export function dicomJson(file) {
  return JSON.parse(lumen(["info", "--json", file]).toString("utf8"));
}

const first = (ds, tag) => ds?.[tag]?.Value?.[0];

/**
 * The modality values (HU for CT) of a single-frame file: stored values from `lumen decode --format raw`, through
 * Rescale Slope/Intercept. Returns `{ sop, rows, columns, hu: Float64Array }`.
 */
export function modalityValues(file) {
  const ds = dicomJson(file);
  const rows = first(ds, "00280010");
  const columns = first(ds, "00280011");
  const signed = first(ds, "00280103") === 1;
  const slope = Number(first(ds, "00281053") ?? 1);
  const intercept = Number(first(ds, "00281052") ?? 0);
  const dir = mkdtempSync(path.join(tmpdir(), "lumen-e2e-raw-"));
  try {
    const out = path.join(dir, "frame.raw");
    lumen(["decode", "--format", "raw", "--frame", "0", "--out", out, file]);
    const raw = readFileSync(out);
    const hu = new Float64Array(rows * columns);
    for (let i = 0; i < hu.length; i++) {
      const v = signed ? raw.readInt16LE(i * 2) : raw.readUInt16LE(i * 2);
      hu[i] = v * slope + intercept;
    }
    return { sop: first(ds, "00080018"), rows, columns, hu };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every `.dcm` file of a demo series folder (e.g. `ct-chest/01-…`), by SOP Instance UID. */
export function seriesFiles(demo, folderPrefix) {
  const [group, prefix] = folderPrefix.split("/");
  const dir = readdirSync(path.join(demo, group)).find((d) => d.startsWith(prefix));
  if (!dir) throw new Error(`no demo folder ${folderPrefix}`);
  const files = readdirSync(path.join(demo, group, dir)).filter((f) => f.endsWith(".dcm"));
  const bySop = new Map();
  for (const f of files) {
    const full = path.join(demo, group, dir, f);
    bySop.set(first(dicomJson(full), "00080018"), full);
  }
  return bySop;
}

/** PS3.3 C.11.2.1.2.1 LINEAR window of modality value x, as an 8-bit gray. */
export function linearGray(x, center, width) {
  const c = center - 0.5;
  const w = width - 1;
  if (x <= c - w / 2) return 0;
  if (x > c + w / 2) return 255;
  return Math.round(((x - c) / w + 0.5) * 255);
}

/**
 * Pixels whose value lies in [lo, hi] and whose 8 neighbours differ from it by at most `spread` (well inside a
 * uniform structure, so a screenshot sample near the pixel's centre is unambiguous even with the display's
 * interpolation between pixel centres).
 */
export function interiorPixels({ rows, columns, hu }, lo, hi, spread = 30) {
  const out = [];
  for (let r = 1; r < rows - 1; r++) {
    for (let c = 1; c < columns - 1; c++) {
      let ok = true;
      for (let dr = -1; dr <= 1 && ok; dr++) {
        for (let dc = -1; dc <= 1 && ok; dc++) {
          const v = hu[(r + dr) * columns + (c + dc)];
          if (!(Math.abs(v - hu[r * columns + c]) <= spread)) ok = false;
        }
      }
      const v = hu[r * columns + c];
      if (ok && v >= lo && v <= hi) out.push({ c, r, hu: v });
    }
  }
  return out;
}

/** Where the centre of image pixel (c, r) lands in a W×H viewport with a fitted, upright, unflipped view. */
export function fittedScreen(c, r, columns, rows, W, H) {
  const zoom = Math.min(W / columns, H / rows);
  return { x: W / 2 + (c + 0.5 - columns / 2) * zoom, y: H / 2 + (r + 0.5 - rows / 2) * zoom, zoom };
}

/** What lies over the canvas (corner texts, markers, scale bar, scrollbar), hidden while pixels are read. */
const HIDE_OVERLAYS = '[data-testid="viewport"] > * { visibility: hidden !important; }';

/**
 * A PNG screenshot of `locator` with the viewport overlays hidden (only the rendered image), decoded:
 * `{ width, height, gray(x, y), rgb(x, y) }`; also written to `file` with the overlays when given.
 */
export async function shot(locator, file) {
  if (file) await locator.screenshot({ path: file });
  const buf = await locator.screenshot({ style: HIDE_OVERLAYS });
  const png = PNG.sync.read(buf);
  const at = (x, y) => {
    const i = (Math.floor(y) * png.width + Math.floor(x)) * 4;
    return [png.data[i], png.data[i + 1], png.data[i + 2]];
  };
  return { width: png.width, height: png.height, rgb: at, gray: (x, y) => at(x, y)[0] };
}

/** Waits until two animation frames have passed and the GPU has presented (SwiftShader is slow). */
export async function settle(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForTimeout(250);
}

/** The lines of a viewport overlay corner (`tr`, `bl`). */
export async function overlayText(page, corner, index = 0) {
  return page.locator(`[data-testid="viewport"][data-index="${index}"] [data-testid="overlay-${corner}"]`).innerText();
}

/** The window shown in the bottom-left overlay, `{ width, center }`. */
export async function shownWindow(page, index = 0) {
  const text = await overlayText(page, "bl", index);
  const m = /W (-?[\d.]+) L (-?[\d.]+)/.exec(text);
  if (!m) throw new Error(`no window in the overlay: ${text}`);
  return { width: Number(m[1]), center: Number(m[2]) };
}

/** Waits until viewport `index` shows a decoded image (not loading), or fails with what it shows. */
export async function waitForImage(page, index = 0, timeout = 60_000) {
  const vp = page.locator(`[data-testid="viewport"][data-index="${index}"]`);
  // The zoom line ("Zoom 1.00×", "缩放 1.00×"…) appears once a frame is shown, whatever the language.
  await vp.locator('[data-testid="overlay-bl"]', { hasText: /\d\.\d\d×/ }).waitFor({ timeout });
  await page.waitForFunction(() => typeof window.__lumenFirstImageMs === "number", null, { timeout });
  await settle(page);
}

/**
 * The gray the viewport should show at screen pixel (X, Y) (integers, device pixels of a W×H viewport): the
 * modality value at the pixel's centre — bilinear between image pixel centres when `smooth` (edge pixels repeat),
 * else the nearest pixel — through the LINEAR window; black outside the image. `zoom`: device pixels per image
 * pixel (the image centred, no pan); `flipH` mirrors left–right.
 */
export function modelGray({ rows, columns, hu }, X, Y, { W, H, zoom, flipH = false, smooth = true }, center, width) {
  let px = (X + 0.5 - W / 2) / zoom;
  const py = (Y + 0.5 - H / 2) / zoom;
  if (flipH) px = -px;
  const p = [px + columns / 2, py + rows / 2];
  if (p[0] < 0 || p[1] < 0 || p[0] >= columns || p[1] >= rows) return 0;
  const texel = (c, r) => hu[Math.min(Math.max(r, 0), rows - 1) * columns + Math.min(Math.max(c, 0), columns - 1)];
  let v;
  if (smooth) {
    const q = [p[0] - 0.5, p[1] - 0.5];
    const b = [Math.floor(q[0]), Math.floor(q[1])];
    const t = [q[0] - b[0], q[1] - b[1]];
    const top = texel(b[0], b[1]) * (1 - t[0]) + texel(b[0] + 1, b[1]) * t[0];
    const bottom = texel(b[0], b[1] + 1) * (1 - t[0]) + texel(b[0] + 1, b[1] + 1) * t[0];
    v = top * (1 - t[1]) + bottom * t[1];
  } else {
    v = texel(Math.floor(p[0]), Math.floor(p[1]));
  }
  return linearGray(v, center, width);
}

/**
 * Screen pixels of a fitted, upright view whose gray differs by more than 2 from [`modelGray`]: a 17×17 grid over
 * the whole image. Returns descriptions of the mismatches (empty when the picture is right).
 */
export function gridMismatches(img, s, center, width) {
  const zoom = Math.min(s.width / img.columns, s.height / img.rows);
  const x0 = s.width / 2 - (img.columns / 2) * zoom;
  const y0 = s.height / 2 - (img.rows / 2) * zoom;
  const bad = [];
  for (let i = 1; i <= 17; i++) {
    for (let j = 1; j <= 17; j++) {
      const X = Math.floor(x0 + (i / 18) * img.columns * zoom);
      const Y = Math.floor(y0 + (j / 18) * img.rows * zoom);
      const want = modelGray(img, X, Y, { W: s.width, H: s.height, zoom }, center, width);
      if (Math.abs(s.gray(X, Y) - want) > 2) bad.push(`(${X},${Y}) expected ${want}, rendered ${s.gray(X, Y)}`);
    }
  }
  return bad;
}
