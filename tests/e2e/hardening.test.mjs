// End to end: input the admin API refuses before it can break anything, and the Worker's last resort
// when the wasm module itself fails on an email URL. The worker runs with RINGMARK_TEST_TRAP=1, which
// makes /n/ringmark-test-trap.png and /o/ringmark-test-trap.gif panic inside wasm (a trap, as a defect
// on the request path would); without the variable those are ordinary bad tokens.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, freshState, api, get, UA } from "./worker.mjs";

const PNG = [0x89, 0x50, 0x4e, 0x47];
const starts = (bytes, magic) => magic.every((b, i) => bytes[i] === b);
/** A PNG's [width, height] from its IHDR chunk. */
const pngSize = (bytes) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return [view.getUint32(16), view.getUint32(20)];
};
const POOL = { numbers: ["+14155550301", "+14155550302"], fallback: "+14155550300", lease_seconds: 3600 };

let worker;
let neutral; // the bytes Rust answers for a token that names no pool (the neutral image)

before(async () => {
  worker = await startWorker(freshState(), { vars: { RINGMARK_TEST_TRAP: "1" } });
  neutral = (await get(`${worker.base}/n/not-a-token.png`, UA.desktop)).bytes;
  assert.ok(starts(neutral, PNG));
});
after(async () => worker?.stop());

/** Waits until the worker's log has matched `pattern` (logs arrive asynchronously). */
async function logged(pattern) {
  for (let i = 0; i < 50 && !pattern.test(worker.output()); i++) await new Promise((r) => setTimeout(r, 100));
  return pattern.test(worker.output());
}

test("a wasm trap on a number image still answers the neutral image with 200, and the next request works", async () => {
  const trapped = await get(`${worker.base}/n/ringmark-test-trap.png`, UA.desktop);
  assert.equal(trapped.status, 200);
  assert.equal(trapped.headers.get("content-type"), "image/png");
  assert.equal(trapped.headers.get("cache-control"), "no-cache, no-store, must-revalidate, private");
  assert.deepEqual(trapped.bytes, neutral, "the same bytes Rust answers for a bad token");
  // One JSON line naming the route's kind, never its path (an email URL's path is its token).
  assert.ok(await logged(/\{"level":"error","msg":"GET number request failed; answering the fallback/), worker.output());
  assert.match(worker.output(), /"route":"number"/);
  assert.match(worker.output(), /RuntimeError|unreachable/, "the trap itself is logged");

  // The module was re-instantiated: a whole flow works on the fresh instance.
  let r = await api(worker.base, "PUT", "/v1/pools/hard", POOL);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  // The last resort's image has the snippet's box (default style) at 2×: never a blank square.
  const snippet = await api(worker.base, "POST", "/v1/pools/hard/snippet", {});
  assert.equal(snippet.status, 200, JSON.stringify(snippet.body));
  assert.deepEqual(pngSize(trapped.bytes), [2 * snippet.body.width, 2 * snippet.body.height]);
  r = await api(worker.base, "POST", "/v1/pools/hard/tokens", { campaign: "c", recipients: ["a", "b"] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const image = await get(r.body.tokens[0].number, UA.desktop);
  assert.equal(image.status, 200);
  assert.equal(image.headers.get("x-ringmark-lease"), "exclusive");
  assert.notDeepEqual(image.bytes, neutral, "a real number image");
});

test("a trap on the pixel answers the pixel; HEAD answers without a body; image URLs never fail", async () => {
  const tokens = (await api(worker.base, "POST", "/v1/pools/hard/tokens", { campaign: "c", recipients: ["a", "b"] })).body
    .tokens;
  const pixel = await get(`${worker.base}/o/ringmark-test-trap.gif`, UA.desktop);
  assert.equal(pixel.status, 200);
  assert.equal(pixel.headers.get("content-type"), "image/gif");
  assert.equal(pixel.bytes.length, 43);
  const head = await get(`${worker.base}/n/ringmark-test-trap.png`, UA.desktop, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-type"), "image/png");
  // The Durable Objects' engines belonged to the trapped instance: objects.js reloads them from storage
  // (a command may fail once while it does, which an image URL answers with a 200 image all the same).
  for (let i = 0; i < 3; i++) {
    const again = await get(tokens[1].number, UA.desktop);
    assert.equal(again.status, 200);
    assert.equal(again.headers.get("content-type"), "image/png");
    if (again.headers.get("x-ringmark-lease") === "exclusive") return;
  }
  assert.fail("the pool never answered again after the trap");
});

test("a call time with a multi-byte character is a 422 naming `at`, not a trapped module", async () => {
  for (const at of ["2026-11-23T10:15:0éZ", "2026-11-23T10:15:00é", 1e30, -1, 0]) {
    const r = await api(worker.base, "POST", "/v1/calls", { to: "+14155550301", at });
    assert.equal(r.status, 422, `${at}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.field, "at");
  }
  const r = await api(worker.base, "POST", "/v1/calls", { to: "+14155550301", at: new Date().toISOString(), duration: 90_000 });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, "duration");
});

test("duplicate keys, undrawable displays and absurd sizing inputs are refused naming the field", async () => {
  let r = await api(worker.base, "PUT", "/v1/pools/dup", '{"numbers": ["+14155550311"], "fallback": "+14155550310", "lease_seconds": 60, "lease_seconds": 3600}');
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body.error.code, "bad_json");
  assert.equal(r.body.error.field, "lease_seconds");
  r = await api(worker.base, "PUT", "/v1/pools/dup", { ...POOL, numbers: ["+14155550311"], fallback: "+14155550310", displays: { "+14155550311": "☎ 555 0311" } });
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.equal(r.body.error.field, "displays.+14155550311");
  assert.match(r.body.error.message, /☎/);
  assert.equal((await api(worker.base, "GET", "/v1/pools/dup")).status, 404, "nothing was saved");
  for (const [query, field] of [
    ["recipients=1000000000000000000", "recipients"],
    ["recipients=1000&pool_size=4294967295", "pool_size"],
    ["recipients=1000&human_open_rate=2", "human_open_rate"],
    ["recipients=1000&lease_seconds=0", "lease_seconds"],
  ]) {
    const started = Date.now();
    r = await api(worker.base, "GET", `/v1/pools/hard/sizing?${query}`);
    assert.equal(r.status, 422, `${query}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.field, field);
    // A hang guard, not a timing claim: refusals happen before any object is asked.
    assert.ok(Date.now() - started < 10_000, `${query}: ${Date.now() - started} ms`);
  }
});

test("sizing at heavy but accepted inputs answers in bounded time in workerd", async () => {
  // Short leases over a month-long send and a 30-day window: the attribution forecast's dearest case.
  const query =
    "recipients=1000000&human_open_rate=1&send_spread_hours=720&lease_seconds=3600" +
    "&attribution_window_seconds=2592000&target_correct=0.5&pool_size=1000000";
  const started = Date.now();
  const r = await api(worker.base, "GET", `/v1/pools/hard/sizing?${query}`);
  const ms = Date.now() - started;
  console.log(`# sizing at heavy accepted inputs: ${ms} ms in workerd`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok(ms < 15_000, `${ms} ms`);
});

test("without RINGMARK_TEST_TRAP the trap paths are ordinary bad tokens", async () => {
  const plain = await startWorker(freshState());
  try {
    const r = await get(`${plain.base}/n/ringmark-test-trap.png`, UA.desktop);
    assert.equal(r.status, 200);
    assert.deepEqual(r.bytes, neutral);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.doesNotMatch(plain.output(), /answering the fallback/);
  } finally {
    await plain.stop();
  }
});
