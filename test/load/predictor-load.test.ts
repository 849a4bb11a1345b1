import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connectBus } from '@mlops/bus';
import { type EventData, STREAMS, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import { findFreePort, registerTestModel, retainedMemory } from '@mlops/testkit';
import autocannon from 'autocannon';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  FEATURES,
  loggedCount,
  predictorEnv,
  registerAndAnnounce,
  servedVersion,
  spawnPredictor,
  untilLogged,
  untilReady,
} from './support/predictor.js';

const SECONDS = 60;
const SWAPS = 10;
const name = `load_${randomUUID().slice(0, 8)}`;
const servers = { natsUrl: inject('natsUrl'), mlflowTrackingUri: inject('mlflowTrackingUri') };
const mlflow = createMlflowClient({ trackingUri: servers.mlflowTrackingUri });
let predictor: ChildProcess | undefined;

afterAll(() => {
  predictor?.kill('SIGTERM');
});

/** Heap and external memory that survive a full collection: what a leak would grow. */
async function retainedMiB(inspectorPort: number): Promise<number> {
  const memory = await retainedMemory(inspectorPort);
  return memory.heapMiB + memory.externalMiB;
}

describe('the predictor under steady load', () => {
  it(
    `when it serves ${SECONDS} s of requests while ${SWAPS} new versions are swapped in, then no request fails and memory stays bounded`,
    async () => {
      const logger = createLogger({ service: 'load-test', level: 'silent' });
      const { experimentId } = await mlflow.getOrCreateExperiment(name);
      await mlflow.getOrCreateRegisteredModel({ name });
      const bus = await connectBus({ servers: inject('natsUrl'), name: 'load-test', logger });
      await bus.ensureStream(STREAMS.models);
      const publish = (data: EventData<'model.registered'>, key: string) =>
        bus.publishEvent(SUBJECTS.modelRegistered, data, { key });
      const model = { mlflow, experimentId, name };
      await registerAndAnnounce(model, 0, publish);
      const port = await findFreePort();
      const base = `http://127.0.0.1:${port}`;
      const env = predictorEnv(servers, name, port, {
        // One process: the inspector measures the process that serves (test/load/predictor-workers.test.ts has workers).
        PREDICTOR_WORKERS: '1',
        // The swaps' memory is measured alone; the prediction log's has its own case below.
        PREDICTOR_LOG_SAMPLE: '0',
      });
      const spawned = await spawnPredictor(env, { inspect: true });
      predictor = spawned.child;
      const { inspectorPort } = spawned;
      await untilReady(base, '1');
      const body = JSON.stringify({ features: [FEATURES.map((_, j) => j / 10)] });
      const warm = await autocannon({ url: `${base}/predict`, method: 'POST', body, connections: 8, duration: 3 });
      expect(warm.non2xx + warm.errors).toBe(0);
      const before = await retainedMiB(inspectorPort);

      const load = autocannon({
        url: `${base}/predict`,
        method: 'POST',
        body,
        connections: 8,
        duration: SECONDS,
        overallRate: 1000,
      });
      const swapped: string[] = [];
      for (let k = 1; k <= SWAPS; k++) {
        await new Promise((resolve) => setTimeout(resolve, ((SECONDS - 10) * 1000) / SWAPS));
        const version = await registerAndAnnounce(model, k / 10, publish);
        swapped.push(version);
      }
      const result = await load;
      const after = await retainedMiB(inspectorPort);
      // The last announcement may come as the load ends: its reload is asynchronous (it fails here if it never comes).
      await untilReady(base, swapped.at(-1) ?? '1');
      const finalVersion = await servedVersion(base);
      await bus.close();

      process.stdout.write(
        `predictor load: ${result.requests.total} requests in ${SECONDS} s (${result.requests.average} req/s), ` +
          `${result.errors} errors, ${result.non2xx} non-2xx, p99 ${result.latency.p99} ms, ` +
          `retained after a full GC ${before.toFixed(1)} MiB before → ${after.toFixed(1)} MiB after, ${SWAPS} swaps to version ${finalVersion}\n`,
      );
      expect(result.errors).toBe(0);
      expect(result.non2xx).toBe(0);
      expect(result.requests.total).toBeGreaterThan(SECONDS * 500);
      expect(finalVersion).toBe(swapped.at(-1));
      // A replaced version that stayed reachable, or anything kept per request, would grow this.
      expect(after - before).toBeLessThan(8);
    },
    (SECONDS + 90) * 1000,
  );
});

describe('the prediction log under steady load', () => {
  it('when every request of 120 s at 1,000 req/s is logged, then the log keeps up (nothing dropped) and memory levels off', async () => {
    const logger = createLogger({ service: 'load-test', level: 'silent' });
    const logName = `${name}_log`;
    const { experimentId } = await mlflow.getOrCreateExperiment(logName);
    await mlflow.getOrCreateRegisteredModel({ name: logName });
    const coef = FEATURES.map((_, j) => (j % 2 === 0 ? 0.5 : -0.25));
    await registerTestModel(mlflow, {
      experimentId,
      name: logName,
      weights: { coef, intercept: 0, featureNames: FEATURES },
    });
    const bus = await connectBus({ servers: inject('natsUrl'), name: 'load-log-test', logger });
    await bus.close();
    const port = await findFreePort();
    const base = `http://127.0.0.1:${port}`;
    const env = predictorEnv(servers, logName, port, { PREDICTOR_WORKERS: '1' });
    const { child: logging, inspectorPort } = await spawnPredictor(env, { inspect: true });
    try {
      await untilReady(base, '1');
      const body = JSON.stringify({ features: [FEATURES.map((_, j) => j / 10)] });
      const load = autocannon({
        url: `${base}/predict`,
        method: 'POST',
        body,
        connections: 8,
        duration: 120,
        overallRate: 1000,
      });
      const retained: number[] = [];
      for (let s = 30; s <= 120; s += 30) {
        await new Promise((resolve) => setTimeout(resolve, 30_000));
        retained.push(await retainedMiB(inspectorPort));
      }
      const result = await load;
      const metrics = await untilLogged(base, result.requests.total);
      const logged = loggedCount(metrics);
      const dropped = [...metrics.matchAll(/^predictor_prediction_log_dropped_total\{[^}]*\} (\S+)$/gm)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
      process.stdout.write(
        `prediction log load: ${result.requests.total} requests, ${logged} logged, ${dropped} dropped, p99 ${result.latency.p99} ms, retained after a full GC at 30/60/90/120 s: ${retained.map((r) => r.toFixed(1)).join(' / ')} MiB\n`,
      );
      expect(result.errors + result.non2xx).toBe(0);
      expect(dropped).toBe(0);
      // autocannon counts the answers it read; up to one request per connection may be answered after it stopped.
      expect(logged).toBeGreaterThanOrEqual(result.requests.total);
      expect(logged).toBeLessThanOrEqual(result.requests.total + 8);
      // The resident set swings by tens of MiB with V8's heap sizing; what survives a full collection levels off
      // (a leak of 150 bytes per request would add 9 MiB between 60 and 120 s).
      expect((retained[3] ?? Number.POSITIVE_INFINITY) - (retained[1] ?? 0)).toBeLessThan(8);
    } finally {
      logging.kill('SIGTERM');
    }
  }, 200_000);
});
