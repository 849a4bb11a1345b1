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

/**
 * Makes request ids: a prefix per listener (random by default, see {@link workerIdPrefix} for a worker) plus a
 * counter in base 36. Short, and free of an entropy call per request (which profiling showed costs ~5 % of a
 * single-row request).
 */
export function createRequestIds(prefix: string = randomIdPrefix()): () => string {
  let counter = 0;
  return () => `${prefix}${(counter++).toString(36)}`;
}
