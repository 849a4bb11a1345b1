// Child process of bench/monitor/run.js: the monitor's own per-window drift code (services/monitor/dist/domain/
// drift-report.js: prepareReference, driftOfWindow, with the monitor's default rules) in batch over the rows the
// Evidently peer reads, without NATS: the like-for-like counterpart of the peer's batch figure.
//
//   node bench/monitor/ours_batch.js --files DIR --row-count 20000 --window-rows 500 --warmup 2 --max-windows 40
//
// DIR holds profile.json (the reference profile as registered), model.json ({classes, coef, intercept}) and rows.f64
// (row-major little-endian float64: the features, then the logged probability). Prints one JSON object on stdout.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@mlops/monitor';
import { median } from '../train/stats.js';

const { values: flags } = parseArgs({
  options: {
    files: { type: 'string' },
    'row-count': { type: 'string' },
    'window-rows': { type: 'string', default: '500' },
    warmup: { type: 'string', default: '2' },
    'max-windows': { type: 'string', default: '40' },
  },
});

const { prepareReference, driftOfWindow } = await import('../../services/monitor/dist/domain/drift-report.js');

const profile = JSON.parse(readFileSync(join(flags.files, 'profile.json'), 'utf8'));
const model = JSON.parse(readFileSync(join(flags.files, 'model.json'), 'utf8'));
const bytes = readFileSync(join(flags.files, 'rows.f64'));
const all = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
const featureCount = profile.features.length;
const width = featureCount + 1;
const rowCount = Number(flags['row-count']);
const windowRows = Number(flags['window-rows']);
const rules = loadConfig({}).drift;

/** A closed window of `windowRows` rows starting at `first`, as one logged message (what driftOfWindow reads). */
function windowAt(first) {
  const features = new Float64Array(windowRows * featureCount);
  const probabilities = new Float64Array(windowRows);
  for (let i = 0; i < windowRows; i++) {
    const row = (first + i) * width;
    features.set(all.subarray(row, row + featureCount), i * featureCount);
    probabilities[i] = all[row + featureCount];
  }
  const batch = { rows: windowRows, columns: featureCount, features, probabilities };
  return { rows: windowRows, parts: [{ batch, from: 0, to: windowRows }] };
}

const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

const reference = prepareReference({ profile, model, training: {} });
const windows = [];
for (let first = 0; first + windowRows <= rowCount; first += windowRows) windows.push(windowAt(first));
const warmup = Number(flags.warmup);
for (const window of windows.slice(0, warmup)) driftOfWindow(window, reference, rules, 30);
const timed = windows.slice(warmup, warmup + Number(flags['max-windows']));
const times = [];
let drifted = 0;
const cpu = cpuSeconds();
const wall = performance.now();
for (const window of timed) {
  const start = performance.now();
  drifted += driftOfWindow(window, reference, rules, 30).drifted.length;
  times.push(performance.now() - start);
}
const wallS = (performance.now() - wall) / 1000;
const cpuS = cpuSeconds() - cpu;
const rows = timed.length * windowRows;
process.stdout.write(
  `${JSON.stringify({
    windows: timed.length,
    rows,
    wallS,
    cpuS,
    rowsPerS: rows / wallS,
    rowsPerCpuS: rows / cpuS,
    medianMsPerWindow: median(times),
    driftedFeatures: drifted,
  })}\n`,
);
