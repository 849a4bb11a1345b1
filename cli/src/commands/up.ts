import { dirname, resolve } from 'node:path';
import { DEFAULT_MODEL_NAME } from '@mlops/contracts';
import {
  fetchRefusesPort,
  formatStackEvent,
  type LocalStack,
  LocalStackError,
  SupervisorError,
  startLocalStack,
  UnusableDirError,
} from '@mlops/local-stack';
import type { MlflowClient } from '@mlops/mlflow';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { integerOption, parseFlags, stringOptions } from '../options.js';
import { shellWord } from '../shell-word.js';
import { DATA_DIR_VARIABLE, defaultDataDir } from '../stack-defaults.js';
import { statusClient } from '../status/registry.js';
import { tuneCommand } from './tune.js';
import { clearPendingTuning, defaultTuningId, PENDING_TUNING_FILE, recordPendingTuning } from './up-default-tuning.js';

/** Help text for `mlops up`. */
export const UP_USAGE = `usage: mlops up [--data-dir data] [--nats-port 4222] [--mlflow-port 5000] [--predictor-port 8080]
  [--no-tune | --tune] [--exit-after-tune]
Runs the whole local stack — nats-server (JetStream), MLflow (SQLite + artifact proxy), trainer, tracker,
predictor, monitor — with data under --data-dir, publishes the default tune request, prints the results, and keeps
/predict and the MLflow UI serving until Ctrl-C or mlops down. When the model (MODEL_NAME, default ${DEFAULT_MODEL_NAME}) already
has a champion (a stack started again on its data), that champion is served as it is, not tuned again: the default
tuning's seed data would judge a champion retrained on recent data as worse. A stack stopped during its default
tuning and started again on its data follows that tuning to its version instead of tuning twice (its id waits in
<data-dir>/${PENDING_TUNING_FILE} until mlops up sees it end). --tune tunes at start all the same, under a new id.
The data directory defaults to $MLOPS_DATA_DIR, else ./data. Ports are 0 (a free one) to 65535; the HTTP ones
(--mlflow-port, --predictor-port) not one that browsers and fetch refuse (6000, 5060, 10080, ...). Logs go to
<data-dir>/logs/, the state of every process to <data-dir>/stack.json (see mlops status). A process that exits on
its own is restarted (after 0.5 s, doubling to 10 s); 5 exits of one process within 60 s, or 5 restarts in a row that
never get ready, stop the stack with exit code 1.`;

const FLAGS = ['data-dir', 'nats-port', 'mlflow-port', 'predictor-port'] as const;

/** The highest TCP port; 0 asks for a free one. */
const MAX_PORT = 65_535;

/** `mlops up`: the local stack, in the foreground. */
export async function upCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({
    args,
    options: {
      ...stringOptions(FLAGS),
      'no-tune': { type: 'boolean' },
      tune: { type: 'boolean' },
      'exit-after-tune': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.tune === true && values['no-tune'] === true) throw new UsageError('give --tune or --no-tune, not both');
  const ports = portsOf(values); // a bad port is refused before anything is created
  const interrupt = interruption(io);
  try {
    const stack = await startStack(values, ports, io, interrupt).catch((err: unknown) => {
      if (interrupt.signalled()) return undefined; // the services got the terminal's Ctrl-C too
      throw startFailure(err, values, io);
    });
    if (stack === undefined || interrupt.signalled()) {
      await stopStack(io, stack);
      return 130;
    }
    return await runStack(stack, values, io, interrupt.promise);
  } finally {
    interrupt.dispose();
  }
}

/**
 * A data directory that cannot be made or used (a file in the way, no permission): a usage error, exit code 2. A part
 * that could not start (missing binary, port taken, exited, never ready): one line, exit code 1.
 */
function startFailure(err: unknown, values: UpValues, io: CliIo): unknown {
  if (err instanceof UnusableDirError) return dataDirRefusal(err, values, io);
  if (!(err instanceof LocalStackError || err instanceof SupervisorError)) return err;
  return new UsageError(`the stack did not start: ${err.message}`, 1, { cause: err });
}

/** The data directory (or a directory the stack makes in it) cannot be used: why, and what to give instead. */
function dataDirRefusal(err: UnusableDirError, values: UpValues, io: CliIo): UsageError {
  const dataDir = dataDirOf(values, io);
  const why = err.path === dataDir ? err.reason : err.message;
  const fromVariable = values['data-dir'] === undefined && (io.env[DATA_DIR_VARIABLE] ?? '') !== '';
  const instead = fromVariable
    ? `set ${DATA_DIR_VARIABLE} to another directory, or give --data-dir`
    : 'choose another --data-dir';
  return new UsageError(`cannot use ${dataDir} as the data directory: ${why}: ${instead}`, 2, { cause: err });
}

export type UpValues = { [K in (typeof FLAGS)[number]]?: string | undefined } & {
  'no-tune'?: boolean | undefined;
  tune?: boolean | undefined;
  'exit-after-tune'?: boolean | undefined;
};

/** The flags of ports served over HTTP: probed with fetch, opened in browsers (NATS is not HTTP). */
const HTTP_PORT_FLAGS: readonly string[] = ['mlflow-port', 'predictor-port'];

/**
 * The ports the flags ask for (undefined: the default); one that is no integer from 0 to 65535, or an HTTP port that
 * fetch and browsers refuse (the fetch standard's "bad ports": 6000, 5060, 10080, ...), is a usage error.
 */
function portsOf(values: UpValues): Record<'nats' | 'mlflow' | 'predictor', number | undefined> {
  const port = (flag: 'nats-port' | 'mlflow-port' | 'predictor-port') => {
    const value = integerOption(values, flag);
    if (value !== undefined && (value < 0 || value > MAX_PORT)) {
      throw new UsageError(`--${flag} needs a port from 0 to ${MAX_PORT} (0: a free one), got "${values[flag]}"`);
    }
    if (value !== undefined && HTTP_PORT_FLAGS.includes(flag) && fetchRefusesPort(value)) {
      throw new UsageError(
        `--${flag} ${value} is a port browsers and fetch refuse to connect to (a "bad port" of the fetch standard): choose another`,
      );
    }
    return value;
  };
  return { nats: port('nats-port'), mlflow: port('mlflow-port'), predictor: port('predictor-port') };
}

function startStack(
  values: UpValues,
  ports: ReturnType<typeof portsOf>,
  io: CliIo,
  interrupt: Interruption,
): Promise<LocalStack> {
  return startLocalStack({
    signal: interrupt.abort,
    killSignal: interrupt.kill,
    dataDir: dataDirOf(values, io),
    ports,
    env: { ...io.env },
    cwd: io.cwd,
    onProgress: (message) => io.stderr(`› ${message}\n`),
    onEvent: (event) => io.stderr(`› ${formatStackEvent(event, io.cwd)}\n`),
  });
}

/** The data directory, absolute (`--data-dir` against the working directory; default `$MLOPS_DATA_DIR`, else `data`). */
function dataDirOf(values: UpValues, io: CliIo): string {
  return resolve(io.cwd, values['data-dir'] ?? defaultDataDir(io));
}

/** Stops the stack (if it got as far as starting) and says when it has stopped, and how long that took. */
async function stopStack(io: CliIo, stack: Pick<LocalStack, 'stop'> | undefined): Promise<void> {
  const startedMs = Date.now();
  io.stderr('› stopping the stack\n');
  await stack?.stop();
  io.stderr(`› the stack stopped in ${((Date.now() - startedMs) / 1000).toFixed(1)} s\n`);
}

/**
 * Tunes (unless --no-tune), then serves until Ctrl-C; a crash loop the stack gave up on ends it with 1, a stop signal
 * with 130 (128 + SIGINT, as a shell reports it), during the tuning or after it alike.
 */
export async function runStack(
  stack: Pick<
    LocalStack,
    'natsUrl' | 'failed' | 'dirs' | 'stateFile' | 'predictorUrl' | 'trackingUri' | 'monitorUrl' | 'stop'
  >,
  values: UpValues,
  io: CliIo,
  interrupted: Promise<void>,
): Promise<number> {
  const ended: Promise<typeof SIGNALLED | typeof FAILED> = Promise.race([
    interrupted.then((): typeof SIGNALLED => SIGNALLED),
    stack.failed.then((): typeof FAILED => FAILED),
  ]);
  const abandon = new AbortController();
  try {
    io.stderr(`› stack is up; logs in ${stack.dirs.logs}, state in ${stack.stateFile}\n`);
    const tuning =
      values['no-tune'] === true ? servedAtStart(stack, io) : tuneUnlessServing(stack, values, io, abandon.signal);
    void tuning.catch(() => undefined); // when the stack ends first, the tuning's own end no longer matters
    const tuned = await Promise.race([tuning, ended]);
    if (tuned === FAILED) return 1;
    if (tuned === SIGNALLED) return 130;
    printEndpoints(io, stack, tuned.served, dataDirOf(values, io));
    if (values['exit-after-tune'] === true) return tuned.code;
    return (await ended) === FAILED ? 1 : 130;
  } finally {
    abandon.abort(); // a tuning still waiting closes its connection instead of retrying the stopped nats-server
    await stopStack(io, stack);
  }
}

/**
 * How the start's tuning ended: its exit code, and whether the model has a champion to serve now (`unknown` when
 * MLflow could not be asked).
 */
interface Tuned {
  readonly code: number;
  readonly served: Served;
}

/** A champion version of the model, none, or unknown (MLflow did not answer). */
type Served = { readonly version: string } | 'none' | 'unknown';

/** --no-tune: nothing is tuned; what is served is whatever champion the model has. */
async function servedAtStart(stack: Pick<LocalStack, 'trackingUri'>, io: CliIo): Promise<Tuned> {
  return { code: 0, served: await servedNow(stack, io) };
}

/** The model's champion now, asked of MLflow. */
async function servedNow(stack: Pick<LocalStack, 'trackingUri'>, io: CliIo): Promise<Served> {
  const version = await championVersion(statusClient(io, stack.trackingUri), modelName(io)).catch(() => null);
  return version === null ? 'unknown' : version === undefined ? 'none' : { version };
}

function modelName(io: CliIo): string {
  return io.env.MODEL_NAME ?? DEFAULT_MODEL_NAME;
}

/**
 * The default tuning, unless the model already has a champion (and --tune does not ask for it): a stack started again
 * serves what it served. A registry that cannot be asked is said, and the tuning runs as on a new stack.
 */
async function tuneUnlessServing(
  stack: Pick<LocalStack, 'natsUrl' | 'trackingUri' | 'stateFile'>,
  values: UpValues,
  io: CliIo,
  signal: AbortSignal,
): Promise<Tuned> {
  const name = modelName(io);
  if (values.tune !== true) {
    const champion = await championVersion(statusClient(io, stack.trackingUri), name).catch((err: unknown) => {
      io.stderr(
        `› could not ask MLflow for ${name}'s champion (${(err as Error).message}): tuning as on a new stack\n`,
      );
      return undefined;
    });
    if (champion !== undefined) {
      io.stderr(
        `› ${name} already has a champion, version ${champion}: serving it, not tuning again (mlops tune tunes; mlops up --tune tunes at start)\n`,
      );
      return { code: 0, served: { version: champion } };
    }
  }
  // The default tuning: one an earlier start on this data left under way (stopped during it) is followed to its end
  // under its id; else a new one, its id recorded until it is seen to end. --tune asks for a new tuning: a new id.
  const dataDir = dirname(stack.stateFile);
  const id = values.tune === true ? undefined : await defaultTuningId(dataDir);
  if (id !== undefined && !(await recordPendingTuning(dataDir, id))) {
    io.stderr(`› could not record the default tuning's id in ${dataDir}: a restart during it would tune anew\n`);
  }
  const model = io.env.MODEL_NAME === undefined ? [] : ['--model-name', name];
  const code = await tuneCommand(['--nats', stack.natsUrl, ...model, ...(id ? ['--tuning-id', id] : [])], io, signal);
  if (signal.aborted) return { code, served: 'unknown' };
  if (id !== undefined) await clearPendingTuning(dataDir);
  const served = await servedNow(stack, io);
  if (served === 'none' && values.tune !== true) {
    io.stderr(
      `› the default tuning (${id}) left ${name} without a champion: nothing is served; mlops tune (or mlops up again) tunes anew\n`,
    );
  }
  return { code, served };
}

/** The version behind the model's `champion` alias, undefined when it has none (or is not registered). */
async function championVersion(mlflow: MlflowClient, name: string): Promise<string | undefined> {
  const model = await mlflow.getRegisteredModel(name);
  return model?.aliases.find((a) => a.alias === 'champion')?.version;
}

/** How the stack ended before the user's tuning or Ctrl-C: a crash loop it gave up on (reported by onEvent). */
const FAILED = Symbol('stack failed');
/** Ctrl-C or SIGTERM. */
const SIGNALLED = Symbol('signalled');

function printEndpoints(
  io: CliIo,
  stack: Pick<LocalStack, 'predictorUrl' | 'trackingUri' | 'monitorUrl'>,
  served: Served,
  dataDir: string,
): void {
  const predictUrl = `${stack.predictorUrl}/predict`;
  io.stdout(
    `\nMLflow UI:  ${stack.trackingUri}\n/predict:   ${predictUrl}\nmetrics:    ${stack.monitorUrl}/metrics (monitor: drift, live performance)\n`,
  );
  if (served === 'none') {
    io.stdout(
      `try:        no model yet (/predict answers 503): tune one from another terminal with mlops tune, or start with mlops up --tune\n`,
    );
  } else {
    io.stdout(
      `try:        curl -s -X POST ${predictUrl} -H 'content-type: application/json' -d '{"features": [${Array(20).fill(0).join(', ')}]}'\n`,
    );
  }
  if (dataDir !== resolve(io.cwd, 'data')) {
    io.stdout(
      `elsewhere:  export MLOPS_DATA_DIR=${shellWord(dataDir)}  (other terminals' mlops commands find this stack)\n`,
    );
  }
}

/** The first Ctrl-C, SIGTERM or SIGHUP: a promise, an abort signal for the start-up, the kill switch, the unhooking. */
interface Interruption {
  readonly promise: Promise<void>;
  readonly abort: AbortSignal;
  /** Aborted on a second signal or when this process exits with the stack not stopped: every process is SIGKILLed. */
  readonly kill: AbortSignal;
  signalled(): boolean;
  dispose(): void;
}

/** The signals that stop the stack: Ctrl-C, a service manager's stop, the terminal closing. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The first stop signal, from the start on; during the start-up it takes effect once the part starting then
 * (nats-server, MLflow, or the four services) is up or failed. A second one forces: every process of the stack, those
 * still starting too, is SIGKILLed and this process exits 130. So is it whenever this process exits before the stack
 * stopped (a crash): nats-server and MLflow run in process groups of their own and would outlive it.
 */
function interruption(io: CliIo): Interruption {
  const controller = new AbortController();
  const kill = new AbortController();
  const killAll = () => kill.abort();
  let onSignal: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    onSignal = () => {
      if (controller.signal.aborted) {
        io.stderr('› interrupted again: killing the stack\n');
        killAll();
        process.exit(130);
      }
      io.stderr('› interrupted: stopping (again to force)\n');
      controller.abort(new UsageError('interrupted by a signal', 130));
      resolve();
    };
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  });
  process.on('exit', killAll);
  return {
    promise,
    abort: controller.signal,
    kill: kill.signal,
    signalled: () => controller.signal.aborted,
    dispose: () => {
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
      process.off('exit', killAll);
    },
  };
}
