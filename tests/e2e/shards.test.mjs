// A pool split into shards (`shards` 4), end to end in workerd: a burst of concurrent first opens
// spread over four shard objects by the recipient's hash, no number held twice across them, sticky
// re-opens, a call to a shard's number attributed to its opener, a call to the fallback asked of
// every shard, and the admin API's figures summed over the shards.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, freshState, api, get, UA } from "./worker.mjs";

const state = freshState();
let worker;
const SHARDS = 4;
const FALLBACK = "+14155550999";
const numbers = Array.from({ length: 50 }, (_, i) => `+1415555${String(2000 + i).padStart(4, "0")}`);
let tokens;
/** Recipient → the number their first open showed. */
const shown = new Map();

before(async () => {
  worker = await startWorker(state);
  const put = await api(worker.base, "PUT", "/v1/pools/sharded", {
    numbers,
    fallback: FALLBACK,
    lease_seconds: 86400,
    shards: SHARDS,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.shards, SHARDS);
  const recipients = Array.from({ length: 200 }, (_, i) => `s-${i}`);
  const r = await api(worker.base, "POST", "/v1/pools/sharded/tokens", { campaign: "split", recipients });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  tokens = r.body.tokens;
});
after(async () => worker?.stop());

const pool = async () => (await api(worker.base, "GET", "/v1/pools/sharded")).body;
const dial = async (t) => (await get(t.click, UA.iphone)).headers.get("location").slice("tel:".length);

test("200 concurrent first opens over 4 shards: every number leased once at most, every open counted", async () => {
  const answers = await Promise.all(tokens.map((t) => get(t.number, UA.desktop)));
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.equal(a.headers.get("content-type"), "image/png");
  }
  const leases = answers.map((a) => a.headers.get("x-ringmark-lease"));
  const exclusive = tokens.filter((_, i) => leases[i] === "exclusive");
  // Each shard owns 12 or 13 numbers and about 50 of the recipients: every number is leased.
  assert.equal(exclusive.length, 50, leases.join());
  assert.equal(leases.filter((l) => l === "fallback").length, 150);
  const dialled = await Promise.all(tokens.map(dial));
  tokens.forEach((t, i) => shown.set(t.recipient, dialled[i]));
  const held = dialled.filter((n) => n !== FALLBACK);
  assert.equal(held.length, 50);
  assert.equal(new Set(held).size, 50, "no number is held twice across the shards");
  for (const n of held) assert.ok(numbers.includes(n), n);
  const p = await pool();
  assert.equal(p.shards, SHARDS);
  assert.equal(p.config.numbers.length, 50, "the state names every shard's numbers");
  assert.equal(p.live.exclusive, 50, JSON.stringify(p.live));
  assert.equal(p.live.free, 0);
  // 200 number images and 200 clicks, summed over the shards.
  assert.equal(p.opens.total, 400, JSON.stringify(p.opens));
  assert.equal(p.opens.by_kind.number, 200);
  assert.equal(p.opens.by_kind.click, 200);
});

test("a re-open shows the same number", async () => {
  const again = await Promise.all(tokens.map(dial));
  tokens.forEach((t, i) => assert.equal(again[i], shown.get(t.recipient), t.recipient));
});

test("a call to a shard's number is attributed to the recipient who was shown it", async () => {
  const [recipient, number] = [...shown].find(([, n]) => n !== FALLBACK);
  const r = await api(worker.base, "POST", "/v1/calls", { to: number, from: "+12125550123", at: Math.floor(Date.now() / 1000) });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.pool, "sharded");
  assert.equal(r.body.recipient, recipient, JSON.stringify(r.body));
  const call = await api(worker.base, "GET", `/v1/calls/${r.body.call_id}`);
  assert.equal(call.status, 200, JSON.stringify(call.body));
  assert.equal(call.body.call.to, number);
});

test("a call to the fallback asks every shard and is stored once, at one shard's share", async () => {
  const before = (await pool()).live.calls;
  const r = await api(worker.base, "POST", "/v1/calls", { to: FALLBACK, from: "+12125550124", at: Math.floor(Date.now() / 1000) });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok(r.body.confidence <= 1 / SHARDS + 1e-9, JSON.stringify(r.body));
  const seen = [...shown].filter(([, n]) => n === FALLBACK).map(([r]) => r);
  assert.ok(seen.includes(r.body.recipient), `${r.body.recipient} was not shown the fallback`);
  assert.equal((await pool()).live.calls, before + 1, "stored in one shard");
  const call = await api(worker.base, "GET", `/v1/calls/${r.body.call_id}`);
  assert.equal(call.status, 200, JSON.stringify(call.body));
});

test("report, campaigns and the pool list are the sums over the shards", async () => {
  const p = await pool();
  const report = await api(worker.base, "GET", "/v1/pools/sharded/report?campaign=split");
  assert.equal(report.status, 200, JSON.stringify(report.body));
  assert.equal(report.body.report.recipients_with_tokens, 200, "each shard remembered its recipients");
  assert.equal(report.body.report.opens, p.opens.total);
  assert.equal(report.body.report.recipients_opened, 200);
  assert.equal(report.body.report.numbers_leased, 50);
  const campaigns = await api(worker.base, "GET", "/v1/pools/sharded/campaigns");
  assert.deepEqual(campaigns.body.campaigns.map((c) => [c.campaign, c.recipients]), [["split", 200]]);
  const list = await api(worker.base, "GET", "/v1/pools");
  const line = list.body.pools.find((l) => l.pool === "sharded");
  assert.equal(line.opens.total, p.opens.total, JSON.stringify(line));
  assert.equal(line.numbers, 50);
  assert.equal(line.holders, p.live.holders);
});

test("the shard count cannot change", async () => {
  const r = await api(worker.base, "PUT", "/v1/pools/sharded", { numbers, fallback: FALLBACK, lease_seconds: 86400, shards: 8 });
  assert.equal(r.status, 409, JSON.stringify(r.body));
  assert.equal(r.body.error.field, "shards");
  assert.equal((await pool()).shards, SHARDS);
});
