import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { outlivingCreationRaces } from './provisioning.js';

/** What a key-value bucket of the bus is created with when missing. */
export interface BucketOptions {
  /** How long an entry lives after its last write. */
  readonly ttlMs: number;
  /** Copies on a cluster. @defaultValue 1 */
  readonly replicas?: number;
}

/**
 * The key-value bucket `bucket`, created when missing with one revision kept per key. Processes starting together
 * (trainer replicas, a test's connections) may create it at the same moment: the one that lost is told the subjects
 * overlap, and opens it again, now that it exists.
 */
export async function openBucket(nc: NatsConnection, bucket: string, options: BucketOptions): Promise<KV> {
  const config = { ttl: options.ttlMs, history: 1, replicas: options.replicas ?? 1 };
  return await outlivingCreationRaces(() => new Kvm(nc).create(bucket, config));
}
