import { setTimeout as sleep } from 'node:timers/promises';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { StorageRefusedError } from './errors.js';

/** A stream the services need; provisioning is create-or-update and never deletes data. */
export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  /** JetStream de-duplication window for message ids. @defaultValue 1 hour */
  readonly duplicateWindowMs?: number;
  /** 0 = keep forever. @defaultValue 0 */
  readonly maxAgeMs?: number;
  /** Bytes kept; past it the oldest messages are discarded. 0 = unlimited; unset keeps an existing stream's limit. */
  readonly maxBytes?: number;
  /** The setting users change `maxBytes` with, named when nats-server has too little storage for it. */
  readonly maxBytesSetting?: string;
  /**
   * Only create the stream when it is missing; an existing one is left as it is (for a consumer that must not fight
   * the owner's limits, e.g. the monitor and the predictor's PREDICTIONS).
   */
  readonly ifMissing?: boolean;
  /**
   * `limits` keeps messages until the stream's limits drop them; `workqueue` deletes each message once a consumer
   * acknowledged it (one consumer per subject). Fixed when the stream is created. @defaultValue 'limits'
   */
  readonly retention?: 'limits' | 'workqueue';
}

/** A durable pull consumer. */
export interface ConsumerSpec {
  readonly durable: string;
  readonly filterSubject?: string;
  /** @defaultValue 30000 */
  readonly ackWaitMs?: number;
  /** @defaultValue 5 */
  readonly maxDeliver?: number;
  /** `all` (default) or `new` (only messages published after creation). */
  readonly deliverPolicy?: 'all' | 'new';
  /** Delivered but unacknowledged messages at most (held messages count). @defaultValue 1000 */
  readonly maxAckPending?: number;
  /**
   * The server deletes the consumer once nobody pulled from it for this long (a durable of an instance name no longer
   * used); kept while consumed. Unset: kept forever.
   */
  readonly inactiveThresholdMs?: number;
}

/** The stream capturing every dead letter (`deadletter.>`), with Limits retention so they can be inspected and re-driven. */
export const DEAD_LETTER_STREAM: StreamSpec = { name: 'DEAD_LETTERS', subjects: ['deadletter.>'] };

/**
 * What nats-server 2.9 answers the loser of two simultaneous creations of one stream (services starting together
 * ensure the streams they share): the stream exists now, so looking again settles it.
 */
const CREATION_RACE = /subjects overlap with an existing stream|stream name already in use/i;
const CREATION_ATTEMPTS = 3;

/** Runs `create` again while it loses a creation race (see CREATION_RACE), up to 3 times in all. */
export async function outlivingCreationRaces<T>(create: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (err) {
      if (attempt >= CREATION_ATTEMPTS || !CREATION_RACE.test((err as Error).message)) throw err;
    }
  }
}

/**
 * Creates the stream (with `replicas` copies on a cluster), or updates its subjects, windows and size limit if they
 * differ. A spec without `maxBytes` leaves an existing stream's size limit as it is (the service that owns the limit
 * sets it; others only ensure); an existing stream keeps its replica count. Another process creating it at the same
 * moment is outlived: the one that lost looks again.
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, replicas = 1): Promise<void> {
  try {
    await outlivingCreationRaces(() => ensureStreamOnce(jsm, spec, replicas));
  } catch (err) {
    throw storageRefused(err, `stream ${spec.name}`, spec.maxBytes, spec.maxBytesSetting) ?? err;
  }
}

const INSUFFICIENT_STORAGE = /insufficient storage/i;

/**
 * A clear error for nats-server refusing `what` (of `maxBytes`) for want of JetStream storage; undefined for any
 * other error.
 */
export function storageRefused(
  err: unknown,
  what: string,
  maxBytes: number | undefined,
  setting: string | undefined,
): StorageRefusedError | undefined {
  if (!INSUFFICIENT_STORAGE.test((err as Error | undefined)?.message ?? '')) return undefined;
  const size = maxBytes === undefined || maxBytes <= 0 ? '' : ` of ${mebibytes(maxBytes)}`;
  const lower = setting === undefined ? '' : `, or lower ${setting}`;
  return new StorageRefusedError(
    `nats-server refused ${what}${size}: too little JetStream storage left (it reserves every stream's size limit ` +
      `against its max_file_store, 75 % of the free disk by default); free disk space, raise max_file_store${lower}`,
    { cause: err },
  );
}

function mebibytes(bytes: number): string {
  return bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0
    ? `${bytes / 1024 ** 3} GiB`
    : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

async function ensureStreamOnce(jsm: JetStreamManager, spec: StreamSpec, replicas: number): Promise<void> {
  const existing = await jsm.streams.info(spec.name).catch(undefinedWhenMissing);
  const maxBytes = spec.maxBytes ?? existing?.config.max_bytes ?? 0;
  const wanted = {
    subjects: [...spec.subjects],
    duplicate_window: nanos(spec.duplicateWindowMs ?? 60 * 60 * 1000),
    max_age: nanos(spec.maxAgeMs ?? 0),
    max_bytes: maxBytes > 0 ? maxBytes : -1,
    discard: DiscardPolicy.Old,
  };
  if (existing === undefined) {
    const retention = spec.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits;
    await jsm.streams.add({ name: spec.name, storage: StorageType.File, retention, num_replicas: replicas, ...wanted });
    return;
  }
  if (spec.ifMissing === true) return;
  const config = existing.config;
  const same =
    JSON.stringify([...config.subjects].sort()) === JSON.stringify([...wanted.subjects].sort()) &&
    config.duplicate_window === wanted.duplicate_window &&
    config.max_age === wanted.max_age &&
    config.max_bytes === wanted.max_bytes &&
    config.discard === wanted.discard;
  if (!same) await jsm.streams.update(spec.name, wanted);
}

/** Creates the durable consumer, or updates ack wait and max deliver if they differ. */
export async function ensureConsumer(jsm: JetStreamManager, stream: string, spec: ConsumerSpec): Promise<void> {
  const wanted = {
    ack_wait: nanos(spec.ackWaitMs ?? 30_000),
    max_deliver: spec.maxDeliver ?? 5,
    max_ack_pending: spec.maxAckPending ?? 1000,
    ...(spec.inactiveThresholdMs === undefined ? {} : { inactive_threshold: nanos(spec.inactiveThresholdMs) }),
  };
  const existing = await jsm.consumers.info(stream, spec.durable).catch(undefinedWhenMissing);
  if (existing === undefined) {
    await jsm.consumers.add(stream, {
      durable_name: spec.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: spec.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      ...(spec.filterSubject === undefined ? {} : { filter_subject: spec.filterSubject }),
      ...wanted,
    });
    return;
  }
  const config = existing.config;
  const same =
    config.ack_wait === wanted.ack_wait &&
    config.max_deliver === wanted.max_deliver &&
    config.max_ack_pending === wanted.max_ack_pending &&
    (wanted.inactive_threshold === undefined || config.inactive_threshold === wanted.inactive_threshold);
  if (!same) {
    await jsm.consumers.update(stream, spec.durable, wanted);
  }
}

/** Deletes durable consumer `durable` of `stream`; one that is not there (or its stream) is left as it is. */
export async function removeConsumer(jsm: JetStreamManager, stream: string, durable: string): Promise<void> {
  await jsm.consumers.delete(stream, durable).catch(undefinedWhenMissing);
}

/** A "not found" answer means create it; any other failure (a timeout while a cluster elects a leader) is thrown. */
function undefinedWhenMissing(err: unknown): undefined {
  const missing = [JetStreamApiCodes.StreamNotFound, JetStreamApiCodes.ConsumerNotFound] as number[];
  if (err instanceof JetStreamApiError && missing.includes(err.code)) return undefined;
  throw err;
}

/**
 * Answers a JetStream cluster gives while it forms or elects leaders: asking again shortly succeeds ("jetstream is
 * not enabled" is how the client reports no responder to the API yet; a server without JetStream fails after the wait).
 */
const SETTLING = /no suitable peers|temporarily unavailable|timeout|no responders|not enabled|leader/i;

/**
 * Runs a provisioning step, again while a JetStream cluster is still settling (a node not yet known to the meta leader,
 * an election in progress), for up to `withinMs`; other failures are thrown at once.
 */
export async function whileClusterSettles<T>(step: () => Promise<T>, withinMs = 30_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      const message = `${(err as Error)?.message ?? err} ${(err as Error)?.name ?? ''}`;
      if (!SETTLING.test(message) || Date.now() > deadline) throw err;
      await sleep(Math.min(250 * attempt, 2000));
    }
  }
}
