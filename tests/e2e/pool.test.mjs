// The allocator under email traffic, end to end in workerd: a burst of
// concurrent first opens on one pool's Durable Object, and a restart.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, freshState, api, get, UA } from "./worker.mjs";

const state = freshState();
let worker;
const numbers = Array.from({ length: 50 }, (_, i) => `+1415555${String(1000 + i).padStart(4, "0")}`);
let tokens;

before(async () => {
  worker = await startWorker(state);
  const put = await api(worker.base, "PUT", "/v1/pools/burst", {
    numbers,
    fallback: "+14155550999",
    lease_seconds: 86400,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const recipients = Array.from({ length: 200 }, (_, i) => `burst-${i}`);
  const r = await api(worker.base, "POST", "/v1/pools/burst/tokens", { campaign: "burst", recipients });
  assert.equal(r.status, 200);
  tokens = r.body.tokens;
});
after(async () => worker?.stop());

async function holders() {
  // A click from a phone redirects to the number the recipient holds.
  const dialled = await Promise.all(
    // Token URLs name the port of the worker that issued them: rebase on the current one.
    tokens.map(async (t) => (await get(`${worker.base}/c/${t.token}`, UA.iphone)).headers.get("location")),
  );
  return dialled;
}

test("200 concurrent first opens on a 50-number pool: 50 exclusive, 150 fallback, none twice", async () => {
  const answers = await Promise.all(tokens.map((t) => get(t.number, UA.desktop)));
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.equal(a.headers.get("content-type"), "image/png");
  }
  const leases = answers.map((a) => a.headers.get("x-ringmark-lease"));
  const count = (kind) => leases.filter((l) => l === kind).length;
  assert.equal(count("exclusive"), 50, leases.join());
  assert.equal(count("fallback"), 150, "every other outcome is the reported fallback");
  const exclusive = tokens.filter((_, i) => leases[i] === "exclusive");
  const dialled = await Promise.all(exclusive.map(async (t) => (await get(t.click, UA.iphone)).headers.get("location")));
  assert.equal(new Set(dialled).size, 50, "no number is held twice");
  for (const d of dialled) assert.ok(numbers.includes(d.slice(4)), d);
  const live = (await api(worker.base, "GET", "/v1/pools/burst")).body.live;
  assert.equal(live.exclusive, 50, JSON.stringify(live));
  assert.equal(live.free, 0);
});

test("a burst of pixels, re-opens and machine opens is counted exactly: none lost, none twice", async () => {
  // Opens reaching one pool object at once travel together (worker/coalesce.js): each is still
  // answered as if alone, and each is stored once, whatever the batches.
  const opens = async () => (await api(worker.base, "GET", "/v1/pools/burst")).body.opens;
  const before = await opens();
  const pixels = tokens.flatMap((t) => [t.open, t.open]);
  const reopens = tokens.map((t) => t.number);
  const proxied = tokens.slice(0, 100).map((t) => t.number);
  const [p, r, m] = await Promise.all([
    Promise.all(pixels.map((u) => get(u, UA.desktop))),
    Promise.all(reopens.map((u) => get(u, UA.desktop))),
    Promise.all(proxied.map((u) => get(u, UA.gmailProxy))),
  ]);
  for (const a of [...p, ...r, ...m]) assert.equal(a.status, 200);
  // Re-opens keep what the first opens got: the same 50 exclusive holders.
  assert.equal(r.filter((a) => a.headers.get("x-ringmark-lease") === "exclusive").length, 50);
  // Pixels are answered before their opens are stored: wait until the counts settle.
  const want = {
    total: before.total + pixels.length + reopens.length + proxied.length,
    pixel: (before.by_kind.pixel ?? 0) + pixels.length,
    number: before.by_kind.number + reopens.length + proxied.length,
    machine: before.machine + proxied.length,
  };
  let now = before;
  for (let i = 0; i < 100 && now.total < want.total; i++) {
    await new Promise((r) => setTimeout(r, 100));
    now = await opens();
  }
  await new Promise((r) => setTimeout(r, 300)); // and would more arrive late?
  now = await opens();
  assert.deepEqual(
    { total: now.total, pixel: now.by_kind.pixel, number: now.by_kind.number, machine: now.machine },
    want,
  );
});

test("pixels are recorded after another request sent a lingering pixel's open for it", async () => {
  // A pixel's open waits up to 250 ms for company (worker/coalesce.js). When another request sends
  // it sooner (a number image, which never waits), the pixel's request may end before its own
  // timer fires: the pixels that come after must not wait on that timer. They did: stranded until
  // the next number image arrived, and lost if none came before the platform ended their requests.
  const opens = async () => (await api(worker.base, "GET", "/v1/pools/burst")).body.opens.total;
  const before = await opens();
  const lingerer = get(tokens[0].open, UA.desktop);
  await new Promise((r) => setTimeout(r, 30)); // the pixel's open is queued, lingering
  await Promise.all([lingerer, get(tokens[1].number, UA.desktop)]);
  await new Promise((r) => setTimeout(r, 400)); // past the pixel's linger
  const later = tokens.slice(2, 6).map((t) => t.open);
  for (const a of await Promise.all(later.map((u) => get(u, UA.desktop)))) assert.equal(a.status, 200);
  const want = before + 2 + later.length;
  let now = await opens();
  for (let i = 0; i < 30 && now < want; i++) {
    await new Promise((r) => setTimeout(r, 100));
    now = await opens();
  }
  assert.equal(now, want, "every open recorded within 3 s, with no other request to carry them");
});

test("after a restart every holder keeps their number", async () => {
  const before = await holders();
  await worker.stop();
  worker = await startWorker(state);
  const after = await holders();
  assert.deepEqual(after, before);
  const held = after.filter((d) => d !== "tel:+14155550999");
  assert.equal(held.length, 50);
  assert.equal(new Set(held).size, 50);
});
