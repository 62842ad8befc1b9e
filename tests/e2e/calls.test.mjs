// The call loop against the real Worker in workerd, signed by Twilio's own helper library (the
// `twilio` package's getExpectedTwilioSignature, the same code its validateRequest checks with):
// a voice webhook for a leased number answers TwiML dialling forward_to and attributes the call;
// a bad signature gets 403 and stores nothing; the status callback and a transcript saying
// "credit card" mark it converted with the rule's value; a receiver on loopback, verified by the
// `standardwebhooks` package, gets call.started, call.attributed, call.completed and call.outcome.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import twilio from "twilio";
import { Webhook } from "standardwebhooks";
import { startWorker, freshState, freePort, api, get, UA, ADMIN } from "./worker.mjs";

const state = freshState();
let worker;
const AUTH_TOKEN = /^TWILIO_AUTH_TOKEN="(.*)"$/m.exec(readFileSync(new URL("../../.dev.vars", import.meta.url), "utf8"))[1];
const SID = "CA00000000000000000000000000000001";
const CALLER = "+12125550123";

let receiver;
let receiverUrl;
/** Every delivery the receiver got: {headers, body}. */
const received = [];

before(async () => {
  const port = await freePort();
  receiver = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise((resolve) => receiver.listen(port, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${port}/calls`;
  worker = await startWorker(state);
});
after(async () => {
  await worker?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** POSTs Twilio's form to `path`, signed by the twilio package (or with `signature` as given). */
async function twilioPost(path, params, signature) {
  const url = `${worker.base}${path}`;
  const sig = signature ?? twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
  assert.ok(signature !== undefined || twilio.validateRequest(AUTH_TOKEN, sig, url, params), "the library agrees with itself");
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": sig },
    body: new URLSearchParams(params).toString(),
  });
  return { status: r.status, text: await r.text(), type: r.headers.get("content-type") };
}

async function storedCall(pool) {
  const state = await api(worker.base, "GET", `/v1/pools/${pool}`);
  return state.body;
}

test("a Twilio-signed call to a leased number is attributed, forwarded and valued by the rules", async () => {
  const put = await api(worker.base, "PUT", "/v1/pools/live", {
    numbers: ["+14155550801", "+14155550802"],
    fallback: "+14155550800",
    lease_seconds: 3600,
    forward_to: "+14155550899",
    whisper: "Call from the {campaign} email",
    rules: [
      { when: { min_duration: 600 }, then: { converted: true, value: 50 } },
      { when: { transcript_contains: ["credit card"] }, then: { converted: true, value: 100, tag: "payment" } },
    ],
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const tokens = (await api(worker.base, "POST", "/v1/pools/live/tokens", { campaign: "spring", recipients: ["alice"] })).body
    .tokens;
  const shown = await get(tokens[0].number, UA.desktop);
  assert.equal(shown.headers.get("x-ringmark-lease"), "exclusive");

  const hook = await api(worker.base, "PUT", "/v1/webhooks/calls", {
    url: receiverUrl,
    events: ["call.started", "call.attributed", "call.completed", "call.outcome"],
  });
  assert.equal(hook.status, 200, JSON.stringify(hook.body));
  const webhook = new Webhook(hook.body.secret);

  const voice = { CallSid: SID, AccountSid: "AC00000000000000000000000000000001", From: CALLER, To: "+14155550801", CallStatus: "ringing", Direction: "inbound" };
  // A wrong signature: 403, nothing stored.
  const forged = await twilioPost("/v1/telephony/twilio/voice", voice, "bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==");
  assert.equal(forged.status, 403, forged.text);
  assert.equal((await storedCall("live")).live.calls, 0, "a forged webhook stores nothing");

  const answer = await twilioPost("/v1/telephony/twilio/voice", voice);
  assert.equal(answer.status, 200, answer.text);
  assert.match(answer.type, /xml/);
  assert.match(answer.text, /<Dial [^>]*callerId="\+12125550123"/);
  assert.match(answer.text, /<Number url="[^"]*whisper\?text=Call%20from%20the%20spring%20email"[^>]*>\+14155550899<\/Number>/);
  assert.equal((await storedCall("live")).live.calls, 1, "the call is attributed as it rings");
  const action = /action="([^"]+)"/.exec(answer.text)[1].replaceAll("&amp;", "&");
  assert.ok(action.startsWith(worker.base), action);

  // The whisper URL, fetched by Twilio (signed), answers its <Say>.
  const whisperUrl = /<Number url="([^"]+)"/.exec(answer.text)[1].replaceAll("&amp;", "&");
  const whisper = await twilioPost(whisperUrl.slice(worker.base.length), { CallSid: "CA00000000000000000000000000000002" });
  assert.match(whisper.text, /<Say>Call from the spring email<\/Say>/);

  // The dial ends after 42 s (under the 600 s rule), then the transcript mentions a credit card.
  const status = await twilioPost(action.slice(worker.base.length), { CallSid: SID, DialCallStatus: "completed", DialCallDuration: "42" });
  assert.equal(status.status, 200, status.text);
  assert.match(status.text, /<Hangup\/>/);
  const transcription = { CallSid: SID, TranscriptionStatus: "completed", TranscriptionText: "Can I pay for the trip by credit card?" };
  const path = `/v1/telephony/twilio/transcription?pool=live`;
  assert.equal((await twilioPost(path, transcription)).status, 200);
  // Recorded after the answer (ctx.waitUntil): read the stored call until it shows.
  let outcome;
  for (let i = 0; i < 100 && !outcome?.converted; i++) {
    const call = await api(worker.base, "GET", `/v1/calls/${SID}`);
    assert.equal(call.status, 200, JSON.stringify(call.body));
    outcome = call.body.call.outcome;
    if (!outcome?.converted) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(outcome.converted, true, JSON.stringify(outcome));
  assert.equal(outcome.value.amount, "100.00");
  assert.deepEqual(outcome.tags, ["payment"]);

  // A person corrects it: the manual outcome wins.
  const manual = await api(worker.base, "POST", `/v1/calls/${SID}/outcome`, { converted: true, value: 240, currency: "USD" });
  assert.equal(manual.status, 200, JSON.stringify(manual.body));
  assert.equal(manual.body.call.outcome.value.amount, "240.00");
  assert.equal(manual.body.call.attribution.recipient, "alice", "attributed to the recipient who was shown the number");

  // The receiver verifies every delivery with the Standard Webhooks library.
  const wanted = ["call.started", "call.attributed", "call.completed", "call.outcome"];
  for (let i = 0; i < 300; i++) {
    const types = new Set(received.map((r) => JSON.parse(r.body).type));
    if (wanted.every((t) => types.has(t)) && received.filter((r) => JSON.parse(r.body).type === "call.outcome").length >= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const events = received.map((r) => webhook.verify(r.body, r.headers));
  for (const type of wanted) assert.ok(events.some((e) => e.type === type), `${type} in ${JSON.stringify(events.map((e) => e.type))}`);
  for (const e of events) {
    assert.equal(e.data.call_id, SID);
    assert.equal(e.data.recipient, "alice");
    assert.equal(e.data.number, "+14155550801");
  }
  const outcomes = events.filter((e) => e.type === "call.outcome").map((e) => e.data.outcome.value.amount);
  assert.deepEqual(outcomes.sort(), ["100.00", "240.00"], "the rule's outcome, then the manual one");
  assert.throws(() => webhook.verify(received[0].body.replace("alice", "mallory"), received[0].headers));

  // The campaign's report and both CSVs show the call, the conversion and its value.
  const report = await api(worker.base, "GET", "/v1/pools/live/report?campaign=spring");
  assert.equal(report.status, 200, JSON.stringify(report.body));
  assert.equal(report.body.report.calls.total, 1);
  assert.equal(report.body.report.calls.conversions, 1);
  assert.equal(report.body.report.value.USD, "240.00");
  const csv = await fetch(`${worker.base}/v1/pools/live/report?campaign=spring&format=csv`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  const rows = (await csv.text()).trim().split("\r\n");
  assert.match(rows[1], /^alice,\+14155550801,[^,]+,desktop,,1,0,1,true,240\.00 USD,/);
  const ads = await fetch(`${worker.base}/v1/pools/live/report?campaign=spring&format=google-ads`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  const adsRows = (await ads.text()).trim().split("\r\n");
  assert.equal(adsRows[0], "Parameters:TimeZone=+0000");
  assert.match(adsRows[2], /^\+12125550123,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,ringmark call,[^,]+,240\.00,USD$/);
});

test("a number in no pool hangs up politely, never an HTTP error", async () => {
  const r = await twilioPost("/v1/telephony/twilio/voice", { CallSid: "CA00000000000000000000000000000009", From: CALLER, To: "+14155550000" });
  assert.equal(r.status, 200);
  assert.match(r.text, /<Say>[^<]+<\/Say><Hangup\/>/);
});

test("a Twilio-signed call to a sharded pool's number is attributed by the shard that owns it, and its status reaches that shard", async () => {
  const numbers = Array.from({ length: 8 }, (_, i) => `+1415555${String(3100 + i)}`);
  const put = await api(worker.base, "PUT", "/v1/pools/split-live", {
    numbers,
    fallback: "+14155553199",
    lease_seconds: 3600,
    forward_to: "+14155550899",
    shards: 4,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const recipients = Array.from({ length: 8 }, (_, i) => `split-${i}`);
  const tokens = (await api(worker.base, "POST", "/v1/pools/split-live/tokens", { campaign: "split", recipients })).body.tokens;
  // Each opens their number image; the last one taps the call button (a phone), which names the number.
  for (const t of tokens) assert.equal((await get(t.number, UA.desktop)).status, 200);
  const who = tokens[tokens.length - 1];
  const to = (await get(who.click, UA.iphone)).headers.get("location").slice("tel:".length);
  assert.ok(numbers.includes(to), to);

  const sid = "CA00000000000000000000000000000031";
  const voice = { CallSid: sid, AccountSid: "AC00000000000000000000000000000001", From: CALLER, To: to, CallStatus: "ringing", Direction: "inbound" };
  const answer = await twilioPost("/v1/telephony/twilio/voice", voice);
  assert.equal(answer.status, 200, answer.text);
  assert.match(answer.text, /<Number[^>]*>\+14155550899<\/Number>/);
  const action = /action="([^"]+)"/.exec(answer.text)[1].replaceAll("&amp;", "&");
  assert.match(action, /[?&]shard=\d/, "the status callback names the shard that stored the call");
  assert.equal((await storedCall("split-live")).live.calls, 1, "stored once, in one shard");

  const status = await twilioPost(action.slice(worker.base.length), { CallSid: sid, DialCallStatus: "completed", DialCallDuration: "42" });
  assert.equal(status.status, 200, status.text);
  let call;
  for (let i = 0; i < 100 && call?.duration_seconds !== 42; i++) {
    const r = await api(worker.base, "GET", `/v1/calls/${sid}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    call = r.body.call;
    if (call.duration_seconds !== 42) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(call.duration_seconds, 42, JSON.stringify(call));
  assert.equal(call.pool, "split-live");
  assert.equal(call.attribution.recipient, who.recipient, JSON.stringify(call.attribution));
  assert.equal(call.attribution.reason, "tap", "the caller tapped the call button just before");
});
