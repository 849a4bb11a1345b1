import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelSlot } from '../src/domain/served-model.js';
import { call, fittedModel, startTestServer, type TestServer } from './support/harness.js';

const FEATURES = Array.from({ length: 20 }, (_, j) => `x${j}`);
let t: TestServer;
const post = (body: string, headers?: Record<string, string>) => call(t.base, 'POST', '/predict', body, headers);

beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  await t.close();
});

describe('POST /predict', () => {
  it('when no model is loaded, then it answers 503 with Retry-After and /ready is 503', async () => {
    const response = await post(JSON.stringify({ features: Array(20).fill(0) }));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.json.error.message).toMatch(/no model is loaded/);
    expect((await call(t.base, 'GET', '/ready')).status).toBe(503);
    expect((await call(t.base, 'GET', '/health')).status).toBe(200);
  });

  it('when rows are sent, then it answers the labels and probabilities the model computes, with row ids', async () => {
    const served = fittedModel();
    t.slot.offer(served);
    const rows = [Array.from({ length: 20 }, (_, j) => j / 10), Array(20).fill(-1)];
    const { status, json } = await post(JSON.stringify({ features: rows }));
    expect(status).toBe(200);
    const X = { rows: 2, cols: 20, data: Float64Array.from(rows.flat()) };
    expect(json).toMatchObject({
      model: { name: 'One_Customer_Classifier', version: '1' },
      predictions: Array.from(served.model.predict(X)),
      probabilities: Array.from(served.model.predictPositiveProba(X)),
    });
    expect(json.prediction_ids).toHaveLength(2);
  });

  it('when many rows and requests are scored, then every prediction id is unique', async () => {
    t.slot.offer(fittedModel());
    const body = JSON.stringify({ features: Array(50).fill(Array(20).fill(0.5)) });
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(body)));
    const ids = answers.flatMap((a) => a.json.prediction_ids as string[]);
    expect(ids).toHaveLength(400);
    expect(new Set(ids).size).toBe(400);
  });

  it('when one flat row or named records are sent, then they score the same as the matrix form', async () => {
    t.slot.offer(fittedModel());
    const row = Array.from({ length: 20 }, (_, j) => (j % 3) - 1);
    const flat = await post(JSON.stringify({ features: row }));
    const matrix = await post(JSON.stringify({ features: [row] }));
    const records = await post(
      JSON.stringify({ records: [Object.fromEntries(FEATURES.map((f, j) => [f, row[j]]).reverse())] }),
    );
    expect(flat.json.probabilities).toEqual(matrix.json.probabilities);
    expect(records.json.probabilities).toEqual(flat.json.probabilities);
  });

  const zeros = (n: number) => Array(n).fill(0).join(',');
  it.each([
    ['malformed JSON', '{"features": [1, 2', 400, /not valid JSON/],
    ['an empty body', '', 400, /not valid JSON/],
    ['a JSON array', '[1, 2]', 400, /exactly one of "features", "records"; got none/],
    ['both shapes', JSON.stringify({ features: [], records: [] }), 400, /got features and records/],
    [
      'a wrong row width',
      JSON.stringify({ features: [[1, 2, 3]] }),
      400,
      /features\[0\] has 3 values, the model expects 20/,
    ],
    ['a string value', JSON.stringify({ features: [Array(19).fill(0).concat('a')] }), 400, /features\[0\]\[19\]/],
    ['NaN as a literal', `{"features": [${zeros(19)},NaN]}`, 400, /not valid JSON/],
    ['a number too big for a double', `{"features": [${zeros(19)},1e400]}`, 400, /features\[19\]/],
    ['null in a row', `{"features": [[${zeros(19)},null]]}`, 400, /features\[0\]\[19\]/],
    [
      'numbers mixed with rows',
      JSON.stringify({ features: [1, [2]] }),
      400,
      /features\[1\]: Invalid input: expected number, received array/,
    ],
    ['an empty batch', JSON.stringify({ features: [] }), 400, /empty/],
    ['too many rows', JSON.stringify({ features: Array(101).fill(Array(20).fill(0)) }), 413, /101 rows, at most 100/],
    ['a missing record feature', JSON.stringify({ records: [{ x0: 1 }] }), 400, /records\[0\] lacks feature "x1"/],
    [
      'an unknown record feature',
      JSON.stringify({ records: [{ ...row0(), zz: 1 }] }),
      400,
      /unknown feature\(s\): "zz"/,
    ],
    [
      'a thousand unknown record features (listed ten, each cut short)',
      JSON.stringify({
        records: [
          { ...row0(), ...Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`${'k'.repeat(40)}${i}`, 1])) },
        ],
      }),
      400,
      /^records\[0\] has unknown feature\(s\): "k{40}0", .*"k{40}9" and 990 more$/,
    ],
    [
      'a very long unknown name',
      JSON.stringify({ records: [{ ...row0(), ['n'.repeat(500)]: 1 }] }),
      400,
      /: "n{64}…"$/,
    ],
    ['a __proto__ record', `{"records": [{"__proto__": {"x0": 1}}]}`, 400, /"__proto__" is not allowed/],
    ['an unknown field', JSON.stringify({ features: Array(20).fill(0), extra: 1 }), 400, /extra/],
    ['deeply nested arrays', `{"features": ${'['.repeat(5000)}${']'.repeat(5000)}}`, 400, /features\[0\]/],
    ['too large a body', JSON.stringify({ features: Array(40000).fill(0) }), 413, /exceeds the limit of 65536 bytes/],
  ])('when the body has %s, then it answers with the status and names the problem', async (_what, body, status, message) => {
    t.slot.offer(fittedModel());
    const response = await post(body as string);
    expect(response.status).toBe(status);
    expect(response.json.error.message).toMatch(message as RegExp);
  });

  it('when the body is compressed (Content-Encoding gzip), then it answers 415 saying so, on scoring and feedback', async () => {
    t.slot.offer(fittedModel());
    const body = JSON.stringify({ features: Array(20).fill(0) });
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    for (const path of ['/predict', '/invocations', '/feedback']) {
      const response = await call(t.base, 'POST', path, body, headers);
      expect(response.status, path).toBe(415);
      // MLflow's route answers it in plain text, as its other 415; the others in their JSON error shape.
      expect(response.text, path).toMatch(/Content-Encoding gzip is not supported: send the body uncompressed/);
      expect(response.headers.get('content-type'), path).toMatch(
        path === '/invocations' ? /^text\/plain/ : /^application\/json/,
      );
    }
    const identity = await call(t.base, 'POST', '/predict', body, { ...headers, 'content-encoding': 'identity' });
    expect(identity.status).toBe(200);
  });

  it('when a route or method is wrong, then it answers 404 or 405 with Allow', async () => {
    expect((await call(t.base, 'GET', '/nope')).status).toBe(404);
    const wrong = await call(t.base, 'GET', '/predict');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await call(t.base, 'POST', '/health', '{}')).status).toBe(405);
  });
});

describe('GET /model', () => {
  it('when a model is served, then it names it and gives its signature and training record', async () => {
    t.slot.offer(fittedModel({ version: 3 }));
    const { status, json } = await call(t.base, 'GET', '/model');
    expect(status).toBe(200);
    expect(json).toMatchObject({
      name: 'One_Customer_Classifier',
      version: '3',
      alias: 'champion',
      run_id: 'run-3',
      feature_names: FEATURES,
      training: { solver: 'lbfgs', metrics: { accuracy: 0.9 } },
    });
    expect(json.signature.inputs).toHaveLength(20);
    expect(Date.parse(json.loaded_at)).not.toBeNaN();
  });
});

describe('ModelSlot', () => {
  it('when the served version is offered again, then nothing changes; any other version (a rollback too) is swapped in', () => {
    const slot = new ModelSlot();
    expect(slot.offer(fittedModel({ version: 2 }))).toBe(true);
    expect(slot.offer(fittedModel({ version: 2 }))).toBe(false);
    expect(slot.isServing('2')).toBe(true);
    expect(slot.offer(fittedModel({ version: 1 }))).toBe(true);
    expect(slot.model?.version).toBe('1');
    expect(slot.offer(fittedModel({ version: 3 }))).toBe(true);
    expect(slot.isServing('1')).toBe(false);
  });
});

function row0() {
  return Object.fromEntries(FEATURES.map((f) => [f, 0]));
}
