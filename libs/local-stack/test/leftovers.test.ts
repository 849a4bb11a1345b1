import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectPreviousStack } from '../src/leftovers.js';
import {
  type ProcessInfo,
  type ProcessTable,
  parseProcStat,
  parsePsLine,
  processStart,
  systemProcessTable,
} from '../src/process-table.js';
import type { ProcessRecord, StackState } from '../src/stack-state.js';
import { claimDataDir } from '../src/start-guards.js';

// What the next `mlops up` finds of a stack whose `mlops up` died without stopping it: the inspection on a process
// table of our own making, the stop on real processes.

function record(name: string, pid: number | null, start: string | null = `s${pid}`): ProcessRecord {
  const log = `/d/logs/${name}.log`;
  return { name, pid, start, state: 'running', restarts: 0, last_exit: null, log, health: 'tcp://x:1' };
}

function stackState(patch: Partial<StackState> = {}): StackState {
  return {
    format: 1,
    pid: 100,
    pid_start: 's100',
    state: 'running',
    started_at: '2026-12-03T10:00:00.000Z',
    updated_at: '2026-12-03T10:01:00.000Z',
    data_dir: '/d',
    endpoints: { nats: 'nats://127.0.0.1:1', mlflow: 'http://127.0.0.1:2', predictor: 'http://127.0.0.1:3' },
    processes: [record('nats-server', 200), record('mlflow', 300), record('trainer', 400)],
    ...patch,
  };
}

/** A process table holding these processes; `groups` lists the live members per process group. */
function table(rows: ProcessInfo[], groups: Record<number, number[]> = {}): ProcessTable {
  return {
    describe: async (pid) => rows.find((row) => row.pid === pid),
    groupMembers: async (pgid) =>
      groups[pgid] ?? rows.filter((row) => row.pgid === pgid && !row.zombie).map((row) => row.pid),
  };
}

/** A process whose start token is `s<pid>` (the one recorded) unless said otherwise. */
function proc(pid: number, args: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return { pid, pgid: pid, zombie: false, start: `s${pid}`, args, ...extra };
}

const NATS = proc(200, 'nats-server -a 127.0.0.1 -p 4222 -js -sd /d/nats -m 0');
const MLFLOW = proc(300, '/repo/.venv/bin/python /repo/.venv/bin/mlflow server --artifacts-destination /d/mlflow/a');
const TRAINER = proc(400, '/usr/bin/node /repo/services/trainer/dist/main.js', { pgid: 99 });

describe('inspectPreviousStack', () => {
  it('when the writer runs (its pid with the start it recorded), then the stack is running', async () => {
    const previous = await inspectPreviousStack(stackState(), table([proc(100, 'node mlops.js up'), NATS]));
    expect(previous).toEqual({ kind: 'running', pid: 100 });
  });

  it('when the writer is gone, then the processes it recorded that still run are leftovers, groups told apart', async () => {
    const previous = await inspectPreviousStack(stackState(), table([NATS, MLFLOW, TRAINER]));
    expect(previous).toEqual({
      kind: 'abandoned',
      pid: 100,
      leftovers: [
        { name: 'nats-server', pid: 200, start: 's200', group: true },
        { name: 'mlflow', pid: 300, start: 's300', group: true },
        { name: 'trainer', pid: 400, start: 's400', group: false },
      ],
    });
  });

  it('when the writer pid now belongs to another process, then the writer counts as gone', async () => {
    const reused = proc(100, 'bash', { start: 'later' });
    expect((await inspectPreviousStack(stackState(), table([reused, NATS]))).kind).toBe('abandoned');
  });

  it('when a recorded pid now belongs to another process, or carries another mark, then it is left alone', async () => {
    const previous = await inspectPreviousStack(
      stackState(),
      table([
        { ...NATS, start: 'later' }, // a reused pid
        { ...MLFLOW, args: 'mlflow server --artifacts-destination /d2/mlflow/a' }, // not this data directory
        { ...TRAINER, zombie: true }, // ended already
      ]),
    );
    expect(previous).toEqual({ kind: 'none' });
  });

  it('when a server leader ended unreaped but workers of its group live on, then its group is a leftover', async () => {
    const zombieLeader = { ...MLFLOW, zombie: true };
    const previous = await inspectPreviousStack(stackState(), table([zombieLeader], { 300: [301, 302] }));
    expect(previous).toEqual({
      kind: 'abandoned',
      pid: 100,
      leftovers: [{ name: 'mlflow', pid: 300, start: 's300', group: true }],
    });
    // Reaped, its pid (and so the group's id) may be another's: nothing is taken for the stack's.
    expect(await inspectPreviousStack(stackState(), table([], { 300: [301, 302] }))).toEqual({ kind: 'none' });
  });

  it('when a record has no start token (an older file), then it is never taken for a leftover', async () => {
    const state = stackState({ processes: [record('nats-server', 200, null)] });
    expect(await inspectPreviousStack(state, table([NATS]))).toEqual({ kind: 'none' });
  });

  it('when the stack stopped (or failed and stopped), then nothing is a leftover, whatever runs', async () => {
    for (const state of ['stopped', 'failed'] as const) {
      expect(await inspectPreviousStack(stackState({ state }), table([NATS, MLFLOW, TRAINER]))).toEqual({
        kind: 'none',
      });
    }
  });
});

describe('the process table', () => {
  it('reads /proc stat lines and ps lines, zombies included, and nothing else', () => {
    const stat = '27297 (a (b) c) Z 1 27290 27290 0 -1 4194560 3 0 0 0 1 2 0 0 20 0 1 0 910449 5369856 1002';
    expect(parseProcStat(stat)).toEqual({ pid: 27297, state: 'Z', pgid: 27290, startTicks: '910449' });
    expect(parsePsLine('27297 27290 Ss   Thu Dec  3 18:44:55 2026 nats-server -sd /tmp/a b/nats')).toEqual({
      pid: 27297,
      pgid: 27290,
      zombie: false,
      start: 'Thu Dec 3 18:44:55 2026',
      args: 'nats-server -sd /tmp/a b/nats',
    });
    expect(parsePsLine('  812   812 Z+   Mon Nov 30 09:01:02 2026 [node] <defunct>')?.zombie).toBe(true);
    expect(parsePsLine('')).toBeUndefined();
    expect(parsePsLine('PID PGID STAT STARTED COMMAND')).toBeUndefined();
  });

  it('describes a live process with its whole command line and its start token, and no process once it ended', async () => {
    const long = 'x'.repeat(5000);
    const first = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', long], { stdio: 'ignore' });
    await once(first, 'spawn');
    const processes = systemProcessTable();
    const info = await processes.describe(first.pid as number);
    const again = await processStart(first.pid as number);
    const mine = await processStart(process.pid); // started long before
    first.kill('SIGKILL');
    await once(first, 'exit');
    expect(info?.args.endsWith(long)).toBe(true);
    expect(info?.pgid).toBe(
      Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(process.pid)], { encoding: 'utf8' })),
    );
    expect(again).toBe(info?.start);
    expect(mine).not.toBe(info?.start);
    expect(await processes.describe(first.pid as number)).toBeUndefined();
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
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // not a group leader, or gone
      }
    }
  }

  /** A detached process leading its group, as nats-server and MLflow are; `script` runs in Node. */
  async function server(script: string): Promise<number> {
    const child = spawn(process.execPath, ['-e', script, join(dir, 'nats')], { stdio: 'ignore', detached: true });
    children.push(child);
    await once(child, 'spawn');
    return child.pid as number;
  }

  async function writeState(writerPid: number, writerStart: string | null, processes: ProcessRecord[]): Promise<void> {
    const state = stackState({ pid: writerPid, pid_start: writerStart, data_dir: dir, processes });
    await writeFile(join(dir, 'stack.json'), JSON.stringify(state));
  }

  it('when the writer is gone, then a leftover server and the worker of its group that ignores SIGTERM are stopped, and it says so', async () => {
    // The worker shuts its ears to SIGTERM and outlives its server, as gunicorn workers of a crashed MLflow do.
    const worker = `require('node:child_process').spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' }); setInterval(() => {}, 1000)`;
    const leader = await server(worker);
    await sleep(300); // the worker is spawned
    const processes = systemProcessTable();
    expect(await processes.groupMembers(leader)).toHaveLength(2);
    const gone = spawn(process.execPath, ['-e', '0']);
    const goneStart = await processStart(gone.pid as number);
    await once(gone, 'exit');
    await writeState(gone.pid as number, goneStart, [record('nats-server', leader, await processStart(leader))]);
    const messages: string[] = [];

    await claimDataDir(dir, (m) => messages.push(m));

    expect(messages).toEqual([
      `the mlops up (pid ${gone.pid}) before this one ended without stopping its stack: stopping nats-server (pid ${leader})`,
    ]);
    expect(await processes.groupMembers(leader)).toEqual([]);
  });

  it('when the writer still runs, then the data directory is refused and nothing is stopped', async () => {
    const leader = await server('setInterval(() => {}, 1000)');
    const writer = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(writer);
    await once(writer, 'spawn');
    const nats = record('nats-server', leader, await processStart(leader));
    await writeState(writer.pid as number, await processStart(writer.pid as number), [nats]);

    await expect(claimDataDir(dir, () => undefined)).rejects.toThrow(
      `another mlops up (pid ${writer.pid}) runs a stack on ${dir}`,
    );
    expect(await systemProcessTable().groupMembers(leader)).toEqual([leader]);
  });
});
