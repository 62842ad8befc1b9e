// The demo page: DOM work only. Classification and rendering are the wasm
// module's (the browser package, pkg/browser, built from the Worker's own Rust); this file shows their results.
import init, { answer, classify, display_size, load_device_models, render_number, version } from "./pkg/ringmark.js";

const NUMBER = "(415) 555-0132";
let STYLE = { label: "Call us" };
const $ = (id) => document.getElementById(id);

const EXAMPLES = {
  "iPhone Safari": ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", ""],
  "Android tablet": ["Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", ""],
  "Gmail image proxy": ["Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", ""],
  "Apple Mail Privacy Protection": ["Mozilla/5.0", ""],
  "Outlook (Windows)": ["Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.12026; Pro)", ""],
  "Samsung Email": ["Mozilla/5.0 (Linux; Android 14; SM-S918B; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.0.0 Mobile Safari/537.36", '{"x-requested-with": "com.samsung.android.email.provider"}'],
  "Android TV": ["Mozilla/5.0 (Linux; Android 9; BRAVIA 4K UR2 Build/PTT1.190515.001.S104) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", ""],
  "White-label tablet (says Mobile)": ["Mozilla/5.0 (Linux; Android 10; Sencor_Element 9.7V2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36", ""],
};

/** What the worker answers this opener (the decision is the wasm module's), with a note. */
function answerFor(ua, headers, c) {
  const { variant, dials } = answer(ua, headers);
  const link = dials ? "its call link dials directly" : "its call link opens a page with a tel: link";
  if (c.machine) return { variant, note: `A machine open (${c.proxy ?? c.opener}): counted, but it takes no exclusive number; ${link}.` };
  const shown = variant === "button" ? "a tap-to-call button" : "the number as an image";
  return { variant, note: `This ${c.device} gets ${shown}; ${link}.` };
}

function showFacts(dl, c) {
  dl.replaceChildren();
  for (const [k, v] of Object.entries(c)) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v === null ? "—" : String(v);
    dd.dataset.key = k;
    dl.append(dt, dd);
  }
}

function showImage(img, variant) {
  const png = render_number(NUMBER, variant, STYLE);
  const { width, height } = display_size(NUMBER, STYLE); // the box an email's <img> gets; the PNG is 2x
  if (img.src) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(new Blob([png], { type: "image/png" }));
  img.dataset.variant = variant;
  img.width = width;
  img.height = height;
}

async function ownHints() {
  const hints = {};
  const data = navigator.userAgentData;
  if (!data) return hints;
  hints["sec-ch-ua-mobile"] = data.mobile ? "?1" : "?0";
  hints["sec-ch-ua-platform"] = `"${data.platform}"`;
  try {
    const high = await data.getHighEntropyValues(["model"]);
    if (high.model) hints["sec-ch-ua-model"] = `"${high.model}"`;
  } catch {}
  return hints;
}

function classifyForm() {
  $("error").hidden = true;
  try {
    const text = $("headers").value.trim();
    const headers = text ? JSON.parse(text) : undefined;
    const c = classify($("ua").value, headers);
    showFacts($("try-facts"), c);
    const shown = answerFor($("ua").value, headers, c);
    showImage($("try-image"), shown.variant);
    $("try-note").textContent = shown.note;
  } catch (e) {
    $("error").textContent = String(e.message ?? e);
    $("error").hidden = false;
  }
}

/** Re-renders every image in the style the form describes; the renderer refuses what the Worker would. */
function restyle() {
  const next = {
    label: $("style-label").value.trim() || null,
    button: $("style-button").value,
    shape: $("style-shape").value,
    font_px: Number($("style-font").value),
  };
  try {
    display_size(NUMBER, next); // throws the renderer's reason for a style it refuses
    STYLE = next;
    $("style-error").hidden = true;
  } catch (e) {
    $("style-error").textContent = String(e.message ?? e);
    $("style-error").hidden = false;
    return;
  }
  for (const img of document.querySelectorAll("img[data-variant]")) showImage(img, img.dataset.variant);
}

let simulateModule;

/** Runs the simulation module (loaded on first use) and draws its series. */
async function runSimulation() {
  $("sim-error").hidden = true;
  try {
    if (!simulateModule) {
      simulateModule = await import("./pkg/simulate.js");
      await simulateModule.default();
    }
    const started = performance.now();
    const r = simulateModule.simulate({
      send: { recipients: Number($("sim-recipients").value), send_spread_hours: Number($("sim-spread").value) },
      pool: { numbers: Number($("sim-numbers").value), lease_seconds: Math.round(Number($("sim-lease").value) * 3600) },
      hours: 72,
    });
    const took = performance.now() - started;
    const points = (series) => series.map((v, i) => `${(600 * r.hours[i] / 72).toFixed(1)},${(155 - 150 * v).toFixed(1)}`).join(" ");
    $("sim-held").setAttribute("points", points(r.utilisation));
    $("sim-shared").setAttribute("points", points(r.shared));
    $("sim-chart").removeAttribute("hidden"); // an SVG element has no `hidden` property
    const pct = (x) => `${(100 * x).toFixed(0)} %`;
    const dry = r.dry_at_hours === null ? "nobody was shown the fallback number"
      : `people were shown the fallback number from hour ${r.dry_at_hours.toFixed(1)}`;
    $("sim-summary").textContent = `Peak: ${pct(Math.max(...r.utilisation))} of numbers held (green), tails in blue; ${dry}; `
      + `${pct(r.summary.correct_top)} of ${r.summary.calls} calls attributed to the right recipient. `
      + `Simulated in ${took.toFixed(0)} ms.`;
    $("sim-summary").dataset.done = "true";
  } catch (e) {
    $("sim-error").textContent = String(e.message ?? e);
    $("sim-error").hidden = false;
  }
}

function gallery() {
  const cards = [
    ["Smartphone", "button", "Tap-to-call button, 2× for sharp screens."],
    ["Tablet, desktop, unknown", "text", "The number as text; the link opens a tel: page."],
    ["Proxy, prefetch, scanner", "text", "Machine opens never take an exclusive number."],
  ];
  for (const [title, variant, text] of cards) {
    const card = document.createElement("div");
    card.className = "card";
    const h = document.createElement("h3");
    h.textContent = title;
    const img = document.createElement("img");
    img.alt = `${variant} variant`;
    showImage(img, variant);
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = text;
    card.append(h, img, p);
    $("grid").append(card);
  }
}

/** The device-model table beside the module (optional, LGPL data: data/device-models/README.md). */
async function loadModels() {
  try {
    const response = await fetch("./pkg/device-models.tsv");
    if (!response.ok) return `no device-model table (${response.status})`;
    const started = performance.now();
    const codes = load_device_models(new Uint8Array(await response.arrayBuffer()));
    return `device-model table: ${codes.toLocaleString("en")} codes, loaded in ${(performance.now() - started).toFixed(1)} ms`;
  } catch (e) {
    return `no device-model table (${e.message ?? e})`;
  }
}

const started = performance.now();
await init();
const ready = performance.now() - started;
const models = await loadModels();
$("status").textContent = `wasm ringmark ${version()} initialised in ${ready.toFixed(1)} ms; ${models}.`;
$("status").dataset.ready = "true";

const hints = await ownHints();
const mine = classify(navigator.userAgent, hints);
showFacts($("you-facts"), mine);
showImage($("you-image"), answerFor(navigator.userAgent, hints, mine).variant);

for (const [name, [ua, headers]] of Object.entries(EXAMPLES)) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = name;
  b.onclick = () => { $("ua").value = ua; $("headers").value = headers; classifyForm(); };
  $("examples").append(b);
}
$("ua").value = navigator.userAgent;
$("form").onsubmit = (e) => { e.preventDefault(); classifyForm(); };
classifyForm();
gallery();
$("style-form").oninput = restyle;
$("sim-form").onsubmit = (e) => { e.preventDefault(); runSimulation(); };
