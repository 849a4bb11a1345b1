import { randomUUID } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import {
  type DeadLetter,
  readStoredEvents,
  requestReply,
  shownServer,
  watchDeadLetters,
  watchEvents,
} from '@mlops/bus';
import {
  CONSUMERS,
  type Distribution,
  type EventData,
  type EventSubject,
  parseTuneRequest,
  refusesAcceptedTuning,
  SUBJECTS,
  type TuneReply,
  type TuneRequestInput,
} from '@mlops/contracts';
import { pidAlive, type StackState } from '@mlops/local-stack';
import type { NatsConnection } from '@nats-io/transport-node';
import { CSV_FORMAT_USAGE, csvFormatOption } from '../csv.js';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { connectCli, connectionLost, endConnection, isNoResponders, NO_SUBSCRIBER_HINT } from '../nats-connection.js';
import {
  integerOption,
  numberListOption,
  numberOption,
  parseFlags,
  type RawOptions,
  stringOptions,
} from '../options.js';
import { callPredictor } from '../predictor-http.js';
import { shellWord } from '../shell-word.js';
import { runningStackState } from '../stack-defaults.js';
import { classWeightValue, distributionValue, penaltyValue } from '../tune/hyperparameters.js';
import { pastOutcome } from '../tune/past-outcome.js';
import { columnReport, emptyProgress, progressBar, resultsTable, type TuningProgress } from '../tune/report.js';

/** Help text for `mlops tune`. */
export const TUNE_USAGE = `usage: mlops tune [--nats nats://127.0.0.1:4222] [--C 0.01,0.1,1,10,100] [--solver liblinear,lbfgs,saga]
  [--csv PATH --target y] [--metric accuracy|f1|roc_auc|log_loss|precision|recall] [--tuning-id ID]
  [--experiment NAME] [--model-name NAME] [--timeout 600]
  [--cv 5] (stratified k-fold cross-validation on the training split, 2-20 folds: the best is picked on the mean)
  [--random N [--seed 42]] (random search: N candidates drawn as RandomizedSearchCV does; --C and --l1-ratio may
  then be a distribution: loguniform:LOW:HIGH or uniform:LOC:SCALE, e.g. --C loguniform:0.001:100)
  [--top-k 5] (log the model of the best 5 trials only; the others keep their params and metrics in MLflow)
  [--test-size 0.2] (a fraction in (0, 1) or a row count) [--split-random-state 42] [--stratify] (the train/test split)
  [--penalty l2,l1,elasticnet,none] [--l1-ratio 0.2,0.8] (elasticnet only; pairs a solver cannot fit are skipped)
  [--class-weight balanced|none|0:1,1:3] (repeat the flag for more values; keys: class values or text labels)
  CSV files: ${CSV_FORMAT_USAGE}
  CSV tables: [--exclude a,b] [--categorical a,b] [--numeric a,b] (column roles over the inferred ones)
  [--scale true,false] [--impute mean,median,most_frequent,constant] [--categorical-missing most_frequent,category]
Publishes a tune request, shows progress as runs finish, prints the results table and the registered version.
Without options it runs the seed experiment (15 trials). The same request with the plain nats CLI:
  nats request tune.requested '{}'
List flags (--C, --solver, --penalty, --l1-ratio, --scale, --impute, --categorical-missing, --exclude, --categorical,
--numeric) take comma lists and add up when repeated (--C 1 --C 10 is --C 1,10); other flags are given once.
--model-name without --experiment logs into the experiment of that name (mlops status --name finds it there).
--csv PATH: relative to the trainer's data directory; a path from the current directory to a file inside the
recorded stack's (<data dir>/datasets) works too.
Ctrl-C, --timeout or a lost NATS connection stop the waiting, not the tuning: the same command with --tuning-id ID
(printed then) joins it again, showing its progress so far, or says what it came to.`;

/** Flags given once (a repeat is refused). */
const FLAGS = [
  'nats',
  'csv',
  'target',
  'metric',
  'tuning-id',
  'experiment',
  'model-name',
  'timeout',
  'cv',
  'random',
  'seed',
  'top-k',
  'test-size',
  'split-random-state',
  'delimiter',
  'decimal',
] as const;

/** Flags that take a comma-separated list: repeats add up (`--C 1 --C 10` is `--C 1,10`). */
const LIST_FLAGS = [
  'C',
  'solver',
  'penalty',
  'l1-ratio',
  'scale',
  'impute',
  'categorical-missing',
  'exclude',
  'categorical',
  'numeric',
] as const;

/**
 * parseArgs options of `mlops tune`: the list flags and `--class-weight` (one grid value each) may be repeated;
 * `--stratify` is a switch.
 */
const OPTIONS = {
  ...stringOptions(FLAGS),
  ...Object.fromEntries(LIST_FLAGS.map((name) => [name, { type: 'string', multiple: true }])),
  'class-weight': { type: 'string', multiple: true },
  stratify: { type: 'boolean' },
} as const;

/**
 * `mlops tune`: one tuning over the bus, from request to registered model. `signal` (the caller gave up, e.g. the
 * stack it runs on is stopping) ends the wait with 130 and closes the connection without draining; without it, a
 * Ctrl-C does so, saying that the tuning goes on and how to follow it. A connection lost for good ends it with 1.
 */
export async function tuneCommand(args: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const { values, classWeights } = parseTuneArgs(args);
  const request = buildRequest(values, classWeights);
  // The trainer checks the request by the same schema: saying so here needs no stack and names every problem.
  const checked = parseTuneRequest(request);
  if (!checked.ok) {
    const problems = checked.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    throw new UsageError(`the tune request would be refused: ${problems}`);
  }
  const tuningId = request.tuning_id;
  const timeoutMs = timeoutOf(values) * 1000;
  if (request.dataset?.kind === 'csv')
    request.dataset = { ...request.dataset, path: await trainerDatasetPath(io, request.dataset.path, values.nats) };
  const follow = `follow it with: ${followCommand(args, tuningId)}`;
  const nc = await connectCli(io, typeof values.nats === 'string' ? values.nats : undefined);
  const screen = progressScreen(io);
  const interrupt = interruption(signal);
  let isAccepted = false;
  const abandoned = interrupt.signalled.then(() => {
    if (signal !== undefined) return 130; // the caller says why it stopped
    const what = isAccepted
      ? `interrupted; tuning ${tuningId} continues on the stack`
      : `interrupted before the trainer answered; if it accepted the request, tuning ${tuningId} runs on the stack`;
    screen.say(`mlops tune: ${what}: ${follow}\n`);
    return 130;
  });
  let waiting = true;
  const lost = connectionLost(
    nc,
    `waiting for tuning ${tuningId}; it continues when the stack is back: ${follow}`,
  ).catch((err: unknown) => {
    if (waiting) screen.say(''); // the error's line starts on a line of its own, after the progress bar
    throw err;
  });
  try {
    const watch = watchTuning(nc, tuningId, screen);
    const sentAtMs = Date.now();
    const reply = await Promise.race([sendRequest(nc, request), abandoned, lost]);
    if (typeof reply === 'number') return reply;
    if (reply.status === 'rejected') {
      screen.say(`tune request rejected:\n${problemLines(reply.errors)}\n`);
      return 1;
    }
    isAccepted = true;
    screen.say(`accepted: tuning ${reply.tuning_id}, ${reply.trial_count} trials\n`);
    watch.accepted();
    if (values['tuning-id'] !== undefined) {
      const ended = await Promise.race([
        endedBefore(nc, { tuningId, sentAtMs, claim: watch.claim }, screen),
        abandoned,
        lost,
      ]);
      if (ended !== undefined) return ended;
      // Still running (a repeat of a request under way): what it did so far, before the live events.
      const caughtUp = await Promise.race([
        watch.catchUp().then(
          () => undefined,
          () => undefined,
        ),
        abandoned,
        lost,
      ]);
      if (typeof caughtUp === 'number') return caughtUp;
    }
    const expired = timeout({ ms: timeoutMs, tuningId, follow, trackerDue: watch.trackerDue }, screen);
    const code = await Promise.race([watch.outcome, expired, abandoned, lost]);
    const registered = watch.registeredName();
    const note = registered === undefined ? undefined : await servedElsewhereNote(io, values.nats, registered);
    if (note !== undefined) screen.say(note);
    return code;
  } finally {
    waiting = false;
    interrupt.unhook();
    // A connection left to reconnect to a server that is gone would keep this process alive for its retries.
    await endConnection(nc, !(signal?.aborted === true || interrupt.fired()));
  }
}

/**
 * The stop `mlops tune` waits for besides its tuning: the caller's `signal`, or without one a Ctrl-C (SIGINT) of this
 * process, hooked until `unhook`.
 */
function interruption(signal: AbortSignal | undefined): {
  signalled: Promise<void>;
  fired: () => boolean;
  unhook: () => void;
} {
  let fired = false;
  let unhook = () => {};
  const signalled = new Promise<void>((resolve) => {
    const fire = () => {
      fired = true;
      resolve();
    };
    if (signal !== undefined) {
      if (signal.aborted) fire();
      signal.addEventListener('abort', fire, { once: true });
      unhook = () => signal.removeEventListener('abort', fire);
    } else {
      process.once('SIGINT', fire);
      unhook = () => process.off('SIGINT', fire);
    }
  });
  return { signalled, fired: () => fired, unhook };
}

/**
 * The command that follows tuning `tuningId` from another terminal or later: the same request again under its id
 * (the trainer runs an id once, so it is accepted and not run again; the CLI shows the tuning's progress so far and
 * waits for its end, or says at once what it came to).
 */
export function followCommand(args: readonly string[], tuningId: string): string {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--tuning-id') i++;
    else if (arg.startsWith('--nats=')) kept.push(`--nats=${withoutCredentials(arg.slice('--nats='.length))}`);
    else if (!arg.startsWith('--tuning-id=')) kept.push(args[i - 1] === '--nats' ? withoutCredentials(arg) : arg);
  }
  return ['mlops', 'tune', ...kept, '--tuning-id', tuningId].map(shellWord).join(' ');
}

/** NATS URLs without their user and password (a printed command must not show them: NATS_USER and friends do). */
function withoutCredentials(servers: string): string {
  return servers.split(',').map(shownServer).join(',');
}

/**
 * The CSV path to send: the trainer reads paths relative to its data directory (the recorded stack's
 * `<data dir>/datasets`), so a path given relative to the current directory that exists there and lies inside it is
 * sent relative to it; one that exists but lies outside is refused naming the directory. Any other path is sent as
 * given (relative to the trainer's directory, or for a stack the CLI has no state file of).
 */
export async function trainerDatasetPath(
  io: Pick<CliIo, 'cwd' | 'env'>,
  path: string,
  natsFlag?: string | boolean,
): Promise<string> {
  const stack = await stackOfTuning(io, natsFlag);
  if (stack === undefined) return path;
  const trainerDir = await realpath(join(resolve(io.cwd, stack.data_dir), 'datasets')).catch(() => undefined);
  const here = await realpath(resolve(io.cwd, path)).catch(() => undefined);
  if (trainerDir === undefined || here === undefined) return path;
  const inside = relative(trainerDir, here);
  if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return inside;
  // Also a file of the trainer's directory under that name: the path means that one, as it always did.
  if (!isAbsolute(path) && (await realpath(resolve(trainerDir, path)).catch(() => undefined)) !== undefined)
    return path;
  throw new UsageError(
    `--csv ${path}: the trainer reads CSVs only inside its data directory ${trainerDir}: copy it there`,
  );
}

/**
 * The recorded local stack a tuning goes to: running (its `mlops up` alive) and the NATS of the command (no --nats
 * or NATS_URL naming another); undefined otherwise.
 */
async function stackOfTuning(
  io: Pick<CliIo, 'cwd' | 'env'>,
  natsFlag: string | boolean | undefined,
): Promise<StackState | undefined> {
  const stack = await runningStackState(io);
  const named = typeof natsFlag === 'string' ? natsFlag : io.env.NATS_URL;
  if (stack === undefined || !pidAlive(stack.pid) || (named !== undefined && named !== stack.endpoints.nats))
    return undefined;
  return stack;
}

/**
 * A note when the stack's predictor serves another model than the one a tuning registered (a misspelt
 * --model-name makes a new model nobody serves); undefined when it serves it, serves nothing yet or cannot be asked.
 */
export async function servedElsewhereNote(
  io: Pick<CliIo, 'cwd' | 'env'>,
  natsFlag: string | boolean | undefined,
  registered: string,
): Promise<string | undefined> {
  const predictor = (await stackOfTuning(io, natsFlag))?.endpoints.predictor;
  if (predictor === undefined) return undefined;
  const answer = await callPredictor(`${predictor}/ready`, io.env, undefined, NOTE_TIMEOUT_MS).catch(() => undefined);
  const body = (await answer?.json().catch(() => undefined)) as { model?: { name?: unknown } } | undefined;
  const served = body?.model?.name;
  if (typeof served !== 'string' || served === registered) return undefined;
  return `note: the stack's predictor (${predictor}) serves ${served}, not ${registered} (a misspelt --model-name makes a new model; MODEL_NAME=${registered} serves this one)\n`;
}

/** How long the served-model note waits for the predictor: it is a courtesy, not worth a wait. */
const NOTE_TIMEOUT_MS = 2000;

/** The tune request `mlops tune` publishes for these arguments (a usage error names a bad flag). */
export function tuneRequestOf(args: string[]): TuneRequestInput & { tuning_id: string } {
  const { values, classWeights } = parseTuneArgs(args);
  return buildRequest(values, classWeights);
}

/**
 * The flags as one value each (a list flag's repeats joined by commas; a single-valued flag given twice is refused),
 * and the values of the repeatable `--class-weight`.
 */
function parseTuneArgs(args: string[]): { values: RawOptions; classWeights: string[] | undefined } {
  const parsed = parseFlags({ args, options: OPTIONS, strict: true, allowPositionals: false }).values as Record<
    string,
    string | boolean | string[] | undefined
  >;
  const { 'class-weight': classWeights, ...rest } = parsed;
  const values: RawOptions = {};
  for (const [name, value] of Object.entries(rest)) {
    if (!Array.isArray(value)) values[name] = value;
    else values[name] = joinedList(name, value);
  }
  return { values, classWeights: classWeights as string[] | undefined };
}

/** A list flag's repeats as one comma list; a distribution (`--C loguniform:…`) is refused in company. */
function joinedList(flag: string, given: readonly string[]): string {
  if (given.length > 1 && given.some((text) => distributionValue(text, flag) !== undefined))
    throw new UsageError(`--${flag}: a distribution is given alone, not repeated or with other values`);
  return given.join(',');
}

/** `--timeout` in seconds (default 600), checked before anything is sent. */
function timeoutOf(values: RawOptions): number {
  const seconds = integerOption(values, 'timeout') ?? 600;
  if (seconds <= 0)
    throw new UsageError(`--timeout needs a positive number of seconds, got "${String(values.timeout)}"`);
  return seconds;
}

/** Flags that describe a CSV table: without `--csv` they would be dropped and the synthetic data set trained. */
const CSV_ONLY_FLAGS = ['target', 'exclude', 'categorical', 'numeric', 'delimiter', 'decimal'] as const;

function buildRequest(
  values: RawOptions,
  classWeights: readonly string[] | undefined,
): TuneRequestInput & { tuning_id: string } {
  const csvOnly = CSV_ONLY_FLAGS.filter((flag) => values[flag] !== undefined);
  if (typeof values.csv !== 'string' && csvOnly.length > 0)
    throw new UsageError(`${csvOnly.map((f) => `--${f}`).join(', ')} describe a CSV table: add --csv PATH`);
  timeoutOf(values);
  const grid: Record<string, unknown> = {};
  const distributions = distributionsOf(values);
  const C = distributions.C === undefined ? numberListOption(values, 'C') : undefined;
  if (C !== undefined) grid.C = C;
  if (typeof values.solver === 'string') grid.solver = listOption(values.solver);
  if (typeof values.penalty === 'string')
    grid.penalty = listOption(values.penalty).map((text) => penaltyValue(text, 'penalty'));
  const l1Ratio = distributions.l1_ratio === undefined ? numberListOption(values, 'l1-ratio') : undefined;
  if (l1Ratio !== undefined) grid.l1_ratio = l1Ratio;
  if (classWeights !== undefined)
    grid.class_weight = classWeights.map((text) => classWeightValue(text, 'class-weight'));
  if (typeof values.scale === 'string') grid.scale = listOption(values.scale).map(booleanValue);
  if (typeof values.impute === 'string') grid.impute = listOption(values.impute);
  if (typeof values['categorical-missing'] === 'string')
    grid.categorical_missing = listOption(values['categorical-missing']);
  const request: Record<string, unknown> = {
    tuning_id: typeof values['tuning-id'] === 'string' ? values['tuning-id'] : `cli-${randomUUID().slice(0, 12)}`,
  };
  if (Object.keys(grid).length > 0) request.grid = grid;
  if (typeof values.csv === 'string') {
    const columns = Object.fromEntries(
      (['exclude', 'categorical', 'numeric'] as const)
        .filter((role) => typeof values[role] === 'string')
        .map((role) => [role, listOption(values[role] as string)]),
    );
    request.dataset = {
      kind: 'csv',
      path: values.csv,
      ...(typeof values.target === 'string' ? { target: values.target } : {}),
      ...(Object.keys(columns).length > 0 ? { columns } : {}),
      ...csvFormatOption(values),
    };
  }
  const split = splitOf(values);
  if (split !== undefined) request.split = split;
  if (typeof values.metric === 'string') request.selection_metric = values.metric;
  const cv = integerOption(values, 'cv');
  if (cv !== undefined) request.cv = cv;
  const topK = integerOption(values, 'top-k');
  if (topK !== undefined) Object.assign(request, { log_models: 'top_k', top_k: topK });
  const search = searchOf(values, distributions);
  if (search !== undefined) request.search = search;
  // A model name alone names its experiment too (as the monitor's retrains do): mlops status --name finds it there.
  const experiment = values.experiment ?? values['model-name'];
  if (typeof experiment === 'string') request.experiment_name = experiment;
  if (typeof values['model-name'] === 'string') request.registered_model_name = values['model-name'];
  return request as TuneRequestInput & { tuning_id: string };
}

/** The train/test split the flags ask for (the schema's defaults for the rest); undefined when none is given. */
function splitOf(values: RawOptions): Record<string, unknown> | undefined {
  const split: Record<string, unknown> = {};
  const testSize = testSizeOption(values);
  if (testSize !== undefined) split.test_size = testSize;
  const seed = integerOption(values, 'split-random-state');
  if (seed !== undefined) split.random_state = seed;
  if (values.stratify === true) split.stratify = true;
  return Object.keys(split).length > 0 ? split : undefined;
}

/**
 * `--test-size`: written with a dot or an exponent it is a fraction and must lie in (0, 1), as scikit-learn refuses
 * test_size=1.0 (else 1.0 would be taken for a row count of 1); an integer written without them is a row count.
 */
function testSizeOption(values: RawOptions): number | undefined {
  const size = numberOption(values, 'test-size');
  const text = String(values['test-size']);
  if (size === undefined || !/[.eE]/.test(text) || (size > 0 && size < 1)) return size;
  throw new UsageError(
    `--test-size ${text}: a fraction must lie in (0, 1), such as 0.2; a row count is a whole number without a dot, such as 50`,
  );
}

/** The distributions `--C` and `--l1-ratio` name (a list of values names none). */
function distributionsOf(values: RawOptions): Partial<Record<'C' | 'l1_ratio', Distribution>> {
  const out: Partial<Record<'C' | 'l1_ratio', Distribution>> = {};
  for (const [flag, axis] of [
    ['C', 'C'],
    ['l1-ratio', 'l1_ratio'],
  ] as const) {
    const raw = values[flag];
    const d = typeof raw === 'string' ? distributionValue(raw, flag) : undefined;
    if (d !== undefined) out[axis] = d;
  }
  return out;
}

/** The random search `--random N [--seed S]` asks for; a distribution without `--random` is a usage error. */
function searchOf(values: RawOptions, distributions: Partial<Record<'C' | 'l1_ratio', Distribution>>) {
  const nTrials = integerOption(values, 'random');
  const seed = integerOption(values, 'seed');
  if (nTrials === undefined) {
    const drawn = Object.keys(distributions).map((axis) => (axis === 'l1_ratio' ? '--l1-ratio' : `--${axis}`));
    if (drawn.length > 0)
      throw new UsageError(`${drawn.join(' and ')}: a distribution needs a random search (--random N)`);
    if (seed !== undefined) throw new UsageError('--seed is the seed of a random search: add --random N');
    return undefined;
  }
  return {
    type: 'random',
    n_trials: nTrials,
    ...(seed === undefined ? {} : { random_state: seed }),
    ...(Object.keys(distributions).length > 0 ? { distributions } : {}),
  };
}

async function sendRequest(nc: NatsConnection, request: TuneRequestInput): Promise<TuneReply> {
  try {
    return await requestReply(nc, SUBJECTS.tuneRequested, request, { timeoutMs: 15_000 });
  } catch (err) {
    const message = (err as Error).message;
    if (isNoResponders(err)) throw new UsageError(`no trainer subscribes to tune.requested: ${NO_SUBSCRIBER_HINT}`, 1);
    throw new UsageError(`tune request failed: ${message}`, 1, { cause: err });
  }
}

/**
 * Where `mlops tune` shows progress: on a terminal, a bar redrawn in place on its line, ended before any other
 * message; elsewhere (a log file, a pipe, CI) plain lines, a few per tuning, since `\r` redraws would pile up there.
 */
export interface ProgressScreen {
  /** Shows the tuning's progress so far. */
  draw(progress: TuningProgress): void;
  /** Writes a message to stderr on a line of its own. */
  say(text: string): void;
  /** Writes to stdout on a line of its own. */
  print(text: string): void;
}

/** Without a terminal, a progress line at most this often, besides one per tenth of the trials and one at the end. */
export const PLAIN_PROGRESS_INTERVAL_MS = 10_000;

/** The progress display for `io`'s stderr: a bar on a terminal, plain lines elsewhere (`now` paces those). */
export function progressScreen(io: CliIo, now: () => number = Date.now): ProgressScreen {
  return io.stderrIsTTY === true ? barScreen(io) : lineScreen(io, now);
}

function barScreen(io: CliIo): ProgressScreen {
  let barShown = false;
  const endBar = () => {
    if (barShown) io.stderr('\n');
    barShown = false;
  };
  return {
    draw: (progress) => {
      io.stderr(`\r${progressBar(progress)}`);
      barShown = true;
    },
    say: (text) => {
      endBar();
      io.stderr(text);
    },
    print: (text) => {
      endBar();
      io.stdout(text);
    },
  };
}

/**
 * Plain progress lines: the first (one trial ended), one each time another tenth of the trials is done, the last, and
 * otherwise one when {@link PLAIN_PROGRESS_INTERVAL_MS} passed since the last line; a line not written yet is
 * written before the next message, so the log shows where the tuning was. Never the same line twice.
 */
function lineScreen(io: CliIo, now: () => number): ProgressScreen {
  let written: { line: string; tenth: number; atMs: number } | undefined;
  let pending: { line: string; tenth: number } | undefined;
  const write = (next: { line: string; tenth: number }) => {
    io.stderr(`${next.line}\n`);
    written = { ...next, atMs: now() };
    pending = undefined;
  };
  const flush = () => {
    if (pending !== undefined) write(pending);
  };
  return {
    draw: (progress) => {
      const done = progress.completed.length + progress.failed.length;
      if (done === 0) return; // nothing to tell before the first trial ends
      const total = progress.trialCount ?? 0;
      const next = { line: progressLine(progress), tenth: total > 0 ? Math.floor((done * 10) / total) : 0 };
      if (next.line === written?.line) {
        pending = undefined;
        return;
      }
      const due =
        written === undefined ||
        (total > 0 && done >= total) ||
        next.tenth > written.tenth ||
        now() - written.atMs >= PLAIN_PROGRESS_INTERVAL_MS;
      if (due) write(next);
      else pending = next;
    },
    say: (text) => {
      flush();
      io.stderr(text);
    },
    print: (text) => {
      flush();
      io.stdout(text);
    },
  };
}

/** One plain line: `progress: 9/15 trials (60 %), 1 failed`. */
function progressLine(progress: TuningProgress): string {
  const done = progress.completed.length + progress.failed.length;
  const total = progress.trialCount;
  const share = total !== undefined && total > 0 ? ` (${Math.floor((done * 100) / total)} %)` : '';
  const failed = progress.failed.length > 0 ? `, ${progress.failed.length} failed` : '';
  return `progress: ${done}/${total ?? '?'} trials${share}${failed}`;
}

/**
 * Follows the tuning's events (core subscriptions) until it ends: model.registered or model.rejected (0), or
 * a refusal after acceptance (tune.rejected: the worker found the data unusable, or the tracker could register
 * nothing of the trials, e.g. none has the selection metric) or no successful trial (1).
 * A `tune.rejected` counts only once the request was `accepted()`, and only one naming the tuning in its id
 * (refusesAcceptedTuning): the intake publishes one for each refusal its reply already carries, this request's or
 * another's claiming its id.
 */
function watchTuning(
  nc: NatsConnection,
  tuningId: string,
  screen: ProgressScreen,
): {
  outcome: Promise<number>;
  accepted: () => void;
  claim: () => boolean;
  catchUp: () => Promise<void>;
  registeredName: () => string | undefined;
  trackerDue: () => boolean;
} {
  const progress = emptyProgress();
  /** Every trial ended, some succeeded, and nothing told the outcome yet: the tracker is to register the best. */
  let trackerDue = false;
  /** The model a version was registered under, once one was. */
  let registered: string | undefined;
  let metric: EventData<'tuning.started'>['selection_metric'] = 'accuracy';
  let isAccepted = false;
  let refusal: EventData<'tune.rejected'> | undefined;
  let refuse = (_d: EventData<'tune.rejected'>) => {};
  // The first to tell how the tuning ended claims it; later endings (a copy of the event, a lookup) say nothing.
  let told = false;
  const claim = () => {
    if (told) return false;
    told = true;
    return true;
  };
  const accepted = () => {
    isAccepted = true;
    if (refusal !== undefined) refuse(refusal);
  };
  // Said once, when the last trial ends (or tuning.completed says they did), unless the outcome is told already.
  const awaitTracker = () => {
    if (trackerDue || told) return;
    trackerDue = true;
    screen.say('all trials ended: waiting for the tracker to register the best model\n');
  };
  const draw = () => {
    screen.draw(progress);
    const done = progress.completed.length + progress.failed.length;
    if (progress.completed.length > 0 && done >= (progress.trialCount ?? Number.POSITIVE_INFINITY)) awaitTracker();
  };
  const started = (d: EventData<'tuning.started'>) => {
    if (progress.trialCount !== undefined) return; // told already (stored, then live)
    progress.trialCount = d.trial_count;
    metric = d.selection_metric;
    const columns = columnReport(d.dataset);
    if (columns !== undefined) screen.say(`${columns}\n`);
    draw();
  };
  const completed = (d: EventData<'run.completed'>) => {
    if (!progress.completed.some((r) => r.trial_id === d.trial_id)) progress.completed.push(d);
    draw();
  };
  const failed = (d: EventData<'run.failed'>) => {
    if (!progress.failed.some((r) => r.trial_id === d.trial_id)) progress.failed.push(d);
    draw();
  };
  // A tuning joined while it runs (its request repeated under its id): its start and the trials ended so far.
  const catchUp = async () => {
    await readStoredEvents(nc, SUBJECTS.tuningStarted, ({ data }) => {
      if (data.tuning_id === tuningId) started(data);
    });
    await readStoredEvents(nc, SUBJECTS.runCompleted, ({ data }) => {
      if (data.tuning_id === tuningId) completed(data);
    });
    await readStoredEvents(nc, SUBJECTS.runFailed, ({ data }) => {
      if (data.tuning_id === tuningId) failed(data);
    });
  };
  const outcome = new Promise<number>((resolve) => {
    refuse = (d) => {
      if (!claim()) return;
      if (progress.trialCount === undefined) {
        screen.say(`tuning ${tuningId} refused after it was accepted:\n${problemLines(d.errors)}\n`);
      } else {
        // The trials ran: the tracker found none it could register.
        const table = resultsTable(progress, undefined, metric);
        screen.print(`\n${table}\n\nnothing was registered:\n${problemLines(d.errors)}\n`);
      }
      resolve(1);
    };
    const on = <S extends EventSubject>(subject: S, handle: (data: EventData<S>) => void) =>
      watchEvents(nc, subject, ({ data }) => {
        if ('tuning_id' in data && data.tuning_id === tuningId) handle(data as EventData<S>);
      });
    on(SUBJECTS.tuningStarted, started);
    on(SUBJECTS.runCompleted, completed);
    on(SUBJECTS.runFailed, failed);
    // Only a refusal of this accepted tuning: another request refused for claiming its id is not about it.
    watchEvents(nc, SUBJECTS.tuneRejected, (event) => {
      if (event.data.tuning_id !== tuningId || !refusesAcceptedTuning(event)) return;
      if (isAccepted) refuse(event.data);
      else refusal = event.data;
    });
    // Only the trainer's and the tracker's verdicts end the tuning (the monitor may give up on tuning.completed too).
    const given =
      (step: string, consumer: string) => (letter: DeadLetter<'tuning.requested'> | DeadLetter<'tuning.completed'>) => {
        if (letter.consumer !== consumer || letter.event?.data.tuning_id !== tuningId || !claim()) return;
        screen.say(`tuning ${tuningId} failed: the ${step} gave up on it (${letter.reason}): ${letter.error}\n`);
        resolve(1);
      };
    watchDeadLetters(nc, SUBJECTS.tuningRequested, given('trainer', CONSUMERS.trainer));
    watchDeadLetters(nc, SUBJECTS.tuningCompleted, given('tracker', CONSUMERS.trackerEvents));
    on(SUBJECTS.tuningCompleted, (d) => {
      if (d.completed > 0) awaitTracker();
      if (d.completed > 0 || !claim()) return;
      screen.print(`\n${resultsTable(progress, undefined, metric)}\nno trial succeeded: nothing was registered\n`);
      resolve(1);
    });
    on(SUBJECTS.modelRegistered, (d) => {
      if (!claim()) return;
      registered = d.name;
      screen.print(`\n${resultsTable(progress, d.trial_id, metric)}\n\n${registeredLines(d)}`);
      resolve(0);
    });
    on(SUBJECTS.modelRejected, (d) => {
      if (!claim()) return;
      registered = d.name;
      screen.print(`\n${resultsTable(progress, d.trial_id, metric)}\n\n${rejectedLines(d)}`);
      resolve(0);
    });
  });
  return { outcome, accepted, claim, catchUp, registeredName: () => registered, trackerDue: () => trackerDue && !told };
}

/** What `mlops tune` prints of the version a tuning registered and promoted. */
function registeredLines(d: EventData<'model.registered'>): string {
  const metric = d.metric === null ? '' : `${d.metric.name}=${Number(d.metric.value.toFixed(4))}, `;
  const line = `registered ${d.name} version ${d.version} (alias ${d.alias}), ${metric}run ${d.run_id}\n`;
  return d.reason === undefined ? line : `${line}version ${d.version} promoted to ${d.alias}: ${d.reason}\n`;
}

/** What `mlops tune` prints of the version a tuning registered and the gate kept as challenger. */
function rejectedLines(d: EventData<'model.rejected'>): string {
  return `registered ${d.name} version ${d.version} (alias challenger)\nversion ${d.version} kept as challenger: ${d.reason}\n`;
}

/**
 * A request repeated under the id of a tuning that already ended is accepted but not run again (the trainer runs
 * an id once), so no event of it will come: print what it came to and the exit code, or undefined to keep watching
 * (the tuning is still running, or its events are no longer stored).
 */
async function endedBefore(
  nc: NatsConnection,
  asked: { tuningId: string; sentAtMs: number; claim: () => boolean },
  screen: ProgressScreen,
): Promise<number | undefined> {
  const { tuningId, sentAtMs } = asked;
  const past =
    (await pastOutcome(nc, tuningId, sentAtMs).catch(() => undefined)) ??
    (await pastRefusal(nc, tuningId, sentAtMs).catch(() => undefined));
  // The live events may have ended the tuning meanwhile: then they told it, and their exit code stands.
  if (past === undefined || !asked.claim()) return undefined;
  screen.say(`tuning ${tuningId} already ran with this request; nothing new was trained. What it came to:\n`);
  if (past.kind === 'registered') screen.print(registeredLines(past.data));
  else if (past.kind === 'rejected') screen.print(rejectedLines(past.data));
  else if (past.kind === 'refused') screen.print(`nothing was registered:\n${problemLines(past.data.errors)}\n`);
  else screen.print(`no trial of ${past.data.trial_count} succeeded: nothing was registered\n`);
  return past.kind === 'registered' || past.kind === 'rejected' ? 0 : 1;
}

/**
 * The refusal stored for tuning `tuningId` before the request was sent (the worker's, or the tracker's when the trials
 * left nothing to register); undefined when there is none.
 */
async function pastRefusal(
  nc: NatsConnection,
  tuningId: string,
  sentAtMs: number,
): Promise<{ readonly kind: 'refused'; readonly data: EventData<'tune.rejected'> } | undefined> {
  let found: EventData<'tune.rejected'> | undefined;
  await readStoredEvents(nc, SUBJECTS.tuneRejected, (event) => {
    const before = Date.parse(event.data.rejected_at) < sentAtMs;
    if (event.data.tuning_id === tuningId && refusesAcceptedTuning(event) && before) found ??= event.data;
  });
  return found === undefined ? undefined : { kind: 'refused', data: found };
}

function listOption(value: string): string[] {
  return value.split(',').map((s) => s.trim());
}

function booleanValue(value: string): boolean | string {
  return value === 'true' ? true : value === 'false' ? false : value;
}

function problemLines(errors: readonly { path: string; message: string }[]): string {
  return errors.map((e) => `  ${e.path}: ${e.message}`).join('\n');
}

/** What the `--timeout` of a tuning waits on: its id, how to follow it, and whether only the tracker is awaited. */
interface TuningWait {
  readonly ms: number;
  readonly tuningId: string;
  readonly follow: string;
  readonly trackerDue: () => boolean;
}

/**
 * Rejects after `ms` (exit 1): the CLI stops waiting, the tuning goes on, and `follow` says how to follow it; when
 * every trial had ended, it says the tracker did not register the best model in time.
 */
function timeout({ ms, tuningId, follow, trackerDue }: TuningWait, screen: ProgressScreen): Promise<number> {
  return new Promise((_, reject) => {
    setTimeout(() => {
      screen.say('');
      const seconds = ms / 1000;
      const message = trackerDue()
        ? `the tracker did not register the best model of tuning ${tuningId} within --timeout ${seconds} s (see mlops status); it may still: ${follow}`
        : `stopped waiting for tuning ${tuningId} after --timeout ${seconds} s; it continues on the stack: ${follow}`;
      reject(new UsageError(message, 1));
    }, ms).unref();
  });
}
