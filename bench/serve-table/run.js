// Serving raw customer records (issue 17, "Measured"): our predictor serving a table model (imputation, scaling and
// one-hot encoding in the served model) against the same scikit-learn Pipeline in Flask under gunicorn, same run,
// same cores, one server at a time, single rows and 1000-row batches of raw records with missing cells.
//
//   npm run bench:serve-table                                   # 10 s per measurement after 3 s of warm-up
//   npm run bench:serve-table -- --duration 5 --warmup 2 --json bench/serve-table/out/result.json
//
// Flags are bench/serve's (bench/serve/options.js): --duration, --warmup, --connections, --batch-connections,
// --batch-rows, --peer-workers, --worker-class, --threads, --json; the others are accepted and ignored.
//
// Needs the build (`npx tsc -b`), nats-server and the venv of scripts/setup.sh (Flask, gunicorn and scikit-learn are
// pip-installed into .venv when missing). Exit status 0 whatever the ratios; 1 when a server failed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { customersCsv, readRawTable } from '@mlops/ml';
import { findFreePort } from '@mlops/testkit';
import { measure } from '../serve/load.js';
import { machineInfo, readOptions } from '../serve/options.js';
import { cleanUp, installExitHandlers, onCleanUp, spawnServer, waitForHttp } from '../serve/processes.js';
import { ensurePythonPeers } from '../serve/python-env.js';
import { startStack } from '../serve/stack.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CUSTOMERS = 5000;
const GOALS = { single: 5, batch: 1.5 };

function log(message) {
  process.stderr.write(`${message}\n`);
}

/** The customer CSV in a fresh data directory, the pipeline up, and one table model registered (C=1, lbfgs). */
async function prepare() {
  const python = ensurePythonPeers(ROOT, log);
  const dataDir = mkdtempSync(join(tmpdir(), 'mlops-bench-table-'));
  onCleanUp(() => rmSync(dataDir, { recursive: true, force: true }));
  const csv = customersCsv({ nSamples: CUSTOMERS });
  writeFileSync(join(dataDir, 'customers.csv'), csv);
  log('bench:serve-table: starting nats-server, MLflow, the trainer and the tracker...');
  const stack = await startStack(ROOT, { TRAINER_DATA_DIR: dataDir });
  const dataset = { kind: 'csv', path: 'customers.csv', target: 'churned' };
  const registered = await stack.tune({ C: [1], solver: ['lbfgs'] }, { dataset });
  const weights = await stack.weights(registered.version);
  log(
    `bench:serve-table: registered v${registered.version}: ${weights.input_columns.length} raw columns, ${weights.coef.length} encoded`,
  );
  return { python, stack, weights, csvPath: join(dataDir, 'customers.csv'), records: recordsOf(csv, weights) };
}

/** Every customer as a request record of the model's raw columns (null where the CSV cell is empty). */
function recordsOf(csv, weights) {
  const table = readRawTable(csv);
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  return Array.from({ length: table.rows }, (_, i) =>
    Object.fromEntries(
      weights.input_columns.map(({ name }) => {
        const column = byName.get(name);
        const value = column.values[i];
        return [name, value === null || (typeof value === 'number' && Number.isNaN(value)) ? null : value];
      }),
    ),
  );
}

async function started(name, command, args, env, readyPath) {
  const port = await findFreePort();
  const server = spawnServer(name, command, args(port), { cwd: ROOT, env: { ...process.env, ...env(port) } });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(server, `${base}${readyPath}`, 120_000);
  return { name, base, url: `${base}/predict`, stop: server.stop };
}

function startPredictor(ctx) {
  return started(
    'predictor',
    process.execPath,
    () => [join(ROOT, 'services/predictor/dist/main.js')],
    (port) => ({
      NATS_URL: ctx.stack.natsUrl,
      MLFLOW_TRACKING_URI: ctx.stack.trackingUri,
      PREDICTOR_PORT: String(port),
      LOG_LEVEL: 'warn',
    }),
    '/ready',
  );
}

function startGunicorn(ctx, options, workerClass) {
  const { input_columns: columns, preprocessing } = ctx.weights;
  const spec = {
    target: 'churned',
    numeric: columns.filter((c) => c.role === 'numeric').map((c) => c.name),
    categorical: columns.filter((c) => c.role === 'categorical').map((c) => c.name),
    categorical_numbers: preprocessing.categorical.filter((c) => c.kind === 'number').map((c) => c.name),
    C: 1,
    solver: 'lbfgs',
  };
  return started(
    `gunicorn-${workerClass}`,
    join(ROOT, '.venv/bin/gunicorn'),
    (port) => [
      ...['-w', String(options.peerWorkers), '-k', workerClass, '-b', `127.0.0.1:${port}`],
      ...(workerClass === 'gthread' ? ['--threads', String(options.threads)] : []),
      ...['--chdir', join(ROOT, 'bench/serve-table'), '--log-level', 'warning', 'flask_table_app:app'],
    ],
    () => ({
      BENCH_CSV: ctx.csvPath,
      BENCH_SPEC: JSON.stringify(spec),
      PATH: `${join(ROOT, '.venv/bin')}${delimiter}${process.env.PATH ?? ''}`,
    }),
    '/health',
  );
}

/** Largest |p(server) - p(predictor)| on probe records; refuses to measure a server that scores otherwise. */
async function agreement(server, reference, probe) {
  const body = JSON.stringify({ records: probe });
  const answer = await (
    await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  ).json();
  if (!Array.isArray(answer.probabilities)) throw new Error(`${server.name}: ${JSON.stringify(answer).slice(0, 300)}`);
  if (reference === undefined) return { probabilities: answer.probabilities, worst: 0 };
  const worst = Math.max(...answer.probabilities.map((p, i) => Math.abs(p - reference[i])));
  if (!(worst <= 1e-6)) throw new Error(`${server.name} scores differently from our model: max |Δp| = ${worst}`);
  return { probabilities: answer.probabilities, worst };
}

async function benchServer(server, ctx, options, reference, results) {
  const probe = ctx.records.slice(0, 50);
  const { probabilities, worst } = await agreement(server, reference, probe);
  log(`bench:serve-table: ${server.name}: ready; max |Δp| on 50 probe records ${worst.toExponential(1)}`);
  const scenarios = [
    { name: 'single', records: ctx.records.slice(100, 101), connections: options.connections },
    { name: 'batch', records: ctx.records.slice(0, options.batchRows), connections: options.batchConnections },
  ];
  for (const scenario of scenarios) {
    const rows = scenario.records.length;
    const measured = await measure({
      url: server.url,
      body: JSON.stringify({ records: scenario.records }),
      connections: scenario.connections,
      durationS: options.duration,
      warmupS: options.warmup,
      rows,
    });
    log(
      `  ${scenario.name}: ${Math.round(measured.rowsPerS)} rows/s, p99 ${measured.latencyMs.p99?.toFixed(2)} ms, ${measured.failed} failed`,
    );
    results.push({ server: server.name, scenario: scenario.name, agreement: worst, ...measured });
  }
  return probabilities;
}

function report(results, ctx, loadBefore) {
  const best = (prefix, scenario) =>
    Math.max(
      0,
      ...results.filter((r) => r.server.startsWith(prefix) && r.scenario === scenario).map((r) => r.rowsPerS),
    );
  const lines = [
    `bench:serve-table — raw customer records (${ctx.weights.input_columns.length} columns, ${ctx.weights.coef.length} encoded), ${new Date().toISOString()}`,
    `command: node bench/serve-table/run.js ${process.argv.slice(2).join(' ')}`,
    `machine: ${JSON.stringify(machineInfo(loadBefore))}`,
    '',
    'server           scenario  conns  rows/req  rows/s      req/s     p50 ms  p99 ms  failed',
    ...results.map((r) =>
      [
        r.server.padEnd(16),
        r.scenario.padEnd(8),
        String(r.connections).padStart(5),
        String(r.rows).padStart(8),
        String(Math.round(r.rowsPerS)).padStart(10),
        String(Math.round(r.requestsPerS)).padStart(9),
        (r.latencyMs.p50?.toFixed(2) ?? '-').padStart(7),
        (r.latencyMs.p99?.toFixed(2) ?? '-').padStart(7),
        String(r.failed).padStart(7),
      ].join(' '),
    ),
    '',
  ];
  const goals = Object.entries(GOALS).map(([scenario, goal]) => {
    const ratio = best('predictor', scenario) / best('gunicorn', scenario);
    return { scenario, goal, ratio, met: ratio >= goal };
  });
  for (const g of goals) {
    lines.push(
      `${g.scenario}: predictor / best gunicorn = ${g.ratio.toFixed(2)}× (goal ≥ ${g.goal}×): ${g.met ? 'met' : 'BEHIND'}`,
    );
  }
  return { text: `${lines.join('\n')}\n`, goals };
}

async function main() {
  installExitHandlers();
  const options = readOptions();
  const loadBefore = loadavg()[0];
  const results = [];
  let ctx;
  let failed = false;
  try {
    ctx = await prepare();
    let reference;
    for (const start of [
      () => startPredictor(ctx),
      ...options.workerClasses.map((workerClass) => () => startGunicorn(ctx, options, workerClass)),
    ]) {
      let server;
      try {
        server = await start();
        const probabilities = await benchServer(server, ctx, options, reference, results);
        reference ??= probabilities;
      } catch (error) {
        failed = true;
        log(`bench:serve-table: FAILED: ${error.stack ?? error}`);
      } finally {
        await server?.stop();
      }
    }
  } finally {
    await cleanUp();
  }
  const { text, goals } = report(results, ctx, loadBefore);
  process.stdout.write(text);
  if (options.json !== undefined) {
    mkdirSync(dirname(resolve(options.json)), { recursive: true });
    writeFileSync(options.json, `${JSON.stringify({ options, results, goals }, null, 2)}\n`);
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
