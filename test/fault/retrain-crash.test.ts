import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Bus, connectBus, requestReply } from '@mlops/bus';
import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { buildWorld, FEATURES, logTraffic, registerWorldModel, until, type World, within } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { MlflowGatekeeper } from './support/mlflow-gatekeeper.js';
import { FaultStack } from './support/stack.js';

/**
 * Issue 14: the monitor SIGKILLed in the middle of a retrain, on the real processes (trainer, tracker, monitor, a
 * private nats-server, MLflow), must end with exactly one retrain: one `retrain.requested`, one accepted tuning, one
 * model version, one gate verdict, and the lease released. Everything is read back from the streams, the lease
 * bucket and MLflow, not from watchers (they miss what happened while the monitor was down).
 */

/** The lease bucket of the monitor (services/monitor/src/adapters/retrain-io.ts, docs/architecture.md). */
const LEASE_BUCKET = 'monitor-retrains';
/** 12 of the 20 features come +2.0 higher than at training time: every window drifts (share 0.6 ≥ 0.5). */
const SHIFT = { columns: FEATURES.slice(0, 12), by: 2 };
/** Windows of 250 rows; K = 2 drifted windows and M = 300 new labels start a retrain; a second one waits an hour. */
const MONITOR_ENV = {
  MONITOR_WINDOW_ROWS: '250',
  MONITOR_WINDOW_SECONDS: '10',
  MONITOR_MLFLOW_RUNS: 'false',
  MONITOR_RETRAIN_DRIFT_WINDOWS: '2',
  MONITOR_RETRAIN_MIN_LABELS: '300',
  MONITOR_RETRAIN_COOLDOWN_SECONDS: '3600',
};

let stack: FaultStack;
let gatekeeper: MlflowGatekeeper;
let bus: Bus;
let world: World;
const logger = createLogger({ service: 'retrain-crash-test', level: 'silent' });

/** The monitor as the operator runs it, its MLflow calls through the gatekeeper (transparent unless armed). */
async function startMonitor(): Promise<void> {
  await stack.startService('monitor', {
    ...MONITOR_ENV,
    MONITOR_RETRAIN_DATA_DIR: stack.trainerDataDir,
    MLFLOW_TRACKING_URI: gatekeeper.url,
  });
}

beforeAll(async () => {
  const mlflowUri = inject('mlflowTrackingUri');
  gatekeeper = await MlflowGatekeeper.start(mlflowUri);
  stack = await FaultStack.start({ mlflowUri, services: ['trainer', 'tracker'] });
  await startMonitor();
  bus = await connectBus({ servers: stack.natsUrl, name: 'retrain-crash-client', logger });
  world = buildWorld();
}, 180_000);

afterAll(async () => {
  await bus?.close();
  await stack?.stop();
  await gatekeeper?.stop();
});

type Data = Record<string, unknown>;

/** The `data` of every message stored in a stream whose data passes `keep`, oldest first, with its subject. */
async function stored(stream: string, keep: (data: Data) => boolean): Promise<{ subject: string; data: Data }[]> {
  return (await stack.streamMessages(stream))
    .map(({ subject, body }) => ({ subject, data: (body as { data?: Data } | undefined)?.data ?? {} }))
    .filter(({ data }) => keep(data));
}

const requestedOf = async (model: string) =>
  (await stored(STREAMS.retrain.name, (d) => d.model === model)).filter((m) => m.subject === SUBJECTS.retrainRequested);
const skipsOf = async (model: string) =>
  (await stored(STREAMS.retrain.name, (d) => d.model === model)).filter((m) => m.subject === SUBJECTS.retrainSkipped);
/** Every tuning the trainer accepted for the model (de-duplicated by tuning id: a re-sent request is stored once). */
const tuningsOf = async (model: string) =>
  (
    await stored(STREAMS.tuneRequests.name, (d) => (d.request as Data | undefined)?.registered_model_name === model)
  ).filter((m) => m.subject === SUBJECTS.tuningRequested);
/** Every gate verdict (model.registered or model.rejected) on a version of the model. */
const verdictsOf = (model: string) => stored(STREAMS.models.name, (d) => d.name === model);

/** The model's lease as the bucket holds it now (its last revision), or null when none is held (never, or released). */
async function leaseOf(model: string): Promise<Data | null> {
  const jsm = await jetstreamManager(stack.client);
  const subject = `$KV.${LEASE_BUCKET}.${Buffer.from(model, 'utf8').toString('base64url')}`;
  const last = await jsm.streams.getMessage(`KV_${LEASE_BUCKET}`, { last_by_subj: subject });
  if (last === null || last.header.get('KV-Operation') !== '') return null; // DEL or PURGE: released
  return last.json() as Data;
}

/** The data sets the monitor wrote for the model into the trainer's data directory. */
async function datasetFiles(model: string): Promise<string[]> {
  const files = await readdir(join(stack.trainerDataDir, 'retrain')).catch(() => []);
  return files.filter((f) => f.startsWith(`${model}-v`) && f.endsWith('.csv'));
}

/** Logs `rows` shifted rows of the world as predictions of the model's version; their prediction ids. */
async function shifted(model: string, version: string, from: number, rows: number, tag: string): Promise<string[]> {
  return await logTraffic(bus, world, { model, version, from, rows, tag, shift: SHIFT });
}

/** Sends the true labels of rows [from, from + ids.length) to the monitor; all must be joined. */
async function label(ids: readonly string[], from: number): Promise<void> {
  const labels = ids.map((id, i) => ({ prediction_id: id, label: world.traffic.y[from + i] as 0 | 1 }));
  const reply = await requestReply(stack.client, SUBJECTS.feedbackReceived, labels, { timeoutMs: 30_000 });
  expect(reply).toMatchObject({ status: 'accepted', accepted: ids.length });
}

/** Resolves with the first core message on `subject` whose envelope data passes `keep` (the kill's trigger). */
function firstOn(subject: string, keep: (data: Data) => boolean): { seen: Promise<Data>; sub: Subscription } {
  const sub = stack.client.subscribe(subject);
  const seen = (async () => {
    for await (const m of sub) {
      const data = (m.json() as { data?: Data }).data ?? {};
      if (keep(data)) return data;
    }
    throw new Error(`no ${subject} came before the subscription closed`);
  })();
  return { seen, sub };
}

/** Where the monitor is killed. */
type KillPoint = 'building' | 'announced' | 'accepted';

interface CrashCase {
  readonly point: KillPoint;
  readonly name: string;
  /** The lease's state in the bucket once the monitor is dead. */
  readonly leaseAtKill: 'building' | 'sent';
  /** `retrain.requested` stored for the model at the kill. */
  readonly announcedAtKill: number;
  /** How many tunings the trainer may have accepted at the kill (the race of the `announced` case allows both). */
  readonly tuningsAtKill: readonly number[];
}

const CASES: readonly CrashCase[] = [
  {
    point: 'building',
    name: 'while the lease is `building` (data set written, tune request not yet recorded)',
    leaseAtKill: 'building',
    announcedAtKill: 0,
    tuningsAtKill: [0],
  },
  {
    point: 'announced',
    name: 'as soon as `retrain.requested` is stored (the tune request sent or not yet)',
    leaseAtKill: 'sent',
    announcedAtKill: 1,
    tuningsAtKill: [0, 1],
  },
  {
    point: 'accepted',
    name: 'once the trainer accepted the tuning (its verdict lands while the monitor is down)',
    leaseAtKill: 'sent',
    announcedAtKill: 1,
    tuningsAtKill: [1],
  },
];

describe('fault: the monitor is SIGKILLed during a retrain', () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))(
    'when the monitor is SIGKILLed %s and restarted while drift and labels go on, then exactly one retrain, one tuning, one version and one verdict, and the lease is released',
    async (_name, c, index) => {
      onTestFailed(() => console.error(stack.logs()));
      const model = `retrain_crash_${c.point}_${randomUUID().slice(0, 8)}`;
      const version = await registerWorldModel(stack.mlflow, world, model);
      const base = index * 10_000;
      const tag = (phase: string) => `${c.point.slice(0, 2)}${phase}`;

      // Drift for K windows with too few labels: the trigger holds, the policy waits for labels.
      const first = await shifted(model, version, base, 500, tag('a'));
      await until('a skip for too few labels', async () => {
        const skips = await skipsOf(model);
        return skips.some((s) => s.data.reason === 'too_few_labels') ? true : undefined;
      });

      // The labels that start the retrain; the monitor dies at the case's point of it.
      const held =
        c.point === 'building'
          ? gatekeeper.arm({ name: c.name, method: 'GET', endpoint: 'runs/get', body: {}, when: 'before' })
          : undefined;
      const trigger =
        c.point === 'announced'
          ? firstOn(SUBJECTS.retrainRequested, (d) => d.model === model)
          : c.point === 'accepted'
            ? firstOn(SUBJECTS.tuningRequested, (d) => (d.request as Data).registered_model_name === model)
            : undefined;
      const started = Date.now();
      let killedAt = -1;
      const killed = (held ?? trigger!.seen).then(async () => {
        await stack.killService('monitor');
        killedAt = Date.now() - started;
      });
      killed.catch(() => undefined); // awaited below; a failure before that must not also go unhandled
      try {
        await label(first.slice(0, 400), base);
        await within(killed, 90_000, `the monitor's retrain to reach the kill point (${c.point})`);
      } finally {
        gatekeeper.disarm();
        trigger?.sub.unsubscribe();
      }
      const heldCall = held === undefined ? undefined : await held;
      const heldOutcome = heldCall === undefined ? 'none' : await within(heldCall.settled, 10_000, 'the held call');

      // What the dead monitor left behind.
      const leaseAtKill = await leaseOf(model);
      const announcedAtKill = await requestedOf(model);
      const tuningsAtKill = await tuningsOf(model);
      const filesAtKill = await datasetFiles(model);
      expect(leaseAtKill, 'the lease the killed monitor held').toMatchObject({
        retrain_id: `${model}:${version}:1`,
        state: c.leaseAtKill,
      });
      expect(announcedAtKill, 'retrain.requested stored at the kill').toHaveLength(c.announcedAtKill);
      const sentTuning = ((leaseAtKill?.retrain as Data | undefined)?.tuning_id as string | undefined) ?? null;
      expect(sentTuning === null, 'a `building` lease names no tuning yet').toBe(c.leaseAtKill === 'building');
      expect(filesAtKill.length, 'the data set was written before the kill').toBeGreaterThanOrEqual(1);
      expect(heldOutcome).toBe(c.point === 'building' ? 'dropped' : 'none');
      expect(c.tuningsAtKill, 'tunings accepted at the kill').toContain(tuningsAtKill.length);

      // Drift goes on while it is down; when the trainer took the tuning, its verdict comes before the restart.
      const second = await shifted(model, version, base + 500, 500, tag('b'));
      const verdictWhileDown =
        c.point === 'accepted'
          ? await until('the verdict while the monitor is down', async () => {
              const found = await verdictsOf(model);
              return found.length > 0 ? found[0]?.subject : undefined;
            })
          : 'none';
      const downFor = Date.now() - started - killedAt;
      await startMonitor();
      const restartedAt = Date.now() - started;
      await label(second, base + 500);

      // The retrain ends: announced once, judged once, its lease released.
      const [retrain] = await until('retrain.requested', async () => {
        const found = await requestedOf(model);
        return found.length > 0 ? found : undefined;
      });
      const retrainId = retrain?.data.retrain_id as string;
      const tuningId = retrain?.data.tuning_id as string;
      const [verdict] = await until(
        "the gate's verdict on the retrain",
        async () => {
          const found = await verdictsOf(model);
          return found.length > 0 ? found : undefined;
        },
        240_000,
      );
      const verdictAt = Date.now() - started;
      await until('the lease released', async () => ((await leaseOf(model)) === null ? true : undefined), 60_000);
      const releasedAt = Date.now() - started;

      // More drift and more labels than M: only the cooldown holds a second retrain back now (the lease is gone).
      const third = await shifted(model, version, base + 1000, 500, tag('c'));
      await label(third, base + 1000);
      // The policy weighs the model again: a cooldown skip, or (a bug) a second retrain.
      await until(
        'the policy to weigh the model again after the verdict',
        async () => {
          const cooldown = (await skipsOf(model)).some((s) => s.data.reason === 'cooldown');
          return cooldown || (await requestedOf(model)).length > 1 ? true : undefined;
        },
        60_000,
      );
      const weighedAt = Date.now() - started;

      const requested = await requestedOf(model);
      const tunings = await tuningsOf(model);
      const verdicts = await verdictsOf(model);
      const versions = (await stack.mlflow.searchModelVersions({ filter: `name = '${model}'` })).modelVersions;
      const experiment = await stack.mlflow.getExperimentByName(model);
      const parents = (
        await stack.mlflow.searchRuns({
          experimentIds: [experiment?.experimentId ?? ''],
          filter: `tags.\`mlops.tuning_parent\` = '${tuningId}'`,
        })
      ).runs;
      const skips = await skipsOf(model);
      const files = await datasetFiles(model);
      console.info(
        `retrain crash (${c.point}): killed ${killedAt} ms after the labels with the lease ${String(leaseAtKill?.state)}, ` +
          `${announcedAtKill.length} retrain.requested and ${tuningsAtKill.length} tuning stored; ` +
          `down ${downFor} ms (verdict while down: ${verdictWhileDown}); restarted at ${restartedAt} ms; ` +
          `${verdict?.subject} of ${retrainId} (${String(verdict?.data.reason)}) at ${verdictAt} ms, lease released at ${releasedAt} ms, ` +
          `weighed again at ${weighedAt} ms; skips ${skips.map((s) => s.data.reason).join(', ')}; ` +
          `data sets ${files.join(', ')}`,
      );

      expect(
        requested.map((m) => m.data.retrain_id),
        'one retrain.requested',
      ).toEqual([`${model}:${version}:1`]);
      expect(retrain?.data).toMatchObject({ model, version, trigger: 'drift' });
      expect(
        tunings.map((m) => m.data.tuning_id),
        'one accepted tuning, the retrain’s',
      ).toEqual([tuningId]);
      expect((tunings[0]?.data.request as Data).lineage).toMatchObject({ retrain_id: retrainId });
      // A `sent` lease is resumed under its own ids; a `building` one is dropped and the retrain starts afresh.
      expect(sentTuning ?? tuningId, 'the tuning recorded in the lease at the kill').toBe(tuningId);
      expect(
        verdicts.map((m) => [m.subject, m.data.retrain_id, m.data.tuning_id]),
        'one verdict',
      ).toEqual([[verdict?.subject, retrainId, tuningId]]);
      expect([SUBJECTS.modelRegistered, SUBJECTS.modelRejected]).toContain(verdict?.subject);
      expect(
        versions.filter((v) => v.tags['mlops.tuning_id'] === tuningId).map((v) => v.version),
        'one version for the tuning',
      ).toEqual([verdict?.data.version]);
      expect(versions, 'the world model and the retrain’s version, nothing else').toHaveLength(2);
      expect(parents, 'the tuning recorded once').toHaveLength(1);
      expect(await leaseOf(model), 'the lease released').toBeNull();
      expect(skips.map((s) => s.data.reason)).toContain('cooldown');
      expect(skips.filter((s) => s.data.reason === 'failed')).toEqual([]);
      expect(files.map((f) => `retrain/${f}`)).toContain((retrain?.data.dataset as Data).path);
      expect(await stack.deadLetters()).toEqual([]);
    },
    420_000,
  );
});
