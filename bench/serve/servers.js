// The servers under load, each started as its own process group and serving the same logistic regression:
// our predictor, the Flask app under gunicorn, `mlflow models serve`, and the bare node:http ceiling.
import { delimiter, join } from 'node:path';
import { findFreePort } from '@mlops/testkit';
import { spawnServer, waitForHttp } from './processes.js';
import { MODEL_NAME } from './stack.js';

const STARTUP_MS = 120_000;

/** Our body, shared by the predictor, gunicorn and the ceiling: `{"features": rows}`. */
function featuresBody(rows) {
  return JSON.stringify({ features: rows });
}

/** MLflow's scoring protocol: a pandas `split` frame with the model's column names. */
function dataframeSplitBody(columns) {
  return (rows) => JSON.stringify({ dataframe_split: { columns, data: rows } });
}

/** PATH with .venv/bin first, as in an activated venv (`mlflow models serve` execs `uvicorn` from PATH). */
function venvPath(root) {
  return `${join(root, '.venv/bin')}${delimiter}${process.env.PATH ?? ''}`;
}

async function started(name, command, args, options, readyPath) {
  const port = await findFreePort();
  const server = spawnServer(name, command, args(port), { ...options, env: { ...process.env, ...options.env(port) } });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(server, `${base}${readyPath}`, STARTUP_MS);
  return { server, base };
}

/**
 * Our predictor as a process (`node services/predictor/dist/main.js`) with `--workers` worker processes
 * (PREDICTOR_WORKERS), ready once GET /ready answers 200; `env` adds settings (the prediction log is on:
 * `--log-sample` of the requests, default all, go to the benchmark's nats-server).
 */
export async function startPredictor(ctx, env = {}) {
  const { server, base } = await started(
    'predictor',
    process.execPath,
    () => [join(ctx.root, 'services/predictor/dist/main.js')],
    {
      cwd: ctx.root,
      env: (port) => ({
        NATS_URL: ctx.stack.natsUrl,
        MLFLOW_TRACKING_URI: ctx.stack.trackingUri,
        PREDICTOR_PORT: String(port),
        LOG_LEVEL: 'warn',
        PREDICTOR_LOG_SAMPLE: String(ctx.logSample),
        PREDICTOR_WORKERS: String(ctx.workers),
        ...env,
      }),
    },
    '/ready',
  );
  const metrics = async () => await (await fetch(`${base}/metrics`)).text();
  const url = `${base}/predict`;
  return { name: 'predictor', base, url, body: featuresBody, stop: server.stop, metrics, workers: ctx.workers };
}

/** Our predictor with the prediction log off (PREDICTOR_LOG_SAMPLE=0): the other side of `--log-compare`. */
export async function startPredictorLogOff(ctx) {
  return { ...(await startPredictor(ctx, { PREDICTOR_LOG_SAMPLE: '0' })), name: 'predictor-log-off' };
}

/** The Flask + scikit-learn app under gunicorn: `ctx.peerWorkers` workers of `workerClass` (gthread: `ctx.threads`). */
export async function startGunicorn(ctx, workerClass) {
  const args = (port) => [
    ...['-w', String(ctx.peerWorkers), '-k', workerClass, '-b', `127.0.0.1:${port}`],
    ...(workerClass === 'gthread' ? ['--threads', String(ctx.threads)] : []),
    ...['--chdir', join(ctx.root, 'bench/serve'), '--log-level', 'warning', 'flask_app:app'],
  ];
  const name = `gunicorn-${workerClass}`;
  const { server, base } = await started(
    name,
    join(ctx.root, '.venv/bin/gunicorn'),
    args,
    { cwd: ctx.root, env: () => ({ BENCH_WEIGHTS: ctx.weightsFile, PATH: venvPath(ctx.root) }) },
    '/health',
  );
  return { name, base, url: `${base}/predict`, body: featuresBody, stop: server.stop };
}

/** `mlflow models serve` of version 1 from the registry, local env manager, `ctx.peerWorkers` uvicorn workers. */
export async function startMlflowServe(ctx) {
  const args = (port) => [
    ...['models', 'serve', '-m', `models:/${MODEL_NAME}/1`, '--env-manager', 'local'],
    ...['-h', '127.0.0.1', '-p', String(port), '-w', String(ctx.peerWorkers)],
  ];
  const { server, base } = await started(
    'mlflow-serve',
    join(ctx.root, '.venv/bin/mlflow'),
    args,
    { cwd: ctx.root, env: () => ({ MLFLOW_TRACKING_URI: ctx.stack.trackingUri, PATH: venvPath(ctx.root) }) },
    '/ping',
  );
  const body = dataframeSplitBody(ctx.weights.feature_names);
  return { name: 'mlflow-serve', base, url: `${base}/invocations`, body, stop: server.stop };
}

/** Our predictor once more, on MLflow's protocol (POST /invocations with the mlflow-serve body); informative. */
export async function startPredictorInvocations(ctx) {
  const predictor = await startPredictor(ctx);
  const body = dataframeSplitBody(ctx.weights.feature_names);
  return { ...predictor, name: 'predictor-invocations', url: `${predictor.base}/invocations`, body };
}

/** The bare node:http ceiling (bench/serve/ceiling.js), scoring with @mlops/ml. */
export async function startCeiling(ctx) {
  const { server, base } = await started(
    'ceiling',
    process.execPath,
    (port) => [join(ctx.root, 'bench/serve/ceiling.js'), '--weights', ctx.weightsFile, '--port', String(port)],
    { cwd: ctx.root, env: () => ({}) },
    '/health',
  );
  return { name: 'ceiling', base, url: `${base}/predict`, body: featuresBody, stop: server.stop };
}

const STARTERS = {
  predictor: startPredictor,
  'mlflow-serve': startMlflowServe,
  ceiling: startCeiling,
  'predictor-invocations': startPredictorInvocations,
  'predictor-log-off': startPredictorLogOff,
};

/**
 * The servers to run, in order, from `--servers`: each with its name, its family (the peer a goal names; every
 * gunicorn worker class of `--worker-class` is one server of the family `gunicorn`) and how to start it.
 */
export function serverPlan(options) {
  return options.servers.flatMap((family) =>
    family === 'gunicorn'
      ? options.workerClasses.map((k) => ({ name: `gunicorn-${k}`, family, start: (ctx) => startGunicorn(ctx, k) }))
      : [{ name: family, family, start: STARTERS[family] }],
  );
}
