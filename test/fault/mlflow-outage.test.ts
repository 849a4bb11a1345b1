import { CONSUMERS, STREAMS } from '@mlops/contracts';
import { until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { expectCleanOutcome, trialProgress } from './support/outcome.js';
import { FaultStack } from './support/stack.js';

const OUTAGE_MS = 30_000;
let stack: FaultStack;

beforeAll(async () => {
  stack = await FaultStack.start();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('fault: MLflow is down for 30 s in the middle of a tuning', () => {
  it('when MLflow stops after a few trials and comes back on the same port and store, then the tracker backs off and finishes, nothing lost', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const tuning = await stack.tune();
    const started = Date.now();
    const atStop = await until(
      '3 trials recorded',
      async () => {
        const progress = await trialProgress(stack, tuning.tuningId);
        return progress.recorded >= 3 ? progress : undefined;
      },
      60_000,
      20,
    );
    await stack.stopMlflow();
    const stopped = Date.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const holds = countLines(stack.services.get('tracker')!.output(), 'MLflow unavailable: holding the event');
    await stack.startMlflow();
    const down = Date.now() - stopped;
    expect(atStop.recorded).toBeLessThan(tuning.trialCount);
    expect(holds, 'the tracker held its event while MLflow was down').toBeGreaterThan(0);
    expect(stack.services.get('tracker')?.exited()).toBeUndefined();

    const champion = await expectCleanOutcome(stack, tuning);
    const { delivered } = await stack.consumerInfo(STREAMS.tuningEvents.name, CONSUMERS.trackerEvents);
    expect(delivered.consumer_seq, 'no event was delivered twice: the outage cost no delivery').toBe(
      delivered.stream_seq,
    );
    console.info(
      `MLflow down ${down} ms after ${atStop.recorded}/${tuning.trialCount} trials (${holds} holds logged): champion v${champion.version} after ${Date.now() - started} ms`,
    );
  }, 300_000);
});

function countLines(text: string, needle: string): number {
  return text.split('\n').filter((line) => line.includes(needle)).length;
}
