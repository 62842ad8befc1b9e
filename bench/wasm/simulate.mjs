// The browser package's simulate (pkg/browser/simulate.js) on a 100,000-recipient send, in Node
// and in headless Chromium (Debian's, via playwright-core): module load, then the median of
// several runs of the same input (default send, 2,000 numbers, default resolution).
//   make build && node bench/wasm/simulate.mjs [runs=5] [recipients=100000]
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { chromium } from "playwright-core";

const PKG = new URL("../../pkg/browser/", import.meta.url);
const runs = Number(process.argv[2] ?? 5);
const recipients = Number(process.argv[3] ?? 100000);
const input = { send: { recipients }, pool: { numbers: 2000 } };

async function measure(mod, input, runs) {
  const times = [];
  let points = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    points = mod.simulate(input).hours.length;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { median_ms: times[Math.floor(runs / 2)], min_ms: times[0], max_ms: times.at(-1), points };
}

const t0 = performance.now();
const mod = await import(new URL("simulate.js", PKG));
mod.initSync({ module: readFileSync(new URL("simulate_bg.wasm", PKG)) });
console.log("node     load", (performance.now() - t0).toFixed(1), "ms", JSON.stringify(await measure(mod, input, runs)));

const server = createServer((req, res) => {
  const name = new URL(req.url, "http://x").pathname.slice(1) || "index.html";
  if (name === "index.html") return res.end("<!doctype html><title>bench</title>");
  try {
    const body = readFileSync(new URL(name, PKG));
    res.writeHead(200, { "content-type": name.endsWith(".wasm") ? "application/wasm" : "text/javascript" });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/`);
const result = await page.evaluate(async ([input, runs, measureSrc]) => {
  const t0 = performance.now();
  const mod = await import("/simulate.js");
  await mod.default();
  const load = performance.now() - t0;
  const measure = eval(`(${measureSrc})`);
  return { load, ...(await measure(mod, input, runs)) };
}, [input, runs, measure.toString()]);
console.log("chromium load", result.load.toFixed(1), "ms", JSON.stringify({ ...result, load: undefined }));
await browser.close();
server.close();
