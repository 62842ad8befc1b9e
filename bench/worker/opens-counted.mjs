// Are pixel opens all recorded? Drives pixels straight into workerd (direct.mjs) with wrk, several
// runs of a few seconds, with a number image every 100 ms beside them (a number image never lingers
// and sends the queue at once, as in real sends, where both images of an email load together); after
// each run it reads the pool's open count at 0.4 s steps for 2.4 s. Recorded − responses should be
// the pixels still in flight when wrk stopped (≤ its 16 connections), and stay put. Fewer, or a count
// still rising seconds later, means opens were held back or lost: how the lingering-flag defect of
// worker/coalesce.js showed (the missing opens arrived with the next run's traffic).
//   node bench/worker/opens-counted.mjs [runs=4] [seconds=4]
import { execFile } from "node:child_process";
import { join } from "node:path";
import { api, UA } from "../../tests/e2e/worker.mjs";
import { startDirect } from "./direct.mjs";
import { putPool, issueTokens, numbers, ids, cyclingScript } from "./seed.mjs";

/** Runs a command without blocking this process's event loop; resolves with its stdout. */
const run = (command, args) =>
  new Promise((resolve, reject) =>
    execFile(command, args, { encoding: "utf8" }, (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout))),
  );

const runs = Number(process.argv[2] ?? 4);
const seconds = Number(process.argv[3] ?? 4);
const { base, work, dispose } = await startDirect({});
try {
  await putPool(base, "bench", numbers("415556", 100));
  const tokens = await issueTokens(base, "bench", "c", ids("p", 2000));
  const script = cyclingScript(join(work, "pixels.lua"), tokens.map((t) => `/o/${t}.gif`));
  const opens = async () => (await api(base, "GET", "/v1/pools/bench")).body.opens.total;
  for (let round = 1; round <= runs; round++) {
    const before = await opens();
    // Number images beside the pixels, from Node, while wrk runs (wrk is spawned without blocking).
    let images = 0;
    let loading = true;
    const beside = (async () => {
      for (let i = 0; loading; i++) {
        const r = await fetch(`${base}/n/${tokens[i % 100]}.png`, {
          headers: { "user-agent": UA.desktop, "cf-connecting-ip": "203.0.113.7" },
        });
        await r.arrayBuffer();
        images++;
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const wrk = await run(
      "wrk",
      ["-t1", "-c16", `-d${seconds}s`, "-H", `User-Agent: ${UA.desktop}`, "-H", "CF-Connecting-IP: 203.0.113.7", "-s", script, base],
    );
    loading = false;
    await beside;
    const responses = Number(wrk.match(/(\d+) requests in/)[1]) + images;
    const seen = [];
    for (let t = 0; t < 6; t++) {
      await new Promise((r) => setTimeout(r, 400));
      seen.push((await opens()) - before - responses);
    }
    console.log(JSON.stringify({ run: round, pixels: responses - images, images, recorded_minus_responses_at_0_4s_steps: seen }));
  }
} finally {
  await dispose();
}
