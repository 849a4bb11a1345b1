import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelIdentity, ScoringMetrics } from '../domain/ports.js';

/** Why a request's `prediction.logged` message was not published (the label of the drop counter). */
export type LogDropReason = 'buffer_full' | 'publish_failed' | 'too_large' | 'shutdown';

/** Every drop reason, so each counter exists (at 0) from the start. */
export const LOG_DROP_REASONS: readonly LogDropReason[] = ['buffer_full', 'publish_failed', 'too_large', 'shutdown'];

/** What the prediction log holds right now, read when /metrics is scraped. */
export interface LogQueueState {
  readonly requests: number;
  readonly bytes: number;
  readonly inFlight: number;
}

/** What the prediction log counts (adapters/prediction-log.ts). */
export interface PredictionLogMetrics {
  /** One message stored by JetStream, with its rows. */
  logPublished(requests: number, rows: number): void;
  /** Requests whose message was dropped, and why. */
  logDropped(reason: LogDropReason, requests: number): void;
  /** Where the queue gauges read from. */
  watchLogQueue(read: () => LogQueueState): void;
}

/** The predictor's Prometheus metrics, on their own registry (one per predictor, so tests can run several). */
export interface PredictorMetrics extends ScoringMetrics, PredictionLogMetrics {
  readonly registry: Registry;
  /** Called when a request starts; the returned function records its end with the status sent. */
  startRequest(endpoint: string): (status: number) => void;
  /** Counts a scoring call that failed (bad input, no model, error) for the served model, if any. */
  countFailed(model: ModelIdentity | undefined): void;
  /** Records a model swapped in: the info gauge names it alone. */
  modelLoaded(model: ModelIdentity): void;
  /** Records a failed model load (the previous model keeps serving). */
  modelLoadFailed(): void;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Builds the metrics, named after the peers' conventions (seconds, `_total` counters, model identity as labels). */
export function createPredictorMetrics(): PredictorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({
    name: 'predictor_requests_total',
    help: 'HTTP requests by endpoint and status',
    labelNames: ['endpoint', 'status'],
    registers,
  });
  const duration = new Histogram({
    name: 'predictor_request_duration_seconds',
    help: 'HTTP request latency by endpoint and status',
    labelNames: ['endpoint', 'status'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const inFlight = new Gauge({ name: 'predictor_requests_in_progress', help: 'HTTP requests being served', registers });
  const predictions = new Counter({
    name: 'predictor_predictions_total',
    help: 'Scored rows by predicted class',
    labelNames: ['class'],
    registers,
  });
  const rows = new Counter({ name: 'predictor_rows_scored_total', help: 'Rows scored', registers });
  const modelLabels = ['model_name', 'model_version'] as const;
  const success = new Counter({
    name: 'model_infer_request_success',
    help: 'Scoring requests answered with predictions, by model',
    labelNames: modelLabels,
    registers,
  });
  const failure = new Counter({
    name: 'model_infer_request_failure',
    help: 'Scoring requests that failed, by model',
    labelNames: modelLabels,
    registers,
  });
  const info = new Gauge({
    name: 'predictor_model_info',
    help: 'The served model: 1 for the version being served (summed over the workers: how many serve it)',
    labelNames: ['model_name', 'model_version', 'alias'],
    registers,
  });
  const reloads = new Counter({
    name: 'predictor_model_reloads_total',
    help: 'Models loaded and swapped in',
    registers,
  });
  const reloadFailures = new Counter({
    name: 'predictor_model_reload_failures_total',
    help: 'Model loads that failed (the previous model kept serving)',
    registers,
  });
  const log = predictionLogMetrics(registers);
  const recorders = new Map<string, { count: Counter.Internal; time: Histogram.Internal<string> }>();
  const recorder = (endpoint: string, status: number) => {
    const key = `${endpoint} ${status}`;
    let found = recorders.get(key);
    if (found === undefined) {
      const labels = { endpoint, status: String(status) };
      found = { count: requests.labels(labels), time: duration.labels(labels) };
      recorders.set(key, found);
    }
    return found;
  };
  return {
    registry,
    startRequest(endpoint) {
      const started = process.hrtime.bigint();
      inFlight.inc();
      return (status) => {
        inFlight.dec();
        const { count, time } = recorder(endpoint, status);
        count.inc();
        time.observe(Number(process.hrtime.bigint() - started) / 1e9);
      };
    },
    countScored(model, scored, positives, classes) {
      rows.inc(scored);
      if (positives > 0) predictions.inc({ class: String(classes[1]) }, positives);
      if (scored > positives) predictions.inc({ class: String(classes[0]) }, scored - positives);
      success.inc({ model_name: model.name, model_version: model.version });
    },
    countFailed(model) {
      if (model !== undefined) failure.inc({ model_name: model.name, model_version: model.version });
    },
    modelLoaded(model) {
      info.reset();
      info.set({ model_name: model.name, model_version: model.version, alias: model.alias }, 1);
      reloads.inc();
    },
    modelLoadFailed() {
      reloadFailures.inc();
    },
    ...log,
  };
}

/** The prediction log's counters and queue gauges. */
function predictionLogMetrics(registers: Registry[]): PredictionLogMetrics {
  let queue: () => LogQueueState = () => ({ requests: 0, bytes: 0, inFlight: 0 });
  const published = new Counter({
    name: 'predictor_prediction_log_published_total',
    help: 'Logged requests stored by JetStream (requests waiting together share one prediction.logged message)',
    registers,
  });
  const rows = new Counter({
    name: 'predictor_prediction_log_rows_published_total',
    help: 'Rows in the published prediction.logged messages',
    registers,
  });
  const dropped = new Counter({
    name: 'predictor_prediction_log_dropped_total',
    help: 'Logged requests whose prediction.logged message was dropped, by reason',
    labelNames: ['reason'],
    registers,
  });
  const drops = new Map(LOG_DROP_REASONS.map((reason) => [reason, dropped.labels({ reason })]));
  for (const child of drops.values()) child.inc(0);
  const gauge = (name: string, help: string, read: (state: LogQueueState) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(queue()));
      },
    });
  gauge('predictor_prediction_log_queue_requests', 'Requests waiting in the prediction log buffer', (q) => q.requests);
  gauge('predictor_prediction_log_queue_bytes', 'Bytes the waiting requests hold (the buffer bound)', (q) => q.bytes);
  gauge('predictor_prediction_log_in_flight', 'prediction.logged messages awaiting their ack', (q) => q.inFlight);
  return {
    logPublished(requests, count) {
      published.inc(requests);
      rows.inc(count);
    },
    logDropped(reason, requests) {
      drops.get(reason)?.inc(requests);
    },
    watchLogQueue(read) {
      queue = read;
    },
  };
}
