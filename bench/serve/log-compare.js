// `--log-compare` (issue 13): the predictor with its prediction log on against the same predictor with it off, both
// running at once and measured in alternation (on then off, then off then on, …) so that the load of a shared machine
// falls on both sides alike.
import { checkAgreement, probeRows } from './data.js';
import { startPredictor, startPredictorLogOff } from './servers.js';

/** Sums and medians of one side's rounds: req/s and rows/s over all measured seconds, median p50 and p99. */
function combine(rounds) {
  const sum = (key) => rounds.reduce((total, r) => total + r[key], 0);
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? null;
  const durationS = sum('durationS');
  const logs = rounds.map((r) => r.predictionLog).filter((l) => l !== undefined);
  const predictionLog = Object.fromEntries(
    ['requests', 'published', 'rows', 'bufferFull', 'publishFailed', 'tooLarge', 'dropped'].map((k) => [
      k,
      logs.reduce((total, l) => total + l[k], 0),
    ]),
  );
  predictionLog.drainMs = Math.max(0, ...logs.map((l) => l.drainMs));
  return {
    connections: rounds[0].connections,
    rows: rounds[0].rows,
    durationS,
    requestsPerS: sum('ok') / durationS,
    rowsPerS: (sum('ok') * rounds[0].rows) / durationS,
    latencyMs: { p50: median(rounds.map((r) => r.latencyMs.p50)), p99: median(rounds.map((r) => r.latencyMs.p99)) },
    failed: sum('failed'),
    errors: sum('errors'),
    non2xx: sum('non2xx'),
    predictionLog,
    perRound: rounds.map((r) => ({ requestsPerS: r.requestsPerS, rowsPerS: r.rowsPerS, p99: r.latencyMs.p99 })),
  };
}

/**
 * Starts both predictors, checks that they score like ours, then measures each scenario `ctx.rounds` times per side
 * in alternation and adds one combined result per (scenario, side) to `results`.
 */
export async function compareLog(ctx, results, { scenarios, measureScenario, log }) {
  const sides = [];
  try {
    sides.push(await startPredictor(ctx), await startPredictorLogOff(ctx));
    for (const side of sides) await checkAgreement(side, ctx.weights, probeRows(ctx.weights));
    log(`bench:serve: log on ${sides[0].base}, log off ${sides[1].base}; ${ctx.rounds} alternating rounds`);
    for (const scenario of scenarios(ctx)) {
      const rounds = new Map(sides.map((side) => [side.name, []]));
      for (let round = 0; round < ctx.rounds; round++) {
        const order = round % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) rounds.get(side.name).push(await measureScenario(ctx, side, scenario));
      }
      for (const side of sides) {
        const combined = combine(rounds.get(side.name));
        results.push({ server: side.name, family: side.name, scenario: scenario.name, agreement: 0, ...combined });
      }
    }
  } catch (error) {
    log(`bench:serve: log comparison FAILED: ${error.stack ?? error}`);
    results.push({ server: 'predictor', family: 'predictor', scenario: '-', error: String(error.message) });
  } finally {
    for (const side of sides) await side.stop();
  }
}
