import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProcessRecord, readStackState } from '@mlops/local-stack';
import { findFreePort, pidOf, runsWithGroup as running, until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `mlops up` as its own process (free ports, a temporary data directory), interrupted twice: the second Ctrl-C
// forces. nats-server and MLflow run in process groups of their own, so without a kill of its own nothing would stop
// them when `mlops up` dies, and they would keep the stack's ports.

/** Every process of a stack, by name, sorted. */
const STACK_PROCESSES = ['mlflow', 'monitor', 'nats-server', 'predictor', 'tracker', 'trainer'];
const BIN = new URL('../../cli/bin/mlops.js', import.meta.url).pathname;
let dataDir: string;
let up: ChildProcess | undefined;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stack-force-stop-'));
});
/** Processes a failed test may leave behind (a killed `mlops up`'s stack), SIGKILLed with their groups at the end. */
const orphans: number[] = [];
afterAll(async () => {
  up?.kill('SIGKILL');
  const recorded = (await readStackState(dataDir).catch(() => undefined))?.processes ?? [];
  for (const pid of [...orphans, ...recorded.map((p) => p.pid ?? 0)].filter((pid) => pid > 0 && running(pid))) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // not a group leader, or gone
      }
    }
  }
  await rm(dataDir, { recursive: true, force: true });
});

/** stack.json after a forced end: the stack stopped, no process with a pid (every one was SIGKILLed). */
async function expectRecordedKilled(): Promise<void> {
  const state = await readStackState(dataDir);
  expect(state?.state).toBe('stopped');
  expect(state?.processes.filter((p) => p.pid !== null)).toEqual([]);
}

/** `mlops up` on free ports in its own process, with what it printed on stderr so far. */
function startUp(extra: string[], [nats, mlflow, predictor] = [0, 0, 0]) {
  const ports = ['--nats-port', `${nats}`, '--mlflow-port', `${mlflow}`, '--predictor-port', `${predictor}`];
  const child = spawn(process.execPath, [BIN, 'up', '--data-dir', dataDir, ...ports, ...extra], {
    cwd: dataDir,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  up = child;
  const seen = { stderr: '', closed: false };
  child.once('close', () => {
    seen.closed = true; // its output all read
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    seen.stderr += chunk.toString();
  });
  const printed = (text: string, ms: number) =>
    until(
      `"${text}" printed`,
      () => {
        if (seen.stderr.includes(text)) return true;
        if (seen.closed) throw new Error(`mlops up exited ${child.exitCode} first:\n${seen.stderr}`);
        return undefined;
      },
      ms,
      20,
    );
  return { child, seen, printed };
}

describe('fault: mlops up killed', () => {
  it('when mlops up is SIGKILLed with its stack up, then the next one on its data directory stops what it left and starts on the same ports', async () => {
    const ports: [number, number, number] = [await findFreePort(), await findFreePort(), await findFreePort()];
    const first = startUp(['--no-tune'], ports);
    await first.printed('› stack is up', 180_000);
    const before = (await readStackState(dataDir))?.processes ?? [];
    const pids = before.map((p) => p.pid as number);
    orphans.push(...pids);
    const killed = once(first.child, 'exit');
    first.child.kill('SIGKILL');
    await killed;
    expect(pids.filter(running)).toEqual(pids); // all six outlive it, holding the ports

    const second = startUp(['--no-tune'], ports);
    await second.printed('› stack is up', 180_000);
    const exited = once(second.child, 'exit');
    second.child.kill('SIGINT');
    const [code] = (await exited) as [number | null];

    expect(code).toBe(130); // a stop signal while serving, as during the tuning
    expect(before.map((p) => p.name).sort()).toEqual(STACK_PROCESSES);
    expect(second.seen.stderr).toContain(
      `› the mlops up (pid ${first.child.pid}) before this one ended without stopping its stack: stopping `,
    );
    expect(second.seen.stderr).not.toContain('is in use');
    expect(pids.filter(running)).toEqual([]);
  }, 420_000);

  it('when mlops up is SIGKILLed while MLflow starts, then the next one stops the nats-server and MLflow it had spawned', async () => {
    const ports: [number, number, number] = [await findFreePort(), await findFreePort(), await findFreePort()];
    const first = startUp(['--no-tune'], ports);
    const mlflow = await until('MLflow spawned', () => pidOf('mlflow', 'server', `--port ${ports[1]}`), 60_000, 20);
    const nats = pidOf('nats-server', `-p ${ports[0]}`) as number;
    orphans.push(nats, mlflow);
    await until(
      'MLflow recorded while the stack starts',
      async () => {
        const state = await readStackState(dataDir);
        if (state?.state !== 'starting') throw new Error(`the stack is ${state?.state} already`);
        const recorded = (p: ProcessRecord) => p.name === 'mlflow' && p.pid === mlflow && typeof p.start === 'string';
        return state.processes.some(recorded) ? true : undefined;
      },
      30_000,
      10,
    );
    const killed = once(first.child, 'exit');
    first.child.kill('SIGKILL');
    await killed;
    expect([nats, mlflow].filter(running)).toEqual([nats, mlflow]);

    const second = startUp(['--no-tune'], ports);
    await second.printed('› stack is up', 180_000);
    const exited = once(second.child, 'exit');
    second.child.kill('SIGINT');
    await exited;

    expect(second.seen.stderr).toContain(`stopping nats-server (pid ${nats}), mlflow (pid ${mlflow})`);
    expect([nats, mlflow].filter(running)).toEqual([]);
  }, 420_000);
});

describe('fault: mlops up interrupted', () => {
  it('when Ctrl-C comes during the default tuning, then it exits 130 once the stack stopped, not held by the tuning', async () => {
    const { child, printed } = startUp([]);
    await printed('accepted: tuning', 180_000);
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    await printed('› stopping the stack', 10_000);
    const stopping = Date.now();
    const [code] = (await exited) as [number | null];
    const stopMs = Date.now() - stopping;
    console.info(`mlops up exited ${stopMs} ms after "stopping the stack"`);
    expect(code).toBe(130);
    // The stack's own stop takes a few seconds; a connection left retrying the stopped nats-server held it 20 s more.
    expect(stopMs).toBeLessThan(20_000);
  }, 240_000);

  it('when a second Ctrl-C comes while MLflow is still starting, then nats-server and MLflow are killed too', async () => {
    const { child, seen, printed } = startUp(['--no-tune']);
    await printed('› nats-server on', 60_000);
    const [, natsPort, mlflowPort] = /nats-server on (\d+), MLflow on (\d+)/.exec(seen.stderr) ?? [];
    const mlflow = await until('MLflow starting', () => pidOf('mlflow', 'server', `--port ${mlflowPort}`), 60_000, 20);
    const nats = pidOf('nats-server', `-p ${natsPort}`) as number;
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    await printed('› interrupted: stopping', 10_000);
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];

    expect(seen.stderr).not.toContain('› stack is up');
    expect(code).toBe(130);
    await expectRecordedKilled();
    const left = await until(
      'the servers and their workers gone',
      () => ([nats, mlflow].some(running) ? undefined : []),
      10_000,
      100,
    ).catch(() => [nats, mlflow].filter(running));
    expect(left).toEqual([]);
  }, 240_000);

  it('when a second Ctrl-C comes during the stop, then every process of the stack is killed and it exits 130', async () => {
    const { child, seen, printed } = startUp(['--no-tune']);
    await printed('› stack is up', 180_000);
    const state = await readStackState(dataDir);
    const pids = (state?.processes ?? []).map((p) => ({ name: p.name, pid: p.pid as number }));
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    await printed('› interrupted: stopping', 10_000);
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];

    expect(pids.map((p) => p.name).sort()).toEqual(STACK_PROCESSES);
    expect(code).toBe(130);
    expect(seen.stderr).toContain('› interrupted again: killing the stack');
    await expectRecordedKilled();
    const servers = pids.filter((p) => p.name === 'nats-server' || p.name === 'mlflow');
    const left = await until(
      'the servers and their workers gone',
      () => {
        const alive = servers.filter((p) => running(p.pid));
        return alive.length === 0 ? alive : undefined;
      },
      10_000,
      100,
    ).catch(() => servers.filter((p) => running(p.pid)));
    expect(left).toEqual([]);
  }, 240_000);
});

/** `mlops down` on the data directory, as its own process: its exit code and what it printed. */
async function runDown(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'down', '--data-dir', dataDir, '--timeout', '90'], {
    cwd: dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

describe('mlops down from another terminal', () => {
  it('when mlops down runs beside a running mlops up, then the whole stack stops and mlops up exits; when mlops up was SIGKILLed, then down stops what it left', async () => {
    const { child, printed } = startUp(['--no-tune']);
    await printed('› stack is up', 180_000);
    const pids = ((await readStackState(dataDir))?.processes ?? []).map((p) => p.pid as number);
    orphans.push(...pids);
    const exited = once(child, 'exit');

    const down = await runDown();
    const [code] = (await exited) as [number | null];

    expect(down).toMatchObject({ code: 0, stderr: '' });
    expect(down.stdout).toMatch(
      new RegExp(`sent SIGTERM to mlops up \\(pid ${child.pid}\\)[^\\n]*\\nstopped in \\d+\\.\\d s\\n$`),
    );
    expect(code).toBe(130);
    expect((await readStackState(dataDir))?.state).toBe('stopped');
    expect(pids.filter(running)).toEqual([]);
    expect((await runDown()).stdout).toMatch(/^no stack running in .* \(the last one stopped\)\n$/);

    const again = startUp(['--no-tune']);
    await again.printed('› stack is up', 180_000);
    const left = ((await readStackState(dataDir))?.processes ?? []).map((p) => p.pid as number);
    orphans.push(...left);
    const killed = once(again.child, 'exit');
    again.child.kill('SIGKILL');
    await killed;
    const cleanup = await runDown();

    expect(cleanup.code).toBe(0);
    expect(cleanup.stdout).toContain(
      `its mlops up (pid ${again.child.pid}) ended without stopping it; stopping what it left running:`,
    );
    expect(left.filter(running)).toEqual([]);
  }, 420_000);
});
