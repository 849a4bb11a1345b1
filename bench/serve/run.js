// Serving benchmark (issue 4, "Speed"): our predictor against a Flask + scikit-learn app under gunicorn,
// `mlflow models serve` and a bare node:http ceiling, all serving the same registered logistic regression, same run.
//
//   npm run bench:serve                                   # 10 s per measurement after 3 s of warm-up
//   npm run bench:serve -- --duration 30 --warmup 5       # the full-length run
//   npm run bench:serve -- --duration 3 --warmup 1 --servers predictor,ceiling --skip-swap   # a quick look
//   npm run bench:serve -- --json bench/serve/out/result.json
//   npm run bench:serve -- --log-compare --duration 5 --warmup 2   # prediction log on vs off, alternating rounds
//   npm run bench:serve -- --generator autocannon            # load from autocannon instead of wrk (the default when installed)
//
// Needs the build (`npx tsc -b`), nats-server and the venv of scripts/setup.sh; the peers' packages
// (requirements-bench.txt) are pip-installed into .venv when missing. Servers run one at a time. Exit status 0
// whatever the ratios (a benchmark, not a test); 1 when a server or a measurement failed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAgreement, probeRows, rowsFor } from './data.js';
import { measure } from './load.js';
import { compareLog } from './log-compare.js';
import { machineInfo, readOptions } from './options.js';
import { logDelta, readLogCounters } from './prediction-log.js';
import { cleanUp, installExitHandlers, onCleanUp } from './processes.js';
import { ensurePythonPeers } from './python-env.js';
import { evaluateGoals, formatReport } from './report.js';
import { serverPlan } from './servers.js';
import { startStack } from './stack.js';
import { swapUnderLoad } from './swap.js';
import { measureWithWrk } from './wrk.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Progress goes to stderr; the report to stdout. */
function log(message) {
  process.stderr.write(`${message}\n`);
}

/** The pipeline with version 1 registered, and its weights written where the peers read them. */
async function prepare(options) {
  const python = options.servers.some((s) => s === 'gunicorn' || s === 'mlflow-serve')
    ? ensurePythonPeers(ROOT, log)
    : null;
  log('bench:serve: starting nats-server, MLflow, the trainer and the tracker...');
  const stack = await startStack(ROOT);
  const registered = await stack.tune({ C: [1], solver: ['lbfgs'] });
  log(`bench:serve: registered ${registered.name} v${registered.version} (${registered.model_uri})`);
  const weights = await stack.weights(registered.version);
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-serve-'));
  onCleanUp(() => rmSync(dir, { recursive: true, force: true }));
  const weightsFile = join(dir, 'weights.json');
  writeFileSync(weightsFile, JSON.stringify(weights));
  return { root: ROOT, stack, weights, weightsFile, python, ...options };
}

/** The scenarios of one server: single rows at `connections`, batches at `batchConnections`. */
function scenarios(ctx) {
  const all = {
    single: { rows: rowsFor(ctx.weights, 1), connections: ctx.connections },
    batch: { rows: rowsFor(ctx.weights, ctx.batchRows), connections: ctx.batchConnections },
  };
  return ctx.scenarios.map((name) => ({ name, ...all[name] }));
}

/** Starts one server, checks it scores like ours, measures each scenario, runs the swap on the predictor, stops. */
async function benchServer(ctx, { name, family, start }, results) {
  log(`bench:serve: ${name}: starting...`);
  const swapHere = name === 'predictor' && !ctx.skipSwap;
  let server;
  try {
    server = await start(ctx);
    const agreement = await checkAgreement(server, ctx.weights, probeRows(ctx.weights));
    log(`bench:serve: ${name}: ready at ${server.base}; max |p - ours| on probe rows ${agreement.toExponential(1)}`);
    for (const scenario of scenarios(ctx)) {
      const measured = await measureScenario(ctx, server, scenario);
      results.push({ server: name, family, scenario: scenario.name, agreement, ...measured });
    }
    if (swapHere) return await swap(ctx, server);
  } catch (error) {
    log(`bench:serve: ${name} FAILED: ${error.stack ?? error}`);
    results.push({ server: name, family, scenario: '-', connections: '-', rows: '-', error: String(error.message) });
    if (swapHere) return { swaps: ctx.swaps, error: 'the predictor failed before the swap' };
  } finally {
    await server?.stop();
  }
  return undefined;
}

async function measureScenario(ctx, server, scenario) {
  const rows = scenario.rows.length;
  log(`bench:serve: ${server.name}: ${scenario.name} (${rows} rows/request, ${scenario.connections} connections)...`);
  const before = server.metrics === undefined ? undefined : await readLogCounters(server);
  const measured = await (ctx.generator === 'wrk' ? measureWithWrk : measure)({
    url: server.url,
    body: server.body(scenario.rows),
    connections: scenario.connections,
    durationS: ctx.duration,
    warmupS: ctx.warmup,
    rows,
  });
  const { requestsPerS, rowsPerS, latencyMs, failed } = measured;
  log(
    `  ${Math.round(requestsPerS)} req/s, ${Math.round(rowsPerS)} rows/s, p99 ${latencyMs.p99?.toFixed(2)} ms, ${failed} failed`,
  );
  if (before === undefined) return measured;
  const predictionLog = await logDelta(server, before);
  log(
    `  prediction log: ${predictionLog.published} of ${predictionLog.requests} requests published, ` +
      `${predictionLog.dropped} dropped, drained ${predictionLog.drainMs} ms after the load`,
  );
  return { ...measured, predictionLog };
}

async function swap(ctx, predictor) {
  log(`bench:serve: predictor: ${ctx.swaps} model swaps under single-row load at ${ctx.connections} connections...`);
  const body = predictor.body(rowsFor(ctx.weights, 1));
  try {
    return await swapUnderLoad({
      predictor,
      stack: ctx.stack,
      body,
      connections: ctx.connections,
      swaps: ctx.swaps,
      settleS: ctx.settle,
      log,
    });
  } catch (error) {
    log(`bench:serve: swap FAILED: ${error.stack ?? error}`);
    return { swaps: ctx.swaps, error: String(error.message ?? error) };
  }
}

async function main() {
  installExitHandlers();
  const options = readOptions();
  const loadBefore = loadavg()[0];
  const results = [];
  let swapResult;
  let ctx;
  try {
    ctx = await prepare(options);
    if (options.logCompare) await compareLog(ctx, results, { scenarios, measureScenario, log });
    for (const entry of options.logCompare ? [] : serverPlan(options)) {
      const outcome = await benchServer(ctx, entry, results);
      if (outcome !== undefined) swapResult = outcome;
    }
  } finally {
    await cleanUp();
  }
  const report = {
    date: new Date().toISOString(),
    command: ['node', 'bench/serve/run.js', ...process.argv.slice(2)].join(' '),
    machine: { ...machineInfo(loadBefore), peers: ctx?.python ?? null },
    options,
    results,
    swap: swapResult,
    goals: evaluateGoals(results, swapResult),
  };
  process.stdout.write(formatReport(report));
  if (options.json !== undefined) {
    mkdirSync(dirname(resolve(options.json)), { recursive: true });
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`bench:serve: wrote ${options.json}`);
  }
  process.exitCode = results.some((r) => r.error) || swapResult?.error ? 1 : 0;
}

await main();
