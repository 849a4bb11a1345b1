import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createMlflowClient } from '@mlops/mlflow';
import { childPids, findFreePort, registerTestModel, until } from '@mlops/testkit';
import { afterEach, describe, expect, inject, it } from 'vitest';

// The multi-process predictor runs as its build (dist/main.js: cluster.fork() re-runs the entry): `npx tsc -b` first.
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const WORKERS = 2;
/** Clients sending one request after the other, each on a new connection. */
const CLIENTS = 16;
/** A request on a fresh connection that has neither an answer nor an error after this long counts as hung. */
const SETTLE_MS = 5000;
const servers = { natsUrl: inject('natsUrl'), mlflowTrackingUri: inject('mlflowTrackingUri') };
const body = JSON.stringify({ records: [{ a: 1 }] });
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** What became of one request: its status and the worker that answered, a connection error, or nothing in time. */
type Outcome =
  | { kind: 'answered'; status: number; worker: string | undefined }
  | { kind: 'failed' | 'hung'; error: string };

/** One POST /predict on a connection of its own; settles after SETTLE_MS at most. */
function postAlone(base: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(`${base}/predict`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const timer = setTimeout(() => {
      resolve({ kind: 'hung', error: `no answer after ${SETTLE_MS} ms` });
      req.destroy();
    }, SETTLE_MS);
    req.on('error', (err) => {
      clearTimeout(timer);
      resolve({ kind: 'failed', error: String(err) });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => {
        clearTimeout(timer);
        resolve({ kind: 'failed', error: String(err) });
      });
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString();
        const id = res.statusCode === 200 ? (JSON.parse(text) as { prediction_ids: string[] }).prediction_ids[0] : '';
        // <primary's 12 random characters><worker id in base 36>_<counter>
        const worker = id === undefined || id === '' ? undefined : id.slice(12, id.indexOf('_', 12));
        resolve({ kind: 'answered', status: res.statusCode ?? 0, worker });
      });
    });
    req.end(body);
  });
}

/** How many workers serve a model, from the summed `predictor_model_info` of GET /metrics. */
async function workersServing(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return [...text.matchAll(/^predictor_model_info\{[^}]*\} (\S+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** A fresh model with a champion, and the predictor's build with PREDICTOR_WORKERS=2 serving it. */
async function startWorkers(): Promise<{ base: string; child: ChildProcess }> {
  const name = `cluster_${randomUUID().slice(0, 8)}`;
  const mlflow = createMlflowClient({ trackingUri: servers.mlflowTrackingUri });
  const { experimentId } = await mlflow.getOrCreateExperiment(name);
  await mlflow.getOrCreateRegisteredModel({ name });
  await registerTestModel(mlflow, { experimentId, name, weights: { coef: [1], intercept: 0, featureNames: ['a'] } });
  const port = await findFreePort();
  const env = {
    PATH: process.env.PATH,
    NATS_URL: servers.natsUrl,
    MLFLOW_TRACKING_URI: servers.mlflowTrackingUri,
    MODEL_NAME: name,
    PREDICTOR_PORT: String(port),
    PREDICTOR_INSTANCE: name,
    PREDICTOR_WORKERS: String(WORKERS),
    LOG_LEVEL: 'error',
  };
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  running.push(child);
  const base = `http://127.0.0.1:${port}`;
  await until(
    'every worker serving',
    () =>
      workersServing(base).then(
        (n) => (n === WORKERS ? n : undefined),
        () => undefined,
      ),
    60_000,
  );
  return { base, child };
}

describe('the predictor with PREDICTOR_WORKERS=2 starting while MLflow hangs', () => {
  it('when MLflow accepts connections but never answers, then the workers listen within seconds: /health answers and /ready says 503 (no model yet)', async () => {
    // What a stopped (SIGSTOP) MLflow looks like to a client: the kernel accepts, nothing ever answers.
    const hung = createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const port = await findFreePort();
    const env = {
      PATH: process.env.PATH,
      NATS_URL: servers.natsUrl,
      MLFLOW_TRACKING_URI: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`,
      MODEL_NAME: 'hung_model',
      PREDICTOR_PORT: String(port),
      PREDICTOR_INSTANCE: `hung-${randomUUID().slice(0, 8)}`,
      PREDICTOR_WORKERS: String(WORKERS),
      LOG_LEVEL: 'error',
    };
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    running.push(child);
    const base = `http://127.0.0.1:${port}`;
    const began = Date.now();
    try {
      const health = await until(
        'the port answering',
        () =>
          fetch(`${base}/health`).then(
            (r) => r.status,
            () => undefined,
          ),
        28_000,
        100,
      );
      const waited = Date.now() - began;
      const ready = await fetch(`${base}/ready`);
      expect([health, ready.status]).toEqual([200, 503]);
      expect(waited).toBeLessThan(28_000); // MLflow's first read alone would take 30 s (its request timeout)
    } finally {
      child.kill('SIGKILL');
      hung.closeAllConnections?.();
      hung.close();
    }
  }, 60_000);
});

describe('the predictor with PREDICTOR_WORKERS=2 stopped while NATS is unreachable', () => {
  it('when SIGTERM comes while its workers wait for NATS, then it exits 0 at once (not at the 15 s kill of the drain)', async () => {
    const env = {
      PATH: process.env.PATH,
      NATS_URL: `nats://127.0.0.1:${await findFreePort()}`,
      MLFLOW_TRACKING_URI: servers.mlflowTrackingUri,
      MODEL_NAME: 'unreachable_nats',
      PREDICTOR_PORT: String(await findFreePort()),
      PREDICTOR_INSTANCE: `nonats-${randomUUID().slice(0, 8)}`,
      PREDICTOR_WORKERS: String(WORKERS),
      LOG_LEVEL: 'info',
    };
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    running.push(child);
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await until(
      'both workers waiting for NATS',
      () => (out.match(/NATS is not reachable yet/g)?.length === WORKERS ? true : undefined),
      20_000,
      50,
    );
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    expect({ code, tookMs: Date.now() - stoppedAt < 5000 }).toEqual({ code: 0, tookMs: true });
    expect(out.match(/worker stopped while waiting for NATS/g)).toHaveLength(WORKERS);
  }, 60_000);
});

describe('the predictor with PREDICTOR_WORKERS=2 when a worker dies', () => {
  it('when a busy worker is SIGKILLed while requests on fresh connections flow, then every request settles in time and the pool answers 200 again once the replacement serves', async () => {
    const { base, child } = await startWorkers();
    const outcomes: Outcome[] = [];
    let flowing = true;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (flowing) outcomes.push(await postAlone(base));
    });
    await sleep(1000);
    const [victim] = childPids(child.pid as number);
    // A worker busy (here stopped) while connections come is handed some before it dies: the case that hung.
    process.kill(victim as number, 'SIGSTOP');
    await sleep(300);
    process.kill(victim as number, 'SIGKILL');
    const replaced = await until(
      'a replacement worker',
      () => {
        const pids = childPids(child.pid as number);
        return pids.length === WORKERS && !pids.includes(victim as number) ? pids : undefined;
      },
      20_000,
      50,
    );
    await until(
      'every worker serving again',
      async () => ((await workersServing(base)) === WORKERS ? true : undefined),
      30_000,
      100,
    );
    await sleep(1000);
    flowing = false;
    await Promise.all(clients);
    const after = await Promise.all(Array.from({ length: 16 }, () => postAlone(base)));

    const settled = outcomes.filter((o) => o.kind !== 'hung');
    expect(replaced).toHaveLength(WORKERS);
    expect(outcomes.length).toBeGreaterThan(50);
    // Connections the dead worker held may fail (reset); none may wait forever (nodejs/node#21746).
    expect(outcomes.filter((o) => o.kind === 'hung')).toEqual([]);
    expect(settled.filter((o) => o.kind === 'answered').length).toBeGreaterThan(settled.length / 2);
    expect(after.map((o) => (o.kind === 'answered' ? o.status : o.error))).toEqual(after.map(() => 200));
    // Both first workers and the replacement took connections (the kernel hands them to the listening workers).
    expect(new Set(settled.flatMap((o) => (o.kind === 'answered' ? [o.worker] : []))).size).toBe(WORKERS + 1);
  }, 120_000);

  it('when a worker is killed between two scrapes, then GET /metrics still counts the requests it answered', async () => {
    const { base, child } = await startWorkers();
    const answered = await Promise.all(Array.from({ length: 24 }, () => postAlone(base)));
    await sleep(2500); // no scrape meanwhile: only what the workers send unasked reaches the primary
    const [victim] = childPids(child.pid as number);
    process.kill(victim as number, 'SIGKILL');
    await until(
      'a replacement serving',
      async () => {
        const pids = childPids(child.pid as number);
        const replaced = pids.length === WORKERS && !pids.includes(victim as number);
        return replaced && (await workersServing(base)) === WORKERS ? true : undefined;
      },
      30_000,
      100,
    );
    const text = await (await fetch(`${base}/metrics`)).text();
    const counted = Number(/^predictor_requests_total\{endpoint="\/predict",status="200"\} (\S+)$/m.exec(text)?.[1]);

    expect(answered.map((o) => (o.kind === 'answered' ? o.status : o.error))).toEqual(answered.map(() => 200));
    expect(counted).toBeGreaterThanOrEqual(answered.length);
  }, 120_000);
});
