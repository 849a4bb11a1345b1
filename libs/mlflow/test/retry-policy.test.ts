import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  type CallKind,
  createMlflowClient,
  FAILURES,
  type MlflowClient,
  RETRY_POLICY,
  type RetryEvent,
} from '../src/index.js';
import { type Fault, startFakeMlflow } from './fake-mlflow.js';

// Each row of RETRY_POLICY against each kind of failure, on a fake server (a mocked HTTP layer: error paths only).

const FAST = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5, lookUpSettleMs: 5 };
const KEY = { key: 'mlops.idempotency_key', value: 'trial-7' };

/** One client call of each kind, and the endpoint it sends to. */
const CALLS: { readonly [K in CallKind]: { call: string; run: (client: MlflowClient) => Promise<unknown> } } = {
  read: { call: 'GET runs/get', run: (client) => client.getRun('r1') },
  'idempotent-write': { call: 'POST runs/set-tag', run: (client) => client.setTag('r1', 'k', 'v') },
  'keyed-create': {
    call: 'POST runs/create',
    run: (client) => client.createRun({ experimentId: '1', idempotencyTag: KEY }),
  },
  'non-idempotent': { call: 'POST runs/create', run: (client) => client.createRun({ experimentId: '1' }) },
};

type Outcome = 'ok' | 'MlflowApiError' | 'MlflowUnavailableError' | 'MlflowOutcomeUnknownError';
/** Per kind: how the call ends, how many requests its endpoint saw, how many runs were created. */
type Expected = { readonly [K in CallKind]: readonly [Outcome, requests: number, created: number] };
interface Case {
  readonly failure: string;
  readonly faults: readonly Fault[];
  readonly expected: Expected;
}

const RETRIED: Expected = {
  read: ['ok', 2, 0],
  'idempotent-write': ['ok', 2, 0],
  'keyed-create': ['ok', 2, 1],
  'non-idempotent': ['ok', 2, 1],
};
const NEVER_RETRIED: Expected = {
  read: ['MlflowApiError', 1, 0],
  'idempotent-write': ['MlflowApiError', 1, 0],
  'keyed-create': ['MlflowApiError', 1, 0],
  'non-idempotent': ['MlflowApiError', 1, 0],
};
const LOST_UNAPPLIED: Expected = { ...RETRIED, 'non-idempotent': ['MlflowOutcomeUnknownError', 1, 0] };
const LOST_APPLIED: Expected = {
  ...RETRIED,
  'keyed-create': ['ok', 1, 1],
  'non-idempotent': ['MlflowOutcomeUnknownError', 1, 1],
};

const CASES: readonly Case[] = [
  { failure: 'refused: 503 once', faults: [{ answer: 503 }], expected: RETRIED },
  { failure: 'refused: 429 once', faults: [{ answer: 429 }], expected: RETRIED },
  { failure: 'lost: a reset before the request took effect', faults: [{ answer: 'reset' }], expected: LOST_UNAPPLIED },
  {
    failure: 'lost: a reset after the request took effect',
    faults: [{ apply: true, answer: 'reset' }],
    expected: LOST_APPLIED,
  },
  { failure: 'lost: 502 from a gateway', faults: [{ answer: 502 }], expected: LOST_UNAPPLIED },
  {
    failure: 'lost: 504 after the request took effect',
    faults: [{ apply: true, answer: 504 }],
    expected: LOST_APPLIED,
  },
  {
    failure: 'server-error: 500 after the request took effect',
    faults: [{ apply: true, answer: 500 }],
    expected: { ...LOST_APPLIED, 'non-idempotent': ['MlflowApiError', 1, 1] },
  },
  {
    failure: 'server-error: 500 on every attempt',
    faults: Array(FAST.attempts).fill({ answer: 500 }),
    expected: {
      read: ['MlflowApiError', 4, 0],
      'idempotent-write': ['MlflowApiError', 4, 0],
      'keyed-create': ['MlflowApiError', 4, 0],
      'non-idempotent': ['MlflowApiError', 1, 0],
    },
  },
  {
    failure: 'refused: 503 on every attempt',
    faults: Array(FAST.attempts).fill({ answer: 503 }),
    expected: {
      read: ['MlflowUnavailableError', 4, 0],
      'idempotent-write': ['MlflowUnavailableError', 4, 0],
      'keyed-create': ['MlflowUnavailableError', 4, 0],
      'non-idempotent': ['MlflowUnavailableError', 4, 0],
    },
  },
  { failure: 'final: 400', faults: [{ answer: 400 }], expected: NEVER_RETRIED },
  { failure: 'final: 401', faults: [{ answer: 401 }], expected: NEVER_RETRIED },
  { failure: 'final: 404', faults: [{ answer: 404 }], expected: NEVER_RETRIED },
  { failure: 'final: 501', faults: [{ answer: 501 }], expected: NEVER_RETRIED },
];

const KINDS = Object.keys(CALLS) as CallKind[];

describe.each(CASES)('retry policy, when $failure', ({ faults, expected }) => {
  it.each(KINDS)('then a %s call ends as the policy says', async (kind) => {
    const fake = await startFakeMlflow();
    fake.store.runs.push({ info: { run_id: 'r1', experiment_id: '1' }, data: { tags: [] }, outputs: {} });
    const { call, run } = CALLS[kind];
    fake.fail(call, ...faults);
    const client = createMlflowClient({ trackingUri: fake.uri, retries: FAST });

    const outcome = await run(client).then(
      () => 'ok',
      (err: unknown) => (err as Error).name,
    );

    const [ending, requests, created] = expected[kind];
    expect({ outcome, requests: fake.count(call), created: fake.store.runs.length - 1 }).toEqual({
      outcome: ending,
      requests,
      created,
    });
  });
});

describe('retry policy, when nothing listens (not-sent: ECONNREFUSED)', () => {
  it.each(KINDS)('then a %s call is retried on every attempt and ends unavailable', async (kind) => {
    const retries: RetryEvent[] = [];
    const client = createMlflowClient({
      trackingUri: `http://127.0.0.1:${await closedPort()}`,
      retries: FAST,
      onRetry: (event) => retries.push(event),
    });

    const error = await CALLS[kind].run(client).catch((err: unknown) => err);

    expect((error as Error).name).toBe('MlflowUnavailableError');
    expect(retries.map((r) => r.reason)).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
  });
});

describe('retry policy, when the host name does not resolve (not-sent: ENOTFOUND, a stopped compose service)', () => {
  it('then the call is retried on every attempt and ends unavailable, for the callers that wait out outages', async () => {
    const retries: RetryEvent[] = [];
    const client = createMlflowClient({
      trackingUri: 'http://mlflow.invalid:5000',
      retries: FAST,
      onRetry: (event) => retries.push(event),
    });

    const error = await CALLS.read.run(client).catch((err: unknown) => err);

    expect((error as Error).name).toBe('MlflowUnavailableError');
    expect(retries.map((r) => r.reason)).toEqual(['ENOTFOUND', 'ENOTFOUND', 'ENOTFOUND']);
  });
});

describe('RETRY_POLICY table', () => {
  it('when the table is read, then only non-idempotent calls skip failures that may have reached the server', () => {
    const summary = Object.fromEntries(
      KINDS.map((kind) => [kind, [RETRY_POLICY[kind].retryOn.join(','), RETRY_POLICY[kind].lookUpBeforeResend]]),
    );

    expect(summary).toEqual({
      read: ['not-sent,refused,lost,server-error', false],
      'idempotent-write': ['not-sent,refused,lost,server-error', false],
      'keyed-create': ['not-sent,refused,lost,server-error', true],
      'non-idempotent': ['not-sent,refused', false],
    });
  });
});

describe('the written-down policy', () => {
  it('when the table in code changes, then libs/mlflow/README.md still names every kind, code and status of it', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const failures = Object.entries(FAILURES).flatMap(([kind, { codes, statuses }]) => [kind, ...codes, ...statuses]);
    const named = [...KINDS, ...failures].map((name) => `\`${name}\``.replace(/^`(\d+)`$/, '$1'));

    expect(named.filter((name) => !readme.includes(name))).toEqual([]);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
