// Model swaps under load: single-row load on the predictor while the pipeline registers new versions in turn.
import { setTimeout as sleep } from 'node:timers/promises';
import { startLoad, summarise } from './load.js';

/** GET /model of the predictor: the served name and version. */
async function servedModel(base) {
  const response = await fetch(`${base}/model`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`GET /model answered ${response.status}`);
  return await response.json();
}

/** How many workers serve each version: `predictor_model_info`, summed over the workers by GET /metrics. */
async function workersByVersion(base) {
  const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  const served = {};
  for (const m of (await response.text()).matchAll(
    /^predictor_model_info\{[^}]*model_version="([^"]+)"[^}]*\} (\S+)$/gm,
  )) {
    served[m[1]] = Number(m[2]);
  }
  return served;
}

/** `{"1": 1, "2": 1}` as `v1×1 v2×1`. */
function describeServed(served) {
  return Object.entries(served)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([version, n]) => `v${version}×${n}`)
    .join(' ');
}

/**
 * Polls GET /metrics until all `workers` serve `version`; resolves with the wait until the first and until every
 * worker served it (ms), and each distinct state seen on the way (`v1×2 → v1×1 v2×1 → v2×2`).
 */
async function untilServed(base, version, workers, budgetMs = 60_000) {
  const started = performance.now();
  const states = [];
  let firstMs = null;
  while (performance.now() - started < budgetMs) {
    const served = await workersByVersion(base);
    const state = describeServed(served);
    if (states.at(-1) !== state) states.push(state);
    if (firstMs === null && (served[version] ?? 0) > 0) firstMs = performance.now() - started;
    if (served[version] === workers && Object.keys(served).length === 1) {
      return { firstMs, everyMs: performance.now() - started, states };
    }
    await sleep(20);
  }
  throw new Error(`not every worker served version ${version} within ${budgetMs} ms (${states.join(' → ')})`);
}

/** Counts the versions named in the predictor's answers (`"version":"N"`), to show the swaps from the client side. */
function versionCounter(seen) {
  return (text) => {
    const version = /"version":"(\d+)"/.exec(text)?.[1] ?? 'unnamed';
    seen[version] = (seen[version] ?? 0) + 1;
    return true;
  };
}

/**
 * Loads the predictor with single-row requests at `connections` while `swaps` tunings register versions in turn
 * (the tracker publishes each `model.registered`; every worker hot-reloads), waiting after each until every worker
 * serves it (GET /metrics). Goals: no failed or non-2xx request, the served version advanced by `swaps`, every worker
 * serving each new version within 2 s.
 */
export async function swapUnderLoad({ predictor, stack, body, connections, swaps, settleS, log }) {
  const before = await servedModel(predictor.base);
  const latencies = [];
  const seen = {};
  const load = startLoad({
    url: predictor.url,
    body,
    connections,
    durationS: 3600,
    onResponse: (ms) => latencies.push(ms),
    verifyBody: versionCounter(seen),
  });
  const timeline = [];
  try {
    await sleep(settleS * 1000);
    for (let i = 1; i <= swaps; i++) {
      const started = performance.now();
      const event = await stack.tuneAndPromote({ C: [2 ** (i % 2 === 0 ? i / 2 : -(i + 1) / 2)], solver: ['lbfgs'] });
      const registeredMs = performance.now() - started;
      const served = await untilServed(predictor.base, event.version, predictor.workers);
      timeline.push({
        version: event.version,
        byGate: event.promoted,
        registeredMs,
        servedAfterRegistrationMs: served.firstMs,
        everyWorkerAfterRegistrationMs: served.everyMs,
        workerStates: served.states,
      });
      log(
        `  swap ${i}/${swaps}: v${event.version} registered in ${registeredMs.toFixed(0)} ms, served by a worker ` +
          `${served.firstMs.toFixed(0)} ms later, by all ${predictor.workers} ${served.everyMs.toFixed(0)} ms later ` +
          `(${served.states.join(' → ')})`,
      );
    }
    await sleep(settleS * 1000);
  } finally {
    load.instance.stop();
  }
  const result = summarise(await load.done, latencies, 1);
  const after = await servedModel(predictor.base);
  const advanced = Number(after.version) - Number(before.version);
  return {
    connections,
    swaps,
    workers: predictor.workers,
    before: before.version,
    after: after.version,
    advanced,
    timeline,
    responsesByVersion: seen,
    ...result,
  };
}
