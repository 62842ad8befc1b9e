// End to end: the real Worker and Durable Objects in workerd (wrangler dev),
// exercised over HTTP like an email client and an operator would.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, freshState, api, get, UA } from "./worker.mjs";

const PNG = [0x89, 0x50, 0x4e, 0x47];
const GIF = [0x47, 0x49, 0x46, 0x38];
const starts = (bytes, magic) => magic.every((b, i) => bytes[i] === b);

let worker;
const state = freshState();
const POOL = {
  numbers: ["+1 (415) 555-0101", "+14155550102", "+14155550103"],
  fallback: "+14155550100",
  lease_seconds: 86400,
};
let tokens; // 10 recipients of campaign "spring"

before(async () => {
  worker = await startWorker(state);
  console.log(`# wrangler dev ready in ${worker.startupMs} ms`);
});
after(async () => worker?.stop());

test("GET /healthz: ready, with the device-model table and IP ranges counted and no secret shown", async () => {
  const r = await fetch(`${worker.base}/healthz`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("cache-control"), "no-cache, no-store, must-revalidate, private");
  const text = await r.text();
  const body = JSON.parse(text);
  assert.equal(body.status, "ok");
  assert.match(body.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(body.checks.signing_key, { ok: true, keys: 1 });
  assert.deepEqual(body.checks.admin_token, { ok: true, tokens: 1 });
  assert.equal(body.checks.twilio_auth_token.set, true);
  assert.ok(body.checks.device_models.count > 1000, "the bundled table was loaded");
  assert.equal(body.checks.ip_ranges.ok, true);
  assert.equal(body.checks.ip_ranges.file, 0, "the shipped file lists no range yet");
  for (const secret of ["dev-signing-key", "dev-admin-token", "dev-twilio-auth-token"]) assert.ok(!text.includes(secret));
});

test("log lines are JSON objects naming the request and route, never the token", async () => {
  const forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  const r = await fetch(`${worker.base}/o/${forged}.gif`, { headers: { "cf-ray": "0123456789abcdef-TST" } });
  assert.equal(r.status, 200);
  await r.arrayBuffer();
  let line;
  for (let i = 0; i < 50 && !line; i++) {
    // wrangler prefixes and may decorate what the Worker prints: take the JSON object out of each line.
    line = (worker.output().match(/\{"level":.*?"route":"[a-z]+"\}/g) ?? []).filter(
      (l) => l.includes('"route":"pixel"') && l.includes("refused token"),
    )[0];
    if (!line) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(line, worker.output());
  const parsed = JSON.parse(line);
  assert.equal(parsed.level, "warn");
  assert.equal(parsed.route, "pixel");
  assert.match(parsed.msg, /refused token/);
  assert.match(parsed.request_id, /^[A-Za-z0-9-]{1,64}$/, "cf-ray, or a random id when the platform sent none");
  assert.ok(!worker.output().includes(forged), "the token is never logged");
});

test("admin API refuses requests without the bearer token", async () => {
  for (const token of [null, "wrong-token-wrong-token"]) {
    const r = await api(worker.base, "GET", "/v1/pools/spring", undefined, token);
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, "unauthorized");
  }
});

test("bad pool input gets a 4xx naming the problem, and writes nothing", async () => {
  let r = await api(worker.base, "PUT", "/v1/pools/spring", { ...POOL, numbers: ["+14155550101", "4155550102"] });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.code, "invalid_number");
  assert.equal(r.body.error.field, "numbers[1]");
  r = await api(worker.base, "PUT", "/v1/pools/spring", "{not json");
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, "bad_json");
  r = await api(worker.base, "PUT", "/v1/pools/spring", { ...POOL, lease_secs: 5 });
  assert.equal(r.status, 400, "unknown fields are refused, not ignored");
  assert.match(r.body.error.message, /lease_secs/);
  r = await api(worker.base, "PUT", "/v1/pools/spring", { ...POOL, style: { label: "Call ☎ now" } });
  assert.equal(r.status, 422);
  assert.match(r.body.error.message, /☎/);
  r = await api(worker.base, "GET", "/v1/pools/spring");
  assert.equal(r.status, 404, "no failed PUT left a pool behind");
  assert.equal(r.body.error.code, "unknown_pool");
});

test("a pool is created, and its numbers belong to it alone", async () => {
  let r = await api(worker.base, "PUT", "/v1/pools/spring", POOL);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.config.numbers, ["+14155550101", "+14155550102", "+14155550103"]);
  r = await api(worker.base, "PUT", "/v1/pools/other", { ...POOL, numbers: ["+14155550103", "+14155550199"] });
  assert.equal(r.status, 409);
  assert.equal(r.body.error.code, "conflict");
  assert.match(r.body.error.message, /\+14155550103 belongs to pool 'spring'/);
  r = await api(worker.base, "GET", "/v1/pools/other");
  assert.equal(r.status, 404, "the refused pool was not half-created");
});

test("tokens come with three ready-to-paste URLs per recipient", async () => {
  const recipients = Array.from({ length: 10 }, (_, i) => `r${i}@example.com`);
  const r = await api(worker.base, "POST", "/v1/pools/spring/tokens", { campaign: "spring", recipients });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  tokens = r.body.tokens;
  assert.equal(tokens.length, 10);
  for (const t of tokens) {
    assert.equal(t.open, `${worker.base}/o/${t.token}.gif`);
    assert.equal(t.number, `${worker.base}/n/${t.token}.png`);
    assert.equal(t.click, `${worker.base}/c/${t.token}`);
  }
  const missing = await api(worker.base, "POST", "/v1/pools/nope/tokens", { campaign: "x", recipients: ["a"] });
  assert.equal(missing.status, 404);
  const empty = await api(worker.base, "POST", "/v1/pools/spring/tokens", { campaign: "x", recipients: [] });
  assert.equal(empty.status, 422);
});

test("the pixel is a tiny uncached GIF, and HEAD does not count an open", async () => {
  const before = (await api(worker.base, "GET", "/v1/pools/spring")).body.opens.total;
  const r = await get(tokens[0].open, UA.desktop);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "image/gif");
  assert.equal(r.headers.get("cache-control"), "no-cache, no-store, must-revalidate, private");
  assert.ok(starts(r.bytes, GIF) && r.bytes.length <= 43, `${r.bytes.length} bytes`);
  const head = await get(tokens[0].open, UA.desktop, "HEAD");
  assert.equal(head.status, 200);
  // The pixel is answered before its open is recorded (which may wait up to 250 ms for company).
  const opens = async () => (await api(worker.base, "GET", "/v1/pools/spring")).body.opens;
  for (let i = 0; i < 50 && (await opens()).total === before; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300));
  const after = await opens();
  assert.equal(after.total, before + 1, "GET counted, HEAD not");
  assert.equal(after.by_kind.pixel, 1);
});

async function dialled(token, ua = UA.iphone) {
  const r = await get(`${worker.base}/c/${token}`, ua);
  assert.equal(r.status, 302);
  return r.headers.get("location");
}

test("10 recipients on a 3-number pool: 3 leased, 7 fallback, none twice", async () => {
  const leases = [];
  for (const t of tokens) {
    const r = await get(t.number, UA.desktop);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "image/png");
    assert.ok(starts(r.bytes, PNG));
    leases.push(r.headers.get("x-ringmark-lease"));
    if (leases.at(-1) === "fallback") {
      assert.equal(r.headers.get("x-ringmark-exhausted"), "fallback", "exhaustion is reported");
      assert.equal(r.headers.get("x-ringmark-pressure"), "1", "a full pool is under pressure");
    }
  }
  assert.deepEqual(leases.filter((l) => l === "exclusive").length, 3, leases.join());
  assert.deepEqual(leases.filter((l) => l === "fallback").length, 7, leases.join());
  const numbers = [];
  for (const t of tokens.slice(0, 3)) numbers.push(await dialled(t.token));
  assert.equal(new Set(numbers).size, 3, `distinct numbers: ${numbers}`);
  for (const n of numbers) assert.match(n, /^tel:\+1415555010[123]$/);
  assert.equal(await dialled(tokens[5].token), "tel:+14155550100", "the 6th recipient gets the fallback");
});

test("the same token gets the same number on every request", async () => {
  const first = await dialled(tokens[1].token);
  for (let i = 0; i < 3; i++) assert.equal(await dialled(tokens[1].token), first);
  const desktop = await get(tokens[1].number, UA.desktop);
  const again = await get(tokens[1].number, UA.desktop);
  assert.deepEqual(desktop.bytes, again.bytes, "same number, same image");
});

test("smartphones get a button, desktops the number; clicks dial or show a page", async () => {
  const phone = await get(tokens[0].number, UA.iphone);
  const desk = await get(tokens[0].number, UA.desktop);
  assert.ok(starts(phone.bytes, PNG) && starts(desk.bytes, PNG));
  assert.notDeepEqual(phone.bytes, desk.bytes, "the button differs from the text image");
  const page = await get(tokens[0].click, UA.desktop);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /text\/html/);
  const html = new TextDecoder().decode(page.bytes);
  assert.match(html, /href="tel:\+1415555010[123]"/);
});

test("the worker loads the device-model table: a white-label tablet that says Mobile gets the text image", async () => {
  const before = (await api(worker.base, "GET", "/v1/pools/spring")).body.opens.by_device.tablet ?? 0;
  const tablet = await get(tokens[0].number, UA.whiteLabelTablet);
  const desk = await get(tokens[0].number, UA.desktop);
  const phone = await get(tokens[0].number, UA.iphone);
  assert.deepEqual(tablet.bytes, desk.bytes, "the same number as text, as a desktop sees it");
  assert.notDeepEqual(tablet.bytes, phone.bytes, "not the phone's button");
  const click = await get(tokens[0].click, UA.whiteLabelTablet);
  assert.equal(click.status, 200, "a tablet's click opens the page with a tel: link; a phone's would dial (302)");
  const after = (await api(worker.base, "GET", "/v1/pools/spring")).body.opens.by_device.tablet ?? 0;
  assert.equal(after, before + 2, "both opens counted as tablet");
});

test("bad and forged tokens still answer 200 images, allocating nothing", async () => {
  const before = (await api(worker.base, "GET", "/v1/pools/spring")).body;
  const garbage = await get(`${worker.base}/n/not-a-token.png`, UA.desktop);
  assert.equal(garbage.status, 200);
  assert.equal(garbage.headers.get("content-type"), "image/png");
  const t = tokens[9].token;
  const i = t.length - 6; // inside the ciphertext, away from base64's partial last character
  const forged = `${t.slice(0, i)}${t[i] === "A" ? "B" : "A"}${t.slice(i + 1)}`;
  const f = await get(`${worker.base}/n/${forged}.png`, UA.desktop);
  assert.equal(f.status, 200);
  assert.equal(f.headers.get("x-ringmark-lease"), null, "a forged token is not tied to any pool");
  assert.deepEqual(f.bytes, garbage.bytes, "it gets the neutral image, like garbage");
  const pixel = await get(`${worker.base}/o/${forged}.gif`, UA.desktop);
  assert.equal(pixel.status, 200);
  assert.equal(pixel.headers.get("content-type"), "image/gif");
  const click = await get(`${worker.base}/c/${forged}`, UA.iphone);
  assert.equal(click.status, 200, "no number to dial: the page instead");
  assert.doesNotMatch(new TextDecoder().decode(click.bytes), /tel:/);
  const after = (await api(worker.base, "GET", "/v1/pools/spring")).body;
  assert.deepEqual(after.live, before.live);
  assert.equal(after.opens.total, before.opens.total, "nothing was counted");
});

test("machine opens never take an exclusive number", async () => {
  const r = await api(worker.base, "POST", "/v1/pools/spring/tokens", { campaign: "spring", recipients: ["proxy-only"] });
  const token = r.body.tokens[0];
  for (const ua of [UA.gmailProxy, UA.appleMpp]) {
    const img = await get(token.number, ua);
    assert.equal(img.status, 200);
    assert.notEqual(img.headers.get("x-ringmark-lease"), "exclusive", ua);
  }
  const opens = (await api(worker.base, "GET", "/v1/pools/spring")).body.opens;
  assert.ok(opens.machine >= 2);
  assert.ok(opens.by_client.Gmail >= 1, JSON.stringify(opens.by_client));
});

test("a call is attributed to the recipient who holds the dialled number", async () => {
  const number = (await dialled(tokens[2].token)).slice(4);
  const at = new Date().toISOString();
  let r = await api(worker.base, "POST", "/v1/calls", { to: number, from: "+12125550123", at });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.pool, "spring");
  assert.equal(r.body.campaign, "spring");
  assert.equal(r.body.recipient, tokens[2].recipient);
  assert.equal(r.body.ambiguous, false);
  assert.ok(r.body.candidates.length >= 1);
  // The fallback number went to the 7 recipients the full pool could not serve:
  // a call to it reaches the pool, which ranks them and says it is unsure.
  r = await api(worker.base, "POST", "/v1/calls", { to: "+14155550100", at });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.pool, "spring");
  assert.equal(r.body.ambiguous, true);
  assert.ok(r.body.candidates.length > 1 && r.body.confidence < 0.5, JSON.stringify(r.body));
  r = await api(worker.base, "POST", "/v1/calls", { to: "+19995550000", at });
  assert.equal(r.status, 404);
  assert.equal(r.body.error.code, "unknown_number");
  r = await api(worker.base, "POST", "/v1/calls", { to: number, at: "yesterday" });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, "at");
});

test("the snippet endpoint gives paste-ready HTML and the token CSV", async () => {
  const r = await api(worker.base, "POST", "/v1/pools/spring/snippet", {
    platform: "sendgrid", campaign: "spring", recipients: ["r0@example.com", "r1@example.com"],
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.match(r.body.html, /<table role="presentation"/);
  assert.match(r.body.html, new RegExp(`src="${worker.base}/n/\\{\\{ringmark_token\\}\\}\\.png" width="${r.body.width}" height="${r.body.height}"`));
  assert.match(r.body.html, /alt="Call \(415\) 555-0100"/, "alt text carries the static fallback number");
  const rows = r.body.csv.trim().split("\r\n");
  assert.equal(rows[0], "recipient,ringmark_token");
  assert.equal(rows[1], `r0@example.com,${tokens[0].token}`, "the CSV holds the same tokens as the token API");
  // The box fits both variants: the images served are exactly twice the snippet's size.
  for (const ua of [UA.desktop, UA.iphone]) {
    const img = await get(tokens[0].number, ua);
    const view = new DataView(img.bytes.buffer);
    assert.equal(view.getUint32(16), r.body.width * 2, ua);
    assert.equal(view.getUint32(20), r.body.height * 2, ua);
  }
});

test("sizing recommends a pool size and shows this pool against it", async () => {
  const r = await api(worker.base, "GET", "/v1/pools/spring/sizing?recipients=100000&human_open_rate=0.2&send_spread_hours=24");
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.input.lease_seconds, 86400, "the pool's own lease");
  assert.equal(r.body.input.pool_size, 3);
  assert.ok(r.body.recommendation.recommended_size > 3000, JSON.stringify(r.body.recommendation));
  assert.ok(r.body.recommendation.pool_blocking_probability > 0.9, "3 numbers are far too few");
});

test("state survives a restart of the worker", async () => {
  const before = await Promise.all(tokens.slice(0, 3).map((t) => dialled(t.token)));
  const live = (await api(worker.base, "GET", "/v1/pools/spring")).body;
  await worker.stop();
  worker = await startWorker(state);
  const after = await Promise.all(tokens.slice(0, 3).map((t) => dialled(t.token)));
  assert.deepEqual(after, before);
  const again = (await api(worker.base, "GET", "/v1/pools/spring")).body;
  assert.deepEqual(again.config, live.config);
  assert.equal(again.opens.total, live.opens.total + 3, "the three clicks after the restart were added");
  assert.equal(await dialled(tokens[7].token), "tel:+14155550100", "the pool is still full");
});
