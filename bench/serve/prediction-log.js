// The predictor's prediction-log counters around one measurement (`--log-compare`): requests answered, messages
// published to JetStream, and requests whose message was dropped, by reason.

const sample = (name, labels = '') => new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm');
const COUNTERS = {
  requests: sample('predictor_requests_total', '{endpoint="/predict",status="200"}'),
  published: sample('predictor_prediction_log_published_total'),
  rows: sample('predictor_prediction_log_rows_published_total'),
  bufferFull: sample('predictor_prediction_log_dropped_total', '{reason="buffer_full"}'),
  publishFailed: sample('predictor_prediction_log_dropped_total', '{reason="publish_failed"}'),
  tooLarge: sample('predictor_prediction_log_dropped_total', '{reason="too_large"}'),
};
const QUEUED = sample('predictor_prediction_log_queue_requests');
const IN_FLIGHT = sample('predictor_prediction_log_in_flight');

const read = (text, pattern) => Number(pattern.exec(text)?.[1] ?? 0);

/** The counters now, from the server's /metrics (0 for any it does not have). */
export async function readLogCounters(server) {
  const text = await server.metrics();
  return Object.fromEntries(Object.entries(COUNTERS).map(([key, pattern]) => [key, read(text, pattern)]));
}

/**
 * Waits (at most `budgetMs`) until the log holds nothing more (queue and in-flight empty), then returns what the
 * counters moved by since `before`, and how long the wait took (the publisher's lag behind the load).
 */
export async function logDelta(server, before, budgetMs = 30_000) {
  const started = Date.now();
  for (;;) {
    const text = await server.metrics();
    const idle = read(text, QUEUED) === 0 && read(text, IN_FLIGHT) === 0;
    if (idle || Date.now() - started > budgetMs) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const drainMs = Date.now() - started;
  const after = await readLogCounters(server);
  const delta = Object.fromEntries(Object.keys(COUNTERS).map((key) => [key, after[key] - before[key]]));
  return { ...delta, dropped: delta.bufferFull + delta.publishFailed + delta.tooLarge, drainMs };
}
