import { randomUUID } from 'node:crypto';
import { type Bus, connectBus } from '@mlops/bus';
import { ModelLoadFailedSchema, STREAMS, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, registerTestModel, startNatsServer, until } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPredictor, type Predictor } from '../src/service.js';
import { championRegistered } from './support/model-events.js';

const logger = createLogger({ service: 'predictor-test', level: 'silent' });
const name = `reload_${randomUUID().slice(0, 8)}`;
const FEATURES = ['a', 'b'];
let nats: NatsServerHandle;
let mlflow: MlflowClient;
let publisher: Bus;
let predictor: Predictor;
let experimentId: string;
let instance: string;

/** Registers a version whose weights.json holds `weights` (a string is written as is, to break it). */
async function register(weights: { intercept: number } | string): Promise<string> {
  const content =
    typeof weights === 'string' ? weights : { coef: [1, -1], intercept: weights.intercept, featureNames: FEATURES };
  return (await registerTestModel(mlflow, { experimentId, name, weights: content, runName: 'r' })).version;
}

async function announce(version: string): Promise<void> {
  await publisher.publishEvent(SUBJECTS.modelRegistered, championRegistered(name, version), {
    key: `${name}:${version}:${randomUUID()}`,
  });
}

async function served(): Promise<{ version: string; probability: number }> {
  const response = await fetch(`http://127.0.0.1:${predictor.port}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ records: [{ a: 0, b: 0 }] }),
  });
  const body = (await response.json()) as { model: { version: string }; probabilities: number[] };
  return { version: body.model.version, probability: body.probabilities[0]! };
}

/** The last message stored on `subject` in the MODELS stream, parsed. */
async function lastEvent(subject: string): Promise<unknown> {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const message = await jsm.streams.getMessage(STREAMS.models.name, { last_by_subj: subject });
    return message?.json();
  } finally {
    await nc.close();
  }
}

/** Time for an announcement to be handled when the test checks that nothing changed (there is nothing to wait for). */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

/** Waits until the predictor answers with `version` (it reloads after the test's publish returns). */
async function untilServed(version: string): Promise<{ version: string; probability: number }> {
  return await until(
    `version ${version} served`,
    async () => {
      const now = await served();
      return now.version === version ? now : undefined;
    },
    30_000,
    100,
  );
}

/** Waits until the last `model.load_failed` in the MODELS stream is about `version`, and returns it parsed. */
async function untilLoadFailed(version: string) {
  return await until(
    `model.load_failed for version ${version}`,
    async () => {
      const event = await lastEvent(SUBJECTS.modelLoadFailed);
      if (event === undefined || event === null) return undefined;
      const parsed = ModelLoadFailedSchema.parse(event);
      return parsed.data.version === version ? parsed : undefined;
    },
    30_000,
    100,
  );
}

beforeAll(async () => {
  nats = await startNatsServer();
  mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
  experimentId = (await mlflow.getOrCreateExperiment(name)).experimentId;
  await mlflow.getOrCreateRegisteredModel({ name });
  await register({ intercept: 0 });
  publisher = await connectBus({ servers: nats.url, name: 'publisher', logger });
  const env = {
    NATS_URL: nats.url,
    MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'),
    MODEL_NAME: name,
    PREDICTOR_PORT: '0',
  };
  instance = loadConfig(env).instance;
  predictor = createPredictor(loadConfig(env), {
    bus: await connectBus({ servers: nats.url, name: 'p', logger }),
    logger,
  });
  await predictor.start();
}, 60_000);

afterAll(async () => {
  await predictor?.stop();
  await publisher?.close();
  await nats?.stop();
});

describe('predictor hot reload', () => {
  it('when it starts, then it serves the version the champion alias points at', async () => {
    expect(await served()).toEqual({ version: '1', probability: 0.5 });
  });

  it('when a new version cannot be loaded, then the old one keeps serving and the failure is reported', async () => {
    const broken = await register('{"format": "something else"}');
    await announce(broken);
    const event = await untilLoadFailed(broken);
    expect((await served()).version).toBe('1');
    expect((await fetch(`http://127.0.0.1:${predictor.port}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${predictor.port}/metrics`)).text();
    expect(metrics).toMatch(/^predictor_model_reload_failures_total 1$/m);
    expect(event.data).toMatchObject({
      name,
      version: broken,
      instance,
      serving_version: '1',
      reason: expect.stringMatching(/format/),
    });
  });

  it('when a version has no weights file at all, then the old one keeps serving and the failure is reported', async () => {
    const run = await mlflow.createRun({ experimentId, runName: 'empty' });
    const model = await mlflow.createLoggedModel({ experimentId, name: 'model', sourceRunId: run.info.runId });
    await mlflow.finalizeLoggedModel(model.modelId, 'READY');
    const version = await mlflow.createModelVersion({
      name,
      source: `models:/${model.modelId}`,
      runId: run.info.runId,
    });
    await mlflow.setRegisteredModelAlias(name, 'champion', version.version);
    await announce(version.version);
    const event = await untilLoadFailed(version.version);
    expect(event.data).toMatchObject({ serving_version: '1', reason: expect.any(String) });
    expect((await served()).version).toBe('1');
  });

  it('when a newer valid version is announced, then it is swapped in without a restart', async () => {
    const version = await register({ intercept: 2 });
    await announce(version);
    const now = await untilServed(version);
    expect(now.version).toBe(version);
    expect(now.probability).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
  });

  it('when an older version is announced again while the alias stays, then nothing changes', async () => {
    const before = await served();
    await announce('1');
    await settle();
    expect(await served()).toEqual(before);
  });

  it('when the alias moves back to a lower version (a rollback), then that version is served', async () => {
    const before = await served();
    await mlflow.setRegisteredModelAlias(name, 'champion', '1');
    await announce('1');
    expect(await untilServed('1')).toEqual({ version: '1', probability: 0.5 });
    await mlflow.setRegisteredModelAlias(name, 'champion', before.version);
    await announce(before.version);
    expect(await untilServed(before.version)).toEqual(before);
  });

  it('when a stale event arrives after the alias moved on, then the version behind the alias is still served', async () => {
    const newest = await register({ intercept: -1 });
    await announce(newest);
    await announce('1'); // late and out of order
    await untilServed(newest);
    await settle();
    expect(await served()).toMatchObject({ version: newest });
  });
});
