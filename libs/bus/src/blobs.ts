import { type ObjectStore, Objm } from '@nats-io/obj';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import { outlivingCreationRaces } from './provisioning.js';

/** Named byte strings too big for one message, in a JetStream object store (chunked, checked by SHA-256). */
export interface Blobs {
  /** Stores `bytes` as `name`, replacing what was stored under it (so storing it again changes nothing). */
  put(name: string, bytes: Uint8Array): Promise<void>;
  /** The bytes stored as `name`; undefined when there are none (never stored, expired, or deleted). */
  get(name: string): Promise<Uint8Array | undefined>;
}

/** What an object store bucket of the bus is created with when missing. */
export interface BlobOptions {
  /** How long an object lives after it was stored. */
  readonly ttlMs: number;
  /** The most the bucket holds: a put that would pass it is refused until objects expire. */
  readonly maxBytes: number;
  /** Copies on a cluster. @defaultValue 1 */
  readonly replicas?: number;
}

/** The object store `bucket`, created when missing (processes creating it at one moment all open it). */
export async function blobs(nc: NatsConnection, bucket: string, options: BlobOptions): Promise<Blobs> {
  const config = { ttl: nanos(options.ttlMs), max_bytes: options.maxBytes, replicas: options.replicas ?? 1 };
  const store: ObjectStore = await outlivingCreationRaces(() => new Objm(nc).create(bucket, config));
  return {
    async put(name, bytes) {
      await store.putBlob({ name }, bytes);
    },
    async get(name) {
      return (await store.getBlob(name)) ?? undefined;
    },
  };
}
