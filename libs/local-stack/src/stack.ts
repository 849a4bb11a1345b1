import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExitStatus, findFreePort, type SupervisedProcess, type SupervisorLogger } from '@mlops/supervisor';
import { startMlflowServer } from './mlflow-server.js';
import { startNatsServer } from './nats-server.js';
import { startStackServices } from './services.js';

/** The ports of the local stack's public endpoints. */
export interface LocalStackPorts {
  readonly nats: number;
  readonly mlflow: number;
  readonly predictor: number;
}

/** The quick start's ports, where the README's examples point. */
export const DEFAULT_PORTS: LocalStackPorts = { nats: 4222, mlflow: 5000, predictor: 8080 };

/** Options for {@link startLocalStack}. */
export interface LocalStackOptions {
  /** nats/ (JetStream store), mlflow/ (database, artifacts), logs/ and datasets/ live here; kept on stop. */
  readonly dataDir: string;
  /** Each one defaults to {@link DEFAULT_PORTS}; 0 picks a free port. */
  readonly ports?: { readonly [K in keyof LocalStackPorts]?: number | undefined } | undefined;
  /** The environment the services start from (configuration such as LOG_LEVEL). @defaultValue process.env */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** The services' working directory. @defaultValue the repository root */
  readonly cwd?: string | undefined;
  /** One short line per step ("trainer ready"), for a console. */
  readonly onProgress?: ((message: string) => void) | undefined;
  readonly logger?: SupervisorLogger | undefined;
}

/** Where the local stack keeps its state and logs. */
export interface LocalStackDirs {
  readonly nats: string;
  readonly mlflow: string;
  readonly logs: string;
  readonly datasets: string;
}

/** Which process of the stack ended without being asked to, and how. */
export interface StackExit {
  readonly name: string;
  readonly status: ExitStatus;
}

/** The running local stack: nats-server, MLflow, trainer, tracker, predictor, monitor. */
export interface LocalStack {
  readonly ports: LocalStackPorts;
  readonly dirs: LocalStackDirs;
  readonly natsUrl: string;
  readonly trackingUri: string;
  readonly predictorUrl: string;
  readonly services: readonly SupervisedProcess[];
  /** Resolves when the first process ends on its own (nothing restarts it; the caller decides). */
  readonly firstExit: Promise<StackExit>;
  /** Stops the services (predictor first), then MLflow, then nats-server; the data directory stays. */
  stop(): Promise<void>;
}

type Stop = () => Promise<void>;

/** Starts the whole local stack in order, each part once the previous answers; on a failure stops what started. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dirs = stackDirs(options.dataDir);
  await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true })));
  const ports = await choosePorts(options.ports ?? {});
  const progress = options.onProgress ?? (() => undefined);
  progress(`nats-server on ${ports.nats}, MLflow on ${ports.mlflow} (data in ${options.dataDir})`);
  const stops: Stop[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const common = { logger: options.logger };
    const nats = await startNatsServer({
      ...common,
      port: ports.nats,
      storeDir: dirs.nats,
      logFile: log(dirs, 'nats-server'),
    });
    stops.push(() => nats.stop());
    const mlflow = await startMlflowServer({
      ...common,
      port: ports.mlflow,
      dataDir: dirs.mlflow,
      logFile: log(dirs, 'mlflow'),
    });
    stops.push(() => mlflow.stop());
    const env = serviceEnv(options.env ?? process.env, nats.url, mlflow.trackingUri, dirs, ports);
    const services = await startStackServices({
      ...common,
      env,
      predictorPort: ports.predictor,
      logDir: dirs.logs,
      cwd: options.cwd,
      onReady: (name) => progress(`${name} ready`),
    });
    stops.push(...services.map((service) => async () => void (await service.stop())));
    const exits = [
      nats.exited.then((status) => ({ name: 'nats-server', status })),
      mlflow.exited.then((status) => ({ name: 'mlflow', status })),
      ...services.map((service) => service.exited.then((status) => ({ name: service.name, status }))),
    ];
    return {
      ports,
      dirs,
      natsUrl: nats.url,
      trackingUri: mlflow.trackingUri,
      predictorUrl: `http://127.0.0.1:${ports.predictor}`,
      services,
      firstExit: Promise.race(exits.map(unrequested)),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function stackDirs(dataDir: string): LocalStackDirs {
  return {
    nats: join(dataDir, 'nats'),
    mlflow: join(dataDir, 'mlflow'),
    logs: join(dataDir, 'logs'),
    datasets: join(dataDir, 'datasets'),
  };
}

function log(dirs: LocalStackDirs, name: string): string {
  return join(dirs.logs, `${name}.log`);
}

async function choosePorts(wanted: NonNullable<LocalStackOptions['ports']>): Promise<LocalStackPorts> {
  const pick = async (name: keyof LocalStackPorts) => {
    const port = wanted[name] ?? DEFAULT_PORTS[name];
    return port === 0 ? await findFreePort() : port;
  };
  return { nats: await pick('nats'), mlflow: await pick('mlflow'), predictor: await pick('predictor') };
}

function serviceEnv(
  base: NodeJS.ProcessEnv,
  natsUrl: string,
  trackingUri: string,
  dirs: LocalStackDirs,
  ports: LocalStackPorts,
): NodeJS.ProcessEnv {
  return {
    ...base,
    NATS_URL: natsUrl,
    MLFLOW_TRACKING_URI: trackingUri,
    TRAINER_DATA_DIR: dirs.datasets,
    PREDICTOR_PORT: String(ports.predictor),
    PREDICTOR_MODEL_POLL_MS: '10000',
  };
}

/** A process's end as a stack exit, or a promise that never settles when the end was asked for. */
function unrequested(exit: Promise<StackExit>): Promise<StackExit> {
  return exit.then((e) => (e.status.requested ? new Promise<never>(() => undefined) : e));
}
