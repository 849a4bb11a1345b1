// Model swaps under load: single-row load on the predictor while the pipeline registers new versions in turn.
import { setTimeout as sleep } from 'node:timers/promises';
import { startLoad, summarise } from './load.js';

/** GET /model of the predictor: the served name and version. */
async function servedModel(base) {
  const response = await fetch(`${base}/model`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`GET /model answered ${response.status}`);
  return await response.json();
}

/** Polls GET /model until the predictor serves `version`; resolves with the wait in ms. */
async function untilServed(base, version, budgetMs = 60_000) {
  const started = performance.now();
  while (performance.now() - started < budgetMs) {
    if ((await servedModel(base)).version === version) return performance.now() - started;
    await sleep(20);
  }
  throw new Error(`the predictor did not serve version ${version} within ${budgetMs} ms`);
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
 * (the tracker publishes each `model.registered`; the predictor hot-reloads), waiting after each until GET /model
 * serves it. Goal: no failed or non-2xx request, and the served version advanced by `swaps`.
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
      const event = await stack.tune({ C: [2 ** (i % 2 === 0 ? i / 2 : -(i + 1) / 2)], solver: ['lbfgs'] });
      const registeredMs = performance.now() - started;
      const reloadMs = await untilServed(predictor.base, event.version);
      timeline.push({ version: event.version, registeredMs, servedAfterRegistrationMs: reloadMs });
      log(
        `  swap ${i}/${swaps}: v${event.version} registered in ${registeredMs.toFixed(0)} ms, served ${reloadMs.toFixed(0)} ms later`,
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
    before: before.version,
    after: after.version,
    advanced,
    timeline,
    responsesByVersion: seen,
    ...result,
  };
}
