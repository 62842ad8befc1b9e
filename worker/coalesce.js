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
//   waits that long on its own timer for company first; a command that may not linger, arriving
//   meanwhile, sends the queue at once;
// - when a call ends, its sender sends what queued meanwhile, with its own stub, and keeps doing so
//   for up to `RELAY_MS` (its request kept alive by `ctx.waitUntil`), which drains a burst;
// - every waiting request also looks again on its own timer every `POLL_MS`, and sends the queue
//   itself when no call is under way, or when the one under way is older than `STALE_MS` (its
//   request ended without it settling): no lane waits forever on a lost call.
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
 * whether a request is lingering for company before sending.
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
    lane = { queue: [], call: null, lingering: false };
    lanes.set(key, lane);
  }
  let resolve;
  let reject;
  const answer = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const item = { command, resolve, reject, sent: false };
  lane.queue.push(item);
  if (lane.call === null && lingerMs > 0 && !lane.lingering) {
    lane.lingering = true;
    setTimeout(() => {
      lane.lingering = false;
      if (item.sent) return;
      if (lane.call === null) send(key, lane, stub, ctx, Date.now());
      else poll(key, lane, stub, ctx, item);
    }, lingerMs);
  } else if (lane.call === null && lingerMs === 0) {
    send(key, lane, stub, ctx, Date.now());
  } else {
    poll(key, lane, stub, ctx, item);
  }
  return answer;
}

/** On this request's own timer: sends the queue if the lane is free (or its call lost), until sent. */
function poll(key, lane, stub, ctx, item) {
  setTimeout(() => {
    if (item.sent) return;
    if (lane.call !== null && Date.now() - lane.call.started > STALE_MS) lane.call = null;
    if (lane.call === null && !lane.lingering) send(key, lane, stub, ctx, Date.now());
    else poll(key, lane, stub, ctx, item);
  }, POLL_MS);
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
      if (lane.call === null && !lane.lingering && lanes.get(key) === lane) lanes.delete(key);
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
