import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

// Error paths of `mlops status`: nothing listening, and an HTTP layer that answers like a broken MLflow and a
// predictor without a model. The status of a real stack is checked in status.integration.test.ts and
// test/fault/stack-restart.test.ts.

let dir: string;
let server: Server;
let base: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-status-'));
  server = createServer((req, res) => {
    const [status, body] = answer(req.url ?? '', req.headers.authorization);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** The bearer token the predictor under /guarded takes. */
const TOKEN = 'predictor-t0ken';

/**
 * MLflow whose /health answers but whose API fails; a predictor that is up without a model; a healthy service. Under
 * /guarded a predictor started with PREDICTOR_AUTH_HEALTH (as services/predictor answers without TOKEN), under
 * /other a server answering 200 that is no predictor, under /proxy a proxy with nothing behind it.
 */
function answer(url: string, authorization: string | undefined): [number, unknown] {
  if (url === '/guarded/ready' || url === '/guarded/health') {
    if (authorization !== `Bearer ${TOKEN}`) {
      const message = 'a valid bearer token is required: Authorization: Bearer <token>';
      return [401, { error: { code: 'UNAUTHENTICATED', message } }];
    }
    return url.endsWith('/health')
      ? [200, { status: 'alive' }]
      : [200, { status: 'ready', model: { name: 'Guarded_Model', version: '3' } }];
  }
  if (url === '/other/ready') return [200, { status: 'OK' }];
  if (url.startsWith('/anything/')) return [200, {}];
  if (url === '/proxy/ready') return [503, { message: 'no upstream' }];
  if (url === '/health' || url === '/trainer/ready') return [200, { alive: true }];
  if (url === '/ready') return [503, { status: 'not ready', reason: 'no version has the alias champion' }];
  if (url.startsWith('/api/'))
    return [500, { error_code: 'INTERNAL_ERROR', message: 'database disk image is malformed' }];
  return [404, {}];
}

/** A port nothing listens on (the OS hands it out, the listener closes at once). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The pid of a process that has ended. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid;
}

async function status(...args: string[]) {
  return await statusWith({}, ...args);
}

async function statusWith(env: Record<string, string>, ...args: string[]) {
  return await runCli(['status', ...args], { cwd: dir, env });
}

describe('mlops status when things are down', () => {
  it('when nothing listens and there is no state file, then every part says so and the exit code is 1', async () => {
    const closed = await closedPort();
    const result = await status(
      '--nats',
      `nats://127.0.0.1:${closed}`,
      '--mlflow',
      `http://127.0.0.1:${closed}`,
      '--predictor',
      `http://127.0.0.1:${closed}`,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('mlops status: nothing answers: is a stack running? (mlops up, or docker compose up)\n');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('no local stack state: data/stack.json does not exist (mlops up writes it; see --data-dir)');
    expect(lines[1]).toBe('endpoints:');
    expect(lines.slice(2, 5)).toEqual([
      `  NATS       nats://127.0.0.1:${closed}  NOT REACHABLE (connection refused)`,
      `  MLflow     http://127.0.0.1:${closed}  NOT REACHABLE (connect ECONNREFUSED 127.0.0.1:${closed})`,
      `  predictor  http://127.0.0.1:${closed}  NOT REACHABLE (connect ECONNREFUSED 127.0.0.1:${closed})`,
    ]);
    expect(lines.slice(5)).toEqual([
      'champion: unknown (MLflow not reachable)',
      'last tunings: unknown (MLflow not reachable)',
    ]);
  });

  it('when MLflow answers /health but its API fails and the predictor has no model, then each says what is wrong', async () => {
    const closed = await closedPort();
    const result = await status('--nats', `nats://127.0.0.1:${closed}`, '--mlflow', base, '--predictor', `${base}/`);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`MLflow     ${base}  reachable`);
    expect(result.stdout).toContain(
      `predictor  ${base}  reachable, not serving a model yet (no version has the alias champion)`,
    );
    expect(result.stdout).toMatch(
      /champion: MLflow registry query failed: MLflow GET \/api\/2\.0\/mlflow\/registered-models\/get failed with 500 INTERNAL_ERROR: database disk image is malformed/,
    );
    expect(result.stdout).toMatch(
      /last tunings: MLflow query failed: MLflow GET \S+experiments\/get-by-name failed with 500/,
    );
  });

  it("when the MLflow URL is a server answering 200 {} to everything, then champion and tunings say its answer is not MLflow's (no stack trace)", async () => {
    const closed = await closedPort();
    const result = await status('--nats', `nats://127.0.0.1:${closed}`, '--mlflow', `${base}/anything`);
    const lines = result.stdout.split('\n');
    expect([result.stderr, lines.filter((l) => /^(champion|last tunings):/.test(l)).length]).toEqual(['', 2]);
    expect(lines.find((l) => l.startsWith('champion:'))).toMatch(/its answer is not MLflow's/);
  });

  it('when URLs carry credentials, then they are neither shown nor needed for the health checks', async () => {
    const closed = await closedPort();
    const secret = base.replace('http://', 'http://admin:s3cret@');
    const result = await status(
      '--nats',
      `nats://me:s3cret@127.0.0.1:${closed}`,
      '--mlflow',
      secret,
      '--predictor',
      base,
    );
    expect(result.stdout).not.toContain('s3cret');
    expect(result.stdout).toContain(`  NATS       nats://127.0.0.1:${closed}  NOT REACHABLE (connection refused)`);
    expect(result.stdout).toContain(`  MLflow     ${base}  reachable`);
  });

  it('when a NATS server list or a bare host carries credentials, then none of them is shown', async () => {
    const closed = await closedPort();
    for (const nats of [
      `nats://svc:s3cret@127.0.0.1:${closed},nats://svc:s3cret@127.0.0.1:${closed}`,
      `svc:s3cret@127.0.0.1:${closed}`,
      `s3cret@127.0.0.1:${closed}`,
    ]) {
      const result = await status('--nats', nats, '--mlflow', base, '--predictor', base);
      expect(result.stdout).toMatch(/ {2}NATS +\S*127\.0\.0\.1:\d+\S* +NOT REACHABLE/);
      expect(result.stdout + result.stderr).not.toContain('s3cret');
    }
  });

  it('when the state file names processes and a supervisor that is gone, then it shows them with their health now', async () => {
    const closed = await closedPort();
    const supervisor = deadPid();
    await writeState(supervisor, closed);
    const result = await status('--nats', `nats://127.0.0.1:${closed}`);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    // Not "running": the mlops up that would keep it running is gone.
    expect(lines[0]).toBe(
      `local stack (data/stack.json): left running by mlops up pid ${supervisor}, which is gone, started 2026-01-02 03:04:05`,
    );
    expect(lines[1]).toBe(
      '  the states below are as mlops up last wrote them at 2026-01-02 03:05:00; mlops down here stops what it left running (so does mlops up here again)',
    );
    const refused = `NOT ANSWERING (connection refused: http://127.0.0.1:${closed}/ready)`;
    const pad = ' '.repeat(refused.length - 'answering'.length);
    expect(lines.slice(2, 5)).toEqual([
      `  process  state       pid  restarts  health${' '.repeat(refused.length - 6)}  last exit`,
      `  trainer  running     101  0         answering${pad}  -`,
      `  tracker  restarting  -    2         ${refused}  2026-01-02 03:04:59 exited (code null, signal SIGKILL)`,
    ]);
    expect(lines[5]).toBe('  logs: data/logs/');
    expect(result.stdout).toContain(`predictor  ${base}  reachable, not serving a model yet`);
  });

  it('when --predictor names a server that is no predictor, then it is not reported reachable, and says what it answered', async () => {
    const closed = await closedPort();
    const nats = ['--nats', `nats://127.0.0.1:${closed}`, '--mlflow', base];
    // A server with no /ready, as MLflow (whose own probe says the same of a 404 on /health).
    const mlflow = await status(...nats, '--predictor', `${base}/mlflow`);
    expect(mlflow.stdout).toContain(`  predictor  ${base}/mlflow  NOT HEALTHY (answered HTTP 404)`);
    const other = await status(...nats, '--predictor', `${base}/other`);
    expect(other.stdout).toContain(
      `  predictor  ${base}/other  not a predictor (GET /ready answered HTTP 200 without a predictor's readiness body)`,
    );
    const proxy = await status(...nats, '--predictor', `${base}/proxy`);
    expect(proxy.stdout).toContain(`  predictor  ${base}/proxy  NOT HEALTHY (answered HTTP 503)`);
    for (const result of [mlflow, other, proxy]) expect(result.stdout).not.toContain('reachable, not serving');
  });

  it('when the predictor wants a bearer token on its health routes, then PREDICTOR_TOKEN is sent, and without it the status says to set it', async () => {
    const closed = await closedPort();
    const args = ['--nats', `nats://127.0.0.1:${closed}`, '--mlflow', base, '--predictor', `${base}/guarded`];
    const without = await status(...args);
    expect(without.stdout).toContain(
      `  predictor  ${base}/guarded  reachable, wants a token: set PREDICTOR_TOKEN (answered HTTP 401)`,
    );
    expect(without.stdout).not.toContain('not serving a model');
    const wrong = await statusWith({ PREDICTOR_TOKEN: 'not-the-token' }, ...args);
    expect(wrong.stdout).toContain(
      `  predictor  ${base}/guarded  reachable, refuses the token in PREDICTOR_TOKEN (answered HTTP 401): set one of its PREDICTOR_AUTH_TOKENS in PREDICTOR_TOKEN`,
    );
    const withToken = await statusWith({ PREDICTOR_TOKEN: TOKEN }, ...args);
    expect(withToken.stdout).toContain(`  predictor  ${base}/guarded  reachable, serving Guarded_Model version 3`);
  });

  it("when PREDICTOR_TOKEN is unset but the shell has the stack's PREDICTOR_AUTH_TOKENS, then the first of them is sent to the stack's predictor, and a refusal names that variable", async () => {
    const closed = await closedPort();
    await writeState(deadPid(), closed, `${base}/guarded`);
    const args = ['--nats', `nats://127.0.0.1:${closed}`, '--mlflow', base, '--predictor', `${base}/guarded`];
    const first = await statusWith({ PREDICTOR_AUTH_TOKENS: ` ${TOKEN} , another-token-0123` }, ...args);
    expect(first.stdout).toContain(`  predictor  ${base}/guarded  reachable, serving Guarded_Model version 3`);
    const own = await statusWith({ PREDICTOR_TOKEN: TOKEN, PREDICTOR_AUTH_TOKENS: 'another-token-0123' }, ...args);
    expect(own.stdout).toContain(`  predictor  ${base}/guarded  reachable, serving Guarded_Model version 3`);
    const refused = await statusWith({ PREDICTOR_AUTH_TOKENS: 'another-token-0123' }, ...args);
    expect(refused.stdout).toContain(
      `  predictor  ${base}/guarded  reachable, refuses the token in PREDICTOR_AUTH_TOKENS (answered HTTP 401)`,
    );
  });

  it("when the stack's predictor process wants a token for its health, then its row answers with PREDICTOR_TOKEN and says to set it without", async () => {
    const closed = await closedPort();
    await mkdirData();
    const predictor = {
      name: 'predictor',
      pid: 103,
      state: 'running',
      restarts: 0,
      last_exit: null,
      health: `${base}/guarded/health`,
      log: join(dir, 'data', 'logs', 'predictor.log'),
    };
    const state = {
      format: 1,
      pid: deadPid(),
      state: 'running',
      started_at: '2026-01-02T03:04:05.000Z',
      updated_at: '2026-01-02T03:05:00.000Z',
      data_dir: join(dir, 'data'),
      endpoints: { nats: `nats://127.0.0.1:${closed}`, mlflow: base, predictor: `${base}/guarded` },
      processes: [predictor],
    };
    await writeFile(join(dir, 'data', 'stack.json'), JSON.stringify(state));
    const without = await status('--nats', `nats://127.0.0.1:${closed}`);
    expect(without.stdout).toMatch(
      new RegExp(
        ` {2}predictor +running +103 +0 +NOT ANSWERING \\(answered HTTP 401, wants a token: set PREDICTOR_TOKEN: ${base}/guarded/health\\)`,
      ),
    );
    const withToken = await statusWith({ PREDICTOR_TOKEN: TOKEN }, '--nats', `nats://127.0.0.1:${closed}`);
    expect(withToken.stdout).toMatch(/ {2}predictor +running +103 +0 +answering +-$/m);
  });

  it('when the state file is not one, then it says so and goes on with the endpoints', async () => {
    await mkdirData();
    await writeFile(join(dir, 'data', 'stack.json'), '{"format": 7}');
    const closed = await closedPort();
    const result = await status('--nats', `nats://127.0.0.1:${closed}`, '--mlflow', base, '--predictor', base);
    expect(result.stdout.split('\n')[0]).toMatch(
      /^local stack state unreadable: \S+stack\.json is not a stack state file/,
    );
    expect(result.code).toBe(0);
  });

  it('when --limit is not positive, then it is a usage error', async () => {
    const result = await status('--limit', '0');
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'mlops status: --limit needs a positive integer, got 0\n' });
  });
});

async function mkdirData(): Promise<void> {
  await mkdir(join(dir, 'data', 'logs'), { recursive: true });
}

/** A state file as `mlops up` writes it: trainer healthy (the test server), tracker restarting (nothing listens). */
async function writeState(pid: number, closed: number, predictor = base): Promise<void> {
  await mkdirData();
  const processes = [
    { name: 'trainer', pid: 101, state: 'running', restarts: 0, last_exit: null, health: `${base}/trainer/ready` },
    {
      name: 'tracker',
      pid: null,
      state: 'restarting',
      restarts: 2,
      last_exit: { at: '2026-01-02T03:04:59.000Z', reason: 'exited (code null, signal SIGKILL)' },
      health: `http://127.0.0.1:${closed}/ready`,
    },
  ].map((p) => ({ ...p, log: join(dir, 'data', 'logs', `${p.name}.log`) }));
  const state = {
    format: 1,
    pid,
    state: 'running',
    started_at: '2026-01-02T03:04:05.000Z',
    updated_at: '2026-01-02T03:05:00.000Z',
    data_dir: join(dir, 'data'),
    endpoints: { nats: `nats://127.0.0.1:${closed}`, mlflow: base, predictor },
    processes,
  };
  await writeFile(join(dir, 'data', 'stack.json'), JSON.stringify(state));
}
