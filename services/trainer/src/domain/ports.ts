import type {
  EventData,
  EventSubject,
  TrialRequested,
  TuneReply,
  TuneRequest,
  TuningRequested,
} from '@mlops/contracts';
import type { CsvDelimiter } from '@mlops/ml';
import type { StoreHoldout } from './holdout.js';
import type { TrialTally } from './trial-tally.js';

/** Publishes one event of the map durably; `key` names the fact (a trial id), so a re-publish is de-duplicated. */
export type PublishEvent = <S extends EventSubject>(subject: S, data: EventData<S>, key: string) => Promise<void>;

/** What the trainer needs from the bus (implemented over @mlops/bus in adapters/nats-bus.ts). */
export interface TrainerBus {
  /** Creates the streams and the durable work consumer if missing (idempotent). */
  provision(): Promise<void>;
  readonly publishEvent: PublishEvent;
  /**
   * Stores an accepted request on the work queue under its tuning id (and `againAfter`, the sequence of the copy the
   * worker gave up on, for a request stored again), and says at which stream sequence. When JetStream already held
   * one under that key (inside its duplicate window) nothing new is stored, and `holder` is the request stored then
   * (undefined when it cannot be read back), at `seq` (0 when the server could not say).
   */
  storeTuning(
    work: TuningRequested['data'],
    againAfter?: number,
  ): Promise<{ stored: true; seq: number } | { stored: false; holder: TuneRequest | undefined; seq: number }>;
  /**
   * Answers `tune.requested` (core request/reply); a message without reply subject is handled all the same.
   * Resolves once the server routes requests to it.
   */
  serveTuneRequests(handle: (body: Uint8Array) => Promise<TuneReply>): Promise<Stoppable>;
  /**
   * Consumes the durable work queue, one parsed tuning at a time; a handler error is retried later, and dead-lettered
   * when `delivery.lastAttempt` said no delivery was left.
   */
  consumeWork(
    handle: (work: TuningRequested['data'], heartbeat: () => void, delivery: WorkDelivery) => Promise<void>,
  ): Stoppable;
  /**
   * Consumes the shared trial queue, up to `concurrency` trials at once; the message is kept alive while a trial runs.
   * A handler error is retried later; `lastAttempt` says no fit attempt is left; UnusableDataError and
   * TrialGivenUpError dead-letter it at once.
   */
  consumeTrials(
    handle: (trial: TrialRequested['data'], delivery: TrialDelivery) => Promise<void>,
    concurrency: number,
  ): Stoppable;
  /** Copies of the CSVs tunings pinned, in the bus's object store (opened at first use). */
  readonly datasetSnapshots: DatasetSnapshots;
  /** Stores a cut holdout's whole in the object store GATE_HOLDOUT_BUCKET (opened at first use), named after the tuning. */
  readonly storeHoldout: StoreHoldout;
  /** The tallies of trial outcomes every replica shares (opened at provision). */
  readonly tallies: TrialTallies;
  /** Drains the connection (after every consumer stopped). */
  close(): Promise<void>;
}

/**
 * Copies of the CSV bytes tunings pinned, by SHA-256 (hex): the replica that opens a tuning keeps them, and a trial
 * whose replica finds the file changed since, or missing, reads them back, so every trial fits the pinned rows.
 */
export interface DatasetSnapshots {
  /** Keeps `bytes` under `digest` (theirs); the same bytes kept again are not written again. */
  keep(digest: string, bytes: Uint8Array): Promise<void>;
  /**
   * The bytes kept under `digest`; undefined when none are (never kept, expired, or snapshots are off). A read that
   * fails rejects with the bus's TransientError when asking again may succeed (NATS away, a leader election, a
   * timeout), else with its own error (the bucket refused or gone, the object corrupt).
   */
  read(digest: string): Promise<Uint8Array | undefined>;
}

/** What the work handler knows of its delivery. */
export interface WorkDelivery {
  /** No delivery is left after this one: a handler error now dead-letters the tuning. */
  readonly lastAttempt: boolean;
  /** Where the request is stored: one stored copy of it among others of the same tuning. */
  readonly streamSequence: number;
}

/** What a trial handler knows of its delivery. */
export interface TrialDelivery {
  /** No fit attempt is left after this one. */
  readonly lastAttempt: boolean;
  /** Aborted when the consumer stops: a handler waiting for NATS gives up (its trial is redelivered). */
  readonly signal: AbortSignal;
}

/** Trial outcomes per tuning, shared by every replica. */
export interface TrialTallies {
  /** Records trial `index` as completed (`ok`) or failed (idempotent); returns the tally after it. */
  record(tuningId: string, trialCount: number, index: number, ok: boolean): Promise<TrialTally>;
  /** The tally of `tuningId` as recorded so far (every trial pending for an id no tuning used). */
  tally(tuningId: string, trialCount: number): Promise<TrialTally>;
  /** Whether trial `index` is recorded as completed: one key read, which may miss a mark made just now. */
  completed(tuningId: string, index: number): Promise<boolean>;
  /** Marks the tuning closed once its tuning.completed is published (tallies read after it say `closed`). */
  markClosed(tuningId: string): Promise<void>;
  /** How many trials of `tuningId` are recorded (0 for an id no tuning used in the tallies' lifetime). */
  recorded(tuningId: string): Promise<number>;
  /** What became of the requests under `tuningId` (accepted, stored, lost, worked on), as marked by markRequest. */
  requests(tuningId: string): Promise<ReadonlySet<string>>;
  /** Marks what became of a request under `tuningId` (letters, digits, `-`, `_`); kept 7 days. */
  markRequest(tuningId: string, mark: string): Promise<void>;
}

/** Something running that can be stopped, waiting for in-flight work. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * The intake's view of the data directory: whether a CSV exists, the names in its header (when cheap to read), and
 * the SHA-256 (hex) of its bytes (read only when a request pins a digest).
 */
export interface DatasetFiles {
  check(path: string): Promise<void>;
  header(path: string, delimiter: CsvDelimiter): Promise<string[] | undefined>;
  sha256(path: string): Promise<string>;
}
