import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import {
  type AddressInfo,
  connect as connectTcp,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Bus, connectBus } from '@mlops/bus';
import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import { childPids, findFreePort, type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import autocannon from 'autocannon';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  FEATURES,
  loggedCount,
  type PublishRegistered,
  predictorEnv,
  registerAndAnnounce,
  spawnPredictor,
  untilLogged,
  untilReady,
} from './support/predictor.js';

const WORKERS = 2;
const SWAPS = 3;
const servers = { natsUrl: inject('natsUrl'), mlflowTrackingUri: inject('mlflowTrackingUri') };
const mlflow = createMlflowClient({ trackingUri: servers.mlflowTrackingUri });
const body = JSON.stringify({ features: [FEATURES.map((_, j) => j / 10)] });
const running: ChildProcess[] = [];
const buses: Bus[] = [];
const natsServers: NatsServerHandle[] = [];
const relays: NetServer[] = [];

afterEach(async () => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const relay of relays.splice(0)) relay.close();
  for (const bus of buses.splice(0)) await bus.close();
  for (const nats of natsServers.splice(0)) await nats.stop();
});

/** A TCP relay to MLflow that can be cut (every connection closed, new ones refused) and mended. */
async function mlflowRelay() {
  const target = new URL(servers.mlflowTrackingUri);
  const sockets = new Set<Socket>();
  let cut = false;
  const relay = createNetServer((client) => {
    if (cut) return void client.destroy();
    const upstream = connectTcp(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  relays.push(relay);
  return {
    uri: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** A fresh model with version 1 as champion, and a predictor of PREDICTOR_WORKERS=2 serving it (on `natsUrl`). */
async function startWorkers(natsUrl = servers.natsUrl, mlflowTrackingUri = servers.mlflowTrackingUri) {
  const name = `workers_${randomUUID().slice(0, 8)}`;
  const { experimentId } = await mlflow.getOrCreateExperiment(name);
  await mlflow.getOrCreateRegisteredModel({ name });
  const bus = await connectBus({
    servers: natsUrl,
    name: 'workers-test',
    logger: createLogger({ service: 'workers-test', level: 'silent' }),
  });
  buses.push(bus);
  await bus.ensureStream(STREAMS.models);
  const publish: PublishRegistered = (data, key) => bus.publishEvent(SUBJECTS.modelRegistered, data, { key });
  const model = { mlflow, experimentId, name };
  await registerAndAnnounce(model, 0, publish);
  const port = await findFreePort();
  const base = `http://127.0.0.1:${port}`;
  const env = predictorEnv({ natsUrl, mlflowTrackingUri }, name, port, { PREDICTOR_WORKERS: String(WORKERS) });
  const { child } = await spawnPredictor(env);
  running.push(child);
  await untilReady(base, '1');
  await untilEveryWorkerServes(base, '1', 30_000);
  return { base, child, bus, swap: (intercept: number) => registerAndAnnounce(model, intercept, publish) };
}

/** GET /metrics: the exposition, summed over the workers by whichever worker answers. */
async function metrics(base: string): Promise<string> {
  return await (await fetch(`${base}/metrics`)).text();
}

/** Each version the workers serve, with how many serve it (`predictor_model_info` summed over workers). */
function versionsServed(text: string): Record<string, number> {
  const served: Record<string, number> = {};
  for (const m of text.matchAll(/^predictor_model_info\{[^}]*model_version="([^"]+)"[^}]*\} (\S+)$/gm)) {
    served[m[1] as string] = Number(m[2]);
  }
  return served;
}

/** One sample of the exposition (0 when absent). */
function sample(text: string, line: RegExp): number {
  return Number(line.exec(text)?.[1] ?? 0);
}

/** Polls /metrics until every worker serves `version` and no other; resolves with the wait in ms. */
async function untilEveryWorkerServes(base: string, version: string, budgetMs: number): Promise<number> {
  const started = performance.now();
  let served: Record<string, number> = {};
  while (performance.now() - started < budgetMs) {
    served = versionsServed(await metrics(base));
    if (served[version] === WORKERS && Object.keys(served).length === 1) return performance.now() - started;
    await sleep(25);
  }
  throw new Error(`not every worker serves v${version} after ${budgetMs} ms: ${JSON.stringify(served)}`);
}

/** The characters of a prediction id that name the worker which scored it. */
function workerOf(id: string): string {
  return id.slice(12, id.indexOf('_', 12));
}

/**
 * Prediction ids of at least `count` single-row requests, each on a connection of its own, sent until every worker
 * scored some (or `budgetMs` passed): the kernel's accept queue may hand a run of connections to one worker.
 */
async function idsFromEveryWorker(url: string, count: number, budgetMs: number): Promise<string[]> {
  const ids: string[] = [];
  const started = performance.now();
  while (ids.length < count || (new Set(ids.map(workerOf)).size < WORKERS && performance.now() - started < budgetMs)) {
    const scored = await postAlone(url, body);
    ids.push(scored.json.prediction_ids[0] as string);
  }
  return ids;
}

/** One POST of `payload` on a connection of its own (so the primary hands it to the next worker in turn). */
async function postAlone(
  url: string,
  payload: string,
  send: (write: (text: string) => void) => Promise<void> = async (write) => write(payload),
) {
  const req = request(url, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
  });
  const answered = once(req, 'response');
  await send((text) => req.write(text));
  req.end();
  const [res] = (await answered) as [import('node:http').IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  if (res.statusCode !== 200 && res.statusCode !== 202)
    throw new Error(`POST ${url} answered ${res.statusCode}: ${text}`);
  return { status: res.statusCode, json: JSON.parse(text) as { prediction_ids: string[] } };
}

/** SIGKILLs the first worker of primary `pid`; resolves with the workers before and once a replacement runs. */
async function killOneWorker(pid: number): Promise<{ before: number[]; after: number[] }> {
  const before = childPids(pid);
  process.kill(before[0] as number, 'SIGKILL');
  const started = Date.now();
  let after = childPids(pid);
  while ((after.length !== WORKERS || after.includes(before[0] as number)) && Date.now() - started < 20_000) {
    await sleep(100);
    after = childPids(pid);
  }
  return { before, after };
}

/** Whether process `pid` still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the predictor with PREDICTOR_WORKERS=2', () => {
  it(`when ${SWAPS} versions are swapped in under load, then no request fails and both workers serve each new version`, async () => {
    const { base, swap } = await startWorkers();
    // The kernel hands each connection to a worker (SCHED_NONE) and may favour one for a while: probes go in rounds
    // of 16 until both workers have answered (20 rounds at most).
    const probes: Awaited<ReturnType<typeof postAlone>>[] = [];
    const workerOf = (requestId: string) => requestId.slice(12, requestId.indexOf('_', 12));
    const requestIdOf = (probe: (typeof probes)[number]) => (probe.json.prediction_ids[0] as string).replace(/-0$/, '');
    for (let round = 0; round < 20 && new Set(probes.map((p) => workerOf(requestIdOf(p)))).size < WORKERS; round++) {
      probes.push(...(await Promise.all(Array.from({ length: 16 }, () => postAlone(`${base}/predict`, body)))));
    }
    const requestIds = probes.map(requestIdOf);
    const load = autocannon({ url: `${base}/predict`, method: 'POST', body, connections: 8, duration: 6 * SWAPS });
    const waits: number[] = [];
    for (let k = 1; k <= SWAPS; k++) {
      await sleep(3000);
      const version = await swap(k / 10);
      waits.push(await untilEveryWorkerServes(base, version, 10_000));
    }
    const result = await load;
    const text = await untilLogged(base, result['2xx'] + probes.length);
    const answered = sample(text, /^predictor_requests_total\{endpoint="\/predict",status="200"\} (\S+)$/m);
    const logged = loggedCount(text);
    process.stdout.write(
      `predictor workers: ${result.requests.total} requests, ${result.errors} errors, ${result.non2xx} non-2xx, p99 ${result.latency.p99} ms; every worker served each new version ${waits.map((w) => w.toFixed(0)).join(' / ')} ms after model.registered; /metrics counts ${answered} answers, ${logged} logged\n`,
    );

    expect(probes.map((p) => p.status)).toEqual(probes.map(() => 200));
    expect(new Set(requestIds).size).toBe(requestIds.length);
    // <primary's 12 random characters><worker id in base 36>_<counter><random>: both workers answered.
    expect(new Set(requestIds.map(workerOf)).size).toBe(WORKERS);
    expect(result.errors + result.non2xx).toBe(0);
    expect(result.requests.total).toBeGreaterThan(1000);
    expect(waits).toHaveLength(SWAPS);
    // Whichever worker answered /metrics counted the other's requests too; every worker logged its predictions.
    expect(answered).toBeGreaterThanOrEqual(result['2xx'] + probes.length);
    expect(logged).toBeGreaterThanOrEqual(result['2xx'] + probes.length);
  }, 120_000);

  it('when a worker is killed, then the primary restarts it and no counter goes down; on SIGTERM in-flight requests finish and every process exits 0', async () => {
    const { base, child } = await startWorkers();
    const answered = async () =>
      sample(await metrics(base), /^predictor_requests_total\{endpoint="\/predict",status="200"\} (\S+)$/m);
    for (let i = 0; i < 10; i++) await postAlone(`${base}/predict`, body); // one connection each: both workers
    const countedBefore = await answered();
    const { before, after } = await killOneWorker(child.pid as number);
    await untilEveryWorkerServes(base, '1', 20_000);
    const countedAfter = await answered();

    const exited = once(child, 'exit');
    const inFlight = postAlone(`${base}/predict`, body, async (write) => {
      write(body.slice(0, 20));
      await sleep(300);
      child.kill('SIGTERM');
      await sleep(500);
      write(body.slice(20));
    });
    const answer = await inFlight;
    const [code] = (await exited) as [number | null];

    // Prometheus reads a smaller sum as a counter reset: the dead worker's requests stay counted.
    expect(countedBefore).toBeGreaterThanOrEqual(10);
    expect(countedAfter).toBe(countedBefore);
    expect(before).toHaveLength(WORKERS);
    expect(after).toHaveLength(WORKERS);
    expect(after).not.toContain(before[0]);
    expect(answer.status).toBe(200);
    expect(code).toBe(0);
    expect(after.filter(alive)).toEqual([]);
  }, 90_000);

  it('when a worker dies while MLflow cannot be reached, then its replacement joins the port only with a model: no request answers 503', async () => {
    const relay = await mlflowRelay();
    const { base, child } = await startWorkers(servers.natsUrl, relay.uri);
    relay.cut();
    const { before, after } = await killOneWorker(child.pid as number);
    // Long enough for the replacement to connect to NATS and give up its first read of the champion (retried calls).
    const statuses: number[] = [];
    for (const until = Date.now() + 15_000; Date.now() < until; await sleep(100)) {
      const status = await postAlone(`${base}/predict`, body).then(
        (r) => r.status,
        () => 503,
      );
      statuses.push(status);
    }
    expect(after).toHaveLength(WORKERS);
    expect(after).not.toContain(before[0]);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
  }, 90_000);

  it('when feedback comes to either worker, then each forwards it to the monitor over its own NATS connection', async () => {
    // A private nats-server: feedback.received is one core subject, which another case's monitor could answer.
    const nats = await startNatsServer();
    natsServers.push(nats);
    const { base, bus } = await startWorkers(nats.url);
    const received: unknown[] = [];
    const monitor = await bus.serve(SUBJECTS.feedbackReceived, 'workers-test-monitor', async (data) => {
      received.push(JSON.parse(new TextDecoder().decode(data)));
      return { status: 'accepted' as const, accepted: 1, duplicates: 0, errors: [] };
    });
    // Connections of their own, until both workers scored some (the kernel hands connections to one for a while).
    const ids = await idsFromEveryWorker(`${base}/predict`, 8, 30_000);
    const answers = await Promise.all(
      ids.map((id) => postAlone(`${base}/feedback`, JSON.stringify({ prediction_id: id, label: 1 }))),
    );
    await monitor.stop();

    expect(new Set(ids.map(workerOf)).size).toBe(WORKERS);
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 202));
    expect(received).toHaveLength(ids.length);
  }, 60_000);
});
