import { watchEvents } from '@mlops/bus';
import { STREAMS, SUBJECTS } from '@mlops/contracts';
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

describe('fault: nats-server restarts in the middle of a tuning', () => {
  it('when nats-server is SIGKILLed while trainer and tracker are busy and restarted on its store, then the tuning ends cleanly', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const completed = new Set<string>();
    watchEvents(stack.client, SUBJECTS.runCompleted, ({ data }) => completed.add(data.trial_id));
    // 30 000 rows: the trainer is still fitting when the server goes away, and the tracker is behind it.
    const tuning = await stack.tune({ dataset: { kind: 'synthetic', n_samples: 30_000 } });
    const started = Date.now();
    await until('5 trials completed', () => (completed.size >= 5 ? true : undefined), 60_000, 10);
    await stack.restartNats(2000);
    const atRestart = { published: completed.size, ...(await trialProgress(stack, tuning.tuningId)) };
    expect(atRestart.published).toBeLessThan(tuning.trialCount);
    expect(atRestart.recorded).toBeLessThan(tuning.trialCount);

    const champion = await expectCleanOutcome(stack, tuning);
    const stored = await stack.storedPerSubject(STREAMS.tuningEvents.name);
    expect(stored[SUBJECTS.runCompleted]).toBe(tuning.trialCount);
    expect(stored[SUBJECTS.tuningCompleted]).toBe(1);
    expect(await stack.storedPerSubject(STREAMS.models.name)).toEqual({ [SUBJECTS.modelRegistered]: 1 });
    console.info(
      `nats-server SIGKILL + 2 s down at ${atRestart.published} trials published, ${atRestart.recorded} recorded: champion v${champion.version} after ${Date.now() - started} ms`,
    );
  }, 300_000);
});
