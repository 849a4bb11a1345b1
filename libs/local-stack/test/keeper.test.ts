import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLine, type SupervisedProcess, startProcess } from '@mlops/supervisor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessKeeper } from '../src/keeper.js';
import { RestartPolicy } from '../src/restart-policy.js';
import type { StackEvent } from '../src/stack-events.js';

let dir: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keeper-'));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

/**
 * A `node -e` child that prints its run number and `ready`, then lives on, or exits with code 3 when that run number
 * is listed in `crashRuns` (the run count is kept in a file, so every restart is the next run).
 */
async function child(
  crashRuns: readonly number[],
  options: { readyRuns?: number; readyTimeoutMs?: number } = {},
): Promise<SupervisedProcess> {
  const counter = join(dir, 'runs');
  await writeFile(counter, '0');
  const script = `
    const fs = require('node:fs');
    const run = Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) + 1;
    fs.writeFileSync(${JSON.stringify(counter)}, String(run));
    console.log('run ' + run);
    if (run <= ${options.readyRuns ?? Number.MAX_SAFE_INTEGER}) console.log('ready');
    if (${JSON.stringify(crashRuns)}.includes(run)) setTimeout(() => process.exit(3), 50);
    else setInterval(() => {}, 1000);`;
  const process_ = await startProcess({
    name: 'worker',
    command: process.execPath,
    args: ['-e', script],
    readiness: { probe: logLine(/^ready$/), timeoutMs: options.readyTimeoutMs ?? 10_000, intervalMs: 20 },
  });
  cleanups.push(() => process_.kill());
  return process_;
}

/** A keeper with short waits (10 ms doubling), recording its events. */
function keep(target: SupervisedProcess, crashLoopExits = 5) {
  const events: StackEvent[] = [];
  const policy = new RestartPolicy({ initialDelayMs: 10, crashLoopExits, crashLoopWindowMs: 60_000 });
  const keeper = new ProcessKeeper(target, { policy, log: '/logs/worker.log', onEvent: (e) => events.push(e) });
  cleanups.push(() => keeper.stop());
  return { keeper, events };
}

async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('ProcessKeeper', () => {
  it('when the process exits on its own, then it is restarted after the wait and ready again', async () => {
    const target = await child([1]);
    const firstPid = target.pid;
    const { keeper, events } = keep(target);
    await eventually(() => events.some((e) => e.type === 'restarted'));
    expect(events).toEqual([
      { type: 'exited', name: 'worker', reason: 'exited (code 3, signal null)', delayMs: 10, log: '/logs/worker.log' },
      { type: 'restarted', name: 'worker', pid: target.pid, restarts: 1, log: '/logs/worker.log' },
    ]);
    expect(target.pid).not.toBe(firstPid);
    expect(target.runLines()).toEqual(['run 2', 'ready']);
    expect(keeper.restarts).toBe(1);
  });

  it('when a process is killed by a signal, then the event says which', async () => {
    const target = await child([]);
    const { events } = keep(target);
    process.kill(target.pid!, 'SIGKILL');
    await eventually(() => events.some((e) => e.type === 'restarted'));
    expect(events[0]).toMatchObject({ type: 'exited', reason: 'exited (code null, signal SIGKILL)' });
  });

  it('when the process is stopped on request, then it is not restarted', async () => {
    const target = await child([]);
    const { keeper, events } = keep(target);
    await keeper.stop();
    await keeper.watching;
    expect(target.exitStatus()).toMatchObject({ requested: true });
    expect(events).toEqual([]);
  });

  it('when it keeps crashing, then the keeper gives up at the crash-loop limit, quoting the last lines', async () => {
    const target = await child([1, 2, 3, 4]);
    const { keeper, events } = keep(target, 4);
    await keeper.watching;
    expect(events.map((e) => e.type)).toEqual([
      'exited',
      'restarted',
      'exited',
      'restarted',
      'exited',
      'restarted',
      'gave-up',
    ]);
    expect(events.filter((e) => e.type === 'exited').map((e) => e.delayMs)).toEqual([10, 20, 40]);
    expect(events.at(-1)).toEqual({
      type: 'gave-up',
      name: 'worker',
      rule: 'exits-in-window',
      reason: 'exited (code 3, signal null)',
      exits: 4,
      windowMs: 60_000,
      log: '/logs/worker.log',
      lastLines: ['run 1', 'ready', 'run 2', 'ready', 'run 3', 'ready', 'run 4', 'ready'],
    });
    expect(target.exitStatus()).toMatchObject({ code: 3, requested: false });
  });

  it('when its restarts never get ready, then the keeper gives up after as many failed in a row as make a crash loop', async () => {
    // Run 1 is ready and exits; the later ones never say ready. Each failed restart costs its readiness wait, and the
    // window is shorter than that, so the window alone would never see a crash loop.
    const target = await child([1], { readyRuns: 1, readyTimeoutMs: 2000 });
    const events: StackEvent[] = [];
    const policy = new RestartPolicy({ initialDelayMs: 10, crashLoopExits: 3, crashLoopWindowMs: 100 });
    const keeper = new ProcessKeeper(target, { policy, log: 'worker.log', onEvent: (e) => events.push(e) });
    cleanups.push(() => keeper.stop());
    await keeper.watching;
    expect(events.map((e) => e.type)).toEqual(['exited', 'exited', 'exited', 'gave-up']);
    expect(events.at(-1)).toMatchObject({
      type: 'gave-up',
      rule: 'never-ready',
      exits: 3,
      reason: expect.stringMatching(/ready/),
    });
    expect(await readFile(join(dir, 'runs'), 'utf8')).toBe('4');
  });

  it('when the stack stops during the wait before a restart, then no restart happens', async () => {
    const target = await child([1]);
    const events: StackEvent[] = [];
    const policy = new RestartPolicy({ initialDelayMs: 60_000 });
    const keeper = new ProcessKeeper(target, { policy, log: 'worker.log', onEvent: (e) => events.push(e) });
    await eventually(() => events.length === 1);
    const started = Date.now();
    await keeper.stop();
    await keeper.watching;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(events.map((e) => e.type)).toEqual(['exited']);
    expect(await readFile(join(dir, 'runs'), 'utf8')).toBe('1');
  });
});
