import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventData } from '@mlops/contracts';
import type { MlflowClient } from '@mlops/mlflow';
import type { NatsServerHandle } from '@mlops/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type InProcessStack, serveFirstVersion, startInProcessStack, waitFor } from './support/in-process-stack.js';
import { type LoopEvents, recordLoopEvents } from './support/loop-events.js';
import { runCli, seedData, seedRow, sendFeedback, serveSeedRows } from './support/seed-traffic.js';

/** Spaces and parentheses, as a model named in the MLflow UI may have: the whole loop, a retrain included, takes them. */
const modelName = `e2e loop (${randomUUID().slice(0, 8)})`;
/** The world moves: 12 of the 20 features come +2.0 higher than at training time; the labels stay the same. */
const SHIFTED_FEATURES = 12;
const SHIFT = 2.0;
let nats: NatsServerHandle;
let client: NatsConnection;
let mlflow: MlflowClient;
let predictorUrl: string;
let stack: InProcessStack;
let dataDir: string;
let loop: LoopEvents;

const row = (i: number, shift: number) => seedRow(i, shift, SHIFTED_FEATURES);
const serve = (from: number, count: number, shift = 0) =>
  serveSeedRows(predictorUrl, from, count, shift, SHIFTED_FEATURES);
/** Sends the true label of each served row (its generator label) through POST /feedback. */
const label = (ids: string[], from: number) =>
  sendFeedback(
    predictorUrl,
    ids.map((id, i) => ({ prediction_id: id, label: seedData.y[from + i] as number })),
  );
const cli = (args: string[]) => runCli(nats.url, args);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-loop-data-'));
  stack = await startInProcessStack({
    mlflowUri: inject('mlflowTrackingUri'),
    modelName,
    env: { TRAINER_DATA_DIR: dataDir },
    monitor: { MONITOR_WINDOW_ROWS: '250', MONITOR_WINDOW_SECONDS: '30', MONITOR_RETRAIN_DRIFT_WINDOWS: '3' },
  });
  ({ nats, client, mlflow, predictorUrl } = stack);
  loop = recordLoopEvents(client, modelName);
  await serveFirstVersion(stack, modelName);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('the closed loop, end to end: drift → retrain on labelled live rows → gate → served', () => {
  it('when the world shifts and its labels arrive, then a retrain on them beats the champion on recent rows, is served, and drift ends against the new reference', async () => {
    const before = await serve(0, 500);
    expect([...before.versions]).toEqual(['1']);
    await waitFor('2 windows without drift', () =>
      loop.windows.filter((w) => w.dataset_drift === false).length >= 2 ? true : undefined,
    );

    const shiftStarted = Date.now();
    const shifted = await serve(0, 1000, SHIFT);
    await label(shifted.ids, 0);
    const [drift] = await waitFor('drift.detected', () => (loop.detected.length > 0 ? loop.detected : undefined));
    expect(drift).toMatchObject({ version: '1' });
    const [retrain] = await waitFor(
      'retrain.requested',
      () => (loop.retrains.length > 0 ? loop.retrains : undefined),
      120_000,
    );
    expect(retrain).toMatchObject({ model: modelName, version: '1', trigger: 'drift', retrain_id: `${modelName}:1:1` });
    const persisted = Number(/^dataset drift in (\d+) consecutive windows/.exec(retrain?.detail ?? '')?.[1]);
    expect(persisted).toBeGreaterThanOrEqual(3);
    expect(retrain?.dataset.rows).toBe(1000);
    const file = await readFile(join(dataDir, retrain?.dataset.path ?? ''), 'utf8');
    expect(file.split('\n')[1]).toBe(`${row(0, SHIFT).join(',')},${seedData.y[0]}`);

    const outcome = await waitFor(
      "the gate's verdict on the retrain",
      () => loop.verdictOf(retrain?.tuning_id ?? ''),
      180_000,
    );
    expect('rejected_at' in outcome ? outcome.reason : 'promoted').toBe('promoted');
    const promoted = outcome as EventData<'model.registered'>;
    expect(loop.rejected).toEqual([]);
    expect(promoted).toMatchObject({
      version: '2',
      previous_version: '1',
      alias: 'champion',
      retrain_id: retrain?.retrain_id,
    });
    const verdict = (await mlflow.getModelVersion(modelName, '2')).tags;
    expect(verdict['mlops.gate.status']).toBe('promoted');
    expect(verdict).toMatchObject({
      'mlops.retrain_id': retrain?.retrain_id,
      'mlops.retrain.trigger': 'drift',
      'mlops.retrain.replaces_version': '1',
      'mlops.tuning_id': retrain?.tuning_id,
    });
    expect(JSON.parse(verdict['mlops.retrain.dataset'] ?? '{}')).toEqual(retrain?.dataset);
    const parentTags = async (version: string) => {
      const { runId } = await mlflow.getModelVersion(modelName, version);
      const trial = await mlflow.getRun(runId ?? '');
      return (await mlflow.getRun(trial.data.tags['mlflow.parentRunId'] ?? '')).data.tags;
    };
    const [first, second] = [await parentTags('1'), await parentTags('2')];
    expect(second).toMatchObject({ 'mlops.retrain_id': retrain?.retrain_id, 'mlops.grid': first['mlops.grid'] });
    expect(JSON.parse(first['mlops.grid'] ?? '{}')).toMatchObject({ C: [0.01, 0.1, 1, 10, 100] });
    expect(Number(verdict['mlops.gate.challenger_value'])).toBeGreaterThan(
      Number(verdict['mlops.gate.champion_value']),
    );

    await waitFor('version 2 answering /predict', async () => {
      const { versions } = await serve(0, 1, SHIFT);
      return versions.has('2') ? true : undefined;
    });
    const driftToServingS = (Date.now() - shiftStarted) / 1000;
    console.info(
      `drift to serving: ${driftToServingS.toFixed(1)} s from the first shifted row to version 2 answering /predict (gate: challenger ${verdict['mlops.gate.challenger_value']} vs champion ${verdict['mlops.gate.champion_value']} ${verdict['mlops.gate.metric']} on the recent holdout)`,
    );

    const ended = await waitFor('drift.resolved of version 1', () => loop.resolved.find((r) => r.version === '1'));
    expect(ended).toMatchObject({ superseded_by: '2', detected_window: drift?.window });
    const after = await serve(0, 500, SHIFT);
    expect([...after.versions]).toEqual(['2']);
    const v2 = await waitFor('2 windows of version 2', () => {
      const found = loop.windows.filter((w) => w.version === '2');
      return found.length >= 2 ? found : undefined;
    });
    expect(v2.map((w) => w.dataset_drift)).toEqual(v2.map(() => false));
    expect(loop.retrains).toHaveLength(1);
    const { out } = await cli(['monitor', '--name', modelName, '--version', '2']);
    console.info(out);
    expect(out).toMatch(/no drift/);
    const history = await cli(['history', '--model', modelName]);
    console.info(history.out);
    expect(history.code).toBe(0);
    expect(history.out).toContain(`retrain ${retrain?.retrain_id} of ${modelName} v1 (drift: ${retrain?.detail})`);
    expect(history.out).toContain(`  tuning    ${retrain?.tuning_id}\n  version   2 (run ${promoted.run_id})`);
    expect(history.out).toMatch(/ {2}gate {6}promoted at .*\n {2}champion {2}v1 → v2/);
  }, 420_000);
});
