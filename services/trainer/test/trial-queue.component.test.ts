import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, DEAD_LETTER_HEADERS, requestReply } from '@mlops/bus';
import {
  type EventData,
  expandGrid,
  GATE_HOLDOUT_BUCKET,
  GATE_HOLDOUT_MAX_BYTES,
  GATE_HOLDOUT_TTL_MS,
  parseTuneRequest,
  STREAMS,
  SUBJECTS,
} from '@mlops/contracts';
import { formatDatasetCsv, makeClassification } from '@mlops/ml';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer, until, within } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsTrainerBus } from '../src/adapters/nats-bus.js';
import { createTrainer } from '../src/service.js';
import { testTrainerConfig } from './support/trainer-config.js';

let nats: NatsServerHandle;
let client: NatsConnection;
let publisher: Bus;
let dataDir: string;
const replicas: ReturnType<typeof createTrainer>[] = [];
const logger = createLogger({ service: 'trial-queue-test', level: 'silent' });
const csv = (() => {
  const { X, y } = makeClassification({ nSamples: 200, nFeatures: 5, nInformative: 3, randomState: 11 });
  return formatDatasetCsv(X, y);
})();

interface Envelope {
  readonly source: string;
  readonly data: Record<string, unknown>;
}

/** Every message published on `subject` from now on (a core subscription: it sees re-publishes too). */
function collect(subject: string): Envelope[] {
  const seen: Envelope[] = [];
  client.subscribe(subject, {
    callback: (_err, msg) => {
      seen.push(msg.json());
    },
  });
  return seen;
}

/** How many messages of `subject` the TUNING_EVENTS stream stored (JetStream dropped duplicates). */
async function stored(subject: string): Promise<number> {
  const jsm = await jetstreamManager(client);
  const info = await jsm.streams.info(STREAMS.tuningEvents.name, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

/** Waits until every message of the TRIALS work queue is acknowledged (and so deleted). */
async function trialsQueueEmptied(what: string): Promise<void> {
  const jsm = await jetstreamManager(client);
  await until(
    what,
    async () => ((await jsm.streams.info(STREAMS.trials.name)).state.messages === 0 ? true : undefined),
    10_000,
    100,
  );
}

async function startReplica(instance: string) {
  const bus = await connectBus({ servers: nats.url, name: instance, logger });
  const config = testTrainerConfig(nats.url, dataDir, instance);
  const trainer = createTrainer(config, { bus: natsTrainerBus(bus, config), logger });
  await trainer.start();
  replicas.push(trainer);
}

beforeAll(async () => {
  nats = await startNatsServer();
  dataDir = await mkdtemp(join(tmpdir(), 'trial-queue-'));
  await writeFile(join(dataDir, 'rows.csv'), csv);
  await startReplica('replica-a');
  await startReplica('replica-b');
  client = await connect({ servers: nats.url });
  publisher = await connectBus({ servers: nats.url, name: 'trial-queue-publisher', logger });
});
afterAll(async () => {
  await client?.drain();
  await publisher?.close();
  for (const replica of replicas) await replica.stop();
  await nats?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('trials as a work queue across trainer replicas', () => {
  it('when two replicas share one tuning, then each trial runs once, both take some, and tuning.completed is stored once', async () => {
    const completed = collect(SUBJECTS.runCompleted);
    const done = collect(SUBJECTS.tuningCompleted);
    const request = {
      tuning_id: 'shared-1',
      dataset: { kind: 'synthetic', n_samples: 3000 },
      grid: { C: [0.01, 0.1, 1, 10, 100, 1000], tol: [1e-4, 1e-3] },
    };
    const reply = await requestReply(client, SUBJECTS.tuneRequested, JSON.stringify(request), { timeoutMs: 5000 });
    expect(reply).toMatchObject({ status: 'accepted', trial_count: 36 });
    await until('tuning.completed', () => (done.length >= 1 ? true : undefined), 60_000);
    expect(done[0]?.data).toMatchObject({ tuning_id: 'shared-1', completed: 36, failed: 0 });
    expect(done[0]?.data.holdout).toBeDefined();
    const trialIds = completed.map((e) => e.data.trial_id);
    expect(new Set(trialIds).size).toBe(36);
    expect(trialIds).toHaveLength(36);
    expect(new Set(completed.map((e) => e.source))).toEqual(new Set(['mlops/replica-a', 'mlops/replica-b']));
    expect(await stored(SUBJECTS.tuningCompleted)).toBe(1);
    // The last trial's message is acknowledged (and so deleted) just after its handler published tuning.completed.
    await trialsQueueEmptied('the TRIALS work queue to empty');
  }, 90_000);

  it('when a trial cannot be run (its CSV changed since it was pinned), then it is dead-lettered and counted failed while the rest complete', async () => {
    const completed = collect(SUBJECTS.runCompleted);
    const failed = collect(SUBJECTS.runFailed);
    const done = collect(SUBJECTS.tuningCompleted);
    const letters = client.subscribe(`deadletter.${SUBJECTS.trialRequested}`, { max: 1 });
    const digest = createHash('sha256').update(csv).digest('hex');
    const parsed = parseTuneRequest({
      tuning_id: 'poison-1',
      dataset: { kind: 'csv', path: 'rows.csv', features: 'matrix', digest },
      grid: { C: [0.1, 1, 10], solver: 'lbfgs' },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const good = parsed.request;
    const changed = { ...good, dataset: { ...good.dataset, digest: 'e'.repeat(64) } } as typeof good;
    for (const index of [0, 1, 2]) {
      const trial: EventData<'trial.requested'> = {
        tuning_id: 'poison-1',
        trial_id: `poison-1-00${index}`,
        trial_index: index,
        trial_count: 3,
        params: expandGrid(good.grid)[index]!,
        request: index === 1 ? changed : good,
        requested_at: new Date().toISOString(),
      };
      await publisher.publishEvent(SUBJECTS.trialRequested, trial, { key: trial.trial_id });
    }
    await until('tuning.completed', () => (done.length >= 1 ? true : undefined), 30_000);
    expect(done[0]?.data).toMatchObject({ tuning_id: 'poison-1', trial_count: 3, completed: 2, failed: 1 });
    expect(completed.map((e) => e.data.trial_index).sort()).toEqual([0, 2]);
    expect(failed.map((e) => [e.data.trial_index, e.data.reason])).toEqual([
      [1, expect.stringMatching(/the trial could not run: .*expected SHA-256 e{64}/)],
    ]);
    const letter = await within(
      (async () => {
        for await (const m of letters) return m;
        throw new Error('dead-letter subscription closed');
      })(),
      10_000,
      'the dead letter',
    );
    expect(letter.headers?.get(DEAD_LETTER_HEADERS.reason)).toBe('poison');
    expect(letter.json()).toMatchObject({ data: { trial_id: 'poison-1-001' } });
    expect(await stored(SUBJECTS.tuningCompleted)).toBe(2);
  }, 60_000);

  it('when the test split is wider than tuning.completed holds, then its whole is in the object store and the event names it', async () => {
    const done = collect(SUBJECTS.tuningCompleted);
    const request = {
      tuning_id: 'wide-1',
      dataset: { kind: 'synthetic', n_samples: 1000, n_features: 200, n_informative: 5 },
      grid: { C: [1], solver: ['lbfgs'] },
    };
    const reply = await requestReply(client, SUBJECTS.tuneRequested, JSON.stringify(request), { timeoutMs: 5000 });
    expect(reply).toMatchObject({ status: 'accepted', trial_count: 1 });
    await until('tuning.completed', () => (done.length >= 1 ? true : undefined), 60_000);
    const data = done[0]!.data as EventData<'tuning.completed'>;
    expect(data.holdout?.rows).toHaveLength(125); // 25,000 cells of 200 features
    expect(data).toMatchObject({
      test_rows: 200,
      stored_holdout: { bucket: GATE_HOLDOUT_BUCKET, name: 'wide-1', rows: 200 },
    });
    const store = await publisher.blobs(GATE_HOLDOUT_BUCKET, {
      ttlMs: GATE_HOLDOUT_TTL_MS,
      maxBytes: GATE_HOLDOUT_MAX_BYTES,
    });
    const whole = JSON.parse(Buffer.from((await store.get('wide-1')) ?? []).toString());
    expect(whole.rows).toHaveLength(200);
    expect(whole.labels).toHaveLength(200);
    expect(whole.rows.slice(0, 125)).toEqual(data.holdout?.rows);
    expect(whole.labels.slice(0, 125)).toEqual(data.holdout?.labels);
  }, 90_000);

  it('when a copy of a completed trial arrives (its tuning queued again past the duplicate window), then it is acknowledged without a fit', async () => {
    const started = collect(SUBJECTS.runStarted);
    const done = collect(SUBJECTS.tuningCompleted);
    // One trial: one replica records it and closes the tuning (two could both see it complete, and both publish).
    const parsed = parseTuneRequest({ tuning_id: 'again-1', grid: { C: [1], solver: 'lbfgs' } });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const trials = [0].map((index) => ({
      tuning_id: 'again-1',
      trial_id: `again-1-00${index}`,
      trial_index: index,
      trial_count: 1,
      params: expandGrid(parsed.request.grid)[index]!,
      request: parsed.request,
      requested_at: new Date().toISOString(),
    }));
    for (const trial of trials) await publisher.publishEvent(SUBJECTS.trialRequested, trial, { key: trial.trial_id });
    await until('tuning.completed', () => (done.length >= 1 ? true : undefined), 30_000);
    // The replica that closed the tuning remembers it in-process: the copy must go to the other, which has only the mark.
    const closer = ['mlops/replica-a', 'mlops/replica-b'].indexOf(String(done[0]?.source)); // replicas' start order
    expect(closer).toBeGreaterThanOrEqual(0);
    await replicas.splice(closer, 1)[0]?.stop();
    // Another message id: JetStream stores it as it would past its duplicate window.
    const copy = trials[0]!;
    await publisher.publishEvent(SUBJECTS.trialRequested, copy, { key: `${copy.trial_id}~copy` });
    await trialsQueueEmptied('the copy to be acknowledged');
    await client.flush();
    expect(started.map((e) => e.data.trial_id)).toEqual(['again-1-000']);
    // Marked closed: the copy publishes no second tuning.completed (past the duplicate window it would be stored).
    expect(done).toHaveLength(1);
  }, 60_000);
});
