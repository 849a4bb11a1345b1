import { randomBytes } from 'node:crypto';

/** A random 72-bit prefix in base64url: 12 characters, unique across restarts and instances. */
export function randomIdPrefix(): string {
  return randomBytes(9).toString('base64url');
}

/**
 * The request id prefix of one worker of a multi-process predictor: the primary's random prefix (12 characters), the
 * worker's cluster id in base 36 (never reused by the primary, restarts included) and `_`, which ends it since base 36
 * has no `_`. So no two workers of one primary can make the same id, whatever their counters.
 */
export function workerIdPrefix(runPrefix: string, workerId: number): string {
  if (!Number.isSafeInteger(workerId) || workerId < 1) throw new RangeError(`bad worker id ${workerId}`);
  return `${runPrefix}${workerId.toString(36)}_`;
}

/** Random bytes drawn at once for many request ids (one entropy call per 512 requests). */
const POOL_BYTES = 4096;

/**
 * Makes request ids: a prefix per listener (random by default, see {@link workerIdPrefix} for a worker), a counter in
 * base 36 (unique), then 64 random bits as 14 base-36 characters, so that nobody can guess another client's ids from
 * their own and label its predictions. The random bits come from a pool refilled every 512 ids: an entropy call per
 * request cost ~5 % of a single-row request.
 */
export function createRequestIds(prefix: string = randomIdPrefix(), random = randomBytes): () => string {
  let counter = 0;
  let pool = random(POOL_BYTES);
  let at = 0;
  return () => {
    if (at + 8 > pool.length) {
      pool = random(POOL_BYTES);
      at = 0;
    }
    const high = pool.readUInt32BE(at).toString(36).padStart(7, '0');
    const low = pool
      .readUInt32BE(at + 4)
      .toString(36)
      .padStart(7, '0');
    at += 8;
    return `${prefix}${(counter++).toString(36)}${high}${low}`;
  };
}
