// Coalescing: commands for one Durable Object that the module marked `coalesce` (opens; see
// `Effect::Object` in src/edge/mod.rs) travel together when a call to that object is already under
// way. A command finding the object idle is sent at once, alone (no added latency when the pool is
// quiet); commands arriving meanwhile queue, and when the call ends the next batch goes out as one
// `commands([…])` call, answered one answer per command, in order (`PoolObject::handle_batch` in
// src/objects/pool.rs: the same answers the commands would get one by one, one transaction for all).
// Under a burst (Apple Mail Privacy Protection fetching every image of a send) the object then pays
// one round trip and one transaction per batch instead of per open.
//
// Workers rules this respects: an I/O object (a stub) may only be used by the request that made it,
// and a call is only made from code that surely runs in its request's own context: the request's
// own handler, the continuation of its own call, or its own timer. (A continuation woken by another
// request's promise is not enough: in workerd it passes a context check and yet its calls fail with
// "Cannot perform I/O on behalf of a different request", measured under load.) So:
// - a command finding the object idle is sent at once by its own request — unless it may linger
//   (a pixel's open, whose answer is already sent: `linger_ms` from the module), when its request
//   waits that long on its own timer for company first; a command that may not linger, or one that
//   fills a batch (`MAX_BATCH`), arriving meanwhile sends the queue at once;
// - when a call ends, its sender sends what queued meanwhile, with its own stub, and keeps doing so
//   for up to `RELAY_MS` (its request kept alive by `ctx.waitUntil`), which drains a burst;
// - every waiting request also looks again on its own timer (first when the linger under way ends,
//   then every `POLL_MS`), and sends the queue itself when no call is under way, or when the one
//   under way is older than `STALE_MS` (its request ended without it settling): no lane waits
//   forever on a lost call, nor on a lingering request that ended early.
//
// Losing nothing: each request awaits its own command's answer (the pixel's inside `ctx.waitUntil`,
// after its response), exactly as it would a call of its own, so an open is never acknowledged,
// and the isolate never let go, before the object has stored it.

/** Most commands in one call: `MAX_BATCH` in src/objects/pool.rs (the object refuses more). */
const MAX_BATCH = 64;
/** How long the sender of a call goes on sending what queued meanwhile. */
const RELAY_MS = 1_000;
/** How often a waiting request looks at its lane on its own timer. */
const POLL_MS = 20;
/** A call to an object that has not ended after this long is given up on by the waiters. */
const STALE_MS = 10_000;

/**
 * Per object (`binding/name`): the commands waiting, the call under way (`{started}`) if any, and
 * until when a request lingers for company before sending (`lingerUntil`, a time: while it lasts
 * the waiting requests leave the sending to the lingering one's timer).
 *
 * Why a time and not a flag: the lingering request's own open may be sent sooner by another request
 * (a full batch, a command that may not linger), and then its request can end before its timer
 * fires — the platform drops an ended request's timers. A flag only that timer clears would stay
 * set, and every open after it would wait for a command that may not linger (`tests/e2e/pool.test.mjs`).
 */
const lanes = new Map();

/**
 * Sends `command` to the object behind `stub` (named `key`), with others if a call is under way or
 * after up to `lingerMs` waiting for company; resolves with its own answer text, rejects if its
 * call failed.
 */
export function coalesce(key, stub, command, ctx, lingerMs) {
  let lane = lanes.get(key);
  if (lane === undefined) {
    lane = { queue: [], call: null, lingerUntil: 0 };
    lanes.set(key, lane);
  }
  let resolve;
  let reject;
  const answer = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const item = { command, resolve, reject, sent: false, lingers: lingerMs > 0 };
  lane.queue.push(item);
  const now = Date.now();
  if (lane.call === null && (lingerMs === 0 || lane.queue.length >= MAX_BATCH)) {
    // A command that may not linger, or a full batch: nothing to wait for.
    send(key, lane, stub, ctx, now);
  } else if (lane.call === null && now >= lane.lingerUntil) {
    lane.lingerUntil = now + lingerMs;
    setTimeout(() => {
      if (item.sent) return;
      if (lane.call === null) send(key, lane, stub, ctx, Date.now());
      else poll(key, lane, stub, ctx, item, POLL_MS);
    }, lingerMs);
  } else {
    // While a request lingers its timer sends the queue: a command that may linger too looks first
    // after it; one that may not looks every POLL_MS and sends once no call is under way.
    const wait = item.lingers ? Math.max(0, lane.lingerUntil - now) + POLL_MS : POLL_MS;
    poll(key, lane, stub, ctx, item, wait);
  }
  return answer;
}

/**
 * On this request's own timer, after `wait` ms and then every POLL_MS: sends the queue if no call is
 * under way (or the one under way is lost), unless this command may linger and a linger under way
 * has not ended with the batch still short; until sent.
 */
function poll(key, lane, stub, ctx, item, wait) {
  setTimeout(() => {
    if (item.sent) return;
    const now = Date.now();
    if (lane.call !== null && now - lane.call.started > STALE_MS) lane.call = null;
    const waitForLinger = item.lingers && now < lane.lingerUntil && lane.queue.length < MAX_BATCH;
    if (lane.call === null && !waitForLinger) send(key, lane, stub, ctx, now);
    else poll(key, lane, stub, ctx, item, POLL_MS);
  }, wait);
}

/**
 * Sends up to MAX_BATCH queued commands as one call from this request; when it ends, settles them
 * and, until `RELAY_MS` after `since`, sends what queued meanwhile the same way.
 */
function send(key, lane, stub, ctx, since) {
  const batch = lane.queue.splice(0, MAX_BATCH);
  for (const item of batch) item.sent = true;
  const call = { started: Date.now() };
  lane.call = call;
  const ended = (settle) => {
    if (lane.call === call) lane.call = null;
    settle();
    if (lane.queue.length === 0) {
      if (lane.call === null && lanes.get(key) === lane) lanes.delete(key);
    } else if (lane.call === null && Date.now() - since < RELAY_MS) {
      send(key, lane, stub, ctx, since);
    }
  };
  ctx.waitUntil(
    stub.commands(batch.map((item) => item.command)).then(
      (answers) => ended(() => batch.forEach((item, i) => item.resolve(answers[i]))),
      (error) => ended(() => batch.forEach((item) => item.reject(error))),
    ),
  );
}
