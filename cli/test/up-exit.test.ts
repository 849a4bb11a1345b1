import { describe, expect, it } from 'vitest';
import { runStack } from '../src/commands/up.js';

// The exit code of `mlops up` once its stack is up, on a stack of our own making (no processes).

function fakeStack(failed: Promise<never>) {
  let stops = 0;
  const stack = {
    natsUrl: 'nats://127.0.0.1:1',
    failed,
    dirs: { nats: '/d/nats', mlflow: '/d/mlflow', logs: '/d/logs', datasets: '/d/datasets' },
    stateFile: '/d/stack.json',
    predictorUrl: 'http://127.0.0.1:3',
    trackingUri: 'http://127.0.0.1:2',
    monitorUrl: 'http://127.0.0.1:4',
    stop: async () => {
      stops += 1;
    },
  };
  return { stack, stops: () => stops };
}

const io = { stdout: () => undefined, stderr: () => undefined, cwd: '/d', env: {} };

describe('mlops up once the stack is up', () => {
  it('when a stop signal comes while it serves after the tuning, then it exits 130, as during the tuning', async () => {
    const { stack, stops } = fakeStack(new Promise<never>(() => undefined));
    const code = await runStack(stack as never, { 'no-tune': true }, io, Promise.resolve());
    expect(code).toBe(130);
    expect(stops()).toBe(1);
  });

  it('when the stack gives up on a crash loop while it serves, then it exits 1', async () => {
    const { stack, stops } = fakeStack(Promise.resolve({ type: 'gave-up' }) as never);
    const code = await runStack(stack as never, { 'no-tune': true }, io, new Promise<void>(() => undefined));
    expect(code).toBe(1);
    expect(stops()).toBe(1);
  });
});
