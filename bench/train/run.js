// Training-speed and memory benchmark: our LogisticRegression against scikit-learn, same data, same run.
//
//   npm run bench:train                      # seed 1000×20 (800-row train split) and 200,000×100 (all rows)
//   npm run bench:train -- --quick           # seed set only (seconds)
//   npm run bench:train -- --json            # machine-readable result on stdout (progress stays on stderr)
//   npm run bench:train -- --solvers lbfgs   # a subset of liblinear,lbfgs,saga
//   npm run bench:train -- --cpu-prof        # also write V8 CPU profiles of our fits to bench/train/out/profiles/
//   npm run bench:train -- --sklearn-threads 1   # pin scikit-learn's BLAS/OpenMP pools (default: their own choice)
//   npm run bench:train -- --cv              # only the 5-fold 15-trial grid search against GridSearchCV
//   npm run bench:train -- --skip-cv         # the fits only, without the grid search
//
// Needs the compiled library (`npx tsc -b`) and the dev venv (`bash scripts/setup-dev-venv.sh`). Each data set is
// generated once with our makeClassification and written as raw little-endian float64 files; our fits run in a
// Node child per (data set, solver) and scikit-learn's in a Python child per (data set, solver) reading the same
// files, so both sides fit identical bytes and each child's peak RSS belongs to one fit. The children run one at a
// time. Exit status is 0 whatever the ratios (a benchmark, not a test); 1 only when a fit or setup failed, or the
// grid search's two sides disagree (best, cv means or test accuracy).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, endianness, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gridPoints } from './cv-grid.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '../..');
const VENV_PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
const ALL_SOLVERS = ['liblinear', 'lbfgs', 'saga'];
const MIB = 1024 * 1024;
const MEMORY_GOAL = 2; // peak RSS of the 200,000×100 fit must stay under 2× the data set's own size
const CV_GRID_ORDER = gridPoints();

/** The two data sets of the issue; `split` null = fit on all rows. */
const DATASETS = [
  {
    name: 'seed',
    title: 'seed: make_classification(1000, 20, random_state=42), fit on the 800-row train split (test 0.2, rs 42)',
    make: { nSamples: 1000, nFeatures: 20, randomState: 42 },
    split: { testSize: 0.2, randomState: 42 },
    warmup: 5,
    repeats: 50,
    showMemory: false,
  },
  {
    name: 'big',
    title:
      'big: make_classification(200000, 100, n_informative=10, n_redundant=10, random_state=0), fit on all 200,000 rows',
    make: { nSamples: 200_000, nFeatures: 100, nInformative: 10, nRedundant: 10, randomState: 0 },
    split: null,
    warmup: 1,
    repeats: 3,
    showMemory: true,
  },
];

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    solvers: { type: 'string', default: ALL_SOLVERS.join(',') },
    'sklearn-threads': { type: 'string' },
    cv: { type: 'boolean', default: false },
    'skip-cv': { type: 'boolean', default: false },
  },
});

/**
 * The grid-search scenario: the default tuning (C × solver, 15 points) cross-validated with StratifiedKFold(5) on
 * the seed set's train split, best refitted and scored on its test split, against GridSearchCV.
 */
const CV = {
  title:
    'cv: 5-fold 15-trial grid search (C 0.01…100 × liblinear, lbfgs, saga) on the seed train split, refit, test score',
  make: { nSamples: 1000, nFeatures: 20, randomState: 42 },
  split: { testSize: 0.2, randomState: 42 },
  folds: 5,
  warmup: 3,
  oursRepeats: 20,
  sklearnRepeats: 10,
};
/** Largest |our cv mean − scikit-learn's| still called the same (accuracies are multiples of 1/160 here). */
const CV_MEAN_TOLERANCE = 1e-12;

/** Progress goes to stderr so that `--json` leaves stdout machine-readable. */
function log(message) {
  process.stderr.write(`${message}\n`);
}

/** Loads the compiled library, or explains how to build it. */
async function loadLibrary() {
  try {
    return await import('@mlops/ml');
  } catch (error) {
    log(`bench:train: cannot load @mlops/ml (${error.message}).\nBuild it first: cd ${REPO_ROOT} && npx tsc -b`);
    process.exit(1);
  }
}

/** True when the dev venv has what sklearn_fit.py imports; otherwise says how to create it. */
function checkVenv() {
  const probe = spawnSync(VENV_PYTHON, ['-c', 'import sklearn, numpy, scipy, threadpoolctl'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  log(
    `bench:train: no usable dev venv at ${VENV_PYTHON} (${probe.error?.message ?? probe.stderr.trim()}).\n` +
      'Create it with:  bash scripts/setup-dev-venv.sh\n' +
      'or:              python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt\n' +
      'Running our side only; the scikit-learn columns stay empty.',
  );
  return false;
}

/** Generates one data set with our makeClassification and writes X and y as raw float64 files. */
function writeDataset(ml, dataset, dir) {
  const full = ml.makeClassification(dataset.make);
  let X = full.X;
  let y = full.y;
  if (dataset.split !== null) {
    const { train } = ml.trainTestSplit(X.rows, dataset.split);
    X = ml.takeRows(X, train);
    y = ml.takeValues(y, train);
  }
  const files = { x: join(dir, `${dataset.name}-X.f64`), y: join(dir, `${dataset.name}-y.f64`) };
  writeFileSync(files.x, new Uint8Array(X.data.buffer, X.data.byteOffset, X.data.byteLength));
  writeFileSync(files.y, new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
  return { ...files, rows: X.rows, cols: X.cols, dataBytes: X.rows * X.cols * 8 };
}

/** Writes the grid search's train and test splits of the seed set as raw float64 files. */
function writeCvData(ml, dir) {
  const full = ml.makeClassification(CV.make);
  const { train, test } = ml.trainTestSplit(full.X.rows, CV.split);
  const files = {};
  const parts = { train, test };
  for (const [name, rows] of Object.entries(parts)) {
    const X = ml.takeRows(full.X, rows);
    const y = ml.takeValues(full.y, rows);
    files[`x-${name}`] = join(dir, `cv-X-${name}.f64`);
    files[`y-${name}`] = join(dir, `cv-y-${name}.f64`);
    writeFileSync(files[`x-${name}`], new Uint8Array(X.data.buffer, X.data.byteOffset, X.data.byteLength));
    writeFileSync(files[`y-${name}`], new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
  }
  return { files, trainRows: train.length, testRows: test.length, cols: full.X.cols };
}

/** Times the grid search, ours then GridSearchCV, and checks that both picked the same and scored the same. */
function benchCv(data, withSklearn) {
  const common = [
    ...Object.entries(data.files).flatMap(([name, path]) => [`--${name}`, path]),
    ...['--train-rows', String(data.trainRows), '--test-rows', String(data.testRows), '--cols', String(data.cols)],
    ...['--folds', String(CV.folds), '--warmup', String(CV.warmup)],
  ];
  log('  cv grid search: ours...');
  const oursArgs = [join(HERE, 'ours_cv.js'), ...common, '--repeats', String(CV.oursRepeats)];
  const ours = runChild(process.execPath, oursArgs, process.env);
  log(`  cv grid search: ours ${describeCv(ours)}${withSklearn ? '; scikit-learn...' : ''}`);
  const sklearnArgs = [join(HERE, 'sklearn_cv.py'), ...common, '--repeats', String(CV.sklearnRepeats)];
  const sklearn = withSklearn ? runChild(VENV_PYTHON, sklearnArgs, sklearnEnv()) : null;
  if (sklearn !== null) log(`  cv grid search: scikit-learn ${describeCv(sklearn)}`);
  const both = !ours.error && sklearn !== null && !sklearn.error;
  const ratio = both ? ours.medianMs / sklearn.medianMs : null;
  const parity = both ? cvParity(ours, sklearn) : null;
  const { title, folds, warmup, oursRepeats, sklearnRepeats } = CV;
  return { title, folds, warmup, oursRepeats, sklearnRepeats, ...data, ours, sklearn, ratio, parity };
}

function describeCv(result) {
  if (result.error) return `FAILED (${result.error})`;
  const best = `best C=${result.bestParams.C} ${result.bestParams.solver}`;
  return `${formatMs(result.medianMs)} ms, ${best}, cv ${result.bestScore.toFixed(4)}, test ${result.testAccuracy}`;
}

/** Same grid order, same best, cv means within CV_MEAN_TOLERANCE, same test accuracy. */
function cvParity(ours, sklearn) {
  const sameOrder = sklearn.cvParams.every(
    (p, i) => Number(p.C) === CV_GRID_ORDER[i].C && p.solver === CV_GRID_ORDER[i].solver,
  );
  const maxMeanDiff = Math.max(...ours.cvMeans.map((m, i) => Math.abs(m - sklearn.cvMeans[i])));
  const sameBest = ours.bestIndex === sklearn.bestIndex;
  const sameTest = ours.testAccuracy === sklearn.testAccuracy;
  return {
    sameOrder,
    sameBest,
    maxMeanDiff,
    sameTest,
    ok: sameOrder && sameBest && maxMeanDiff <= CV_MEAN_TOLERANCE && sameTest,
  };
}

/**
 * The Python child's environment: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset so numpy picks its own kernel, and the
 * thread pools pinned only when `--sklearn-threads` asks (our fits are single-threaded).
 */
function sklearnEnv() {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const threads = flags['sklearn-threads'];
  if (threads !== undefined) {
    env.OMP_NUM_THREADS = threads;
    env.OPENBLAS_NUM_THREADS = threads;
  }
  return env;
}

/** Runs one child and parses the JSON line it prints; returns { error } instead when it fails. */
function runChild(command, args, env) {
  const child = spawnSync(command, args, { cwd: REPO_ROOT, env, encoding: 'utf8', maxBuffer: 64 * MIB });
  if (child.status !== 0) {
    return { error: `${command} exited ${child.status ?? child.signal}: ${(child.stderr ?? '').trim().slice(-2000)}` };
  }
  try {
    return JSON.parse(child.stdout.trim().split('\n').at(-1));
  } catch {
    return { error: `${command} printed no JSON: ${child.stdout.slice(-500)}` };
  }
}

/** Arguments both children take. */
function childArgs(data, dataset, solver) {
  return [
    ...['--x', data.x, '--y', data.y, '--rows', String(data.rows), '--cols', String(data.cols)],
    ...['--solver', solver, '--warmup', String(dataset.warmup), '--repeats', String(dataset.repeats)],
  ];
}

/** Node flags for our child: --expose-gc always, V8 CPU profiling on request. */
function nodeFlags(dataset, solver) {
  if (!flags['cpu-prof']) return ['--expose-gc'];
  const dir = join(HERE, 'out', 'profiles');
  mkdirSync(dir, { recursive: true });
  return [
    '--expose-gc',
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    '--cpu-prof-name',
    `${dataset.name}-${solver}.cpuprofile`,
  ];
}

/** Times one solver on one data set, ours then scikit-learn's. */
function benchSolver(dataset, data, solver, withSklearn) {
  log(`  ${dataset.name} ${solver}: ours...`);
  const oursArgs = [...nodeFlags(dataset, solver), join(HERE, 'ours_fit.js'), ...childArgs(data, dataset, solver)];
  const ours = runChild(process.execPath, oursArgs, process.env);
  log(`  ${dataset.name} ${solver}: ours ${describe(ours)}${withSklearn ? '; scikit-learn...' : ''}`);
  const sklearn = withSklearn
    ? runChild(VENV_PYTHON, [join(HERE, 'sklearn_fit.py'), ...childArgs(data, dataset, solver)], sklearnEnv())
    : null;
  if (sklearn !== null) log(`  ${dataset.name} ${solver}: scikit-learn ${describe(sklearn)}`);
  const ratio = ours.error || !sklearn || sklearn.error ? null : ours.medianMs / sklearn.medianMs;
  return { solver, ours, sklearn, ratio };
}

function describe(result) {
  return result.error ? `FAILED (${result.error})` : `${formatMs(result.medianMs)} ms, n_iter ${result.nIter}`;
}

function formatMs(ms) {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function formatMib(bytes) {
  return (bytes / MIB).toFixed(0);
}

/** A size for humans: KiB below 1 MiB, MiB above. */
function formatSize(bytes) {
  return bytes < MIB ? `${(bytes / 1024).toFixed(0)} KiB` : `${(bytes / MIB).toFixed(1)} MiB`;
}

/** One markdown table row per solver; memory columns only where the data set asks for them. */
function tableFor(result) {
  const memoryHeader =
    ' ours peak RSS growth MiB (×data) | ours peak RSS total MiB (×data) | sklearn peak growth MiB |';
  const header = `| solver | ours ms | sklearn ms | ratio | goal | n_iter ours/sklearn |${result.showMemory ? memoryHeader : ''}`;
  const separator = `|${'---|'.repeat(6 + (result.showMemory ? 3 : 0))}`;
  const rows = result.solvers.map((s) => {
    const sk = s.sklearn && !s.sklearn.error ? s.sklearn : null;
    const cells = [
      s.solver,
      s.ours.error ? 'FAILED' : formatMs(s.ours.medianMs),
      sk ? formatMs(sk.medianMs) : s.sklearn?.error ? 'FAILED' : 'n/a',
      s.ratio === null ? 'n/a' : s.ratio.toFixed(2),
      goalCell(s.ratio, timeGoal(result.name, s.solver)),
      `${s.ours.error ? '-' : iterText(s.ours)} / ${sk ? iterText(sk) : '-'}`,
    ];
    if (result.showMemory) cells.push(...memoryCells(s.ours, sk, result.dataBytes));
    return `| ${cells.join(' | ')} |`;
  });
  return [header, separator, ...rows].join('\n');
}

/** The time goal of a (data set, solver): 0.8 for lbfgs on the big set (issue 16), else 1.0. */
function timeGoal(dataset, solver) {
  return dataset === 'big' && solver === 'lbfgs' ? 0.8 : 1;
}

function goalCell(ratio, goal) {
  return ratio === null ? `n/a (≤ ${goal.toFixed(1)})` : `${ratio <= goal ? 'met' : 'SLOWER'} (≤ ${goal.toFixed(1)})`;
}

function iterText(side) {
  return `${side.nIter}${side.converged ? '' : ' (not converged)'}`;
}

function memoryCells(ours, sk, dataBytes) {
  if (ours.error) return ['-', '-', sk ? formatMib(sk.peakRssGrowthBytes) : '-'];
  const total = ours.peakRssBytes / dataBytes;
  return [
    `${formatMib(ours.peakRssGrowthBytes)} (${(ours.peakRssGrowthBytes / dataBytes).toFixed(2)}×)`,
    `${formatMib(ours.peakRssBytes)} (${total.toFixed(2)}×${total < MEMORY_GOAL ? '' : ', OVER 2×'})`,
    sk ? formatMib(sk.peakRssGrowthBytes) : '-',
  ];
}

/** Machine, versions and BLAS, from this process and the first successful Python child. */
function machineInfo(results, loadBefore, cv) {
  const py =
    results.flatMap((r) => r.solvers).find((s) => s.sklearn && !s.sklearn.error)?.sklearn ??
    (cv?.sklearn && !cv.sklearn.error ? cv.sklearn : null);
  const blas = py?.threadpools.filter((pool) => pool.user_api === 'blas' || pool.user_api === 'openmp') ?? [];
  return {
    nproc: availableParallelism(),
    loadAverage1m: { before: loadBefore, after: loadavg()[0] },
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    python: py?.versions.python ?? null,
    sklearn: py?.versions.sklearn ?? null,
    numpy: py?.versions.numpy ?? null,
    scipy: py?.versions.scipy ?? null,
    threadpools: blas.map((pool) => ({
      api: pool.internal_api,
      version: pool.version,
      architecture: pool.architecture ?? null,
      threads: pool.num_threads,
      library: pool.filepath.split('/').at(-1),
    })),
    openblasEnvInParent: {
      OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? null,
      OPENBLAS_L2_SIZE: process.env.OPENBLAS_L2_SIZE ?? null,
    },
    openblasEnvInSklearnChild: py?.openblasEnv ?? null,
  };
}

/** The grid search's section: timing table and the parity check. */
function cvLines(cv) {
  const sk = cv.sklearn && !cv.sklearn.error ? cv.sklearn : null;
  const side = (r) => (r.error ? 'FAILED' : `C=${r.bestParams.C} ${r.bestParams.solver}`);
  const lines = [
    `## ${cv.title}`,
    `train ${cv.trainRows}×${cv.cols}, test ${cv.testRows}; StratifiedKFold(${cv.folds}), 15 × ${cv.folds} fits + refit; ` +
      `warm-up ${cv.warmup}, median of ${cv.oursRepeats} (ours) / ${cv.sklearnRepeats} (GridSearchCV)`,
    '',
    '| search | ours ms | GridSearchCV ms | ratio | goal ≤ 1.0 | best ours / sklearn | best cv accuracy | test accuracy ours / sklearn |',
    '|---|---|---|---|---|---|---|---|',
    `| 5-fold, 15 trials | ${cv.ours.error ? 'FAILED' : formatMs(cv.ours.medianMs)} | ${sk ? formatMs(sk.medianMs) : cv.sklearn?.error ? 'FAILED' : 'n/a'} | ` +
      `${cv.ratio === null ? 'n/a' : cv.ratio.toFixed(2)} | ${cv.ratio === null ? 'n/a' : cv.ratio <= 1 ? 'met' : 'SLOWER'} | ` +
      `${side(cv.ours)} / ${sk ? side(sk) : '-'} | ${cv.ours.error ? '-' : cv.ours.bestScore.toFixed(4)} | ` +
      `${cv.ours.error ? '-' : cv.ours.testAccuracy} / ${sk ? sk.testAccuracy : '-'} |`,
  ];
  if (cv.parity !== null) {
    const p = cv.parity;
    lines.push(
      '',
      `parity: ${p.ok ? 'OK' : 'MISMATCH'} — same grid order ${p.sameOrder}, same best ${p.sameBest}, ` +
        `max |cv mean difference| ${p.maxMeanDiff.toExponential(1)} over the 15 trials, same test accuracy ${p.sameTest}`,
    );
  }
  return lines;
}

function printReport(report) {
  const m = report.machine;
  const pools = m.threadpools.map((p) =>
    [p.api, p.version, p.architecture, `${p.threads} threads`, `(${p.library})`].filter(Boolean).join(' '),
  );
  const lines = [
    `# bench:train — ${report.date}`,
    `command: ${report.command}`,
    `machine: nproc ${m.nproc}, ${m.cpu}; node ${m.node}; python ${m.python}, scikit-learn ${m.sklearn}, numpy ${m.numpy}, scipy ${m.scipy}`,
    `1-minute load average: ${m.loadAverage1m.before.toFixed(2)} at start, ${m.loadAverage1m.after.toFixed(2)} at end (the machine is shared; a load near nproc inflates both sides)`,
    `scikit-learn thread pools (threadpoolctl): ${pools.length ? pools.join('; ') : 'n/a'}`,
    `OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE: parent ${JSON.stringify(m.openblasEnvInParent)}, unset in the scikit-learn child`,
    'ratio = our median time / scikit-learn median time (≤ 1.0 is the goal); fit tables time `fit` only, the grid search times the whole search and its test score.',
  ];
  for (const r of report.datasets) {
    lines.push(
      '',
      `## ${r.title}`,
      `X ${r.rows}×${r.cols} float64 = ${formatSize(r.dataBytes)}; warm-up ${r.warmup}, median of ${r.repeats}`,
    );
    if (r.showMemory) {
      lines.push(
        `memory goal: our child's peak RSS < ${MEMORY_GOAL}× the data (${formatMib(MEMORY_GOAL * r.dataBytes)} MiB)`,
      );
    }
    lines.push('', tableFor(r));
  }
  if (report.cv !== null) lines.push('', ...cvLines(report.cv));
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main() {
  if (endianness() !== 'LE') throw new Error('the raw float64 files are written little-endian; this host is not');
  const ml = await loadLibrary();
  const withSklearn = checkVenv();
  const solvers = flags.solvers.split(',').filter((s) => s.length > 0);
  const datasets = flags.cv ? [] : flags.quick ? DATASETS.filter((d) => d.name === 'seed') : DATASETS;
  const loadBefore = loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-train-'));
  const results = [];
  let cv = null;
  try {
    for (const dataset of datasets) {
      log(`bench:train: generating ${dataset.name}...`);
      const data = writeDataset(ml, dataset, dir);
      const solverResults = solvers.map((solver) => benchSolver(dataset, data, solver, withSklearn));
      const { title, warmup, repeats, showMemory } = dataset;
      const { rows, cols, dataBytes } = data;
      results.push({
        name: dataset.name,
        title,
        rows,
        cols,
        dataBytes,
        warmup,
        repeats,
        showMemory,
        solvers: solverResults,
      });
      rmSync(data.x);
      rmSync(data.y);
    }
    if (!flags['skip-cv']) {
      log('bench:train: grid search (cv)...');
      cv = benchCv(writeCvData(ml, dir), withSklearn);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const report = {
    date: new Date().toISOString(),
    command: ['node', 'bench/train/run.js', ...process.argv.slice(2)].join(' '),
    machine: machineInfo(results, loadBefore, cv),
    datasets: results,
    cv,
  };
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printReport(report);
  const failed =
    results.some((r) => r.solvers.some((s) => s.ours.error || s.sklearn?.error)) ||
    (cv !== null && Boolean(cv.ours.error || cv.sklearn?.error || cv.parity?.ok === false));
  process.exitCode = failed ? 1 : 0;
}

await main();
