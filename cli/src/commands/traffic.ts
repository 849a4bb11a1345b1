import { watchEvents } from '@mlops/bus';
import { DEFAULT_MODEL_NAME, type EventOf, type EventSubject, NO_CHAMPION, SUBJECTS } from '@mlops/contracts';
import { makeClassification, RandomState } from '@mlops/ml';
import { isDecimalNumber } from '@mlops/service-kit';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { connectCli, connectionLost, endConnection } from '../nats-connection.js';
import { decimal, notANumber, parseFlags, stringOptions } from '../options.js';
import { answerText, callPredictor, predictorBase } from '../predictor-http.js';
import { recordedStackEndpoints } from '../stack-defaults.js';

/** Help text for `mlops traffic`. */
export const TRAFFIC_USAGE = `usage: mlops traffic [--rows N] [--shift D] [--features K] [--label] [--noise P] [--rate R]
                     [--watch] [--wait S] [--model MODEL] [--url http://127.0.0.1:8080] [--nats URL]
  Serves the seed data set's rows (make_classification 1000 × 20, seed 42, the default tuning's data) through
  POST /predict: --rows of them (default 1000, cycling), the first --features columns (default 12) moved by --shift
  (default 0: the training distribution), --rate rows a second (default 500), 50 rows a request. --label sends each
  row's true label through POST /feedback right after (--noise P flips each with probability P, seeded). --watch
  prints the pipeline's events for MODEL as they happen (drift, retrain decisions, the gate's verdict, the champion
  moving) and waits up to --wait seconds after the last row (default 120) for a retrain it saw start to end.
  Without --url and --nats (or NATS_URL): the addresses mlops up recorded in $MLOPS_DATA_DIR/stack.json (else in
  data/stack.json; refused when that stack is stopped), else the quick start's.`;

const FLAGS = ['rows', 'shift', 'features', 'noise', 'rate', 'wait', 'model', 'url', 'nats'] as const;
const BATCH_ROWS = 50;
const WATCHED: readonly EventSubject[] = [
  SUBJECTS.driftDetected,
  SUBJECTS.driftResolved,
  SUBJECTS.performanceDegraded,
  SUBJECTS.retrainSkipped,
  SUBJECTS.retrainRequested,
  SUBJECTS.modelRegistered,
  SUBJECTS.modelRejected,
];

/** What `mlops traffic` sends, from its flags. */
interface TrafficPlan {
  readonly rows: number;
  readonly shift: number;
  readonly features: number;
  readonly label: boolean;
  readonly noise: number;
  readonly rate: number;
  readonly waitMs: number;
  readonly model: string;
  readonly url: string;
}

/** `mlops traffic`: shifted (or not), optionally labelled traffic, with the pipeline's reactions printed live. */
export async function trafficCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({
    args,
    options: { ...stringOptions(FLAGS), label: { type: 'boolean' }, watch: { type: 'boolean' } },
    strict: true,
  });
  const recorded = values.url === undefined ? (await recordedStackEndpoints(io)).predictor : undefined;
  const plan = planOf(values, recorded);
  if (values.watch !== true && (values.wait !== undefined || values.nats !== undefined))
    throw new UsageError('--wait and --nats are for --watch: add --watch');
  if (values.label !== true && values.noise !== undefined)
    throw new UsageError('--noise flips the labels --label sends: add --label');
  if (plan.shift !== 0 && plan.features === 0)
    throw new UsageError('--shift moves the first --features columns: --features 0 moves none');
  const nc = values.watch === true ? await connectCli(io, values.nats) : undefined;
  const watch = nc === undefined ? undefined : watchPipeline(nc, plan.model, io);
  try {
    await send(plan, io);
    if (nc !== undefined && watch !== undefined) {
      const whileWatching = `watching the pipeline of ${plan.model}; a retrain under way continues when the stack is back: follow it with mlops history`;
      await Promise.race([watch.settle(plan.waitMs), connectionLost(nc, whileWatching)]);
    }
  } finally {
    if (nc !== undefined) await endConnection(nc);
  }
  return 0;
}

function planOf(
  values: Partial<Record<(typeof FLAGS)[number], string>> & { label?: boolean },
  recordedUrl: string | undefined,
): TrafficPlan {
  const number = (name: (typeof FLAGS)[number], fallback: number, ok: (v: number) => boolean, rule: string) => {
    const raw = values[name];
    const value = raw === undefined ? fallback : decimal(raw);
    if (raw !== undefined && isDecimalNumber(raw) && !Number.isFinite(value))
      throw new UsageError(`--${name} ${notANumber(raw)}`, 2);
    if (!Number.isFinite(value) || !ok(value)) throw new UsageError(`--${name} must be ${rule}, got ${raw}`, 2);
    return value;
  };
  return {
    rows: number(
      'rows',
      1000,
      (v) => Number.isInteger(v) && v >= 1 && v <= 1_000_000,
      'a whole number from 1 to 1000000',
    ),
    shift: number('shift', 0, () => true, 'a number'),
    features: number('features', 12, (v) => Number.isInteger(v) && v >= 0 && v <= 20, 'a whole number from 0 to 20'),
    label: values.label === true,
    noise: number('noise', 0, (v) => v >= 0 && v <= 1, 'a probability from 0 to 1'),
    rate: number('rate', 500, (v) => v >= 0.01, 'at least 0.01 rows a second'),
    waitMs: 1000 * number('wait', 120, (v) => v >= 0, 'a number of seconds'),
    model: values.model ?? DEFAULT_MODEL_NAME,
    url: predictorBase(values.url ?? recordedUrl),
  };
}

/** Sends the rows in requests of BATCH_ROWS at the plan's rate, labels after each request when asked. */
async function send(plan: TrafficPlan, io: CliIo): Promise<void> {
  const data = makeClassification({ nSamples: 1000, nFeatures: 20, randomState: 42 });
  const noise = new RandomState(7);
  const started = Date.now();
  let labelled = 0;
  for (let sent = 0; sent < plan.rows; sent += BATCH_ROWS) {
    const count = Math.min(BATCH_ROWS, plan.rows - sent);
    const indices = Array.from({ length: count }, (_, k) => (sent + k) % 1000);
    const features = indices.map((i) =>
      Array.from(data.X.data.subarray(i * 20, (i + 1) * 20), (v, j) => (j < plan.features ? v + plan.shift : v)),
    );
    const answer = (await post(`${plan.url}/predict`, io.env, { features })) as { prediction_ids: string[] };
    if (plan.label) {
      const labels = answer.prediction_ids.map((id, k) => {
        const truth = data.y[indices[k] as number] as number;
        return { prediction_id: id, label: noise.randomSample() < plan.noise ? 1 - truth : truth };
      });
      await post(`${plan.url}/feedback`, io.env, labels);
      labelled += labels.length;
    }
    const done = sent + count;
    if (done % 500 === 0 || done === plan.rows) {
      const moved = plan.shift === 0 ? 'as trained' : `shift ${plan.shift} on x0..x${plan.features - 1}`;
      io.stdout(`${clock()}  sent ${done}/${plan.rows} rows (${moved}), ${labelled} labelled\n`);
    }
    const due = started + (1000 * done) / plan.rate;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
  }
}

async function post(url: string, env: CliIo['env'], body: unknown): Promise<unknown> {
  const response = await callPredictor(url, env, body);
  const text = await answerText(response, url);
  if (!response.ok && response.status !== 207)
    throw new UsageError(`${url} answered ${response.status}: ${text.trim()}`, 1);
  return JSON.parse(text) as unknown;
}

/** Prints the model's pipeline events as they come; `settle` waits until a retrain seen starting has a verdict. */
function watchPipeline(nc: Parameters<typeof watchEvents>[0], model: string, io: CliIo) {
  const open = new Set<string>();
  for (const subject of WATCHED) {
    watchEvents(nc, subject, (event) => {
      const line = eventLine(subject, event as EventOf<EventSubject>, model);
      if (line === undefined) return;
      io.stdout(`${clock()}  ${line}\n`);
      const data = event.data as { tuning_id?: string };
      if (subject === SUBJECTS.retrainRequested && data.tuning_id !== undefined) open.add(data.tuning_id);
      if (
        (subject === SUBJECTS.modelRegistered || subject === SUBJECTS.modelRejected) &&
        data.tuning_id !== undefined
      ) {
        open.delete(data.tuning_id);
      }
    });
  }
  return {
    async settle(waitMs: number) {
      const deadline = Date.now() + waitMs;
      while (open.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      if (open.size > 0)
        io.stdout(`${clock()}  still running: ${[...open].join(', ')} (follow it with mlops history)\n`);
    },
  };
}

/** One event as a line, or undefined when it is about another model. */
export function eventLine(subject: EventSubject, event: EventOf<EventSubject>, model: string): string | undefined {
  const d = event.data as Record<string, unknown>;
  if ((d.model ?? d.name) !== model) return undefined;
  const name = subject.padEnd(17);
  const v = `v${String(d.version)}`;
  switch (subject) {
    case 'drift.detected':
      return `${name} ${v} window ${d.window}: ${(d.drifted_features as string[]).length} features drifted (${(d.drifted_features as string[]).slice(0, 5).join(', ')}${(d.drifted_features as string[]).length > 5 ? ', …' : ''})`;
    case 'drift.resolved':
      return `${name} ${v} ${d.superseded_by === undefined ? `window ${d.window}` : `(superseded by v${d.superseded_by})`}`;
    case 'performance.degraded':
      return `${name} ${v} live ${d.metric} ${Number(d.live).toFixed(3)} vs ${Number(d.training).toFixed(3)} at training`;
    case 'retrain.skipped':
      return `${name} ${v} ${d.reason}: ${d.message}`;
    case 'retrain.requested': {
      const dataset = d.dataset as { rows: number; path: string };
      return `${name} ${v} ${d.retrain_id} (${d.trigger}: ${d.detail}), ${dataset.rows} labelled rows in ${dataset.path}`;
    }
    case 'model.registered':
      return `${name} ${v} is champion${d.previous_version ? ` (was v${d.previous_version})` : ''}: ${d.reason ?? ''}`;
    case 'model.rejected':
      return d.champion_version === NO_CHAMPION
        ? `${name} ${v} kept out, no champion yet: ${d.reason}`
        : `${name} ${v} kept out, v${d.champion_version} stays champion: ${d.reason}`;
    default:
      return undefined;
  }
}

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}
