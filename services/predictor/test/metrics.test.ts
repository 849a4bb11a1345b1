import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from './support/exposition.js';
import { call, fittedModel, startTestServer, type TestServer } from './support/harness.js';

let t: TestServer;
const row = Array.from({ length: 20 }, (_, j) => j - 10);

beforeAll(async () => {
  t = await startTestServer({ model: fittedModel({ version: 2 }), maxRows: 5 });
  t.metrics.modelLoaded(fittedModel({ version: 2 }));
});
afterAll(async () => {
  await t.close();
});

describe('GET /metrics', () => {
  it('when requests are served, then counts, latency, rows and classes are exposed in a clean exposition', async () => {
    await call(t.base, 'POST', '/predict', JSON.stringify({ features: [row, row, row] }));
    await call(t.base, 'POST', '/invocations', JSON.stringify({ instances: [row] }));
    await call(t.base, 'POST', '/predict', JSON.stringify({ features: [[1]] }));
    await call(t.base, 'POST', '/predict', JSON.stringify({ features: Array(6).fill(row) }));
    const { status, headers, text } = await call(t.base, 'GET', '/metrics');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]\w*="[^"]*",?)*\})? -?[0-9.e+-]+|NaN|[+-]Inf$/);
    }
    expect(sample(text, 'predictor_requests_total', { endpoint: '/predict', status: '200' })).toBe(1);
    expect(sample(text, 'predictor_requests_total', { endpoint: '/predict', status: '400' })).toBe(1);
    expect(sample(text, 'predictor_requests_total', { endpoint: '/predict', status: '413' })).toBe(1);
    expect(sample(text, 'predictor_requests_total', { endpoint: '/invocations', status: '200' })).toBe(1);
    expect(sample(text, 'predictor_request_duration_seconds_count', { endpoint: '/predict', status: '200' })).toBe(1);
    expect(sample(text, 'predictor_rows_scored_total')).toBe(4);
    const byClass = ['0', '1'].map((c) => sample(text, 'predictor_predictions_total', { class: c }) ?? 0);
    expect(byClass[0]! + byClass[1]!).toBe(4);
    const model = { model_name: 'One_Customer_Classifier', model_version: '2' };
    expect(sample(text, 'model_infer_request_success', model)).toBe(2);
    expect(sample(text, 'model_infer_request_failure', model)).toBe(2);
    expect(sample(text, 'predictor_model_info', { ...model, alias: 'champion' })).toBe(1);
    expect(sample(text, 'predictor_model_reloads_total')).toBe(1);
    expect(sample(text, 'predictor_requests_in_progress')).toBe(1);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('when another model is loaded, then the info gauge names only the new one', async () => {
    t.metrics.modelLoaded(fittedModel({ version: 3 }));
    t.metrics.modelLoadFailed();
    const { text } = await call(t.base, 'GET', '/metrics');
    expect(sample(text, 'predictor_model_info', { model_version: '2' })).toBeUndefined();
    expect(sample(text, 'predictor_model_info', { model_version: '3' })).toBe(1);
    expect(sample(text, 'predictor_model_reload_failures_total')).toBe(1);
  });

  it('when the model has text labels, then predictions are counted by them, as /predict answers', async () => {
    const labelled = await startTestServer({
      model: { ...fittedModel({ version: 4 }), classLabels: ['stays', 'churns'] },
    });
    try {
      const answer = await call(labelled.base, 'POST', '/predict', JSON.stringify({ features: [row, row] }));
      const { predictions } = answer.json as { predictions: string[] };
      const { text } = await call(labelled.base, 'GET', '/metrics');
      for (const label of ['stays', 'churns']) {
        const count = predictions.filter((p) => p === label).length;
        expect(sample(text, 'predictor_predictions_total', { class: label }) ?? 0, label).toBe(count);
      }
      expect(sample(text, 'predictor_predictions_total', { class: '0' })).toBeUndefined();
      expect(sample(text, 'predictor_predictions_total', { class: '1' })).toBeUndefined();
    } finally {
      await labelled.close();
    }
  });

  it('when unknown paths are probed, then they share one label instead of growing the series', async () => {
    await call(t.base, 'GET', '/a');
    await call(t.base, 'GET', '/b');
    const { text } = await call(t.base, 'GET', '/metrics');
    expect(sample(text, 'predictor_requests_total', { endpoint: 'unmatched', status: '404' })).toBe(2);
    expect(text).not.toContain('endpoint="/a"');
  });
});
