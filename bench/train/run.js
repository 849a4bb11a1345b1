// Training-speed and memory benchmark: our LogisticRegression against scikit-learn, same data, same run.
//
//   npm run bench:train                      # seed 1000×20 (800-row train split) and 200,000×100 (all rows)
//   npm run bench:train -- --quick           # seed set only (seconds)
//   npm run bench:train -- --json            # machine-readable result on stdout (progress stays on stderr)
//   npm run bench:train -- --solvers lbfgs   # a subset of liblinear,lbfgs,saga
//   npm run bench:train -- --cpu-prof        # also write V8 CPU profiles of our fits to bench/train/out/profiles/
//   npm run bench:train -- --sklearn-threads 1   # pin scikit-learn's BLAS/OpenMP pools (default: their own choice)
//
// Needs the compiled library (`npx tsc -b`) and the dev venv (`bash scripts/setup-dev-venv.sh`). Each data set is
// generated once with our makeClassification and written as raw little-endian float64 files; our fits run in a
// Node child per (data set, solver) and scikit-learn's in a Python child per (data set, solver) reading the same
// files, so both sides fit identical bytes and each child's peak RSS belongs to one fit. The children run one at a
// time. Exit status is 0 whatever the ratios (a benchmark, not a test); 1 only when a fit or setup failed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, endianness, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '../..');
const VENV_PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
const ALL_SOLVERS = ['liblinear', 'lbfgs', 'saga'];
const MIB = 1024 * 1024;
const MEMORY_GOAL = 2; // peak RSS of the 200,000×100 fit must stay under 2× the data set's own size

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
  },
});

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
  const header = `| solver | ours ms | sklearn ms | ratio | goal ≤ 1.0 | n_iter ours/sklearn |${result.showMemory ? memoryHeader : ''}`;
  const separator = `|${'---|'.repeat(6 + (result.showMemory ? 3 : 0))}`;
  const rows = result.solvers.map((s) => {
    const sk = s.sklearn && !s.sklearn.error ? s.sklearn : null;
    const cells = [
      s.solver,
      s.ours.error ? 'FAILED' : formatMs(s.ours.medianMs),
      sk ? formatMs(sk.medianMs) : s.sklearn?.error ? 'FAILED' : 'n/a',
      s.ratio === null ? 'n/a' : s.ratio.toFixed(2),
      s.ratio === null ? 'n/a' : s.ratio <= 1 ? 'met' : 'SLOWER',
      `${s.ours.error ? '-' : iterText(s.ours)} / ${sk ? iterText(sk) : '-'}`,
    ];
    if (result.showMemory) cells.push(...memoryCells(s.ours, sk, result.dataBytes));
    return `| ${cells.join(' | ')} |`;
  });
  return [header, separator, ...rows].join('\n');
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
function machineInfo(results, loadBefore) {
  const py = results.flatMap((r) => r.solvers).find((s) => s.sklearn && !s.sklearn.error)?.sklearn;
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
    'ratio = our median fit time / scikit-learn median fit time (≤ 1.0 is the goal); times cover `fit` only.',
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
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main() {
  if (endianness() !== 'LE') throw new Error('the raw float64 files are written little-endian; this host is not');
  const ml = await loadLibrary();
  const withSklearn = checkVenv();
  const solvers = flags.solvers.split(',').filter((s) => s.length > 0);
  const datasets = flags.quick ? DATASETS.filter((d) => d.name === 'seed') : DATASETS;
  const loadBefore = loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-train-'));
  const results = [];
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const report = {
    date: new Date().toISOString(),
    command: ['node', 'bench/train/run.js', ...process.argv.slice(2)].join(' '),
    machine: machineInfo(results, loadBefore),
    datasets: results,
  };
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printReport(report);
  const failed = results.some((r) => r.solvers.some((s) => s.ours.error || s.sklearn?.error));
  process.exitCode = failed ? 1 : 0;
}

await main();
