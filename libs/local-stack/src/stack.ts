import { rmdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import {
  type ExitStatus,
  fetchRefusesPort,
  findFreePort,
  NotReadyError,
  ProcessExitedError,
  type SupervisedProcess,
  type SupervisorLogger,
} from '@mlops/supervisor';
import { LocalStackError } from './errors.js';
import { named } from './keeper.js';
import { type MlflowServerHandle, startMlflowServer } from './mlflow-server.js';
import { type NatsServerHandle, startNatsServer } from './nats-server.js';
import { createPrivateDir, makePrivateDir } from './private-files.js';
import { processStart, processStartNow } from './process-table.js';
import type { Clock, RestartPolicyOptions } from './restart-policy.js';
import { type StackService, startStackServices } from './services.js';
import { describeExit, type ProcessGaveUpEvent, type StackEvent } from './stack-events.js';
import { createStackStateWriter, type StackState } from './stack-state.js';
import { claimDataDir, refuseTakenPort } from './start-guards.js';
import { type StackPart, StackSupervision } from './supervision.js';

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
  /** nats/ (JetStream store), mlflow/ (database, artifacts), logs/, datasets/ and stack.json live here; kept on stop. */
  readonly dataDir: string;
  /** Each one defaults to {@link DEFAULT_PORTS}; 0 picks a free port. */
  readonly ports?: { readonly [K in keyof LocalStackPorts]?: number | undefined } | undefined;
  /** The environment the services start from (configuration such as LOG_LEVEL). @defaultValue process.env */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** The services' working directory. @defaultValue the repository root */
  readonly cwd?: string | undefined;
  /** One short line per step ("trainer ready"), for a console. */
  readonly onProgress?: ((message: string) => void) | undefined;
  /** Every exit, restart and crash loop of a process once the stack is up (format with `formatStackEvent`). */
  readonly onEvent?: ((event: StackEvent) => void) | undefined;
  /** Backoff and crash-loop window of the restarts. @defaultValue DEFAULT_RESTART_POLICY */
  readonly restartPolicy?: RestartPolicyOptions | undefined;
  /** Aborts the start-up between its steps (what started is stopped, the abort reason thrown); no effect once up. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Aborted, SIGKILLs every process of the stack at once, those still starting too, and none is restarted after:
   * for a caller that must end now (a second Ctrl-C, a crash), since nats-server and MLflow run in process groups of
   * their own and would outlive it holding the ports. Data stays.
   */
  readonly killSignal?: AbortSignal | undefined;
  /** The restart policy's clock. @defaultValue Date.now */
  readonly clock?: Clock | undefined;
  readonly logger?: SupervisorLogger | undefined;
}

/** Where the local stack keeps its state and logs. */
export interface LocalStackDirs {
  readonly nats: string;
  readonly mlflow: string;
  readonly logs: string;
  readonly datasets: string;
}

/** The crash loop that made the stack give up: which process, what happened last, its last log lines. */
export type StackFailure = ProcessGaveUpEvent;

/** The running local stack: nats-server, MLflow, trainer, tracker, predictor, monitor, each restarted on a crash. */
export interface LocalStack {
  readonly ports: LocalStackPorts;
  readonly dirs: LocalStackDirs;
  readonly natsUrl: string;
  readonly trackingUri: string;
  readonly predictorUrl: string;
  /** The monitor's HTTP server (`/metrics` for Prometheus, `/ready`), on a free port. */
  readonly monitorUrl: string;
  /** trainer, tracker, predictor, monitor (a restart keeps the object; `pid` is the current run's). */
  readonly services: readonly SupervisedProcess[];
  /** `<dataDir>/stack.json`, rewritten on every change (read it with `readStackState`). */
  readonly stateFile: string;
  /** Resolves when a process is in a crash loop and stays down (never when all goes well); the caller stops the stack. */
  readonly failed: Promise<StackFailure>;
  /** The state as written to the state file last. */
  state(): StackState;
  /** Restarts so far, per process name. */
  restarts(): Record<string, number>;
  /** No more restarts; stops the services (monitor, predictor, tracker, trainer), MLflow, nats-server; data stays. */
  stop(): Promise<void>;
}

type Stop = () => Promise<void>;

/**
 * Starts the whole local stack in order, each part once the previous answers; on a failure stops what started. Once
 * up, a process that ends on its own is restarted (see {@link StackSupervision}).
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dirs = stackDirs(options.dataDir);
  const progress = options.onProgress ?? (() => undefined);
  refuseBadPorts(options.ports ?? {});
  refuseSharedPorts(options.ports ?? {});
  const created = await makeDataDir(options.dataDir, progress);
  const release = await claimDataDir(options.dataDir, progress);
  let ports: LocalStackPorts;
  try {
    await Promise.all(Object.values(dirs).map((dir) => makePrivateDir(dir)));
    ports = await choosePorts(options.ports ?? {});
  } catch (err) {
    await release();
    // Refused before anything started (a port in use): a data directory made for this stack goes again.
    if (created !== undefined) await removeEmptyDirs([...Object.values(dirs), options.dataDir], created);
    throw err;
  }
  progress(`nats-server on ${ports.nats}, MLflow on ${ports.mlflow} (data in ${options.dataDir})`);
  const state = createStackStateWriter(
    options.dataDir,
    endpoints(ports),
    (err) => progress(`cannot write the state file: ${err.message}`),
    await processStart(process.pid),
  );
  // A forced end SIGKILLs every process at once; the file says so before the caller exits.
  options.killSignal?.addEventListener('abort', () => state.recordKilledNow(), { once: true });
  const stops: Stop[] = [];
  const spawned = (name: string, health: string) => (pid: number) => {
    const start = processStartNow(pid);
    state.recordSpawn({ name, log: log(dirs, name), health }, pid, start);
    if (start === null) void processStart(pid).then((later) => state.recordStart(name, pid, later));
  };
  try {
    const common = { logger: options.logger, killSignal: options.killSignal };
    const nats = await startNatsServer({
      ...common,
      onSpawn: spawned('nats-server', natsHealth(ports)),
      port: ports.nats,
      storeDir: dirs.nats,
      logFile: log(dirs, 'nats-server'),
    });
    stops.push(() => nats.stop());
    const started = [endWatch('nats-server', nats.exited, log(dirs, 'nats-server'))];
    options.signal?.throwIfAborted();
    const mlflow = await afterStep(
      started,
      startMlflowServer({
        ...common,
        onSpawn: spawned('mlflow', mlflowHealth(ports)),
        port: ports.mlflow,
        dataDir: dirs.mlflow,
        workers: MLFLOW_WORKERS,
        logFile: log(dirs, 'mlflow'),
      }),
    );
    stops.push(() => mlflow.stop());
    started.push(endWatch('MLflow', mlflow.exited, log(dirs, 'mlflow')));
    options.signal?.throwIfAborted();
    const env = serviceEnv(options.env ?? process.env, nats.url, mlflow.trackingUri, dirs, ports);
    const services = await afterStep(
      started,
      startStackServices({
        ...common,
        env,
        predictorPort: ports.predictor,
        logDir: dirs.logs,
        cwd: options.cwd,
        // A stop asked for meanwhile is said already: no service is announced ready after it.
        onReady: (name) => {
          if (options.signal?.aborted !== true) progress(`${name} ready`);
        },
        onSpawn: (name, pid, health) => spawned(name, health)(pid),
        onMoved: (name, health) => options.onEvent?.({ type: 'moved', name, health, log: log(dirs, name) }),
      }),
    );
    // Until supervision takes them over, a failure stops the services too (before MLflow and nats-server).
    for (const service of services) stops.push(async () => void (await service.process.stop()));
    options.signal?.throwIfAborted();
    const supervision = new StackSupervision(stackParts(dirs, ports, nats, mlflow, services), {
      ...options,
      policy: options.restartPolicy,
      state,
    });
    state.setStack('running');
    return {
      ports,
      dirs,
      natsUrl: nats.url,
      trackingUri: mlflow.trackingUri,
      predictorUrl: `http://127.0.0.1:${ports.predictor}`,
      monitorUrl: new URL(services.find((s) => s.process.name === 'monitor')?.healthUrl ?? 'http://127.0.0.1:0').origin,
      services: services.map((service) => service.process),
      stateFile: state.file,
      failed: supervision.failed,
      state: () => state.state,
      restarts: () => supervision.restarts(),
      stop: once(async () => {
        await supervision.stopAll();
        await release();
      }),
    };
  } catch (err) {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    state.stopAllProcesses();
    const part = partThatFailed(err);
    // `mlops status` names it afterwards: the console that said why may be gone (a stack run under nohup).
    if (part !== undefined) {
      state.updateProcess(part.name, {
        state: 'failed',
        last_exit: { at: new Date().toISOString(), reason: part.reason },
      });
    }
    state.setStack(options.signal?.aborted === true ? 'stopped' : 'failed');
    await state.flush();
    await release();
    throw err;
  }
}

/**
 * The process a failed start-up failed on, and why in one line (how it ended, then the last line it printed: a
 * configuration error names its variable there); undefined for any other failure (a port taken, a binary missing).
 */
function partThatFailed(err: unknown): { name: string; reason: string } | undefined {
  if (!(err instanceof ProcessExitedError || err instanceof NotReadyError)) return undefined;
  const how = err.message
    .split('\n', 1)[0]!
    .slice(err.processName.length + 1)
    .replace(/:$/, '');
  const said = err.output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .at(-1);
  const reason = said === undefined ? how : `${how}: ${said}`;
  return { name: err.processName, reason: reason.length > 300 ? `${reason.slice(0, 299)}…` : reason };
}

/** A part started earlier in the start-up, and how it ended if it did. */
interface EndWatch {
  readonly name: string;
  readonly log: string;
  ended: ExitStatus | undefined;
}

function endWatch(name: string, exited: Promise<ExitStatus>, logFile: string): EndWatch {
  const watch: EndWatch = { name, log: logFile, ended: undefined };
  void exited.then((status) => {
    watch.ended = status;
  });
  return watch;
}

/**
 * The result of a start step, unless a part started before it ended meanwhile: then that is the failure to report
 * (the step's own error, e.g. services not ready without NATS, would hide it), whether the step succeeded or not.
 */
async function afterStep<T extends { stop(): Promise<unknown> } | readonly StackService[]>(
  started: readonly EndWatch[],
  step: Promise<T>,
): Promise<T> {
  const outcome = await step.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  const gone = started.find((part) => part.ended !== undefined);
  if (gone === undefined) {
    if (outcome.ok) return outcome.value;
    throw outcome.err;
  }
  if (outcome.ok) await stopStep(outcome.value);
  throw new LocalStackError(
    `${gone.name} ${describeExit(gone.ended as ExitStatus)} during the start-up — log: ${gone.log}`,
  );
}

async function stopStep(started: { stop(): Promise<unknown> } | readonly StackService[]): Promise<void> {
  const parts = 'stop' in started ? [started] : started.map((service) => service.process);
  await Promise.all(parts.map((part) => part.stop().catch(() => undefined)));
}

function stackParts(
  dirs: LocalStackDirs,
  ports: LocalStackPorts,
  nats: NatsServerHandle,
  mlflow: MlflowServerHandle,
  services: readonly StackService[],
): StackPart[] {
  return [
    { target: named('nats-server', nats), log: log(dirs, 'nats-server'), health: natsHealth(ports) },
    { target: named('mlflow', mlflow), log: log(dirs, 'mlflow'), health: mlflowHealth(ports) },
    ...services.map((s) => ({ target: s.process, log: log(dirs, s.process.name), health: s.healthUrl })),
  ];
}

function natsHealth(ports: LocalStackPorts): string {
  return `tcp://127.0.0.1:${ports.nats}`;
}

function mlflowHealth(ports: LocalStackPorts): string {
  return `http://127.0.0.1:${ports.mlflow}/health`;
}

function endpoints(ports: LocalStackPorts): StackState['endpoints'] {
  return {
    nats: `nats://127.0.0.1:${ports.nats}`,
    mlflow: `http://127.0.0.1:${ports.mlflow}`,
    predictor: `http://127.0.0.1:${ports.predictor}`,
  };
}

function once(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= run();
    return running;
  };
}

/**
 * Creates the data directory for its user alone; one that exists keeps its mode (the user's own choice), with a
 * warning when other users may enter it: models, data sets (customer rows with labels) and logs go there.
 */
async function makeDataDir(dataDir: string, progress: (message: string) => void): Promise<string | undefined> {
  const { created, openMode: mode } = await createPrivateDir(dataDir);
  if (mode === undefined) return created;
  progress(
    `warning: other users can enter ${dataDir} (mode ${mode.toString(8)}), which keeps the models, data sets and logs: chmod 700 ${dataDir} to keep them to yourself`,
  );
  return created;
}

/**
 * Removes `dirs` (the data directory's own first, then the data directory) and the parents of the last one up to
 * `created`, the first directory the start-up made, each only while empty: whatever another process put there since
 * (another `mlops up` taking the directory) stays, and so does every directory above it.
 */
async function removeEmptyDirs(dirs: readonly string[], created: string): Promise<void> {
  for (const dir of dirs.slice(0, -1)) await rmdir(dir).catch(() => undefined);
  let dir = dirs.at(-1);
  while (dir !== undefined && !relative(created, dir).startsWith('..')) {
    const removed = await rmdir(dir).then(
      () => true,
      () => false,
    );
    if (!removed || dir === created) return;
    dir = dirname(dir);
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

/** What listens on each port of the stack, as error messages name it. */
const PORT_OWNERS: Record<keyof LocalStackPorts, string> = {
  nats: 'nats-server',
  mlflow: 'MLflow',
  predictor: 'the predictor',
};

/** The highest TCP port. */
const MAX_PORT = 65_535;

/** The ports the stack's readiness probes (and browsers) reach over HTTP; NATS is not HTTP. */
const HTTP_PORTS: readonly (keyof LocalStackPorts)[] = ['mlflow', 'predictor'];

/**
 * Refuses a port that is no integer from 0 (a free one) to 65535, or an HTTP port fetch refuses (its readiness probe
 * could never reach it), before anything is created.
 */
function refuseBadPorts(wanted: NonNullable<LocalStackOptions['ports']>): void {
  for (const name of Object.keys(DEFAULT_PORTS) as (keyof LocalStackPorts)[]) {
    const port = wanted[name];
    if (port === undefined) continue;
    if (!(Number.isInteger(port) && port >= 0 && port <= MAX_PORT)) {
      throw new LocalStackError(
        `port ${port} for ${PORT_OWNERS[name]} is no port (0, a free one, to ${MAX_PORT}): choose another --${name}-port`,
      );
    }
    if (HTTP_PORTS.includes(name) && fetchRefusesPort(port)) {
      throw new LocalStackError(
        `port ${port} for ${PORT_OWNERS[name]} is one browsers and fetch refuse to connect to: choose another --${name}-port`,
      );
    }
  }
}

/**
 * Refuses one fixed port for two of the stack's servers (the second would fail only once the first is up, after its
 * own start-up wait), naming both flags; 0 (a free port each) may repeat.
 */
function refuseSharedPorts(wanted: NonNullable<LocalStackOptions['ports']>): void {
  const names = Object.keys(DEFAULT_PORTS) as (keyof LocalStackPorts)[];
  const port = (name: keyof LocalStackPorts) => wanted[name] ?? DEFAULT_PORTS[name];
  for (const [i, first] of names.entries()) {
    const second = names.slice(i + 1).find((other) => port(other) !== 0 && port(other) === port(first));
    if (second === undefined) continue;
    throw new LocalStackError(
      `port ${port(first)} is given to both ${PORT_OWNERS[first]} (--${first}-port) and ${PORT_OWNERS[second]} (--${second}-port): choose another for one of them`,
    );
  }
}

async function choosePorts(wanted: NonNullable<LocalStackOptions['ports']>): Promise<LocalStackPorts> {
  const pick = async (name: keyof LocalStackPorts) => {
    const port = wanted[name] ?? DEFAULT_PORTS[name];
    if (port === 0) return await findFreePort();
    await refuseTakenPort(PORT_OWNERS[name], port, `--${name}-port`);
    return port;
  };
  return { nats: await pick('nats'), mlflow: await pick('mlflow'), predictor: await pick('predictor') };
}

/**
 * MLflow's server processes and the tracker's events at once in the local stack (as in docker-compose.yml): with two
 * workers, four events at once mirror a 1,000-trial tuning about 30 % faster than one worker in order, even on SQLite
 * (bench/tune: 112.7 → 81.6 s with every model, 48.9 → 37.5 s with the top 5).
 */
const MLFLOW_WORKERS = 2;
const TRACKER_CONCURRENCY = 4;

/**
 * The services' environment: `base` with the stack's addresses, and a fixed PREDICTOR_INSTANCE unless `base` sets one
 * (even empty): the predictor's durable consumer stays `predictor-predictor` whatever port it gets (with port 0 its
 * default name changes at every start, and each old consumer lingered with the events it missed). TRACKER_CONCURRENCY
 * is the stack's own unless `base` gives a value: an empty one (an .env template's `TRACKER_CONCURRENCY=`) is unset.
 */
export function serviceEnv(
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
    PREDICTOR_INSTANCE: base.PREDICTOR_INSTANCE ?? 'predictor',
    TRACKER_CONCURRENCY: base.TRACKER_CONCURRENCY || String(TRACKER_CONCURRENCY), // empty: the tracker refuses it
  };
}
