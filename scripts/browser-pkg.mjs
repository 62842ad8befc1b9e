// Turns wasm-bindgen's output for crates/browser (ringmark.js, ringmark.d.ts, ringmark_bg.wasm)
// and crates/browser-simulate (simulate.js, simulate.d.ts, simulate_bg.wasm) into an npm package: package.json, the README (crates/browser/README.md), the font's licence,
// and three fixes to the generated types, each checked so a wasm-bindgen upgrade that changes
// its output stops the build instead of shipping wrong types:
//  - optional arguments: `headers` and `style` are `Option<…>` in Rust, but the hand-written
//    parameter types replace wasm-bindgen's `?`, so `classify(ua)` would not type-check;
//  - JSDoc on the exports wasm-bindgen writes without it (InitInput, InitOutput, SyncInitInput);
//  - the default export's name (`__wbg_init`) becomes `init`, the name the README uses.
//   node scripts/browser-pkg.mjs pkg/browser
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const out = process.argv[2];
if (!out) throw new Error("usage: node scripts/browser-pkg.mjs <wasm-bindgen out dir>");
const root = new URL("..", import.meta.url).pathname;

const cargo = readFileSync(join(root, "Cargo.toml"), "utf8");
const version = /\[workspace\.package\][^[]*?\nversion = "([^"]+)"/.exec(cargo)?.[1];
if (!version) throw new Error("browser-pkg: no [workspace.package] version in Cargo.toml");

function replace(text, from, to, what) {
  if (!text.includes(from)) throw new Error(`browser-pkg: ${what}: ${JSON.stringify(from)} not found in ringmark.d.ts`);
  return text.split(from).join(to);
}

const dts = join(out, "ringmark.d.ts");
let types = readFileSync(dts, "utf8");
types = replace(types, "headers: Headers)", "headers?: Headers | null)", "optional headers");
types = replace(types, "style: Style)", "style?: Style | null)", "optional style");
types = replace(
  types,
  "export type InitInput =",
  "/** What {@link init} instantiates from: a URL or request for the `.wasm` file, its bytes or response, or a compiled module. */\nexport type InitInput =",
  "InitInput docs",
);
types = replace(
  types,
  "export interface InitOutput {",
  "/** The instantiated module's raw exports (use the functions above instead). */\nexport interface InitOutput {",
  "InitOutput docs",
);
types = replace(
  types,
  "export type SyncInitInput =",
  "/** What {@link initSync} instantiates from: the `.wasm` file's bytes or a compiled module. */\nexport type SyncInitInput =",
  "SyncInitInput docs",
);
types = replace(types, "export default function __wbg_init (", "export default function init(", "init name");
writeFileSync(dts, types);

// The simulation's module: the same glue types, documented the same way.
const simDts = join(out, "simulate.d.ts");
let simTypes = readFileSync(simDts, "utf8");
simTypes = replace(
  simTypes,
  "export type InitInput =",
  "/** What {@link init} instantiates from: a URL or request for `simulate_bg.wasm`, its bytes or response, or a compiled module. */\nexport type InitInput =",
  "simulate InitInput docs",
);
simTypes = replace(
  simTypes,
  "export interface InitOutput {",
  "/** The instantiated module's raw exports (use {@link simulate} instead). */\nexport interface InitOutput {",
  "simulate InitOutput docs",
);
simTypes = replace(
  simTypes,
  "export type SyncInitInput =",
  "/** What {@link initSync} instantiates from: `simulate_bg.wasm`'s bytes or a compiled module. */\nexport type SyncInitInput =",
  "simulate SyncInitInput docs",
);
simTypes = replace(simTypes, "export default function __wbg_init (", "export default function init(", "simulate init name");
writeFileSync(simDts, simTypes);

const pkg = {
  name: "ringmark-browser",
  version,
  description:
    "Classify email openers, choose and draw call-tracking number images, and simulate a number pool's sizing — ringmark's browser module (WebAssembly).",
  license: "MIT OR Apache-2.0",
  type: "module",
  main: "./ringmark.js",
  types: "./ringmark.d.ts",
  exports: {
    ".": { types: "./ringmark.d.ts", default: "./ringmark.js" },
    "./simulate": { types: "./simulate.d.ts", default: "./simulate.js" },
    "./ringmark_bg.wasm": "./ringmark_bg.wasm",
    "./simulate_bg.wasm": "./simulate_bg.wasm",
    "./package.json": "./package.json",
  },
  files: [
    "ringmark.js", "ringmark.d.ts", "ringmark_bg.wasm", "ringmark_bg.wasm.d.ts",
    "simulate.js", "simulate.d.ts", "simulate_bg.wasm", "simulate_bg.wasm.d.ts",
    "README.md", "LICENSE-Roboto.txt",
  ],
  // Importing the module runs nothing until init() is called: bundlers may drop it when unused.
  sideEffects: false,
  keywords: ["email", "call tracking", "user-agent", "webassembly"],
};
writeFileSync(join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
copyFileSync(join(root, "crates/browser/README.md"), join(out, "README.md"));
// The Roboto subset is compiled into the module (Apache-2.0): its licence travels with it.
copyFileSync(join(root, "crates/render/assets/fonts/LICENSE"), join(out, "LICENSE-Roboto.txt"));
