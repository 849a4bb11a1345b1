import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Bus, connectBus, watchDeadLetters, watchEvents } from '@mlops/bus';
import { CONSUMERS, STREAMS, SUBJECTS, type ValidationProblem } from '@mlops/contracts';
import { formatDatasetCsv, makeClassification } from '@mlops/ml';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer, until, within } from '@mlops/testkit';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, TimeoutError } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { natsTrainerBus } from '../src/adapters/nats-bus.js';
import { digestMismatch } from '../src/domain/data-source.js';
import { createTrainer } from '../src/service.js';
import { testTrainerConfig } from './support/trainer-config.js';
import { queuedWork } from './support/tuning-run.js';

// The opening replica reads a tuning's snapshot itself when its CSV changed since the tuning pinned it (a redelivered
// opening, or a work message stored before the file was edited). When that read fails for a lasting cause (the
// snapshot bucket refused, or gone under the replica), the failure is logged and the edited file is refused as it
// would be without snapshots: tune.rejected naming the digest mismatch, the work message acknowledged once, never
// retried until dead-lettered. When it fails for a cause that may pass (a JetStream request timing out), the opening
// is tried again, and only its last delivery refuses the tuning so.

/** The snapshot bucket, and its stream (an object store `b` lives in stream OBJ_b). */
const SNAPSHOT_BUCKET = 'trainer-dataset-snapshots';
const SNAPSHOT_STREAM = `OBJ_${SNAPSHOT_BUCKET}`;
const NOT_READ = 'dataset snapshot not read: the file as it is now is checked against its pin';
const TRIED_AGAIN = 'dataset snapshot not read: the tuning is tried again';
const NOT_KEPT = 'dataset snapshot not kept: trials read the file itself';
/** The work consumer's deliveries of one tuning (WORK_MAX_DELIVER). */
const WORK_DELIVERIES = 5;
/** Small JetStream storage: an object store of 1 GiB is refused, one of 16 MiB fits. */
const MAX_FILE_STORE = 64 * 1024 ** 2;

const csvOf = (randomState: number) => {
  const { X, y } = makeClassification({ nSamples: 200, nFeatures: 4, nInformative: 2, randomState });
  return formatDatasetCsv(X, y);
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
// The bytes the tuning pinned, and the file as it was edited since.
const pinned = csvOf(1);
const edited = csvOf(2);
/** How the edited file is refused without snapshots: the digest it pins against the file's own. */
const refusedAsEdited: ValidationProblem[] = [
  { path: 'dataset', message: digestMismatch('rows.csv', sha256(pinned), sha256(edited)) },
];

let nats: NatsServerHandle;
let client: NatsConnection;
let jsm: JetStreamManager;
let publisher: Bus;
const silent = createLogger({ service: 'snapshot-read-failure-test', level: 'silent' });
const dataDirs: string[] = [];
let trainer: ReturnType<typeof createTrainer> | undefined;

beforeAll(async () => {
  nats = await startNatsServer({ maxFileStoreBytes: MAX_FILE_STORE });
  client = await connect({ servers: nats.url });
  jsm = await jetstreamManager(client);
  publisher = await connectBus({ servers: nats.url, name: 'snapshot-read-failure-publisher', logger: silent });
}, 30_000);
afterEach(async () => {
  await trainer?.stop();
  trainer = undefined;
});
afterAll(async () => {
  await publisher?.close();
  await client?.drain();
  await nats?.stop();
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

/**
 * A trainer whose data directory holds rows.csv as edited (and pinned.csv as pinned), logging every line (its bus's
 * too) into `lines`; `seam` may change the bus it is given.
 */
async function startTrainer(instance: string, snapshotMaxBytes: number, seam: (bus: Bus) => Bus = (bus) => bus) {
  const dataDir = await mkdtemp(join(tmpdir(), `snapshot-read-${instance}-`));
  dataDirs.push(dataDir);
  await writeFile(join(dataDir, 'rows.csv'), edited);
  await writeFile(join(dataDir, 'pinned.csv'), pinned);
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ service: 'trainer', level: 'debug', destination: sink });
  const bus = seam(await connectBus({ servers: nats.url, name: instance, logger }));
  const config = { ...testTrainerConfig(nats.url, dataDir, instance), snapshotMaxBytes };
  trainer = createTrainer(config, { bus: natsTrainerBus(bus, config), logger });
  await trainer.start();
  return lines;
}

/**
 * The bus with the snapshot bucket's first `failures` reads timing out as a JetStream request does when nats-server
 * is slow or its stream leader is being elected (the reads after them go to the bucket).
 */
function snapshotReadsTimingOut(bus: Bus, failures: number): Bus {
  let failed = 0;
  return {
    ...bus,
    async blobs(bucket, options) {
      const store = await bus.blobs(bucket, options);
      if (bucket !== SNAPSHOT_BUCKET) return store;
      return {
        put: (name, bytes, putOptions) => store.put(name, bytes, putOptions),
        async get(name, timeoutMs) {
          if (failed >= failures) return store.get(name, timeoutMs);
          failed++;
          throw new TimeoutError();
        },
      };
    },
  };
}

/** Keeps the pinned bytes in the snapshot bucket, as the replica that first opened a tuning on them did. */
async function keepPinnedSnapshot(): Promise<void> {
  const snapshots = natsTrainerBus(publisher, { snapshotMaxBytes: 16 * 1024 ** 2 }).datasetSnapshots;
  await snapshots.keep(sha256(pinned), Buffer.from(pinned));
}

type Ending =
  | { readonly kind: 'rejected'; readonly errors: ValidationProblem[] }
  | { readonly kind: 'dead-lettered'; readonly reason: string; readonly error: string }
  | { readonly kind: 'completed'; readonly completed: number; readonly failed: number };

/**
 * Stores the work message of a tuning on `path` (by default rows.csv, edited since) pinned to the `pinned` bytes (as
 * the intake stored it before the file was edited), and resolves with how it ended: its tune.rejected, its work message
 * dead-lettered, or its tuning.completed (every trial accounted for: none is left for the next test's trainer). Also
 * says how many deliveries the work consumer made for it (counted once the message is acknowledged or given up on).
 */
async function openEditedTuning(tuningId: string, path = 'rows.csv'): Promise<{ ending: Ending; deliveries: number }> {
  const work = queuedWork(tuningId, {
    dataset: { kind: 'csv', path, features: 'matrix', digest: sha256(pinned) },
    grid: { C: [0.1, 1], solver: 'lbfgs' },
  });
  let settle: (ending: Ending) => void = () => undefined;
  const ended = new Promise<Ending>((resolve) => {
    settle = resolve;
  });
  const rejections = watchEvents(client, SUBJECTS.tuneRejected, (event) => {
    if (event.data.tuning_id === tuningId) settle({ kind: 'rejected', errors: event.data.errors });
  });
  const deadLetters = watchDeadLetters(client, SUBJECTS.tuningRequested, (letter) => {
    if (letter.event?.data.tuning_id === tuningId)
      settle({ kind: 'dead-lettered', reason: letter.reason, error: letter.error });
  });
  const completions = watchEvents(client, SUBJECTS.tuningCompleted, (event) => {
    if (event.data.tuning_id === tuningId)
      settle({ kind: 'completed', completed: event.data.completed, failed: event.data.failed });
  });
  await client.flush(); // the subscriptions are known to the server before the work is stored
  const before = (await jsm.consumers.info(STREAMS.tuneRequests.name, CONSUMERS.trainer)).delivered.consumer_seq;
  try {
    await publisher.publishEvent(SUBJECTS.tuningRequested, work, { key: tuningId });
    const ending = await within(ended, 60_000, `tune.rejected, a dead letter or tuning.completed of ${tuningId}`);
    // The handler acknowledges after it published (or the bus terms after it dead-lettered): then nothing is redelivered.
    const settled = await until('the work message acknowledged', async () => {
      const info = await jsm.consumers.info(STREAMS.tuneRequests.name, CONSUMERS.trainer);
      return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
    });
    return { ending, deliveries: settled.delivered.consumer_seq - before };
  } finally {
    rejections.unsubscribe();
    deadLetters.unsubscribe();
    completions.unsubscribe();
  }
}

const warnings = (lines: Record<string, unknown>[], msg: string) =>
  lines.filter((line) => line.level === 40 && line.msg === msg);

describe('the opening replica whose snapshot read fails', () => {
  it('when nats-server refuses the snapshot bucket and the CSV was edited since its tuning pinned it, then the failed read is logged and the tuning is refused as tune.rejected naming the digest mismatch, delivered once, not dead-lettered', async () => {
    // TRAINER_SNAPSHOT_MAX_BYTES of 1 GiB on a server with 64 MiB of JetStream storage: the bucket cannot be created.
    const lines = await startTrainer('refused', 1024 ** 3);

    const { ending, deliveries } = await openEditedTuning('refused-1');

    expect(ending).toEqual({ kind: 'rejected', errors: refusedAsEdited });
    expect(deliveries).toBe(1);
    const notRead = warnings(lines, NOT_READ);
    expect(notRead).toHaveLength(1);
    expect(notRead[0]).toMatchObject({
      tuning_id: 'refused-1',
      digest: sha256(pinned),
      err: { message: expect.stringMatching(/^nats-server refused object store trainer-dataset-snapshots of 1 GiB/) },
    });
    expect(warnings(lines, 'tuning rejected: its data cannot be used')).toMatchObject([{ tuning_id: 'refused-1' }]);
    expect(warnings(lines, 'handler failed: will retry')).toEqual([]);
    expect(lines.filter((line) => line.msg === 'message dead-lettered')).toEqual([]);
    expect(lines.filter((line) => line.msg === 'tuning started' && line.tuning_id === 'refused-1')).toHaveLength(1);

    // A tuning on a file that matches its pin goes on without its snapshot, the failed keep logged under its id.
    const matching = await openEditedTuning('refused-2', 'pinned.csv');
    expect(matching).toEqual({ ending: { kind: 'completed', completed: 2, failed: 0 }, deliveries: 1 });
    expect(warnings(lines, NOT_KEPT)).toMatchObject([
      { tuning_id: 'refused-2', digest: sha256(pinned), err: { type: 'StorageRefusedError' } },
    ]);
  }, 90_000);

  it('when the snapshot bucket is deleted under the replica that opened it, then a tuning on the edited CSV is refused exactly as one with no snapshot kept, and the failed read is logged', async () => {
    const lines = await startTrainer('deleted', 16 * 1024 ** 2);
    // Without a snapshot of the pinned bytes (the bucket opens, the object is missing): the edited file is refused.
    const withoutSnapshot = await openEditedTuning('deleted-1');
    expect(withoutSnapshot).toEqual({ ending: { kind: 'rejected', errors: refusedAsEdited }, deliveries: 1 });
    expect(warnings(lines, NOT_READ)).toEqual([]);
    expect((await jsm.streams.info(SNAPSHOT_STREAM)).config.max_bytes).toBe(16 * 1024 ** 2);

    // The bucket goes away under the replica, which keeps its opened store: the next read fails.
    await jsm.streams.delete(SNAPSHOT_STREAM);
    const { ending, deliveries } = await openEditedTuning('deleted-2');

    expect(ending).toEqual(withoutSnapshot.ending);
    expect(deliveries).toBe(1);
    expect(warnings(lines, NOT_READ)).toMatchObject([
      { tuning_id: 'deleted-2', digest: sha256(pinned), err: { message: expect.stringMatching(/stream not found/i) } },
    ]);
    expect(warnings(lines, 'handler failed: will retry')).toEqual([]);
    expect(lines.filter((line) => line.msg === 'message dead-lettered')).toEqual([]);
  }, 90_000);

  it('when the first snapshot read times out (nats-server slow, a leader election), then the opening is tried again and the next delivery opens the tuning on the pinned bytes', async () => {
    await keepPinnedSnapshot();
    const lines = await startTrainer('slow-once', 16 * 1024 ** 2, (bus) => snapshotReadsTimingOut(bus, 1));

    const { ending, deliveries } = await openEditedTuning('slow-once-1');

    expect(ending).toEqual({ kind: 'completed', completed: 2, failed: 0 });
    expect(deliveries).toBe(2);
    expect(warnings(lines, TRIED_AGAIN)).toMatchObject([
      {
        tuning_id: 'slow-once-1',
        digest: sha256(pinned),
        err: { type: 'TransientError', message: expect.stringMatching(/^timeout/) },
      },
    ]);
    expect(warnings(lines, 'handler failed: will retry')).toMatchObject([{ delivery: 1 }]);
    expect(warnings(lines, NOT_READ)).toEqual([]);
    expect(lines.filter((line) => line.msg === 'message dead-lettered')).toEqual([]);
  }, 90_000);

  it('when every snapshot read times out, then the tuning is refused on its last delivery only, as one with no snapshot kept, and not dead-lettered', async () => {
    await keepPinnedSnapshot();
    const lines = await startTrainer('slow-always', 16 * 1024 ** 2, (bus) => snapshotReadsTimingOut(bus, Infinity));

    const { ending, deliveries } = await openEditedTuning('slow-always-1');

    expect(ending).toEqual({ kind: 'rejected', errors: refusedAsEdited });
    expect(deliveries).toBe(WORK_DELIVERIES);
    expect(warnings(lines, TRIED_AGAIN)).toHaveLength(WORK_DELIVERIES - 1);
    expect(warnings(lines, TRIED_AGAIN).every((line) => line.tuning_id === 'slow-always-1')).toBe(true);
    expect(warnings(lines, 'handler failed: will retry')).toHaveLength(WORK_DELIVERIES - 1);
    expect(warnings(lines, NOT_READ)).toMatchObject([
      {
        tuning_id: 'slow-always-1',
        digest: sha256(pinned),
        last_attempt: true,
        err: { message: expect.stringMatching(/^timeout/) },
      },
    ]);
    expect(lines.filter((line) => line.msg === 'message dead-lettered')).toEqual([]);
  }, 90_000);
});
