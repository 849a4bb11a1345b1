import { watchEvents } from '@mlops/bus';
import { SUBJECTS } from '@mlops/contracts';
import { until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { expectCleanOutcome, expectEventsStoredOnce } from './support/outcome.js';
import { FaultStack } from './support/stack.js';

let stack: FaultStack;

beforeAll(async () => {
  stack = await FaultStack.start({ mlflowUri: inject('mlflowTrackingUri') });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('fault: the trainer crashes in the middle of a tuning', () => {
  it('when the trainer is SIGKILLed after a few trials and restarted, then unfinished trials are redone and finished ones are logged once', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const completed = new Set<string>();
    let tuningCompleted = false;
    watchEvents(stack.client, SUBJECTS.runCompleted, ({ data }) => completed.add(data.trial_id));
    watchEvents(stack.client, SUBJECTS.tuningCompleted, () => {
      tuningCompleted = true;
    });
    // 30 000 rows: about 0.1 s per trial, so the kill lands between the first and the last trial.
    const tuning = await stack.tune({ dataset: { kind: 'synthetic', n_samples: 30_000 } });
    const started = Date.now();
    await until('5 trials completed', () => (completed.size >= 5 ? true : undefined), 60_000, 10);
    await stack.killService('trainer');
    const completedAtKill = completed.size;
    expect(completedAtKill).toBeLessThan(tuning.trialCount);
    expect(tuningCompleted).toBe(false);

    await stack.startService('trainer');
    const champion = await expectCleanOutcome(stack, tuning);
    expect(completed.size).toBe(tuning.trialCount);
    await expectEventsStoredOnce(stack, tuning);
    console.info(
      `trainer SIGKILL after ${completedAtKill}/${tuning.trialCount} trials: champion v${champion.version} after ${Date.now() - started} ms`,
    );
  }, 300_000);
});
