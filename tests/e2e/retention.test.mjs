// Retention and deletion against the real Worker in workerd: a pixel is answered before its open
// is recorded (ctx.waitUntil) and the open is not lost; `DELETE /v1/pools/{pool}` shows the
// fallback from then on, still attributes calls, and the pool object's alarm deletes all of its
// storage once its attribution window has passed (here 4 seconds, so the real alarm fires in the
// test). Storage is read from wrangler's local state, as in forged.test.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { startWorker, freshState, api, get, UA } from "./worker.mjs";

const state = freshState();
let worker;

before(async () => {
  worker = await startWorker(state);
});

after(async () => {
  await worker?.stop();
});

/** Row counts of our tables in every pool object's SQLite file. */
function poolTables() {
  const dir = join(state, "v3", "do", "ringmark-PoolObject");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")
    .map((file) => {
      const db = new DatabaseSync(join(dir, file), { readOnly: true });
      try {
        const names = db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
          .all()
          .map((r) => r.name)
          .filter((n) => !n.startsWith("__miniflare") && !n.startsWith("_cf_"));
        return Object.fromEntries(names.map((n) => [n, db.prepare(`SELECT COUNT(*) AS n FROM "${n}"`).get().n]));
      } finally {
        db.close();
      }
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, timeoutMs = 30_000) {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

test("a pixel answers at once and its open is recorded after the response", async () => {
  const put = await api(worker.base, "PUT", "/v1/pools/pixels", {
    numbers: ["+14155550601"],
    fallback: "+14155550600",
    lease_seconds: 3600,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const issued = await api(worker.base, "POST", "/v1/pools/pixels/tokens", { campaign: "c", recipients: ["a", "b", "c"] });
  for (const t of issued.body.tokens) {
    const r = await get(t.open, UA.desktop);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "image/gif");
  }
  // Recorded by ctx.waitUntil: every open counted, none lost.
  const counted = await until("three recorded opens", async () => {
    const state = (await api(worker.base, "GET", "/v1/pools/pixels")).body;
    return state.opens.total === 3 ? state : null;
  });
  assert.equal(counted.opens.by_kind.pixel, 3);
});

test("a deleted pool shows its fallback, still attributes calls, and its alarm purges it after its window", async () => {
  const window = 4; // seconds: the purge alarm fires inside the test
  const put = await api(worker.base, "PUT", "/v1/pools/brief", {
    numbers: ["+14155550701", "+14155550702"],
    fallback: "+14155550700",
    lease_seconds: 3600,
    attribution_window_seconds: window,
    quarantine_seconds: 3600,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const tokens = (await api(worker.base, "POST", "/v1/pools/brief/tokens", { campaign: "c", recipients: ["a", "b"] })).body
    .tokens;
  const shown = await get(tokens[0].number, UA.desktop);
  assert.equal(shown.headers.get("x-ringmark-lease"), "exclusive");
  const before = poolTables().length;
  const withRows = () => poolTables().filter((t) => (t.kv ?? 0) > 0).length;
  const stored = withRows();

  const deleted = await api(worker.base, "DELETE", "/v1/pools/brief");
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  assert.deepEqual(deleted.body.numbers, ["+14155550701", "+14155550702"]);
  assert.equal(deleted.body.purge_at - deleted.body.deleted_at, window);

  const after = await get(tokens[1].number, UA.desktop);
  assert.equal(after.status, 200);
  assert.equal(after.headers.get("x-ringmark-lease"), "fallback", "a deleted pool shows its fallback");
  const call = await api(worker.base, "POST", "/v1/calls", { to: "+14155550701", at: Math.floor(Date.now() / 1000) });
  assert.equal(call.status, 200, JSON.stringify(call.body));
  assert.equal(call.body.recipient, "a", "calls inside the window are still attributed");
  const again = await api(worker.base, "PUT", "/v1/pools/brief", {
    numbers: ["+14155550701"],
    fallback: "+14155550700",
    lease_seconds: 3600,
  });
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, "pool_deleted");

  // The alarm at purge_at deletes every row of the object.
  await until("the purge", async () => withRows() === stored - 1);
  assert.equal(poolTables().length, before, "no object was added");
  const gone = await api(worker.base, "GET", "/v1/pools/brief");
  assert.equal(gone.status, 404, JSON.stringify(gone.body));
  // Its numbers stay quarantined in the directory; another pool can't take them yet.
  const taken = await api(worker.base, "PUT", "/v1/pools/other", {
    numbers: ["+14155550701"],
    fallback: "+14155550799",
    lease_seconds: 3600,
  });
  assert.equal(taken.status, 409, JSON.stringify(taken.body));
  assert.equal(taken.body.error.code, "conflict");
});

test("the pool list asks every pool at once and leaves out purged ones", async () => {
  const list = await api(worker.base, "GET", "/v1/pools");
  assert.equal(list.status, 200, JSON.stringify(list.body));
  const names = list.body.pools.map((p) => p.pool);
  assert.ok(names.includes("pixels"), JSON.stringify(names));
  assert.ok(!names.includes("brief"), "a purged pool is not listed");
  const pixels = list.body.pools.find((p) => p.pool === "pixels");
  assert.equal(pixels.opens.total, 3);
  assert.equal(pixels.numbers, 1);
});
