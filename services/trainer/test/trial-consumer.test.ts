import { expandGrid, parseTuneRequest, type TrialRequested } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import type { TrainerBus } from '../src/domain/ports.js';
import { TrialGivenUpError, tallyOfMarks } from '../src/domain/trial-tally.js';
import { startTrialConsumer, type TrialExecutor } from '../src/entry-points/trials.js';

// The trial handler's error paths with its ports stubbed (what NATS does with each outcome is the bus's, tested
// against a real nats-server in the bus and in trial-queue.component.test.ts).

type Handler = Parameters<TrainerBus['consumeTrials']>[0];

const logger = createLogger({ service: 'trial-consumer-test', level: 'silent' });

function trialOf(): TrialRequested['data'] {
  const parsed = parseTuneRequest({ tuning_id: 'tun-x', grid: { C: [1], solver: 'lbfgs' } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const request = parsed.request;
  return {
    tuning_id: 'tun-x',
    trial_id: 'tun-x-000',
    trial_index: 0,
    trial_count: 1,
    params: expandGrid(request.grid)[0]!,
    request,
    requested_at: new Date().toISOString(),
  };
}

/** The handler the entry point registers, with the subjects it published and whether publishing run.failed throws. */
function handlerWith(options: { failedPublishThrows: boolean }) {
  const published: string[] = [];
  let handler: Handler | undefined;
  const bus = {
    publishEvent: async (subject: string) => {
      if (subject === 'run.failed' && options.failedPublishThrows) throw new Error('NATS is not reachable');
      published.push(subject);
    },
    consumeTrials: (handle: Handler) => {
      handler = handle;
      return { stop: async () => undefined };
    },
    tallies: { record: async (_t: string, count: number, index: number) => tallyOfMarks(count, [`${index}-f`]) },
  } as unknown as TrainerBus;
  const executor: TrialExecutor = {
    run: async () => {
      throw new Error('the trial thread died');
    },
    holdout: async () => undefined as never,
  };
  startTrialConsumer(bus, executor, 1, logger);
  if (handler === undefined) throw new Error('no handler registered');
  return { handle: handler, published };
}

describe('the trial handler when a fit fails', () => {
  it('when fit attempts are left, then the fit error is thrown for a retry and no outcome is published', async () => {
    const { handle, published } = handlerWith({ failedPublishThrows: false });
    await expect(handle(trialOf(), { lastAttempt: false })).rejects.toThrow('the trial thread died');
    expect(published).toEqual(['run.started']);
  });

  it('when it was the last fit attempt, then run.failed and tuning.completed go out and TrialGivenUpError dead-letters it', async () => {
    const { handle, published } = handlerWith({ failedPublishThrows: false });
    const error = await handle(trialOf(), { lastAttempt: true }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TrialGivenUpError);
    expect((error as Error).message).toMatch(/the trial could not run: the trial thread died/);
    expect(published).toEqual(['run.started', 'run.failed', 'tuning.completed']);
  });

  it('when the last attempt cannot publish its failure (NATS down), then that error is thrown, to be retried, not dead-lettered', async () => {
    const { handle } = handlerWith({ failedPublishThrows: true });
    const error = await handle(trialOf(), { lastAttempt: true }).catch((err: unknown) => err);
    expect(error).not.toBeInstanceOf(TrialGivenUpError);
    expect((error as Error).message).toBe('NATS is not reachable');
  });
});
