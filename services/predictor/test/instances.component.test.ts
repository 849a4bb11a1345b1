import { randomUUID } from 'node:crypto';
import { type Bus, connectBus } from '@mlops/bus';
import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import { findFreePort, type NatsServerHandle, registerTestModel, startNatsServer, until } from '@mlops/testkit';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPredictor, type Predictor } from '../src/service.js';
import { championRegistered } from './support/model-events.js';

const logger = createLogger({ service: 'predictor-test', level: 'silent' });
const mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
const buses: Bus[] = [];
const predictors: Predictor[] = [];
let nats: NatsServerHandle | undefined;

afterAll(async () => {
  for (const predictor of predictors) await predictor.stop();
  for (const bus of buses) await bus.close();
  await nats?.stop();
});

/** The version `predictor` answers POST /predict with. */
async function served(predictor: Predictor): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${predictor.port}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ records: [{ a: 0 }] }),
  });
  return ((await response.json()) as { model: { version: string } }).model.version;
}

describe('two predictor instances on one host without PREDICTOR_INSTANCE', () => {
  it('when versions are announced, then each instance sees every model.registered event (no shared durable consumer)', async () => {
    nats = await startNatsServer();
    const natsUrl = nats.url;
    const name = `instances_${randomUUID().slice(0, 8)}`;
    const { experimentId } = await mlflow.getOrCreateExperiment(name);
    await mlflow.getOrCreateRegisteredModel({ name });
    const register = async (intercept: number) =>
      (await registerTestModel(mlflow, { experimentId, name, weights: { coef: [1], intercept, featureNames: ['a'] } }))
        .version;
    await register(0);
    const publisher = await connectBus({ servers: natsUrl, name: 'publisher', logger });
    buses.push(publisher);
    await publisher.ensureStream(STREAMS.models);
    const announce = (version: string) =>
      publisher.publishEvent(SUBJECTS.modelRegistered, championRegistered(name, version), {
        key: `${name}:${version}`,
      });
    const configs = [];
    for (const port of [await findFreePort(), await findFreePort()]) {
      // No PREDICTOR_INSTANCE; the poll (60 s) cannot stand in for a missed event within the test's wait.
      const env = {
        NATS_URL: natsUrl,
        MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'),
        MODEL_NAME: name,
        PREDICTOR_PORT: String(port),
        PREDICTOR_MODEL_POLL_MS: '60000',
      };
      configs.push(loadConfig(env));
    }
    for (const config of configs) {
      const bus = await connectBus({ servers: natsUrl, name: config.instance, logger });
      buses.push(bus);
      const predictor = createPredictor(config, { bus, logger });
      predictors.push(predictor);
      await predictor.start();
    }
    const seen: string[][] = [];
    for (const intercept of [1, 2, 3]) {
      const version = await register(intercept);
      await announce(version);
      // Each instance reloads on its own event; one left without the event would wait for its 60 s poll.
      const versions = await Promise.all(
        predictors.map((predictor) =>
          until(
            `v${version} served`,
            async () => ((await served(predictor)) === version ? version : undefined),
            10_000,
            100,
          ).catch(() => served(predictor)),
        ),
      );
      seen.push(versions);
    }

    expect(seen).toEqual([
      ['2', '2'],
      ['3', '3'],
      ['4', '4'],
    ]);
    expect(configs[0]?.instance).not.toBe(configs[1]?.instance);
  }, 120_000);
});
