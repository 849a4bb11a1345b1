import { request } from 'node:http';
import { LogisticRegression } from '@mlops/ml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, fittedModel, startTestServer, type TestServer } from './support/harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ model: fittedModel({ features: 3, name: 'clf' }), maxBodyBytes: 64 * 1024, maxRows: 50 });
});
afterAll(async () => {
  await t.close();
});

/** Sends raw bytes (no client-side JSON encoding), answering status, content type and body. */
function send(path: string, body: Buffer | string, contentType = 'application/json') {
  const { port } = new URL(t.base);
  return new Promise<{ status: number; type: string; text: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': contentType } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const row = '[0.1, 0.2, 0.3]';
const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const PREDICT: readonly (readonly [string, string | Buffer])[] = [
  ['empty body', ''],
  ['whitespace', '   \n'],
  ['truncated object', '{"features": [[0.1, 0.2'],
  ['truncated string', '{"features'],
  ['trailing comma', `{"features": [${row},]}`],
  ['single quotes', "{'features': [[1,2,3]]}"],
  ['comments', `{"features": [${row}] /* c */}`],
  ['NaN literal', '{"features": [[NaN, 1, 2]]}'],
  ['Infinity literal', '{"features": [[Infinity, 1, 2]]}'],
  ['huge exponent', '{"features": [[1e999, 1, 2]]}'],
  ['negative huge exponent overflow', '{"features": [[-1e999, 1, 2]]}'],
  ['number as string', '{"features": [["1", 2, 3]]}'],
  ['boolean value', '{"features": [[true, 2, 3]]}'],
  ['null value', '{"features": [[null, 2, 3]]}'],
  ['object value', '{"features": [[{}, 2, 3]]}'],
  ['too few values', '{"features": [[1, 2]]}'],
  ['too many values', '{"features": [[1, 2, 3, 4]]}'],
  ['ragged rows', `{"features": [${row}, [1]]}`],
  ['rows mixed with numbers', `{"features": [${row}, 1]}`],
  ['empty rows', '{"features": [[]]}'],
  ['empty batch', '{"features": []}'],
  ['features not an array', '{"features": 5}'],
  ['features a string', '{"features": "1,2,3"}'],
  ['features an object', '{"features": {"x0": 1}}'],
  ['top-level array', `[${row}]`],
  ['top-level string', '"features"'],
  ['top-level number', '42'],
  ['top-level null', 'null'],
  ['both shapes', `{"features": [${row}], "records": []}`],
  ['neither shape', '{"rows": [[1, 2, 3]]}'],
  ['unknown extra field', `{"features": [${row}], "debug": true}`],
  ['__proto__ field', `{"features": [${row}], "__proto__": {"polluted": 1}}`],
  ['__proto__ record', '{"records": [{"__proto__": {"x0": 1}}]}'],
  ['__proto__ beside every feature', '{"records": [{"__proto__": "", "x0": 1, "x1": 1, "x2": 1}]}'],
  ['escaped __proto__ key', '{"records": [{"\\u005f_proto__": 1, "x0": 1, "x1": 1, "x2": 1}]}'],
  ['constructor record', '{"records": [{"constructor": 1, "x0": 1, "x1": 1, "x2": 1}]}'],
  ['records not objects', '{"records": [[1, 2, 3]]}'],
  ['record missing feature', '{"records": [{"x0": 1, "x1": 2}]}'],
  ['record string value', '{"records": [{"x0": "1", "x1": 2, "x2": 3}]}'],
  ['record null', '{"records": [null]}'],
  ['deep nesting 100', `{"features": ${nested(100)}}`],
  ['deep nesting 100k', `{"features": ${nested(100_000)}}`],
  ['too many rows', `{"features": [${Array(51).fill(row).join(',')}]}`],
  ['body over the byte limit', `{"features": [${Array(6000).fill(row).join(',')}]}`],
  ['very long key', `{"${'k'.repeat(20_000)}": 1}`],
  ['duplicate keys', `{"features": [${row}], "features": "x"}`],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
  ['UTF-16 with BOM', Buffer.from(`\ufeff{"features": [${row}]}`, 'utf16le')],
  ['latin-1 key', Buffer.from('{"f\xe9atures": [[1,2,3]]}', 'latin1')],
  ['NUL bytes', Buffer.from([0x00, 0x00, 0x00])],
  ['lone surrogate key', '{"\\ud800": 1}'],
  ['hex number', '{"features": [[0x10, 1, 2]]}'],
  ['leading plus', '{"features": [[+1, 1, 2]]}'],
];

const INVOCATIONS: readonly (readonly [string, string, string?])[] = [
  ['no input field', '{"params": {}}'],
  ['two input fields', `{"instances": [${row}], "inputs": [${row}]}`],
  ['dataframe_split without data', '{"dataframe_split": {"columns": ["x0", "x1", "x2"]}}'],
  ['dataframe_split missing column', '{"dataframe_split": {"columns": ["x0"], "data": [[1]]}}'],
  ['dataframe_split short row', '{"dataframe_split": {"columns": ["x0", "x1", "x2"], "data": [[1, 2]]}}'],
  ['dataframe_records with strings', '{"dataframe_records": [{"x0": "a", "x1": 1, "x2": 2}]}'],
  ['instances mixing records and rows', `{"instances": [${row}, {"x0": 1, "x1": 2, "x2": 3}]}`],
  ['inputs columns of unequal length', '{"inputs": {"x0": [1, 2], "x1": [1], "x2": [1, 2]}}'],
  ['inputs column missing', '{"inputs": {"x0": [1], "x1": [1]}}'],
  ['params not an object', `{"instances": [${row}], "params": 3}`],
  ['CSV with a text cell', 'x0,x1,x2\n1,abc,3\n', 'text/csv'],
  ['CSV with a hexadecimal number', 'x0,x1,x2\n1,0x10,3\n', 'text/csv'],
  ['CSV with a binary number', 'x0,x1,x2\n1,0b1,3\n', 'text/csv'],
  ['CSV with an octal number', 'x0,x1,x2\n1,0o7,3\n', 'text/csv'],
  ['CSV without the header', '1,2,3\n', 'text/csv'],
  ['CSV empty', '', 'text/csv'],
  ['XML body', '<rows/>', 'application/xml'],
  ['form body', 'x0=1&x1=2', 'application/x-www-form-urlencoded'],
  ['JSON with another charset', `{"instances": [${row}]}`, 'application/json; charset=latin1'],
];

const INFER: readonly (readonly [string, string])[] = [
  ['no inputs', '{}'],
  ['inputs empty', '{"inputs": []}'],
  [
    'two tensors',
    '{"inputs": [{"name": "a", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}, {"name": "b", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}]}',
  ],
  ['BYTES tensor', '{"inputs": [{"name": "a", "shape": [1, 3], "datatype": "BYTES", "data": ["a", "b", "c"]}]}'],
  ['shape rank 3', '{"inputs": [{"name": "a", "shape": [1, 1, 3], "datatype": "FP64", "data": [1, 2, 3]}]}'],
  ['negative shape', '{"inputs": [{"name": "a", "shape": [-1, 3], "datatype": "FP64", "data": [1, 2, 3]}]}'],
  ['data longer than shape', '{"inputs": [{"name": "a", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3, 4]}]}'],
  ['id a number', '{"id": 1, "inputs": [{"name": "a", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}]}'],
];

describe('a corpus of malformed prediction bodies', () => {
  it(`has at least 50 cases (${PREDICT.length + INVOCATIONS.length + INFER.length})`, () => {
    expect(PREDICT.length + INVOCATIONS.length + INFER.length).toBeGreaterThanOrEqual(50);
  });

  it.each(
    PREDICT.map(([name, body]) => [name, body] as const),
  )('when /predict gets %s, then a 4xx explains it', async (_name, body) => {
    const answer = await send('/predict', body);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(JSON.parse(answer.text).error.message.length).toBeGreaterThan(10);
  });

  it.each(
    INVOCATIONS.map(([name, body, type]) => [name, body, type] as const),
  )('when /invocations gets %s, then a 4xx explains it', async (_name, body, type) => {
    const answer = await send('/invocations', body, type);
    expect([400, 413, 415]).toContain(answer.status);
    // Like MLflow's scoring server: an unsupported content type (415) is explained in plain text, the rest as JSON.
    const unsupportedType = answer.status === 415;
    const explanation = unsupportedType ? answer.text : JSON.parse(answer.text).error_code;
    expect(explanation).toMatch(unsupportedType ? /^This predictor only supports .*content types/ : /^[A-Z_]+$/);
  });

  it.each(
    INFER.map(([name, body]) => [name, body] as const),
  )('when OIP infer gets %s, then a 4xx explains it', async (_name, body) => {
    const answer = await send('/v2/models/clf/infer', body);
    expect(answer.status).toBe(400);
    expect(typeof JSON.parse(answer.text).error).toBe('string');
  });

  it('when finite values make the decision value overflow to NaN, then every protocol refuses the row with 400', async () => {
    const model = LogisticRegression.fromState({ classes: [0, 1], coef: [2, -2, 0], intercept: 0 });
    const huge = await startTestServer({ model: { ...fittedModel({ features: 3, name: 'clf' }), model } });
    try {
      const rows = [
        [1, 2, 3],
        [1e308, 1e308, 0],
      ];
      const answer = await call(huge.base, 'POST', '/predict', JSON.stringify({ features: rows }));
      expect(answer.status).toBe(400);
      expect(answer.json.error.message).toMatch(/row 1: the values are too large to score/);
      expect((await call(huge.base, 'POST', '/invocations', JSON.stringify({ instances: rows }))).status).toBe(400);
    } finally {
      await huge.close();
    }
  });

  it('when the corpus has been sent, then the predictor still scores good requests and nothing was polluted', async () => {
    const answer = await send('/predict', `{"features": [${row}]}`);
    expect(answer.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('numbers beyond a float64 (1e999 parses as Infinity)', () => {
  it('when a value is ±Infinity, then every JSON protocol names it as not finite, not as "expected number, received number"', async () => {
    for (const [path, body, field] of [
      ['/predict', '{"features": [[0.1, 1e999, 2]]}', 'features[0][1]'],
      ['/predict', '{"records": [{"x0": 1, "x1": -1e999, "x2": 2}]}', 'records[0].x1'],
      ['/invocations', '{"instances": [[0.1, 1e999, 2]]}', 'instances[0][1]'],
    ] as const) {
      const answer = await send(path, body);
      expect(answer.status).toBe(400);
      expect(answer.text).toContain(field);
      expect(answer.text).toMatch(/must be a finite number, got -?Infinity/);
      expect(answer.text).not.toContain('received number');
    }
  });
});

describe('bad percent-escapes in the path', () => {
  it('when a read path holds a malformed escape, then the answer is a 400 in the usual JSON shape, with no stack', async () => {
    for (const path of ['/v2/models/%E0%A4%A/ready', '/v2/models/%E0%A4%A', '/docs/%E0', '/docs/%']) {
      const answer = await call(t.base, 'GET', path);
      expect(answer.status, path).toBe(400);
      expect(answer.headers.get('content-type'), path).toMatch(/^application\/json/);
      expect(answer.json?.error?.code, path).toBe('BAD_REQUEST');
      expect(answer.text, path).not.toMatch(/\bat |node_modules|\/work\/|<html|<pre/i);
    }
    expect((await call(t.base, 'GET', '/v2/models/clf/ready')).status).toBe(200);
  });
});

describe('bodies not declared as JSON', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ model: fittedModel() });
  });
  afterAll(async () => t.close());
  const row = JSON.stringify({ features: Array(20).fill(0) });
  const infer = JSON.stringify({
    inputs: [{ name: 'input-0', shape: [1, 20], datatype: 'FP64', data: Array(20).fill(0) }],
  });
  const routes = [
    ['/predict', row, 200],
    ['/v2/models/One_Customer_Classifier/infer', infer, 200],
    ['/feedback', JSON.stringify({ prediction_id: 'x-0', label: 1 }), 503],
  ] as const;

  it.each(
    routes.flatMap(([path, body]) =>
      [
        'text/plain',
        'text/plain;charset=UTF-8',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
      ].map((type) => [path, type, body] as const),
    ),
  )('when %s gets a %s body (a web page can send one cross-origin unasked), then 415 names the type to send', async (path, type, body) => {
    const answer = await call(t.base, 'POST', path, body, { 'content-type': type });
    expect(answer.status).toBe(415);
    expect(answer.text).toContain(`Content-Type ${type} is not read here: send JSON as application/json`);
  });

  it.each(
    routes.flatMap(([path, body]) =>
      [
        'application/json; charset=latin1',
        'application/json;charset="ISO-8859-1"',
        'application/json; charset=utf-16',
      ].map((type) => [path, type, body] as const),
    ),
  )('when %s gets JSON declared as %s, then 415 says JSON is read as UTF-8 only (its bytes would be read wrongly)', async (path, type, body) => {
    const answer = await call(t.base, 'POST', path, body, { 'content-type': type });
    expect(answer.status).toBe(415);
    expect(answer.text).toContain('is not read here: JSON is read as UTF-8 only');
  });

  it.each(
    routes.flatMap(([path, body, status]) =>
      ['application/json; charset=UTF-8', 'application/json;charset="utf8"', 'application/json; charset=us-ascii'].map(
        (type) => [path, type, body, status] as const,
      ),
    ),
  )('when %s gets JSON declared as %s, then it is read', async (path, type, body, status) => {
    expect((await call(t.base, 'POST', path, body, { 'content-type': type })).status).toBe(status);
  });

  it.each(
    routes,
  )("when a page of another site posts to %s (no Content-Type needed), then 403; the same site's own page is served", async (path, body, status) => {
    for (const site of ['cross-site', 'same-site']) {
      const refused = await call(t.base, 'POST', path, body, {
        'content-type': 'application/json',
        'sec-fetch-site': site,
      });
      expect(refused.status, site).toBe(403);
      // Each route's own error shape: Open Inference's { error: message } on /v2/…/infer.
      expect(refused.json.error.code ?? refused.json.error, site).toMatch(/^FORBIDDEN$|Sec-Fetch-Site/);
    }
    const own = await call(t.base, 'POST', path, body, {
      'content-type': 'application/json',
      'sec-fetch-site': 'same-origin',
    });
    expect(own.status).toBe(status);
  });

  it.each(
    routes,
  )('when %s gets JSON declared as such or not declared at all, then it is read', async (path, body, status) => {
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/vnd.api+json',
    ]) {
      expect((await call(t.base, 'POST', path, body, { 'content-type': type })).status, type).toBe(status);
    }
    const bare = await new Promise<number>((resolve, reject) => {
      const { hostname, port } = new URL(t.base);
      const req = request(
        { hostname, port, path, method: 'POST', headers: { 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(bare, 'no Content-Type').toBe(status);
  });
});
