// The Worker adapter: moves bytes between the platform and the wasm core.
// Every decision (routing, tokens, classification, allocation, rendering)
// is made in Rust; see src/edge/mod.rs for the request loop this drives.
import wasmModule from "../pkg/ringmark_bg.wasm";
// The device-model table: data beside the module (LGPL-3.0-or-later, see data/device-models/README.md),
// bundled as bytes (wrangler.toml: a Data module).
import deviceModels from "../data/device-models/device-models.tsv";
// IP ranges of image proxies, relays and scanners (data/ip-ranges/README.md), bundled the same way; a
// Worker variable holds at most 5 KB, so RINGMARK_IP_RANGES is only added to these.
import ipRanges from "../data/ip-ranges/ip-ranges.txt";
import {
  initSync,
  __wbg_reset_state,
  load_device_models,
  load_ip_ranges,
  warm_up,
  neutral_png,
  pixel_gif,
  Edge,
} from "../pkg/ringmark.js";
import { coalesce } from "./coalesce.js";

initSync({ module: wasmModule });
// Parsed once per isolate, before any request. A malformed file throws here, so `wrangler dev` and
// `wrangler deploy` refuse to start it rather than serve opens without it.
start();

/** What the module needs after (re-)instantiation: the device-model table, the IP ranges, and its request path compiled. */
function start() {
  load_device_models(new Uint8Array(deviceModels));
  load_ip_ranges(new Uint8Array(ipRanges));
  warm_up(); // compile the request path at startup, not during the first open
}

// The last resort's answers, copied out of wasm while it is known to work: the same bytes Rust answers
// for a number image it cannot serve a number (a transparent PNG of the default snippet box at 2×, so a
// trap never shows a blank square or moves the layout) and the tracking pixel.
const NEUTRAL_PNG = neutral_png();
const PIXEL_GIF = pixel_gif();
const NO_STORE = "no-cache, no-store, must-revalidate, private";

export { PoolObject, DirectoryObject, WebhooksObject } from "./objects.js";

let edge; // one per isolate: keys, classifier, image cache

export default {
  async fetch(request, env, ctx) {
    try {
      return await handle(request, env, ctx);
    } catch (error) {
      return lastResort(request, error);
    }
  },
};

async function handle(request, env, ctx) {
  if (edge === undefined) {
    edge = new Edge(
      env.RINGMARK_SIGNING_KEY,
      env.RINGMARK_ADMIN_TOKEN,
      env.RINGMARK_IP_RANGES,
      env.RINGMARK_ALLOW_PRIVATE_WEBHOOKS,
      env.TWILIO_AUTH_TOKEN,
      env.RINGMARK_BASE_URL,
      env.OPENS !== undefined, // an Analytics Engine dataset for open counts (optional; wrangler.toml)
    );
    if (env.RINGMARK_TEST_TRAP === "1") edge.enable_test_trap(); // tests of the last resort only
  }
  const current = edge; // a reset by a concurrent request must not swap it mid-request
  const headers = [];
  for (const [name, value] of request.headers) headers.push(name, value);
  const body = ["GET", "HEAD"].includes(request.method)
    ? new Uint8Array()
    : new Uint8Array(await request.arrayBuffer());
  let step = current.begin(request.method, request.url, headers, body);
  // Run effects until the response is known; what is left runs after it. (`step.effects` copies
  // the effects out of wasm: read once per step.)
  let effects = step.effects;
  while (!step.has_response) {
    if (effects.length === 0) throw new Error("ringmark: a step with neither response nor effects");
    step = await resume(current, step, effects, env, request, ctx);
    effects = step.effects;
  }
  const response = toResponse(step, request.method === "HEAD");
  if (effects.length > 0) ctx.waitUntil(finish(current, step, effects, env, request, ctx));
  return response;
}

/** Runs the effects left after the response was sent, to the end; failures are logged, never thrown. */
async function finish(current, step, effects, env, request, ctx) {
  try {
    while (effects.length > 0) {
      step = await resume(current, step, effects, env, request, ctx);
      effects = step.effects;
    }
  } catch (e) {
    log("error", `work after the response failed: ${e}`, request);
    if (isTrap(e)) restart(); // the next request starts on a fresh instance
  }
}

/** Runs a step's effects concurrently and resumes the edge with their results, in order. */
async function resume(current, step, effects, env, request, ctx) {
  const results = await Promise.all(effects.map((effect) => run(effect, env, request, ctx)));
  return current.resume(
    step,
    results.map((r) => r.status),
    results.map((r) => r.body),
  );
}

/**
 * One effect: a command to a Durable Object (RPC; with others for the same object when the module
 * gave it a `coalesce` linger time, see coalesce.js), an outbound request, or an Analytics Engine data
 * point. Status 0: it failed.
 */
async function run(effect, env, request, ctx) {
  try {
    if (effect.kind === "object") {
      const namespace = env[effect.binding];
      const stub = namespace.get(namespace.idFromName(effect.name));
      const body =
        effect.coalesce == null
          ? await stub.command(effect.command)
          : await coalesce(`${effect.binding}/${effect.name}`, stub, effect.command, ctx, effect.coalesce);
      return { status: 200, body };
    }
    if (effect.kind === "data_point") {
      // Analytics Engine: fire and forget (writeDataPoint returns nothing and never waits).
      env.OPENS?.writeDataPoint({ blobs: effect.blobs, doubles: effect.doubles, indexes: effect.indexes });
      return { status: 200, body: "" };
    }
    if (effect.kind === "fetch") {
      const answer = await fetch(effect.url, {
        method: effect.method,
        headers: effect.headers,
        body: ["GET", "HEAD"].includes(effect.method) ? undefined : effect.body,
      });
      return { status: answer.status, body: await answer.text() };
    }
    return { status: 0, body: `unknown effect ${effect.kind}` };
  } catch (e) {
    log("warn", `${effect.kind} effect failed: ${e}`, request);
    return { status: 0, body: String(e) };
  }
}

function toResponse(step, head) {
  const out = new Headers();
  const flat = step.headers;
  for (let i = 0; i < flat.length; i += 2) out.append(flat[i], flat[i + 1]);
  return new Response(head ? null : step.body, { status: step.status, headers: out });
}

/**
 * Answers a request whose handling threw: a wasm trap (a panic on the request path, out of memory, a
 * stack overflow) or any other exception. Email URLs keep their promise never to answer an error: the
 * neutral image, the pixel or a plain page, with status 200. Admin URLs get a JSON 500 without a stack
 * trace. After a trap the module is re-instantiated, so the next request starts on a fresh instance.
 */
function lastResort(request, error) {
  let path = "/";
  try {
    path = new URL(request.url).pathname;
  } catch {}
  // The route's kind, never the path: an email URL's path is its token.
  log("error", `${request.method} ${routeKind(path)} request failed; answering the fallback: ${error}`, request);
  if (isTrap(error)) restart();
  const head = request.method === "HEAD";
  if (path.startsWith("/n/")) return fixed(200, "image/png", NEUTRAL_PNG, head);
  if (path.startsWith("/o/")) return fixed(200, "image/gif", PIXEL_GIF, head);
  if (path.startsWith("/c/")) {
    const page =
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">' +
      "<title>Call us</title></head><body><p>This call link is not available right now. " +
      "Please use the number in the email.</p></body></html>";
    return fixed(200, "text/html; charset=utf-8", page, head);
  }
  const json = '{"error":{"code":"internal","message":"internal error (logged by the worker)"}}';
  return fixed(500, "application/json; charset=utf-8", json, head);
}

function fixed(status, contentType, body, head) {
  return new Response(head ? null : body, {
    status,
    headers: { "content-type": contentType, "cache-control": NO_STORE },
  });
}

/** Whether `error` left the wasm instance unusable (a trap, or a stack overflow inside it). */
function isTrap(error) {
  return (
    error instanceof WebAssembly.RuntimeError ||
    (error instanceof RangeError && /call stack/i.test(String(error.message)))
  );
}

/**
 * Replaces the trapped instance with a fresh one of the same module (wasm-bindgen's reset, built with
 * --experimental-reset-state-function). Objects of the old instance then throw when used: the edge is
 * rebuilt on the next request, and a Durable Object engine is reloaded from storage by objects.js.
 */
function restart() {
  edge = undefined;
  try {
    __wbg_reset_state();
    start();
  } catch (e) {
    log("error", `re-instantiating the module failed: ${e}`, null);
  }
}

/**
 * Prints one of the adapter's own lines in the shape of the module's (src/edge/log.rs): one JSON object
 * `{level, msg, request_id, route}`. The adapter's lines come from failures outside Rust (an effect that
 * threw, a trap), so the module cannot word them; they name no path, token or address.
 */
function log(level, msg, request) {
  let route = "startup";
  let requestId = null;
  if (request) {
    try {
      route = routeKind(new URL(request.url).pathname);
    } catch {
      route = "other";
    }
    const ray = request.headers.get("cf-ray");
    requestId = ray && /^[A-Za-z0-9-]{1,64}$/.test(ray) ? ray : null;
  }
  const line = JSON.stringify({ level, msg, request_id: requestId, route });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/**
 * The kind of route of a path, as `route_kind` in src/edge/log.rs words it (repeated here because the
 * last resort runs when the module cannot).
 */
function routeKind(path) {
  if (path.startsWith("/o/")) return "pixel";
  if (path.startsWith("/n/")) return "number";
  if (path.startsWith("/c/")) return "click";
  if (path.startsWith("/v1/telephony/")) return "telephony";
  if (path.startsWith("/v1/webhooks")) return "webhooks";
  if (path.startsWith("/v1/")) return "admin";
  if (path === "/healthz") return "healthz";
  if (path === "/") return "root";
  return "other";
}
