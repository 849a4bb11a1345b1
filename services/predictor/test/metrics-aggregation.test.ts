import { describe, expect, it } from 'vitest';
import { createPredictorMetrics } from '../src/adapters/metrics.js';
import { aggregateMetrics } from '../src/adapters/metrics-aggregation.js';
import { sample } from './support/exposition.js';
import { call, fittedModel, startTestServer } from './support/harness.js';

const model = { name: 'One_Customer_Classifier', version: '3', alias: 'champion' };

/** A worker's metrics after `requests` answered scoring requests of `rows` rows each. */
function workerMetrics(requests: number, rows: number, served = model) {
  const metrics = createPredictorMetrics();
  metrics.modelLoaded(served);
  for (let i = 0; i < requests; i++) {
    metrics.startRequest('/predict')(200);
    metrics.countScored(served, rows, 1, [0, 1]);
  }
  metrics.logPublished(requests, requests * rows);
  return metrics;
}

describe('aggregateMetrics', () => {
  it('when two workers served requests, then counters and histograms are their sums and each version counts its workers', async () => {
    const a = workerMetrics(3, 2);
    const b = workerMetrics(5, 4);
    const text = await aggregateMetrics([await a.registry.getMetricsAsJSON(), await b.registry.getMetricsAsJSON()]);

    expect(sample(text, 'predictor_requests_total', { endpoint: '/predict', status: '200' })).toBe(8);
    expect(sample(text, 'predictor_request_duration_seconds_count', { endpoint: '/predict', status: '200' })).toBe(8);
    expect(sample(text, 'predictor_request_duration_seconds_bucket', { le: '+Inf', status: '200' })).toBe(8);
    expect(sample(text, 'predictor_rows_scored_total')).toBe(3 * 2 + 5 * 4);
    expect(sample(text, 'model_infer_request_success', { model_version: '3' })).toBe(8);
    expect(sample(text, 'predictor_prediction_log_published_total')).toBe(8);
    expect(sample(text, 'predictor_prediction_log_dropped_total', { reason: 'buffer_full' })).toBe(0);
    expect(sample(text, 'predictor_model_info', { model_version: '3' })).toBe(2);
    expect(sample(text, 'predictor_model_reloads_total')).toBe(2);
    expect(sample(text, 'nodejs_version_info')).toBe(1);
    expect(sample(text, 'process_start_time_seconds')).toBeUndefined();
    // A per-process limit is one process's, not the sum of the workers'.
    const own = sample(await a.registry.metrics(), 'process_max_fds');
    expect(own).toBeGreaterThan(0);
    expect(sample(text, 'process_max_fds')).toBe(own);
  });

  it('when the workers serve different versions mid-swap, then the info gauge says how many serve each', async () => {
    const old = workerMetrics(1, 1, { ...model, version: '2' });
    const swapped = workerMetrics(1, 1);
    const text = await aggregateMetrics([
      await old.registry.getMetricsAsJSON(),
      await swapped.registry.getMetricsAsJSON(),
    ]);

    expect(sample(text, 'predictor_model_info', { model_version: '2' })).toBe(1);
    expect(sample(text, 'predictor_model_info', { model_version: '3' })).toBe(1);
  });
});

describe('GET /metrics of a worker', () => {
  it('when the primary sums the workers, then the worker answers that sum rather than its own metrics', async () => {
    const other = workerMetrics(4, 1);
    const t = await startTestServer({
      model: fittedModel({ version: 3 }),
      worker: {
        requestIdPrefix: 'AAAAAAAAAAAA1_',
        exposition: async () =>
          aggregateMetrics([await t.metrics.registry.getMetricsAsJSON(), await other.registry.getMetricsAsJSON()]),
      },
    });
    try {
      await call(t.base, 'POST', '/predict', JSON.stringify({ features: [Array(20).fill(0.5)] }));
      const { status, text } = await call(t.base, 'GET', '/metrics');

      expect(status).toBe(200);
      expect(sample(text, 'predictor_requests_total', { endpoint: '/predict', status: '200' })).toBe(5);
    } finally {
      await t.close();
    }
  });

  it('when the primary cannot answer, then /metrics answers 503 rather than one worker’s share', async () => {
    const t = await startTestServer({
      model: fittedModel({ version: 3 }),
      worker: { requestIdPrefix: 'AAAAAAAAAAAA1_', exposition: () => Promise.reject(new Error('no answer')) },
    });
    try {
      const { status, json } = await call(t.base, 'GET', '/metrics');

      expect(status).toBe(503);
      expect(json.error.code).toBe('METRICS_UNAVAILABLE');
    } finally {
      await t.close();
    }
  });
});
