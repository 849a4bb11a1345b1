import { randomUUID } from 'node:crypto';
import { type Bus, connectBus } from '@mlops/bus';
import { type EventData, type EventSubject, parseEvent, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createTracker } from '../src/service.js';

const logger = createLogger({ service: 'tracker-test', level: 'silent' });
const name = `tracker_${randomUUID().slice(0, 8)}`;
let nats: NatsServerHandle;
let bus: Bus;
let mlflow: MlflowClient;
let tracker: ReturnType<typeof createTracker>;
const registered: EventData<'model.registered'>[] = [];
const now = () => new Date().toISOString();

function trial(tuningId: string, index: number, accuracy: number): EventData<'run.completed'> {
  return {
    tuning_id: tuningId,
    experiment_name: name,
    registered_model_name: name,
    trial_id: `${tuningId}-${index}`,
    trial_index: index,
    params: {
      C: index + 1,
      solver: 'lbfgs',
      tol: 1e-4,
      max_iter: 100,
      fit_intercept: true,
      intercept_scaling: 1,
      penalty: 'l2',
      random_state: 42,
    },
    metrics: { accuracy, precision: 0.9, recall: 0.9, f1: 0.9, roc_auc: 0.95, log_loss: 0.3 },
    model: { classes: [0, 1], coef: [0.5, -0.5], intercept: 0.1, feature_names: ['a', 'b'] },
    n_iter: 7,
    converged: true,
    warnings: [],
    fit_time_ms: 1,
    dataset_digest: '0123456789abcdef',
    started_at: now(),
    ended_at: now(),
  };
}

function tuningStarted(tuningId: string, trialCount = 1): EventData<'tuning.started'> {
  return {
    tuning_id: tuningId,
    experiment_name: name,
    registered_model_name: name,
    trial_count: trialCount,
    selection_metric: 'accuracy',
    dataset: {
      name: 'two-columns',
      digest: '0123456789abcdef',
      source: 'make_classification(n_samples=10)',
      feature_names: ['a', 'b'],
      target: 'y',
      n_train: 8,
      n_test: 2,
      input_example: [[0.5, 1.5]],
    },
    started_at: now(),
  };
}

function completed(tuningId: string, trialCount: number): EventData<'tuning.completed'> {
  return {
    tuning_id: tuningId,
    experiment_name: name,
    registered_model_name: name,
    trial_count: trialCount,
    completed: trialCount,
    failed: 0,
    selection_metric: 'accuracy',
    ended_at: now(),
  };
}

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
  bus.connection.subscribe(SUBJECTS.modelRegistered, {
    callback: (_err, msg) => {
      const parsed = parseEvent(SUBJECTS.modelRegistered, msg.json());
      if (!parsed.ok) throw new Error(parsed.reason);
      registered.push(parsed.event.data);
    },
  });
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
  }, 60_000);

  it('when run.completed overtakes tuning.started, then the trial waits for it and gets the data set as in order', async () => {
    const tuningId = `t-${randomUUID().slice(0, 6)}`;
    await emit(SUBJECTS.runCompleted, `${tuningId}-0`, trial(tuningId, 0, 0.8));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const early = await runsOf(tuningId);
    expect(early.filter((r) => r.data.tags['mlops.recorded'] !== undefined)).toHaveLength(0);
    await emit(SUBJECTS.tuningStarted, tuningId, tuningStarted(tuningId));
    await until(async () => (await runsOf(tuningId)).some((r) => r.data.tags['mlops.recorded'] === 'completed'));
    const child = (await runsOf(tuningId)).find((r) => r.data.tags['mlops.trial_id'] === `${tuningId}-0`)!;
    expect(child.inputs.datasetInputs.map((i) => i.dataset.name)).toEqual(['two-columns']);
  }, 60_000);

  it('when tuning.completed is delivered twice, then the best metric is logged once on the parent', async () => {
    const tuningId = `t-${randomUUID().slice(0, 6)}`;
    await emit(SUBJECTS.tuningStarted, tuningId, tuningStarted(tuningId));
    await emit(SUBJECTS.runCompleted, `${tuningId}-0`, trial(tuningId, 0, 0.7));
    const done = completed(tuningId, 1);
    await emit(SUBJECTS.tuningCompleted, tuningId, done);
    await until(() => registered.some((r) => r.tuning_id === tuningId));
    await emit(SUBJECTS.tuningCompleted, `again-${tuningId}`, done);
    const jsm = await jetstreamManager(bus.connection);
    await until(async () => {
      const info = await jsm.consumers.info('TUNING_EVENTS', 'tracker-tuning-events');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    const parent = (await runsOf(tuningId)).find((r) => r.data.tags['mlops.tuning_parent'] === tuningId)!;
    expect(await mlflow.getMetricHistory(parent.info.runId, 'best_accuracy')).toHaveLength(1);
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
