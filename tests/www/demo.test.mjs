// The demo page in real Chromium (Debian's), driven by playwright-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile, mkdir } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

const ROOT = new URL("../../www/", import.meta.url).pathname;
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".png": "image/png",
  ".tsv": "text/tab-separated-values" };
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

let server, browser, base;

before(async () => {
  server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(ROOT, path.endsWith("/") ? `${path}index.html` : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function open(userAgent) {
  const context = await browser.newContext({ userAgent, viewport: { width: 1000, height: 1400 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(base);
  await page.waitForSelector("#status[data-ready=true]", { timeout: 20_000 });
  return { page, errors, context };
}

const fact = (page, section, key) => page.textContent(`#${section}-facts dd[data-key=${key}]`);

test("classifies the visitor's own browser and shows the button a phone gets", async () => {
  const { page, errors, context } = await open(IPHONE);
  assert.equal(await fact(page, "you", "device"), "smartphone");
  assert.equal(await fact(page, "you", "machine"), "false");
  assert.equal(await page.getAttribute("#you-image", "data-variant"), "button");
  const width = await page.$eval("#you-image", (img) => img.naturalWidth);
  assert.ok(width > 100, `button image decoded (${width} px wide)`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a pasted Gmail proxy request is a machine open with the number as text", async () => {
  const { page, errors, context } = await open(IPHONE);
  await page.click("text=Gmail image proxy");
  assert.equal(await fact(page, "try", "opener"), "proxy");
  assert.equal(await fact(page, "try", "machine"), "true");
  assert.equal(await fact(page, "try", "client"), "Gmail");
  assert.equal(await page.getAttribute("#try-image", "data-variant"), "text");
  assert.match(await page.textContent("#try-note"), /machine open/i);
  assert.deepEqual(errors, []);
  await context.close();
});

test("bad header JSON shows an error instead of failing silently", async () => {
  const { page, context } = await open(IPHONE);
  await page.fill("#headers", "{not json");
  await page.click("button[type=submit]");
  assert.equal(await page.isVisible("#error"), true);
  await context.close();
});

test("the gallery renders every variant, and the page is saved as a screenshot", async () => {
  const { page, errors, context } = await open("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36");
  assert.equal(await fact(page, "you", "device"), "desktop");
  await page.click("text=Android tablet");
  assert.equal(await fact(page, "try", "device"), "tablet");
  await page.waitForFunction(() => [...document.querySelectorAll("#grid img")].every((i) => i.complete && i.naturalWidth > 0));
  assert.equal(await page.$$eval("#grid img", (imgs) => imgs.length), 3);
  await mkdir("test-results", { recursive: true });
  await page.screenshot({ path: "test-results/www.png", fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test("the page loads the device-model table beside the module: a white-label tablet that says Mobile gets text", async () => {
  const { page, errors, context } = await open(IPHONE);
  // The rules alone call this UA a smartphone (its Chrome says Mobile); only the table knows the model is a tablet.
  assert.match(await page.textContent("#status"), /device-model table: [\d,]+ codes/);
  await page.click("text=White-label tablet (says Mobile)");
  assert.equal(await fact(page, "try", "device"), "tablet");
  assert.equal(await page.getAttribute("#try-image", "data-variant"), "text");
  assert.deepEqual(errors, []);
  await context.close();
});

test("the page links to the console the Worker serves at /app/", async () => {
  const { page, context } = await open(IPHONE);
  assert.equal(await page.getAttribute("#console-link", "href"), "/app/");
  await context.close();
});

test("restyling re-renders every image in the new box, and a style the renderer refuses shows why", async () => {
  const { page, errors, context } = await open(IPHONE);
  const widths = () => page.$$eval("img[data-variant]", (imgs) => imgs.map((i) => i.width));
  const before = await widths();
  await page.fill("#style-label", "Call our friendly team today");
  await page.waitForFunction((w) => document.querySelector("#grid img").width > w, before[2]);
  const after = await widths();
  assert.equal(after.length, before.length);
  for (const [i, w] of after.entries()) assert.ok(w > before[i], `image ${i}: ${before[i]} -> ${w}`);
  await page.fill("#style-font", "99");
  assert.equal(await page.isVisible("#style-error"), true);
  assert.match(await page.textContent("#style-error"), /style/);
  assert.deepEqual(await widths(), after, "a refused style leaves the images as they were");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a simulation loads its module and draws the pool filling, then emptying; a small pool runs dry", async () => {
  const { page, errors, context } = await open(IPHONE);
  const run = async (numbers) => {
    await page.evaluate(() => { delete document.querySelector("#sim-summary").dataset.done; });
    await page.fill("#sim-recipients", "20000");
    await page.fill("#sim-numbers", String(numbers));
    await page.click("#sim-form button[type=submit]");
    await page.waitForSelector("#sim-summary[data-done=true]", { timeout: 30_000 });
    const ys = await page.$eval("#sim-held", (p) => p.getAttribute("points").split(" ").map((xy) => Number(xy.split(",")[1])));
    return { ys, text: await page.textContent("#sim-summary") };
  };
  assert.equal(await page.isVisible("#sim-chart"), false, "no chart before a run");
  const big = await run(3000);
  assert.equal(await page.isVisible("#sim-chart"), true);
  assert.ok(big.ys.length > 100, `${big.ys.length} points`);
  const top = Math.min(...big.ys); // SVG y grows downwards: the peak is the smallest y
  assert.ok(top < big.ys[0] && top < big.ys.at(-1), "rises from empty, then falls");
  assert.match(big.text, /nobody was shown the fallback number/);
  const small = await run(20);
  assert.match(small.text, /fallback number from hour \d/);
  assert.equal(await page.isVisible("#sim-error"), false);
  assert.deepEqual(errors, []);
  await context.close();
});
