// Waits for the local worker, creates the demo pool, issues tokens, and
// prints ready-to-open URLs. Used by `make serve`; safe to run again.
const base = process.argv[2] ?? "http://127.0.0.1:8787";
const admin = process.env.RINGMARK_ADMIN_TOKEN ?? "dev-admin-token-not-for-production";
const auth = { authorization: `Bearer ${admin}`, "content-type": "application/json" };

async function waitReady(deadlineMs = 60_000) {
  const start = Date.now();
  for (;;) {
    try {
      if ((await fetch(`${base}/`)).ok) return;
    } catch {}
    if (Date.now() - start > deadlineMs) throw new Error(`worker did not answer at ${base}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function call(method, path, body) {
  const r = await fetch(`${base}${path}`, { method, headers: auth, body: body && JSON.stringify(body) });
  const json = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

await waitReady();
await call("PUT", "/v1/pools/demo", {
  numbers: ["+14155550101", "+14155550102", "+14155550103", "+14155550104", "+14155550105"],
  fallback: "+14155550100",
  lease_seconds: 86400,
  style: { label: "Call us" },
});
const { tokens } = await call("POST", "/v1/pools/demo/tokens", {
  campaign: "welcome",
  recipients: ["alice@example.com", "bob@example.com", "carol@example.com"],
});
const phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
const desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
console.log(`
ringmark is serving on ${base} with the demo pool "demo" (5 numbers, fallback +14155550100).
Admin token (dev): ${admin}

The console (sign in with the admin token): ${base}/app/

Open these (each recipient keeps their number):`);
for (const t of tokens) {
  console.log(`  ${t.recipient}
    number image  ${t.number}
    call link     ${t.click}
    open pixel    ${t.open}`);
}
console.log(`
Try (curl's own User-Agent is a bot's: bots get the fallback number and take no lease):
  curl -s -o number.png -A '${desktop}' '${tokens[0].number}'   # desktop: the number as text
  curl -s -o button.png -A '${phone}' '${tokens[0].number}'   # smartphone: tap-to-call button
  curl -si -A '${phone}' '${tokens[0].click}'                # 302 to tel:
  curl -s -H 'authorization: Bearer ${admin}' ${base}/v1/pools/demo
Press Ctrl-C to stop.`);
