import { expandGrid, parseTuneRequest, type TrialRequested } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { TrialTimeoutError } from '../src/adapters/trial-threads.js';
import { UnusableDataError } from '../src/domain/data-source.js';
import type { TrainerBus } from '../src/domain/ports.js';
import { TrialGivenUpError, tallyOfMarks } from '../src/domain/trial-tally.js';
import { startTrialConsumer, type TrialExecutor } from '../src/entry-points/trials.js';

// The trial handler's error paths with its ports stubbed (what NATS does with each outcome is the bus's, tested
// against a real nats-server in the bus and in trial-queue.component.test.ts).

type Handler = Parameters<TrainerBus['consumeTrials']>[0];

const logger = createLogger({ service: 'trial-consumer-test', level: 'silent' });
const delivery = (lastAttempt: boolean) => ({ lastAttempt, signal: new AbortController().signal });

function trialOf(index = 0, count = 1): TrialRequested['data'] {
  const parsed = parseTuneRequest({ tuning_id: 'tun-x', grid: { C: [1], solver: 'lbfgs' } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const request = parsed.request;
  return {
    tuning_id: 'tun-x',
    trial_id: `tun-x-00${index}`,
    trial_index: index,
    trial_count: count,
    params: expandGrid(request.grid)[0]!,
    request,
    requested_at: new Date().toISOString(),
  };
}

/** The handler the entry point registers, the subjects it published, and how many run.failed publishes fail first. */
function handlerWith(options: {
  failedPublishFailures: number;
  startedPublishFailures?: number;
  onFailure?: () => void;
  holdout?: TrialExecutor['holdout'];
  run?: TrialExecutor['run'];
  /** The tally's marks before the handler runs (none: every trial pending); a thrown error when it cannot be read. */
  recordedMarks?: readonly string[] | Error;
}) {
  const published: string[] = [];
  const data = new Map<string, unknown>();
  const failures = { 'run.failed': 0, 'run.started': 0 };
  const allowed = { 'run.failed': options.failedPublishFailures, 'run.started': options.startedPublishFailures ?? 0 };
  let handler: Handler | undefined;
  const marksBefore = () => {
    if (options.recordedMarks instanceof Error) throw options.recordedMarks;
    return options.recordedMarks ?? [];
  };
  const bus = {
    publishEvent: async (subject: string, body: unknown) => {
      if ((subject === 'run.failed' || subject === 'run.started') && failures[subject] < allowed[subject]) {
        failures[subject]++;
        options.onFailure?.();
        throw new Error('NATS is not reachable');
      }
      published.push(subject);
      data.set(subject, body);
    },
    storeHoldout: async () => {
      throw new Error('no holdout in these tests is cut');
    },
    consumeTrials: (handle: Handler) => {
      handler = handle;
      return { stop: async () => undefined };
    },
    // Every record sees the whole tuning accounted for: as two trials ending side by side on one replica can.
    tallies: {
      tally: async (_t: string, count: number) => tallyOfMarks(count, marksBefore()),
      completed: async (_t: string, index: number) => marksBefore().includes(`${index}-c`),
      markClosed: async () => {
        published.push('(marked closed)');
      },
      record: async (_t: string, count: number) =>
        tallyOfMarks(
          count,
          Array.from({ length: count }, (_, i) => `${i}-f`),
        ),
    },
  } as unknown as TrainerBus;
  const executor: TrialExecutor = {
    run:
      options.run ??
      (async () => {
        throw new Error('the trial thread died');
      }),
    holdout: options.holdout ?? (async () => undefined as never),
  };
  startTrialConsumer(bus, executor, 1, logger);
  if (handler === undefined) throw new Error('no handler registered');
  return { handle: handler, published, data };
}

describe('the trial handler when a fit fails', () => {
  it('when fit attempts are left, then the fit error is thrown for a retry and no outcome is published', async () => {
    const { handle, published } = handlerWith({ failedPublishFailures: 0 });
    await expect(handle(trialOf(), delivery(false))).rejects.toThrow('the trial thread died');
    expect(published).toEqual(['run.started']);
  });

  it('when it was the last fit attempt, then run.failed and tuning.completed go out and TrialGivenUpError dead-letters it', async () => {
    const { handle, published } = handlerWith({ failedPublishFailures: 0 });
    const error = await handle(trialOf(), delivery(true)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TrialGivenUpError);
    expect((error as Error).message).toMatch(/the trial could not run: the trial thread died/);
    expect(published).toEqual(['run.started', 'run.failed', 'tuning.completed', '(marked closed)']);
  });

  it('when this replica alone cannot read the data, then the trial is retried (not dead-lettered) until its last attempt', async () => {
    const unreadable = () => {
      throw new UnusableDataError('dataset "a.csv": cannot be read on this replica (ENOENT)', {
        readableElsewhere: true,
      });
    };
    const early = handlerWith({ failedPublishFailures: 0, run: async () => unreadable() });
    const retried = await early.handle(trialOf(), delivery(false)).catch((err: unknown) => err);
    expect([retried instanceof UnusableDataError, retried instanceof TrialGivenUpError]).toEqual([false, false]);
    expect((retried as Error).message).toMatch(/not readable on this replica: .*ENOENT/);
    expect(early.published).toEqual(['run.started']);
    const last = handlerWith({ failedPublishFailures: 0, run: async () => unreadable() });
    expect(await last.handle(trialOf(), delivery(true)).catch((err: unknown) => err)).toBeInstanceOf(TrialGivenUpError);
    expect(last.published).toEqual(['run.started', 'run.failed', 'tuning.completed', '(marked closed)']);
  });

  it('when a fit ran past the time limit, then it is recorded as failed at once, not tried again', async () => {
    const { handle, published, data } = handlerWith({
      failedPublishFailures: 0,
      run: async (trial) => {
        throw new TrialTimeoutError(trial.trial_id, trial.tuning_id, 'run', 3_600_000);
      },
    });
    const error = await handle(trialOf(), delivery(false)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TrialGivenUpError);
    expect(published).toEqual(['run.started', 'run.failed', 'tuning.completed', '(marked closed)']);
    expect(data.get('run.failed')).toMatchObject({
      reason: expect.stringMatching(/the trial could not run: .* ran past the trial time limit of 3600 s/),
    });
  });

  it('when the last attempt cannot publish its failure at first (NATS down), then it retries until it is recorded', async () => {
    const { handle, published } = handlerWith({ failedPublishFailures: 1 });
    const error = await handle(trialOf(), delivery(true)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TrialGivenUpError);
    expect(published).toEqual(['run.started', 'run.failed', 'tuning.completed', '(marked closed)']);
  });

  it('when run.started cannot be published at first on the last attempt, then it is retried and the trial still ends accounted for', async () => {
    const { handle, published } = handlerWith({ failedPublishFailures: 0, startedPublishFailures: 1 });
    const error = await handle(trialOf(), delivery(true)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TrialGivenUpError);
    expect(published).toEqual(['run.started', 'run.failed', 'tuning.completed', '(marked closed)']);
  });

  it('when the holdout cannot be built at first (its thread died), then it is built again and tuning.completed carries it', async () => {
    const carried = { feature_names: ['x0'], rows: [[1]], labels: [1 as const] };
    const holdout = { carried, testRows: 1 };
    let calls = 0;
    const { handle, data } = handlerWith({
      failedPublishFailures: 0,
      holdout: async () => {
        calls++;
        if (calls === 1) throw new Error('the trial thread died');
        return holdout;
      },
    });
    await handle(trialOf(), delivery(true)).catch(() => undefined);
    expect(calls).toBe(2);
    expect(data.get('tuning.completed')).toMatchObject({ holdout: carried, test_rows: 1 });
  });

  it('when two trials of a tuning both see it complete, then this replica publishes tuning.completed once', async () => {
    const { handle, published } = handlerWith({ failedPublishFailures: 0 });
    await Promise.allSettled([handle(trialOf(0, 2), delivery(true)), handle(trialOf(1, 2), delivery(true))]);
    expect(published.filter((subject) => subject === 'tuning.completed')).toHaveLength(1);
    expect(published.filter((subject) => subject === 'run.failed')).toHaveLength(2);
  });

  it('when the consumer stops while NATS is still down, then the publish error is thrown (redelivered, not dead-lettered)', async () => {
    const stopping = new AbortController();
    const { handle, published } = handlerWith({ failedPublishFailures: 1000, onFailure: () => stopping.abort() });
    const error = await handle(trialOf(), { lastAttempt: true, signal: stopping.signal }).catch((err: unknown) => err);
    expect(error).not.toBeInstanceOf(TrialGivenUpError);
    expect((error as Error).message).toBe('NATS is not reachable');
    expect(published).toEqual(['run.started']);
  });
});

describe('the trial handler when the trial is already accounted for', () => {
  const fitted = { outcome: { ok: true }, datasetDigest: 'd' } as never;

  it('when its completion is recorded (a copy delivered again), then it is not fitted and nothing is published', async () => {
    let fits = 0;
    const run = async () => {
      fits++;
      return fitted;
    };
    const { handle, published } = handlerWith({ failedPublishFailures: 0, run, recordedMarks: ['0-c'] });
    await handle(trialOf(0, 2), delivery(false));
    expect(fits).toBe(0);
    expect(published).toEqual([]);
  });

  it('when its completion made the tally complete, then the copy closes the tuning (its closer may have died) without a fit', async () => {
    let fits = 0;
    const run = async () => {
      fits++;
      return fitted;
    };
    const { handle, published } = handlerWith({ failedPublishFailures: 0, run, recordedMarks: ['0-c', '1-f'] });
    await handle(trialOf(0, 2), delivery(false));
    expect(fits).toBe(0);
    expect(published).toEqual(['tuning.completed', '(marked closed)']);
  });

  it('when its tuning is marked closed (a copy past the duplicate window), then it publishes nothing again', async () => {
    const closed = handlerWith({ failedPublishFailures: 0, recordedMarks: ['0-c', '1-f', 'closed'] });
    await closed.handle(trialOf(0, 2), delivery(false));
    expect(closed.published).toEqual([]);
  });

  it('when only a failure is recorded for it, or the tally cannot be read, then it is fitted as usual', async () => {
    for (const recordedMarks of [['0-f'], new Error('NATS is not reachable')]) {
      const { handle, published } = handlerWith({ failedPublishFailures: 0, recordedMarks });
      await expect(handle(trialOf(0, 2), delivery(false))).rejects.toThrow('the trial thread died');
      expect(published).toEqual(['run.started']);
    }
  });
});
