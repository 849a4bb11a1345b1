import { randomUUID } from 'node:crypto';
import { type Bus, connectBus, watchEvents } from '@mlops/bus';
import { type EventData, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer, until } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createTracker } from '../src/service.js';
import * as events from './support/tuning-events.js';

const logger = createLogger({ service: 'tracker-concurrency-test', level: 'silent' });
const name = `tracker_c_${randomUUID().slice(0, 8)}`;
let nats: NatsServerHandle;
let bus: Bus;
let tracker: ReturnType<typeof createTracker>;
const registered: EventData<'model.registered'>[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'tracker-concurrency-publisher', logger });
  const env = { NATS_URL: nats.url, MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'), TRACKER_CONCURRENCY: '8' };
  tracker = createTracker(loadConfig(env), {
    bus: await connectBus({ servers: nats.url, name: 'tracker', logger }),
    logger,
  });
  await tracker.start();
  watchEvents(bus.connection, SUBJECTS.modelRegistered, ({ data }) => registered.push(data));
}, 60_000);

afterAll(async () => {
  await tracker?.stop();
  await bus?.close();
  await nats?.stop();
});

describe('tracker handling 8 events at once', () => {
  it("when a tuning's events arrive together, then each trial has one run, the parent is made once and the best is registered", async () => {
    const tuningId = `c-${randomUUID().slice(0, 6)}`;
    const count = 24;
    const publish: Promise<unknown>[] = [
      bus.publishEvent(SUBJECTS.tuningStarted, events.tuningStarted(name, tuningId, count), { key: tuningId }),
    ];
    for (let i = 0; i < count; i++) {
      const trial = events.trial(name, tuningId, i, 0.7 + i / 100);
      const { metrics: _m, model: _mo, n_iter: _n, converged: _c, warnings: _w, fit_time_ms: _f, ...started } = trial;
      const { dataset_digest: _d, ended_at: _e, ...runStarted } = started;
      publish.push(bus.publishEvent(SUBJECTS.runStarted, runStarted, { key: trial.trial_id }));
      publish.push(bus.publishEvent(SUBJECTS.runCompleted, trial, { key: trial.trial_id }));
    }
    await Promise.all(publish);
    await bus.publishEvent(SUBJECTS.tuningCompleted, events.completed(name, tuningId, count), { key: tuningId });
    const best = await until('model.registered', () => registered.find((e) => e.tuning_id === tuningId), 90_000);
    expect(best.trial_id).toBe(`${tuningId}-${count - 1}`);
    const mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
    const experiment = await mlflow.getExperimentByName(name);
    const filter = `tags.\`mlops.tuning_id\` = '${tuningId}'`;
    const runs = (await mlflow.searchRuns({ experimentIds: [experiment!.experimentId], filter })).runs;
    const parents = runs.filter((r) => r.data.tags['mlops.tuning_parent'] === tuningId);
    expect(parents).toHaveLength(1);
    const children = runs.filter((r) => r.data.tags['mlflow.parentRunId'] === parents[0]!.info.runId);
    expect(children).toHaveLength(count);
    expect(new Set(children.map((r) => r.data.tags['mlops.trial_id'])).size).toBe(count);
    expect(children.every((r) => r.data.tags['mlops.recorded'] === 'completed')).toBe(true);
  }, 120_000);

  it("when a top-2 tuning completes twice at once and its best trial's event is gone, then each other model is logged once and the second best registered", async () => {
    const model = `${name}_top`;
    const tuningId = `k-${randomUUID().slice(0, 6)}`;
    await bus.publishEvent(
      SUBJECTS.tuningStarted,
      { ...events.tuningStarted(model, tuningId, 4), log_models: { top_k: 2 } },
      { key: tuningId },
    );
    const sequences: number[] = [];
    for (const [index, accuracy] of [0.7, 0.9, 0.8, 0.75].entries()) {
      const trial = events.trial(model, tuningId, index, accuracy);
      sequences.push((await bus.publishEvent(SUBJECTS.runCompleted, trial, { key: trial.trial_id })).seq);
    }
    const mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
    const trialRuns = async () => {
      const experiment = await mlflow.getExperimentByName(model);
      const filter = `tags.\`mlops.tuning_id\` = '${tuningId}' AND tags.\`mlops.recorded\` = 'completed'`;
      return experiment === null
        ? []
        : (await mlflow.searchRuns({ experimentIds: [experiment.experimentId], filter })).runs;
    };
    await until('4 trials recorded', async () => ((await trialRuns()).length === 4 ? true : undefined), 60_000);
    const jsm = await jetstreamManager(bus.connection);
    await jsm.streams.deleteMessage('TUNING_EVENTS', sequences[1]!);
    const done = events.completed(model, tuningId, 4);
    await Promise.all([
      bus.publishEvent(SUBJECTS.tuningCompleted, done, { key: tuningId }),
      bus.publishEvent(SUBJECTS.tuningCompleted, done, { key: `again-${tuningId}` }),
    ]);
    const best = await until('model.registered', () => registered.find((e) => e.tuning_id === tuningId), 60_000);
    expect(best.trial_id).toBe(`${tuningId}-2`);
    await until('both deliveries handled', async () => {
      const info = await jsm.consumers.info('TUNING_EVENTS', 'tracker-tuning-events');
      return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    });
    expect(new Set(registered.filter((e) => e.tuning_id === tuningId).map((e) => e.version))).toEqual(new Set(['1']));
    const runs = await trialRuns();
    const child = (index: number) => runs.find((r) => r.data.tags['mlops.trial_id'] === `${tuningId}-${index}`)!;
    expect(child(1).data.tags['mlops.model_skipped']).toBe(
      `its run.completed (stream sequence ${sequences[1]}) is no longer stored: its weights are gone`,
    );
    expect([0, 1, 2, 3].map((i) => child(i).data.tags['mlops.model_id'] !== undefined)).toEqual([
      false,
      false,
      true,
      false,
    ]);
    const experimentId = child(2).info.experimentId;
    const models = await mlflow.searchLoggedModels({ experimentIds: [experimentId] });
    expect(models.models.map((m) => m.tags['mlops.trial_id'])).toEqual([`${tuningId}-2`]);
    expect(models.models[0]?.status).toBe('READY');
  }, 120_000);
});
