// ringmark in local workerd driven directly: bundled as `wrangler deploy --dry-run` bundles it
// (bindings and `.dev.vars` from wrangler.toml via wrangler's `unstable_getMiniflareWorkerOptions`),
// started with Miniflare and reached through its own direct socket (`unsafeDirectSockets`: the socket
// is the Worker's service itself, with neither wrangler dev's ProxyWorker nor Miniflare's entry worker
// in front). Optionally beside the reference Worker + Durable Object of bench/worker/reference/.
// Durable Object storage lives on tmpfs (/dev/shm) unless `disk` puts it under the temp directory as
// `wrangler dev --persist-to` does. Without the console's static assets unless WITH_ASSETS=1 (below).
// Used by floor.mjs, burst.mjs, profile.mjs and opens-counted.mjs.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, existsSync, rmSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

export const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Starts workerd with ringmark (and the reference when `reference`); resolves to
 * `{base, ref, entry, state, work, onDisk, dispose()}`: the direct URLs' origins, the storage and
 * scratch folders, and a function that stops workerd and removes both folders.
 * `wasm` replaces the bundle's module with another build of the same code (profile.mjs: one that
 * keeps its function names); `inspectorPort` opens workerd's inspector (DevTools protocol) there.
 */
export async function startDirect({ reference = false, disk = false, wasm = null, inspectorPort = undefined } = {}) {
  const work = mkdtempSync(join(tmpdir(), "ringmark-direct-"));
  const onDisk = disk || !existsSync("/dev/shm");
  const state = onDisk ? join(work, "state") : mkdtempSync("/dev/shm/ringmark-direct-");
  const outdir = join(work, "bundle");
  const dry = spawnSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", outdir], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", WRANGLER_LOG_PATH: join(root, ".wrangler/logs") },
  });
  if (dry.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${dry.stdout}\n${dry.stderr}`);
  if (wasm) {
    const bundled = readdirSync(outdir).filter((f) => f.endsWith("-ringmark_bg.wasm"));
    if (bundled.length !== 1) throw new Error(`expected one ringmark_bg.wasm in the bundle, found ${bundled}`);
    copyFileSync(wasm, join(outdir, bundled[0]));
  }
  const ringmark = unstable_getMiniflareWorkerOptions(join(root, "wrangler.toml")).workerOptions;
  const ref = reference ? unstable_getMiniflareWorkerOptions(join(root, "bench/worker/reference/wrangler.toml")).workerOptions : null;
  if (ref && ringmark.compatibilityDate !== ref.compatibilityDate) throw new Error("compatibility dates differ");
  // The modules of a directory (index.js first), typed by extension as wrangler.toml's rules type them.
  const modules = (dir) => {
    const type = (f) => (f.endsWith(".js") ? "ESModule" : f.endsWith(".wasm") ? "CompiledWasm" : f.endsWith(".tsv") || f.endsWith(".txt") ? "Data" : null);
    const files = readdirSync(dir).filter(type).sort((a, b) => (b === "index.js") - (a === "index.js"));
    return { modulesRoot: dir, modules: files.map((f) => ({ type: type(f), path: join(dir, f) })) };
  };
  delete ringmark.modulesRules; // the bundle's modules are listed one by one instead
  // The console's static assets (wrangler.toml [assets]) put Miniflare's asset router in front of
  // every request, as two more Workers in the same process: locally that cut `GET /` from ~15,000 to
  // ~2,500 req/s and the pixel from ~4,400 to ~2,000 (bisected to the console's merge, 122a693). On
  // Cloudflare that routing runs before the Worker, outside its isolate; here it would only measure
  // Miniflare. WITH_ASSETS=1 keeps it.
  if (process.env.WITH_ASSETS !== "1") delete ringmark.assets;
  const direct = [{ host: "127.0.0.1", port: 0 }];
  const workers = [{ ...ringmark, name: "ringmark", ...modules(outdir), unsafeDirectSockets: direct }];
  if (ref) {
    delete ref.modulesRules;
    workers.push({ ...ref, name: "reference", ...modules(join(root, "bench/worker/reference")), unsafeDirectSockets: direct });
  }
  const mf = new Miniflare(convertV4MiniflareOptions({ host: "127.0.0.1", port: 0, inspectorPort, resourcePersistencePath: state, workers }));
  const dispose = async () => {
    await mf.dispose();
    rmSync(work, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  };
  try {
    const entry = (await mf.ready).origin;
    const base = (await mf.unsafeGetDirectURL("ringmark")).origin;
    const refBase = ref ? (await mf.unsafeGetDirectURL("reference")).origin : null;
    return { base, ref: refBase, entry, state, work, onDisk, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}
