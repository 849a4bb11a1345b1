import { createHash } from 'node:crypto';
import { type ObjectStore, Objm } from '@nats-io/obj';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import { outlivingCreationRaces, storageRefused } from './provisioning.js';

/** Named byte strings too big for one message, in a JetStream object store (chunked, checked by SHA-256). */
export interface Blobs {
  /**
   * Stores `bytes` as `name`, replacing what was stored under it; the same bytes stored again are not written again
   * (a redelivery, a retried close), unless stored more than `options.rewriteAfterMs` ago (writing them again starts
   * their TTL again). Two writers at one moment may both write: the loser's chunks wait for the TTL.
   */
  put(name: string, bytes: Uint8Array, options?: { readonly rewriteAfterMs?: number }): Promise<void>;
  /**
   * The bytes stored as `name`; undefined when there are none (never stored, expired, or deleted). Rejects when they
   * cannot be read whole within `timeoutMs` (chunks gone under their metadata) or do not match their digest.
   */
  get(name: string, timeoutMs?: number): Promise<Uint8Array | undefined>;
}

/** What an object store bucket of the bus is created with when missing. */
export interface BlobOptions {
  /** How long an object lives after it was stored. */
  readonly ttlMs: number;
  /** The most the bucket holds: a put that would pass it is refused until objects expire. */
  readonly maxBytes: number;
  /** Copies on a cluster. @defaultValue 1 */
  readonly replicas?: number;
  /** The setting users change `maxBytes` with, named when nats-server has too little storage for it. */
  readonly maxBytesSetting?: string;
}

/** How long a read of one object may take before it is given up. */
const DEFAULT_GET_TIMEOUT_MS = 30_000;

/** The object store `bucket`, created when missing (processes creating it at one moment all open it). */
export async function blobs(nc: NatsConnection, bucket: string, options: BlobOptions): Promise<Blobs> {
  const config = { ttl: nanos(options.ttlMs), max_bytes: options.maxBytes, replicas: options.replicas ?? 1 };
  const store: ObjectStore = await outlivingCreationRaces(() => new Objm(nc).create(bucket, config)).catch((err) => {
    throw storageRefused(err, `object store ${bucket}`, options.maxBytes, options.maxBytesSetting) ?? err;
  });
  return {
    async put(name, bytes, putOptions = {}) {
      const stored = await store.info(name);
      const fresh =
        putOptions.rewriteAfterMs === undefined ||
        Date.now() - Date.parse(stored?.mtime ?? '') < putOptions.rewriteAfterMs;
      if (
        stored !== null &&
        !stored.deleted &&
        fresh &&
        stored.size === bytes.length &&
        sameDigest(stored.digest, bytes)
      )
        return;
      await store.putBlob({ name }, bytes);
    },
    get: (name, timeoutMs = DEFAULT_GET_TIMEOUT_MS) => readWhole(store, name, timeoutMs),
  };
}

async function readWhole(store: ObjectStore, name: string, timeoutMs: number): Promise<Uint8Array | undefined> {
  const result = await store.get(name);
  if (result === null) return undefined;
  const reader = result.data.getReader();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void reader.cancel();
  }, timeoutMs);
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) throw new Error(`object ${JSON.stringify(name)} not read whole within ${timeoutMs} ms`);
  const err = await result.error;
  if (err) throw err; // resolves with null or nothing when the object was whole
  return Buffer.concat(chunks);
}

/** Whether an object's digest (`SHA-256=<base64url>`, padded) is that of `bytes`. */
function sameDigest(digest: string, bytes: Uint8Array): boolean {
  const ours = createHash('sha256').update(bytes).digest('base64url');
  return digest.replace(/=+$/, '') === `SHA-256=${ours}`;
}
