// The browser package (pkg/browser, `make build`) as a user gets it: `npm install` into a fresh
// folder (offline: the package has no dependencies), imported by name in Node, every export
// exercised with checks of its own (PNGs decoded here with node:zlib, not by the renderer), and
// its types compiled by `tsc --strict` with only the ES2022 and DOM libs.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { crc32, gzipSync, inflateSync } from "node:zlib";

const REPO = new URL("../../", import.meta.url).pathname;
const PKG = join(REPO, "pkg/browser");
const TSC = join(REPO, "node_modules/typescript/bin/tsc");
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const GMAIL = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";

let dir, manifest, rm, sim;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ringmark-browser-pkg-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  // --install-links: copy the package the way a tarball would install (its `files` only), not a symlink.
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--install-links", PKG], { cwd: dir, stdio: "pipe" });
  const require = createRequire(join(dir, "package.json"));
  manifest = JSON.parse(readFileSync(require.resolve("ringmark-browser/package.json"), "utf8"));
  rm = await import(pathToFileURL(require.resolve("ringmark-browser")));
  rm.initSync({ module: readFileSync(require.resolve("ringmark-browser/ringmark_bg.wasm")) });
  sim = await import(pathToFileURL(require.resolve("ringmark-browser/simulate")));
  sim.initSync({ module: readFileSync(require.resolve("ringmark-browser/simulate_bg.wasm")) });
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Reads a PNG's chunks, checking each CRC and the signature; returns IHDR fields and the inflated pixels. */
function decodePng(bytes) {
  const buf = Buffer.from(bytes);
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
  let at = 8;
  const chunks = [];
  while (at < buf.length) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString("latin1", at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + length);
    assert.equal(buf.readUInt32BE(at + 8 + length), crc32(buf.subarray(at + 4, at + 8 + length)), `${type} CRC`);
    chunks.push({ type, data });
    at += 12 + length;
  }
  const ihdr = chunks[0].data;
  const [width, height, depth, colour] = [ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]];
  const pixels = inflateSync(Buffer.concat(chunks.filter((c) => c.type === "IDAT").map((c) => c.data)));
  return { types: chunks.map((c) => c.type), width, height, depth, colour, pixels };
}

describe("the package installs like any npm package", () => {
  test("package.json names its entry points, types, files and side effects", () => {
    assert.equal(manifest.name, "ringmark-browser");
    assert.match(manifest.version, /^\d+\.\d+\.\d+/);
    assert.equal(manifest.type, "module");
    assert.equal(manifest.types, "./ringmark.d.ts");
    assert.equal(manifest.sideEffects, false);
    assert.equal(manifest.exports["."].types, "./ringmark.d.ts");
    assert.equal(manifest.exports["./simulate"].types, "./simulate.d.ts");
  });

  test("each module exports its own functions and none of the Worker's (Edge, PoolObject…)", () => {
    // `#[wasm_bindgen]` exports of a linked library leak into every module: a new export in the
    // `ringmark` crate outside its `worker` feature would show up here.
    const own = (file) => WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(join(PKG, file))))
      .map((e) => e.name)
      .filter((name) => name !== "memory" && !name.startsWith("__"))
      .sort();
    assert.deepEqual(own("ringmark_bg.wasm"), ["answer", "classify", "display_size", "load_device_models", "pixel_gif", "render_number", "version"]);
    assert.deepEqual(own("simulate_bg.wasm"), ["simulate"]);
  });

  test("it installs exactly its files (and package.json)", () => {
    const installed = readdirSync(join(dir, "node_modules/ringmark-browser")).sort();
    assert.deepEqual(installed, [...manifest.files, "package.json"].sort());
  });
});

describe("classify and answer are the Worker's decisions", () => {
  test("an iPhone is a person's smartphone and gets the dialling button", () => {
    const c = rm.classify(IPHONE);
    assert.equal(c.device, "smartphone");
    assert.equal(c.opener, "person");
    assert.equal(c.machine, false);
    assert.deepEqual(rm.answer(IPHONE), { variant: "button", dials: true });
  });

  test("Gmail's image proxy is a machine, shown the text image", () => {
    const c = rm.classify(GMAIL);
    assert.equal(c.machine, true);
    assert.equal(c.opener, "proxy");
    assert.equal(c.client, "Gmail");
    assert.equal(rm.answer(GMAIL).variant, "text");
  });

  test("headers are optional, and they count: X-Requested-With names Samsung's mail app", () => {
    const webview = "Mozilla/5.0 (Linux; Android 14; SM-S918B; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.0.0 Mobile Safari/537.36";
    assert.notEqual(rm.classify(webview).client, "Samsung Email");
    assert.equal(rm.classify(webview, { "X-Requested-With": "com.samsung.android.email.provider" }).client, "Samsung Email");
    assert.equal(rm.answer(DESKTOP).variant, "text");
    assert.throws(() => rm.classify(DESKTOP, { "sec-ch-ua-mobile": 1 }), /headers/);
  });
});

describe("render_number draws what display_size promises", () => {
  test("a PNG at twice the box, every chunk's CRC right, pixels that inflate to the image's size", () => {
    for (const variant of ["text", "button"]) {
      const png = rm.render_number("(415) 555-0132", variant);
      const { width, height } = rm.display_size("(415) 555-0132");
      const image = decodePng(png);
      assert.deepEqual([image.width, image.height], [2 * width, 2 * height], variant);
      assert.equal(image.colour, 3, "palette");
      assert.deepEqual(image.types.at(-1), "IEND");
      const rowBytes = Math.ceil((image.width * image.depth) / 8);
      assert.equal(image.pixels.length, image.height * (1 + rowBytes), `${variant}: one filter byte + a row per line`);
    }
  });

  test("a style's label and font size change the box; both variants share it", () => {
    const plain = rm.display_size("(415) 555-0132");
    const labelled = rm.display_size("(415) 555-0132", { label: "Call us", font_px: 28 });
    assert.ok(labelled.width > plain.width && labelled.height > plain.height);
    const button = decodePng(rm.render_number("(415) 555-0132", "button", { label: "Call us", font_px: 28 }));
    assert.deepEqual([button.width, button.height], [2 * labelled.width, 2 * labelled.height]);
  });

  test("a style the Worker would refuse is refused, naming why", () => {
    assert.throws(() => rm.render_number("(415) 555-0132", "text", { ink: "#ffffff" }), /style: .*contrast/);
    assert.throws(() => rm.render_number("(415) 555-0132", "text", { colour: "#000000" }), /style: unknown field `colour`/);
    assert.throws(() => rm.render_number("(415) 555-0132", "text", { font_px: 99 }), /style/);
    assert.throws(() => rm.render_number("(415) 555-0132", "big"), /variant/);
  });

  test("the pixel is a GIF", () => {
    assert.equal(Buffer.from(rm.pixel_gif()).toString("latin1", 0, 6), "GIF89a");
  });
});

describe("simulate runs the allocator over a send", () => {
  const send = { recipients: 20000, send_spread_hours: 6 };
  const at = (numbers) => sim.simulate({ send, pool: { numbers, lease_seconds: 7200 }, hours: 96, sample_minutes: 30 });
  const peak = (r) => Math.max(...r.utilisation);

  test("utilisation rises while people open, then falls as leases end", () => {
    const r = at(400);
    assert.equal(r.hours.length, 96 * 2 + 1);
    assert.equal(r.utilisation.length, r.hours.length);
    assert.equal(r.utilisation[0], 0);
    const top = r.utilisation.indexOf(peak(r));
    assert.ok(peak(r) > 0.1, `peak ${peak(r)}`);
    assert.ok(r.hours[top] < 48, `peak at ${r.hours[top]} h`);
    assert.ok(r.utilisation.at(-1) < peak(r) / 2);
    for (const [i, u] of r.utilisation.entries()) assert.ok(u >= 0 && u + r.shared[i] <= 1 + 1e-9);
  });

  test("a bigger pool is never worse", () => {
    const small = at(60);
    const big = at(1200);
    assert.notEqual(small.dry_at_hours, null, "60 numbers run dry");
    assert.ok(big.dry_at_hours === null || big.dry_at_hours >= small.dry_at_hours);
    assert.ok(peak(big) <= peak(small));
    assert.ok(big.summary.correct_top >= small.summary.correct_top);
    assert.ok(big.summary.exhaustions.fallback <= small.summary.exhaustions.fallback);
  });

  test("the summary counts what the send did", () => {
    const { summary } = at(400);
    assert.equal(summary.events, summary.opens + summary.calls);
    assert.ok(summary.calls > 0);
    assert.equal(summary.deciles.length, 10);
    assert.equal(summary.deciles.reduce((n, d) => n + d.calls, 0), summary.calls);
  });

  test("refusals name the field", () => {
    assert.throws(() => sim.simulate({ send: { recipients: 1_000_000 }, pool: { numbers: 10 } }), /^Error: send\.recipients: /);
    assert.throws(() => sim.simulate({ pool: { numbers: ["+1415555"] } }), /pool\.numbers\[0\]/);
    assert.throws(() => sim.simulate({ send: { recipients: 10 } }), /^Error: pool: missing/);
  });
});

describe("the types compile under tsc --strict with the ES2022 and DOM libs", () => {
  const tsconfig = {
    compilerOptions: { strict: true, noEmit: true, target: "ES2022", lib: ["ES2022", "DOM"], module: "NodeNext", moduleResolution: "NodeNext", types: [], skipLibCheck: false },
    files: ["sample.ts"],
  };
  const tsc = () => execFileSync(process.execPath, [TSC, "-p", dir], { encoding: "utf8", stdio: "pipe" });

  test("the package's sample compiles", () => {
    copyFileSync(join(REPO, "tests/browser-pkg/sample.ts"), join(dir, "sample.ts"));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
    try {
      tsc();
    } catch (e) {
      assert.fail(`tsc: ${e.stdout}${e.stderr}`);
    }
  });

  test("every export of both modules' types carries JSDoc", () => {
    for (const file of ["ringmark.d.ts", "simulate.d.ts"]) {
      const lines = readFileSync(join(dir, "node_modules/ringmark-browser", file), "utf8").split("\n");
      const undocumented = lines.filter((line, i) => line.startsWith("export")
        && !lines.slice(0, i).findLast((l) => l.trim())?.trimEnd().endsWith("*/"));
      assert.deepEqual(undocumented, [], file);
    }
  });

  test("a variant that is not one, and a misspelt style field, do not", () => {
    writeFileSync(
      join(dir, "sample.ts"),
      'import { render_number } from "ringmark-browser";\nrender_number("1", "buton");\nrender_number("1", "text", { colour: "#000000" });\n',
    );
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
    let out = "";
    try {
      tsc();
    } catch (e) {
      out = e.stdout;
    }
    assert.match(out, /sample\.ts\(2,.*"buton"/);
    assert.match(out, /sample\.ts\(3,.*colour/);
  });
});

test("the main module a page loads stays within 120 KB gzipped (issue 14's budget)", () => {
  // A size, not a timing: the same build always gives the same bytes. gzip -9, as BENCHMARKS.md measures.
  const require = createRequire(join(dir, "package.json"));
  const wasm = readFileSync(require.resolve("ringmark-browser/ringmark_bg.wasm"));
  const gz = gzipSync(wasm, { level: 9 }).length;
  assert.ok(gz <= 120_000, `${gz} bytes gzipped`);
});
