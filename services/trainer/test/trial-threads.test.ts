import { Worker } from 'node:worker_threads';
import type { TrialRequested } from '@mlops/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type TrialThreads, TrialTimeoutError, trialThreads } from '../src/adapters/trial-threads.js';

// The pool's time limit, with a stand-in thread entry that speaks the pool's protocol (trial-thread.ts): a trial id
// says how the task behaves. "spin": the thread never yields again (a fit stuck in an endless loop); "wait-<ms>":
// the answer comes after that long; anything else: at once. A result names the trial it answers.
const STAND_IN = `
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (task) => {
  const id = task.trial.trial_id;
  const answer = () => parentPort.postMessage({ id: task.id, ok: true, result: { outcome: { ok: true }, datasetDigest: id } });
  if (id === 'spin') for (;;) {}
  else if (id.startsWith('wait-')) setTimeout(answer, Number.parseInt(id.slice(5), 10));
  else answer();
});
`;
const standIn = new URL(`data:text/javascript,${encodeURIComponent(STAND_IN)}`);

/** A trial event as far as the pool and the stand-in read it. */
const trial = (trialId: string) => ({ tuning_id: 'tun-limit', trial_id: trialId }) as TrialRequested['data'];

let pool: TrialThreads | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
  vi.restoreAllMocks();
});

/** How a task settled: its result's trial, or its error. */
async function settled(task: Promise<{ datasetDigest: string }>): Promise<string | Error> {
  try {
    return (await task).datasetDigest;
  } catch (err) {
    return err as Error;
  }
}

describe('the trial threads time limit', () => {
  it('when a fit runs past the limit, then it rejects with TrialTimeoutError naming the trial and the limit', async () => {
    pool = trialThreads(1, '/nowhere', { timeLimitMs: 200, threadEntry: standIn });

    const error = await settled(pool.run(trial('spin')));

    expect(error).toBeInstanceOf(TrialTimeoutError);
    expect((error as TrialTimeoutError).message).toBe(
      'trial spin: the fit ran past the trial time limit of 0.2 s: its thread was stopped',
    );
    expect(error).toMatchObject({ trialId: 'spin', tuningId: 'tun-limit', task: 'run', limitMs: 200 });
  }, 10_000);

  it('when a fit timed out on the only thread, then the next trial runs on a fresh one and the old one stops', async () => {
    pool = trialThreads(1, '/nowhere', { timeLimitMs: 500, threadEntry: standIn });
    const terminate = vi.spyOn(Worker.prototype, 'terminate');

    const outcomes = await Promise.all([settled(pool.run(trial('spin'))), settled(pool.run(trial('next')))]);

    expect(outcomes[0]).toBeInstanceOf(TrialTimeoutError);
    expect(outcomes[1]).toBe('next');
    expect(terminate).toHaveBeenCalledTimes(1); // the spinning thread is stopped, not left to burn a core
  }, 10_000);

  it('when a task finishes within the limit beside one that runs past it, then it is unaffected', async () => {
    pool = trialThreads(2, '/nowhere', { timeLimitMs: 1000, threadEntry: standIn });

    const outcomes = await Promise.all([settled(pool.run(trial('spin'))), settled(pool.run(trial('wait-100')))]);

    expect(outcomes[0]).toBeInstanceOf(TrialTimeoutError);
    expect(outcomes[1]).toBe('wait-100');
  }, 10_000);

  it('when tasks wait for the only thread longer than the limit, then only their time on the thread counts', async () => {
    pool = trialThreads(1, '/nowhere', { timeLimitMs: 1500, threadEntry: standIn });
    const threads = pool;

    // Each runs 400 ms on the thread (1.1 s within the limit); the last waits 1600 ms in the queue first.
    const ids = ['wait-400a', 'wait-400b', 'wait-400c', 'wait-400d', 'wait-400e'];
    const outcomes = await Promise.all(ids.map((id) => settled(threads.run(trial(id)))));

    expect(outcomes).toEqual(ids);
  }, 10_000);

  it('when a holdout build runs past the limit, then it rejects with TrialTimeoutError saying so', async () => {
    pool = trialThreads(1, '/nowhere', { timeLimitMs: 200, threadEntry: standIn });

    const error = await pool.holdout(trial('spin')).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(TrialTimeoutError);
    expect((error as Error).message).toBe(
      "trial spin: building its tuning's holdout ran past the trial time limit of 0.2 s: its thread was stopped",
    );
  }, 10_000);
});
