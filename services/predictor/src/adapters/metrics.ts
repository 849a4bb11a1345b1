import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The predictor's Prometheus metrics, on their own registry (one per app, so tests can build several). */
export interface PredictorMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly duration: Histogram<'route' | 'method' | 'status'>;
  readonly inFlight: Gauge;
  readonly predictions: Counter<'class'>;
  readonly rows: Counter;
  readonly inferSuccess: Counter<'model_name' | 'model_version'>;
  readonly inferFailure: Counter<'model_name' | 'model_version'>;
  readonly modelInfo: Gauge<'model_name' | 'model_version' | 'alias'>;
  readonly reloads: Counter;
  readonly reloadFailures: Counter;
}

/** Builds the metrics, named after peer conventions (seconds, `_total` counters, model identity as labels). */
export function createPredictorMetrics(): PredictorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'predictor_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'predictor_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    duration: new Histogram({
      name: 'predictor_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    inFlight: new Gauge({ name: 'predictor_requests_in_progress', help: 'HTTP requests being served', registers }),
    predictions: new Counter({
      name: 'predictor_predictions_total',
      help: 'Scored rows by predicted class',
      labelNames: ['class'],
      registers,
    }),
    rows: new Counter({ name: 'predictor_rows_scored_total', help: 'Rows scored', registers }),
    inferSuccess: new Counter({
      name: 'model_infer_request_success',
      help: 'Successful scoring requests',
      labelNames: ['model_name', 'model_version'],
      registers,
    }),
    inferFailure: new Counter({
      name: 'model_infer_request_failure',
      help: 'Failed scoring requests',
      labelNames: ['model_name', 'model_version'],
      registers,
    }),
    modelInfo: new Gauge({
      name: 'predictor_model_info',
      help: 'The served model (1 = served)',
      labelNames: ['model_name', 'model_version', 'alias'],
      registers,
    }),
    reloads: new Counter({ name: 'predictor_model_reloads_total', help: 'Models loaded and swapped in', registers }),
    reloadFailures: new Counter({
      name: 'predictor_model_reload_failures_total',
      help: 'Model loads that failed (old model kept)',
      registers,
    }),
  };
}
