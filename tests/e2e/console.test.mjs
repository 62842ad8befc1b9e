// The marketer's console (/app/, Workers static assets) against the real Worker in workerd, driven in
// Debian's Chromium by playwright-core: real pools, opens through the Worker's own image URLs, a call
// with an outcome; then sign in, the pool list, the campaign view's people/machines toggle, the what-if
// plot and the snippet builder. Every view is screenshotted at desktop and phone width
// (test-results/console/; a few are committed in docs/console/) and checked by axe-core
// (@axe-core/playwright): no serious or critical violation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { startWorker, freshState, api, get, UA, ADMIN } from "./worker.mjs";

const SHOTS = new URL("../../test-results/console/", import.meta.url).pathname;
const SIZES = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };
let worker, browser;

/** Opens `url` with a UA; asserts the Worker answered 200. */
async function open(url, ua) {
  const r = await get(url, ua);
  assert.equal(r.status, 200, url);
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  worker = await startWorker(freshState());
  const ok = async (method, path, body) => {
    const r = await api(worker.base, method, path, body);
    assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  await ok("PUT", "/v1/pools/spring", {
    numbers: ["+14155550201", "+14155550202", "+14155550203"], fallback: "+14155550200", lease_seconds: 86400,
    style: { label: "Call us" },
  });
  // A pool of one number that two people open: it runs dry.
  await ok("PUT", "/v1/pools/tiny", { numbers: ["+14155550301"], fallback: "+14155550300", lease_seconds: 86400 });
  const { tokens } = await ok("POST", "/v1/pools/spring/tokens",
    { campaign: "launch", recipients: ["alice", "bob", "carol", "dave", "erin"] });
  // People: alice on a desktop (number image and pixel), bob on an iPhone, carol on an iPad.
  await open(tokens[0].number, UA.desktop);
  await open(tokens[0].open, UA.desktop);
  await open(tokens[1].number, UA.iphone);
  await open(tokens[2].number, UA.ipad);
  // Machines: Apple Mail Privacy Protection prefetches three emails' images, Gmail's proxy two.
  for (const t of tokens.slice(2, 5)) await open(t.open, UA.appleMpp);
  await open(tokens[4].number, UA.appleMpp);
  await open(tokens[3].number, UA.gmailProxy);
  await open(tokens[3].open, UA.gmailProxy);
  const tiny = (await ok("POST", "/v1/pools/tiny/tokens", { campaign: "flash", recipients: ["x", "y"] })).tokens;
  await open(tiny[0].number, UA.desktop);
  await open(tiny[1].number, UA.desktop);
  // alice calls the number she was shown; the call is worth 240.00 USD.
  const state = await ok("GET", "/v1/pools/spring");
  assert.ok(state.live.utilisation > 0, JSON.stringify(state.live));
  const call = await ok("POST", "/v1/calls", { to: await heldBy(tokens[0]), from: "+12125550123", at: Math.floor(Date.now() / 1000) });
  await ok("POST", `/v1/calls/${call.call_id}/outcome`, { converted: true, value: 240, currency: "USD" });
  // A pixel is answered before its open is recorded (which may wait for company): wait until all 11
  // of spring's fetches are (4 people's images and alice's pixel and call link, 6 machine fetches).
  for (let i = 0; ; i++) {
    const { opens } = (await ok("GET", "/v1/pools/spring/report?campaign=launch")).report;
    if (opens === 11) break;
    assert.ok(i < 120 && opens < 11, `spring's opens: ${opens}`);
    await new Promise((r) => setTimeout(r, 250));
  }

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await worker?.stop();
});

/** The number a recipient's token shows now (its call link's tel: target). */
async function heldBy(token) {
  const r = await fetch(token.click, { headers: { "user-agent": UA.iphone }, redirect: "manual" });
  assert.equal(r.status, 302);
  return r.headers.get("location").replace(/^tel:/, "");
}

/** A fresh tab at `size`, with every URL it requested and every page error kept. */
async function tab(size = "desktop") {
  const context = await browser.newContext({ viewport: SIZES[size] });
  const page = await context.newPage();
  const requested = [];
  const errors = [];
  page.on("request", (r) => requested.push(r.url()));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  return { context, page, requested, errors };
}

async function signIn(page, token = ADMIN) {
  await page.goto(`${worker.base}/app/`);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("#token", token);
  await page.click("#signin-form button[type=submit]");
}

async function signedIn(size) {
  const t = await tab(size);
  await signIn(t.page);
  await t.page.waitForSelector("#pool-table tbody tr[data-pool=spring]");
  return t;
}

/** Serious and critical axe violations of the page as it is now. */
async function axe(page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Screenshot + accessibility check + no sideways scrolling of the page at this size. */
async function check(page, view, size) {
  await page.screenshot({ path: `${SHOTS}${view}-${size}.png`, fullPage: true });
  assert.deepEqual(await axe(page), [], `${view} at ${size} width`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${view} at ${size} width scrolls sideways by ${overflow}px`);
}

async function showCampaign(page) {
  await page.click("a[href='#campaign']");
  await page.waitForSelector("#campaign-name option[value=launch]", { state: "attached" });
  await page.selectOption("#campaign-pool", "spring");
  await page.selectOption("#campaign-name", "launch");
  await page.click("#campaign-form button[type=submit]");
  await page.waitForSelector("#campaign-body:not([hidden])");
}

const kpi = (page, key) => page.textContent(`#campaign-kpis dd[data-key=${key}]`);

test("/app redirects to /app/, which is served with a strict CSP, while the API still reaches the Worker", async () => {
  const r = await fetch(`${worker.base}/app`, { redirect: "manual" });
  assert.equal(r.status, 307);
  assert.equal(r.headers.get("location"), "/app/");
  const page = await fetch(`${worker.base}/app/`);
  assert.equal(page.status, 200);
  const csp = page.headers.get("content-security-policy");
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval';/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.doesNotMatch(await page.text(), /<script>|<script [^>]*>[^<]/, "no inline script");
  assert.equal((await api(worker.base, "GET", "/v1/pools", undefined, "wrong")).status, 401);
  assert.equal((await fetch(`${worker.base}/healthz`)).status, 200);
});

test("the sign-in page passes axe at both widths and asks for the token in a password field", async () => {
  for (const size of Object.keys(SIZES)) {
    const { context, page, errors } = await tab(size);
    await page.goto(`${worker.base}/app/`);
    await page.waitForSelector("body[data-ready=true]");
    assert.equal(await page.getAttribute("#token", "type"), "password");
    assert.equal(await page.isVisible("#nav"), false);
    await check(page, "signin", size);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test("a wrong token is refused and forgotten; the right one is kept in session storage only, never in a URL", async () => {
  const { context, page, requested, errors } = await tab();
  await signIn(page, "not-the-token");
  await page.waitForSelector("#signin-error:not([hidden])");
  assert.match(await page.textContent("#signin-error"), /refused/);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await signIn(page);
  await page.waitForSelector("#pool-table tbody tr[data-pool=spring]");
  assert.equal(await page.evaluate(() => Object.values(sessionStorage).includes("dev-admin-token-not-for-production")), true);
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  assert.deepEqual(await context.cookies(), []);
  assert.equal(await page.inputValue("#token"), "", "the field is emptied");
  for (const url of [...requested, page.url()]) assert.ok(!url.includes(ADMIN), `token in ${url}`);
  // A reload keeps the session; signing out forgets it.
  await page.reload();
  await page.waitForSelector("#pool-table tbody tr[data-pool=spring]");
  await page.click("#sign-out");
  await page.waitForSelector("#signin:not([hidden])");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.deepEqual(errors.filter((e) => !/401/.test(e)), []);
  await context.close();
});

test("the pool list shows every pool's live utilisation, pressure and exhaustion", async () => {
  for (const size of Object.keys(SIZES)) {
    const { context, page, errors } = await signedIn(size);
    const figures = await api(worker.base, "GET", "/v1/pools").then((r) => r.body.pools);
    for (const p of figures) {
      const row = `#pool-table tr[data-pool=${p.pool}]`;
      assert.equal(await page.getAttribute(`${row} meter`, "value"), String(p.utilisation));
      assert.match(await page.textContent(`${row} [data-key=utilisation]`), new RegExp(`${Math.round(p.utilisation * 100)} %`));
    }
    // tiny: one number, two people: full, under pressure, and the second opener got the shared number.
    assert.equal(await page.textContent("#pool-table tr[data-pool=tiny] [data-key=pressure]"), "under pressure");
    assert.match(await page.textContent("#pool-table tr[data-pool=tiny] [data-key=exhaustions]"), /[a-z]+ 1/);
    assert.equal(await page.textContent("#pool-table tr[data-pool=spring] [data-key=exhaustions]"), "none");
    assert.match(await page.textContent("#pool-table tr[data-pool=spring]"), /launch/);
    await check(page, "pools", size);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test("the campaign view toggles between people and machines, with machines split by kind, and shows calls and value", async () => {
  const report = (await api(worker.base, "GET", "/v1/pools/spring/report?campaign=launch")).body.report;
  const machines = Object.values(report.machine_opens).reduce((a, b) => a + b, 0);
  assert.ok(report.human_opens > 0 && machines > 0 && report.human_opens !== machines, JSON.stringify(report));
  for (const size of Object.keys(SIZES)) {
    const { context, page, errors } = await signedIn(size);
    await showCampaign(page);
    assert.equal(await kpi(page, "shown"), String(report.human_opens));
    assert.equal(await page.getAttribute("#opens-chart", "data-series"), "1");
    await check(page, "campaign-people", size);
    await page.check("input[name=who][value=machines]");
    assert.equal(await kpi(page, "shown"), String(machines));
    assert.equal(await page.getAttribute("#opens-chart", "data-series"), "5", "one line per machine kind");
    assert.match(await page.textContent("#opens-caption"), new RegExp(`machines: ${machines} since`));
    const kinds = await page.$$eval("#machine-kinds tbody tr", (rows) => rows.map((r) => r.textContent));
    assert.ok(kinds.includes(`Apple Mail Privacy Protection${report.machine_opens.apple_mpp}`), kinds.join("|"));
    assert.ok(report.machine_opens.apple_mpp >= 4 && report.machine_opens.gmail_proxy === 2, JSON.stringify(report.machine_opens));
    await check(page, "campaign-machines", size);
    await page.check("input[name=who][value=all]");
    assert.equal(await kpi(page, "shown"), String(report.opens));
    // People's devices and clients, calls, conversion and value.
    const devices = await page.textContent("#devices");
    for (const device of Object.keys(report.human_by_device)) assert.match(devices, new RegExp(device));
    assert.equal(await page.textContent("#calls dd[data-key=calls]"), "1");
    assert.equal(await page.textContent("#calls dd[data-key=conversions]"), "1");
    assert.equal(await page.textContent("#calls dd[data-key=value]"), "240.00 USD");
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test("the snippet builder previews both variants in light and dark, and copies the platform's HTML", async () => {
  for (const size of Object.keys(SIZES)) {
    const { context, page, errors } = await signedIn(size);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: worker.base });
    await page.click("a[href='#snippet']");
    await page.waitForSelector("#snippet-body:not([hidden])");
    await page.selectOption("#snippet-pool", "spring");
    await page.selectOption("#snippet-platform", "sendgrid");
    await page.click("#snippet-form button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#snippet-html").value.includes("{{ringmark_token}}"));
    assert.match(await page.textContent("#snippet-note"), /saved style/);
    for (const mode of ["light", "dark"]) {
      for (const variant of ["text", "button"]) {
        const img = `#preview-${mode}-${variant}`;
        await page.waitForFunction((s) => document.querySelector(s).complete && document.querySelector(s).naturalWidth > 0, img);
        assert.ok((await page.$eval(img, (i) => i.naturalWidth)) > 0, img);
      }
    }
    // The same bytes in both modes; text and button are different images of one box.
    const srcs = await page.$$eval(".previews img", (imgs) => imgs.map((i) => i.src));
    assert.equal(new Set(srcs).size, 2);
    const html = await page.inputValue("#snippet-html");
    const expected = await api(worker.base, "POST", "/v1/pools/spring/snippet", { platform: "sendgrid" });
    assert.equal(html, expected.body.html);
    await page.click("#snippet-copy");
    await page.waitForSelector("#snippet-copied:has-text('Copied')");
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), html);
    await check(page, "snippet", size);
    // Another style is previewed and said to be unsaved.
    await page.fill("#snippet-label", "Ring us");
    await page.click("#snippet-form button[type=submit]");
    await page.waitForSelector("#snippet-note:has-text('has not saved')");
    assert.notDeepEqual(await page.$$eval(".previews img", (imgs) => imgs.map((i) => i.src)), srcs);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test("the what-if simulates the pool in the browser and the plot follows the inputs", async () => {
  const { context, page, errors, requested } = await signedIn("desktop");
  await page.click("a[href='#whatif']");
  await page.waitForSelector("#whatif:not([hidden])");
  assert.ok(!requested.some((u) => u.endsWith("/simulate_bg.wasm")), "the simulator is loaded only when needed");
  await page.selectOption("#whatif-pool", "spring");
  let runs = 0;
  const run = async (recipients, leaseHours) => {
    await page.fill("#whatif-recipients", String(recipients));
    await page.fill("#whatif-lease", String(leaseHours));
    await page.click("#whatif-form button[type=submit]");
    runs += 1;
    await page.waitForSelector(`#whatif-figure[data-runs="${runs}"]`);
    assert.match(await page.textContent("#whatif-caption"), new RegExp(`^${recipients.toLocaleString("en")} recipients`));
    return {
      caption: await page.textContent("#whatif-caption"),
      dry: await page.getAttribute("#whatif-figure", "data-dry"),
      pixels: await page.locator("#whatif-chart canvas").screenshot(),
    };
  };
  const small = await run(10, 1);
  assert.ok(requested.some((u) => u.endsWith("/app/pkg/simulate_bg.wasm")));
  const large = await run(5000, 24);
  assert.notEqual(small.caption, large.caption);
  assert.ok(!small.pixels.equals(large.pixels), "the plot changed");
  assert.equal(small.dry, "never", small.caption);
  assert.notEqual(large.dry, "never", `5,000 recipients on 3 numbers run dry: ${large.caption}`);
  for (const size of Object.keys(SIZES)) {
    await page.setViewportSize(SIZES[size]);
    await run(5000, 24);
    await check(page, "whatif", size);
  }
  assert.deepEqual(errors, []);
  await context.close();
});
