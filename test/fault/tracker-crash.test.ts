import { until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { expectCleanOutcome, trialProgress } from './support/outcome.js';
import { FaultStack } from './support/stack.js';

let stack: FaultStack;

beforeAll(async () => {
  stack = await FaultStack.start({ mlflowUri: inject('mlflowTrackingUri') });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('fault: the tracker crashes in the middle of a tuning', () => {
  it('when the tracker is SIGKILLed half-way through logging a trial and restarted, then the tuning ends cleanly, nothing twice', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const tuning = await stack.tune();
    const started = Date.now();
    // Kill while a trial's LoggedModel exists but the trial is not recorded yet: its event is in flight.
    const atKill = await until(
      'a trial half-way through logging',
      async () => {
        const progress = await trialProgress(stack, tuning.tuningId);
        return progress.recorded >= 3 && progress.halfway > 0 ? progress : undefined;
      },
      60_000,
      20,
    );
    await stack.killService('tracker');
    expect(atKill.recorded).toBeLessThan(tuning.trialCount);
    await stack.startService('tracker');
    const champion = await expectCleanOutcome(stack, tuning);
    console.info(
      `tracker SIGKILL at ${atKill.recorded}/${tuning.trialCount} trials, one half-way: champion v${champion.version} after ${Date.now() - started} ms`,
    );
  }, 300_000);
});
