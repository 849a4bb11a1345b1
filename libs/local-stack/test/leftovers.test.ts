import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { livePids } from '@mlops/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DescribeProcess,
  describeProcess,
  inspectPreviousStack,
  type ProcessInfo,
  parsePsLine,
} from '../src/leftovers.js';
import type { ProcessRecord, StackState } from '../src/stack-state.js';
import { claimDataDir } from '../src/start-guards.js';

// What the next `mlops up` finds of a stack whose `mlops up` died without stopping it: the inspection on a process
// table of our own making, the stop on real processes.

const T0 = Date.parse('2026-12-03T10:00:00Z');

function record(name: string, pid: number | null): ProcessRecord {
  return { name, pid, state: 'running', restarts: 0, last_exit: null, log: `/d/logs/${name}.log`, health: 'tcp://x:1' };
}

function stackState(patch: Partial<StackState> = {}): StackState {
  return {
    format: 1,
    pid: 100,
    state: 'running',
    started_at: new Date(T0).toISOString(),
    updated_at: new Date(T0 + 60_000).toISOString(),
    data_dir: '/d',
    endpoints: { nats: 'nats://127.0.0.1:1', mlflow: 'http://127.0.0.1:2', predictor: 'http://127.0.0.1:3' },
    processes: [record('nats-server', 200), record('mlflow', 300), record('trainer', 400)],
    ...patch,
  };
}

function table(...rows: ProcessInfo[]): DescribeProcess {
  return async (pid) => rows.find((row) => row.pid === pid);
}

function proc(pid: number, startedAt: number, args: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return { pid, pgid: pid, zombie: false, startedAt, args, ...extra };
}

const SERVERS = [
  proc(200, T0 + 1000, 'nats-server -a 127.0.0.1 -p 4222 -js -sd /d/nats -m 0'),
  proc(
    300,
    T0 + 2000,
    '/repo/.venv/bin/python /repo/.venv/bin/mlflow server --artifacts-destination /d/mlflow/artifacts',
  ),
];
const TRAINER = proc(400, T0 + 30_000, '/usr/bin/node /repo/services/trainer/dist/main.js', { pgid: 99 });

describe('inspectPreviousStack', () => {
  it('when the writer runs (its pid started before the stack), then the stack is running', async () => {
    const previous = await inspectPreviousStack(stackState(), table(proc(100, T0 - 500, 'node mlops.js up')));
    expect(previous).toEqual({ kind: 'running', pid: 100 });
  });

  it('when the writer is gone, then the processes it recorded that still run are leftovers, groups told apart', async () => {
    const previous = await inspectPreviousStack(stackState(), table(...SERVERS, TRAINER));
    expect(previous).toEqual({
      kind: 'abandoned',
      pid: 100,
      leftovers: [
        { name: 'nats-server', pid: 200, group: true },
        { name: 'mlflow', pid: 300, group: true },
        { name: 'trainer', pid: 400, group: false },
      ],
    });
  });

  it('when the writer pid was reused by a process started later, then the writer counts as gone', async () => {
    const reused = proc(100, T0 + 5000, 'bash');
    const previous = await inspectPreviousStack(stackState(), table(reused, ...SERVERS));
    expect(previous.kind).toBe('abandoned');
  });

  it('when a recorded pid now belongs to another process, then it is left alone', async () => {
    const previous = await inspectPreviousStack(
      stackState(),
      table(
        proc(200, T0 + 120_000, 'nats-server -sd /d/nats'), // started after the last state write: a reused pid
        proc(300, T0 + 2000, 'mlflow server --artifacts-destination /elsewhere/mlflow/artifacts'), // not this stack's
        proc(400, T0 + 30_000, 'node /repo/services/trainer/dist/main.js', { zombie: true }), // ended already
      ),
    );
    expect(previous).toEqual({ kind: 'none' });
  });

  it('when the stack stopped (or failed and stopped), then nothing is a leftover, whatever runs', async () => {
    for (const state of ['stopped', 'failed'] as const) {
      expect(await inspectPreviousStack(stackState({ state }), table(...SERVERS, TRAINER))).toEqual({ kind: 'none' });
    }
  });
});

describe('parsePsLine', () => {
  it('reads procps and BSD lines, zombies included, and nothing else', () => {
    const line = '27297 27290 Ss   Thu Dec  3 18:44:55 2026 nats-server -sd /tmp/a b/nats';
    expect(parsePsLine(line)).toEqual({
      pid: 27297,
      pgid: 27290,
      zombie: false,
      startedAt: new Date('Thu Dec 3 18:44:55 2026').getTime(),
      args: 'nats-server -sd /tmp/a b/nats',
    });
    expect(parsePsLine('  812   812 Z+   Mon Nov 30 09:01:02 2026 [node] <defunct>')?.zombie).toBe(true);
    expect(parsePsLine('')).toBeUndefined();
    expect(parsePsLine('PID PGID STAT STARTED COMMAND')).toBeUndefined();
  });

  it('describes a live process as ps sees it, and no process for a pid that ended', async () => {
    const before = Date.now();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'marker-arg'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const info = await describeProcess(child.pid as number);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(info?.args).toContain('marker-arg');
    expect(info?.startedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
    expect(info?.startedAt).toBeLessThanOrEqual(Date.now());
    expect(await describeProcess(child.pid as number)).toBeUndefined();
  });
});

describe('claimDataDir on real processes', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leftovers-'));
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.pid !== undefined) killGroup(child.pid);
    await rm(dir, { recursive: true, force: true });
  });

  function killGroup(pid: number): void {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }

  /** A detached process leading its group, as nats-server and MLflow are; `script` runs in Node. */
  async function server(script: string): Promise<number> {
    const child = spawn(process.execPath, ['-e', script, join(dir, 'nats')], { stdio: 'ignore', detached: true });
    children.push(child);
    await once(child, 'spawn');
    return child.pid as number;
  }

  /** The state file of a stack that started `agoMs` ago (its processes must have started since). */
  async function writeState(writerPid: number, processes: ProcessRecord[], agoMs: number): Promise<void> {
    const now = Date.now();
    const state = stackState({
      pid: writerPid,
      started_at: new Date(now - agoMs).toISOString(),
      updated_at: new Date(now).toISOString(),
      data_dir: dir,
      processes,
    });
    await writeFile(join(dir, 'stack.json'), JSON.stringify(state));
  }

  async function ended(pid: number): Promise<boolean> {
    const info = await describeProcess(pid);
    return info === undefined || info.zombie;
  }

  it('when the writer is gone, then a leftover server and the worker of its group that ignores SIGTERM are stopped, and it says so', async () => {
    // The worker shuts its ears to SIGTERM and outlives its server, as gunicorn workers of a crashed MLflow do.
    const worker = `require('node:child_process').spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' }); setInterval(() => {}, 1000)`;
    const leader = await server(worker);
    await sleep(300); // the worker is spawned
    const gone = spawn(process.execPath, ['-e', '0']);
    await once(gone, 'exit');
    await writeState(gone.pid as number, [record('nats-server', leader)], 10_000);
    const messages: string[] = [];

    await claimDataDir(dir, (m) => messages.push(m));

    expect(messages).toEqual([
      `the mlops up (pid ${gone.pid}) before this one ended without stopping its stack: stopping nats-server (pid ${leader})`,
    ]);
    expect(await ended(leader)).toBe(true);
    await sleep(200);
    expect(livePids(['-g', String(leader)])).toEqual([]);
  });

  it('when the writer still runs, then the data directory is refused and nothing is stopped', async () => {
    const leader = await server('setInterval(() => {}, 1000)');
    await writeState(process.ppid, [record('nats-server', leader)], 0); // vitest's own process started before

    await expect(claimDataDir(dir, () => undefined)).rejects.toThrow(
      `another mlops up (pid ${process.ppid}) runs a stack on ${dir}`,
    );
    expect(await ended(leader)).toBe(false);
  });
});
