import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

/** What a key-value bucket of the bus is created with when missing. */
export interface BucketOptions {
  /** How long an entry lives after its last write. */
  readonly ttlMs: number;
  /** Copies on a cluster. @defaultValue 1 */
  readonly replicas?: number;
}

/** The key-value bucket `bucket`, created when missing with one revision kept per key. */
export async function openBucket(nc: NatsConnection, bucket: string, options: BucketOptions): Promise<KV> {
  return await new Kvm(nc).create(bucket, { ttl: options.ttlMs, history: 1, replicas: options.replicas ?? 1 });
}
