import { watchEvents } from '@mlops/bus';
import { SUBJECTS } from '@mlops/contracts';
import { until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { expectCleanOutcome, expectEventsStoredOnce } from './support/outcome.js';
import { FaultStack } from './support/stack.js';

let stack: FaultStack;

beforeAll(async () => {
  stack = await FaultStack.start({ mlflowUri: inject('mlflowTrackingUri') });
  await stack.startTrainerReplica('trainer-b');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('fault: one of two trainer replicas dies in the middle of a tuning', () => {
  it('when a replica is SIGKILLed mid-tuning, then the other finishes every trial, each logged once, one version registered', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const completedBy = new Map<string, string>();
    watchEvents(stack.client, SUBJECTS.runCompleted, (event) => completedBy.set(event.data.trial_id, event.source));
    // 30 000 rows: about 0.1 s per trial and thread, so the kill lands between the first and the last trial.
    const tuning = await stack.tune({ dataset: { kind: 'synthetic', n_samples: 30_000 } });
    const started = Date.now();
    await until('5 trials completed', () => (completedBy.size >= 5 ? true : undefined), 60_000, 10);
    await stack.killService('trainer');
    const completedAtKill = completedBy.size;
    expect(completedAtKill).toBeLessThan(tuning.trialCount);

    const champion = await expectCleanOutcome(stack, tuning);
    expect(completedBy.size).toBe(tuning.trialCount);
    const survivors = [...completedBy.values()].filter((source) => source === 'mlops/trainer-b');
    expect(survivors.length).toBeGreaterThanOrEqual(tuning.trialCount - completedAtKill);
    await expectEventsStoredOnce(stack, tuning);
    console.info(
      `replica SIGKILL after ${completedAtKill}/${tuning.trialCount} trials: the other ran ${survivors.length}; champion v${champion.version} after ${Date.now() - started} ms`,
    );
  }, 300_000);
});
