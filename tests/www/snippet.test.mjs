// The email snippet as email clients show it, in real Chromium (Debian's), driven by playwright-core:
// a light page, a dark page (prefers-color-scheme: dark, the email declaring light and dark, as Apple
// Mail shows one), Chromium's own force-dark (a light email darkened by the client, as the Gmail and
// Outlook apps do), and forced colours (Windows high contrast) — each with the number image, and with
// images blocked (Outlook, Thunderbird and privacy settings block remote images). Checked by pixels
// of screenshots: the corners of the image's box are the page's own background (no white box), the
// number is drawn, and with images blocked the alt text draws the number. The screenshots are put
// together in docs/snippet-dark-mode.png.
//
// The snippet and the images come from the same wasm build the Worker runs (pkg/), through its
// `snippet_html` and `render_number`; the test server answers the snippet's image URLs with them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { chromium } from "playwright-core";
import { initSync, snippet_html, render_number, pixel_gif } from "../../pkg/ringmark.js";

initSync({ module: await readFile(new URL("../../pkg/ringmark_bg.wasm", import.meta.url)) });

const FALLBACK = "(415) 555-0132";
// The cases: the variant the image URL answers, and the pool's style.
const CASES = {
  text: { variant: "text", style: "" },
  button: { variant: "button", style: "" },
  "label-pill": { variant: "button", style: JSON.stringify({ label: "Call us", shape: "pill" }) },
};
// How the email is shown: the page's colour-scheme declaration and the browser context's emulation.
const MODES = {
  light: { declares: false, context: { colorScheme: "light" } },
  dark: { declares: true, context: { colorScheme: "dark" } },
  "force-dark": { declares: false, context: { colorScheme: "dark" }, forceDark: true },
  "forced-colours": { declares: false, context: { colorScheme: "dark", forcedColors: "active" } },
};
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

let server, base, browser, darkBrowser, analysis;
const shots = []; // { row, column, png, width, height }

function emailPage(name, mode) {
  const { style } = CASES[name];
  const snippet = snippet_html(`${base}/${name}`, "plain", FALLBACK, style);
  const scheme = MODES[mode].declares
    ? `<meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark">
       <style>body{background:Canvas;color:CanvasText}</style>`
    : `<style>body{background:#ffffff;color:#111827}</style>`;
  return `<!doctype html><html><head><meta charset="utf-8">${scheme}
    <style>body{margin:0;padding:16px 24px;font:16px/1.4 Arial,sans-serif} p{margin:0 0 12px}</style></head>
    <body><p>Questions about your order? Call us:</p>${snippet}<p style="margin-top:12px">Mon–Fri, 9–5.</p></body></html>`;
}

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const [, name, kind] = url.pathname.split("/");
    const c = CASES[name];
    if (c && kind === "email.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return res.end(emailPage(name, url.searchParams.get("mode")));
    }
    if (c && kind === "n") {
      res.writeHead(200, { "content-type": "image/png", "cache-control": "no-store" });
      return res.end(Buffer.from(render_number(FALLBACK, c.variant, c.style)));
    }
    if (c && kind === "o") {
      res.writeHead(200, { "content-type": "image/gif" });
      return res.end(Buffer.from(pixel_gif()));
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
  const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
  browser = await chromium.launch({ executablePath, args: ARGS });
  // Chromium's auto dark mode for web content: what a client that darkens light emails does.
  darkBrowser = await chromium.launch({ executablePath, args: [...ARGS, "--enable-features=WebContentsForceDark"] });
  analysis = await (await browser.newContext()).newPage();
});

after(async () => {
  await browser?.close();
  await darkBrowser?.close();
  server?.close();
});

/** RGBA pixels of a PNG, decoded by the browser's own image decoder. */
async function decode(png) {
  return analysis.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = new OffscreenCanvas(img.width, img.height);
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    return { width: img.width, height: img.height, data: Array.from(ctx.getImageData(0, 0, img.width, img.height).data) };
  }, png.toString("base64"));
}

const MARGIN = 8; // CSS px of page around the image's box in each screenshot
const SCALE = 2; // device pixels per CSS px: a high-density screen, where the 2x image shows every pixel

/** Opens the email of case `name` in `mode`, images blocked or not; screenshots the image's box with a margin. */
async function shoot(name, mode, { blocked = false } = {}) {
  const m = MODES[mode];
  const context = await (m.forceDark ? darkBrowser : browser).newContext({
    ...m.context, viewport: { width: 800, height: 300 }, deviceScaleFactor: SCALE,
  });
  const page = await context.newPage();
  if (blocked) await page.route("**/n/**", (route) => route.abort());
  await page.goto(`${base}/${name}/email.html?mode=${mode}`);
  const img = page.locator('img[src*="/n/"]');
  await page.waitForFunction(() => {
    const i = document.querySelector('img[src*="/n/"]');
    return i && i.complete;
  });
  const loaded = await img.evaluate((i) => i.naturalWidth > 0);
  const box = await img.boundingBox();
  const clip = { x: box.x - MARGIN, y: box.y - MARGIN, width: box.width + 2 * MARGIN, height: box.height + 2 * MARGIN };
  const png = await page.screenshot({ clip });
  await context.close();
  return { png, loaded, box, pixels: await decode(png) };
}

const at = (p, x, y) => {
  const i = (Math.round(y) * p.width + Math.round(x)) * 4;
  return p.data.slice(i, i + 3);
};
const luminance = ([r, g, b]) => {
  const lin = (c) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
};
const contrast = (a, b) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};
const near = (a, b, tolerance = 6) => a.every((v, i) => Math.abs(v - b[i]) <= tolerance);

/**
 * The checks every screenshot must pass: the page's background is where the mode puts it (so the
 * emulation really happened), each corner of the image's box is that background (no box of another
 * colour around the number), and inside the box enough pixels stand out from the background (≥ 3:1)
 * to be the number.
 */
function check({ pixels: p, box }, mode, what, { brokenIcon = false } = {}) {
  const bg = at(p, 1, 1);
  if (mode === "light") assert.ok(luminance(bg) > 0.9, `${what}: a light page (${bg})`);
  else assert.ok(luminance(bg) < 0.1, `${what}: a dark page (${bg})`);
  const [left, top] = [MARGIN * SCALE, MARGIN * SCALE];
  const [right, bottom] = [left + box.width * SCALE - 1, top + box.height * SCALE - 1];
  const inset = 2; // the outermost device pixels may blend with the page when the box is not on whole pixels
  const corners = [[right - inset, top + inset], [left + inset, bottom - inset], [right - inset, bottom - inset]];
  // A blocked image's top-left corner holds Chromium's own broken-image icon (16 CSS px), not the snippet's.
  if (!brokenIcon) corners.push([left + inset, top + inset]);
  for (const [x, y] of corners) {
    assert.ok(near(at(p, x, y), bg), `${what}: corner (${x},${y}) is ${at(p, x, y)}, the page is ${bg}`);
  }
  // Counted right of the broken-image icon when there is one, so the icon alone cannot pass for the number.
  const from = brokenIcon ? left + 20 * SCALE : left;
  let standing = 0;
  for (let y = top; y <= bottom; y++) {
    for (let x = from; x <= right; x++) if (contrast(at(p, x, y), bg) >= 3) standing++;
  }
  assert.ok(standing > 400, `${what}: only ${standing} pixels stand out from the page`);
  return standing;
}

for (const name of Object.keys(CASES)) {
  test(`the ${name} snippet shows no box and a readable number in every mode`, async () => {
    for (const mode of Object.keys(MODES)) {
      const shot = await shoot(name, mode);
      shots.push({ row: name, column: mode, ...shot });
      assert.ok(shot.loaded, `${name} ${mode}: the image loaded`);
      check(shot, mode, `${name} ${mode}`);
    }
  });
}

test("with images blocked the alt text shows the number, on light and dark pages", async () => {
  for (const mode of Object.keys(MODES)) {
    const shot = await shoot("button", mode, { blocked: true });
    shots.push({ row: "images blocked", column: mode, ...shot });
    assert.equal(shot.loaded, false, `${mode}: the image was blocked`);
    check(shot, mode, `blocked ${mode}`, { brokenIcon: true });
  }
});

test("the contact sheet of every screenshot is written to docs/", async () => {
  const rows = [...new Set(shots.map((s) => s.row))];
  const columns = Object.keys(MODES);
  assert.equal(shots.length, rows.length * columns.length, "every case was shot in every mode");
  const cell = (s) => `<td><img src="data:image/png;base64,${s.png.toString("base64")}" width="${s.pixels.width / SCALE}"></td>`;
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>
    body{margin:0;padding:16px;background:#9ca3af;font:bold 14px Arial,sans-serif;color:#111827}
    td,th{padding:6px 10px;text-align:left;vertical-align:middle} img{display:block}</style></head><body>
    <table><tr><th></th>${columns.map((c) => `<th>${c}</th>`).join("")}</tr>
    ${rows.map((r) => `<tr><th>${r}</th>${columns.map((c) => cell(shots.find((s) => s.row === r && s.column === c))).join("")}</tr>`).join("")}
    </table></body></html>`;
  const context = await browser.newContext({ viewport: { width: 1200, height: 400 }, deviceScaleFactor: SCALE });
  const page = await context.newPage();
  await page.setContent(html);
  await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
  const sheet = await page.locator("table").screenshot();
  await context.close();
  await mkdir("test-results", { recursive: true });
  await writeFile("test-results/snippet-dark-mode.png", sheet);
  await writeFile(new URL("../../docs/snippet-dark-mode.png", import.meta.url), sheet);
  assert.ok(sheet.length > 1000);
});
