import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '@mlops/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScoredRequest } from '../src/domain/ports.js';
import { clientIdOf, createAccessCheck } from '../src/entry-points/auth.js';
import { call, fittedModel, rawExchange, startTestServer, type TestServer } from './support/harness.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});
const body = JSON.stringify({ features: Array(20).fill(0) });
const bearer = (token: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });

/** A trace-level logger whose JSON lines are kept in `lines`. */
function capturedLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'predictor', level: 'trace', destination: sink }) };
}

describe("refusals before any handler, in the scoring route's own error shape", () => {
  it("when /invocations and /v2/…/infer are refused (wrong method, another site, no token), then MLflow's and Open Inference's error shapes answer; /predict keeps the native one", async () => {
    t = await startTestServer({ model: fittedModel(), auth: { tokens: ['alpha-secret'] } });
    const infer = '/v2/models/One_Customer_Classifier/infer';
    const token = bearer('alpha-secret');
    const refusals = [
      ['GET', '/invocations', token, 405],
      ['POST', '/invocations', { ...token, 'sec-fetch-site': 'cross-site' }, 403],
      ['POST', '/invocations', {}, 401],
      ['GET', infer, token, 405],
      ['POST', infer, { ...token, 'sec-fetch-site': 'cross-site' }, 403],
      ['POST', infer, {}, 401],
      ['GET', '/predict', token, 405],
      ['POST', '/predict', {}, 401],
    ] as const;
    const answers = [];
    for (const [method, path, headers, status] of refusals) {
      const answer = await call(t.base, method, path, method === 'GET' ? undefined : body, headers);
      answers.push([path, answer.status, Object.keys(answer.json).sort().join(','), typeof answer.json.error]);
      expect(answer.status, `${method} ${path}`).toBe(status);
    }
    expect(answers.map(([path, , keys, error]) => [path, keys, error])).toEqual([
      ['/invocations', 'error_code,message', 'undefined'],
      ['/invocations', 'error_code,message', 'undefined'],
      ['/invocations', 'error_code,message', 'undefined'],
      [infer, 'error', 'string'],
      [infer, 'error', 'string'],
      [infer, 'error', 'string'],
      ['/predict', 'error', 'object'],
      ['/predict', 'error', 'object'],
    ]);
    const wrongMethod = await call(t.base, 'GET', '/invocations', undefined, token);
    expect([wrongMethod.json, wrongMethod.headers.get('allow')]).toEqual([
      { error_code: 'BAD_REQUEST', message: 'GET is not allowed here; use POST' },
      'POST',
    ]);
    const noToken = await call(t.base, 'POST', '/invocations', body);
    expect([noToken.json.error_code, noToken.headers.get('www-authenticate')]).toEqual([
      'UNAUTHENTICATED',
      'Bearer realm="predictor"',
    ]);
  });
});

describe('bearer tokens', () => {
  it('when tokens are configured, then scoring and model routes need one of them; health and docs stay open', async () => {
    t = await startTestServer({ model: fittedModel(), auth: { tokens: ['alpha-secret', 'beta-secret'] } });
    const none = await call(t.base, 'POST', '/predict', body);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await call(t.base, 'POST', '/predict', body, bearer('alpha-secreT'))).status).toBe(401);
    expect((await call(t.base, 'POST', '/predict', body, bearer('alpha-secret'))).status).toBe(200);
    expect((await call(t.base, 'POST', '/invocations', '{"instances": []}', bearer('beta-secret'))).status).toBe(400);
    expect((await call(t.base, 'POST', '/v2/models/One_Customer_Classifier/infer', '{}')).status).toBe(401);
    expect((await call(t.base, 'GET', '/model')).status).toBe(401);
    expect((await call(t.base, 'GET', '/health')).status).toBe(200);
    expect((await call(t.base, 'GET', '/metrics')).status).toBe(200);
    expect((await call(t.base, 'GET', '/openapi.json')).status).toBe(200);
  });

  it('when health and metrics are configured as protected, then they need a token too', async () => {
    t = await startTestServer({
      model: fittedModel(),
      auth: { tokens: ['alpha-secret'], protectHealth: true, protectMetrics: true },
    });
    for (const path of ['/health', '/ready', '/ping', '/v2/health/live', '/metrics']) {
      expect((await call(t.base, 'GET', path)).status, path).toBe(401);
      expect((await call(t.base, 'GET', path, undefined, { authorization: 'Bearer alpha-secret' })).status).toBe(200);
    }
  });

  it('when a protected path comes with a fragment or in absolute form, then it is not served without a token', async () => {
    t = await startTestServer({
      model: fittedModel(),
      auth: { tokens: ['s3cret'], protectHealth: true, protectMetrics: true },
    });
    const ask = (target: string, extra = '') =>
      rawExchange(t?.base ?? '', `GET ${target} HTTP/1.1\r\nHost: localhost\r\n${extra}Connection: close\r\n\r\n`);
    for (const target of [
      '/model#x',
      '/model#',
      '/metrics#',
      '/ready#',
      '/v2/health/ready#a',
      '/v2/models/One_Customer_Classifier#',
    ]) {
      const answer = await ask(target);
      expect(answer, target).toMatch(/^HTTP\/1\.1 400/);
      expect(answer, target).toMatch(/"code":"BAD_REQUEST"/);
      expect(answer, target).not.toMatch(/One_Customer_Classifier|predictor_|"ready"/);
    }
    for (const target of [
      'http://a/model',
      'HTTP://a/metrics',
      'http://a/v2/models/One_Customer_Classifier/versions/1',
    ]) {
      expect(await ask(target), target).toMatch(/^HTTP\/1\.1 401/);
      expect(await ask(target, 'Authorization: Bearer s3cret\r\n'), target).toMatch(/^HTTP\/1\.1 200/);
    }
    const scored = await ask('http://a/predict?x=1', 'Authorization: Bearer s3cret\r\n');
    expect(scored, 'absolute form without a body').toMatch(/^HTTP\/1\.1 405/);
    for (const target of ['*', 'a/model', 'ftp://a/model'])
      expect(await ask(target), target).toMatch(/^HTTP\/1\.1 400/);
    const metrics = await ask('/metrics', 'Authorization: Bearer s3cret\r\n');
    // Every target refused here is counted, as the 401s and 405s are: 6 with a fragment, a/model and ftp://a/model
    // (Node's parser answers `GET *` itself).
    expect(metrics).toMatch(/predictor_requests_total\{endpoint="unmatched",status="400"\} 8\n/);
  });

  it('when a protected path is asked for in another case or with a trailing slash, then it is not served without a token', async () => {
    t = await startTestServer({
      model: fittedModel(),
      auth: { tokens: ['s3cret'], protectHealth: true, protectMetrics: true },
    });
    const variants = [
      '/MODEL',
      '/Model',
      '/model/',
      '/v2/models/One_Customer_Classifier/',
      '/V2/models/One_Customer_Classifier',
      '/v2/Models/One_Customer_Classifier',
      '/Metrics',
      '/metrics/',
      '/READY',
      '/ready/',
      '/Health',
      '/health/',
    ];
    for (const path of variants) {
      const answer = await call(t.base, 'GET', path);
      expect([401, 404], path).toContain(answer.status);
      expect(answer.text, path).not.toMatch(/One_Customer_Classifier|model_infer|alive|"ready"/);
    }
    for (const path of ['/model', '/v2/models/One_Customer_Classifier', '/metrics', '/ready', '/health']) {
      expect((await call(t.base, 'GET', path)).status, path).toBe(401);
      expect((await call(t.base, 'GET', path, undefined, { authorization: 'Bearer s3cret' })).status, path).toBe(200);
    }
  });

  it('when no tokens are configured, then every route is open', async () => {
    t = await startTestServer({ model: fittedModel() });
    expect((await call(t.base, 'POST', '/predict', body)).status).toBe(200);
  });

  it('when requests carry tokens, right or wrong, then no log line contains them', async () => {
    const { lines, logger } = capturedLogger();
    t = await startTestServer({ model: fittedModel(), auth: { tokens: ['alpha-secret'] }, logger });
    await call(t.base, 'POST', '/predict', '{"features": [', bearer('alpha-secret'));
    await call(t.base, 'POST', '/predict', body, bearer('wrong-secret'));
    expect(lines.join('')).not.toMatch(/alpha-secret|wrong-secret/);
  });
});

describe('client ids', () => {
  const auth = { tokens: ['alpha-secret-token', 'beta-secret-token'], protectHealth: false, protectMetrics: false };

  it('when a token is given, then its client id is the first 16 hex characters of its SHA-256, the same every time', () => {
    // printf %s alpha-secret-token | sha256sum | cut -c1-16
    expect(clientIdOf('alpha-secret-token')).toBe('6b1803c420caa775');
    expect(clientIdOf('beta-secret-token')).toBe('5b884f5f0d7eab2a');
    expect(clientIdOf('alpha-secret-token')).toBe(clientIdOf('alpha-secret-token'));
  });

  it('when the access check lets a token in, then it names the caller by that token’s client id, computed once per token', () => {
    const mayAccess = createAccessCheck(auth);
    const alpha = mayAccess('protected', 'Bearer alpha-secret-token');
    expect(alpha).toEqual({ client: '6b1803c420caa775' });
    expect(mayAccess('protected', 'bearer  beta-secret-token ')).toEqual({ client: '5b884f5f0d7eab2a' });
    // The same caller each time: nothing is hashed into a new id per request.
    expect(mayAccess('protected', 'Bearer alpha-secret-token')).toBe(alpha);
    expect(mayAccess('protected', 'Bearer gamma-secret-token')).toBeUndefined();
    expect(mayAccess('protected', undefined)).toBeUndefined();
    // A route open to all asks for no token: no client, whatever the header says.
    expect(mayAccess('public', 'Bearer alpha-secret-token')).toEqual({ client: undefined });
    expect(mayAccess('health', undefined)).toEqual({ client: undefined });
  });

  it('when no tokens are configured, then every request is let in without a client id', () => {
    const mayAccess = createAccessCheck({ tokens: [], protectHealth: false, protectMetrics: false });
    expect(mayAccess('protected', undefined)).toEqual({ client: undefined });
    expect(mayAccess('protected', 'Bearer alpha-secret-token')).toEqual({ client: undefined });
  });

  it('when requests are scored with tokens, then the prediction log gets each one’s client id and never the token; without tokens none', async () => {
    const recorded: ScoredRequest[] = [];
    const { lines, logger } = capturedLogger();
    const predictionLog = { record: (request: ScoredRequest) => recorded.push(request) };
    t = await startTestServer({ model: fittedModel(), auth, predictionLog, logger });
    expect((await call(t.base, 'POST', '/predict', body, bearer('alpha-secret-token'))).status).toBe(200);
    expect(
      (await call(t.base, 'POST', '/invocations', '{"instances": [[1]]}', bearer('beta-secret-token'))).status,
    ).toBe(400);
    const oip = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 20], datatype: 'FP64', data: Array(20).fill(1) }] });
    const infer = await call(
      t.base,
      'POST',
      '/v2/models/One_Customer_Classifier/infer',
      oip,
      bearer('beta-secret-token'),
    );
    expect(infer.status).toBe(200);
    expect(recorded.map((r) => r.client)).toEqual(['6b1803c420caa775', '5b884f5f0d7eab2a']);
    expect(JSON.stringify(recorded.map(({ requestId, client }) => ({ requestId, client })))).not.toMatch(/secret/);
    expect(lines.join('')).not.toMatch(/secret-token/);
    await t.close();
    t = await startTestServer({ model: fittedModel(), predictionLog });
    expect((await call(t.base, 'POST', '/predict', body)).status).toBe(200);
    expect(recorded.at(-1)?.client).toBeUndefined();
    expect(Object.keys(recorded.at(-1) ?? {})).toContain('client');
  });
});

describe('limits', () => {
  it('when a client sends its body too slowly, then the predictor answers 408 and closes', async () => {
    t = await startTestServer({ model: fittedModel(), requestTimeoutMs: 300 });
    const answer = await rawExchange(
      t.base,
      'POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"fea',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toMatch(/\r\ncontent-type: application\/json/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: {
        code: 'REQUEST_TIMEOUT',
        message: 'the request was not received within 0.3 s (PREDICTOR_REQUEST_TIMEOUT_MS)',
      },
    });
  });

  it('when a request is not HTTP, then the predictor answers 400 with a JSON error and closes', async () => {
    t = await startTestServer({ model: fittedModel() });
    const answer = await rawExchange(t.base, 'HELLO WORLD\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error.code).toBe('BAD_REQUEST');
  });

  it('when Content-Length announces more than the limit, then 413 comes before the body is read', async () => {
    t = await startTestServer({ model: fittedModel(), maxBodyBytes: 2048 });
    const { port } = new URL(t.base);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 999999\r\n\r\n',
        );
      });
      socket.once('data', (chunk) => {
        resolve(String(chunk));
        socket.destroy();
      });
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toMatch(/exceeds the limit of 2048 bytes/);
  });

  it('when a client goes away in the middle of its body, then it is neither an error log nor an inference failure', async () => {
    const { lines, logger } = capturedLogger();
    t = await startTestServer({ model: fittedModel(), logger });
    const { port } = new URL(t.base);
    for (const path of ['/predict', '/invocations', '/v2/models/One_Customer_Classifier/infer', '/feedback']) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"fea`,
            () => setTimeout(() => socket.destroy(), 50),
          );
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
    }
    const inFlight = async () =>
      (await t?.metrics.registry.getSingleMetricAsString('predictor_requests_in_progress')) ?? '';
    for (let i = 0; i < 100 && !/in_progress 0$/m.test(await inFlight()); i++) await delay(10);
    await delay(50);
    expect(await inFlight()).toMatch(/in_progress 0$/m);
    const levels = lines.flatMap((line) => line.split('\n').filter(Boolean)).map((line) => JSON.parse(line).level);
    expect(levels.filter((level) => level >= 40)).toEqual([]);
    const failures = await t.metrics.registry.getSingleMetricAsString('model_infer_request_failure');
    expect(failures).not.toMatch(/^model_infer_request_failure\{/m);
    const requests = await t.metrics.registry.getSingleMetricAsString('predictor_requests_total');
    expect(requests).toMatch(/^predictor_requests_total\{endpoint="\/predict",status="499"\} 1$/m);
    expect(requests).not.toMatch(/status="200"/);
  });
});
