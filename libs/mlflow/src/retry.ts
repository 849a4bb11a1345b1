import type { RetryOptions } from './options.js';

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const MAX_RETRY_AFTER_MS = 60_000;

/** True for the statuses worth another attempt: 429 and the gateway/unavailable family (SQLite "locked" is a 503). */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** The connection-level code of an undici/Node error (looking through `cause` and AggregateError), if it is retryable. */
export function connectionErrorCode(err: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return code;
  const nested = err instanceof AggregateError ? err.errors : [(err as { cause?: unknown }).cause];
  for (const inner of nested) {
    const found = connectionErrorCode(inner, depth + 1);
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
