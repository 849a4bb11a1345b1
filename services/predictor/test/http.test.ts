import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogisticRegression, makeClassification } from '@mlops/ml';
import { createLogger } from '@mlops/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelSlot, type ServedModel } from '../src/domain/served-model.js';
import { createHttpApp } from '../src/entry-points/http.js';

const FEATURES = Array.from({ length: 20 }, (_, j) => `x${j}`);
let server: Server;
let base: string;
let slot: ModelSlot;

function servedModel(version: number): ServedModel {
  const { X, y } = makeClassification({ nSamples: 200, nFeatures: 20, randomState: version });
  return {
    name: 'One_Customer_Classifier',
    version: String(version),
    versionNumber: version,
    alias: 'champion',
    runId: `run-${version}`,
    modelUri: `models:/One_Customer_Classifier/${version}`,
    featureNames: FEATURES,
    model: new LogisticRegression({ solver: 'liblinear' }).fit(X, y),
    loadedAt: new Date(),
  };
}

interface PredictBody {
  error: { code: string; message: string };
  probabilities: number[];
  predictions: number[];
}

async function post(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(`${base}/predict`, { method: 'POST', body, headers });
  return { status: response.status, json: (await response.json()) as PredictBody };
}

beforeEach(async () => {
  slot = new ModelSlot();
  const app = createHttpApp(
    slot,
    { maxBodyBytes: 64 * 1024, maxRows: 100 },
    createLogger({ service: 't', level: 'silent' }),
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('POST /predict', () => {
  it('when no model is loaded, then it answers 503 with a clear message and /ready is 503', async () => {
    const { status, json } = await post(JSON.stringify({ features: Array(20).fill(0) }));
    expect(status).toBe(503);
    expect(json.error.message).toMatch(/no model is loaded/);
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('when rows are sent, then it answers predictions and the probabilities the model computes', async () => {
    const served = servedModel(1);
    slot.offer(served);
    const rows = [Array.from({ length: 20 }, (_, j) => j / 10), Array(20).fill(-1)];
    const { status, json } = await post(JSON.stringify({ features: rows }));
    expect(status).toBe(200);
    const expected = served.model.predictPositiveProba({ rows: 2, cols: 20, data: Float64Array.from(rows.flat()) });
    expect(json).toEqual({
      model: { name: 'One_Customer_Classifier', version: '1' },
      predictions: Array.from(served.model.predict({ rows: 2, cols: 20, data: Float64Array.from(rows.flat()) })),
      probabilities: Array.from(expected),
    });
  });

  it('when one flat row or named records are sent, then they score the same as the matrix form', async () => {
    slot.offer(servedModel(1));
    const row = Array.from({ length: 20 }, (_, j) => (j % 3) - 1);
    const flat = await post(JSON.stringify({ features: row }));
    const records = await post(
      JSON.stringify({ records: [Object.fromEntries(FEATURES.map((f, j) => [f, row[j]]).reverse())] }),
    );
    expect(records.json.probabilities).toEqual(flat.json.probabilities);
  });

  it.each([
    ['malformed JSON', '{"features": [1, 2', 400, /not valid JSON/],
    ['a wrong row width', JSON.stringify({ features: [[1, 2, 3]] }), 400, /has 3 values, the model expects 20/],
    [
      'a non-number',
      JSON.stringify({ features: [Array(19).fill(0).concat('a')] }),
      400,
      /features\[0\]\[19\] must be a finite number/,
    ],
    ['NaN as a literal', `{"features": [${Array(19).fill(0).join(',')},NaN]}`, 400, /not valid JSON/],
    ['an empty batch', JSON.stringify({ features: [] }), 400, /empty/],
    ['too many rows', JSON.stringify({ features: Array(101).fill(Array(20).fill(0)) }), 400, /at most 100/],
    ['a missing record feature', JSON.stringify({ records: [{ x0: 1 }] }), 400, /lacks feature "x1"/],
    ['an unknown field', JSON.stringify({ features: Array(20).fill(0), extra: 1 }), 400, /unknown field/],
    ['too large a body', JSON.stringify({ features: Array(40000).fill(0) }), 413, /exceeds/],
  ])('when the body has %s, then it answers 400 or 413 naming the problem', async (_what, body, status, message) => {
    slot.offer(servedModel(1));
    const response = await post(body as string);
    expect(response.status).toBe(status);
    expect(response.json.error.message).toMatch(message as RegExp);
  });
});

describe('ModelSlot', () => {
  it('when an older or equal version is offered, then the served model stays', () => {
    expect(slot.offer(servedModel(2))).toBe(true);
    expect(slot.offer(servedModel(1))).toBe(false);
    expect(slot.offer(servedModel(2))).toBe(false);
    expect(slot.model?.version).toBe('2');
    expect(slot.offer(servedModel(3))).toBe(true);
  });
});
