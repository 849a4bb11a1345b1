import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../src/keyed-queue.js';

describe('KeyedQueue', () => {
  it('when two calls share a key, then the second starts after the first settles; other keys run side by side', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const job = (name: string, ms: number) => async () => {
      log.push(`${name} start`);
      await sleep(ms);
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([
      queue.run('trial-1', job('a', 30)),
      queue.run('trial-1', job('b', 1)),
      queue.run('trial-2', job('c', 1)),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log.indexOf('b start')).toBeGreaterThan(log.indexOf('a end'));
    expect(log.indexOf('c end')).toBeLessThan(log.indexOf('a end'));
  });

  it('when a call fails, then it rejects and the next call with the key still runs', async () => {
    const queue = new KeyedQueue();
    const failing = queue.run('k', async () => {
      throw new Error('MLflow down');
    });
    await expect(failing).rejects.toThrow('MLflow down');
    await expect(queue.run('k', async () => 'after')).resolves.toBe('after');
  });
});
