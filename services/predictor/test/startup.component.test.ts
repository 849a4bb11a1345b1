import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { connectBus } from '@mlops/bus';
import { createMlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import {
  findFreePort,
  type MlflowServerHandle,
  type NatsServerHandle,
  registerTestModel,
  startMlflowServer,
  startNatsServer,
} from '@mlops/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPredictor, type Predictor } from '../src/service.js';

const logger = createLogger({ service: 'predictor-test', level: 'silent' });
let nats: NatsServerHandle | undefined;
let mlflowServer: MlflowServerHandle | undefined;
let predictor: Predictor | undefined;

afterAll(async () => {
  await predictor?.stop();
  await mlflowServer?.stop();
  await nats?.stop();
});

async function ready(): Promise<{ status: number; body: { reason?: string; model?: { version: string } } }> {
  const response = await fetch(`http://127.0.0.1:${predictor?.port}/ready`);
  return { status: response.status, body: (await response.json()) as { reason?: string } };
}

async function registerChampion(trackingUri: string, name: string): Promise<void> {
  const mlflow = createMlflowClient({ trackingUri });
  const { experimentId } = await mlflow.getOrCreateExperiment(name);
  await mlflow.getOrCreateRegisteredModel({ name });
  await registerTestModel(mlflow, { experimentId, name, weights: { coef: [1], intercept: 0, featureNames: ['a'] } });
}

describe('predictor start-up while MLflow is unreachable', () => {
  it('when MLflow is down at start, then it serves HTTP, reports not ready with the reason, and gets ready once MLflow is back', async () => {
    nats = await startNatsServer();
    const port = await findFreePort();
    const trackingUri = `http://127.0.0.1:${port}`;
    const name = `startup_${randomUUID().slice(0, 8)}`;
    const config = loadConfig({
      NATS_URL: nats.url,
      MLFLOW_TRACKING_URI: trackingUri,
      MODEL_NAME: name,
      PREDICTOR_PORT: '0',
      PREDICTOR_MODEL_POLL_MS: '60000',
    });
    predictor = createPredictor(config, { bus: await connectBus({ servers: nats.url, name: 'p', logger }), logger });
    await predictor.start();
    const before = await ready();
    expect(before.status).toBe(503);
    expect(before.body.reason).toMatch(/cannot read the alias from MLflow/);

    mlflowServer = await startMlflowServer({ port });
    await registerChampion(trackingUri, name);
    const deadline = Date.now() + 60_000;
    let after = await ready();
    while (after.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      after = await ready();
    }
    expect(after.status).toBe(200);
    expect(after.body.model?.version).toBe('1');
  }, 150_000);
});

describe('serving without tokens beyond this machine', () => {
  it('when it binds an address other than loopback without PREDICTOR_AUTH_TOKENS, then it warns once at start; with tokens, or on loopback, it does not', async () => {
    const server = await startNatsServer();
    try {
      const warnings = async (env: Record<string, string>) => {
        const lines: { level: number; msg: string }[] = [];
        const captured = createLogger({
          service: 'predictor-test',
          level: 'info',
          destination: new Writable({
            write(chunk, _encoding, done) {
              lines.push(JSON.parse(String(chunk)) as { level: number; msg: string });
              done();
            },
          }),
        });
        const config = loadConfig({
          NATS_URL: server.url,
          MLFLOW_TRACKING_URI: `http://127.0.0.1:${await findFreePort()}`,
          MODEL_NAME: `open_${randomUUID().slice(0, 8)}`,
          PREDICTOR_PORT: '0',
          ...env,
        });
        const bus = await connectBus({ servers: server.url, name: 'p', logger });
        const open = createPredictor(config, { bus, logger: captured });
        await open.start();
        await open.stop();
        return lines.filter((line) => line.level === 40 && /no PREDICTOR_AUTH_TOKENS/.test(line.msg));
      };

      expect(await warnings({ PREDICTOR_HOST: '0.0.0.0' })).toEqual([
        expect.objectContaining({
          msg: 'no PREDICTOR_AUTH_TOKENS: anyone who reaches this address can score, read the model and send labels',
        }),
      ]);
      expect(await warnings({ PREDICTOR_HOST: '0.0.0.0', PREDICTOR_AUTH_TOKENS: 'a-token-of-20-chars!' })).toEqual([]);
      expect(await warnings({ PREDICTOR_HOST: '127.0.0.1' })).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
