import { randomUUID } from 'node:crypto';
import { type Bus, connectBus, watchEvents } from '@mlops/bus';
import { type EventData, type EventOf, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient, type MlflowClient, type Run } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer, until } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createTracker } from '../src/service.js';
import * as events from './support/tuning-events.js';

// A tuning whose trials completed but left nothing to register (the selection metric exists for none of them, or the
// best top-k trials lost their weights): the tracker says why on the parent run and refuses the tuning as
// tune.rejected, which `mlops tune` and the monitor's retrainer already end on. Real nats-server and MLflow.

const logger = createLogger({ service: 'nothing-registered-test', level: 'silent' });
let nats: NatsServerHandle;
let bus: Bus;
let mlflow: MlflowClient;
let tracker: ReturnType<typeof createTracker>;
/** Every tune.rejected seen live (core subscription), duplicates included. */
const refusals: EventOf<'tune.rejected'>[] = [];
const decisions: string[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
  bus = await connectBus({ servers: nats.url, name: 'nothing-registered-publisher', logger });
  tracker = createTracker(loadConfig({ NATS_URL: nats.url, MLFLOW_TRACKING_URI: inject('mlflowTrackingUri') }), {
    bus: await connectBus({ servers: nats.url, name: 'tracker', logger }),
    logger,
  });
  await tracker.start();
  watchEvents(bus.connection, SUBJECTS.tuneRejected, (event) => refusals.push(event));
  watchEvents(bus.connection, SUBJECTS.modelRegistered, ({ data }) => decisions.push(data.tuning_id));
  watchEvents(bus.connection, SUBJECTS.modelRejected, ({ data }) => decisions.push(data.tuning_id));
}, 60_000);

afterAll(async () => {
  await tracker?.stop();
  await bus?.close();
  await nats?.stop();
});

/** A fresh model (and experiment) name and tuning id per test. */
function fresh() {
  const model = `nothing_${randomUUID().slice(0, 8)}`;
  return { model, tuningId: `n-${randomUUID().slice(0, 8)}` };
}

/** Trial `index` of the tuning, completed, with no roc_auc on its test split (and none over its folds with cv). */
function oneClassTrial(model: string, tuningId: string, index: number, cv?: number): EventData<'run.completed'> {
  const data = events.trial(model, tuningId, index, 0.9 + index / 100);
  const metrics = { ...data.metrics, roc_auc: null };
  return {
    ...data,
    metrics: cv === undefined ? metrics : data.metrics,
    ...(cv === undefined ? {} : { cv: { k: cv, mean: metrics, std: { ...metrics, accuracy: 0.01 } } }),
  };
}

/** `run.failed` of trial `index`. */
function failedTrial(model: string, tuningId: string, index: number): EventData<'run.failed'> {
  const { tuning_id, experiment_name, registered_model_name, trial_id, trial_index, params, started_at, ended_at } =
    events.trial(model, tuningId, index, 0);
  const ref = { tuning_id, experiment_name, registered_model_name, trial_id, trial_index, params };
  return { ...ref, reason: 'solver diverged', started_at, ended_at };
}

/** `tuning.started` on a data set whose test split has `nTest` rows. */
function started(model: string, tuningId: string, trialCount: number, nTest: number) {
  const data = events.tuningStarted(model, tuningId, trialCount);
  return { ...data, selection_metric: 'roc_auc', dataset: { ...data.dataset, n_test: nTest } } as const;
}

function done(
  model: string,
  tuningId: string,
  trialCount: number,
  metric: EventData<'tuning.completed'>['selection_metric'],
) {
  return { ...events.completed(model, tuningId, trialCount), selection_metric: metric };
}

async function parentRun(model: string, tuningId: string): Promise<Run> {
  const experiment = await mlflow.getExperimentByName(model);
  const parent = await mlflow.findRunByTag(experiment!.experimentId, 'mlops.tuning_parent', tuningId);
  return parent!;
}

/** The parent run once it says why nothing was registered. */
async function saidWhy(model: string, tuningId: string): Promise<Run> {
  return await until('the parent run to say why', async () => {
    const parent = await parentRun(model, tuningId).catch(() => undefined);
    return parent?.data.tags['mlops.failure_reason'] !== undefined && parent.info.status === 'FAILED'
      ? parent
      : undefined;
  });
}

/** The tune.rejected events stored in TUNE_REQUESTS for the tuning (what the monitor's durable consumer reads). */
async function storedRefusals(tuningId: string): Promise<EventOf<'tune.rejected'>[]> {
  const stored: EventOf<'tune.rejected'>[] = [];
  await bus.replayEvents(SUBJECTS.tuneRejected, (event) => {
    if (event.data.tuning_id === tuningId) stored.push(event);
  });
  return stored;
}

async function trackerIdle(): Promise<void> {
  const jsm = await jetstreamManager(bus.connection);
  await until('the tracker to take every event', async () => {
    const info = await jsm.consumers.info('TUNING_EVENTS', 'tracker-tuning-events');
    return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
  });
}

describe('tracker: a completed tuning that registers nothing', () => {
  it('when no completed trial has a roc_auc on its one-class test split, then the tuning is refused naming why, the parent run says so and no version is registered', async () => {
    const { model, tuningId } = fresh();
    await bus.publishEvent(SUBJECTS.tuningStarted, started(model, tuningId, 2, 1), { key: tuningId });
    for (const index of [0, 1]) {
      await bus.publishEvent(SUBJECTS.runCompleted, oneClassTrial(model, tuningId, index), {
        key: `${tuningId}-${index}`,
      });
    }
    await bus.publishEvent(SUBJECTS.tuningCompleted, done(model, tuningId, 2, 'roc_auc'), { key: tuningId });

    const refusal = await until('tune.rejected', () => refusals.find((e) => e.data.tuning_id === tuningId), 30_000);
    const reason =
      'no completed trial has a roc_auc on its test split (2 completed: the 1-row test split holds one class, and ' +
      'ROC AUC needs both); choose another selection metric, a larger test split (split.test_size) or a stratified one (split.stratify)';
    expect(refusal.id).toBe(`tune.rejected:${tuningId}`);
    expect(refusal.data.errors).toEqual([{ path: 'selection_metric', message: reason }]);
    const parent = await saidWhy(model, tuningId);
    expect(parent.data.tags).toMatchObject({
      'mlops.failure_reason': reason,
      'mlflow.note.content': `Nothing was registered: ${reason}`,
    });
    expect(await mlflow.getRegisteredModel(model)).toBeNull();
    expect(decisions).not.toContain(tuningId);
  }, 60_000);

  it('when tuning.completed is delivered again after the refusal, then nothing is published again and the parent run is unchanged', async () => {
    const { model, tuningId } = fresh();
    await bus.publishEvent(SUBJECTS.tuningStarted, started(model, tuningId, 1, 8), { key: tuningId });
    await bus.publishEvent(SUBJECTS.runCompleted, oneClassTrial(model, tuningId, 0), { key: `${tuningId}-0` });
    const completion = done(model, tuningId, 1, 'roc_auc');
    await bus.publishEvent(SUBJECTS.tuningCompleted, completion, { key: tuningId });
    const first = await saidWhy(model, tuningId);

    await bus.publishEvent(SUBJECTS.tuningCompleted, completion, { key: `again-${tuningId}` });
    await trackerIdle();

    expect(refusals.filter((e) => e.data.tuning_id === tuningId)).toHaveLength(1);
    expect(await storedRefusals(tuningId)).toHaveLength(1);
    const again = await parentRun(model, tuningId);
    expect(again.data.tags).toEqual(first.data.tags);
    expect(again.info.status).toBe('FAILED');
  }, 60_000);

  it('when the tuning has cv and no trial has a mean roc_auc over the folds, then the refusal names the folds', async () => {
    const { model, tuningId } = fresh();
    await bus.publishEvent(SUBJECTS.tuningStarted, { ...started(model, tuningId, 2, 50), cv: 5 }, { key: tuningId });
    for (const index of [0, 1]) {
      await bus.publishEvent(SUBJECTS.runCompleted, oneClassTrial(model, tuningId, index, 5), {
        key: `${tuningId}-${index}`,
      });
    }
    await bus.publishEvent(
      SUBJECTS.tuningCompleted,
      { ...done(model, tuningId, 2, 'roc_auc'), cv: 5 },
      { key: tuningId },
    );

    const refusal = await until('tune.rejected', () => refusals.find((e) => e.data.tuning_id === tuningId), 30_000);
    expect(refusal.data.errors).toEqual([
      {
        path: 'selection_metric',
        message:
          'no completed trial has a roc_auc as a mean over its 5 cross-validation folds (2 completed: a fold holds ' +
          'one class, and ROC AUC needs both); choose another selection metric, fewer folds (cv) or more rows of the rarer class',
      },
    ]);
    expect((await saidWhy(model, tuningId)).data.tags['mlops.failure_reason']).toBe(refusal.data.errors[0]!.message);
    expect(await mlflow.getRegisteredModel(model)).toBeNull();
  }, 60_000);

  it('when a top-k tuning has no trial with the selection metric, then no model is logged and the refusal names the metric', async () => {
    const { model, tuningId } = fresh();
    const start = { ...started(model, tuningId, 2, 1), log_models: { top_k: 1 } };
    await bus.publishEvent(SUBJECTS.tuningStarted, start, { key: tuningId });
    for (const index of [0, 1]) {
      await bus.publishEvent(SUBJECTS.runCompleted, oneClassTrial(model, tuningId, index), {
        key: `${tuningId}-${index}`,
      });
    }
    await bus.publishEvent(SUBJECTS.tuningCompleted, done(model, tuningId, 2, 'roc_auc'), { key: tuningId });

    const refusal = await until('tune.rejected', () => refusals.find((e) => e.data.tuning_id === tuningId), 30_000);
    expect(refusal.data.errors[0]).toMatchObject({
      path: 'selection_metric',
      message: expect.stringMatching(/^no completed trial has a roc_auc on its test split \(2 completed: /),
    });
    const experiment = await mlflow.getExperimentByName(model);
    const filter = `tags.\`mlops.tuning_id\` = '${tuningId}'`;
    const runs = (await mlflow.searchRuns({ experimentIds: [experiment!.experimentId], filter })).runs;
    expect(runs.filter((r) => r.data.tags['mlops.model_id'] !== undefined)).toEqual([]);
  }, 60_000);

  it("when a top-k tuning's best trial lost its stored run.completed before its model was logged, then the refusal names log_models", async () => {
    const { model, tuningId } = fresh();
    const start = { ...events.tuningStarted(model, tuningId, 2), log_models: { top_k: 1 } };
    await bus.publishEvent(SUBJECTS.tuningStarted, start, { key: tuningId });
    const best = await bus.publishEvent(SUBJECTS.runCompleted, events.trial(model, tuningId, 0, 0.9), {
      key: `${tuningId}-0`,
    });
    await bus.publishEvent(SUBJECTS.runCompleted, events.trial(model, tuningId, 1, 0.8), { key: `${tuningId}-1` });
    await trackerIdle();
    const jsm = await jetstreamManager(bus.connection);
    await jsm.streams.deleteMessage('TUNING_EVENTS', best.seq);
    await bus.publishEvent(SUBJECTS.tuningCompleted, events.completed(model, tuningId, 2), { key: tuningId });

    const refusal = await until('tune.rejected', () => refusals.find((e) => e.data.tuning_id === tuningId), 30_000);
    expect(refusal.data.errors).toEqual([
      {
        path: 'log_models',
        message:
          'none of the best 1 by accuracy kept its model: their run.completed events, which carry the weights, are ' +
          'no longer stored; run the tuning again',
      },
    ]);
    expect((await saidWhy(model, tuningId)).info.status).toBe('FAILED');
    expect(await mlflow.getRegisteredModel(model)).toBeNull();
  }, 60_000);

  it('when every trial failed, then the parent run says so and no tune.rejected is added (tuning.completed tells it)', async () => {
    const { model, tuningId } = fresh();
    await bus.publishEvent(SUBJECTS.tuningStarted, events.tuningStarted(model, tuningId, 2), { key: tuningId });
    for (const index of [0, 1]) {
      await bus.publishEvent(SUBJECTS.runFailed, failedTrial(model, tuningId, index), { key: `${tuningId}-${index}` });
    }
    const completion = { ...events.completed(model, tuningId, 2), completed: 0, failed: 2 };
    await bus.publishEvent(SUBJECTS.tuningCompleted, completion, { key: tuningId });

    const parent = await saidWhy(model, tuningId);
    expect(parent.data.tags['mlops.failure_reason']).toBe('no trial succeeded (2 of 2 failed): nothing to register');
    await trackerIdle();
    expect(await storedRefusals(tuningId)).toEqual([]);
  }, 60_000);
});
