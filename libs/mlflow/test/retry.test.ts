import { createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMlflowClient,
  MlflowApiError,
  type MlflowClientOptions,
  MlflowUnavailableError,
  type RetryEvent,
} from '../src/index.js';

const ORIGIN = 'http://mlflow.test:5000';
const GET_RUN = '/api/2.0/mlflow/runs/get?run_id=r1';
const RUN_BODY = { run: { info: { run_id: 'r1', experiment_id: '1', status: 'RUNNING' } } };
const FAST = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

interface Harness {
  readonly agent: MockAgent;
  readonly retries: RetryEvent[];
  readonly seenHeaders: Record<string, string>[];
  client(extra?: Partial<MlflowClientOptions>): ReturnType<typeof createMlflowClient>;
  reply(statusCode: number, data: object | string, headers?: Record<string, string>): void;
}

function harness(): Harness {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const pool = agent.get(ORIGIN);
  const retries: RetryEvent[] = [];
  const seenHeaders: Record<string, string>[] = [];
  return {
    agent,
    retries,
    seenHeaders,
    client: (extra = {}) =>
      createMlflowClient({
        trackingUri: ORIGIN,
        dispatcher: agent,
        retries: FAST,
        onRetry: (event) => retries.push(event),
        ...extra,
      }),
    reply(statusCode, data, headers = {}) {
      pool.intercept({ path: GET_RUN, method: 'GET' }).reply((opts) => {
        seenHeaders.push(opts.headers as Record<string, string>);
        return {
          statusCode,
          data: typeof data === 'string' ? data : JSON.stringify(data),
          responseOptions: { headers },
        };
      });
    },
  };
}

describe('retries (undici MockAgent)', () => {
  it('when the server answers 503 twice and then 200, then the call succeeds on the third attempt', async () => {
    const h = harness();
    h.reply(503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'database is locked' });
    h.reply(503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'database is locked' });
    h.reply(200, RUN_BODY);

    const run = await h.client().getRun('r1');

    expect(run.info.runId).toBe('r1');
    expect(h.seenHeaders).toHaveLength(3);
    expect(h.retries.map((r) => [r.attempt, r.reason])).toEqual([
      [1, 'HTTP 503'],
      [2, 'HTTP 503'],
    ]);
    h.agent.assertNoPendingInterceptors();
  });

  it('when the server answers 429 with Retry-After: 1, then the client waits one second before retrying', async () => {
    const h = harness();
    h.reply(429, { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }, { 'retry-after': '1' });
    h.reply(200, RUN_BODY);
    const started = performance.now();

    await h.client().getRun('r1');

    expect(h.retries).toEqual([
      { method: 'GET', path: '/api/2.0/mlflow/runs/get', attempt: 1, delayMs: 1000, reason: 'HTTP 429' },
    ]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('when 503 persists past every attempt, then MlflowUnavailableError carries the last MlflowApiError as cause', async () => {
    const h = harness();
    for (let i = 0; i < FAST.attempts; i++) h.reply(503, 'Service Unavailable');

    const error = await h
      .client()
      .getRun('r1')
      .catch((err: unknown) => err);

    expect(error).toBeInstanceOf(MlflowUnavailableError);
    expect(error).toMatchObject({ attempts: 4, method: 'GET', path: '/api/2.0/mlflow/runs/get' });
    expect((error as MlflowUnavailableError).cause).toMatchObject({ status: 503, errorCode: 'HTTP_503' });
  });

  it('when the server answers 400, then it is not retried', async () => {
    const h = harness();
    h.reply(400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad run id' });
    h.reply(200, RUN_BODY);

    const error = await h
      .client()
      .getRun('r1')
      .catch((err: unknown) => err);

    expect(error).toBeInstanceOf(MlflowApiError);
    expect(error).toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE', serverMessage: 'bad run id' });
    expect(h.seenHeaders).toHaveLength(1);
    expect(h.retries).toEqual([]);
  });

  it('when the connection is reset once, then the call is retried and succeeds', async () => {
    const h = harness();
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    h.agent.get(ORIGIN).intercept({ path: GET_RUN, method: 'GET' }).replyWithError(reset);
    h.reply(200, RUN_BODY);

    await h.client().getRun('r1');

    expect(h.retries.map((r) => r.reason)).toEqual(['ECONNRESET']);
  });
});

describe('auth headers (undici MockAgent)', () => {
  it('when username and password are given, then requests carry Basic auth and errors never show the password', async () => {
    const h = harness();
    h.reply(401, 'You are not authenticated. Please see ...');

    const error = await h
      .client({ username: 'alice', password: 's3cret-pw' })
      .getRun('r1')
      .catch((e: unknown) => e);

    expect(h.seenHeaders[0]?.authorization).toBe(`Basic ${Buffer.from('alice:s3cret-pw').toString('base64')}`);
    expect(h.seenHeaders[0]?.['user-agent']).toBe('@mlops/mlflow');
    expect(error).toMatchObject({ status: 401, errorCode: 'HTTP_401' });
    expectNoSecret(error, ['s3cret-pw', Buffer.from('alice:s3cret-pw').toString('base64')]);
  });

  it('when a token is given, then requests carry Bearer auth and unavailability errors never show it', async () => {
    const h = harness();
    for (let i = 0; i < FAST.attempts; i++) h.reply(503, 'down');

    const error = await h
      .client({ token: 'tok-123456' })
      .getRun('r1')
      .catch((e: unknown) => e);

    expect(h.seenHeaders.map((headers) => headers.authorization)).toEqual(
      Array(FAST.attempts).fill('Bearer tok-123456'),
    );
    expect(error).toBeInstanceOf(MlflowUnavailableError);
    expectNoSecret(error, ['tok-123456']);
  });

  it('when the tracking URI holds credentials, then they become Basic auth and leave the URL', async () => {
    const h = harness();
    h.reply(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=r1 not found' });
    const client = h.client({ trackingUri: 'http://bob:pa55word@mlflow.test:5000/' });

    const error = await client.getRun('r1').catch((e: unknown) => e);

    expect(client.trackingUri).toBe(ORIGIN);
    expect(h.seenHeaders[0]?.authorization).toBe(`Basic ${Buffer.from('bob:pa55word').toString('base64')}`);
    expectNoSecret(error, ['pa55word']);
  });
});

describe('connection failures (real sockets)', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('when nothing listens on the port, then MlflowUnavailableError follows after every attempt', async () => {
    const port = await closedPort();
    const retries: RetryEvent[] = [];
    const client = createMlflowClient({
      trackingUri: `http://127.0.0.1:${port}`,
      retries: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      onRetry: (event) => retries.push(event),
    });

    const error = await client.getExperimentByName('x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MlflowUnavailableError);
    expect(error).toMatchObject({ attempts: 3, method: 'GET', path: '/api/2.0/mlflow/experiments/get-by-name' });
    expect(retries.map((r) => r.reason)).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
  });

  it('when the server accepts but never answers, then the socket timeout is retried and ends unavailable', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const retries: RetryEvent[] = [];
    const client = createMlflowClient({
      trackingUri: `http://127.0.0.1:${port}`,
      timeoutMs: 100,
      retries: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
      onRetry: (event) => retries.push(event),
    });

    const error = await client.getRun('r1').catch((e: unknown) => e);
    for (const socket of sockets) socket.destroy();

    expect(error).toBeInstanceOf(MlflowUnavailableError);
    expect(retries.map((r) => r.reason)).toEqual(['UND_ERR_HEADERS_TIMEOUT']);
  });
});

function expectNoSecret(error: unknown, secrets: readonly string[]): void {
  const rendered = [String(error), inspect(error, { depth: 5 }), JSON.stringify(error)].join('\n');
  for (const secret of secrets) expect(rendered).not.toContain(secret);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
