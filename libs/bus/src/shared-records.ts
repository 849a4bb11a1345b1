import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { BusError } from './errors.js';

/**
 * JSON records in one JetStream key-value bucket, changed by compare-and-set: replicas that change the same record at
 * once never lose an update (the loser reads again and re-applies its change).
 */
export interface SharedRecords {
  /** Applies `next` to the record `key` (undefined when there is none yet) and stores the result; returns it. */
  change<T>(key: string, next: (current: T | undefined) => T): Promise<T>;
  /** The record `key` as stored now, or undefined. */
  read<T>(key: string): Promise<T | undefined>;
}

const MAX_ATTEMPTS = 100;

/** The record bucket `bucket` (created when missing with `replicas` copies, records living `ttlMs` after a change). */
export async function sharedRecords(
  nc: NatsConnection,
  bucket: string,
  options: { ttlMs: number; replicas?: number },
): Promise<SharedRecords> {
  const kv = await new Kvm(nc).create(bucket, { ttl: options.ttlMs, history: 1, replicas: options.replicas ?? 1 });
  const keyOf = (name: string) => Buffer.from(name, 'utf8').toString('base64url');
  const entryOf = async (key: string) => {
    const entry = await kv.get(key);
    return entry === null || entry.operation !== 'PUT' ? undefined : entry;
  };
  return {
    async change<T>(name: string, next: (current: T | undefined) => T): Promise<T> {
      const key = keyOf(name);
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const entry = await entryOf(key);
        const value = next(entry === undefined ? undefined : (entry.json() as T));
        const body = JSON.stringify(value);
        const stored = await (entry === undefined ? kv.create(key, body) : kv.update(key, body, entry.revision)).catch(
          (err: unknown) => {
            if (/wrong last sequence|key exists/i.test(String((err as Error)?.message ?? err))) return undefined;
            throw new BusError(`record ${name} in ${bucket} could not be written`, { cause: err });
          },
        );
        if (stored !== undefined) return value;
      }
      throw new BusError(`record ${name} in ${bucket}: ${MAX_ATTEMPTS} writers in a row got there first`);
    },
    async read<T>(name: string): Promise<T | undefined> {
      const entry = await entryOf(keyOf(name));
      return entry === undefined ? undefined : (entry.json() as T);
    },
  };
}
