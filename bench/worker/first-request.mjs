// First-request latency of a number image on a cold worker (fresh isolate:
// wasm instantiation, Durable Object load + replay, first render), next to
// the second request, over several restarts of `wrangler dev`.
//   node bench/worker/first-request.mjs [restarts=5]
import { startWorker, freshState, api } from "../../tests/e2e/worker.mjs";

const restarts = Number(process.argv[2] ?? 5);
const DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const state = freshState();
let worker = await startWorker(state);
const numbers = Array.from({ length: 100 }, (_, i) => `+1415557${String(i).padStart(4, "0")}`);
await api(worker.base, "PUT", "/v1/pools/cold", { numbers, fallback: "+14155550999", lease_seconds: 86400 });
const { body } = await api(worker.base, "POST", "/v1/pools/cold/tokens", { campaign: "c", recipients: ["a", "b"] });
const path = (i) => `/n/${body.tokens[i].token}.png`;
const time = async (url) => {
  const t = performance.now();
  const r = await fetch(url, { headers: { "user-agent": DESKTOP } });
  await r.arrayBuffer();
  return performance.now() - t;
};
const firsts = [];
const seconds = [];
for (let i = 0; i < restarts; i++) {
  await worker.stop();
  worker = await startWorker(state);
  firsts.push(await time(`${worker.base}${path(0)}`));
  seconds.push(await time(`${worker.base}${path(1)}`));
}
await worker.stop();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`first request after restart: median ${median(firsts).toFixed(1)} ms (${firsts.map((x) => x.toFixed(0)).join(", ")})`);
console.log(`second request:               median ${median(seconds).toFixed(1)} ms (${seconds.map((x) => x.toFixed(0)).join(", ")})`);
