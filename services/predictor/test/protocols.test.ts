import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogisticRegression, makeClassification } from '@mlops/ml';
import { createLogger } from '@mlops/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelSlot } from '../src/domain/served-model.js';
import { createHttpApp } from '../src/entry-points/http.js';

const FEATURES = ['f0', 'f1', 'f2'];
const ROWS = [
  [0.5, -1, 2],
  [0, 0, 0],
  [-3, 1.5, 0.25],
];
let server: Server;
let base: string;
let model: LogisticRegression;

async function call(method: string, path: string, body?: string, type = 'application/json') {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': type } }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json: json as Record<string, unknown> };
}

beforeAll(async () => {
  const { X, y } = makeClassification({ nSamples: 120, nFeatures: 3, nInformative: 2, nRedundant: 1, randomState: 3 });
  model = new LogisticRegression({ solver: 'lbfgs' }).fit(X, y);
  const slot = new ModelSlot();
  slot.offer({
    name: 'clf',
    version: '4',
    versionNumber: 4,
    alias: 'champion',
    runId: 'r',
    modelUri: 'models:/clf/4',
    featureNames: FEATURES,
    model,
    loadedAt: new Date(),
  });
  const app = createHttpApp(
    slot,
    { maxBodyBytes: 16 * 1024, maxRows: 10 },
    createLogger({ service: 't', level: 'silent' }),
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const expected = () =>
  Array.from(model.predictPositiveProba({ rows: 3, cols: 3, data: Float64Array.from(ROWS.flat()) }));
const records = ROWS.map((r) => Object.fromEntries(FEATURES.map((f, j) => [f, r[j]])));

describe('every protocol answers the same predictions', () => {
  it.each([
    [
      'dataframe_split',
      { dataframe_split: { columns: [...FEATURES].reverse(), data: ROWS.map((r) => [...r].reverse()) } },
    ],
    ['dataframe_records', { dataframe_records: records }],
    ['instances', { instances: ROWS }],
    ['inputs as rows', { inputs: ROWS }],
    ['inputs as columns', { inputs: Object.fromEntries(FEATURES.map((f, j) => [f, ROWS.map((r) => r[j])])) }],
  ])('when /invocations gets %s, then it answers {predictions} with the model probabilities', async (_name, body) => {
    const { status, json } = await call('POST', '/invocations', JSON.stringify(body));
    expect(status).toBe(200);
    expect((json.predictions as { probability: number }[]).map((p) => p.probability)).toEqual(expected());
  });

  it('when /invocations gets CSV, then it answers the same', async () => {
    const csv = `${FEATURES.join(',')}\n${ROWS.map((r) => r.join(',')).join('\n')}\n`;
    const { json } = await call('POST', '/invocations', csv, 'text/csv');
    expect((json.predictions as { probability: number }[]).map((p) => p.probability)).toEqual(expected());
  });

  it('when OIP V2 infer gets a flat FP64 tensor, then outputs match and the id is echoed', async () => {
    const body = { id: 'req-7', inputs: [{ name: 'input', shape: [3, 3], datatype: 'FP64', data: ROWS.flat() }] };
    const { status, json } = await call('POST', '/v2/models/clf/versions/4/infer', JSON.stringify(body));
    expect(status).toBe(200);
    expect(json).toMatchObject({ model_name: 'clf', model_version: '4', id: 'req-7' });
    expect((json.outputs as { name: string; data: number[] }[])[0]).toMatchObject({
      name: 'probability',
      data: expected(),
    });
  });

  it('when /predict gets the same rows, then it answers the same probabilities', async () => {
    const { json } = await call('POST', '/predict', JSON.stringify({ features: ROWS }));
    expect(json.probabilities).toEqual(expected());
  });
});

describe('protocol errors', () => {
  it.each([
    [
      'two input fields',
      JSON.stringify({ instances: ROWS, inputs: ROWS }),
      'application/json',
      400,
      /exactly one of the input fields/,
    ],
    [
      'a missing column',
      JSON.stringify({ dataframe_split: { columns: ['f0'], data: [[1]] } }),
      'application/json',
      400,
      /lacks feature "f1"/,
    ],
    [
      'a string value',
      JSON.stringify({ instances: [[1, 'a', 3]] }),
      'application/json',
      400,
      /must be a finite number/,
    ],
    ['too many rows', JSON.stringify({ instances: Array(11).fill([1, 2, 3]) }), 'application/json', 400, /at most 10/],
    ['malformed JSON', '{"instances": [', 'application/json', 400, /not valid JSON/],
  ])("when /invocations gets %s, then it answers MLflow's error shape", async (_name, body, type, status, message) => {
    const response = await call('POST', '/invocations', body, type);
    expect(response.status).toBe(status);
    expect(response.json).toMatchObject({ error_code: 'BAD_REQUEST', message: expect.stringMatching(message) });
  });

  it('when /invocations gets another content type, then it answers 415', async () => {
    expect((await call('POST', '/invocations', '<x/>', 'application/xml')).status).toBe(415);
  });

  it('when OIP asks for another model or version, then it answers 404; a wrong shape answers 400 {error}', async () => {
    expect((await call('GET', '/v2/models/other')).status).toBe(404);
    expect((await call('GET', '/v2/models/clf/versions/3/ready')).status).toBe(404);
    const bad = { inputs: [{ name: 'input', shape: [1, 2], datatype: 'FP64', data: [1, 2] }] };
    const response = await call('POST', '/v2/models/clf/infer', JSON.stringify(bad));
    expect(response.status).toBe(400);
    expect(response.json.error).toMatch(/expects 3 features/);
  });

  it('when health and metadata are asked, then they describe the served model', async () => {
    expect((await call('GET', '/ping')).status).toBe(200);
    expect((await call('GET', '/v2/health/ready')).status).toBe(200);
    expect((await call('GET', '/v2/models/clf')).json).toMatchObject({
      name: 'clf',
      versions: ['4'],
      inputs: [{ shape: [-1, 3] }],
    });
  });
});
