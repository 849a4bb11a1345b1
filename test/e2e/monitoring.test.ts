import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestReply, watchEvents } from '@mlops/bus';
import { main as mlops } from '@mlops/cli';
import { type EventData, SUBJECTS } from '@mlops/contracts';
import { accuracy, makeClassification } from '@mlops/ml';
import type { MlflowClient } from '@mlops/mlflow';
import { MODEL_FILES } from '@mlops/model-format';
import { type NatsServerHandle, okReply } from '@mlops/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type InProcessStack, startInProcessStack, waitFor } from './support/in-process-stack.js';

const modelName = `e2e_mon_${randomUUID().slice(0, 8)}`;
const SHIFTED = Array.from({ length: 12 }, (_, j) => `x${j}`);
let nats: NatsServerHandle;
let client: NatsConnection;
let mlflow: MlflowClient;
let predictorUrl: string;
let stack: InProcessStack;
const windows: EventData<'monitor.window'>[] = [];
const detected: EventData<'drift.detected'>[] = [];
const registered: EventData<'model.registered'>[] = [];

/** The default tuning's data: make_classification(1000 × 20, seed 42), the rows the model was trained and tested on. */
const data = makeClassification({ nSamples: 1000, nFeatures: 20, randomState: 42 });
const row = (i: number, shift = 0) =>
  Array.from(data.X.data.subarray(i * 20, (i + 1) * 20), (v, j) => (j < SHIFTED.length ? v + shift : v));

async function predictRows(from: number, count: number, shift = 0) {
  const ids: string[] = [];
  const labels: number[] = [];
  for (let start = from; start < from + count; start += 50) {
    const rows = Array.from({ length: Math.min(50, from + count - start) }, (_, k) => row(start + k, shift));
    const response = await fetch(`${predictorUrl}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: rows }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { prediction_ids: string[]; predictions: number[] };
    ids.push(...body.prediction_ids);
    labels.push(...body.predictions);
  }
  return { ids, labels };
}

async function cli(args: string[]) {
  let out = '';
  const code = await mlops(args, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      out += t;
    },
    cwd: process.cwd(),
    env: { NATS_URL: nats.url },
  });
  return { code, out };
}

beforeAll(async () => {
  stack = await startInProcessStack({
    mlflowUri: inject('mlflowTrackingUri'),
    modelName,
    monitor: { MONITOR_WINDOW_ROWS: '250', MONITOR_WINDOW_SECONDS: '30', MONITOR_RETRAIN: 'false' }, // retraining: loop.test.ts
  });
  ({ nats, client, mlflow, predictorUrl } = stack);
  watchEvents(client, SUBJECTS.monitorWindow, ({ data: d }) => d.model === modelName && windows.push(d));
  watchEvents(client, SUBJECTS.driftDetected, ({ data: d }) => d.model === modelName && detected.push(d));
  watchEvents(client, SUBJECTS.modelRegistered, ({ data: d }) => d.name === modelName && registered.push(d));
  const body = JSON.stringify({ experiment_name: modelName, registered_model_name: modelName });
  await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 10_000 });
  await waitFor('version 1 served', async () => {
    const r = await fetch(`${predictorUrl}/ready`);
    return r.status === 200 ? true : undefined;
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('monitoring, end to end: predictor → prediction log → monitor, labels back', () => {
  it('when the default tuning registers version 1, then its directory holds the training profile', async () => {
    const resolved = await mlflow.resolveModelUri(`models:/${modelName}/1`);
    const bytes = await mlflow.downloadArtifact({
      artifactUri: resolved!.artifactUri,
      path: MODEL_FILES.referenceProfile,
    });
    const profile = JSON.parse(new TextDecoder().decode(bytes)) as { rows: number; features: { name: string }[] };
    expect(profile.rows).toBe(800);
    expect(profile.features.map((f) => f.name)).toEqual(Array.from({ length: 20 }, (_, j) => `x${j}`));
  });

  it('when the training rows are served, then no drift; when 12 features shift by +1.0, then drift.detected names them and mlops monitor says DRIFT', async () => {
    await predictRows(0, 500);
    await waitFor('2 windows', () => (windows.length >= 2 ? true : undefined));
    expect(windows.slice(0, 2).map((w) => w.dataset_drift)).toEqual([false, false]);
    await predictRows(500, 500, 1.0);
    const [drift] = await waitFor('drift.detected', () => (detected.length > 0 ? detected : undefined));
    expect(drift?.window).toBe(2);
    expect(drift?.drifted_features).toEqual(expect.arrayContaining(SHIFTED));
    const { code, out } = await cli(['monitor', '--name', modelName]);
    console.info(out);
    expect(code).toBe(0);
    expect(out).toMatch(/DRIFT/);
    expect(out).toMatch(/x0 +ks /);
  }, 120_000);

  it('when true labels arrive for served predictions, then live accuracy is the accuracy of what was served', async () => {
    const served = await predictRows(0, 300);
    const truth = Array.from(data.y.subarray(0, 300));
    const labels = served.ids.map((id, i) => ({ prediction_id: id, label: truth[i] }));
    const response = await fetch(`${predictorUrl}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(labels),
    });
    expect(response.status).toBe(202);
    const status = await requestReply(client, SUBJECTS.monitorStatus, { name: modelName }, { timeoutMs: 10_000 });
    const live = okReply(status).versions[0]?.performance;
    expect(live?.labelled).toBe(300);
    expect(live?.accuracy).toBeCloseTo(accuracy(truth, served.labels), 12);
    expect(live?.training).toEqual({ name: 'accuracy', value: registered[0]?.metric?.value });
    const { out } = await cli(['monitor', '--name', modelName]);
    console.info(out);
    expect(out).toMatch(/live performance on 300 labelled/);
  }, 120_000);

  it('when mlops feedback sends new labels and repeats, then it counts a repeat naming another class as conflicting, and the first label stands', async () => {
    const served = await predictRows(300, 3);
    const truth = Array.from(data.y.subarray(300, 303));
    const first = await predictRows(0, 1); // a fresh prediction, labelled now and then labelled again otherwise
    const dir = await mkdtemp(join(tmpdir(), 'e2e-feedback-'));
    const once = `prediction_id,label\n${first.ids[0]},1\n`;
    await writeFile(join(dir, 'once.csv'), once);
    expect((await cli(['feedback', '--csv', join(dir, 'once.csv')])).out).toBe(
      'labels: 1 accepted, 0 already labelled, 0 refused\n',
    );
    const rows = [...served.ids.map((id, i) => `${id},${truth[i]}`), `${first.ids[0]},1`];
    await writeFile(join(dir, 'labels.csv'), `prediction_id,label\n${rows.join('\n')}\n`);
    expect(await cli(['feedback', '--csv', join(dir, 'labels.csv')])).toEqual({
      code: 0,
      out: 'labels: 3 accepted, 1 already labelled, 0 refused\n',
    });
    await writeFile(join(dir, 'other.csv'), `prediction_id,label\n${first.ids[0]},0\n`);
    expect(await cli(['feedback', '--csv', join(dir, 'other.csv')])).toEqual({
      code: 0,
      out: 'labels: 0 accepted, 1 already labelled (1 with another label than the first, which stands), 0 refused\n',
    });
    const status = await requestReply(client, SUBJECTS.monitorStatus, { name: modelName }, { timeoutMs: 10_000 });
    expect(okReply(status).versions[0]?.performance.labelled).toBe(304);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('when windows close, then each is a step of the MLflow run "monitoring v1", linked from the version', async () => {
    // The monitor hands windows to MLflow without waiting for the write: wait until the four windows of the
    // drift test are in (the first write also opens the run and draws the figure, so the rest come a batch later).
    const { runId, steps } = await waitFor(
      'windows 0–3 logged to MLflow',
      async () => {
        const version = await mlflow.getModelVersion(modelName, '1');
        const id = version.tags['mlops.monitor.run_id'];
        if (id === undefined) return undefined;
        const history = await mlflow.getMetricHistory(id, 'drift_share');
        const logged = history.map((m) => m.step).sort((a, b) => a - b);
        return [0, 1, 2, 3].every((step) => logged.includes(step)) ? { runId: id, steps: logged } : undefined;
      },
      20_000,
    );
    const run = await mlflow.getRun(runId);
    expect(run.info.runName).toBe('monitoring v1');
    expect(steps.slice(0, 4)).toEqual([0, 1, 2, 3]);
    // Drift over time as a picture on the same run (redrawn at most every 30 s).
    const figure = await waitFor(
      'the drift figure',
      async () => {
        const files = await mlflow.listArtifacts({ runId, path: 'figures' });
        return files.some((f) => f.name === 'drift_over_time.svg') ? true : undefined;
      },
      30_000,
    );
    expect(figure).toBe(true);
    const svg = new TextDecoder().decode(await mlflow.downloadArtifact({ runId, path: 'figures/drift_over_time.svg' }));
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('Drift over time');
    expect(svg).toContain(`${modelName} v1, windows 0–`);
  }, 60_000);
});

describe('mlops monitor with filters', () => {
  it('when --version or --name names nothing the monitor saw, then it says so rather than "no predictions yet" (exit 1)', async () => {
    const unknownVersion = await cli(['monitor', '--name', modelName, '--version', '99']);
    expect(unknownVersion.code).toBe(1);
    expect(unknownVersion.out).toBe(
      `mlops monitor: the monitor has seen no predictions of model ${modelName} version 99 (mlops monitor without --name and --version lists what it has seen)\n`,
    );
    const unknownModel = await cli(['monitor', '--name', 'Nope']);
    expect(unknownModel.code).toBe(1);
    expect(unknownModel.out).toMatch(/^mlops monitor: the monitor has seen no predictions of model Nope \(/);
    expect((await cli(['monitor', '--name', modelName])).out).toMatch(new RegExp(`^${modelName} v1: \\d+ windows`));
  });
});

describe('mlops predict --csv on a model of numeric features', () => {
  it('when the CSV has the features in another order and a target, then they are sent by name; a renamed one is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'predict-csv-'));
    const names = Array.from({ length: 20 }, (_, j) => `x${j}`);
    const rows = [0, 1, 2].map((i) => row(i));
    const reversed = [...names].reverse();
    const csv = (header: string[]) =>
      `${[...header, 'y'].join(',')}\n${rows.map((r) => [...header.map((n) => r[names.indexOf(n)]), 1].join(',')).join('\n')}\n`;
    await writeFile(join(dir, 'reversed.csv'), csv(reversed));
    const direct = await fetch(`${predictorUrl}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: rows }),
    });
    const expected = ((await direct.json()) as { probabilities: number[] }).probabilities;
    const sent = await cli(['predict', '--url', predictorUrl, '--csv', join(dir, 'reversed.csv')]);
    expect(sent.code, sent.out).toBe(0);
    expect((JSON.parse(sent.out) as { probabilities: number[] }).probabilities).toEqual(expected);

    await writeFile(join(dir, 'renamed.csv'), csv([...names.slice(0, 19), 'z']));
    const renamed = await cli(['predict', '--url', predictorUrl, '--csv', join(dir, 'renamed.csv')]);
    expect(renamed.code).toBe(1);
    expect(renamed.out).toMatch(
      /renamed\.csv: the columns are not the served model's inputs \(x0, .*x19\): missing x19; not inputs of the served model: z/,
    );
    const noTarget = await cli([
      'predict',
      '--url',
      predictorUrl,
      '--csv',
      join(dir, 'reversed.csv'),
      '--target',
      'label',
    ]);
    expect(noTarget.code).toBe(1);
    expect(noTarget.out).toMatch(/reversed\.csv: --target "label" is not a column \(columns: x19, x18/);
    await rm(dir, { recursive: true, force: true });
  });

  it('when the CSV holds more rows than one request takes, then they go in batches and the answer is one, in row order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'predict-batches-'));
    const names = Array.from({ length: 20 }, (_, j) => `x${j}`);
    const count = 12_345;
    // The training rows over and over (the last test here: the monitor sees no other distribution).
    const rows = Array.from({ length: count }, (_, i) => row(i % 1000));
    await writeFile(join(dir, 'many.csv'), `${names.join(',')}\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const direct = await fetch(`${predictorUrl}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: rows.slice(0, 1000) }),
    });
    const expected = ((await direct.json()) as { probabilities: number[] }).probabilities;
    const sent = await cli(['predict', '--url', predictorUrl, '--csv', join(dir, 'many.csv')]);
    expect(sent.code, sent.out.slice(0, 500)).toBe(0);
    const answer = JSON.parse(sent.out) as {
      probabilities: number[];
      prediction_ids: string[];
      predictions: unknown[];
    };
    expect(answer.probabilities).toHaveLength(count);
    expect(answer.predictions).toHaveLength(count);
    expect(new Set(answer.prediction_ids).size).toBe(count);
    expect(answer.probabilities.every((p, i) => p === expected[i % 1000])).toBe(true);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);
});
