import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExitStatus } from '@mlops/supervisor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Restartable } from '../src/keeper.js';
import { createStackStateWriter, readStackState } from '../src/stack-state.js';
import { StackSupervision } from '../src/supervision.js';

// The state a supervised stack leaves in stack.json when it stops, on fake processes.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'supervision-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A process that ends when told to crash, or when stopped. */
function fake(name: string, pid: number): Restartable & { crash(): void } {
  let end: (status: ExitStatus) => void = () => undefined;
  const run = () =>
    new Promise<ExitStatus>((resolve) => {
      end = resolve;
    });
  let exited = run();
  return {
    name,
    pid,
    get exited() {
      return exited;
    },
    output: () => `${name} said boom`,
    restart: async () => {
      exited = run();
    },
    stop: async () => end({ code: 0, signal: null, requested: true }),
    crash: () => end({ code: 1, signal: null, requested: false }),
  };
}

function supervise() {
  const endpoints = { nats: 'nats://127.0.0.1:1', mlflow: 'http://127.0.0.1:2', predictor: 'http://127.0.0.1:3' };
  const state = createStackStateWriter(dir, endpoints, (err) => {
    throw err;
  });
  const nats = fake('nats-server', 101);
  const tracker = fake('tracker', 102);
  const parts = [nats, tracker].map((target) => ({ target, log: `${dir}/${target.name}.log`, health: 'tcp://x:1' }));
  const supervision = new StackSupervision(parts, { state, policy: { crashLoopExits: 1 } });
  state.setStack('running');
  return { supervision, tracker };
}

describe('StackSupervision.stopAll', () => {
  it('when the stack gave up on a process (a crash loop), then it stays failed after the stop', async () => {
    const { supervision, tracker } = supervise();
    tracker.crash();
    expect(await supervision.failed).toMatchObject({ type: 'gave-up', name: 'tracker' });
    await supervision.stopAll();
    const state = await readStackState(dir);
    expect(state?.state).toBe('failed');
    expect(state?.processes.map((p) => [p.name, p.state, p.pid])).toEqual([
      ['nats-server', 'stopped', null],
      ['tracker', 'failed', null],
    ]);
    expect(state?.processes.find((p) => p.name === 'tracker')?.last_exit?.reason).toBe('exited (code 1, signal null)');
  });

  it('when all went well, then the stack is stopped', async () => {
    const { supervision } = supervise();
    await supervision.stopAll();
    expect((await readStackState(dir))?.state).toBe('stopped');
  });
});
