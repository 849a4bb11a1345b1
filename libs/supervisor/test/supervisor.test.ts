import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findFreePort,
  httpOk,
  httpOkFromItself,
  logLine,
  NotReadyError,
  type ProbeTarget,
  ProcessExitedError,
  type ProcessSpec,
  portOpen,
  type SupervisedProcess,
  startProcess,
} from '../src/index.js';

const started: SupervisedProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.kill()));
});

/** A `node -e` child (this Node binary), remembered so that a failing test leaves nothing behind. */
async function node(script: string, spec: Partial<ProcessSpec> = {}): Promise<SupervisedProcess> {
  const child = await startProcess({ name: 'child', command: process.execPath, args: ['-e', script], ...spec });
  started.push(child);
  return child;
}

/** True while the process runs; a zombie (dead, not yet reaped by PID 1 of this container) counts as ended. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const READY = { probe: logLine(/^ready$/), timeoutMs: 10_000 };

describe('output capture', () => {
  it('when lines arrive split across chunks, then whole lines are kept in memory and in the log file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'supervisor-'));
    const logFile = join(dir, 'child.log');
    const script = `
      const pause = () => new Promise((r) => setTimeout(r, 50));
      const euro = Buffer.from('€');
      (async () => {
        process.stdout.write('hel'); await pause();
        process.stdout.write('lo\\nwor'); await pause();
        process.stdout.write('ld\\r\\nprice 3'); await pause();
        process.stdout.write(euro.subarray(0, 1)); await pause();
        process.stdout.write(euro.subarray(1)); await pause();
        process.stdout.write('\\n\\n'); await pause();
        process.stderr.write('to stderr\\n'); await pause();
        process.stdout.write('no newline at the end');
      })();`;
    const child = await node(script, { logFile });
    const status = await child.exited;
    const expected = ['hello', 'world', 'price 3€', '', 'to stderr', 'no newline at the end'];
    expect(status).toEqual({ code: 0, signal: null, requested: false });
    expect(child.runLines()).toEqual(expected);
    expect(child.output()).toBe(expected.join('\n'));
    expect(await readFile(logFile, 'utf8')).toBe(`${expected.join('\n')}\n`);
    await rm(dir, { recursive: true, force: true });
  });

  it('when a process prints more than keepLines, then only the last ones are kept and listeners see every line', async () => {
    const seen: string[] = [];
    const child = await node('for (let i = 0; i < 500; i++) console.log("line " + i)', { keepLines: 10 });
    child.onLine((line) => seen.push(line));
    await child.exited;
    expect(child.runLines()).toEqual(Array.from({ length: 10 }, (_, i) => `line ${490 + i}`));
    expect(seen).toHaveLength(500);
    expect(seen.at(-1)).toBe('line 499');
  });

  it('when an environment is given, then the child sees exactly it', async () => {
    const child = await node('console.log(process.env.GREETING + "/" + (process.env.HOME ?? "no home"))', {
      env: { GREETING: 'hi' },
    });
    await child.exited;
    expect(child.output()).toBe('hi/no home');
  });
});

describe('readiness', () => {
  it('when the child prints its ready line later, then start resolves after it', async () => {
    const child = await node('setTimeout(() => console.log("ready"), 300); setInterval(() => {}, 1000)', {
      readiness: READY,
    });
    expect(child.runLines()).toEqual(['ready']);
    expect(child.exitStatus()).toBeUndefined();
  });

  it('when the child serves HTTP, then the port and the health URL both count as ready', async () => {
    const port = await findFreePort();
    const server = `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
    const byPort = await node(`setTimeout(() => ${server}, 300)`, { readiness: { probe: portOpen(port) } });
    expect(await httpOk(`http://127.0.0.1:${port}/health`)(byPort)).toBe(true);
    await byPort.stop();
    const byHttp = await node(server, { readiness: { probe: httpOk(`http://127.0.0.1:${port}/health`) } });
    expect(byHttp.exitStatus()).toBeUndefined();
  });

  it("when another process holds the port and answers the health route, then only the child's own answer counts", async () => {
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}/ready`;
    const foreign = createServer((_q, s) => s.end(JSON.stringify({ pid: process.pid })));
    await new Promise<void>((resolve) => foreign.listen(port, '127.0.0.1', resolve));
    const own = `require('node:http').createServer((q, s) => s.end(JSON.stringify({ pid: process.pid })))`;
    const late = `setTimeout(() => ${own}.listen(${port}, '127.0.0.1'), 500)`;
    const failure = await node(late, { readiness: { probe: httpOkFromItself(url) } })
      .catch((err: unknown) => err)
      .finally(() => new Promise((resolve) => foreign.close(resolve)));
    const child = await node(`${own}.listen(${port}, '127.0.0.1')`, { readiness: { probe: httpOkFromItself(url) } });
    const otherPid: ProbeTarget = { name: 'other', pid: process.pid, exitStatus: () => undefined, runLines: () => [] };

    expect(failure).toBeInstanceOf(ProcessExitedError);
    expect((failure as Error).message).toContain('EADDRINUSE');
    expect(child.exitStatus()).toBeUndefined();
    expect(await httpOkFromItself(url)(otherPid)).toBe(false);
  });

  it('when the child exits before it is ready, then start fails with its exit code and output', async () => {
    const failure = await node('console.error("bad config"); process.exit(3)', { readiness: READY }).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ProcessExitedError);
    expect((failure as ProcessExitedError).status).toMatchObject({ code: 3, signal: null, requested: false });
    expect((failure as ProcessExitedError).message).toMatch(/child exited early \(code 3, signal null\):\nbad config/);
  });

  it('when the command does not exist, then start fails with the spawn error as the cause', async () => {
    const failure = await startProcess({ name: 'ghost', command: '/nonexistent/ghost', readiness: READY }).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ProcessExitedError);
    expect((failure as Error).message).toMatch(/ghost could not be started \(spawn \/nonexistent\/ghost ENOENT\)/);
    expect(((failure as Error).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('when the probe never answers, then start stops the child and fails after the budget', async () => {
    const failure = await node('console.log(process.pid); setInterval(() => {}, 1000)', {
      readiness: { probe: logLine(/never/), timeoutMs: 500 },
    }).catch((err: unknown) => err);
    const pid = Number((failure as NotReadyError).output);
    expect(failure).toBeInstanceOf(NotReadyError);
    expect((failure as Error).message).toMatch(/^child not ready after 500 ms/);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });
});

describe('stopping', () => {
  const GRACEFUL =
    'process.on("SIGTERM", () => { console.log("bye"); process.exit(0) }); console.log("ready"); setInterval(() => {}, 1000)';

  it('when stopped, then the child shuts down on SIGTERM and the end is reported as requested', async () => {
    const child = await node(GRACEFUL, { readiness: READY });
    const heard: unknown[] = [];
    child.onExit((status) => heard.push(status));
    expect(await child.stop()).toEqual({ code: 0, signal: null, requested: true });
    expect(child.runLines()).toEqual(['ready', 'bye']);
    expect(heard).toEqual([{ code: 0, signal: null, requested: true }]);
  });

  it('when killed, then the child ends on SIGKILL without its shutdown handler', async () => {
    const child = await node(GRACEFUL, { readiness: READY });
    expect(await child.kill()).toEqual({ code: null, signal: 'SIGKILL', requested: true });
    expect(child.runLines()).toEqual(['ready']);
  });

  it('when the child ignores SIGTERM, then stop escalates to SIGKILL after the grace period', async () => {
    const child = await node('process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)', {
      readiness: READY,
    });
    const before = Date.now();
    expect(await child.stop(400)).toEqual({ code: null, signal: 'SIGKILL', requested: true });
    expect(Date.now() - before).toBeGreaterThanOrEqual(350);
  });

  it('when the child ends on its own or by a foreign signal, then exited says it was not requested', async () => {
    const crashing = await node('console.log("ready"); setTimeout(() => process.exit(7), 200)', { readiness: READY });
    expect(await crashing.exited).toEqual({ code: 7, signal: null, requested: false });
    const signalled = await node('console.log("ready"); setInterval(() => {}, 1000)', { readiness: READY });
    signalled.signal('SIGKILL');
    expect(await signalled.exited).toEqual({ code: null, signal: 'SIGKILL', requested: false });
    expect(await signalled.stop()).toEqual({ code: null, signal: 'SIGKILL', requested: false });
  });

  it('when stopped, then the children in its process group end too', async () => {
    const script = `
      const { spawn } = require('node:child_process');
      const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      console.log(grandchild.pid); console.log('ready'); setInterval(() => {}, 1000)`;
    const child = await node(script, { readiness: READY });
    const grandchild = Number(child.runLines()[0]);
    expect(alive(grandchild)).toBe(true);
    await child.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(grandchild)).toBe(false);
  });
});

describe('restart', () => {
  it('when restarted, then a new run starts with the same spec, its lines apart from the earlier run', async () => {
    const child = await node('console.log(process.pid); console.log("ready"); setInterval(() => {}, 1000)', {
      readiness: { probe: logLine(/^ready$/), timeoutMs: 10_000 },
    });
    const firstPid = child.pid;
    const first = child.exited;
    const ends: unknown[] = [];
    child.onExit((status) => ends.push(status.requested));
    await child.restart();
    expect((await first).requested).toBe(true);
    expect(child.pid).not.toBe(firstPid);
    expect(child.runLines()).toEqual([String(child.pid), 'ready']);
    expect(child.output().split('\n')).toEqual([String(firstPid), 'ready', String(child.pid), 'ready']);
    expect(child.exitStatus()).toBeUndefined();
    expect(ends).toEqual([true]);
  });

  it('when the leader crashed and left a worker of its group behind, then a restart kills the worker first', async () => {
    const script = `
      const { spawn } = require('node:child_process');
      const worker = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      console.log(worker.pid); console.log('ready'); setInterval(() => {}, 1000)`;
    const child = await node(script, { readiness: READY });
    const worker = Number(child.runLines()[0]);
    process.kill(child.pid!, 'SIGKILL');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL', requested: false });
    expect(alive(worker)).toBe(true);
    await child.restart();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(worker)).toBe(false);
    expect(alive(Number(child.runLines()[0]))).toBe(true);
  });

  it("when beforeRespawn changes the env and readiness, then it saw the ended run's lines and later runs use its changes", async () => {
    const seen: (readonly string[])[] = [];
    const script =
      'console.log("run " + process.env.RUN); console.log("ready " + process.env.RUN); setInterval(() => {}, 1000)';
    const child = await node(script, {
      env: { RUN: 'a' },
      readiness: { probe: logLine(/^ready a$/), timeoutMs: 10_000 },
      beforeRespawn: async (ended) => {
        seen.push(ended);
        return seen.length === 1
          ? { env: { RUN: 'b' }, readiness: { probe: logLine(/^ready b$/), timeoutMs: 10_000 } }
          : undefined;
      },
    });
    await child.restart();
    expect(child.runLines()).toEqual(['run b', 'ready b']);
    await child.restart();
    expect(child.runLines()).toEqual(['run b', 'ready b']);
    expect(seen).toEqual([
      ['run a', 'ready a'],
      ['run b', 'ready b'],
    ]);
  });
});

describe('kill signal', () => {
  it('when it is aborted before the start, then nothing is spawned and the start fails', async () => {
    const kill = new AbortController();
    kill.abort();
    const spawned: number[] = [];
    const start = node('setInterval(() => {}, 1000)', { killSignal: kill.signal, onSpawn: (pid) => spawned.push(pid) });
    await expect(start).rejects.toThrow('child was killed: not started');
    expect(spawned).toEqual([]);
  });

  it('when it is aborted while a restart stops the old run, then no new run is spawned', async () => {
    const kill = new AbortController();
    const spawned: number[] = [];
    const child = await node(
      "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 300)); console.log('ready'); setInterval(() => {}, 1000)",
      {
        readiness: READY,
        killSignal: kill.signal,
        onSpawn: (pid) => spawned.push(pid),
      },
    );
    const restart = child.restart();
    setTimeout(() => kill.abort(), 100); // the old run is still in its 300 ms shutdown
    await expect(restart).rejects.toThrow('child was killed: not restarted');
    expect(spawned).toEqual([spawned[0]]);
    expect(child.exitStatus()?.signal).toBe('SIGKILL');
  });
});
