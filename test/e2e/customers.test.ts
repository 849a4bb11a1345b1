import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { requestReply, watchEvents } from '@mlops/bus';
import { main as mlops } from '@mlops/cli';
import { type EventData, SUBJECTS, type TuneReply } from '@mlops/contracts';
import { categoryAt, columnNamed, customersCsv, readRawTable } from '@mlops/ml';
import type { MlflowClient } from '@mlops/mlflow';
import { projectMlflowBinary } from '@mlops/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type InProcessStack, startInProcessStack, waitFor } from './support/in-process-stack.js';

const modelName = `customers_${randomUUID().slice(0, 8)}`;
let stack: InProcessStack;
let client: NatsConnection;
let mlflow: MlflowClient;
let predictorUrl: string;
let dataDir: string;
const registered: EventData<'model.registered'>[] = [];
const windows: EventData<'monitor.window'>[] = [];

/** Raw customer records as a user sends them: missing cells as null, a plan and a region never seen in training. */
const RECORDS = [
  {
    plan: 'basic',
    region: 'north',
    tenure_months: 2,
    monthly_charges: 99.5,
    support_calls: 4,
    paperless_billing: 'yes',
    senior: 1,
  },
  {
    plan: 'pro',
    region: 'west',
    tenure_months: 70,
    monthly_charges: 25,
    support_calls: 0,
    paperless_billing: 'no',
    senior: 0,
  },
  {
    plan: null,
    region: null,
    tenure_months: null,
    monthly_charges: null,
    support_calls: null,
    paperless_billing: null,
    senior: null,
  },
  {
    plan: 'enterprise',
    region: 'mars',
    tenure_months: 12,
    monthly_charges: 60.25,
    support_calls: 9,
    paperless_billing: 'yes',
    senior: 0,
  },
];
const COLUMNS = Object.keys(RECORDS[0]!);

/** Runs the CLI in the data directory, its stdout and stderr together. */
async function runMlops(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const write = (t: string) => {
    out += t;
  };
  const code = await mlops(args, { stdout: write, stderr: write, cwd: dataDir, env: {} });
  return { code, out };
}

async function post(path: string, body: string, contentType = 'application/json') {
  const response = await fetch(`${predictorUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'customers-'));
  await writeFile(join(dataDir, 'customers.csv'), customersCsv({ nSamples: 2000 }));
  stack = await startInProcessStack({
    mlflowUri: inject('mlflowTrackingUri'),
    modelName,
    env: { TRAINER_DATA_DIR: dataDir },
    monitor: { MONITOR_WINDOW_ROWS: '250', MONITOR_WINDOW_SECONDS: '30', MONITOR_RETRAIN: 'false' },
  });
  ({ client, mlflow, predictorUrl } = stack);
  watchEvents(client, SUBJECTS.modelRegistered, ({ data }) => registered.push(data));
  watchEvents(client, SUBJECTS.monitorWindow, ({ data }) => windows.push(data));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a customer table, end to end (ids, categories, missing cells, yes/no labels)', () => {
  let served: { predictions: string[]; probabilities: number[]; prediction_ids: string[] };

  it('when the CSV is tuned, then roles and preprocessing are in MLflow, version 1 is registered and /predict takes raw records', async () => {
    const request = {
      experiment_name: modelName,
      registered_model_name: modelName,
      dataset: { kind: 'csv', path: 'customers.csv', target: 'churned' },
      grid: { C: [0.1, 1], solver: ['lbfgs', 'saga'] },
    };
    const reply: TuneReply = await requestReply(client, SUBJECTS.tuneRequested, JSON.stringify(request), {
      timeoutMs: 10_000,
    });
    expect(reply).toMatchObject({ status: 'accepted', trial_count: 4 });
    const event = await waitFor('model.registered v1', () => registered.find((r) => r.version === '1'));
    expect(event.metric?.value).toBeGreaterThan(0.75);

    const experiment = await mlflow.getExperimentByName(modelName);
    const runs = [];
    for await (const run of mlflow.iterateRuns({ experimentIds: [experiment!.experimentId] })) runs.push(run);
    const parent = runs.find((r) => r.data.tags['mlops.tuning_parent'] !== undefined)!;
    expect(JSON.parse(parent.data.tags['mlops.column_roles']!)).toMatchObject({
      categorical: ['plan', 'region', 'support_calls', 'paperless_billing'],
      excluded: [{ name: 'customer_id' }],
    });
    expect(Number(parent.data.params.rows_without_label)).toBeGreaterThan(0);
    const best = runs.find((r) => r.info.runId === event.run_id)!;
    expect(best.data.params).toMatchObject({ scale: 'true', impute: 'mean', categorical_missing: 'most_frequent' });

    const answer = await waitFor('predictor on v1', async () => {
      const a = await post('/predict', JSON.stringify({ records: RECORDS }));
      return a.status === 200 ? a : undefined;
    });
    served = answer.body as unknown as typeof served;
    expect(served.predictions.every((label) => label === 'yes' || label === 'no')).toBe(true);
    expect(served.probabilities[0]).toBeGreaterThan(served.probabilities[1]!);
    expect(served.predictions[0]).toBe('yes');
    expect(served.predictions[1]).toBe('no');
  }, 120_000);

  it('when the same rows come through /invocations (split, records, CSV) and OIP, then every protocol gives the same probabilities', async () => {
    const rows = RECORDS.map((r) => COLUMNS.map((c) => r[c as keyof typeof r]));
    const split = await post('/invocations', JSON.stringify({ dataframe_split: { columns: COLUMNS, data: rows } }));
    const records = await post('/invocations', JSON.stringify({ dataframe_records: RECORDS }));
    const csv = await post(
      '/invocations',
      `${COLUMNS.join(',')}\n${rows.map((row) => row.map((cell) => cell ?? '').join(',')).join('\n')}\n`,
      'text/csv',
    );
    const oip = await post(
      `/v2/models/${modelName}/infer`,
      JSON.stringify({
        inputs: COLUMNS.map((name, j) => ({
          name,
          datatype: typeof RECORDS[0]![name as keyof (typeof RECORDS)[0]] === 'string' ? 'BYTES' : 'FP64',
          shape: [rows.length],
          data: rows.map((row) => row[j]),
        })),
      }),
    );
    const probabilities = (body: Record<string, unknown>) =>
      (body.predictions as { probability: number }[]).map((p) => p.probability);
    expect(probabilities(split.body)).toEqual(served.probabilities);
    expect(probabilities(records.body)).toEqual(served.probabilities);
    expect(probabilities(csv.body)).toEqual(served.probabilities);
    const outputs = oip.body.outputs as { name: string; data: unknown[] }[];
    expect(outputs.find((o) => o.name === 'probability')?.data).toEqual(served.probabilities);
    expect(outputs.find((o) => o.name === 'label')?.data).toEqual(served.predictions);
  });

  it('when a column is missing or holds the wrong type, then the answer is 400 naming it', async () => {
    const { plan: _plan, ...withoutPlan } = RECORDS[0]!;
    const missing = await post('/predict', JSON.stringify({ records: [withoutPlan] }));
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toMatch(/records\[0\] lacks column \\"plan\\"/);
    const wrong = await post('/predict', JSON.stringify({ records: [{ ...RECORDS[0], tenure_months: 'long' }] }));
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toMatch(/column \\"tenure_months\\" takes a number or null, got \\"long\\"/);
  });

  it("when MLflow's Python client loads version 1, then a DataFrame of raw columns gets the served probabilities within 1e-6", async () => {
    const script = [
      'import json, sys, numpy, pandas, mlflow.pyfunc',
      `model = mlflow.pyfunc.load_model("models:/${modelName}/1")`,
      'records = json.loads(sys.argv[1])',
      'frame = pandas.DataFrame(records)',
      'for name in ["tenure_months", "monthly_charges", "support_calls", "senior"]: frame[name] = frame[name].astype("float64")',
      'for name in ["plan", "region", "paperless_billing"]: frame[name] = frame[name].astype("object")',
      'out = model.predict(frame)',
      'print(json.dumps({"probability": [float(p) for p in out["probability"]], "label": [str(v) for v in out["label"]]}))',
    ].join('\n');
    const python = join(dirname(projectMlflowBinary()), 'python');
    const { stdout } = await promisify(execFile)(python, ['-c', script, JSON.stringify(RECORDS)], {
      env: { ...process.env, MLFLOW_TRACKING_URI: inject('mlflowTrackingUri') },
      timeout: 60_000,
    });
    const fromPython = JSON.parse(stdout.trim().split('\n').at(-1)!) as { probability: number[]; label: string[] };
    const worst = Math.max(...fromPython.probability.map((p, i) => Math.abs(p - served.probabilities[i]!)));
    expect(worst).toBeLessThan(1e-6);
    expect(fromPython.label).toEqual(served.predictions);
  }, 60_000);

  it('when feedback names the text labels, then the monitor joins them and an unknown label is refused naming the classes', async () => {
    const feedback = served.prediction_ids.map((id, i) => ({ prediction_id: id, label: i % 2 === 0 ? 'yes' : 'no' }));
    const accepted = await post('/feedback', JSON.stringify(feedback));
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ accepted: RECORDS.length });
    // The monitor maps text by the version that scored each prediction; another text is refused naming the classes.
    const fresh = await post('/predict', JSON.stringify({ records: RECORDS.slice(0, 3) }));
    const ids = (fresh.body as { prediction_ids: string[] }).prediction_ids;
    const refused = await post('/feedback', JSON.stringify({ prediction_id: ids[2], label: 'maybe' }));
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      errors: [
        {
          path: 'label',
          message: `"maybe" is not a class of ${modelName} version 1: send a class's own value ("no" or "yes", as text) or its index (0 for "no", 1 for "yes")`,
        },
      ],
    });
    // The same straight on NATS.
    const overNats = await requestReply(
      client,
      SUBJECTS.feedbackReceived,
      [
        { prediction_id: ids[0]!, label: 'yes' },
        { prediction_id: ids[1]!, label: 'maybe' },
      ],
      { timeoutMs: 10_000 },
    );
    expect(overNats).toMatchObject({ status: 'partial', accepted: 1 });
    expect(overNats.errors).toEqual([
      {
        path: '1.label',
        message: `"maybe" is not a class of ${modelName} version 1: send a class's own value ("no" or "yes", as text) or its index (0 for "no", 1 for "yes")`,
      },
    ]);
  });

  it('when mlops predict gets a customer CSV, then it sends named records (ids and the target dropped) and prints the labels', async () => {
    const csv = customersCsv({ nSamples: 12, randomState: 3 });
    await writeFile(join(dataDir, 'to-score.csv'), csv);
    const { code, out } = await runMlops([
      'predict',
      '--url',
      predictorUrl,
      '--csv',
      'to-score.csv',
      '--target',
      'churned',
    ]);
    expect(code, out).toBe(0);
    const answer = JSON.parse(out) as { predictions: string[]; probabilities: number[] };
    expect(answer.predictions).toHaveLength(12);
    // The CSV's columns are in another order than the model's (numeric first): only records by name score right.
    const table = readRawTable(csv);
    const records = Array.from({ length: 12 }, (_, i) =>
      Object.fromEntries(COLUMNS.map((name) => [name, categoryAt(columnNamed(table, name), i)])),
    );
    const direct = await post('/predict', JSON.stringify({ records }));
    expect(answer.probabilities).toEqual((direct.body as { probabilities: number[] }).probabilities);
  });

  it('when a text column of the CSV holds only number-like codes ("0101"), then mlops predict sends them as the text the file writes', async () => {
    const header = 'region,plan,tenure_months,monthly_charges,support_calls,paperless_billing,senior';
    await writeFile(join(dataDir, 'codes.csv'), `${header}\n0101,basic,12,30,1,yes,0\n0102,pro,3,80,4,no,1\n`);
    const { code, out } = await runMlops(['predict', '--url', predictorUrl, '--csv', 'codes.csv']);
    expect(code, out).toBe(0);
    const records = [
      {
        region: '0101',
        plan: 'basic',
        tenure_months: 12,
        monthly_charges: 30,
        support_calls: 1,
        paperless_billing: 'yes',
        senior: 0,
      },
      {
        region: '0102',
        plan: 'pro',
        tenure_months: 3,
        monthly_charges: 80,
        support_calls: 4,
        paperless_billing: 'no',
        senior: 1,
      },
    ];
    const direct = await post('/predict', JSON.stringify({ records }));
    const answer = JSON.parse(out) as { probabilities: number[] };
    expect(answer.probabilities).toEqual((direct.body as { probabilities: number[] }).probabilities);
  });

  it('when the world moves (a lost column, one plan, an unknown region, higher charges), then the monitor says so per raw column', async () => {
    // 750 rows: whatever the open window holds, at least one window of 250 rows is all of these.
    const records = Array.from({ length: 750 }, (_, i) => ({
      plan: 'pro',
      region: i % 2 === 0 ? 'mars' : 'north',
      tenure_months: null,
      monthly_charges: 150 + (i % 50),
      support_calls: i % 3,
      paperless_billing: 'yes',
      senior: 0,
    }));
    expect((await post('/predict', JSON.stringify({ records }))).status).toBe(200);
    const moved = await waitFor('a window of the moved rows only', () =>
      windows.find((w) => w.model === modelName && w.missing.some((m) => m.name === 'tenure_months' && m.share === 1)),
    );
    expect(moved.rows).toBe(250);
    expect(moved.reference_rows).toBeGreaterThan(1000);
    const column = (name: string) => moved.features.find((f) => f.name === name);
    // A column with no value in the window is not compared; its missing share says what happened.
    expect(column('tenure_months')).toBeUndefined();
    expect(moved.missing.find((m) => m.name === 'tenure_months')?.reference_share).toBeLessThan(0.2);
    // Over 1000 training rows: Jensen–Shannon distance on categories, normed Wasserstein on numbers (Evidently).
    expect(column('plan')).toMatchObject({ kind: 'categorical', method: 'js', drifted: true, mean: null, unseen: 0 });
    expect(column('region')).toMatchObject({ kind: 'categorical', drifted: true, unseen: 125 });
    expect(column('monthly_charges')).toMatchObject({ kind: 'numeric', method: 'wasserstein', drifted: true });
    expect(column('monthly_charges')?.mean).toBeCloseTo(174.5, 10);
    expect(moved.dataset_drift).toBe(true);
    expect(moved.drifted_features).toEqual(expect.arrayContaining(['plan', 'region', 'monthly_charges']));
    expect(moved.prediction?.name).toBe('prediction');
  });
});
