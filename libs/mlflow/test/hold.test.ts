import { describe, expect, it } from 'vitest';
import { holdWhileUnavailable, MlflowUnavailableError } from '../src/index.js';

const unavailable = () =>
  new MlflowUnavailableError({ method: 'POST', path: '/api/2.0/mlflow/runs/create', attempts: 5 }, { cause: 'down' });

/** A handler failing with `failures` in turn, then succeeding; counts its calls. */
function flaky(failures: Error[]) {
  let calls = 0;
  return {
    calls: () => calls,
    work: async () => {
      const failure = failures[calls++];
      if (failure !== undefined) throw failure;
    },
  };
}

describe('holdWhileUnavailable', () => {
  it('when MLflow is unavailable a few times, then the handler runs again after growing waits and succeeds', async () => {
    const handler = flaky([unavailable(), unavailable(), unavailable()]);
    const waits: number[] = [];
    await holdWhileUnavailable(handler.work, {
      signal: new AbortController().signal,
      onWait: (_err, delayMs) => waits.push(delayMs),
      baseDelayMs: 5,
      maxDelayMs: 15,
    });
    expect(handler.calls()).toBe(4);
    expect(waits).toEqual([5, 10, 15]);
  });

  it('when the handler fails otherwise, then the error is thrown at once (the bus retries or dead-letters it)', async () => {
    const handler = flaky([new Error('schema'), unavailable()]);
    const options = { signal: new AbortController().signal, onWait: () => {}, baseDelayMs: 1 };
    await expect(holdWhileUnavailable(handler.work, options)).rejects.toThrow('schema');
    expect(handler.calls()).toBe(1);
  });

  it('when the tracker stops during a wait, then the wait ends with the MLflow error', async () => {
    const stopping = new AbortController();
    const handler = flaky(Array.from({ length: 100 }, unavailable));
    const held = holdWhileUnavailable(handler.work, {
      signal: stopping.signal,
      onWait: () => stopping.abort(),
      baseDelayMs: 60_000,
    });
    await expect(held).rejects.toBeInstanceOf(MlflowUnavailableError);
    expect(handler.calls()).toBe(1);
  });
});
