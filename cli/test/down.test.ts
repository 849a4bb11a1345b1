import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processStart } from './support/process-start.js';
import { runCli } from './support/run-cli.js';

// `mlops down` on real processes recorded in a real stack.json: Node processes stand in for `mlops up` (one that stops
// after a while on SIGTERM, one that shuts its ears to it) and for the processes of a stack whose `mlops up` is gone.

let dir: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-down-'));
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

/**
 * A Node process running `script` with `args` (its command line), once it said it is ready: its signal handlers are
 * in place by then. `detached`: it leads a process group of its own, as nats-server and MLflow do.
 */
async function standIn(script: string, args: string[] = [], detached = false) {
  const child = spawn(process.execPath, ['-e', `${script}; console.log('ready')`, ...args], {
    stdio: ['ignore', 'pipe', 'ignore'],
    detached,
  });
  children.push(child);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
  });
  const pid = child.pid as number;
  return { pid, start: await processStart(pid), exited, child };
}

/** A pid with the start token it had: a process that ran and ended (an `mlops up` killed since). */
async function endedProcess(): Promise<{ pid: number; start: string | null }> {
  const gone = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 200)'], { stdio: 'ignore' });
  await once(gone, 'spawn');
  const start = await processStart(gone.pid as number);
  await once(gone, 'exit');
  return { pid: gone.pid as number, start };
}

/** Keeps running whatever comes; SIGTERM leaves a mark in `<dir>/<argv[1]>`. */
const DEAF = `process.on('SIGTERM', () => require('node:fs').writeFileSync(process.argv[1], 'SIGTERM')); setInterval(() => {}, 1000)`;

/** A process of the stack as stack.json records it (libs/local-stack's ProcessRecord). */
function record(name: string, pid: number, start: string | null) {
  const log = join(dir, 'logs', `${name}.log`);
  return { name, pid, start, state: 'running', restarts: 0, last_exit: null, log, health: 'tcp://127.0.0.1:1' };
}

/** `<dir>/stack.json` as `mlops up` writes it, naming `writer` as the `mlops up` process. */
async function writeState(
  writer: { pid: number; start: string | null },
  patch: { state?: string; processes?: ReturnType<typeof record>[] } = {},
): Promise<void> {
  const at = new Date().toISOString();
  const state = {
    format: 1,
    pid: writer.pid,
    pid_start: writer.start,
    state: 'running',
    started_at: at,
    updated_at: at,
    data_dir: dir,
    endpoints: { nats: 'nats://127.0.0.1:1', mlflow: 'http://127.0.0.1:2', predictor: 'http://127.0.0.1:3' },
    processes: [],
    ...patch,
  };
  await writeFile(join(dir, 'stack.json'), JSON.stringify(state, null, 2));
}

/**
 * True when the stand-in has exited: at once for one `mlops down` waited for or stopped (its exit is reported as soon
 * as this process reaps it), false for one still running after a second.
 */
async function ended(standIn: { child: ChildProcess; exited: Promise<unknown> }): Promise<boolean> {
  const { exitCode, signalCode } = standIn.child;
  if (exitCode !== null || signalCode !== null) return true;
  return await Promise.race([standIn.exited.then(() => true), sleep(1000).then(() => false)]);
}

const down = (...args: string[]) => runCli(['down', '--data-dir', dir, ...args], { cwd: dir });

/** `<dir>/stack.json` as it is now. */
async function stateNow(): Promise<{ pid: number; state: string; processes: { name: string; state: string }[] }> {
  return JSON.parse(await readFile(join(dir, 'stack.json'), 'utf8'));
}
const WAIT = ['--timeout', '10'];

/** The seconds in a line ending `in 1.2 s`. */
function seconds(line: string | undefined): number {
  return Number(/ in (\d+\.\d) s$/.exec(line ?? '')?.[1] ?? Number.NaN);
}

describe('mlops down', () => {
  it('when mlops up runs, then it gets SIGTERM, and down waits for it to stop its stack and exit, saying how long it took', async () => {
    // Writes the stack stopped, then exits 0.4 s after SIGTERM, as mlops up does after stopping its processes.
    const up = await standIn(
      `const fs = require('node:fs'); const file = process.argv[1];
       process.on('SIGTERM', () => setTimeout(() => {
         fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), state: 'stopped' }));
         process.exit(0);
       }, 400));
       setInterval(() => {}, 1000)`,
      [join(dir, 'stack.json')],
    );
    await writeState(up);

    const result = await down(...WAIT);

    const lines = result.stdout.trim().split('\n');
    expect([result.code, result.stderr, lines.length]).toEqual([0, '', 2]);
    expect(lines[0]).toBe(
      `stopping the stack in ${dir}: sent SIGTERM to mlops up (pid ${up.pid}), waiting up to 10 s for it to exit`,
    );
    expect(lines[1]).toMatch(/^stopped in \d+\.\d s$/);
    expect(seconds(lines[1])).toBeGreaterThanOrEqual(0.4);
    expect(await ended(up)).toBe(true); // gone by the time down returned
    expect(await up.exited).toEqual([0, null]); // by its own SIGTERM handler, not killed
    expect(JSON.parse(await readFile(join(dir, 'stack.json'), 'utf8')).state).toBe('stopped');
  });

  it('when mlops up does not exit within --timeout, then down says so in one line naming the pid, exits 1, and leaves it running', async () => {
    const marks = join(dir, 'up.sigterm');
    const up = await standIn(DEAF, [marks]);
    await writeState(up);
    const startedMs = Date.now();

    const result = await down('--timeout', '1');

    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(1000);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      `stopping the stack in ${dir}: sent SIGTERM to mlops up (pid ${up.pid}), waiting up to 1 s for it to exit\n`,
    );
    expect(result.stderr).toBe(
      `mlops down: mlops up (pid ${up.pid}) is still running 1 s after SIGTERM; its stack in ${dir} may still be stopping (see mlops status). To force it, signal it again: kill ${up.pid} (every process of the stack is SIGKILLed)\n`,
    );
    expect(await readFile(marks, 'utf8')).toBe('SIGTERM');
    expect(await ended(up)).toBe(false);
  });

  it('when the stack is already stopping, then down only waits: no second SIGTERM (that would make mlops up SIGKILL everything)', async () => {
    const marks = join(dir, 'up.sigterm');
    const up = await standIn(`${DEAF}; setTimeout(() => process.exit(0), 500)`, [marks]);
    await writeState(up, { state: 'stopping' });

    const result = await down();

    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout.split('\n')[0]).toBe(
      `mlops up (pid ${up.pid}) is already stopping the stack in ${dir}; waiting up to 60 s for it to exit`,
    );
    expect(result.stdout.split('\n')[1]).toMatch(/^stopped in \d+\.\d s$/);
    await expect(readFile(marks, 'utf8')).rejects.toThrow(/ENOENT/);
    expect(await up.exited).toEqual([0, null]);
  });

  it('when there is no stack.json, or the mlops up it names is gone, or the stack stopped, then "no stack running", exit 0, nothing signalled', async () => {
    const none = await down();
    expect(none).toEqual({ code: 0, stdout: `no stack running in ${dir} (no stack.json there)\n`, stderr: '' });

    const gone = await endedProcess();
    await writeState(gone);
    expect(await down()).toEqual({
      code: 0,
      stdout: `no stack running in ${dir} (its mlops up, pid ${gone.pid}, is gone)\n`,
      stderr: '',
    });
    expect((await stateNow()).state).toBe('stopped'); // nothing of it runs: mlops status says so from now on

    // A live process with the recorded pid is not that mlops up when its start differs (the pid was reused) …
    const marks = join(dir, 'other.sigterm');
    const other = await standIn(DEAF, [marks]);
    await writeState({ pid: other.pid, start: 'the start of an earlier process' });
    expect((await down(...WAIT)).stdout).toBe(`no stack running in ${dir} (its mlops up, pid ${other.pid}, is gone)\n`);
    // … and a stack that stopped is not stopped again, whatever runs under its pid.
    await writeState(other, { state: 'stopped' });
    expect((await down()).stdout).toBe(`no stack running in ${dir} (the last one stopped)\n`);
    await expect(readFile(marks, 'utf8')).rejects.toThrow(/ENOENT/);
    expect(await ended(other)).toBe(false);
  });

  it('when mlops up was killed and left processes of its stack running, then those are stopped, named, and only those', async () => {
    const entry = join(dir, 'repo', 'services', 'trainer', 'dist', 'main.js');
    await mkdir(join(entry, '..'), { recursive: true });
    await writeFile(entry, ''); // its path on the command line marks a service of the stack
    const gone = await endedProcess();
    const trainer = await standIn(
      `process.on('SIGTERM', () => setTimeout(() => process.exit(0), 200)); setInterval(() => {}, 1000)`,
      [entry],
    );
    const nats = await standIn('setInterval(() => {}, 1000)', [join(dir, 'nats')], true);
    const marks = join(dir, 'other.sigterm');
    const other = await standIn(DEAF, [marks]); // the pid recorded for MLflow belongs to another process now
    await writeState(gone, {
      processes: [
        record('nats-server', nats.pid, nats.start),
        record('mlflow', other.pid, 'the start of the earlier MLflow'),
        record('trainer', trainer.pid, trainer.start),
      ],
    });

    const result = await down();

    const named = `nats-server (pid ${nats.pid}), trainer (pid ${trainer.pid})`;
    const lines = result.stdout.trim().split('\n');
    expect([result.code, result.stderr, lines.length]).toEqual([0, '', 2]);
    expect(lines[0]).toBe(
      `no stack running in ${dir}: its mlops up (pid ${gone.pid}) ended without stopping it; stopping what it left running: ${named}`,
    );
    expect(lines[1]).toMatch(new RegExp(`^stopped ${named.replace(/[()]/g, '\\$&')} in \\d+\\.\\d s$`));
    expect(await ended(trainer)).toBe(true);
    expect(await ended(nats)).toBe(true);
    expect(await trainer.exited).toEqual([0, null]); // SIGTERM first: it ended by its handler
    expect(await ended(other)).toBe(false);
    await expect(readFile(marks, 'utf8')).rejects.toThrow(/ENOENT/);
    // The killed mlops up cannot record that its stack stopped: down does, for mlops status (and the next down).
    const after = await stateNow();
    expect(after).toMatchObject({ pid: gone.pid, state: 'stopped' });
    expect(after.processes).toEqual([
      expect.objectContaining({ name: 'nats-server', state: 'stopped', pid: null }),
      expect.objectContaining({ name: 'mlflow', state: 'stopped', pid: null }),
      expect.objectContaining({ name: 'trainer', state: 'stopped', pid: null }),
    ]);
    expect((await down()).stdout).toBe(`no stack running in ${dir} (the last one stopped)\n`);
  });

  it('when a later mlops up rewrote stack.json while down stopped the leftovers, then down leaves that file as it is', async () => {
    const entry = join(dir, 'repo', 'services', 'trainer', 'dist', 'main.js');
    await mkdir(join(entry, '..'), { recursive: true });
    await writeFile(entry, '');
    const gone = await endedProcess();
    // Its SIGTERM handler stands in for a new mlops up that took the directory meanwhile and wrote its own state.
    const later = {
      format: 1,
      pid: process.pid,
      pid_start: null,
      state: 'starting',
      started_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      data_dir: dir,
      endpoints: { nats: 'nats://127.0.0.1:4', mlflow: 'http://127.0.0.1:5', predictor: 'http://127.0.0.1:6' },
      processes: [record('nats-server', process.pid, null)],
    };
    const trainer = await standIn(
      `process.on('SIGTERM', () => { require('node:fs').writeFileSync(process.argv[2], process.argv[3]); process.exit(0); });
       setInterval(() => {}, 1000)`,
      [entry, join(dir, 'stack.json'), JSON.stringify(later)],
    );
    await writeState(gone, { processes: [record('trainer', trainer.pid, trainer.start)] });

    const result = await down();

    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(await trainer.exited).toEqual([0, null]);
    expect(await stateNow()).toEqual(later);
  });

  it("when a new mlops up holds the data directory (its lock taken, its state not written yet), then down leaves stack.json to it; a dead holder's lock is taken over and given up", async () => {
    const gone = await endedProcess();
    await writeState(gone);
    const before = await readFile(join(dir, 'stack.json'), 'utf8');
    const holder = await standIn('setInterval(() => {}, 1000)');
    const lock = join(dir, 'stack.lock');
    await writeFile(lock, `${JSON.stringify({ pid: holder.pid, start: holder.start })}\n`);

    const held = await down();

    expect(held).toEqual({
      code: 0,
      stdout: `no stack running in ${dir} (its mlops up, pid ${gone.pid}, is gone)\n`,
      stderr: '',
    });
    expect(await readFile(join(dir, 'stack.json'), 'utf8')).toBe(before);
    expect(await readFile(lock, 'utf8')).toContain(`"pid":${holder.pid}`);

    await writeFile(lock, `${JSON.stringify({ pid: gone.pid, start: gone.start })}\n`); // the killed mlops up's
    expect((await down()).code).toBe(0);
    expect((await stateNow()).state).toBe('stopped');
    await expect(readFile(lock, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('when mlops up exits on SIGTERM without stopping a process of its stack, then down stops that one too', async () => {
    const entry = join(dir, 'repo', 'services', 'predictor', 'dist', 'main.js');
    await mkdir(join(entry, '..'), { recursive: true });
    await writeFile(entry, '');
    const upProcess = await standIn(`process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)`);
    const predictor = await standIn('setInterval(() => {}, 1000)', [entry]);
    await writeState(upProcess, { processes: [record('predictor', predictor.pid, predictor.start)] });

    const result = await down(...WAIT);

    const lines = result.stdout.trim().split('\n');
    expect([result.code, result.stderr, lines.length]).toEqual([0, '', 3]);
    expect(lines[1]).toBe(
      `mlops up (pid ${upProcess.pid}) exited, leaving predictor (pid ${predictor.pid}) running: stopping them`,
    );
    expect(lines[2]).toMatch(/^stopped in \d+\.\d s$/);
    expect(await ended(predictor)).toBe(true);
    expect(await stateNow()).toMatchObject({ state: 'stopped', processes: [{ name: 'predictor', pid: null }] });
  });

  it('when a flag or the state file is bad, then one line says what, and nothing is signalled', async () => {
    const zero = await down('--timeout', '0');
    expect([zero.code, zero.stderr]).toEqual([
      2,
      'mlops down: --timeout needs a positive number of seconds, got "0"\n',
    ]);
    const text = await down('--timeout', 'soon');
    expect([text.code, text.stderr]).toEqual([2, 'mlops down: --timeout needs a number, got "soon"\n']);
    await writeFile(join(dir, 'stack.json'), '{"format": 1, "pid": "12"}');
    const bad = await down();
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      new RegExp(
        `^mlops down: cannot tell whether a stack runs: ${dir}/stack\\.json is not a stack state file: .+\\n$`,
      ),
    );
  });

  it('when asked for help, then mlops help down and the overview describe it', async () => {
    const help = await runCli(['help', 'down'], { cwd: dir });
    expect(help.stdout.startsWith('usage: mlops down [--data-dir data] [--timeout 60]\n')).toBe(true);
    const overview = await runCli(['help'], { cwd: dir });
    expect(overview.stdout).toMatch(/^ {2}down {2,}stop the stack mlops up runs/m);
  });
});
