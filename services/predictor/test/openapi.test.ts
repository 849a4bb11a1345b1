import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/entry-points/openapi.js';
import { matchRoute } from '../src/entry-points/routes.js';
import { call, fittedModel, startTestServer, type TestServer, tableModel } from './support/harness.js';

const TABLE_COLUMNS = ['tenure', 'plan', 'seats'];

const doc = buildOpenApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true });
for (const [name, schema] of Object.entries(doc.components.schemas)) {
  ajv.addSchema(schema as object, `#/components/schemas/${name}`);
}
const conforms = (name: string, value: unknown) => {
  const validate = ajv.getSchema(`#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`no schema ${name}`);
  return validate(value) ? [] : (validate.errors ?? []);
};

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ model: fittedModel() });
});
afterAll(async () => {
  await t.close();
});

const row = Array.from({ length: 20 }, (_, j) => j / 7);

describe('the OpenAPI document', () => {
  it('when validated against the OpenAPI 3.1 specification, then it is valid', async () => {
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('when served, then /openapi.json is the same document, the one the /docs page loads', async () => {
    const served = await call(t.base, 'GET', '/openapi.json');
    expect(served.json).toEqual(JSON.parse(JSON.stringify(doc)));
    const page = await call(t.base, 'GET', '/docs');
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect((await call(t.base, 'GET', '/docs/init.js')).text).toContain("new URL('openapi.json', document.baseURI)");
  });

  it('when each documented path is classified, then the router serves it with the documented method', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      const concrete = path.replace('{name}', 'm').replace('{version}', '1');
      for (const method of Object.keys(item).filter((k) => k === 'get' || k === 'post')) {
        const route = matchRoute(method.toUpperCase(), concrete);
        expect(route.endpoint, `${method} ${path}`).toBe(path);
        expect(route.allowed, `${method} ${path}`).toBeUndefined();
      }
    }
  });

  it('when real answers and errors come back, then they conform to the documented response schemas', async () => {
    const predict = await call(t.base, 'POST', '/predict', JSON.stringify({ features: [row] }));
    expect(conforms('PredictResponse', predict.json)).toEqual([]);
    expect(conforms('Error', (await call(t.base, 'POST', '/predict', '[')).json)).toEqual([]);
    const invocations = await call(t.base, 'POST', '/invocations', JSON.stringify({ instances: [row] }));
    expect(conforms('InvocationsResponse', invocations.json)).toEqual([]);
    expect(conforms('MlflowError', (await call(t.base, 'POST', '/invocations', '{}')).json)).toEqual([]);
    const infer = { id: 'a', inputs: [{ name: 'x', shape: [1, 20], datatype: 'FP64', data: row }] };
    const answer = await call(t.base, 'POST', '/v2/models/One_Customer_Classifier/infer', JSON.stringify(infer));
    expect(conforms('InferResponse', answer.json)).toEqual([]);
    expect(conforms('InferError', (await call(t.base, 'POST', '/v2/models/x/infer', '{}')).json)).toEqual([]);
  });

  it('when a model trained on a text target answers /invocations, then its text labels conform to the document', async () => {
    const served = fittedModel({ name: 'Text_Classifier' });
    const text = await startTestServer({ model: { ...served, classLabels: ['stays', 'churns'] } });
    try {
      const answer = await call(text.base, 'POST', '/invocations', JSON.stringify({ instances: [row] }));
      expect(answer.status).toBe(200);
      expect(typeof (answer.json as { predictions: { label: unknown }[] }).predictions[0]?.label).toBe('string');
      expect(conforms('InvocationsResponse', answer.json)).toEqual([]);
    } finally {
      await text.close();
    }
  });

  it('when /invocations refuses a content type with 415, then the document gives that answer as plain text', async () => {
    const refused = await call(t.base, 'POST', '/invocations', 'a=1', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(refused.status).toBe(415);
    expect(refused.headers.get('content-type')).toMatch(/^text\/plain/);
    const documented = doc.paths['/invocations']?.post?.responses as Record<string, { content: object }>;
    expect(Object.keys(documented['415']?.content ?? {})).toEqual(['text/plain']);
  });

  it('when a table model answers requests with text and null cells, then those requests conform to the document', async () => {
    const table = await startTestServer({ model: tableModel() });
    const requests: [string, string, object][] = [
      ['/predict', 'PredictRequest', { records: [{ tenure: 3, plan: 'basic', seats: null }] }],
      ['/invocations', 'InvocationsRequest', { instances: [{ tenure: null, plan: 'basic', seats: 3 }] }],
      ['/invocations', 'InvocationsRequest', { dataframe_split: { columns: TABLE_COLUMNS, data: [[3, null, 2]] } }],
      ['/invocations', 'InvocationsRequest', { dataframe_records: [{ tenure: 3, plan: 'pro', seats: 1 }] }],
      [
        '/v2/models/Table_Classifier/infer',
        'InferRequest',
        {
          inputs: [
            { name: 'tenure', shape: [1], datatype: 'FP64', data: [3] },
            { name: 'plan', shape: [1], datatype: 'BYTES', data: ['plus'] },
            { name: 'seats', shape: [1], datatype: 'FP64', data: [null] },
          ],
        },
      ],
    ];
    try {
      for (const [path, schema, body] of requests) {
        const answer = await call(table.base, 'POST', path, JSON.stringify(body));
        expect(answer.status, `${path} ${answer.text}`).toBe(200);
        expect(conforms(schema, body), `${schema} ${JSON.stringify(body)}`).toEqual([]);
      }
    } finally {
      await table.close();
    }
  });

  it('when a table model gets rows by position, then each protocol answers 400 in its documented error shape naming the columns in order', async () => {
    const table = await startTestServer({ model: tableModel() });
    // A row in the order seats, plan, tenure: by position it would score as tenure 2 and seats 3.5 (an unseen category).
    const row = [2, 'pro', 3.5];
    const refused: [string, string, object, (json: Record<string, unknown>) => unknown][] = [
      ['/predict', 'Error', { features: [row] }, (json) => (json.error as { message: string }).message],
      ['/invocations', 'MlflowError', { instances: [row] }, (json) => json.message],
      ['/invocations', 'MlflowError', { inputs: [row] }, (json) => json.message],
      ['/invocations', 'MlflowError', { dataframe_split: { data: [row] } }, (json) => json.message],
    ];
    try {
      for (const [path, schema, body, message] of refused) {
        const answer = await call(table.base, 'POST', path, JSON.stringify(body));
        expect(answer.status, `${path} ${answer.text}`).toBe(400);
        expect(conforms(schema, answer.json)).toEqual([]);
        expect(message(answer.json)).toMatch(/by name, not by position \(its columns, in order: tenure, plan, seats\)/);
      }
      const csv = await call(table.base, 'POST', '/invocations', '3.5,pro,2\n', { 'content-type': 'text/csv' });
      expect(csv.status).toBe(400);
      expect(csv.json.message).toMatch(/the first line must name the columns \(tenure, plan, seats, in any order\)/);
    } finally {
      await table.close();
    }
  });

  it('when every route is protected and called without a token, then each 401 is documented with its body', async () => {
    const locked = await startTestServer({
      model: fittedModel(),
      auth: { tokens: ['s3cret'], protectHealth: true, protectMetrics: true },
    });
    const open: string[] = [];
    const undocumented: string[] = [];
    try {
      for (const [path, item] of Object.entries(doc.paths)) {
        const concrete = path.replace('{name}', 'One_Customer_Classifier').replace('{version}', '1');
        const operations = Object.entries(item as Record<string, { responses?: object }>);
        for (const [method, operation] of operations.filter(([m]) => m === 'get' || m === 'post')) {
          const answer = await call(locked.base, method.toUpperCase(), concrete, method === 'post' ? '{}' : undefined);
          const documented = Object.keys(operation.responses ?? {});
          if (answer.status !== 401) open.push(`${method} ${path}`);
          else if (!documented.includes('401')) undocumented.push(`${method} ${path}`);
        }
      }
      expect(open).toEqual(['get /openapi.json', 'get /docs', 'get /docs/{asset}']);
      expect(undocumented).toEqual([]);
    } finally {
      await locked.close();
    }
  });

  it('when request bodies are checked against the document, then valid ones pass and broken ones fail', () => {
    expect(conforms('PredictRequest', { features: [row] })).toEqual([]);
    expect(conforms('PredictRequest', { records: [{ x0: 1 }] })).toEqual([]);
    expect(conforms('InvocationsRequest', { dataframe_split: { columns: ['x0'], data: [[1]] } })).toEqual([]);
    expect(conforms('PredictRequest', { features: [[{ a: 1 }]] })).not.toEqual([]);
    expect(conforms('PredictRequest', { features: [[true]] })).not.toEqual([]);
    expect(conforms('PredictRequest', { features: [row], extra: 1 })).not.toEqual([]);
    expect(conforms('InferRequest', { inputs: [] })).not.toEqual([]);
  });

  it('when /feedback is documented, then its body takes labels without client and says the predictor sets client from the bearer token', () => {
    const label = { prediction_id: 'abc-0', label: 1, model: 'One_Customer_Classifier' };
    expect(conforms('FeedbackRequest', label)).toEqual([]);
    expect(conforms('FeedbackRequest', [label, { ...label, label: 'yes' }])).toEqual([]);
    expect(conforms('FeedbackRequest', { ...label, client: '0123456789abcdef' })).not.toEqual([]);
    expect(conforms('FeedbackRequest', [{ ...label, client: '0123456789abcdef' }])).not.toEqual([]);
    const schema = doc.components.schemas.FeedbackRequest as { description?: string };
    expect(schema.description).toMatch(/PREDICTOR_AUTH_TOKENS/);
    expect(schema.description).toMatch(/sets `client` itself is refused \(400\)/);
    const answers = doc.paths['/feedback']?.post?.responses as Record<string, { description: string }>;
    expect(answers['404']?.description).toMatch(/scored with another token is answered as unknown/);
    expect(answers['400']?.description).toMatch(/sets `client`/);
  });
});
