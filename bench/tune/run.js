// bench/tune: how fast a large tuning goes from request to registered model, with 1 and 2 trainer replicas, and how
// fast the tracker alone mirrors a finished tuning into MLflow. Real nats-server and MLflow (testkit), every service
// a process of its own (node services/<name>/dist/main.js). Run `npx tsc -b` first.
//
//   node bench/tune/run.js                 # both scenarios, 1000 trials each (about 10 minutes on 2 cores)
//   node bench/tune/run.js --trials 150    # a smaller grid
//   node bench/tune/run.js --scenarios fit-bound --replicas 1,2
//   node bench/tune/run.js --top-k 5       # log_models "top_k": only the best 5 models logged
//   node bench/tune/run.js --mlflow-store postgres --mlflow-workers 2 --tracker-concurrency 8
//   node bench/tune/run.js --mlflow-server uvicorn   # MLflow's default server (FastAPI around Flask), to compare
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SUBJECTS } from '@mlops/contracts';
import {
  findFreePort,
  startMlflowServer,
  startNatsServer,
  startPostgresServer,
  startServiceProcess,
} from '@mlops/testkit';
import { connect } from '@nats-io/transport-node';
import { treeCpuSeconds } from './cpu.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '1000' },
    scenarios: { type: 'string', default: 'tracker-bound,fit-bound' },
    replicas: { type: 'string', default: '1,2' },
    threads: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    'top-k': { type: 'string' },
    'tracker-concurrency': { type: 'string', default: '1' },
    'mlflow-workers': { type: 'string', default: '1' },
    'mlflow-store': { type: 'string', default: 'sqlite' },
    'mlflow-server': { type: 'string', default: 'gunicorn' },
  },
});
if (!['gunicorn', 'uvicorn'].includes(values['mlflow-server'])) {
  process.stderr.write(`bench/tune: --mlflow-server is gunicorn or uvicorn, not ${values['mlflow-server']}\n`);
  process.exit(2);
}
const trials = Number(values.trials);
const threads = Number(values.threads);
/** `log_models: "top_k"` with this k, or every model logged. */
const logModels = values['top-k'] === undefined ? {} : { log_models: 'top_k', top_k: Number(values['top-k']) };
const modelsText = values['top-k'] === undefined ? 'every model logged' : `top ${values['top-k']} models logged`;

/** The grid: C log-spaced × two solvers × tol values, `count` trials in all (count a multiple of 10). */
function gridOf(count) {
  const cs = Array.from({ length: count / 10 }, (_, i) => Number((10 ** (-3 + (6 * i) / (count / 10))).toPrecision(6)));
  return { C: cs, solver: ['lbfgs', 'liblinear'], tol: [1e-4, 3e-4, 1e-3, 3e-3, 1e-2] };
}

/** tracker-bound: the seed data set (800×20 train rows, fits in ~1 ms); fit-bound: 20 000×50 rows (tens of ms a fit). */
const SCENARIOS = {
  'tracker-bound': { kind: 'synthetic' },
  'fit-bound': { kind: 'synthetic', n_samples: 20_000, n_features: 50, n_informative: 10 },
};

const log = (line) => process.stderr.write(`${line}\n`);

async function waitFor(client, subject, tuningId, timeoutMs) {
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${subject} for ${tuningId} in ${timeoutMs} ms`)), timeoutMs);
    const sub = client.subscribe(subject, {
      callback: (_err, msg) => {
        const event = msg.json();
        if (event.data.tuning_id !== tuningId) return;
        clearTimeout(timer);
        sub.unsubscribe();
        resolve({ at: performance.now(), data: event.data });
      },
    });
  });
}

async function startTracker(env) {
  const port = await findFreePort();
  return await startServiceProcess('tracker', {
    env: { ...env, TRACKER_HEALTH_PORT: String(port), TRACKER_CONCURRENCY: values['tracker-concurrency'] },
    readyUrl: `http://127.0.0.1:${port}/ready`,
  });
}

async function startTrainers(env, count) {
  const started = [];
  for (let i = 0; i < count; i++) {
    const port = await findFreePort();
    started.push(
      await startServiceProcess('trainer', {
        env: {
          ...env,
          TRAINER_INSTANCE: `trainer-${i}`,
          TRAINER_HEALTH_PORT: String(port),
          TRAINER_TRIAL_THREADS: String(threads),
        },
        readyUrl: `http://127.0.0.1:${port}/ready`,
      }),
    );
  }
  return started;
}

/** One measured tuning: fresh nats-server, the run's MLflow, `replicas` trainers; the tracker from the start or after. */
async function measure(mlflow, dataset, replicas, trackerAfter) {
  const nats = await startNatsServer();
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-tune-'));
  const name = `bench_${randomUUID().slice(0, 8)}`;
  const env = {
    NATS_URL: nats.url,
    MLFLOW_TRACKING_URI: mlflow.trackingUri,
    TRAINER_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  };
  const services = [];
  const mlflowCpuBefore = treeCpuSeconds(mlflow.pid) ?? Number.NaN;
  try {
    if (!trackerAfter) services.push(await startTracker(env));
    services.push(...(await startTrainers(env, replicas)));
    const client = await connect({ servers: nats.url });
    const tuningId = `bench-${randomUUID().slice(0, 8)}`;
    const request = {
      tuning_id: tuningId,
      dataset,
      grid: gridOf(trials),
      experiment_name: name,
      registered_model_name: name,
      ...logModels,
    };
    const completed = waitFor(client, SUBJECTS.tuningCompleted, tuningId, 1_800_000);
    const registered = waitFor(client, SUBJECTS.modelRegistered, tuningId, 1_800_000);
    const start = performance.now();
    const reply = await client.request(SUBJECTS.tuneRequested, JSON.stringify(request), { timeout: 30_000 });
    if (reply.json().status !== 'accepted') throw new Error(`rejected: ${reply.string()}`);
    const done = await completed;
    let trackerStart = start;
    if (trackerAfter) {
      trackerStart = performance.now();
      services.push(await startTracker(env));
    }
    const end = await registered;
    await client.drain();
    const cpu = (pid) => treeCpuSeconds(pid) ?? Number.NaN;
    return {
      trainerSeconds: (done.at - start) / 1000,
      totalSeconds: (end.at - start) / 1000,
      trackerSeconds: (end.at - trackerStart) / 1000,
      completed: done.data.completed,
      cpuSeconds: {
        mlflow: cpu(mlflow.pid) - mlflowCpuBefore,
        tracker: cpu(services.find((s) => s.name === 'tracker')?.pid),
        trainers: services.filter((s) => s.name === 'trainer').reduce((sum, s) => sum + cpu(s.pid), 0),
        nats: cpu(nats.pid),
      },
    };
  } finally {
    for (const service of services.reverse()) await service.stop(10_000);
    await nats.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  log(
    `bench/tune: ${trials} trials, ${threads} trial thread(s) per replica, ${modelsText}, tracker concurrency ${values['tracker-concurrency']}, MLflow on ${values['mlflow-store']} with ${values['mlflow-workers']} ${values['mlflow-server']} worker(s), load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const postgres = values['mlflow-store'] === 'postgres' ? await startPostgresServer() : undefined;
  const mlflow = await startMlflowServer({
    workers: Number(values['mlflow-workers']),
    server: values['mlflow-server'],
    // SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3; the venv has psycopg2.
    ...(postgres === undefined
      ? {}
      : { backendStoreUri: postgres.url.replace(/^postgresql:/, 'postgresql+psycopg2:') }),
  });
  const rows = [];
  try {
    for (const scenario of values.scenarios.split(',')) {
      const dataset = SCENARIOS[scenario];
      for (const replicas of values.replicas.split(',').map(Number)) {
        log(`${scenario}: ${replicas} replica(s)…`);
        const r = await measure(mlflow, dataset, replicas, false);
        rows.push({
          scenario,
          replicas,
          ...r,
          trialsPerSecond: trials / r.totalSeconds,
          fitTrialsPerSecond: trials / r.trainerSeconds,
        });
      }
      log(`${scenario}: the tracker alone, after 1 replica finished…`);
      const alone = await measure(mlflow, dataset, 1, true);
      rows.push({
        scenario,
        replicas: 'tracker alone',
        ...alone,
        trialsPerSecond: trials / alone.trackerSeconds,
        fitTrialsPerSecond: trials / alone.trainerSeconds,
      });
    }
  } finally {
    await mlflow.stop();
    await postgres?.stop();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ trials, threads, load: loadavg(), rows }, null, 2)}\n`);
    return;
  }
  console.log(
    `| scenario | trainers | trials done | trainer s (request → tuning.completed) | total s (request → registered) | trials/s end to end | trials/s trained |`,
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const total =
      r.replicas === 'tracker alone' ? `${r.trackerSeconds.toFixed(1)} (tracker only)` : r.totalSeconds.toFixed(1);
    console.log(
      `| ${r.scenario} | ${r.replicas} | ${r.completed} | ${r.trainerSeconds.toFixed(1)} | ${total} | ${r.trialsPerSecond.toFixed(1)} | ${r.fitTrialsPerSecond.toFixed(1)} |`,
    );
  }
  console.log('');
  console.log(
    '| scenario | trainers | CPU s: MLflow (all workers) | tracker | trainers | nats-server | sum / wall (cores busy) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const c = r.cpuSeconds;
    const sum = c.mlflow + c.tracker + c.trainers + c.nats;
    const wall = r.replicas === 'tracker alone' ? r.trainerSeconds + r.trackerSeconds : r.totalSeconds;
    const cells = [c.mlflow, c.tracker, c.trainers, c.nats].map((v) => v.toFixed(1)).join(' | ');
    console.log(`| ${r.scenario} | ${r.replicas} | ${cells} | ${(sum / wall).toFixed(2)} |`);
  }
  log(
    `load at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
