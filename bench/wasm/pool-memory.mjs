// How much memory a pool object's engine reaches as MPP-prefetched recipients pile up: the Worker's
// module (pkg/, `make build`) in Node, one `PoolObject` engine fed machine opens (pixel + number image
// of fresh recipients, in coalesced batches of 32 prefetches) as the Durable Object would be, then the
// high-water mark of its WebAssembly memory (which never shrinks: it is the peak, snapshots included),
// the writes read as the adapter reads them.
// A Durable Object has 128 MB for everything (developers.cloudflare.com/durable-objects/platform/limits).
//   node bench/wasm/pool-memory.mjs [recipients...=50000 100000 200000]   (one fresh process each)
// RINGMARK_PKG=/path/to/pkg/ measures another build.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { pathToFileURL, fileURLToPath } from "node:url";

const PKG = process.env.RINGMARK_PKG
  ? pathToFileURL(process.env.RINGMARK_PKG.replace(/\/?$/, "/"))
  : new URL("../../pkg/", import.meta.url);

async function once(n) {
  const mod = await import(new URL("ringmark.js", PKG));
  const exports = mod.initSync({ module: new WebAssembly.Module(readFileSync(new URL("ringmark_bg.wasm", PKG))) });
  const engine = mod.PoolObject.load("[]");
  const numbers = Array.from({ length: 5000 }, (_, i) => `+1415557${String(i).padStart(4, "0")}`);
  // No `max_holders` bound (its default, 60,000, is set from what this measures).
  const settings = { config: { numbers, fallback: "+14155550999", lease_seconds: 3600, max_holders: 10_000_000 }, displays: {}, style: {} };
  engine.handle(JSON.stringify({ op: "configure", settings })).free();
  const opener = { device: "unknown", opener: "prefetch", client: "Apple Mail", proxy: "Apple Mail Privacy Protection", machine: true };
  const open = (r, kind) => JSON.stringify({ op: "open", campaign: "c", recipient: `recipient-${r}`, kind, opener });
  let snapshots = 0;
  let largest = 0;
  for (let i = 0; i < n; i += 32) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 32); k++) batch.push(open(k, "pixel"), open(k, "number"));
    const outcome = engine.handle_batch(batch);
    // The writes as the adapter (worker/objects.js) takes them: one statement at a time, or, from
    // a build before `take_write`, one JSON text of them all. `length` is that text's either way.
    let snapshot = false;
    let length = 0;
    if (outcome.take_write) {
      let count = 0;
      for (let w = outcome.take_write(); w !== undefined; w = outcome.take_write()) {
        snapshot ||= w.includes("snapshot_parts");
        length += w.length;
        count++;
      }
      length += 1 + Math.max(count, 1); // the brackets and commas of `[w,w,…]`
    } else {
      const writes = outcome.writes;
      snapshot = writes.includes("snapshot_parts");
      length = writes.length;
    }
    if (snapshot) {
      snapshots++;
      largest = Math.max(largest, length);
    }
    outcome.free();
  }
  return { recipients: n, wasm_memory_mb: exports.memory.buffer.byteLength / 1e6, snapshots, largest_writes_mb: largest / 1e6 };
}

const sizes = process.argv.slice(2).map(Number);
if (process.env.POOL_MEMORY_CHILD) {
  console.log(JSON.stringify(await once(sizes[0])));
} else {
  console.log("| recipients held | wasm memory (high-water) | per recipient | snapshots written | largest writes text |");
  console.log("|---:|---:|---:|---:|---:|");
  for (const n of sizes.length > 0 ? sizes : [50_000, 100_000, 200_000]) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), String(n)], {
      env: { ...process.env, POOL_MEMORY_CHILD: "1" },
      encoding: "utf8",
    });
    const r = JSON.parse(out);
    console.log(`| ${r.recipients} | ${r.wasm_memory_mb.toFixed(1)} MB | ${((r.wasm_memory_mb * 1e6) / r.recipients).toFixed(0)} B | ${r.snapshots} | ${r.largest_writes_mb.toFixed(1)} MB |`);
  }
}
