import { FAILURES, type FailureKind, type RetryOptions } from './retry-policy.js';

const MAX_RETRY_AFTER_MS = 60_000;

const BY_STATUS: ReadonlyMap<number, FailureKind> = new Map(
  Object.entries(FAILURES).flatMap(([kind, { statuses }]) => statuses.map((s) => [s, kind as FailureKind] as const)),
);
const BY_CODE: ReadonlyMap<string, FailureKind> = new Map(
  Object.entries(FAILURES).flatMap(([kind, { codes }]) => codes.map((c) => [c, kind as FailureKind] as const)),
);

/** The failure kind of an HTTP status, or undefined when it is never retried (other 4xx, 501, …). */
export function failureOfStatus(status: number): FailureKind | undefined {
  return BY_STATUS.get(status);
}

/** The failure kind and code of an undici/Node error (through `cause` and AggregateError); undefined if not one. */
export function failureOfError(err: unknown, depth = 0): { kind: FailureKind; code: string } | undefined {
  if (depth > 4 || typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  const kind = typeof code === 'string' ? BY_CODE.get(code) : undefined;
  if (kind !== undefined) return { kind, code: code as string };
  const nested = err instanceof AggregateError ? err.errors : [(err as { cause?: unknown }).cause];
  for (const inner of nested) {
    const found = failureOfError(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped at maxDelayMs. */
export function backoffDelayMs(
  failedAttempt: number,
  retries: RetryOptions,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(retries.maxDelayMs, retries.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** Retry-After in ms (delta-seconds or HTTP date), capped at 60 s; undefined when absent or unparsable. */
export function parseRetryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(ms)));
}
