import { MAX_TRIALS, STREAMS, SUBJECTS } from '@mlops/contracts';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { expectCleanOutcome, waitForChampion } from './support/outcome.js';
import { FaultStack } from './support/stack.js';

const TRIALS = 500;
let stack: FaultStack;

beforeAll(async () => {
  stack = await FaultStack.start({ mlflowUri: inject('mlflowTrackingUri') });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('load: a tuning of 500 trials through trainer, tracker and MLflow', () => {
  it('when 250 C values × 2 solvers are tuned, then 500 child runs are logged, none lost, none twice', async () => {
    onTestFailed(() => console.error(stack.logs()));
    expect(TRIALS).toBeLessThanOrEqual(MAX_TRIALS);
    const C = Array.from({ length: TRIALS / 2 }, (_, i) =>
      Number((10 ** (-3 + (6 * i) / (TRIALS / 2 - 1))).toPrecision(6)),
    );
    const started = Date.now();
    const tuning = await stack.tune({ grid: { C, solver: ['liblinear', 'lbfgs'] } });
    expect(tuning.trialCount).toBe(TRIALS);
    await waitForChampion(stack, tuning.tuningId, 600_000);
    const seconds = (Date.now() - started) / 1000;
    const champion = await expectCleanOutcome(stack, tuning);
    const stored = await stack.storedPerSubject(STREAMS.tuningEvents.name);
    expect(stored[SUBJECTS.runCompleted]).toBe(TRIALS);
    console.info(
      `500-trial tuning: champion v${champion.version}, ${TRIALS} child runs in ${seconds.toFixed(1)} s = ${(TRIALS / seconds).toFixed(2)} runs/s logged by the tracker (request to registration)`,
    );
  }, 900_000);
});
