import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestReply } from '@mlops/bus';
import { SUBJECTS } from '@mlops/contracts';
import { customersCsv, makeCustomers, readRawTable } from '@mlops/ml';
import type { MlflowClient } from '@mlops/mlflow';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type InProcessStack, startInProcessStack, waitFor } from './support/in-process-stack.js';
import { type LoopEvents, recordLoopEvents } from './support/loop-events.js';
import { sendFeedback } from './support/seed-traffic.js';

const modelName = `e2e_table_loop_${randomUUID().slice(0, 8)}`;
let stack: InProcessStack;
let client: NatsConnection;
let mlflow: MlflowClient;
let predictorUrl: string;
let dataDir: string;
let loop: LoopEvents;

type CustomerRecord = Record<string, string | number | null>;
const NUMBERS = new Set(['tenure_months', 'monthly_charges', 'support_calls', 'senior']);

/**
 * The moved world: customers of another seed who are new (tenure 1–12 months), charged 60 more, call support 2 times
 * more and all bill paperless (4 of 7 columns move), and whose churn follows a rule version 1 never learnt: pro
 * customers and those who called 4 times or more leave.
 */
function movedCustomers(n: number): { records: CustomerRecord[]; labels: string[] } {
  const rows = makeCustomers({ nSamples: n, randomState: 99, missingRate: 0.02 });
  const header = readRawTable(customersCsv({ nSamples: 10 })).columns.map((c) => c.name);
  const records = rows.map((cells) => {
    const record: CustomerRecord = {};
    header.forEach((name, j) => {
      if (name === 'customer_id' || name === 'churned') return;
      const cell = cells[j] ?? '';
      record[name] = cell === '' ? null : NUMBERS.has(name) ? Number(cell) : cell;
    });
    if (typeof record.tenure_months === 'number') record.tenure_months = (record.tenure_months % 12) + 1;
    if (typeof record.monthly_charges === 'number') record.monthly_charges += 60;
    record.support_calls = Math.min(6, Number(record.support_calls) + 2);
    record.paperless_billing = 'yes';
    return record;
  });
  const labels = records.map((r) => (r.plan === 'pro' || Number(r.support_calls) >= 4 ? 'yes' : 'no'));
  return { records, labels };
}

async function predict(records: CustomerRecord[]) {
  const response = await fetch(`${predictorUrl}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ records }),
  });
  const body = (await response.json()) as {
    model: { version: string };
    prediction_ids: string[];
    predictions: string[];
  };
  if (response.status !== 200) throw new Error(`/predict answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-table-loop-'));
  await writeFile(join(dataDir, 'customers.csv'), customersCsv({ nSamples: 2000 }));
  stack = await startInProcessStack({
    mlflowUri: inject('mlflowTrackingUri'),
    modelName,
    env: { TRAINER_DATA_DIR: dataDir },
    monitor: {
      MONITOR_WINDOW_ROWS: '250',
      MONITOR_WINDOW_SECONDS: '30',
      MONITOR_RETRAIN_DRIFT_WINDOWS: '2',
      MONITOR_RETRAIN_DATA: 'recent+original',
    },
  });
  ({ client, mlflow, predictorUrl } = stack);
  loop = recordLoopEvents(client, modelName);
  const request = {
    experiment_name: modelName,
    registered_model_name: modelName,
    dataset: { kind: 'csv', path: 'customers.csv', target: 'churned' },
    grid: { C: [0.1, 1], solver: ['lbfgs'], scale: [true, false] },
  };
  await requestReply(client, SUBJECTS.tuneRequested, JSON.stringify(request), { timeoutMs: 10_000 });
  await waitFor('version 1 served', async () => ((await fetch(`${predictorUrl}/ready`)).ok ? true : undefined));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('the closed loop for a table model: raw columns back from the log, roles pinned, text labels kept', () => {
  it('when customers move and their labels arrive, then a retrain on their raw records beats version 1 and is served with the same columns and labels', async () => {
    const { records, labels } = movedCustomers(1000);
    const ids: string[] = [];
    for (let start = 0; start < records.length; start += 100) {
      ids.push(...(await predict(records.slice(start, start + 100))).prediction_ids);
    }
    await sendFeedback(
      predictorUrl,
      ids.map((id, i) => ({ prediction_id: id, label: labels[i] as string })),
    );

    const [retrain] = await waitFor(
      'retrain.requested',
      () => (loop.retrains.length > 0 ? loop.retrains : undefined),
      120_000,
    );
    // A table model's rows are never appended to its CSV: recent+original falls back to the recent rows.
    expect(retrain).toMatchObject({ version: '1', trigger: 'drift', data: 'recent' });
    expect(retrain?.dataset).toMatchObject({ rows: 1000, unseen_cells: 0 });
    const written = readRawTable(await readFile(join(dataDir, retrain?.dataset.path ?? ''), 'utf8'));
    const columns = written.columns.map((c) => c.name);
    expect(columns.slice(-1)).toEqual(['y']);
    expect(new Set(columns.slice(0, -1))).toEqual(new Set(Object.keys(records[0] ?? {})));
    const first = records[0] ?? {};
    for (const column of written.columns.slice(0, -1)) {
      const sent = first[column.name] ?? null;
      expect(column.values[0], column.name).toEqual(sent === null && column.kind === 'number' ? Number.NaN : sent);
    }
    const target = written.columns.at(-1);
    expect(target?.kind === 'text' ? target.values.slice(0, 5) : []).toEqual(labels.slice(0, 5));

    const outcome = await waitFor(
      "the gate's verdict on the retrain",
      () => loop.verdictOf(retrain?.tuning_id ?? ''),
      180_000,
    );
    expect('rejected_at' in outcome ? outcome.reason : 'promoted').toBe('promoted');
    expect(outcome).toMatchObject({ version: '2', previous_version: '1', retrain_id: retrain?.retrain_id });

    const roles = async (version: string) => {
      const { runId } = await mlflow.getModelVersion(modelName, version);
      const trial = await mlflow.getRun(runId ?? '');
      const parent = await mlflow.getRun(trial.data.tags['mlflow.parentRunId'] ?? '');
      return JSON.parse(parent.data.tags['mlops.column_roles'] ?? '{}') as Record<string, unknown>;
    };
    const [before, after] = [await roles('1'), await roles('2')];
    expect(after.numeric).toEqual(before.numeric);
    expect(after.categorical).toEqual(before.categorical);
    expect(JSON.parse((await mlflow.getModelVersion(modelName, '2')).tags['mlops.retrain.dataset'] ?? '{}')).toEqual(
      retrain?.dataset,
    );

    const served = await waitFor('version 2 answering /predict', async () => {
      const answer = await predict(records.slice(0, 200));
      return answer.model.version === '2' ? answer : undefined;
    });
    expect(new Set(served.predictions)).toEqual(new Set(['yes', 'no']));
    const right = served.predictions.filter((p, i) => p === labels[i]).length;
    expect(right / 200).toBeGreaterThan(0.9);
  }, 360_000);
});
