// The Worker adapter: moves bytes between the platform and the wasm core.
// Every decision (routing, tokens, classification, allocation, rendering)
// is made in Rust; see src/edge/mod.rs for the request loop this drives.
import wasmModule from "../pkg/ringmark_bg.wasm";
// The device-model table: data beside the module (LGPL-3.0-or-later, see data/device-models/README.md),
// bundled as bytes (wrangler.toml: a Data module).
import deviceModels from "../data/device-models/device-models.tsv";
import { initSync, load_device_models, warm_up, Edge } from "../pkg/ringmark.js";

initSync({ module: wasmModule });
// Parsed once per isolate, before any request. A malformed file throws here, so `wrangler dev` and
// `wrangler deploy` refuse to start it rather than serve opens without it.
load_device_models(new Uint8Array(deviceModels));
warm_up(); // compile the request path at startup, not during the first open

export { PoolObject, DirectoryObject } from "./objects.js";

let edge; // one per isolate: keys, classifier, image cache

export default {
  async fetch(request, env) {
    edge ??= new Edge(env.RINGMARK_SIGNING_KEY, env.RINGMARK_ADMIN_TOKEN, env.RINGMARK_IP_RANGES);
    const headers = [];
    for (const [name, value] of request.headers) headers.push(name, value);
    const body = ["GET", "HEAD"].includes(request.method)
      ? new Uint8Array()
      : new Uint8Array(await request.arrayBuffer());
    let step = edge.begin(request.method, request.url, headers, body);
    while (step.binding !== undefined) {
      const stub = env[step.binding].get(env[step.binding].idFromName(step.name));
      let status = 500;
      let text = '{"error":"object unreachable"}';
      try {
        const answer = await stub.fetch("https://object/", { method: "POST", body: step.command });
        status = answer.status;
        text = await answer.text();
      } catch (e) {
        console.warn("ringmark: object fetch failed:", e);
      }
      step = edge.resume(step, status, text);
    }
    const out = new Headers();
    const flat = step.headers;
    for (let i = 0; i < flat.length; i += 2) out.append(flat[i], flat[i + 1]);
    const bodyBytes = request.method === "HEAD" ? null : step.body;
    return new Response(bodyBytes, { status: step.status, headers: out });
  },
};
