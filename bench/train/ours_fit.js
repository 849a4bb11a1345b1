// Child process of bench/train/run.js: times our LogisticRegression.fit for ONE (data set, solver) and measures
// this process's peak RSS during the first fit. One process per fit so the peak belongs to that fit alone.
// Prints one JSON object on stdout. Run with `node --expose-gc` so the heap is settled before measuring.
// Peak RSS is Linux's VmHWM, reset just before the first fit (/proc/self/clear_refs = 5), not ru_maxrss: on Linux
// ru_maxrss survives fork+exec, so a child would report its parent's RSS at spawn time whenever that is larger.
//
//   node --expose-gc bench/train/ours_fit.js --x X.f64 --y y.f64 --rows N --cols D --solver lbfgs --warmup 1 --repeats 3
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LogisticRegression } from '@mlops/ml';
import { readFloat64File } from './read-f64.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    x: { type: 'string' },
    y: { type: 'string' },
    rows: { type: 'string' },
    cols: { type: 'string' },
    solver: { type: 'string' },
    warmup: { type: 'string', default: '1' },
    repeats: { type: 'string', default: '3' },
  },
});

const rows = Number(values.rows);
const cols = Number(values.cols);
const warmup = Number(values.warmup);
const repeats = Number(values.repeats);
const params = { solver: values.solver, C: 1, randomState: 42 };

/** Resets the kernel's per-process RSS high-water mark (Linux >= 4.0); false where that is not possible. */
function resetPeakRss() {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak RSS in bytes since the last reset: VmHWM from /proc, else the lifetime ru_maxrss. */
function peakRss() {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Runs one fit and returns its wall time in ms with the model (to read n_iter). */
function timedFit(X, y) {
  const model = new LogisticRegression(params);
  const start = performance.now();
  model.fit(X, y);
  return { ms: performance.now() - start, model };
}

const X = { rows, cols, data: readFloat64File(values.x, rows * cols) };
const y = readFloat64File(values.y, rows);

globalThis.gc?.();
const peakReset = resetPeakRss();
const rssBeforeBytes = process.memoryUsage().rss;
const first = timedFit(X, y);
const peakRssBytes = peakRss();
for (let i = 1; i < warmup; i++) timedFit(X, y);

const timesMs = [];
let last = first.model;
for (let i = 0; i < repeats; i++) {
  const run = timedFit(X, y);
  timesMs.push(run.ms);
  last = run.model;
}

process.stdout.write(
  `${JSON.stringify({
    solver: values.solver,
    medianMs: median(timesMs),
    timesMs,
    firstFitMs: first.ms,
    nIter: last.fitSummary.nIter,
    converged: last.fitSummary.converged,
    rssBeforeBytes,
    peakRssBytes,
    peakRssGrowthBytes: peakRssBytes - rssBeforeBytes,
    peakRssAllRunsBytes: peakRss(),
    peakSource: peakReset ? 'VmHWM reset before the first fit' : 'ru_maxrss (lifetime)',
  })}\n`,
);
