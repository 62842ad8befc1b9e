// How much memory a pool object's engine reaches as MPP-prefetched recipients pile up: the Worker's
// module (pkg/, `make build`) in Node, one `PoolObject` engine fed machine opens (pixel + number image
// of fresh recipients, in coalesced batches of 32 prefetches) as the Durable Object would be, then the
// high-water mark of its WebAssembly memory (which never shrinks: it is the peak, snapshots included),
// the writes read as the adapter reads them. Then, in another fresh process, the engine reloaded from
// the rows those writes left (what its load queries would read: the settings, the last snapshot's parts,
// handed over one at a time as the adapter does, the events after it), that load's high-water mark and
// time, and the most text JavaScript handed to the engine at once: an object is evicted
// and reloaded routinely, so what it holds must load within the limit too.
// A Durable Object has 128 MB for everything (developers.cloudflare.com/durable-objects/platform/limits).
//   node bench/wasm/pool-memory.mjs [recipients...=50000 100000 200000]   (one fresh process each)
// RINGMARK_PKG=/path/to/pkg/ measures another build.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";

const PKG = process.env.RINGMARK_PKG
  ? pathToFileURL(process.env.RINGMARK_PKG.replace(/\/?$/, "/"))
  : new URL("../../pkg/", import.meta.url);

async function engineModule() {
  const mod = await import(new URL("ringmark.js", PKG));
  const exports = mod.initSync({ module: new WebAssembly.Module(readFileSync(new URL("ringmark_bg.wasm", PKG))) });
  return { mod, memory: exports.memory };
}

/** The rows of the tables the pool object's load query reads, kept as the writes change them. */
class Store {
  kv = new Map();
  events = new Map();
  parts = new Map();
  apply([sql, ...params]) {
    if (sql.startsWith("INSERT INTO snapshot_parts")) this.parts.set(params[0], params[1]);
    else if (sql === "DELETE FROM snapshot_parts") this.parts.clear();
    else if (sql.startsWith("INSERT INTO events")) this.events.set(params[0], params[2]);
    else if (sql.startsWith("INSERT OR REPLACE INTO kv")) {
      const key = /VALUES \('(\w+)', \?\)/.exec(sql)[1];
      this.kv.set(key, params[0]);
      // The load query reads only the events after the snapshot.
      if (key === "snapshot_seq") for (const seq of this.events.keys()) if (seq <= Number(params[0])) this.events.delete(seq);
    }
  }
  /** What `load_query` answers: `{t, a, b}` rows, ordered by `t DESC, a`. */
  rows() {
    const sorted = (map, t) => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([a, b]) => ({ t, a, b }));
    return [...sorted(this.parts, "sp"), ...sorted(this.kv, "kv"), ...sorted(this.events, "ev")];
  }
}

async function once(n, rowsPath) {
  const { mod, memory } = await engineModule();
  const engine = mod.PoolObject.load("[]");
  const store = new Store();
  const carryOut = (outcome) => {
    // The writes as the adapter (worker/objects.js) takes them: in chunks, or, from a build before
    // `take_writes`, as one JSON text of them all. `length` is that text's either way.
    let snapshot = false;
    let length = 0;
    if (outcome.take_writes) {
      let chunks = 0;
      for (let chunk = outcome.take_writes(); chunk !== undefined; chunk = outcome.take_writes()) {
        snapshot ||= chunk.includes("snapshot_parts");
        length += chunk.length - 2; // `[a,b]` → `a,b`
        chunks++;
        for (const w of JSON.parse(chunk)) store.apply(w);
      }
      length += chunks === 0 ? 2 : chunks + 1; // the brackets, and a comma between chunks
    } else {
      const writes = outcome.writes;
      snapshot = writes.includes("snapshot_parts");
      length = writes.length;
      for (const w of JSON.parse(writes)) store.apply(w);
    }
    outcome.free();
    return { snapshot, length };
  };
  const numbers = Array.from({ length: 5000 }, (_, i) => `+1415557${String(i).padStart(4, "0")}`);
  // No `max_holders` bound (its default, 60,000, is set from what this measures).
  const settings = { config: { numbers, fallback: "+14155550999", lease_seconds: 3600, max_holders: 10_000_000 }, displays: {}, style: {} };
  carryOut(engine.handle(JSON.stringify({ op: "configure", settings })));
  const opener = { device: "unknown", opener: "prefetch", client: "Apple Mail", proxy: "Apple Mail Privacy Protection", machine: true };
  const open = (r, kind) => JSON.stringify({ op: "open", campaign: "c", recipient: `recipient-${r}`, kind, opener });
  let snapshots = 0;
  let largest = 0;
  for (let i = 0; i < n; i += 32) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 32); k++) batch.push(open(k, "pixel"), open(k, "number"));
    const { snapshot, length } = carryOut(engine.handle_batch(batch));
    if (snapshot) {
      snapshots++;
      largest = Math.max(largest, length);
    }
  }
  writeFileSync(rowsPath, JSON.stringify(store.rows()));
  const fed = memory.buffer.byteLength / 1e6;
  // The retention alarm (prune, then a fresh snapshot) on the same engine: its high-water too.
  carryOut(engine.alarm());
  return {
    recipients: n,
    wasm_memory_mb: fed,
    alarm_mb: memory.buffer.byteLength / 1e6,
    snapshots,
    largest_writes_mb: largest / 1e6,
  };
}

/**
 * A fresh engine loaded from the stored rows, as the adapter loads it: the snapshot's parts handed over
 * one at a time (`load_streamed`), or, from a build before it, every row in one text
 * (`load(JSON.stringify(rows))`). Also the load's time, and the most text JavaScript handed over at once.
 */
async function reload(rowsPath) {
  const { mod, memory } = await engineModule();
  let text = readFileSync(rowsPath, "utf8");
  let engine;
  let handed = text.length;
  const t0 = performance.now();
  if (mod.PoolObject.load_streamed) {
    const all = JSON.parse(text);
    text = null;
    const parts = all.filter((r) => r.t === "sp").map((r) => r.b);
    const rows = JSON.stringify(all.filter((r) => r.t !== "sp"));
    handed = rows.length + Math.max(0, ...parts.map((p) => p.length));
    let i = 0;
    engine = mod.PoolObject.load_streamed(rows, () => (i < parts.length ? parts[i++] : undefined));
  } else {
    engine = mod.PoolObject.load(text);
  }
  const ms = performance.now() - t0;
  engine.free();
  return { reload_mb: memory.buffer.byteLength / 1e6, reload_ms: ms, handed_mb: handed / 1e6 };
}

const args = process.argv.slice(2);
if (process.env.POOL_MEMORY_CHILD === "feed") {
  console.log(JSON.stringify(await once(Number(args[0]), args[1])));
} else if (process.env.POOL_MEMORY_CHILD === "reload") {
  console.log(JSON.stringify(await reload(args[0])));
} else {
  const dir = mkdtempSync(join(tmpdir(), "pool-memory-"));
  const child = (mode, ...rest) =>
    JSON.parse(
      execFileSync(process.execPath, [fileURLToPath(import.meta.url), ...rest], {
        env: { ...process.env, POOL_MEMORY_CHILD: mode },
        encoding: "utf8",
        maxBuffer: 1 << 20,
      }),
    );
  const mb = (x, n) => `${x.toFixed(1)} MB | ${((x * 1e6) / n).toFixed(0)} B`;
  console.log("| recipients held | wasm memory (high-water) | per recipient | snapshots written | largest writes text | reload from storage (high-water) | per recipient | reload time | most text handed over at once | after the retention alarm (high-water) | per recipient |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  try {
    for (const n of args.length > 0 ? args.map(Number) : [50_000, 100_000, 200_000]) {
      const rows = join(dir, `rows-${n}.json`);
      const r = child("feed", String(n), rows);
      const l = child("reload", rows);
      rmSync(rows);
      console.log(
        `| ${r.recipients} | ${mb(r.wasm_memory_mb, n)} | ${r.snapshots} | ${r.largest_writes_mb.toFixed(1)} MB | ${mb(l.reload_mb, n)} | ${l.reload_ms.toFixed(0)} ms | ${l.handed_mb.toFixed(1)} MB | ${r.alarm_mb === undefined ? "–" : mb(r.alarm_mb, n)} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
