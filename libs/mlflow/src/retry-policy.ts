/**
 * The one retry policy of every MLflow call. A request that fails is sorted into a {@link FailureKind}; the
 * {@link CallKind} of the call (what sending it twice would do) decides whether it is sent again. Every retried
 * call shares the same budget and backoff ({@link RetryOptions}); anything not listed (400–428, 430–499, 501, …)
 * is never retried.
 */

/** How a failed attempt may have left the server. */
export type FailureKind = 'not-sent' | 'refused' | 'lost' | 'server-error';

/** MLflow calls, by what sending one twice does. */
export type CallKind = 'read' | 'idempotent-write' | 'keyed-create' | 'non-idempotent';

/** Budget and backoff shared by every retried call (exponential, equal jitter; a Retry-After of ≤ 60 s wins). */
export interface RetryOptions {
  /** Total attempts including the first. @defaultValue 5 */
  readonly attempts: number;
  /** Delay after the first failed attempt, doubled per attempt. @defaultValue 250 */
  readonly baseDelayMs: number;
  /** Cap of the exponential delay (a Retry-After header may ask for up to 60 s). @defaultValue 5000 */
  readonly maxDelayMs: number;
  /**
   * Before a keyed create is sent again after a lost answer, it is looked up; when that finds nothing, it is looked up
   * once more this long after: a request that timed out may still be queued on a stalled server and run beside the
   * first lookup, committing just after it. 0 looks up once. @defaultValue 1000
   */
  readonly lookUpSettleMs: number;
}

/** One row of {@link RETRY_POLICY}. */
export interface RetryRule {
  /** The client calls of this kind. */
  readonly calls: string;
  /** Failures after which the request is sent again, within `retries.attempts` and with the backoff of `retries`. */
  readonly retryOn: readonly FailureKind[];
  /** After a `lost` or `server-error` failure, look the resource up by its key first and return what is found. */
  readonly lookUpBeforeResend: boolean;
}

/** What each failure kind is made of: undici/Node error codes (through `cause`) and HTTP statuses. */
export const FAILURES: {
  readonly [K in FailureKind]: { readonly codes: readonly string[]; readonly statuses: readonly number[] };
} = {
  /** No connection was made: nothing reached the server. */
  'not-sent': {
    // ENOTFOUND too: a compose service's name stops resolving while its container is stopped or recreated.
    codes: ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT'],
    statuses: [],
  },
  /** The server answered that it did nothing (MLflow rolls back before its 503, e.g. SQLite "database is locked"). */
  refused: { codes: [], statuses: [429, 503] },
  /** Sent, but the answer is lost or came from a gateway: the request may have been applied. */
  lost: {
    codes: [
      'ECONNRESET',
      'EPIPE',
      'ETIMEDOUT',
      'UND_ERR_SOCKET',
      'UND_ERR_CLOSED',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
    ],
    statuses: [502, 504],
  },
  /** The server failed; a write may or may not have been applied. Persisting, it is a bug, not an outage. */
  'server-error': { codes: [], statuses: [500] },
};

const ALL: readonly FailureKind[] = ['not-sent', 'refused', 'lost', 'server-error'];

/** The policy table: for each kind of call, on which failures it is sent again and what happens first. */
export const RETRY_POLICY: { readonly [K in CallKind]: RetryRule } = {
  read: {
    calls: 'get*, search*, find*, iterateRuns, getMetricHistory, list/downloadArtifact, resolveModelUri',
    retryOn: ALL,
    lookUpBeforeResend: false,
  },
  'idempotent-write': {
    calls:
      'logBatch, logInputs, updateRun, setTag, set*Tag(s), finalizeLoggedModel, uploadArtifact, ' +
      'set/deleteRegisteredModelAlias, deleteRun, delete/restoreExperiment',
    retryOn: ALL,
    lookUpBeforeResend: false,
  },
  'keyed-create': {
    calls:
      'createRun / createLoggedModel / createModelVersion with idempotencyTag, getOrCreateExperiment and ' +
      'getOrCreateRegisteredModel (the name is the key), logModelOutputs (run, model and step are the key)',
    retryOn: ALL,
    lookUpBeforeResend: true,
  },
  'non-idempotent': {
    calls:
      'createRun / createLoggedModel / createModelVersion without idempotencyTag, createExperiment, ' +
      'createRegisteredModel, deleteRegisteredModel',
    retryOn: ['not-sent', 'refused'],
    lookUpBeforeResend: false,
  },
};

/** The budget and backoff unless a client's `retries` option says otherwise: at most ≈ 4 s of waiting per call. */
export const DEFAULT_RETRIES: RetryOptions = { attempts: 5, baseDelayMs: 250, maxDelayMs: 5000, lookUpSettleMs: 1000 };

/** True when an attempt that failed this way may have changed something on the server. */
export function mayHaveApplied(kind: FailureKind): boolean {
  return kind === 'lost' || kind === 'server-error';
}
