// What the workerd benches (floor.mjs, profile.mjs, opens-counted.mjs) seed a running ringmark with,
// through the admin API as the e2e tests seed it (the dev token from .dev.vars), and the wrk scripts
// that load its URLs.
import { writeFileSync } from "node:fs";
import { api } from "../../tests/e2e/worker.mjs";

/** Configures pool `id` on `numbers` (fallback +14155550999, day-long leases). */
export async function putPool(base, id, numbers) {
  const r = await api(base, "PUT", `/v1/pools/${id}`, { numbers, fallback: "+14155550999", lease_seconds: 86400 });
  if (r.status !== 200) throw new Error(`PUT ${id}: ${JSON.stringify(r.body)}`);
}

/** Issues tokens of pool `id` for `recipients` of `campaign`, 10,000 a request; resolves to the tokens. */
export async function issueTokens(base, id, campaign, recipients) {
  const out = [];
  for (let i = 0; i < recipients.length; i += 10_000) {
    const r = await api(base, "POST", `/v1/pools/${id}/tokens`, { campaign, recipients: recipients.slice(i, i + 10_000) });
    if (r.status !== 200) throw new Error(`tokens ${id}: ${JSON.stringify(r.body)}`);
    out.push(...r.body.tokens.map((t) => t.token));
  }
  return out;
}

/** `n` E.164 numbers `+1{prefix}0000` onwards (`prefix`: six digits). */
export const numbers = (prefix, n) => Array.from({ length: n }, (_, i) => `+1${prefix}${String(i).padStart(4, "0")}`);

/** `n` recipient ids `{name}-0` onwards. */
export const ids = (name, n) => Array.from({ length: n }, (_, i) => `${name}-${i}`);

/**
 * Writes to `file` a wrk script that requests `paths` in turn, over and over (one wrk thread, so one
 * Lua state: no path twice until the list wraps); returns `file`.
 */
export function cyclingScript(file, paths) {
  writeFileSync(
    file,
    `paths = {${paths.map((p) => `"${p}"`).join(",\n")}}\ni = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n`,
  );
  return file;
}
