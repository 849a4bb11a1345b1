import { describe, expect, it } from 'vitest';
import {
  createMlflowClient,
  type MlflowClient,
  MlflowInvalidArgumentError,
  MlflowOutcomeUnknownError,
  MlflowUnavailableError,
} from '../src/index.js';
import { type FakeMlflow, startFakeMlflow } from './fake-mlflow.js';

// Creates whose first attempt reached the server but whose answer was lost (fake server: applies, then resets).

const FAST = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5, lookUpSettleMs: 5 };
const KEY = { key: 'mlops.idempotency_key', value: 'trial-7' };
const LOST_AFTER_APPLY = { apply: true, answer: 'reset' } as const;

async function fakeWithClient(): Promise<{ fake: FakeMlflow; client: MlflowClient }> {
  const fake = await startFakeMlflow();
  return { fake, client: createMlflowClient({ trackingUri: fake.uri, retries: FAST }) };
}

describe('keyed creates, when the create took effect but its answer was lost', () => {
  it('then createRun looks the run up by its tag and returns it: exactly one run', async () => {
    const { fake, client } = await fakeWithClient();
    fake.fail('POST runs/create', LOST_AFTER_APPLY);

    const run = await client.createRun({ experimentId: '1', tags: { a: 'b' }, idempotencyTag: KEY });

    expect(fake.store.runs.map((r) => r.info.run_id)).toEqual([run.info.runId]);
    expect(run.data.tags).toEqual({ a: 'b', [KEY.key]: KEY.value });
    expect(fake.count('POST runs/create')).toBe(1);
    expect(fake.count('POST runs/search')).toBe(2);
  });

  it('then a create known to be absent (no search first) still looks the run up before re-sending: one run', async () => {
    const { fake, client } = await fakeWithClient();
    fake.fail('POST runs/create', LOST_AFTER_APPLY);

    const run = await client.createRun({ experimentId: '1', idempotencyTag: { ...KEY, knownAbsent: true } });

    expect(fake.store.runs.map((r) => r.info.run_id)).toEqual([run.info.runId]);
    expect(run.data.tags).toEqual({ [KEY.key]: KEY.value });
    expect(fake.count('POST runs/create')).toBe(1);
    expect(fake.count('POST runs/search')).toBe(1);
  });

  it('then createLoggedModel returns the one LoggedModel', async () => {
    const { fake, client } = await fakeWithClient();
    fake.fail('POST logged-models', LOST_AFTER_APPLY);

    const model = await client.createLoggedModel({ experimentId: '1', name: 'model', idempotencyTag: KEY });

    expect(fake.store.loggedModels.map((m) => m.info.model_id)).toEqual([model.modelId]);
    expect(fake.count('POST logged-models')).toBe(1);
  });

  it('then createModelVersion returns the one version', async () => {
    const { fake, client } = await fakeWithClient();
    fake.fail('POST model-versions/create', LOST_AFTER_APPLY);

    const version = await client.createModelVersion({ name: 'clf', source: 'models:/m-1', idempotencyTag: KEY });

    expect(fake.store.versions.map((v) => v.version)).toEqual([version.version]);
    expect(fake.count('POST model-versions/create')).toBe(1);
  });

  it('then getOrCreateRegisteredModel and getOrCreateExperiment find them by name', async () => {
    const { fake, client } = await fakeWithClient();
    fake.fail('POST registered-models/create', LOST_AFTER_APPLY);
    fake.fail('POST experiments/create', LOST_AFTER_APPLY);

    const model = await client.getOrCreateRegisteredModel({ name: 'clf' });
    const experiment = await client.getOrCreateExperiment('exp');

    expect(model.name).toBe('clf');
    expect(experiment.name).toBe('exp');
    expect([fake.store.registeredModels.length, fake.store.experiments.length]).toEqual([1, 1]);
    expect([fake.count('POST registered-models/create'), fake.count('POST experiments/create')]).toEqual([1, 1]);
  });

  it('then logModelOutputs sees the output on the run and does not send it again (MLflow would refuse a repeat)', async () => {
    const { fake, client } = await fakeWithClient();
    const run = await client.createRun({ experimentId: '1' });
    fake.fail('POST runs/outputs', LOST_AFTER_APPLY);

    await client.logModelOutputs({ runId: run.info.runId, models: [{ modelId: 'm-1' }] });

    expect(fake.store.runs[0]?.outputs).toEqual({ model_outputs: [{ model_id: 'm-1', step: 0 }] });
    expect(fake.count('POST runs/outputs')).toBe(1);
  });
});

describe('keyed creates, other paths', () => {
  it('when the lost attempt did not take effect, then the lookup finds nothing and the create is sent again once', async () => {
    const { fake, client } = await fakeWithClient();
    fake.fail('POST runs/create', { answer: 'reset' });

    await client.createRun({ experimentId: '1', idempotencyTag: KEY });

    expect(fake.store.runs).toHaveLength(1);
    expect(fake.count('POST runs/create')).toBe(2);
  });

  it('when the key is already there, then createRun returns that run without sending a create', async () => {
    const { fake, client } = await fakeWithClient();
    const first = await client.createRun({ experimentId: '1', idempotencyTag: KEY });

    const second = await client.createRun({ experimentId: '1', idempotencyTag: KEY });

    expect(second.info.runId).toBe(first.info.runId);
    expect(fake.count('POST runs/create')).toBe(1);
  });

  it('when another caller made the model between lookup and create, then the already-exists answer returns it', async () => {
    const { fake, client } = await fakeWithClient();
    fake.store.registeredModels.push({ name: 'clf' });
    fake.fail('GET registered-models/get', { answer: 404 });

    const model = await client.getOrCreateRegisteredModel({ name: 'clf' });

    expect(model.name).toBe('clf');
    expect(fake.count('POST registered-models/create')).toBe(1);
    expect(fake.count('GET registered-models/get')).toBe(2);
  });

  it('when the tags give the key another value, then nothing is sent', async () => {
    const { fake, client } = await fakeWithClient();

    const error = await client
      .createRun({ experimentId: '1', tags: { [KEY.key]: 'other' }, idempotencyTag: KEY })
      .catch((err: unknown) => err);

    expect(error).toBeInstanceOf(MlflowInvalidArgumentError);
    expect(fake.count('POST runs/search') + fake.count('POST runs/create')).toBe(0);
  });
});

describe('a create without a key, when its answer was lost', () => {
  it('then it is not sent again: MlflowOutcomeUnknownError, a kind of MlflowUnavailableError', async () => {
    const { fake, client } = await fakeWithClient();
    fake.fail('POST runs/create', LOST_AFTER_APPLY);

    const error = await client.createRun({ experimentId: '1' }).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(MlflowOutcomeUnknownError);
    expect(error).toBeInstanceOf(MlflowUnavailableError);
    expect(error).toMatchObject({ method: 'POST', path: '/api/2.0/mlflow/runs/create', attempts: 1 });
    expect((error as Error).message).toContain('not re-sent without an idempotency key');
    expect(fake.store.runs).toHaveLength(1);
    expect(fake.count('POST runs/create')).toBe(1);
  });
});

describe('keyed creates known to be absent', () => {
  it('when the create answers, then no search was sent at all', async () => {
    const { fake, client } = await fakeWithClient();

    await client.createRun({ experimentId: '1', idempotencyTag: { ...KEY, knownAbsent: true } });
    await client.createLoggedModel({ experimentId: '1', name: 'model', idempotencyTag: { ...KEY, knownAbsent: true } });

    expect(fake.count('POST runs/create')).toBe(1);
    expect(fake.count('POST runs/search')).toBe(0);
    expect(fake.count('POST logged-models/search')).toBe(0);
    expect(fake.store.loggedModels).toHaveLength(1);
  });
});
