// Coalescing: commands for one Durable Object that the module marked `coalesce` (opens; see
// `Effect::Object` in src/edge/mod.rs) travel together when a call to that object is already under
// way. A command finding the object idle is sent at once, alone (no added latency when the pool is
// quiet); commands arriving meanwhile queue, and when the call ends the next batch goes out as one
// `commands([…])` call, answered one answer per command, in order (`PoolObject::handle_batch` in
// src/objects/pool.rs: the same answers the commands would get one by one, one transaction for all).
// Under a burst (Apple Mail Privacy Protection fetching every image of a send) the object then pays
// one round trip and one transaction per batch instead of per open.
//
// Workers rules this respects: an I/O object (a stub) is used only by the request that made it,
// so each batch is sent by one of its own requests, with its own stub, in its own context; when a
// call ends, every request still waiting is woken by resolving a promise it made itself (workerd
// runs that continuation in the waiting request's own context), and the first to run sends the
// queue. The sender keeps its request alive until the call ends (`ctx.waitUntil`), so a client that
// disconnects does not strand the batch; and a waiter that has not been woken after `STALE_MS`
// sends the queue itself, so no lost call can hold a lane forever.
//
// Losing nothing: each request awaits its own command's answer (the pixel's inside `ctx.waitUntil`,
// after its response), exactly as it would a call of its own, so an open is never acknowledged,
// and the isolate never let go, before the object has stored it.

/** Most commands in one call: `MAX_BATCH` in src/objects/pool.rs (the object refuses more). */
const MAX_BATCH = 64;
/** A call to an object that has not ended after this long is given up on by the waiters. */
const STALE_MS = 10_000;

/** Per object (`binding/name`): the commands waiting, and the call under way, if any. */
const lanes = new Map();

/**
 * Sends `command` to the object behind `stub` (named `key`), with others if a call is under way;
 * resolves with its own answer text, rejects if its call failed.
 */
export function coalesce(key, stub, command, ctx) {
  let lane = lanes.get(key);
  if (lane === undefined) {
    lane = { queue: [], call: null };
    lanes.set(key, lane);
  }
  let resolve;
  let reject;
  const answer = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const item = { command, resolve, reject, sent: false, wake: null };
  lane.queue.push(item);
  take(key, lane, stub, ctx, item);
  return answer;
}

/** Sends the queue if no call is under way; otherwise waits (in this request) for one to end. */
function take(key, lane, stub, ctx, item) {
  if (item.sent) return;
  const current = lane.call;
  if (current === null) {
    send(key, lane, stub, ctx);
    return;
  }
  let timer;
  new Promise((wake) => {
    item.wake = wake;
    timer = setTimeout(wake, STALE_MS);
  }).then(() => {
    clearTimeout(timer);
    item.wake = null;
    // Still the same call after STALE_MS: it was lost (its request ended without it settling).
    if (lane.call === current && !item.sent) lane.call = null;
    take(key, lane, stub, ctx, item);
  });
}

/** Sends up to MAX_BATCH queued commands as one call, from the calling request. */
function send(key, lane, stub, ctx) {
  const batch = lane.queue.splice(0, MAX_BATCH);
  for (const item of batch) item.sent = true;
  const call = {};
  lane.call = call;
  const done = stub.commands(batch.map((item) => item.command)).then(
    (answers) => ended(() => batch.forEach((item, i) => item.resolve(answers[i]))),
    (error) => ended(() => batch.forEach((item) => item.reject(error))),
  );
  ctx.waitUntil(done);

  function ended(settle) {
    if (lane.call === call) lane.call = null;
    // Wake the waiting before settling this batch, while this request is surely still alive.
    for (const item of lane.queue) item.wake?.();
    if (lane.queue.length === 0 && lane.call === null && lanes.get(key) === lane) lanes.delete(key);
    settle();
  }
}
