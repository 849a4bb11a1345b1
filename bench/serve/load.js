// Load generation with autocannon's programmatic API, with latencies kept at sub-millisecond resolution.
import autocannon from 'autocannon';

/**
 * autocannon 9 keeps the request it wrote on a connection the server then closed (`Connection: close`, as gunicorn's
 * sync workers answer) in its queue, so each later response is timed from an ever older start (seconds after a few
 * thousand requests). Without pipelining, a reconnect means nothing pending will be answered: dropping the queue
 * then times each request from its own write, connection set-up included.
 */
function timeFromReconnect(client) {
  const connect = client._connect;
  if (typeof connect !== 'function' || typeof client.pipelinedRequests?.clear !== 'function') return;
  client._connect = function reconnect() {
    this.pipelinedRequests.clear();
    return connect.call(this);
  };
}

/**
 * Starts one autocannon run against `url` (POST `body`); `onResponse(ms, statusCode)` sees every response.
 * Returns the instance (`stop()` ends it early) and a promise of autocannon's result.
 */
export function startLoad({ url, body, connections, durationS, onResponse, verifyBody }) {
  let instance;
  const done = new Promise((resolve, reject) => {
    instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections,
        duration: durationS,
        timeout: 10,
        setupClient: timeFromReconnect,
        ...(verifyBody === undefined ? {} : { verifyBody }),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  // autocannon's own histogram keeps whole milliseconds; the response event carries the exact time.
  if (onResponse !== undefined) instance.on('response', (_client, status, _bytes, ms) => onResponse(ms, status));
  return { instance, done };
}

/** The q-quantile (0..1) of ascending `sorted`, nearest rank. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Throughput, latency and failures of one run; `rows` = rows per request. */
export function summarise(result, latencies, rows) {
  const sorted = Float64Array.from(latencies).sort();
  const ok = result['2xx'];
  return {
    durationS: result.duration,
    requests: result.requests.total,
    ok,
    requestsPerS: ok / result.duration,
    rowsPerS: (ok * rows) / result.duration,
    latencyMs: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? null },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
    failed: result.errors + result.non2xx + result.mismatches,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
  };
}

/** Warms the server up for `warmupS` seconds, then measures `durationS` seconds at the same load. */
export async function measure({ url, body, connections, durationS, warmupS, rows }) {
  if (warmupS > 0) await startLoad({ url, body, connections, durationS: warmupS }).done;
  const latencies = [];
  const result = await startLoad({ url, body, connections, durationS, onResponse: (ms) => latencies.push(ms) }).done;
  return { connections, rows, ...summarise(result, latencies, rows) };
}
