// Side-by-side device classification in ONE Node process: ringmark-classify (wasm), ua-parser-js 2.x (JS) and
// woothee (wasm), over the User-Agents of the shared corpus (read at run time, never copied here).
//
//   node bench.js [path/to/ua-dev.tsv] [rounds]
//
// Prints, per library: module load (require + wasm instantiation), the first call after loading, and the warm
// median µs/UA over `rounds` passes (libraries alternate inside every round). For ringmark it also times the
// JSON path (whole classification as a JSON string + JSON.parse into a JS object) separately, and the
// configuration the Worker runs: the rules plus the device-model table (data/device-models/), whose load
// (text → parsed table, once per isolate) is timed on its own.
'use strict';
const fs = require('fs');
const path = require('path');

const tsv = process.argv[2] || path.join(__dirname, '../../../../shared/corpus/ua-dev.tsv');
const rounds = Math.max(1, parseInt(process.argv[3] || '9', 10));
const uas = fs
  .readFileSync(tsv, 'utf8')
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'))
  .filter((c) => c.length >= 2 && c[1].length > 0)
  .map((c) => c[1]);

const now = () => process.hrtime.bigint();
const us = (a, b) => Number(b - a) / 1e3;

function load(name, fn) {
  const t0 = now();
  const mod = fn();
  const t1 = now();
  return { name, mod, loadUs: us(t0, t1) };
}

// Load each library and time its first call right after loading (cold: lazy tables, regex compilation).
const ringmark = load('ringmark-classify (wasm)', () => require('./pkg/wasm-ringmark/bench_wasm_ringmark.js'));
let t0 = now();
ringmark.mod.device_class(uas[0]);
ringmark.firstUs = us(t0, now());

// The device-model table, loaded after the first call (the Worker loads it at isolate start, before requests).
const tableText = fs.readFileSync(path.join(__dirname, '../../../data/device-models/device-models.tsv'));
t0 = now();
const tableCodes = ringmark.mod.load_device_models(tableText);
const tableLoadUs = us(t0, now());
t0 = now();
ringmark.mod.device_class_with_table(uas[0]);
const tableFirstUs = us(t0, now());

const uap = load('ua-parser-js 2 (JS)', () => require('ua-parser-js'));
const UAParser = uap.mod.UAParser || uap.mod;
t0 = now();
new UAParser(uas[0]).getDevice();
uap.firstUs = us(t0, now());

const woothee = load('woothee 0.13 (wasm)', () => require('./pkg/wasm-woothee/bench_wasm_woothee.js'));
t0 = now();
woothee.mod.category(uas[0]);
woothee.firstUs = us(t0, now());

const runs = [
  { lib: ringmark, label: 'ringmark-classify (wasm) -> u8', f: (u) => ringmark.mod.device_class(u) },
  { lib: ringmark, label: 'same + device-model table (Worker config)', f: (u) => ringmark.mod.device_class_with_table(u) },
  { lib: ringmark, label: 'same call, nothing classified (passthrough)', f: (u) => ringmark.mod.passthrough(u) },
  {
    lib: ringmark,
    label: 'ringmark-classify (wasm) -> JSON -> object',
    f: (u) => JSON.parse(ringmark.mod.classify_json(u)).device.length,
  },
  { lib: uap, label: 'ua-parser-js 2 getDevice()', f: (u) => (new UAParser(u).getDevice().type || '').length },
  { lib: woothee, label: 'woothee 0.13 (wasm) -> u8', f: (u) => woothee.mod.category(u) },
];

const times = runs.map(() => []);
// Process CPU time (user + system) per pass as well: on a shared, loaded machine wall time also counts the
// time this process waited for a core.
const cpu = runs.map(() => []);
let sink = 0;
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < runs.length; i++) {
    const f = runs[i].f;
    const c0 = process.cpuUsage();
    const a = now();
    for (const u of uas) sink += f(u);
    times[i].push(us(a, now()) / uas.length);
    const c = process.cpuUsage(c0);
    cpu[i].push((c.user + c.system) / uas.length);
  }
}
const median = (v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];

console.log(`node ${process.version}; ${uas.length} UAs; ${rounds} rounds (median); checksum ${sink}`);
console.log('load+instantiate / first call after load:');
for (const l of [ringmark, uap, woothee]) {
  console.log(`  ${l.name.padEnd(28)} load ${l.loadUs.toFixed(0).padStart(7)} µs   first call ${l.firstUs.toFixed(1).padStart(8)} µs`);
}
console.log(
  `  device-model table: ${tableCodes} codes (${(tableText.length / 1024).toFixed(0)} KiB text) loaded in ${(tableLoadUs / 1000).toFixed(2)} ms; ` +
    `first call with it ${tableFirstUs.toFixed(1)} µs`,
);
console.log('warm µs/UA (median over rounds; wall, and process CPU time):');
const base = median(times[0]);
runs.forEach((r, i) => {
  const m = median(times[i]);
  const c = median(cpu[i]);
  console.log(
    `  ${r.label.padEnd(44)} ${m.toFixed(3).padStart(8)} µs/UA  (${(m / base).toFixed(2)}x ringmark u8)  cpu ${c.toFixed(3)} µs/UA`,
  );
});
