import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStackError } from '../src/errors.js';
import { createStackStateWriter, type ProcessRecord, readStackState, stackStateFile } from '../src/stack-state.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stack-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ENDPOINTS = { nats: 'nats://127.0.0.1:1', mlflow: 'http://127.0.0.1:2', predictor: 'http://127.0.0.1:3' };

function record(name: string, pid: number): ProcessRecord {
  return {
    name,
    pid,
    state: 'running',
    restarts: 0,
    last_exit: null,
    log: join(dir, 'logs', `${name}.log`),
    health: `http://127.0.0.1:9/${name}`,
  };
}

describe('the stack state file', () => {
  it('when the writer records changes, then the file holds the last state and reads back equal', async () => {
    const errors: Error[] = [];
    const writer = createStackStateWriter(dir, ENDPOINTS, (err) => errors.push(err));
    writer.putProcesses([record('trainer', 11), record('tracker', 12)]);
    writer.setStack('running');
    writer.updateProcess('tracker', { state: 'restarting', pid: null, last_exit: { at: 'now', reason: 'exited' } });
    writer.updateProcess('tracker', { state: 'running', pid: 13, restarts: 1 });
    await writer.flush();
    const read = await readStackState(dir);
    expect(read).toEqual(writer.state);
    expect(read).toMatchObject({ format: 1, pid: process.pid, state: 'running', data_dir: dir, endpoints: ENDPOINTS });
    expect(read?.processes.map((p) => [p.name, p.pid, p.state, p.restarts, p.last_exit])).toEqual([
      ['trainer', 11, 'running', 0, null],
      ['tracker', 13, 'running', 1, { at: 'now', reason: 'exited' }],
    ]);
    expect(await readdir(dir)).toEqual(['stack.json']);
    expect(errors).toEqual([]);
  });

  it('when a process is spawned, then its pid is on disk before it is ready; a failed start-up leaves no pid', async () => {
    const writer = createStackStateWriter(dir, ENDPOINTS, () => undefined);
    const nats = { name: 'nats-server', log: join(dir, 'logs', 'nats-server.log'), health: 'tcp://127.0.0.1:1' };
    writer.recordSpawn(nats, 21, null); // its token not readable at once
    writer.recordStart('nats-server', 21, 'boot:1234');
    writer.recordStart('nats-server', 20, 'boot:1000'); // an earlier run's token, read late: not this run's
    await writer.flush();
    expect((await readStackState(dir))?.processes).toEqual([
      { ...nats, pid: 21, start: 'boot:1234', state: 'starting', restarts: 0, last_exit: null },
    ]);
    writer.updateProcess('nats-server', { state: 'restarting', pid: null, restarts: 2 });
    writer.recordSpawn(nats, 22, 'boot:2345'); // a restart's new run: only the pid and its token change
    await writer.flush();
    expect((await readStackState(dir))?.processes.map((p) => [p.pid, p.start, p.state, p.restarts])).toEqual([
      [22, 'boot:2345', 'restarting', 2],
    ]);
    writer.recordSpawn({ ...nats, health: 'tcp://127.0.0.1:2' }, 23, null); // a restart moved to another port
    await writer.flush();
    expect((await readStackState(dir))?.processes.map((p) => [p.pid, p.health])).toEqual([[23, 'tcp://127.0.0.1:2']]);
    writer.stopAllProcesses();
    await writer.flush();
    expect((await readStackState(dir))?.processes.map((p) => [p.pid, p.state])).toEqual([[null, 'stopped']]);
  });

  it('when every process is SIGKILLed, then the file says so at once, before any asynchronous write', async () => {
    const writer = createStackStateWriter(dir, ENDPOINTS, () => undefined);
    writer.putProcesses([record('nats-server', 31), { ...record('mlflow', 0), pid: null, state: 'failed' }]);
    writer.setStack('stopping');
    await writer.flush();
    writer.recordKilledNow();
    const now = JSON.parse(readFileSync(stackStateFile(dir), 'utf8'));
    expect([now.state, now.processes.map((p: ProcessRecord) => [p.pid, p.state])]).toEqual([
      'stopped',
      [
        [null, 'stopped'],
        [null, 'stopped'],
      ],
    ]);
    await writer.flush(); // the same state, written again the usual way
    expect(await readStackState(dir)).toEqual(now);
  });

  it('when the state is written, the usual way or at once after a SIGKILL, then only its owner may read the file', async () => {
    const writer = createStackStateWriter(dir, ENDPOINTS, () => undefined);
    writer.putProcesses([record('trainer', 41)]);
    await writer.flush();
    const written = statSync(stackStateFile(dir)).mode & 0o777;
    await rm(stackStateFile(dir));
    writer.recordKilledNow();

    expect([written, statSync(stackStateFile(dir)).mode & 0o777]).toEqual([0o600, 0o600]);
  });

  it('when the directory holds no state file, then there is no state', async () => {
    expect(await readStackState(dir)).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"format": 1,'],
    ['another format', JSON.stringify({ format: 2 })],
    ['a process without a name', JSON.stringify({ ...validState(), processes: [{ pid: 1 }] })],
  ])('when the file is %s, then reading fails with a LocalStackError naming the file', async (_what, text) => {
    await writeFile(stackStateFile(dir), text);
    const failure = await readStackState(dir).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(LocalStackError);
    expect((failure as Error).message).toContain(stackStateFile(dir));
    expect((failure as Error).cause).toBeInstanceOf(Error);
  });

  it('when the file cannot be written, then the error is reported once and the state stays in memory', async () => {
    const errors: Error[] = [];
    const writer = createStackStateWriter(join(dir, 'missing'), ENDPOINTS, (err) => errors.push(err));
    writer.setStack('running');
    writer.setStack('stopping');
    await writer.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/ENOENT/);
    expect(writer.state.state).toBe('stopping');
    expect(await readdir(dir)).toEqual([]);
  });
});

function validState() {
  return {
    format: 1,
    pid: 1,
    state: 'running',
    started_at: 'a',
    updated_at: 'b',
    data_dir: '/d',
    endpoints: ENDPOINTS,
    processes: [],
  };
}
