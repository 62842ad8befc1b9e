// Outbound webhooks against the real Worker in workerd: a receiver on 127.0.0.1 in this process
// (allowed by RINGMARK_ALLOW_PRIVATE_WEBHOOKS=1 in .dev.vars) verifies every delivery with the
// official Standard Webhooks library; a number image's open arrives as `open.human`; a receiver
// that answers 500 twice gets the same `webhook-id` three times (retry schedule [1, 1]), and the
// deliveries listing shows the attempts. Timeouts are hang guards only.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { Webhook } from "standardwebhooks";
import { startWorker, freshState, freePort, api, get, UA } from "./worker.mjs";

let worker;
let receiver;
let port;
/** Statuses to answer, in order (then 200). */
const script = [];
/** Every request the receiver got: {headers, body, status}. */
const received = [];

before(async () => {
  port = await freePort();
  receiver = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const status = script.length > 0 ? script.shift() : 200;
      received.push({ method: req.method, url: req.url, headers: req.headers, body, status });
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status === 200 ? "ok" : "try again");
    });
  });
  await new Promise((resolve) => receiver.listen(port, "127.0.0.1", resolve));
  worker = await startWorker(freshState());
});

after(async () => {
  await worker?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits (polling) until `check` is truthy; the timeout only guards against a hang. */
async function until(what, check, timeoutMs = 60_000) {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test("deliveries are signed, retried with the same id, and listed", async () => {
  const put = await api(worker.base, "PUT", "/v1/pools/hooks", {
    numbers: ["+14155550701", "+14155550702"],
    fallback: "+14155550700",
    lease_seconds: 3600,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const issued = await api(worker.base, "POST", "/v1/pools/hooks/tokens", { campaign: "c", recipients: ["a", "b"] });
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  const [a, b] = issued.body.tokens;

  const url = `http://127.0.0.1:${port}/hook`;
  const registered = await api(worker.base, "PUT", "/v1/webhooks/crm", {
    url,
    events: ["open.human"],
    retry_schedule_seconds: [1, 1],
  });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  assert.equal(registered.body.url, url);
  assert.match(registered.body.secret, /^whsec_/);
  const wh = new Webhook(registered.body.secret);
  const verify = (r) => wh.verify(r.body, r.headers);

  // A number image: answered, then its open delivered.
  const image = await get(a.number, UA.desktop);
  assert.equal(image.status, 200);
  assert.equal(image.headers.get("content-type"), "image/png");
  await until("the open.human delivery", () => received.length >= 1);
  const first = received[0];
  assert.equal(first.method, "POST");
  assert.equal(first.url, "/hook");
  const payload = verify(first);
  assert.equal(payload.type, "open.human");
  assert.equal(payload.data.pool, "hooks");
  assert.equal(payload.data.campaign, "c");
  assert.equal(payload.data.recipient, "a");
  assert.equal(payload.data.number, "+14155550701");
  assert.equal(payload.data.device, "desktop");
  assert.match(first.headers["webhook-id"], /^msg_/);
  // A tampered body fails verification.
  assert.throws(() => wh.verify(first.body.replace('"a"', '"z"'), first.headers));

  // The receiver fails twice: the same event arrives three times.
  script.push(500, 500);
  const second = await get(b.number, UA.desktop);
  assert.equal(second.status, 200);
  await until("three attempts of the second event", () => received.length >= 4);
  const attempts = received.slice(1, 4);
  const id = attempts[0].headers["webhook-id"];
  assert.notEqual(id, first.headers["webhook-id"]);
  for (const r of attempts) {
    assert.equal(r.headers["webhook-id"], id);
    assert.equal(r.body, attempts[0].body, "same bytes every attempt");
    assert.equal(verify(r).data.recipient, "b");
  }
  assert.deepEqual(
    attempts.map((r) => r.status),
    [500, 500, 200],
  );

  const listed = await until("the delivered state", async () => {
    const r = await api(worker.base, "GET", "/v1/webhooks/crm/deliveries");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const d = r.body.deliveries.find((d) => d.event === id);
    return d && d.state === "delivered" ? d : null;
  });
  assert.deepEqual(
    listed.attempts.map((a) => a.status),
    [500, 500, 200],
  );
  assert.equal(listed.endpoint, "crm");

  const endpoint = await api(worker.base, "GET", "/v1/webhooks/crm");
  assert.equal(endpoint.status, 200);
  assert.equal(endpoint.body.disabled, null);
  assert.equal(endpoint.body.secret, undefined, "GET never shows the secret");
});
