import { type Blobs, type Bus, PoisonMessageError, StorageRefusedError, TransientError } from '@mlops/bus';
import {
  CONSUMERS,
  GATE_HOLDOUT_BUCKET,
  GATE_HOLDOUT_MAX_BYTES,
  GATE_HOLDOUT_TTL_MS,
  STREAMS,
  SUBJECTS,
} from '@mlops/contracts';
import { UnusableDataError } from '../domain/data-source.js';
import type { StoreHoldout } from '../domain/holdout.js';
import type { DatasetSnapshots, TrainerBus, TrialTallies } from '../domain/ports.js';
import { CLOSED_MARK, OUTCOME_MARK, outcomeMark, TrialGivenUpError, tallyOfMarks } from '../domain/trial-tally.js';

/**
 * The work message's ack deadline, extended by a heartbeat between trials (inline) or between batches of queued
 * trials, and every third of it: a crashed trainer's tuning goes to its successor after this.
 */
const WORK_ACK_WAIT_MS = 20_000;
const WORK_MAX_DELIVER = 5;
/** A trial's ack deadline: kept alive every third of it while its thread fits; a dead replica's trial moves on after it. */
const TRIAL_ACK_WAIT_MS = 10_000;
/** Fit attempts of one trial before it is counted as failed and dead-lettered. */
const TRIAL_FIT_ATTEMPTS = 3;
/**
 * Deliveries of one trial message: the fit attempts, then room for redeliveries while NATS was unreachable (the
 * handler itself retries recording an outcome until it succeeds or the consumer stops).
 */
const TRIAL_MAX_DELIVER = 10;
/** The shared tallies of trial outcomes; a tally lives this long after its last change. */
const TALLY_BUCKET = 'trainer-trial-outcomes';
const TALLY_TTL_MS = 7 * 24 * 3600 * 1000;

/** The object store of dataset snapshots (DatasetSnapshots), named by SHA-256; each lives 7 days after it was kept. */
const DATASET_SNAPSHOT_BUCKET = 'trainer-dataset-snapshots';
const DATASET_SNAPSHOT_TTL_MS = 7 * 24 * 3600 * 1000;

/** How the trainer's bus port is set up (from the trainer's config). */
export interface TrainerBusOptions {
  /** The dataset snapshot bucket's size (TRAINER_SNAPSHOT_MAX_BYTES); 0 keeps no snapshots. */
  readonly snapshotMaxBytes: number;
}

/** A snapshot kept again after half its life is written again, so a file tuned every few days never expires. */
const SNAPSHOT_REFRESH_AFTER_MS = DATASET_SNAPSHOT_TTL_MS / 2;
/** How long reading one snapshot may take (a CSV of some hundred MB over a slow link), before the trial is retried. */
const SNAPSHOT_READ_TIMEOUT_MS = 10 * 60 * 1000;

/** The trainer's bus port over @mlops/bus: events through the typed map, malformed work dead-lettered by the bus. */
export function natsTrainerBus(bus: Bus, options: TrainerBusOptions): TrainerBus {
  let tallies: TrialTallies | undefined;
  // Buckets are opened at their first use, not at start: a server short of storage for one costs the gate its whole
  // holdouts (each tuning then says so) or the trials their snapshots, never the trainer its start.
  const holdouts = lazyBlobs(bus, GATE_HOLDOUT_BUCKET, {
    ttlMs: GATE_HOLDOUT_TTL_MS,
    maxBytes: GATE_HOLDOUT_MAX_BYTES,
  });
  const storeHoldout: StoreHoldout = async (tuningId, json) => (await holdouts()).put(tuningId, json);
  const { snapshotMaxBytes } = options;
  const snapshots = lazyBlobs(bus, DATASET_SNAPSHOT_BUCKET, {
    ttlMs: DATASET_SNAPSHOT_TTL_MS,
    maxBytes: snapshotMaxBytes,
    maxBytesSetting: 'TRAINER_SNAPSHOT_MAX_BYTES',
  });
  const datasetSnapshots: DatasetSnapshots = {
    async keep(digest, bytes) {
      if (snapshotMaxBytes > 0)
        await (await snapshots()).put(digest, bytes, { rewriteAfterMs: SNAPSHOT_REFRESH_AFTER_MS });
    },
    async read(digest) {
      if (snapshotMaxBytes === 0) return undefined;
      try {
        return await (await snapshots()).get(digest, SNAPSHOT_READ_TIMEOUT_MS);
      } catch (err) {
        throw lastingSnapshotFailure(err) ? err : new TransientError(messageOf(err), { cause: err });
      }
    },
  };
  return {
    async provision() {
      await bus.ensureDeadLetterStream();
      await bus.ensureStream(STREAMS.tuneRequests);
      await bus.ensureStream(STREAMS.trials);
      await bus.ensureStream(STREAMS.tuningEvents);
      await bus.ensureConsumer(STREAMS.tuneRequests.name, {
        durable: CONSUMERS.trainer,
        filterSubject: SUBJECTS.tuningRequested,
        ackWaitMs: WORK_ACK_WAIT_MS,
        maxDeliver: WORK_MAX_DELIVER,
      });
      await bus.ensureConsumer(STREAMS.trials.name, {
        durable: CONSUMERS.trainerTrials,
        filterSubject: SUBJECTS.trialRequested,
        ackWaitMs: TRIAL_ACK_WAIT_MS,
        maxDeliver: TRIAL_MAX_DELIVER,
      });
      const sets = await bus.markSets(TALLY_BUCKET, { ttlMs: TALLY_TTL_MS });
      tallies = {
        record: async (tuningId, trialCount, index, ok) =>
          tallyOfMarks(trialCount, await sets.mark(tuningId, outcomeMark(trialCount, index, ok))),
        tally: async (tuningId, trialCount) => tallyOfMarks(trialCount, await sets.members(tuningId)),
        completed: (tuningId, index) => sets.has(tuningId, `${index}-c`),
        async markClosed(tuningId) {
          await sets.mark(tuningId, CLOSED_MARK);
        },
        recorded: async (tuningId) =>
          [...(await sets.members(tuningId))].filter((mark) => OUTCOME_MARK.test(mark)).length,
        requests: (tuningId) => sets.members(`request:${tuningId}`),
        async markRequest(tuningId, mark) {
          await sets.mark(`request:${tuningId}`, mark);
        },
      };
    },
    async publishEvent(subject, data, key) {
      await bus.publishEvent(subject, data, { key });
    },
    async storeTuning(work, againAfter) {
      const key = againAfter === undefined ? work.tuning_id : `${work.tuning_id}~${againAfter}`;
      const ack = await bus.publishEvent(SUBJECTS.tuningRequested, work, { key });
      if (!ack.duplicate) return { stored: true, seq: ack.seq };
      // A duplicate's ack names the sequence of the message stored first (0 when the server could not say).
      const holder = ack.seq > 0 ? await bus.storedEvent(SUBJECTS.tuningRequested, ack.seq) : undefined;
      return { stored: false, holder: holder?.data.request, seq: ack.seq };
    },
    serveTuneRequests: (handle) => bus.serve(SUBJECTS.tuneRequested, 'trainer-intake', handle),
    consumeWork(handle) {
      const started = bus.consumeEvents(
        CONSUMERS.trainer,
        {
          [SUBJECTS.tuningRequested]: (event, message) =>
            handle(event.data, () => message.working(), {
              lastAttempt: message.deliveryCount >= WORK_MAX_DELIVER,
              streamSequence: message.streamSequence,
            }),
        },
        { concurrency: 1, ackWaitMs: WORK_ACK_WAIT_MS, maxDeliver: WORK_MAX_DELIVER },
      );
      return { stop: async () => (await started).stop() };
    },
    consumeTrials(handle, concurrency) {
      const started = bus.consumeEvents(
        CONSUMERS.trainerTrials,
        {
          [SUBJECTS.trialRequested]: async (event, message) => {
            try {
              const lastAttempt = message.deliveryCount >= TRIAL_FIT_ATTEMPTS;
              await handle(event.data, { lastAttempt, signal: message.signal });
            } catch (err) {
              if (err instanceof UnusableDataError || err instanceof TrialGivenUpError) {
                throw new PoisonMessageError(err.message, { cause: err });
              }
              throw err;
            }
          },
        },
        { concurrency, prefetch: concurrency, ackWaitMs: TRIAL_ACK_WAIT_MS, maxDeliver: TRIAL_MAX_DELIVER },
      );
      return { stop: async () => (await started).stop() };
    },
    storeHoldout,
    datasetSnapshots,
    get tallies(): TrialTallies {
      if (tallies === undefined) throw new Error('the trainer bus is not provisioned yet');
      return tallies;
    },
    close: () => bus.close(),
  };
}

/** Opens the object store `bucket` at the first call and keeps it; a failed opening is tried again at the next call. */
function lazyBlobs(bus: Bus, bucket: string, options: Parameters<Bus['blobs']>[1]): () => Promise<Blobs> {
  let opened: Promise<Blobs> | undefined;
  return () => {
    opened ??= bus.blobs(bucket, options).catch((err: unknown) => {
      opened = undefined;
      throw err;
    });
    return opened;
  };
}

/** The JetStream API's code for a stream that is not there (JetStreamApiCodes.StreamNotFound): its bucket is gone. */
const STREAM_NOT_FOUND = 10059;
/**
 * What @nats-io/obj says of a bucket that is not there, or of an object whose chunks do not match its digest; and
 * what the bus says of an object not read whole in its time (SNAPSHOT_READ_TIMEOUT_MS).
 */
const LASTING_OBJECT_FAILURE = /object store not found|corrupt object|digest type|parse digest|not read whole within/i;

/**
 * Whether a snapshot read failed for a cause that asking again cannot mend, or should not wait for: nats-server
 * refused the bucket (too little storage), the bucket is not there (deleted under this replica), the object is
 * corrupt, or its read took the whole read timeout (five more would hold the one-at-a-time work queue for most of an
 * hour; NATS away that long rejects the tuning too). Anything else (NATS away for a moment, a leader election, a
 * request timeout) may pass.
 */
function lastingSnapshotFailure(err: unknown): boolean {
  if (err instanceof StorageRefusedError) return true;
  if ((err as { code?: unknown } | undefined)?.code === STREAM_NOT_FOUND) return true;
  return LASTING_OBJECT_FAILURE.test(messageOf(err));
}

function messageOf(err: unknown): string {
  return String((err as Error | undefined)?.message ?? err);
}
