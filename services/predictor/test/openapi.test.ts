import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/entry-points/openapi.js';
import { matchRoute } from '../src/entry-points/routes.js';
import { call, fittedModel, startTestServer, type TestServer } from './support/harness.js';

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

  it('when request bodies are checked against the document, then valid ones pass and broken ones fail', () => {
    expect(conforms('PredictRequest', { features: [row] })).toEqual([]);
    expect(conforms('PredictRequest', { records: [{ x0: 1 }] })).toEqual([]);
    expect(conforms('InvocationsRequest', { dataframe_split: { columns: ['x0'], data: [[1]] } })).toEqual([]);
    expect(conforms('PredictRequest', { features: [['a']] })).not.toEqual([]);
    expect(conforms('PredictRequest', { features: [row], extra: 1 })).not.toEqual([]);
    expect(conforms('InferRequest', { inputs: [] })).not.toEqual([]);
  });
});
