import type { LogisticRegression } from '@mlops/ml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fittedModel, call as request, startTestServer, type TestServer } from './support/harness.js';

const FEATURES = ['f0', 'f1', 'f2'];
const ROWS = [
  [0.5, -1, 2],
  [0, 0, 0],
  [-3, 1.5, 0.25],
];
let t: TestServer;
let model: LogisticRegression;
const call = (method: string, path: string, body?: string, type = 'application/json') =>
  request(t.base, method, path, body, body === undefined ? {} : { 'content-type': type });

beforeAll(async () => {
  const served = fittedModel({ name: 'clf', version: 4, features: 3 });
  model = served.model;
  t = await startTestServer({ model: { ...served, featureNames: FEATURES }, maxBodyBytes: 16 * 1024, maxRows: 10 });
});
afterAll(async () => {
  await t.close();
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
    // As MLflow's scoring server: columns the model does not take are ignored whatever they hold, and so are other keys.
    [
      'dataframe_records with extra columns of text and null',
      { dataframe_records: records.map((r, i) => ({ id: `C${i}`, note: null, ...r })) },
    ],
    [
      'dataframe_split with an extra text column',
      { dataframe_split: { columns: ['id', ...FEATURES], data: ROWS.map((r, i) => [`C${i}`, ...r]) } },
    ],
    [
      'inputs as columns with an extra text column',
      { inputs: { id: ['a', 'b', 'c'], ...Object.fromEntries(FEATURES.map((f, j) => [f, ROWS.map((r) => r[j])])) } },
    ],
    ['dataframe_records beside an unknown top-level key', { dataframe_records: records, junk: 1 }],
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

  it('when a JSON body starts with a UTF-8 BOM (a Windows editor saved it), then it is read as without it', async () => {
    const predicted = await call('POST', '/predict', `\uFEFF${JSON.stringify({ features: ROWS })}`);
    expect(predicted.status).toBe(200);
    expect(predicted.json.probabilities).toEqual(expected());
    const invoked = await call('POST', '/invocations', `\uFEFF${JSON.stringify({ instances: ROWS })}`);
    expect(invoked.status).toBe(200);
  });
});

describe('protocol errors', () => {
  it.each([
    [
      'two input fields',
      JSON.stringify({ instances: ROWS, inputs: ROWS }),
      'application/json',
      400,
      /exactly one of "dataframe_split", "dataframe_records", "instances", "inputs"; got instances and inputs/,
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
      /instances\[0\]\[1\]: Invalid input: expected number, received string/,
    ],

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

  it('when an OIP tensor holds a value that is no number, then the 400 says what it holds, flat or in a row', async () => {
    const infer = async (data: unknown[]) => {
      const body = { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP64', data }] };
      return await call('POST', '/v2/models/clf/infer', JSON.stringify(body));
    };
    for (const [data, error] of [
      [['NaN', 0, 1], 'inputs[0].data[0]: expected a number or a row of numbers, received string'],
      [[0, null, 1], 'inputs[0].data[1]: expected a number or a row of numbers, received null'],
      [[[0, 'x', 1]], 'inputs[0].data[0][1]: Invalid input: expected number, received string'],
    ] as const) {
      const response = await infer([...data]);
      expect(response.status, JSON.stringify(data)).toBe(400);
      expect(response.json.error, JSON.stringify(data)).toBe(error);
    }
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

describe('prediction ids and limits across protocols', () => {
  it('when /invocations and OIP score rows, then each row has its own prediction id', async () => {
    const mlflow = await call('POST', '/invocations', JSON.stringify({ instances: ROWS }));
    const mlflowIds = (mlflow.json.predictions as { prediction_id: string }[]).map((p) => p.prediction_id);
    const body = { inputs: [{ name: 'input', shape: [3, 3], datatype: 'FP64', data: ROWS }] };
    const oip = await call('POST', '/v2/models/clf/infer', JSON.stringify(body));
    const oipIds = (oip.json.outputs as { name: string; data: string[] }[]).find((o) => o.name === 'prediction_id');
    expect(new Set([...mlflowIds, ...(oipIds?.data ?? [])]).size).toBe(6);
    expect(oip.json.id).toMatch(/^[\w-]{13,}$/);
    expect(oipIds?.data[0]).toBe(`${oip.json.id}-0`);
  });

  it('when a batch has more rows than allowed, then MLflow answers 413 RESOURCE_EXHAUSTED and OIP 413', async () => {
    const mlflow = await call('POST', '/invocations', JSON.stringify({ instances: Array(11).fill([1, 2, 3]) }));
    expect(mlflow.status).toBe(413);
    expect(mlflow.json).toMatchObject({
      error_code: 'RESOURCE_EXHAUSTED',
      message: expect.stringMatching(/at most 10/),
    });
    const body = { inputs: [{ name: 'input', shape: [11, 3], datatype: 'FP64', data: Array(33).fill(0) }] };
    expect((await call('POST', '/v2/models/clf/infer', JSON.stringify(body))).status).toBe(413);
  });

  it.each([
    ['a BOOL tensor', { inputs: [{ name: 'i', shape: [1, 3], datatype: 'BOOL', data: [1, 0, 1] }] }, /datatype/],
    ['two tensors', { inputs: [] }, /exactly one tensor/],
    [
      'too few values',
      { inputs: [{ name: 'i', shape: [2, 3], datatype: 'FP64', data: [1, 2, 3] }] },
      /must hold 6 numbers/,
    ],
    ['a non-string id', { id: 5, inputs: [{ name: 'i', shape: [1, 3], datatype: 'FP64', data: [1, 2, 3] }] }, /^id:/],
    [
      'a fraction in an INT8 tensor',
      { inputs: [{ name: 'i', shape: [1, 3], datatype: 'INT8', data: [1, 2.5, 3] }] },
      /^inputs\[0\]\.data\[1\] is 2\.5: INT8 values are integers from -128 to 127$/,
    ],
    [
      'an FP16 value past its range',
      { inputs: [{ name: 'i', shape: [1, 3], datatype: 'FP16', data: [1, 65505, 3] }] },
      /data\[1\] is 65505: FP16 values are at most 65504 in magnitude/,
    ],
    [
      'an output the model does not have',
      { inputs: [{ name: 'i', shape: [1, 3], datatype: 'FP64', data: [1, 2, 3] }], outputs: [{ name: 'nope' }] },
      /^outputs\[0\]\.name: Invalid option: .*probability.*label.*prediction_id/,
    ],
    [
      'a UINT8 value out of range',
      { inputs: [{ name: 'i', shape: [1, 3], datatype: 'UINT8', data: [[1, 256, 3]] }] },
      /^inputs\[0\]\.data\[0\]\[1\] is 256: UINT8 values are integers from 0 to 255$/,
    ],
  ])('when OIP infer gets %s, then it answers 400 {error} naming it', async (_what, body, message) => {
    const response = await call('POST', '/v2/models/clf/infer', JSON.stringify(body));
    expect(response.status).toBe(400);
    expect(response.json.error).toMatch(message);
  });

  it("when OIP infer names the outputs it wants, then the answer holds those only, in the model's order", async () => {
    const body = {
      inputs: [{ name: 'i', shape: [1, 3], datatype: 'FP64', data: [1, 2, 3] }],
      outputs: [{ name: 'prediction_id' }, { name: 'probability' }],
    };
    const response = await call('POST', '/v2/models/clf/infer', JSON.stringify(body));
    expect(response.status).toBe(200);
    expect((response.json.outputs as { name: string }[]).map((o) => o.name)).toEqual(['probability', 'prediction_id']);
  });

  it('when an integer tensor holds integers in its range, then it is scored like the same FP64 tensor', async () => {
    const tensor = (datatype: string) => ({
      inputs: [{ name: 'i', shape: [2, 3], datatype, data: [-128, 0, 127, 1, 2, 3] }],
    });
    const int8 = await call('POST', '/v2/models/clf/infer', JSON.stringify(tensor('INT8')));
    const fp64 = await call('POST', '/v2/models/clf/infer', JSON.stringify(tensor('FP64')));
    expect(int8.status).toBe(200);
    expect(int8.json.outputs[0]).toEqual(fp64.json.outputs[0]);
  });

  it.each([
    [
      'a feature given as text in a record',
      { dataframe_records: [{ f0: 1, f1: 'x', f2: 3 }] },
      /dataframe_records\[0\]\.f1: must be a finite number, got "x"/,
    ],
    [
      'a feature given as null in a split frame',
      { dataframe_split: { columns: FEATURES, data: [[1, null, 3]] } },
      /dataframe_split\.data\[0\] column "f1": must be a finite number, got null/,
    ],
    [
      'a split frame naming a column twice',
      { dataframe_split: { columns: ['f0', 'f1', 'f2', 'f1'], data: [[1, 2, 3, 4]] } },
      /dataframe_split\.columns names "f1" more than once/,
    ],
    [
      'columns of different lengths, an extra one too',
      { inputs: { f0: [1], f1: [2], f2: [3], id: ['a', 'b'] } },
      /inputs\.id has 2 values, "f0" has 1/,
    ],
    ['instances beside another key (MLflow refuses it too)', { instances: ROWS, junk: 1 }, /Unrecognized key: "junk"/],
    [
      'a split frame without columns holding text',
      { dataframe_split: { data: [[1, 'x', 3]] } },
      /^dataframe_split\.data\[0\]\[1\]: /,
    ],
  ])('when /invocations gets %s, then it answers 400 naming it', async (_what, body, message) => {
    const response = await call('POST', '/invocations', JSON.stringify(body));
    expect(response.status).toBe(400);
    expect(response.json.message).toMatch(message);
  });

  it('when a CSV body holds bytes that are not UTF-8 (a Latin-1 header), then 400 names the byte and where, not a missing column; a real U+FFFD is read', async () => {
    const latin1 = Buffer.concat([Buffer.from('f0,f1,f2,caf'), Buffer.from([0xe9]), Buffer.from('\n1,2,3,4\n')]);
    const post = (body: Uint8Array) =>
      fetch(`${t.base}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
    const refused = await post(latin1);
    const replacement = await post(Buffer.from('f0,f1,f2,caf\uFFFD\n1,2,3,4\n', 'utf8'));

    expect([refused.status, await refused.json()]).toEqual([
      400,
      {
        error_code: 'BAD_REQUEST',
        message: 'the CSV body:1: byte 0xe9 after "f0,f1,f2,caf" is not UTF-8: save the file as UTF-8',
      },
    ]);
    expect(replacement.status).toBe(200);
  });

  it('when CSV has a bad cell or lacks a column, then MLflow answers 400 naming it', async () => {
    const bad = await call('POST', '/invocations', 'f0,f1,f2\n1,x,3\n', 'text/csv');
    expect(bad.json.message).toMatch(/CSV row 1, column "f1"/);
    const missing = await call('POST', '/invocations', 'f0,f1\n1,2\n', 'text/csv');
    expect(missing.json.message).toMatch(/lacks feature "f2"/);
    for (const body of ['', '\n\n']) {
      const empty = await call('POST', '/invocations', body, 'text/csv');
      expect(empty.status).toBe(400);
      expect(empty.json.message).toBe(
        'the CSV body is empty: send a header row naming the columns, then one row per sample',
      );
    }
  });
});
