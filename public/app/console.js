// The marketer's console: a view of the admin API and of the wasm module, nothing more. Every
// figure comes from the API (/v1/...) or from the module (the what-if's simulation, the snippet's
// images); this file only fetches, draws and moves values between them. No framework: the page is
// four views of plain elements, and uPlot (vendor/, from npm) draws the charts.
import init, * as ringmark from "./pkg/ringmark.js";

/* global uPlot */

// The admin token lives in this tab's session storage only: never in a URL, a cookie or local storage.
const TOKEN_KEY = "ringmark.admin-token";
const $ = (id) => document.getElementById(id);
const VIEWS = ["pools", "campaign", "whatif", "snippet"];
const REFRESH_MS = 15_000;

let pools = []; // the last GET /v1/pools answer's pools
let refreshTimer;
const charts = {};
const wasm = init();
/** The simulator's module (`simulate`), fetched when the what-if first runs. */
let simulator;

// ---------- API ----------

class SignedOut extends Error {}

async function api(path, { method = "GET", body } = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) throw new SignedOut("not signed in");
  const response = await fetch(path, {
    method,
    cache: "no-store",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => null);
  if (response.status === 401) {
    signOut("The admin token was refused: sign in again.");
    throw new SignedOut("token refused");
  }
  if (!response.ok) throw new Error(answer?.error?.message ?? `${method} ${path}: HTTP ${response.status}`);
  return answer;
}

/** Every pool, page after page (100 a page). */
async function listPools() {
  const all = [];
  let after = null;
  for (;;) {
    const page = await api(after ? `/v1/pools?after=${encodeURIComponent(after)}` : "/v1/pools");
    all.push(...page.pools);
    if (!page.more) return all;
    after = page.next_after;
  }
}

// ---------- sign in, views ----------

function signedIn() {
  return sessionStorage.getItem(TOKEN_KEY) !== null;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(refreshTimer);
  $("signin-error").textContent = message ?? "";
  $("signin-error").hidden = !message;
  route();
}

async function signIn(event) {
  event.preventDefault();
  const input = $("token");
  const token = input.value.trim();
  input.value = "";
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    await api("/v1/pools");
  } catch (e) {
    if (!(e instanceof SignedOut)) signOut(`Could not reach the API: ${e.message}`);
    return;
  }
  $("signin-error").hidden = true;
  if (location.hash !== "#pools") location.hash = "#pools";
  else route();
}

function route() {
  const view = signedIn() ? (VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "pools") : "signin";
  for (const id of ["signin", ...VIEWS]) $(id).hidden = id !== view;
  $("nav").hidden = view === "signin";
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === `#${view}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `ringmark console — ${view === "whatif" ? "what-if" : view}`;
  clearInterval(refreshTimer);
  if (view === "signin") return;
  loadView(view).catch(showError(view));
}

function showError(view) {
  return (e) => {
    if (e instanceof SignedOut) return;
    const status = $(`${view}-status`);
    if (status) status.textContent = `Error: ${e.message}`;
  };
}

async function loadView(view) {
  if (view === "pools") {
    await refreshPools();
    refreshTimer = setInterval(() => refreshPools().catch(showError("pools")), REFRESH_MS);
    return;
  }
  if (pools.length === 0) pools = await listPools();
  if (view === "campaign") {
    await fillCampaignPicker();
    if (!report && $("campaign-name").value) await showCampaign();
  }
  if (view === "whatif") fillPoolPicker($("whatif-pool"));
  if (view === "snippet") {
    fillPoolPicker($("snippet-pool"));
    if ($("snippet-body").dataset.pool !== $("snippet-pool").value) await buildSnippet();
  }
}

// ---------- formatting ----------

const integer = new Intl.NumberFormat("en");
const percent = (x) => `${(x * 100).toFixed(x < 0.1 && x > 0 ? 1 : 0)} %`;
const date = (seconds) => (seconds == null ? "—" : new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " "));

function cell(row, text, className) {
  const td = document.createElement("td");
  if (text instanceof Node) td.append(text);
  else td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

function fillTable(table, entries) {
  const body = table.tBodies[0];
  body.replaceChildren();
  if (entries.length === 0) {
    const row = body.insertRow();
    cell(row, "none").colSpan = 2;
    return;
  }
  for (const [name, value] of entries) {
    const row = body.insertRow();
    cell(row, name);
    cell(row, integer.format(value), "num");
  }
}

function facts(list, entries) {
  list.replaceChildren();
  for (const [key, label, value] of entries) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.dataset.key = key;
    dd.textContent = value;
    list.append(dt, dd);
  }
}

// ---------- pools ----------

async function refreshPools() {
  pools = await listPools();
  const body = $("pool-table").tBodies[0];
  body.replaceChildren();
  for (const p of pools) {
    const row = body.insertRow();
    row.dataset.pool = p.pool;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = p.pool;
    if (p.deleted) th.append(" (deleted)");
    row.append(th);
    if (p.error) {
      cell(row, `did not answer: ${p.error}`).colSpan = 9;
      continue;
    }
    const start = row.cells.length;
    cell(row, integer.format(p.numbers), "num");
    const meter = document.createElement("meter");
    Object.assign(meter, { min: 0, max: 1, low: 0.6, high: 0.85, optimum: 0, value: p.utilisation });
    meter.setAttribute("aria-label", `${p.pool} utilisation`);
    const use = cell(row, meter, "use");
    use.append(` ${percent(p.utilisation)}`);
    use.dataset.key = "utilisation";
    // Pressure: utilisation at or above the pool's pressure_threshold (a webhook alert fires then).
    cell(row, p.pressure ? "under pressure" : "ok", p.pressure ? "warn" : "").dataset.key = "pressure";
    // Exhaustion: times an opener found no free number, by what they got instead.
    const outcomes = Object.entries(p.exhaustions).filter(([, n]) => n > 0);
    const dry = outcomes.reduce((sum, [, n]) => sum + n, 0);
    const exhaustion = cell(row, dry === 0 ? "none" : outcomes.map(([k, n]) => `${k} ${integer.format(n)}`).join(", "),
      dry > 0 ? "warn" : "");
    exhaustion.dataset.key = "exhaustions";
    cell(row, `${integer.format(p.opens.human)} / ${integer.format(p.opens.machine)}`, "num").dataset.key = "opens";
    cell(row, integer.format(p.calls), "num");
    cell(row, p.campaigns.join(", ") || "—");
    cell(row, p.fallback);
    cell(row, date(p.created_at));
    // Each cell names its column, for the phone layout (one card per pool: see console.css).
    const headings = [...$("pool-table").tHead.rows[0].cells].map((h) => h.textContent);
    for (const td of [...row.cells].slice(start)) td.dataset.label = headings[td.cellIndex];
  }
  $("pools-status").textContent =
    pools.length === 0
      ? "No pools yet: create one with PUT /v1/pools/{pool}."
      : `${pools.length} pool${pools.length === 1 ? "" : "s"}, updated ${new Date().toLocaleTimeString("en-GB")}.`;
}

function fillPoolPicker(select) {
  const previous = select.value;
  select.replaceChildren(...pools.filter((p) => !p.error).map((p) => new Option(p.pool, p.pool)));
  if (pools.some((p) => p.pool === previous)) select.value = previous;
}

// ---------- campaign ----------

const KINDS = [
  ["apple_mpp", "Apple Mail Privacy Protection", "#7c3aed"],
  ["gmail_proxy", "Gmail image proxy", "#dc2626"],
  ["other_proxies", "Other mailbox proxies", "#d97706"],
  ["scanners", "Security scanners", "#0891b2"],
  ["crawlers", "Crawlers and other programs", "#4b5563"],
];
let report = null;

async function fillCampaignPicker() {
  const poolSelect = $("campaign-pool");
  fillPoolPicker(poolSelect);
  const pool = pools.find((p) => p.pool === poolSelect.value);
  const names = pool?.campaigns ?? [];
  const select = $("campaign-name");
  const previous = select.value;
  select.replaceChildren(...names.map((c) => new Option(c, c)));
  if (names.includes(previous)) select.value = previous;
  $("campaign-status").textContent = names.length === 0 ? "This pool has no campaign yet: issue tokens first." : "";
}

async function showCampaign(event) {
  event?.preventDefault();
  const pool = $("campaign-pool").value;
  const campaign = $("campaign-name").value;
  if (!pool || !campaign) return;
  $("campaign-status").textContent = "Loading…";
  const answer = await api(`/v1/pools/${encodeURIComponent(pool)}/report?campaign=${encodeURIComponent(campaign)}`);
  report = answer.report;
  $("campaign-status").textContent = `${campaign} in ${pool}`;
  $("campaign-body").hidden = false;
  drawCampaign();
}

function machineTotal(kinds) {
  return KINDS.reduce((sum, [key]) => sum + (kinds[key] ?? 0), 0);
}

function drawCampaign() {
  if (!report) return;
  const who = document.querySelector("input[name=who]:checked").value;
  const r = report;
  const machines = machineTotal(r.machine_opens);
  const shown = who === "people" ? r.human_opens : who === "machines" ? machines : r.opens;
  facts($("campaign-kpis"), [
    ["shown", `Opens shown (${who === "all" ? "people and machines" : who})`, integer.format(shown)],
    ["recipients", "Recipients with tokens", integer.format(r.recipients_with_tokens)],
    ["opened", "Opened by a person", integer.format(r.recipients_opened)],
    ["people", "People's opens", integer.format(r.human_opens)],
    ["machines", "Machine opens", integer.format(machines)],
    ["leased", "Numbers held now", integer.format(r.numbers_leased)],
  ]);
  fillTable($("machine-kinds"), KINDS.map(([key, label]) => [label, r.machine_opens[key] ?? 0]));
  fillTable($("devices"), Object.entries(r.human_by_device));
  fillTable($("clients"), Object.entries(r.human_by_client));
  const value = Object.entries(r.value).map(([currency, amount]) => `${amount} ${currency}`).join(", ") || "—";
  const per1000 = Object.entries(r.value_per_1000_recipients).map(([c, a]) => `${a} ${c}`).join(", ") || "—";
  facts($("calls"), [
    ["calls", "Calls", integer.format(r.calls.total)],
    ["attributed", "Attributed (confidence ≥ 0.8)", integer.format(r.calls.attributed)],
    ["ambiguous", "Ambiguous", integer.format(r.calls.ambiguous)],
    ["conversions", "Conversions", integer.format(r.calls.conversions)],
    ["value", "Value", value],
    ["per1000", "Value per 1,000 recipients", per1000],
  ]);
  drawOpens(who);
}

/**
 * The hourly series with the empty hours filled in (the report leaves them out): at least the first
 * day after the first open, at most 60 days.
 */
function hourly(points) {
  if (points.length === 0) return [];
  const byHour = new Map(points.map((p) => [p.at, p]));
  const first = points[0].at;
  const last = Math.min(Math.max(points[points.length - 1].at, first + 23 * 3600), first + 60 * 24 * 3600);
  const out = [];
  for (let at = first; at <= last; at += 3600) out.push(byHour.get(at) ?? { at, human: 0, machine: {} });
  return out;
}

function drawOpens(who) {
  const points = hourly(report.opens_over_time ?? []);
  const x = points.map((p) => p.at);
  const series = [{}];
  const data = [x];
  if (who !== "machines") {
    series.push({ label: "People", stroke: "#15803d", width: 2, fill: "rgba(21,128,61,0.12)" });
    data.push(points.map((p) => p.human));
  }
  if (who === "machines") {
    for (const [key, label, colour] of KINDS) {
      series.push({ label, stroke: colour, width: 2 });
      data.push(points.map((p) => p.machine[key] ?? 0));
    }
  } else if (who === "all") {
    series.push({ label: "Machines", stroke: "#7c3aed", width: 2 });
    data.push(points.map((p) => machineTotal(p.machine)));
  }
  // Hourly counts: steps, each hour's count held across its hour.
  for (const s of series.slice(1)) Object.assign(s, { paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } });
  const total = data.slice(1).reduce((sum, s) => sum + s.reduce((a, b) => a + b, 0), 0);
  $("opens-caption").textContent = `Opens per hour (UTC), ${who === "all" ? "people and machines" : who}: ${integer.format(total)} since ${date(points[0]?.at)} UTC.`;
  plot("opens", $("opens-chart"), { series, axes: [{}, { label: "opens" }] }, data);
}

/** Draws (or redraws) a uPlot chart into `element`, as wide as its container. */
function plot(name, element, options, data) {
  charts[name]?.destroy();
  const width = Math.max(260, element.clientWidth || element.parentElement.clientWidth);
  charts[name] = new uPlot(
    {
      width,
      height: width < 500 ? 220 : 300,
      scales: { x: { time: true } },
      // Time axes in UTC, as the report's hours are.
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
      ...options,
    },
    data,
    element,
  );
  element.dataset.series = String(options.series.length - 1);
}

// ---------- what-if ----------

async function runWhatIf(event) {
  event.preventDefault();
  const status = $("whatif-status");
  simulator ??= import("./pkg/simulate.js").then(
    async (module) => {
      await module.default();
      return module;
    },
    (e) => {
      simulator = undefined; // try again on the next run
      throw e;
    },
  );
  const module = await simulator;
  const pool = $("whatif-pool").value;
  const form = new FormData($("whatif-form"));
  const number = (name) => Number(form.get(name));
  status.textContent = "Simulating…";
  const state = await api(`/v1/pools/${encodeURIComponent(pool)}`);
  const input = {
    send: {
      recipients: number("recipients"),
      human_open_rate: number("human_open_rate"),
      machine_prefetch_rate: number("machine_prefetch_rate"),
      send_spread_hours: number("send_spread_hours"),
    },
    pool: { ...state.config, lease_seconds: Math.round(number("lease_hours") * 3600) },
    seed: 1,
  };
  let result;
  try {
    result = module.simulate(input);
  } catch (e) {
    status.textContent = `The simulation refused the input: ${e.message ?? e}`;
    return;
  }
  const peak = Math.max(0, ...result.utilisation);
  const dry = result.dry_at_hours;
  $("whatif-figure").hidden = false;
  const share = (u, v) => (v == null ? "--" : percent(v));
  plot(
    "whatif",
    $("whatif-chart"),
    {
      scales: { x: { time: false }, y: { range: [0, 1] } },
      axes: [{ label: "hours after the send starts", values: (u, ticks) => ticks.map((t) => `${t} h`) },
             { label: "numbers", values: (u, ticks) => ticks.map((t) => `${Math.round(t * 100)} %`) }],
      series: [{ label: "Hour", value: (u, v) => (v == null ? "--" : `${v.toFixed(1)} h`) },
               { label: "Held by a person", stroke: "#1d4ed8", width: 2, fill: "rgba(29,78,216,0.1)", value: share },
               { label: "In its tail (shared when none is free)", stroke: "#dc2626", width: 2, value: share }],
    },
    [result.hours, result.utilisation, result.shared],
  );
  const caption = `${integer.format(input.send.recipients)} recipients on ${state.config.numbers.length} numbers: peak utilisation ${percent(peak)}; ${
    dry == null ? "no person is shown the fallback" : `a person is first shown the fallback ${dry.toFixed(1)} hours after the send starts`}; ${
    result.summary.calls === 0 ? "no simulated call" : `simulated calls attributed to the caller: ${percent(result.summary.correct_top)}`}.`;
  $("whatif-caption").textContent = caption;
  $("whatif-figure").dataset.dry = dry == null ? "never" : String(dry);
  $("whatif-figure").dataset.runs = String(Number($("whatif-figure").dataset.runs ?? 0) + 1);
  status.textContent = "";
}

// ---------- snippet ----------

const objectUrls = [];

async function buildSnippet(event) {
  event?.preventDefault();
  await wasm;
  const pool = $("snippet-pool").value;
  if (!pool) return;
  const platform = $("snippet-platform").value;
  const status = $("snippet-status");
  status.textContent = "Building…";
  const [state, snippet] = await Promise.all([
    api(`/v1/pools/${encodeURIComponent(pool)}`),
    api(`/v1/pools/${encodeURIComponent(pool)}/snippet`, { method: "POST", body: { platform } }),
  ]);
  const form = new FormData($("snippet-form"));
  const chosen = { label: String(form.get("label")).trim() || null, shape: form.get("shape"), button: form.get("button"), ink: form.get("ink") };
  if (!event || $("snippet-body").dataset.pool !== pool) {
    // First build for this pool: start from the pool's saved style.
    const saved = state.style ?? {};
    $("snippet-label").value = saved.label ?? "";
    $("snippet-shape").value = saved.shape ?? "rounded";
    if (saved.button) $("snippet-button").value = saved.button;
    if (saved.ink) $("snippet-ink").value = saved.ink;
    Object.assign(chosen, { label: saved.label ?? null, shape: saved.shape ?? "rounded", button: saved.button ?? chosen.button, ink: saved.ink ?? chosen.ink });
  }
  const style = { ...state.style, ...chosen };
  if (style.label === null) delete style.label;
  const display = state.displays?.[state.config.fallback] ?? state.config.fallback;
  for (const url of objectUrls.splice(0)) URL.revokeObjectURL(url);
  try {
    // The box of this style (the snippet's width and height are those of the saved style).
    const box = ringmark.display_size(display, style);
    for (const variant of ["text", "button"]) {
      const png = ringmark.render_number(display, variant, style);
      const url = URL.createObjectURL(new Blob([png], { type: "image/png" }));
      objectUrls.push(url);
      for (const mode of ["light", "dark"]) {
        const img = $(`preview-${mode}-${variant}`);
        img.src = url;
        img.width = box.width;
        img.height = box.height;
        img.alt = `${variant === "button" ? "Tap-to-call button" : "Number as text"}, ${mode} mode: ${display}`;
      }
    }
  } catch (e) {
    status.textContent = `This style cannot be drawn: ${e.message ?? e}`;
    return;
  }
  const same = ["label", "shape", "button", "ink"].every((k) => (state.style?.[k] ?? null) === (style[k] ?? null) || (k === "shape" && !state.style?.shape && style.shape === "rounded"));
  $("snippet-note").textContent = same
    ? "Previewed in the pool's saved style: what recipients see."
    : `A preview of a style the pool has not saved: emails show the saved one until the pool is saved (PUT /v1/pools/${pool}) with "style": ${JSON.stringify(chosen)}.`;
  $("snippet-html").value = snippet.html;
  $("snippet-merge").textContent = snippet.merge_field;
  $("snippet-body").dataset.pool = pool;
  $("snippet-body").hidden = false;
  $("snippet-copied").textContent = "";
  status.textContent = `${platform} snippet for ${pool}, ${snippet.width}×${snippet.height} px.`;
}

async function copySnippet() {
  const html = $("snippet-html").value;
  try {
    await navigator.clipboard.writeText(html);
  } catch {
    $("snippet-html").select();
    document.execCommand("copy");
  }
  $("snippet-copied").textContent = "Copied.";
}

// ---------- wiring ----------

function start() {
  $("signin-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut());
  $("pools-refresh").addEventListener("click", () => refreshPools().catch(showError("pools")));
  $("campaign-form").addEventListener("submit", (e) => showCampaign(e).catch(showError("campaign")));
  $("campaign-pool").addEventListener("change", () => fillCampaignPicker());
  for (const radio of document.querySelectorAll("input[name=who]")) radio.addEventListener("change", drawCampaign);
  $("whatif-form").addEventListener("submit", (e) => runWhatIf(e).catch(showError("whatif")));
  $("snippet-form").addEventListener("submit", (e) => buildSnippet(e).catch(showError("snippet")));
  $("snippet-pool").addEventListener("change", () => buildSnippet().catch(showError("snippet")));
  $("snippet-copy").addEventListener("click", copySnippet);
  window.addEventListener("hashchange", route);
  route();
  document.body.dataset.ready = "true";
}

start();
