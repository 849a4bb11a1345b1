import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { writeRunningState } from './support/stack-state.js';

// What `mlops status` refuses (addresses that are no URLs), whom it sends the stack's predictor token, and when it
// calls nats-server answering: a port that accepts connections is not enough (a frozen server's kernel accepts them).
// A real frozen nats-server is in status-nats.integration.test.ts.

let dir: string;
let closed: number;
const servers: (Server | HttpServer)[] = [];
const sockets: Socket[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-status-probes-'));
  const probe = await listening(createServer());
  closed = port(probe);
  await new Promise((resolve) => probe.close(resolve));
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  await rm(dir, { recursive: true, force: true });
});

async function listening<S extends Server | HttpServer>(server: S): Promise<S> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return server;
}

function port(server: Server | HttpServer): number {
  return (server.address() as AddressInfo).port;
}

/** A server that accepts connections and never says a word, as a SIGSTOPped nats-server's kernel does. */
async function silentServer(): Promise<number> {
  return port(await listening(createServer((socket) => sockets.push(socket))));
}

/** A server speaking the start of the NATS protocol: INFO on connect, PONG to each PING. */
async function natsLikeServer(): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.write('INFO {"server_id":"fake","version":"2.10.0","proto":1,"max_payload":1048576}\r\n');
    socket.on('data', (chunk) => {
      if (chunk.toString().includes('PING\r\n')) socket.write('PONG\r\n');
    });
  });
  return port(await listening(server));
}

/** A predictor answering /ready 200 with a model, recording the Authorization header of each request by path. */
async function predictor(): Promise<{ base: string; authorization: Map<string, string | undefined> }> {
  const authorization = new Map<string, string | undefined>();
  const server = createHttpServer((req, res) => {
    authorization.set(req.url ?? '', req.headers.authorization);
    const body = { status: 'ready', model: { name: 'm', version: '1' } };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  return { base: `http://127.0.0.1:${port(await listening(server))}`, authorization };
}

/** A stack.json in data/ of a running stack (its mlops up gone) with `processes`, recording `predictor`. */
async function writeState(processes: object[], predictorUrl = `http://127.0.0.1:${closed}`): Promise<void> {
  const endpoints = {
    nats: `nats://127.0.0.1:${closed}`,
    mlflow: `http://127.0.0.1:${closed}`,
    predictor: predictorUrl,
  };
  await writeRunningState(dir, endpoints, processes);
}

async function status(env: Record<string, string>, ...args: string[]) {
  return await runCli(['status', ...args], { cwd: dir, env });
}

describe('mlops status with an address that is no URL', () => {
  it.each([
    [['--mlflow', 'garbage'], {}, '--mlflow "garbage" is not a URL (e.g. http://127.0.0.1:5000)'],
    [['--predictor', 'garbage'], {}, '--predictor "garbage" is not a URL (e.g. http://127.0.0.1:8080)'],
    [['--predictor', 's3cret@not a url'], {}, '--predictor "not a url" is not a URL (e.g. http://127.0.0.1:8080)'],
    [['--mlflow', 'ftp://127.0.0.1:5000'], {}, '--mlflow must be http:// or https://, not ftp://'],
  ])('when %j (env %j) is given, then it is a usage error naming it, before anything is probed', async (args, env, message) => {
    const result = await status(env, '--nats', 'garbage', ...args);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `mlops status: ${message}\n` });
  });

  it.each([
    ['databricks', 'MLFLOW_TRACKING_URI "databricks" is not a URL (e.g. http://127.0.0.1:5000)'],
    ['file:///tmp/mlruns', 'MLFLOW_TRACKING_URI must be http:// or https://, not file://'],
  ])('when MLFLOW_TRACKING_URI is %s (MLflow takes it, no stack serves it), then status says so and shows the stack, MLflow looked for at its recorded address', async (uri, message) => {
    await writeState([]);
    const result = await status({ MLFLOW_TRACKING_URI: uri });
    expect(result.stderr.split('\n')[0]).toBe(
      `mlops status: ${message}: looking for MLflow at the stack's address instead`,
    );
    expect(result.stdout).toContain(`MLflow     http://127.0.0.1:${closed}  NOT REACHABLE`);
  });
});

describe("mlops status and the stack's predictor token", () => {
  it('when --predictor names another server than the stack records, then the first of PREDICTOR_AUTH_TOKENS is not sent to it', async () => {
    const { base, authorization } = await predictor();
    await writeState([], `${base}/stack`);
    const env = { PREDICTOR_AUTH_TOKENS: 'stack-t0ken,other' };
    const nats = ['--nats', `nats://127.0.0.1:${closed}`, '--mlflow', `http://127.0.0.1:${closed}`];
    await status(env, ...nats, '--predictor', `${base}/elsewhere`);
    expect(authorization.get('/elsewhere/ready'), 'another predictor').toBeUndefined();
    await status(env, ...nats, '--predictor', `${base}/stack/`);
    expect(authorization.get('/stack/ready'), "the stack's own predictor").toBe('Bearer stack-t0ken');
  });

  it('when PREDICTOR_TOKEN is set, then it goes to the predictor named, as mlops predict sends it', async () => {
    const { base, authorization } = await predictor();
    const env = { PREDICTOR_TOKEN: 'mine', PREDICTOR_AUTH_TOKENS: 'stack-t0ken' };
    const nats = ['--nats', `nats://127.0.0.1:${closed}`, '--mlflow', `http://127.0.0.1:${closed}`];
    await status(env, ...nats, '--predictor', `${base}/any`);
    expect(authorization.get('/any/ready')).toBe('Bearer mine');
  });

  it('when there is no state file, then PREDICTOR_AUTH_TOKENS goes nowhere', async () => {
    const { base, authorization } = await predictor();
    const env = { PREDICTOR_AUTH_TOKENS: 'stack-t0ken' };
    const nats = ['--nats', `nats://127.0.0.1:${closed}`, '--mlflow', `http://127.0.0.1:${closed}`];
    const result = await status(env, ...nats, '--predictor', base);
    expect(authorization.get('/ready')).toBeUndefined();
    expect(result.stdout).toContain(`predictor  ${base}  reachable, serving m version 1`);
  });
});

describe('mlops status of nats-server', () => {
  it('when the nats-server process accepts connections but never replies, then it is not answering, saying so', async () => {
    const silent = await silentServer();
    await writeState([{ name: 'nats-server', pid: 100, state: 'running', health: `tcp://127.0.0.1:${silent}` }]);
    const result = await status(
      {},
      '--nats',
      `nats://127.0.0.1:${silent}`,
      '--predictor',
      `http://127.0.0.1:${closed}`,
    );
    expect(result.stdout).toMatch(
      new RegExp(
        ` {2}nats-server +running +100 +0 +NOT ANSWERING \\(connection open, no reply in 3 s: tcp://127\\.0\\.0\\.1:${silent}\\) +-`,
      ),
    );
    expect(result.stdout).toContain(
      `  NATS       nats://127.0.0.1:${silent}  NOT ANSWERING (connection open, no reply in 5 s)`,
    );
    expect(result.code).toBe(1);
  }, 20_000);

  it('when the nats-server process sends its INFO and answers PING with PONG, then it is answering', async () => {
    const nats = await natsLikeServer();
    await writeState([{ name: 'nats-server', pid: 100, state: 'running', health: `tcp://127.0.0.1:${nats}` }]);
    const result = await status(
      {},
      '--nats',
      `nats://127.0.0.1:${closed}`,
      '--predictor',
      `http://127.0.0.1:${closed}`,
    );
    expect(result.stdout).toMatch(/ {2}nats-server +running +100 +0 +answering +-/);
    expect(result.code).toBe(0);
  });

  it('when nothing accepts connections on its port, then the row says so', async () => {
    await writeState([{ name: 'nats-server', pid: 100, state: 'running', health: `tcp://127.0.0.1:${closed}` }]);
    const result = await status(
      {},
      '--nats',
      `nats://127.0.0.1:${closed}`,
      '--predictor',
      `http://127.0.0.1:${closed}`,
    );
    expect(result.stdout).toContain(`NOT ANSWERING (nothing accepts connections: tcp://127.0.0.1:${closed})`);
  });
});
