// A page using the browser package, as its README shows it: compiled by tests/browser-pkg with
// `tsc --strict` and only the ES2022 and DOM libs (no Node types), so every type it touches must
// stand on its own.
import init, { answer, classify, display_size, load_device_models, render_number, version } from "ringmark-browser";
import type { Classification, DeviceClass, OpenerKind, Style, Variant } from "ringmark-browser";
import initSimulate, { simulate } from "ringmark-browser/simulate";
import type { SimulationInput, SimulationResult } from "ringmark-browser/simulate";

export async function demo(table?: ArrayBuffer): Promise<string> {
  await init();
  if (table) load_device_models(new Uint8Array(table));

  // Headers are optional.
  const mine: Classification = classify(navigator.userAgent);
  const device: DeviceClass = mine.device;
  const opener: OpenerKind = mine.opener;
  const client: string | null = classify(navigator.userAgent, { "sec-ch-ua-mobile": "?1" }).client;

  const style: Style = { label: "Call us", button: "#1d4ed8", shape: "pill", font_px: 22 };
  const variant: Variant = answer(navigator.userAgent).variant;
  const png: Uint8Array = render_number("(415) 555-0132", variant, style);
  const plain: Uint8Array = render_number("(415) 555-0132", "text");
  const { width, height } = display_size("(415) 555-0132", style);
  const img = document.createElement("img");
  img.src = URL.createObjectURL(new Blob([png.slice()], { type: "image/png" }));
  img.width = width;
  img.height = height;

  await initSimulate();
  const input: SimulationInput = {
    send: { recipients: 20000, send_spread_hours: 6 },
    pool: { numbers: 300, lease_seconds: 3600, exhaustion: "shared_tail", reuse: { random: { seed: 7 } } },
    hours: 72,
  };
  const result: SimulationResult = simulate(input);
  const dry: number | null = result.dry_at_hours;
  const peak = Math.max(...result.utilisation, ...result.shared);
  const accuracy: number | null = result.summary.deciles[9].accuracy;
  return `${version()} ${device} ${opener} ${client ?? "-"} ${plain.length} ${dry ?? "never"} ${peak} ${accuracy ?? "-"}`;
}
