import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/entry-points/openapi.js';
import { call, fittedModel, startTestServer, type TestServer } from './support/harness.js';

const WIDTH = 3;
const FEATURES = ['x0', 'x1', 'x2'];
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ model: fittedModel({ features: WIDTH, name: 'clf' }), maxRows: 20 });
});
afterAll(async () => {
  await t.close();
});

const ajv = new Ajv2020({ strict: false });
const doc = buildOpenApiDocument();
for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema as object, name);
const documented = (name: string, body: unknown) => ajv.validate(name, body);
// The document's first alternative of a request is a numeric model's (the second, a table model's raw columns).
const { anyOf } = doc.components.schemas.PredictRequest as { anyOf: object[] };
ajv.addSchema(anyOf[0] as object, 'PredictRequest for numeric features');

/** Numbers, including the ones JSON cannot carry and those zod must refuse after parsing. */
const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constant(1e308));
const value = fc.oneof({ weight: 6, arbitrary: number }, fc.string(), fc.boolean(), fc.constant(null));
const rowOf = (width: fc.Arbitrary<number>) => width.chain((n) => fc.array(value, { minLength: n, maxLength: n }));
const row = rowOf(fc.oneof({ weight: 4, arbitrary: fc.constant(WIDTH) }, fc.nat(5)));
const record = fc.dictionary(
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FEATURES) }, fc.string(), fc.constant('__proto__')),
  value,
);
const rows = fc.array(row, { maxLength: 25 });

const predictBody = fc.oneof(
  fc.record({ features: fc.oneof(rows, row) }),
  fc.record({ records: fc.array(record, { maxLength: 25 }) }),
  fc.jsonValue(),
);
const invocationsBody = fc.oneof(
  fc.record({ dataframe_split: fc.record({ columns: fc.shuffledSubarray(FEATURES), data: rows }) }),
  fc.record({ dataframe_records: fc.array(record, { maxLength: 25 }) }),
  fc.record({ instances: rows }),
  fc.record({ inputs: fc.oneof(rows, fc.dictionary(fc.constantFrom(...FEATURES), fc.array(value, { maxLength: 5 }))) }),
  fc.jsonValue(),
);
const inferBody = fc.oneof(
  fc.record(
    {
      id: fc.oneof(fc.string(), fc.integer()),
      inputs: fc.array(
        fc.record({
          name: fc.string(),
          shape: fc.array(fc.integer({ min: -1, max: 25 }), { maxLength: 3 }),
          datatype: fc.constantFrom('FP64', 'FP32', 'INT64', 'BOOL', 'BYTES'),
          data: fc.oneof(fc.array(value, { maxLength: 80 }), rows),
        }),
        { maxLength: 2 },
      ),
    },
    { requiredKeys: ['inputs'] },
  ),
  fc.jsonValue(),
);

const fits = (values: unknown): boolean => Array.isArray(values) && values.length === WIDTH;

/** Would a well-behaved server score this /predict body? Documented shape, the model's width, within limits. */
function scorable(body: unknown): boolean {
  if (!documented('PredictRequest for numeric features', body)) return false;
  const { features, records } = body as { features?: unknown[]; records?: Record<string, unknown>[] };
  if (records !== undefined) {
    return (
      records.length > 0 &&
      records.length <= 20 &&
      records.every((r) => Object.keys(r).sort().join() === FEATURES.join())
    );
  }
  const list = features as unknown[];
  const matrix = list.length > 0 && list.every((v) => typeof v === 'number') ? [list] : list;
  return matrix.length > 0 && matrix.length <= 20 && matrix.every(fits) && (matrix as number[][]).every(overflowsNot);
}

/** The model's own decision value is a number (huge finite inputs can make it NaN, which the server refuses). */
function overflowsNot(row: number[]): boolean {
  const model = t.slot.model?.model;
  return (
    model !== undefined &&
    !Number.isNaN(model.decisionFunction({ rows: 1, cols: WIDTH, data: Float64Array.from(row) })[0])
  );
}

const post = (path: string, body: unknown) => call(t.base, 'POST', path, JSON.stringify(body));

describe('fuzzing the scoring routes against the OpenAPI document', () => {
  it('when /predict gets generated bodies, then it never answers 5xx, and scores exactly the documented, well-sized ones', async () => {
    await fc.assert(
      fc.asyncProperty(predictBody, async (body) => {
        const { status } = await post('/predict', body);
        expect(status).toBeLessThan(500);
        expect(status === 200).toBe(scorable(body));
      }),
      { numRuns: 300 },
    );
  });

  it('when /invocations gets generated bodies, then it never answers 5xx, and a 200 is always a documented body', async () => {
    await fc.assert(
      fc.asyncProperty(invocationsBody, async (body) => {
        const { status, json } = await post('/invocations', body);
        expect(status).toBeLessThan(500);
        expect(status !== 200 || documented('InvocationsRequest', body)).toBe(true);
        expect(status !== 200 || documented('InvocationsResponse', json)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('when OIP infer gets generated bodies, then it never answers 5xx, and a 200 is always a documented body', async () => {
    await fc.assert(
      fc.asyncProperty(inferBody, async (body) => {
        const { status, json } = await post('/v2/models/clf/infer', body);
        expect(status).toBeLessThan(500);
        expect(status !== 200 || documented('InferRequest', body)).toBe(true);
        expect(status !== 200 || documented('InferResponse', json)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('when raw text is posted to any scoring route, then it never answers 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }),
        fc.constantFrom('/predict', '/invocations', '/v2/models/clf/infer'),
        async (text, path) => {
          const { status } = await call(t.base, 'POST', path, text);
          expect(status).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
  });
});
