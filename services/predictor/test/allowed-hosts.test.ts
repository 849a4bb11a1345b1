import { Writable } from 'node:stream';
import type { FeedbackReply } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type { AllowedHosts } from '../src/allowed-hosts.js';
import { loadConfig } from '../src/config.js';
import type { FeedbackSink, ScoredRequest } from '../src/domain/ports.js';
import { fittedModel, rawExchange, startTestServer, type TestServer } from './support/harness.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const features = JSON.stringify({ features: Array(20).fill(0) });
const label = JSON.stringify({ prediction_id: 'abc-0', label: 1 });
const accepted: FeedbackReply = { status: 'accepted', accepted: 1, duplicates: 0, errors: [] };

/** What reached the prediction log and the monitor. */
function ports() {
  const logged: ScoredRequest[] = [];
  const labels: unknown[] = [];
  const feedback: FeedbackSink = {
    async send(items) {
      labels.push(items);
      return accepted;
    },
  };
  return { logged, labels, predictionLog: { record: (r: ScoredRequest) => void logged.push(r) }, feedback };
}

/** A predictor with a model, the given Hosts allowed (the harness's default: bound to 127.0.0.1), and spied ports. */
async function serve(allowedHosts?: AllowedHosts) {
  const spied = ports();
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) });
  const logger = createLogger({ service: 'predictor', level: 'info', destination: sink });
  t = await startTestServer({ model: fittedModel(), ...spied, logger, ...(allowedHosts ? { allowedHosts } : {}) });
  return { ...spied, lines, base: t.base, port: new URL(t.base).port };
}

/**
 * `method path` with exactly `host` as its Host header (HTTP/1.0 without one when undefined), as a page the browser
 * takes for same-origin sends it (Sec-Fetch-Site: same-origin); the answer's status and JSON body.
 */
async function ask(base: string, method: string, path: string, host: string | undefined, body?: string) {
  const head = [
    `${method} ${path} HTTP/${host === undefined ? '1.0' : '1.1'}`,
    ...(host === undefined ? [] : [`Host: ${host}`]),
    'Sec-Fetch-Site: same-origin',
    'Connection: close',
    ...(body === undefined ? [] : ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`]),
  ];
  const answer = await rawExchange(base, `${head.join('\r\n')}\r\n\r\n${body ?? ''}`);
  const text = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever shape each route answers
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: Number(answer.slice(9, 12)), json };
}

/** The status of GET /model, POST /predict, POST /feedback and GET /health with `host`. */
async function statuses(base: string, host: string | undefined) {
  return [
    (await ask(base, 'GET', '/model', host)).status,
    (await ask(base, 'POST', '/predict', host, features)).status,
    (await ask(base, 'POST', '/feedback', host, label)).status,
    (await ask(base, 'GET', '/health', host)).status,
  ];
}

describe('the Host check (DNS rebinding)', () => {
  it('when a same-origin page sends a foreign Host, then /model, /predict, /feedback and /health answer 403 naming it and PREDICTOR_ALLOWED_HOSTS', async () => {
    const p = await serve();
    const host = `attacker.example:${p.port}`;
    const answers = [
      await ask(p.base, 'GET', '/model', host),
      await ask(p.base, 'POST', '/predict', host, features),
      await ask(p.base, 'POST', '/feedback', host, label),
      await ask(p.base, 'GET', '/health', host),
    ];

    expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403]);
    for (const answer of answers) {
      expect(answer.json.error.code).toBe('FORBIDDEN');
      expect(answer.json.error.message).toContain(`"${host}"`);
      expect(answer.json.error.message).toContain('PREDICTOR_ALLOWED_HOSTS');
      expect(JSON.stringify(answer.json)).not.toMatch(/One_Customer_Classifier|predictions|alive/);
    }
    expect([p.logged, p.labels]).toEqual([[], []]);
    expect(p.lines.filter((line) => line.includes(`"host":"${host}"`))).toHaveLength(1);
  });

  it('when the Host is a loopback name, with a port or without, in any case, then every route answers; a name only like one is refused', async () => {
    const p = await serve();
    const hosts = ['localhost', '127.0.0.1', '[::1]', '[0:0::1]', 'LocalHost'].flatMap((h) => [h, `${h}:${p.port}`]);
    const lookalikes = [
      'localhost.attacker.example',
      '127.0.0.1.nip.io',
      'attacker.example@127.0.0.1',
      '127.0.0.1/x',
      'predictor',
      '10.0.0.1',
    ];

    for (const host of hosts) expect(await statuses(p.base, host), host).toEqual([200, 200, 202, 200]);
    expect(p.labels).toHaveLength(hosts.length);
    for (const host of lookalikes) expect(await statuses(p.base, host), host).toEqual([403, 403, 403, 403]);
  });

  it('when a request has no Host (HTTP/1.0, as HAProxy checks), then it is answered; an HTTP/1.0 one with a foreign Host is not', async () => {
    const p = await serve();

    expect(await statuses(p.base, undefined)).toEqual([200, 200, 202, 200]);
    expect((await ask(p.base, 'GET', '/ready', undefined)).json.status).toBe('ready');
    const head = 'GET /model HTTP/1.0\r\nHost: attacker.example\r\n\r\n';
    expect(await rawExchange(p.base, head)).toMatch(/^HTTP\/1\.1 403 /);
  });

  it('when bound to 0.0.0.0 (compose), then service names, IP addresses and loopback names are answered, dotted names refused', async () => {
    const p = await serve(loadConfig({ PREDICTOR_HOST: '0.0.0.0' }).allowedHosts);
    const answered = ['predictor:8080', 'predictor-1:8080', 'proxy', '172.18.0.5:8080', '[fd00::5]:8080'];
    const refused = ['attacker.example:8080', 'predictor.attacker.example:8080', 'rebind.1.2.3.4.nip.io'];

    for (const host of [...answered, `127.0.0.1:${p.port}`, 'localhost']) {
      expect(await statuses(p.base, host), host).toEqual([200, 200, 202, 200]);
    }
    for (const host of refused) expect(await statuses(p.base, host), host).toEqual([403, 403, 403, 403]);
  });

  it('when PREDICTOR_ALLOWED_HOSTS lists names, then only those are answered (a port where one is given), in place of the default', async () => {
    const allowed = loadConfig({ PREDICTOR_ALLOWED_HOSTS: 'Predict.Example.com:8443, 127.0.0.1:*, [::1]' });
    const p = await serve(allowed.allowedHosts);

    for (const host of ['predict.example.com:8443', `127.0.0.1:${p.port}`, '127.0.0.1', '[::1]:1']) {
      expect(await statuses(p.base, host), host).toEqual([200, 200, 202, 200]);
    }
    for (const host of ['predict.example.com', 'predict.example.com:80', `localhost:${p.port}`, 'predictor:8080']) {
      expect(await statuses(p.base, host), host).toEqual([403, 403, 403, 403]);
    }
  });

  it('when PREDICTOR_ALLOWED_HOSTS lists a name on port 443 or 80, then its Host without a port (a proxy ending TLS, a browser) and with the trailing dot of a fully qualified name is answered', async () => {
    const allowed = loadConfig({ PREDICTOR_ALLOWED_HOSTS: 'api.example.com:443, web.example.com:80' });
    const p = await serve(allowed.allowedHosts);
    const answered = [
      'api.example.com',
      'api.example.com.',
      'api.example.com:443',
      'web.example.com',
      'web.example.com.:80',
    ];
    const refused = ['api.example.com:8443', 'api.example.com..', 'web.example.com:443', 'example.com'];

    for (const host of answered) expect(await statuses(p.base, host), host).toEqual([200, 200, 202, 200]);
    for (const host of refused) expect(await statuses(p.base, host), host).toEqual([403, 403, 403, 403]);
  });

  it("when a foreign Host asks /invocations or /v2/…/infer, then the 403 comes in that protocol's error shape", async () => {
    const p = await serve();
    const infer = await ask(p.base, 'POST', '/v2/models/One_Customer_Classifier/infer', 'attacker.example', '{}');
    const invocations = await ask(p.base, 'POST', '/invocations', 'attacker.example', '{}');

    expect([infer.status, typeof infer.json.error, invocations.status, invocations.json.error_code]).toEqual([
      403,
      'string',
      403,
      'PERMISSION_DENIED',
    ]);
    expect(invocations.json.message).toContain('PREDICTOR_ALLOWED_HOSTS');
  });

  it('when PREDICTOR_ALLOWED_HOSTS is *, then a Host the default refuses is answered', async () => {
    const strict = await serve();
    const refused = await statuses(strict.base, 'attacker.example:8080');
    await t?.close();
    const open = await serve(loadConfig({ PREDICTOR_ALLOWED_HOSTS: '*' }).allowedHosts);

    expect(refused).toEqual([403, 403, 403, 403]);
    expect(await statuses(open.base, 'attacker.example:8080')).toEqual([200, 200, 202, 200]);
  });
});
