import { randomUUID } from 'node:crypto';
import { type Bus, connectBus, watchEvents } from '@mlops/bus';
import { type EventData, type EventSubject, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createTracker } from '../src/service.js';
import * as events from './support/tuning-events.js';

const logger = createLogger({ service: 'tracker-test', level: 'silent' });
const name = `tracker_${randomUUID().slice(0, 8)}`;
let nats: NatsServerHandle;
let bus: Bus;
let mlflow: MlflowClient;
let tracker: ReturnType<typeof createTracker>;
const registered: EventData<'model.registered'>[] = [];
const rejected: EventData<'model.rejected'>[] = [];
const decided = (tuningId: string) => [...registered, ...rejected].some((e) => e.tuning_id === tuningId);

async function runsOf(tuningId: string) {
  const experiment = await mlflow.getExperimentByName(name);
  const filter = `tags.\`mlops.tuning_id\` = '${tuningId}'`;
  return (await mlflow.searchRuns({ experimentIds: [experiment!.experimentId], filter })).runs;
}

async function emit<S extends EventSubject>(subject: S, key: string, data: EventData<S>): Promise<void> {
  await bus.publishEvent(subject, data, { key });
}

async function until(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  nats = await startNatsServer();
  mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
  bus = await connectBus({ servers: nats.url, name: 'tracker-test-publisher', logger });
  tracker = createTracker(loadConfig({ NATS_URL: nats.url, MLFLOW_TRACKING_URI: inject('mlflowTrackingUri') }), {
    bus: await connectBus({ servers: nats.url, name: 'tracker', logger }),
    logger,
  });
  await tracker.start();
  watchEvents(bus.connection, SUBJECTS.modelRegistered, ({ data }) => registered.push(data));
  watchEvents(bus.connection, SUBJECTS.modelRejected, ({ data }) => rejected.push(data));
}, 60_000);

afterAll(async () => {
  await tracker?.stop();
  await bus?.close();
  await nats?.stop();
});

describe('tracker', () => {
  it('when tuning.completed arrives before the last trial, then it waits and registers the best once all are in', async () => {
    const tuningId = `t-${randomUUID().slice(0, 6)}`;
    const done = completed(tuningId, 2);
    await emit(SUBJECTS.tuningStarted, tuningId, tuningStarted(tuningId, 2));
    await emit(SUBJECTS.runCompleted, `${tuningId}-0`, trial(tuningId, 0, 0.8));
    await emit(SUBJECTS.tuningCompleted, tuningId, done);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(registered.filter((r) => r.tuning_id === tuningId)).toHaveLength(0);
    await emit(SUBJECTS.runCompleted, `${tuningId}-1`, trial(tuningId, 1, 0.9));
    await until(() => registered.some((r) => r.tuning_id === tuningId));
    const event = registered.find((r) => r.tuning_id === tuningId)!;
    expect(event).toMatchObject({
      name,
      version: '1',
      alias: 'champion',
      trial_id: `${tuningId}-1`,
      metric: { value: 0.9 },
    });
    const version = await mlflow.getModelVersionByAlias(name, 'champion');
    expect(version?.tags).toMatchObject({ 'mlops.tuning_id': tuningId, 'mlops.trial_id': `${tuningId}-1` });
    const runs = await runsOf(tuningId);
    const best = runs.find((r) => r.data.tags['mlops.trial_id'] === `${tuningId}-1`)!;
    const model = await mlflow.getLoggedModel(best.data.tags['mlops.model_id']!);
    expect(model.metrics.find((m) => m.key === 'accuracy')?.value, 'metrics shown on the model').toBe(0.9);
  }, 60_000);

  it('when run.completed overtakes tuning.started, then the trial waits for it and gets the data set as in order', async () => {
    const tuningId = `t-${randomUUID().slice(0, 6)}`;
    const plain = trial(tuningId, 0, 0.8);
    const params: EventData<'run.completed'>['params'] = {
      ...plain.params,
      solver: 'saga',
      penalty: 'elasticnet',
      l1_ratio: 0.5,
      class_weight: { 1: 3 },
    };
    await emit(SUBJECTS.runCompleted, `${tuningId}-0`, { ...plain, params });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const early = await runsOf(tuningId);
    expect(early.filter((r) => r.data.tags['mlops.recorded'] !== undefined)).toHaveLength(0);
    await emit(SUBJECTS.tuningStarted, tuningId, tuningStarted(tuningId));
    await until(async () => (await runsOf(tuningId)).some((r) => r.data.tags['mlops.recorded'] === 'completed'));
    const child = (await runsOf(tuningId)).find((r) => r.data.tags['mlops.trial_id'] === `${tuningId}-0`)!;
    expect(child.inputs.datasetInputs.map((i) => i.dataset.name)).toEqual(['two-columns']);
    expect(child.data.params).toMatchObject({
      solver: 'saga',
      penalty: 'elasticnet',
      l1_ratio: '0.5',
      class_weight: '{"1":3}',
    });
  }, 60_000);

  it('when tuning.started carries its dataset spec and appended rows, then the parent run tags the spec and logs both inputs', async () => {
    const tuningId = `t-${randomUUID().slice(0, 6)}`;
    const base = tuningStarted(tuningId);
    const datasetSpec = {
      kind: 'csv',
      path: 'retrain/recent.csv',
      target: 'y',
      features: 'matrix',
      digest: 'ab'.repeat(32),
    } as const;
    const original = { ...datasetSpec, path: 'original.csv', digest: 'cd'.repeat(32) };
    const appended = {
      name: 'original.csv',
      digest: 'fedcba9876543210',
      source: 'file:///data/original.csv',
      rows: 30,
    };
    await emit(SUBJECTS.tuningStarted, tuningId, {
      ...base,
      dataset: {
        ...base.dataset,
        name: 'retrain/recent.csv',
        source: 'file:///data/retrain/recent.csv',
        n_train: 8 + 30,
        appended,
      },
      dataset_spec: datasetSpec,
      append_training: original,
      split: { test_size: 0.2, random_state: 7, stratify: true },
    });
    await emit(SUBJECTS.runCompleted, `${tuningId}-0`, trial(tuningId, 0, 0.8));
    await until(async () => (await runsOf(tuningId)).some((r) => r.data.tags['mlops.recorded'] === 'completed'));
    const runs = await runsOf(tuningId);
    const parent = runs.find((r) => r.data.tags['mlops.tuning_parent'] === tuningId)!;
    expect(JSON.parse(parent.data.tags['mlops.dataset_spec']!)).toEqual(datasetSpec);
    expect(parent.data.params).toMatchObject({ n_train: '38', n_test: '2', n_appended: '30' });
    // The split, with the data set spec, rebuilds the tuning's test rows.
    expect(parent.data.params).toMatchObject({ test_size: '0.2', split_random_state: '7', stratify: 'true' });
    const inputs = [...parent.inputs.datasetInputs].sort((a, b) => b.dataset.name.localeCompare(a.dataset.name));
    const logged = inputs.map((i) => ({
      name: i.dataset.name,
      digest: i.dataset.digest,
      source: JSON.parse(i.dataset.source),
      profile: JSON.parse(i.dataset.profile!),
      context: i.tags['mlflow.data.context'],
    }));
    expect(logged).toEqual([
      {
        name: 'retrain/recent.csv',
        digest: base.dataset.digest,
        source: { uri: 'file:///data/retrain/recent.csv' },
        profile: { num_rows: 10, num_elements: 20 },
        context: 'training',
      },
      {
        name: 'original.csv',
        digest: 'fedcba9876543210',
        source: { uri: 'file:///data/original.csv' },
        profile: { num_rows: 30, num_elements: 60 },
        context: 'training',
      },
    ]);
    const child = runs.find((r) => r.data.tags['mlops.trial_id'] === `${tuningId}-0`)!;
    expect(child.inputs.datasetInputs.map((i) => i.dataset.name).sort()).toEqual([
      'original.csv',
      'retrain/recent.csv',
    ]);
  }, 60_000);

  it('when tuning.completed is delivered twice, then the best metric is logged once on the parent', async () => {
    const tuningId = `t-${randomUUID().slice(0, 6)}`;
    await emit(SUBJECTS.tuningStarted, tuningId, tuningStarted(tuningId));
    await emit(SUBJECTS.runCompleted, `${tuningId}-0`, trial(tuningId, 0, 0.7));
    const done = completed(tuningId, 1);
    await emit(SUBJECTS.tuningCompleted, tuningId, done);
    await until(() => decided(tuningId));
    await emit(SUBJECTS.tuningCompleted, `again-${tuningId}`, done);
    const jsm = await jetstreamManager(bus.connection);
    await until(async () => {
      const info = await jsm.consumers.info('TUNING_EVENTS', 'tracker-tuning-events');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    const parent = (await runsOf(tuningId)).find((r) => r.data.tags['mlops.tuning_parent'] === tuningId)!;
    expect(await mlflow.getMetricHistory(parent.info.runId, 'best_accuracy')).toHaveLength(1);
  }, 60_000);

  it('when a random search has cv, then the best by mean over the folds is registered, each run logs cv_mean/cv_std and the parent the search', async () => {
    const tuningId = `t-${randomUUID().slice(0, 6)}`;
    const withCv = (index: number, accuracy: number, cvAccuracy: number) => {
      const data = trial(tuningId, index, accuracy);
      const mean = { ...data.metrics, accuracy: cvAccuracy };
      return { ...data, cv: { k: 5, mean, std: { ...mean, accuracy: 0.01, roc_auc: null } } };
    };
    const search = {
      type: 'random',
      n_trials: 2,
      random_state: 7,
      distributions: { C: { type: 'loguniform', low: 0.01, high: 10 } },
    } as const;
    await emit(SUBJECTS.tuningStarted, tuningId, { ...tuningStarted(tuningId, 2), cv: 5, search });
    await emit(SUBJECTS.runCompleted, `${tuningId}-0`, withCv(0, 0.9, 0.8));
    await emit(SUBJECTS.runCompleted, `${tuningId}-1`, withCv(1, 0.85, 0.84));
    await emit(SUBJECTS.tuningCompleted, tuningId, { ...completed(tuningId, 2), cv: 5 });
    await until(() => decided(tuningId));
    const runs = await runsOf(tuningId);
    const parent = runs.find((r) => r.data.tags['mlops.tuning_parent'] === tuningId)!;
    expect(parent.data.params).toMatchObject({ cv: '5', best_trial_id: `${tuningId}-1` });
    // which model and version the tuning became, as mlops status shows it beside other models' tunings
    const version = [...registered, ...rejected].find((e) => e.tuning_id === tuningId)?.version;
    expect(parent.data.tags).toMatchObject({ 'mlops.registered_model': name, 'mlops.registered_version': version });
    expect(parent.data.params).toMatchObject({ search: 'random', n_trials: '2', search_random_state: '7' });
    expect(JSON.parse(parent.data.tags['mlops.search']!)).toEqual(search);
    const best = runs.find((r) => r.data.tags['mlops.trial_id'] === `${tuningId}-1`)!;
    const metrics = Object.fromEntries(best.data.metrics.map((m) => [m.key, m.value]));
    expect(metrics).toMatchObject({
      accuracy: 0.85,
      cv_mean_accuracy: 0.84,
      cv_std_accuracy: 0.01,
      cv_mean_roc_auc: 0.95,
    });
    expect(metrics).not.toHaveProperty('cv_std_roc_auc');
    expect(await mlflow.getMetricHistory(parent.info.runId, 'best_cv_mean_accuracy')).toMatchObject([{ value: 0.84 }]);
  }, 60_000);

  it('when a tuning logs its top 1 model only, then a worse later trial keeps its metrics without a model and the best is registered', async () => {
    const tuningId = `t-${randomUUID().slice(0, 6)}`;
    await emit(SUBJECTS.tuningStarted, tuningId, { ...tuningStarted(tuningId, 3), log_models: { top_k: 1 } });
    for (const [index, accuracy] of [0.8, 0.9, 0.85].entries()) {
      await emit(SUBJECTS.runCompleted, `${tuningId}-${index}`, trial(tuningId, index, accuracy));
    }
    await emit(SUBJECTS.tuningCompleted, tuningId, completed(tuningId, 3));
    await until(() => decided(tuningId));
    const runs = await runsOf(tuningId);
    const parent = runs.find((r) => r.data.tags['mlops.tuning_parent'] === tuningId)!;
    expect(parent.data.params).toMatchObject({ log_models: 'top_k', top_k: '1', best_trial_id: `${tuningId}-1` });
    const child = (index: number) => runs.find((r) => r.data.tags['mlops.trial_id'] === `${tuningId}-${index}`)!;
    expect([0, 1, 2].map((i) => child(i).data.tags['mlops.model_id'] !== undefined)).toEqual([false, true, false]);
    // trial 0 was the best when it finished, then trial 1 came: each model-less run says why
    expect([0, 1, 2].map((i) => child(i).data.tags['mlops.model_skipped'])).toEqual([
      'not among the final best 1',
      undefined,
      'not among the best 1',
    ]);
    expect(child(2).data.metrics.find((m) => m.key === 'accuracy')?.value).toBe(0.85);
    expect(
      [0, 1, 2].map((i) => child(i).inputs.datasetInputs.length),
      'data set on the trial with a model',
    ).toEqual([0, 1, 0]);
    const model = await mlflow.getLoggedModel(child(1).data.tags['mlops.model_id']!);
    expect(model.status).toBe('READY');
    expect(model.sourceRunId).toBe(child(1).info.runId);
    expect(model.metrics.find((m) => m.key === 'accuracy')?.value, 'metrics shown on the model').toBe(0.9);
    expect(child(2).data.tags['mlops.dataset_digest']).toBe(parent.data.tags['mlops.dataset_digest']);
    expect([...registered, ...rejected].find((e) => e.tuning_id === tuningId)?.trial_id).toBe(`${tuningId}-1`);
  }, 60_000);

  it('when an event breaks its schema, then it is dead-lettered and the tracker goes on', async () => {
    await bus.publishRaw(SUBJECTS.runCompleted, JSON.stringify({ specversion: '1.0', data: { nope: true } }), {
      msgId: `bad-${randomUUID()}`,
    });
    const jsm = await jetstreamManager(bus.connection);
    await until(async () => (await jsm.streams.info('DEAD_LETTERS')).state.messages > 0);
    const letter = await jsm.streams.getMessage('DEAD_LETTERS', {
      last_by_subj: `deadletter.${SUBJECTS.runCompleted}`,
    });
    expect(letter?.header.get('Mlops-Dead-Letter-Reason')).toBe('poison');
    expect(tracker.ready).toBe(true);
  }, 30_000);
});

function trial(tuningId: string, index: number, accuracy: number) {
  return events.trial(name, tuningId, index, accuracy);
}

function tuningStarted(tuningId: string, trialCount = 1) {
  return events.tuningStarted(name, tuningId, trialCount);
}

function completed(tuningId: string, trialCount: number) {
  return events.completed(name, tuningId, trialCount);
}
