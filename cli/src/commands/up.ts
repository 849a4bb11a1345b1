import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findFreePort, startMlflowServer, startNatsServer } from '@mlops/testkit';
import type { CliIo } from '../io.js';
import { integerOption, stringOptions } from '../options.js';
import { type ServiceProcess, startServiceProcess, waitForHttp } from '../stack/services.js';
import { tuneCommand } from './tune.js';

/** Help text for `mlops up`. */
export const UP_USAGE = `usage: mlops up [--data-dir data] [--nats-port 4222] [--mlflow-port 5000] [--predictor-port 8080]
  [--no-tune] [--exit-after-tune]
Runs the whole local stack — nats-server (JetStream), MLflow (SQLite + artifact proxy), trainer, tracker,
predictor — with data under --data-dir, publishes the default tune request, prints the results, and keeps
/predict and the MLflow UI serving until Ctrl-C. Service logs go to <data-dir>/logs/.`;

const FLAGS = ['data-dir', 'nats-port', 'mlflow-port', 'predictor-port'] as const;
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `mlops up`: the embedded local stack, in the foreground. */
export async function upCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...stringOptions(FLAGS), 'no-tune': { type: 'boolean' }, 'exit-after-tune': { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  const dataDir = resolve(io.cwd, values['data-dir'] ?? 'data');
  const dirs = {
    nats: `${dataDir}/nats`,
    mlflow: `${dataDir}/mlflow`,
    logs: `${dataDir}/logs`,
    datasets: `${dataDir}/datasets`,
  };
  await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true })));
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const ports = await choosePorts(values);
    io.stderr(`› nats-server on ${ports.nats}, MLflow on ${ports.mlflow} (data in ${dataDir})\n`);
    const nats = await startNatsServer({ port: ports.nats, storeDir: dirs.nats });
    stops.push(() => nats.stop());
    const mlflow = await startMlflowServer({ port: ports.mlflow, dataDir: dirs.mlflow });
    stops.push(() => mlflow.stop());
    const env = {
      ...io.env,
      NATS_URL: nats.url,
      MLFLOW_TRACKING_URI: mlflow.trackingUri,
      TRAINER_DATA_DIR: dirs.datasets,
      PREDICTOR_PORT: String(ports.predictor),
      PREDICTOR_MODEL_POLL_MS: '10000',
    };
    const services = await startServices(env, dirs.logs, ports.predictor, io);
    stops.push(...services.map((s) => () => s.stop()));
    io.stderr(`› stack is up; logs in ${dirs.logs}\n`);
    const tuned = values['no-tune'] === true ? 0 : await tuneCommand(['--nats', nats.url], io);
    printEndpoints(io, mlflow.trackingUri, ports.predictor);
    if (values['exit-after-tune'] === true) return tuned;
    await untilSignalled(services);
    return tuned;
  } finally {
    io.stderr('› stopping the stack\n');
    await stopAll();
  }
}

async function choosePorts(values: Partial<Record<(typeof FLAGS)[number], string>>) {
  const pick = async (name: (typeof FLAGS)[number], fallback: number) => {
    const port = integerOption(values, name) ?? fallback;
    return port === 0 ? await findFreePort() : port;
  };
  return {
    nats: await pick('nats-port', 4222),
    mlflow: await pick('mlflow-port', 5000),
    predictor: await pick('predictor-port', 8080),
  };
}

async function startServices(
  env: NodeJS.ProcessEnv,
  logDir: string,
  predictorPort: number,
  io: CliIo,
): Promise<ServiceProcess[]> {
  const entry = (name: string) => resolve(REPO_ROOT, 'services', name, 'dist', 'main.js');
  const [trainerPort, trackerPort] = [await findFreePort(), await findFreePort()];
  const started = [
    {
      name: 'trainer',
      env: { TRAINER_HEALTH_PORT: String(trainerPort) },
      ready: `http://127.0.0.1:${trainerPort}/ready`,
    },
    {
      name: 'tracker',
      env: { TRACKER_HEALTH_PORT: String(trackerPort) },
      ready: `http://127.0.0.1:${trackerPort}/ready`,
    },
    { name: 'predictor', env: {}, ready: `http://127.0.0.1:${predictorPort}/health` },
  ].map((s) => ({ ...s, process: startServiceProcess(s.name, entry(s.name), { ...env, ...s.env }, logDir) }));
  try {
    for (const s of started) {
      await waitForHttp(s.process, s.ready, 30_000);
      io.stderr(`› ${s.name} ready\n`);
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.process.stop()));
    throw err;
  }
  return started.map((s) => s.process);
}

function printEndpoints(io: CliIo, mlflowUri: string, predictorPort: number): void {
  const predictUrl = `http://127.0.0.1:${predictorPort}/predict`;
  io.stdout(`\nMLflow UI:  ${mlflowUri}\n/predict:   ${predictUrl}\n`);
  io.stdout(
    `try:        curl -s -X POST ${predictUrl} -H 'content-type: application/json' -d '{"features": [${Array(20).fill(0).join(', ')}]}'\n`,
  );
}

function untilSignalled(services: ServiceProcess[]): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    for (const s of services) void s.exited.then(() => resolve());
  });
}
