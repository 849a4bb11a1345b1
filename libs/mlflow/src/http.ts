import { setTimeout as sleep } from 'node:timers/promises';
import { isAlreadyExists, MlflowApiError, MlflowOutcomeUnknownError, MlflowUnavailableError } from './errors.js';
import { attemptOnce, buildUrl, type Failure, type HttpMethod, type Query, type RawRequest } from './exchange.js';
import type { ResolvedOptions } from './options.js';
import { backoffDelayMs } from './retry.js';
import { type CallKind, mayHaveApplied, RETRY_POLICY } from './retry-policy.js';

export type { HttpMethod, Query, RawRequest } from './exchange.js';

/** Every kind of call but `keyed-create`, which needs a lookup and goes through `createOnce`. */
export type PlainCallKind = Exclude<CallKind, 'keyed-create'>;

/** A request of a plain kind. */
export type PlainRequest = RawRequest & { readonly kind: PlainCallKind };

/** Finds what a keyed create makes, by its key; null while it does not exist. */
export type LookUp<R> = () => Promise<R | null>;

/** A keyed create's result: the server's answer, or what the lookup found instead of creating again. */
export type Created<T, R> = { readonly created: T } | { readonly found: R };

/** The retrying HTTP layer every API group is built on; each call names its kind of the retry policy. */
export interface Transport {
  /** Tracking URI without credentials and trailing slash. */
  readonly baseUrl: URL;
  /** `GET` sends `payload` as query, other methods as JSON. Parses the JSON answer (`{}` when empty). */
  api<T>(kind: PlainCallKind, method: HttpMethod, endpoint: string, payload?: Query | object): Promise<T>;
  /**
   * A keyed create (POST): after a failure that may have created it (lost answer, 500) and after an already-exists
   * answer, `lookUp` runs before anything is sent again, and what it finds is returned instead.
   */
  createOnce<T, R>(endpoint: string, payload: object, lookUp: LookUp<R>): Promise<Created<T, R>>;
  /** Any request; resolves with the raw body of a 2xx answer. */
  raw(req: PlainRequest): Promise<Uint8Array>;
  /** Any request; parses the JSON answer (`{}` when empty). */
  json<T>(req: PlainRequest): Promise<T>;
}

type Outcome = { readonly body: Uint8Array } | { readonly found: unknown };
interface Where {
  readonly method: string;
  readonly path: string;
}

const MLFLOW_API_PREFIX = '/api/2.0/mlflow/';

/** Builds the transport from resolved options; no I/O until the first call. */
export function createTransport(options: ResolvedOptions): Transport {
  // Without a lookup, send can only end with a body.
  const raw = async (req: PlainRequest): Promise<Uint8Array> =>
    ((await send(options, req)) as { body: Uint8Array }).body;
  const json = async <T>(req: PlainRequest): Promise<T> => parseJson<T>(await raw(req), req.method, req.target);
  return {
    baseUrl: options.baseUrl,
    raw,
    json,
    api<T>(kind: PlainCallKind, method: HttpMethod, endpoint: string, payload?: Query | object): Promise<T> {
      const target = `${MLFLOW_API_PREFIX}${endpoint}`;
      return json<T>(
        method === 'GET'
          ? { kind, method, target, query: (payload ?? {}) as Query }
          : { kind, method, target, json: payload ?? {} },
      );
    },
    async createOnce<T, R>(endpoint: string, payload: object, lookUp: LookUp<R>): Promise<Created<T, R>> {
      const target = `${MLFLOW_API_PREFIX}${endpoint}`;
      const outcome = await send(options, { kind: 'keyed-create', method: 'POST', target, json: payload }, lookUp);
      if ('found' in outcome) return { found: outcome.found as R };
      return { created: parseJson<T>(outcome.body, 'POST', target) };
    },
  };
}

/** The retry loop: applies the request kind's row of `RETRY_POLICY` to each failed attempt. */
async function send(options: ResolvedOptions, req: RawRequest, lookUp?: LookUp<unknown>): Promise<Outcome> {
  const url = buildUrl(options.baseUrl, req.target, req.query);
  const rule = RETRY_POLICY[req.kind];
  const where: Where = { method: req.method, path: url.pathname };
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(options, req, url).catch((err: unknown) => foundInstead(err, lookUp));
    if (!('failure' in outcome)) return outcome;
    const { failure } = outcome;
    if (!rule.retryOn.includes(failure.kind)) throw notResent(failure, { ...where, attempts: attempt });
    if (attempt >= options.retries.attempts) throw exhausted(failure, { ...where, attempts: attempt });
    const delayMs = failure.retryAfterMs ?? backoffDelayMs(attempt, options.retries);
    options.onRetry?.({ ...where, attempt, delayMs, reason: failure.reason });
    await sleep(delayMs);
    if (rule.lookUpBeforeResend && lookUp !== undefined && mayHaveApplied(failure.kind)) {
      const found = await settledLookUp(lookUp, options.retries.lookUpSettleMs);
      if (found !== null) return { found };
    }
  }
}

/**
 * Looks up what a create whose answer was lost may have made; when nothing is found, once more `settleMs` later: the
 * create may still be queued on a stalled server, run beside the first lookup and commit just after it.
 */
async function settledLookUp(lookUp: LookUp<unknown>, settleMs: number): Promise<unknown> {
  const found = await lookUp();
  if (found !== null || settleMs === 0) return found;
  await sleep(settleMs);
  return lookUp();
}

/** An already-exists answer to a keyed create: an earlier attempt (or another caller) made it; return that one. */
async function foundInstead(err: unknown, lookUp: LookUp<unknown> | undefined): Promise<Outcome> {
  if (lookUp === undefined || !isAlreadyExists(err)) throw err;
  const found = await lookUp();
  if (found === null) throw err;
  return { found };
}

/** A 500 stays the server's error (a bug, not an outage); a lost answer to a non-idempotent call is an unknown outcome. */
function notResent(failure: Failure, at: Where & { attempts: number }): Error {
  if (failure.kind === 'server-error') return failure.error as MlflowApiError;
  return new MlflowOutcomeUnknownError(at, { cause: failure.error });
}

/** Out of attempts: a persisting 500 stays the server's error; anything else means MLflow is unavailable. */
function exhausted(failure: Failure, at: Where & { attempts: number }): Error {
  if (failure.kind === 'server-error') return failure.error as MlflowApiError;
  return new MlflowUnavailableError(at, { cause: failure.error });
}

function parseJson<T>(body: Uint8Array, method: string, path: string): T {
  if (body.length === 0) return {} as T;
  const text = new TextDecoder().decode(body);
  try {
    return JSON.parse(text) as T;
  } catch {
    const serverMessage = `answer is not JSON: ${text.slice(0, 200)}`;
    throw new MlflowApiError({ status: 200, errorCode: 'INVALID_RESPONSE', serverMessage, method, path });
  }
}
