// Number-image latency through the pool's Durable Object in local workerd
// (wrangler dev), measured with wrk from a second process on loopback, next
// to the worker's own "/" route (no Durable Object) in the same run.
//   node bench/worker/latency.mjs [seconds=10] [rounds=3]
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker, freshState, api } from "../../tests/e2e/worker.mjs";

const seconds = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 3);
const DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

const worker = await startWorker(freshState());
try {
  const numbers = Array.from({ length: 1000 }, (_, i) => `+1415556${String(i).padStart(4, "0")}`);
  const put = await api(worker.base, "PUT", "/v1/pools/bench", { numbers, fallback: "+14155550999", lease_seconds: 86400 });
  if (put.status !== 200) throw new Error(JSON.stringify(put.body));
  const recipients = Array.from({ length: 5000 }, (_, i) => `bench-${i}`);
  const { body } = await api(worker.base, "POST", "/v1/pools/bench/tokens", { campaign: "bench", recipients });
  const dir = mkdtempSync(join(tmpdir(), "ringmark-wrk-"));
  const script = join(dir, "paths.lua");
  const paths = body.tokens.map((t) => `"/n/${t.token}.png"`).join(",\n");
  writeFileSync(script, `paths = {${paths}}\ni = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n`);

  const run = (label, args) => {
    const r = spawnSync("wrk", ["-t1", "-c8", `-d${seconds}s`, "--latency", "-H", `User-Agent: ${DESKTOP}`, ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    const pick = (p) => r.stdout.match(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m"))?.[1];
    const rps = r.stdout.match(/Requests\/sec:\s+(\S+)/)?.[1];
    const non2xx = r.stdout.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? "0";
    return { label, p50: pick(50), p90: pick(90), p99: pick(99), rps, non2xx };
  };
  const rows = [];
  for (let round = 1; round <= rounds; round++) {
    rows.push({ round, ...run("GET / (no Durable Object)", [`${worker.base}/`]) });
    rows.push({ round, ...run("GET /n/{token}.png (5,000 recipients, 1,000 numbers)", ["-s", script, worker.base]) });
  }
  console.table(rows);
} finally {
  await worker.stop();
}
