import { jetstreamManager } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { type BucketOptions, openBucket } from './buckets.js';
import { BusError } from './errors.js';

/** A held lease: its name, the holder's JSON value and the revision a later update or release must match. */
export interface LeaseEntry {
  readonly name: string;
  readonly value: unknown;
  readonly revision: number;
  readonly takenAt: Date;
}

/**
 * Single-flight leases in one JetStream key-value bucket: `acquire` succeeds for one caller only while the entry
 * lives, and the bucket's TTL ends a lease whose holder died. Names may hold any character (stored base64url).
 */
export interface Lease {
  /** Takes the lease `name` with `value`; undefined when someone holds it. */
  acquire(name: string, value: unknown): Promise<LeaseEntry | undefined>;
  /** Who holds `name` now, or undefined. */
  holder(name: string): Promise<LeaseEntry | undefined>;
  /** Rewrites a held lease (which also restarts its TTL); undefined when it was lost meanwhile. */
  update(entry: LeaseEntry, value: unknown): Promise<LeaseEntry | undefined>;
  /** Gives a held lease up; nothing happens when it was already lost. */
  release(entry: LeaseEntry): Promise<void>;
  /** Every lease held now. */
  held(): Promise<LeaseEntry[]>;
}

/** The lease bucket `bucket` (created when missing with `replicas` copies, entries living `ttlMs`). */
export async function leases(nc: NatsConnection, bucket: string, options: BucketOptions): Promise<Lease> {
  const kv = await openBucket(nc, bucket, options);
  if ((await kv.status()).ttl !== options.ttlMs) await retime(nc, bucket, options.ttlMs);
  return {
    async acquire(name, value) {
      const revision = await kv.create(keyOf(name), JSON.stringify(value)).catch((err: unknown) => {
        if (isWrongSequence(err)) return undefined;
        throw new BusError(`lease ${name} in ${bucket} could not be taken`, { cause: err });
      });
      return revision === undefined ? undefined : { name, value, revision, takenAt: new Date() };
    },
    holder: (name) => holderOf(kv, keyOf(name)),
    async update(entry, value) {
      const revision = await kv.update(keyOf(entry.name), JSON.stringify(value), entry.revision).catch((err) => {
        if (isWrongSequence(err)) return undefined;
        throw new BusError(`lease ${entry.name} in ${bucket} could not be updated`, { cause: err });
      });
      return revision === undefined ? undefined : { ...entry, value, revision };
    },
    async release(entry) {
      await kv.delete(keyOf(entry.name), { previousSeq: entry.revision }).catch((err: unknown) => {
        if (!isWrongSequence(err)) throw new BusError(`lease ${entry.name} in ${bucket} not released`, { cause: err });
      });
    },
    async held() {
      const names: string[] = [];
      for await (const key of await kv.keys()) names.push(nameOf(key));
      const entries = await Promise.all(names.map((name) => holderOf(kv, keyOf(name))));
      return entries.filter((e): e is LeaseEntry => e !== undefined);
    },
  };
}

/** A bucket made with another TTL gets the one asked for now (the KV client leaves an existing bucket as it is). */
async function retime(nc: NatsConnection, bucket: string, ttlMs: number): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const stream = `KV_${bucket}`;
  const { config } = await jsm.streams.info(stream);
  const maxAge = ttlMs * 1_000_000;
  await jsm.streams.update(stream, {
    ...config,
    max_age: maxAge,
    duplicate_window: Math.min(config.duplicate_window, maxAge),
  });
}

async function holderOf(kv: KV, key: string): Promise<LeaseEntry | undefined> {
  const entry: KvEntry | null = await kv.get(key);
  if (entry === null || entry.operation !== 'PUT') return undefined;
  let value: unknown;
  try {
    value = entry.json();
  } catch {
    value = entry.string();
  }
  return { name: nameOf(key), value, revision: entry.revision, takenAt: entry.created };
}

function keyOf(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

function nameOf(key: string): string {
  return Buffer.from(key, 'base64url').toString('utf8');
}

function isWrongSequence(err: unknown): boolean {
  return /wrong last sequence|key exists/i.test(String((err as Error)?.message ?? err));
}
