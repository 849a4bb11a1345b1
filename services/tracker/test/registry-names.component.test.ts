import { Writable } from 'node:stream';
import { type Bus, connectBus, requestReply } from '@mlops/bus';
import { SUBJECTS } from '@mlops/contracts';
import { createMlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, registerTestModel, startNatsServer } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createTracker } from '../src/service.js';

// Registry requests name a registered model; a name MLflow would refuse (a path such as ../../x) is refused by the
// request's schema (the rule tune requests follow), not taken for an internal error. Real nats-server and MLflow.

/** Every line the tracker and its bus log, parsed. */
const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
    done();
  },
});
const logger = createLogger({ service: 'tracker', level: 'debug', destination: sink });
let nats: NatsServerHandle;
let bus: Bus;
let tracker: ReturnType<typeof createTracker>;

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({
    servers: nats.url,
    name: 'registry-names-test',
    logger: createLogger({ service: 'test', level: 'silent' }),
  });
  const trackerBus = await connectBus({ servers: nats.url, name: 'tracker', logger });
  tracker = createTracker(loadConfig({ NATS_URL: nats.url, MLFLOW_TRACKING_URI: inject('mlflowTrackingUri') }), {
    bus: trackerBus,
    logger,
  });
  await tracker.start(); // its subscriptions are on the server when this resolves
}, 60_000);

afterAll(async () => {
  await tracker?.stop();
  await bus?.close();
  await nats?.stop();
});

describe('registry requests for a model named in the MLflow UI', () => {
  it("when a registered model's name holds a quote, then its versions are listed", async () => {
    const name = `Bob's model ${Date.now()}`;
    const mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
    const { experimentId } = await mlflow.getOrCreateExperiment(`quoted-${Date.now()}`);
    await mlflow.getOrCreateRegisteredModel({ name });
    await registerTestModel(mlflow, { experimentId, name, weights: { coef: [1], intercept: 0, featureNames: ['a'] } });

    const reply = await requestReply(bus.connection, SUBJECTS.registryModels, { name } as never, { timeoutMs: 10_000 });

    expect(reply).toMatchObject({ status: 'ok', name, versions: [{ version: '1' }] });
  }, 60_000);
});

describe('registry requests with a model name outside the rule', () => {
  it('when models, promote and rollback name ../../x or a/b, then each is refused on its name and nothing is logged as an error', async () => {
    const ask = (subject: 'registry.models' | 'registry.promote' | 'registry.rollback', body: object) =>
      requestReply(bus.connection, subject, body as never, { timeoutMs: 10_000 });
    const logged = lines.length;

    const replies = await Promise.all([
      ask(SUBJECTS.registryModels, { name: '../../x' }),
      ask(SUBJECTS.registryPromote, { name: '../../x', version: '1', reason: 'x' }),
      ask(SUBJECTS.registryRollback, { name: 'a/b' }),
    ]);

    const refusal = { status: 'rejected', errors: [{ path: 'name', message: 'must not contain "/" or ":"' }] };
    expect(replies).toEqual([refusal, refusal, refusal]);
    // Names of allowed characters that MLflow still refuses (400 INVALID_PARAMETER_VALUE): refused here first.
    const dotted = await Promise.all(
      ['.', '..', '..abc', ' ', '   '].map((name) => ask(SUBJECTS.registryModels, { name })),
    );
    expect(dotted.map((reply) => (reply as { errors?: { path: string }[] }).errors?.[0]?.path)).toEqual(
      Array(5).fill('name'),
    );
    const since = lines.slice(logged);
    expect(since.filter((line) => (line.level as number) >= 50 || JSON.stringify(line).includes('"stack"'))).toEqual(
      [],
    );
  }, 60_000);
});
