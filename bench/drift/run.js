// Drift-monitor benchmark: our windowDrift against the same statistics computed with numpy/scipy, same data, same run.
//
//   npm run bench:drift                 # 800- and 5000-row references, a same-distribution and a shifted window
//   npm run bench:drift -- --json       # machine-readable result on stdout (progress stays on stderr)
//   npm run bench:drift -- --repeats 1000
//
// Needs the compiled library (`npx tsc -b`) and the dev venv (`bash scripts/setup-dev-venv.sh`). The data is our
// makeClassification(5500, 20, random_state=42): the reference is its first 800 or 5000 rows, the window rows
// 5000–5499 (the same distribution), or those rows with +1.0 on features 0–4 (a drifted window, which makes the
// exact KS p-values cost more). Both are written as raw little-endian float64 files that the Python child reads, so
// both sides see identical bytes. Our side runs in this process: the profile is built and prepared once (timed
// apart), then windowDrift is timed per window (warm-up, then the median of --repeats). The Python child times the
// same statistics per window (bench/drift/scipy_drift.py). Exit status 0 whatever the figures; 1 when setup fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, endianness, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from '../train/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '../..');
const VENV_PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
const FEATURES = 20;
const WINDOW_ROWS = 500;
const SHIFTED_FEATURES = 5;
/** Consecutive windows after row 5000 timed as a stream (one KS tail memo, as the monitor keeps it). */
const STREAM_WINDOWS = 40;
const GOAL_MS = 5;

const { values: flags } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    repeats: { type: 'string', default: '300' },
    'python-repeats': { type: 'string', default: '50' },
  },
});

function log(message) {
  process.stderr.write(`${message}\n`);
}

async function loadLibrary() {
  try {
    return await import('@mlops/ml');
  } catch (error) {
    log(`bench:drift: cannot load @mlops/ml (${error.message}).\nBuild it first: cd ${REPO_ROOT} && npx tsc -b`);
    process.exit(1);
  }
}

function checkVenv() {
  const probe = spawnSync(VENV_PYTHON, ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  log(`bench:drift: no usable dev venv at ${VENV_PYTHON}; create it with: bash scripts/setup-dev-venv.sh`);
  log('Running our side only; the scipy columns stay empty.');
  return false;
}

/** Rows [from, to) of a row-major matrix, as a new matrix; `shift` added to the first `shifted` columns. */
function rowsOf(ml, x, from, to, shifted = 0, shift = 0) {
  const data = x.data.slice(from * x.cols, to * x.cols);
  for (let i = 0; i < to - from; i++) for (let j = 0; j < shifted; j++) data[i * x.cols + j] += shift;
  return ml.denseMatrix(data, to - from, x.cols);
}

function writeMatrix(path, m) {
  writeFileSync(path, new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength));
}

/**
 * Times windowDrift on one (reference, window): warm-up, then the median and p95 of `repeats` calls, each with an
 * empty KS tail memo (the cost of a window whose tails were never counted). Then `stream`: the windows of a stream
 * in order with one memo, as the monitor runs them (the median over the stream's windows).
 */
function timeOurs(ml, reference, window, stream) {
  const started = performance.now();
  const prepared = ml.prepareDriftReference(ml.buildReferenceProfile(reference));
  const prepareMs = performance.now() - started;
  const cold = () => ml.windowDrift({ ...prepared, ksTails: new ml.KsTailMemo() }, window);
  for (let i = 0; i < 50; i++) cold();
  const times = [];
  let result;
  for (let i = 0; i < Number(flags.repeats); i++) {
    const start = performance.now();
    result = cold();
    times.push(performance.now() - start);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const streamTimes = stream.map((w) => {
    const start = performance.now();
    ml.windowDrift(prepared, w);
    return performance.now() - start;
  });
  return {
    medianMs: median(times),
    p95Ms: sorted[Math.floor(0.95 * (sorted.length - 1))],
    streamMedianMs: median(streamTimes),
    streamWindows: stream.length,
    prepareMs,
    result,
  };
}

function timeScipy(files, reference, window) {
  const args = [
    join(HERE, 'scipy_drift.py'),
    ...['--reference', files.reference, '--reference-rows', String(reference.rows)],
    ...['--window', files.window, '--window-rows', String(window.rows), '--cols', String(FEATURES)],
    ...['--warmup', '5', '--repeats', flags['python-repeats']],
  ];
  const child = spawnSync(VENV_PYTHON, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (child.status !== 0) return { error: `python exited ${child.status}: ${child.stderr.trim().slice(-1000)}` };
  return JSON.parse(child.stdout.trim().split('\n').at(-1));
}

/** Largest |ours − scipy| over every feature and statistic: both sides must have computed the same thing. */
function largestDifference(ours, scipy) {
  let worst = 0;
  ours.features.forEach((f, j) => {
    const s = scipy.values[j];
    for (const [a, b] of [
      [f.psi, s.psi],
      [f.js_distance, s.js_distance],
      [f.wasserstein_normed, s.wasserstein_normed],
      [f.ks_p_value ?? 0, s.ks_p_value ?? 0],
    ]) {
      worst = Math.max(worst, Math.abs(a - b) / Math.max(1, Math.abs(b)));
    }
  });
  return worst;
}

function formatMs(ms) {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function printReport(report) {
  const m = report.machine;
  const lines = [
    `# bench:drift — ${report.date}`,
    `command: ${report.command}`,
    `machine: nproc ${m.nproc}, ${m.cpu}; node ${m.node}; python ${m.python}, numpy ${m.numpy}, scipy ${m.scipy}`,
    `1-minute load average: ${m.loadBefore.toFixed(2)} at start, ${m.loadAfter.toFixed(2)} at end`,
    `one window = ${WINDOW_ROWS} rows × ${FEATURES} features; ours: windowDrift on a prepared profile with an empty KS tail memo (median of ${flags.repeats}), and over a stream of ${STREAM_WINDOWS} consecutive windows with one memo, as the monitor runs (median); scipy: the same statistics (median of ${flags['python-repeats']})`,
    '',
    '| reference rows | window | statistics | ours ms/window (p95) | ours in a stream, ms/window | scipy ms/window | ratio ours/scipy | goal < 5 ms | drifted features | max |Δ| vs scipy | profile build + prepare ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of report.cases) {
    const sp = r.scipy && !r.scipy.error ? r.scipy : null;
    lines.push(
      `| ${[
        r.referenceRows,
        r.window,
        r.statistics,
        `${formatMs(r.ours.medianMs)} (${formatMs(r.ours.p95Ms)})`,
        formatMs(r.ours.streamMedianMs),
        sp ? formatMs(sp.medianMs) : (r.scipy?.error ?? 'n/a'),
        sp ? (r.ours.medianMs / sp.medianMs).toFixed(3) : 'n/a',
        r.ours.medianMs < GOAL_MS ? 'met' : 'MISSED',
        r.ours.drifted,
        sp ? r.difference.toExponential(1) : 'n/a',
        formatMs(r.ours.prepareMs),
      ].join(' | ')} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main() {
  if (endianness() !== 'LE') throw new Error('the raw float64 files are written little-endian; this host is not');
  const ml = await loadLibrary();
  const withScipy = checkVenv();
  const loadBefore = loadavg()[0];
  const streamEnd = 5000 + STREAM_WINDOWS * WINDOW_ROWS;
  const { X } = ml.makeClassification({ nSamples: streamEnd, nFeatures: FEATURES, randomState: 42 });
  const streamOf = (shifted) =>
    Array.from({ length: STREAM_WINDOWS }, (_, k) => {
      const from = 5000 + k * WINDOW_ROWS;
      return rowsOf(ml, X, from, from + WINDOW_ROWS, shifted, 1);
    });
  const windows = [
    { name: 'same distribution', matrix: rowsOf(ml, X, 5000, 5500), stream: streamOf(0) },
    {
      name: `+1.0 on ${SHIFTED_FEATURES} features`,
      matrix: rowsOf(ml, X, 5000, 5500, SHIFTED_FEATURES, 1),
      stream: streamOf(SHIFTED_FEATURES),
    },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-drift-'));
  const cases = [];
  try {
    for (const referenceRows of [800, 5000]) {
      const reference = rowsOf(ml, X, 0, referenceRows);
      const files = { reference: join(dir, 'reference.f64'), window: join(dir, 'window.f64') };
      writeMatrix(files.reference, reference);
      for (const window of windows) {
        log(`bench:drift: reference ${referenceRows} rows, window ${window.name}...`);
        writeMatrix(files.window, window.matrix);
        const ours = timeOurs(ml, reference, window.matrix, window.stream);
        const scipy = withScipy ? timeScipy(files, reference, window.matrix) : null;
        cases.push({
          referenceRows,
          window: window.name,
          statistics: referenceRows <= 1000 ? 'PSI, JS, W1 normed, KS' : 'PSI, JS, W1 normed',
          ours: { ...ours, result: undefined, drifted: ours.result.drifted_features },
          scipy: scipy ? { ...scipy, values: undefined } : null,
          difference: scipy && !scipy.error ? largestDifference(ours.result, scipy) : null,
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const python = cases.find((c) => c.scipy && !c.scipy.error)?.scipy.versions ?? {};
  const report = {
    date: new Date().toISOString(),
    command: ['node', 'bench/drift/run.js', ...process.argv.slice(2)].join(' '),
    machine: {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      ...python,
      loadBefore,
      loadAfter: loadavg()[0],
    },
    cases,
  };
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printReport(report);
  process.exitCode = cases.some((c) => c.scipy?.error) ? 1 : 0;
}

await main();
