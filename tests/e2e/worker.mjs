// Starts the real Worker in workerd (`wrangler dev`) for end-to-end tests.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";

export const ADMIN = "dev-admin-token-not-for-production";

/** Whether `port` on 127.0.0.1 can be bound right now. */
function canBind(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.on("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on 127.0.0.1, picked below Linux's ephemeral range (32768+). A port the OS hands out for
 * `listen(0)` can be handed out again to the next `listen(0)` once released — and workerd binds its own
 * internal sockets that way, so a test file starting its worker next to another one could lose the port.
 */
export async function freePort() {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await canBind(port)) return port;
  }
  throw new Error("no free port in 20000-31999");
}

/** A fresh directory for Durable Object storage. */
export function freshState() {
  return mkdtempSync(join(tmpdir(), "ringmark-e2e-"));
}

/**
 * Starts `wrangler dev` and resolves once it answers; retries with new ports if one was taken meanwhile.
 * `vars` are extra environment variables for the Worker (`--var NAME:value`), e.g. `{ RINGMARK_TEST_TRAP: "1" }`.
 */
export async function startWorker(persistTo, { vars = {} } = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(persistTo, vars);
    } catch (e) {
      if (attempt >= 3 || !/Address already in use/.test(String(e.message))) throw e;
    }
  }
}

async function startOnce(persistTo, vars) {
  const port = await freePort();
  let inspector = await freePort();
  while (inspector === port) inspector = await freePort();
  const varArgs = Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  const child = spawn(
    "wrangler",
    ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector),
     "--persist-to", persistTo, "--log-level", "warn", ...varArgs],
    { stdio: ["ignore", "pipe", "pipe"], env: process.env },
  );
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited: ${output}`);
    try {
      if ((await fetch(`${base}/`)).ok) break;
    } catch {}
    if (Date.now() - started > 90_000) {
      child.kill("SIGKILL");
      throw new Error(`wrangler dev did not answer within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    startupMs: Date.now() - started,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** An admin API call; resolves to {status, body}. */
export async function api(base, method, path, body, token = ADMIN) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, body: json, headers: r.headers };
}

export const UA = {
  iphone: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  desktop: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  ipad: "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  gmailProxy: "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
  appleMpp: "Mozilla/5.0",
  // A white-label tablet whose Chrome says Mobile: only the device-model table knows it is a tablet.
  whiteLabelTablet: "Mozilla/5.0 (Linux; Android 10; Sencor_Element 9.7V2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
};

/** GET a URL with a User-Agent, without following redirects. */
export async function get(url, ua, method = "GET") {
  const r = await fetch(url, { method, headers: { "user-agent": ua }, redirect: "manual" });
  const bytes = new Uint8Array(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, bytes };
}
