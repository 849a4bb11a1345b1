import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, requestReply } from '@mlops/bus';
import { type EventData, expandGrid, parseTuneRequest, SUBJECTS } from '@mlops/contracts';
import { formatDatasetCsv, makeClassification } from '@mlops/ml';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer, until } from '@mlops/testkit';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsTrainerBus } from '../src/adapters/nats-bus.js';
import { createTrainer } from '../src/service.js';
import { testTrainerConfig } from './support/trainer-config.js';

let nats: NatsServerHandle;
let client: NatsConnection;
let publisher: Bus;
const dataDirs: string[] = [];
const replicas: ReturnType<typeof createTrainer>[] = [];
const logger = createLogger({ service: 'dataset-snapshots-test', level: 'silent' });
const csvOf = (randomState: number) => {
  const { X, y } = makeClassification({ nSamples: 2000, nFeatures: 5, nInformative: 3, randomState });
  return formatDatasetCsv(X, y);
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A replica whose data directory holds `files` (each replica its own directory, as on two hosts). */
async function startReplica(instance: string, files: Record<string, string>) {
  const dataDir = await mkdtemp(join(tmpdir(), `snapshots-${instance}-`));
  dataDirs.push(dataDir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dataDir, name), text);
  const bus = await connectBus({ servers: nats.url, name: instance, logger });
  const config = testTrainerConfig(nats.url, dataDir, instance);
  const trainer = createTrainer(config, { bus: natsTrainerBus(bus, config), logger });
  await trainer.start();
  replicas.push(trainer);
}

/** Every message published on `subject` from now on. */
function collect<T>(subject: string): T[] {
  const seen: T[] = [];
  client.subscribe(subject, {
    callback: (_err, msg) => {
      seen.push(msg.json() as T);
    },
  });
  return seen;
}

// Two versions of one file: as a CSV edited while its tuning runs, or a replica whose copy is out of date.
const pinned = csvOf(1);
const edited = csvOf(2);
const shared = csvOf(3);

beforeAll(async () => {
  nats = await startNatsServer();
  client = await connect({ servers: nats.url });
  publisher = await connectBus({ servers: nats.url, name: 'snapshots-publisher', logger });
  await startReplica('replica-a', { 'rows.csv': pinned, 'shared.csv': shared });
  await startReplica('replica-b', { 'rows.csv': edited, 'shared.csv': shared });
}, 30_000);
afterAll(async () => {
  for (const replica of replicas) await replica.stop();
  await publisher?.close();
  await client?.drain();
  await nats?.stop();
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

describe('dataset snapshots across trainer replicas', () => {
  it('when a tuning on a CSV is opened, then the bytes it pinned are kept in the object store under their SHA-256', async () => {
    const done = collect<{ data: Record<string, unknown> }>(SUBJECTS.tuningCompleted);
    const request = { tuning_id: 'kept-1', dataset: { kind: 'csv', path: 'shared.csv', features: 'matrix' } };
    const reply = await requestReply(client, SUBJECTS.tuneRequested, JSON.stringify(request), { timeoutMs: 5000 });
    expect(reply).toMatchObject({ status: 'accepted' });
    await until('tuning.completed', () => (done.length >= 1 ? true : undefined), 60_000);
    const snapshots = natsTrainerBus(publisher, { snapshotMaxBytes: 64 * 1024 ** 2 }).datasetSnapshots;
    expect(Buffer.from((await snapshots.read(sha256(shared))) ?? []).toString()).toBe(shared);
    // Snapshots turned off (TRAINER_SNAPSHOT_MAX_BYTES=0): nothing is read back, nothing kept.
    const off = natsTrainerBus(publisher, { snapshotMaxBytes: 0 }).datasetSnapshots;
    expect(await off.read(sha256(shared))).toBeUndefined();
    await off.keep(sha256(pinned), Buffer.from(pinned));
    expect(await snapshots.read(sha256(pinned))).toBeUndefined();
  }, 90_000);

  it("when a replica's copy of the CSV differs from the bytes its tuning pinned, then its trials fit the pinned bytes and none fails", async () => {
    const completed = collect<{ source: string; data: { dataset_digest: string } }>(SUBJECTS.runCompleted);
    const failed = collect<{ data: { reason: string } }>(SUBJECTS.runFailed);
    const done = collect<{ data: Record<string, unknown> }>(SUBJECTS.tuningCompleted);
    // As the replica that opened the tuning did: it read rows.csv as `pinned` and kept those bytes.
    await natsTrainerBus(publisher, { snapshotMaxBytes: 64 * 1024 ** 2 }).datasetSnapshots.keep(
      sha256(pinned),
      Buffer.from(pinned),
    );
    const parsed = parseTuneRequest({
      tuning_id: 'edited-1',
      dataset: { kind: 'csv', path: 'rows.csv', features: 'matrix', digest: sha256(pinned) },
      grid: { C: [0.001, 0.01, 0.1, 1, 10, 100, 1000, 10000], tol: [1e-4, 1e-3], solver: 'lbfgs' },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const grid = expandGrid(parsed.request.grid);
    for (const [index, params] of grid.entries()) {
      const trial: EventData<'trial.requested'> = {
        tuning_id: 'edited-1',
        trial_id: `edited-1-${String(index).padStart(3, '0')}`,
        trial_index: index,
        trial_count: grid.length,
        params,
        request: parsed.request,
        requested_at: new Date().toISOString(),
      };
      await publisher.publishEvent(SUBJECTS.trialRequested, trial, { key: trial.trial_id });
    }
    await until('tuning.completed', () => (done.length >= 1 ? true : undefined), 60_000);
    expect(failed.map((e) => e.data.reason)).toEqual([]);
    expect(done[0]?.data).toMatchObject({ tuning_id: 'edited-1', completed: grid.length, failed: 0 });
    // Both replicas fitted trials, replica-b on the kept bytes: one data set digest across all of them.
    expect(new Set(completed.map((e) => e.source))).toEqual(new Set(['mlops/replica-a', 'mlops/replica-b']));
    expect(new Set(completed.map((e) => e.data.dataset_digest)).size).toBe(1);
  }, 90_000);
});
