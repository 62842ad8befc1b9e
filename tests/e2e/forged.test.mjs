// Forged tokens against the real Worker in workerd: a token is authenticated
// before anything in it is used, so forged, altered and random tokens touch no
// Durable Object, and a pool object is given storage only by its configuration.
//
// Counted in wrangler's local state (--persist-to): one SQLite file
// `v3/do/ringmark-PoolObject/<object id>.sqlite` per pool object that was ever
// instantiated. wrangler dev's own wrapper (miniflare's do-wrapper, for its
// local explorer) writes a `__miniflare_do_name` table into every object it
// constructs by name, so a file alone means "instantiated"; an object *has
// storage* when its file holds a table of ours.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DatabaseSync } from "node:sqlite";
import { startWorker, freshState, api, get, UA } from "./worker.mjs";
import { initSync, Edge } from "../../pkg/ringmark.js";

const state = freshState();
let worker;
let tokens; // issued for pool "real"
let snippetBox; // [width, height] of pool "real"'s snippet: default style, like the neutral image's box

/** Every pool object in the local state: its file and the tables it holds (besides wrangler's own). */
function poolObjects() {
  const dir = join(state, "v3", "do", "ringmark-PoolObject");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")
    .sort()
    .map((file) => {
      const db = new DatabaseSync(join(dir, file), { readOnly: true });
      try {
        const tables = db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
          .all()
          .map((row) => row.name)
          .filter((name) => !name.startsWith("__miniflare") && !name.startsWith("_cf_"));
        return { file, tables };
      } finally {
        db.close();
      }
    });
}

/** The pool objects that have storage: a table of ours in their SQLite file. */
const withStorage = (objects) => objects.filter((o) => o.tables.length > 0).map((o) => o.file);

/** Signs tokens with the same module and dev key as the Worker, for a pool the Worker never configured. */
function signFor(pool, campaign, recipients) {
  initSync({ module: readFileSync(new URL("../../pkg/ringmark_bg.wasm", import.meta.url)) });
  const vars = readFileSync(new URL("../../.dev.vars", import.meta.url), "utf8");
  const key = /^RINGMARK_SIGNING_KEY="(.*)"$/m.exec(vars)[1];
  const admin = "signing-only-admin-token";
  const edge = new Edge(key, admin, "");
  const body = new TextEncoder().encode(JSON.stringify({ campaign, recipients }));
  const asked = edge.begin("POST", `http://x/v1/pools/${pool}/tokens`, ["authorization", `Bearer ${admin}`], body);
  assert.equal(asked.effects[0]?.binding, "DIRECTORY", "the token API asks the directory the pool's shard count first");
  // One shard (what the directory answers for a pool it does not know): the pool itself.
  const step = edge.resume(asked, [200], [JSON.stringify({ ok: 1 })]);
  assert.equal(step.effects[0]?.binding, "POOL", "then the pool");
  // Answer for the pool here (it exists nowhere): its settings, as the protocol's Answer.
  const settings = {
    config: { numbers: ["+14155550101"], fallback: "+14155550100", lease_seconds: 3600 },
    displays: {},
    style: {},
  };
  const done = edge.resume(step, [200], [JSON.stringify({ ok: settings })]);
  return JSON.parse(new TextDecoder().decode(done.body)).tokens.map((t) => t.token);
}

/** mulberry32: a fixed sequence, so a failure can be replayed. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` distinct mutations of `token`, each flipping 1 to 4 random bits of its bytes. */
function bitFlips(token, n, random) {
  const bytes = Buffer.from(token, "base64url");
  const out = new Set();
  while (out.size < n) {
    const altered = Buffer.from(bytes);
    const flips = 1 + Math.floor(random() * 4);
    for (let i = 0; i < flips; i++) altered[Math.floor(random() * altered.length)] ^= 1 << Math.floor(random() * 8);
    if (!altered.equals(bytes)) out.add(altered.toString("base64url"));
  }
  return [...out];
}

/** `n` random tokens: random bytes (half behind a valid version and key id, so they reach the tag check) and random text. */
function randomTokens(n, random) {
  return Array.from({ length: n }, (_, i) => {
    const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 100) }, () => Math.floor(random() * 256)));
    if (i % 4 < 2 && bytes.length >= 2) {
      bytes[0] = 2;
      bytes[1] = 0;
    }
    if (i % 4 === 3) return bytes.toString("hex");
    return bytes.toString("base64url");
  });
}

const pngSize = (bytes) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return [view.getUint32(16), view.getUint32(20)];
};

/** Checks the answer owed to a token that names no configured pool. */
function assertRefused(route, r, what) {
  assert.equal(r.status, 200, what);
  assert.match(r.headers.get("cache-control") ?? "", /no-store/, what);
  if (route === "o") {
    assert.equal(r.headers.get("content-type"), "image/gif", what);
    assert.equal(r.bytes.length, 43, what);
  } else if (route === "n") {
    assert.equal(r.headers.get("content-type"), "image/png", what);
    // Never a blank box: the snippet's box at 2× (never a 1×1 image stretched into a blank square).
    const [w, h] = snippetBox;
    assert.deepEqual(pngSize(r.bytes), [2 * w, 2 * h], `${what}: the neutral image of the snippet's box`);
    assert.equal(r.headers.get("x-ringmark-lease"), null, what);
  } else {
    assert.match(r.headers.get("content-type"), /text\/html/, what);
    assert.equal(r.headers.get("location"), null, what);
    const html = new TextDecoder().decode(r.bytes);
    assert.match(html, /no longer valid/, what);
    assert.doesNotMatch(html, /tel:/, what);
  }
}

const url = (route, token) =>
  `${worker.base}/${route}/${token}${route === "o" ? ".gif" : route === "n" ? ".png" : ""}`;

before(async () => {
  worker = await startWorker(state);
  const put = await api(worker.base, "PUT", "/v1/pools/real", {
    numbers: ["+14155550301", "+14155550302"],
    fallback: "+14155550300",
    lease_seconds: 86400,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const r = await api(worker.base, "POST", "/v1/pools/real/tokens", {
    campaign: "drain",
    recipients: ["alice@example.com", "bob@example.com"],
  });
  assert.equal(r.status, 200);
  tokens = r.body.tokens.map((t) => t.token);
  const snippet = await api(worker.base, "POST", "/v1/pools/real/snippet", { platform: "mailchimp" });
  assert.equal(snippet.status, 200, JSON.stringify(snippet.body));
  snippetBox = [snippet.body.width, snippet.body.height];
  // One real open, so the pool has opens and a lease on disk.
  const open = await get(url("n", tokens[0]), UA.desktop);
  assert.equal(open.headers.get("x-ringmark-lease"), "exclusive");
});
after(async () => worker?.stop());

test("300 forged, altered and random tokens touch no pool object and create no storage", async () => {
  const objects = poolObjects();
  const opens = (await api(worker.base, "GET", "/v1/pools/real")).body.opens.total;
  const random = rng(0x5eed);
  const forged = [...bitFlips(tokens[1], 150, random), ...randomTokens(150, random)];
  const requests = forged.flatMap((token) =>
    ["o", "n", "c"].map((route) => ({ route, token, ua: route === "c" ? UA.iphone : UA.desktop })),
  );
  for (let i = 0; i < requests.length; i += 8) {
    await Promise.all(
      requests.slice(i, i + 8).map(async ({ route, token, ua }) => {
        assertRefused(route, await get(url(route, token), ua), `/${route}/${token}`);
      }),
    );
  }
  const drained = poolObjects();
  console.log(
    `# pool objects with storage: ${withStorage(objects).length} before, ${withStorage(drained).length} after ` +
      `${forged.length} forged tokens (${requests.length} requests); pool object files: ${objects.length} before, ` +
      `${drained.length} after`,
  );
  assert.deepEqual(withStorage(objects), [objects[0]?.file], "only the configured pool has storage");
  assert.deepEqual(withStorage(drained), withStorage(objects), "no pool object gained storage");
  assert.deepEqual(drained, objects, "no pool object was even instantiated");
  const live = (await api(worker.base, "GET", "/v1/pools/real")).body;
  assert.equal(live.opens.total, opens, "the real pool counted nothing");
  assert.equal(live.live.exclusive, 1);
});

test("a verified token for a never-configured pool gets the neutral answers and creates no storage", async () => {
  const objects = poolObjects();
  const [ghost] = signFor("ghost", "drain", ["carol@example.com"]);
  for (const route of ["o", "n", "c"]) {
    for (const ua of [UA.desktop, UA.iphone]) assertRefused(route, await get(url(route, ghost), ua), `/${route}/ghost ${ua}`);
  }
  // The object was asked (only it knows whether it is configured) and answered 404, writing nothing.
  const asked = await api(worker.base, "GET", "/v1/pools/ghost");
  assert.equal(asked.status, 404);
  const afterOpens = poolObjects();
  const ghostObject = afterOpens.filter((o) => !objects.some((p) => p.file === o.file));
  console.log(
    `# never-configured pool: pool objects with storage ${withStorage(objects).length} before, ` +
      `${withStorage(afterOpens).length} after; its object's file holds tables ${JSON.stringify(ghostObject[0]?.tables)} ` +
      "(wrangler's __miniflare_do_name aside)",
  );
  assert.deepEqual(withStorage(afterOpens), withStorage(objects), "the ghost pool's object has no storage");
  assert.ok(ghostObject.length <= 1 && ghostObject.every((o) => o.tables.length === 0), JSON.stringify(ghostObject));
  // Its first configuration is what creates it.
  const put = await api(worker.base, "PUT", "/v1/pools/ghost", {
    numbers: ["+14155550401"],
    fallback: "+14155550400",
    lease_seconds: 3600,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const configured = poolObjects();
  assert.equal(withStorage(configured).length, withStorage(objects).length + 1, "configuring writes the schema");
  const ghostTables = configured.find((o) => !objects.some((p) => p.file === o.file))?.tables;
  assert.deepEqual(ghostTables, ["calls", "events", "kv", "opens", "recipients", "snapshot_parts"]);
  const opened = await get(url("n", ghost), UA.desktop);
  assert.equal(opened.headers.get("x-ringmark-lease"), "exclusive", "the same token now opens its pool");
});

test("malformed and bad-MAC tokens answer alike (median latencies logged, not asserted)", async () => {
  const random = rng(7);
  const badMac = bitFlips(tokens[1], 60, random).filter((t) => {
    const b = Buffer.from(t, "base64url");
    return b[0] === 2 && b[1] === 0; // header intact: refused by the tag
  });
  const malformed = Array.from({ length: badMac.length }, (_, i) => `not-a-token-${i}`);
  const time = async (token) => {
    const start = performance.now();
    const r = await get(url("n", token), UA.desktop);
    const ms = performance.now() - start;
    return { r, ms };
  };
  // Warm the isolate and the route first; then interleave the two kinds.
  for (let i = 0; i < 10; i++) await time(`warm-${i}`);
  const ms = { malformed: [], badMac: [] };
  let reference;
  for (let i = 0; i < badMac.length; i++) {
    for (const [kind, token] of [["malformed", malformed[i]], ["badMac", badMac[i]]]) {
      const { r, ms: t } = await time(token);
      assertRefused("n", r, `${kind} ${token}`);
      reference ??= r.bytes;
      assert.deepEqual(r.bytes, reference, `${kind}: the same image`);
      ms[kind].push(t);
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  console.log(
    `# /n/ latency over ${badMac.length} requests each: malformed median ${median(ms.malformed).toFixed(2)} ms, ` +
      `bad-MAC median ${median(ms.badMac).toFixed(2)} ms`,
  );
});
