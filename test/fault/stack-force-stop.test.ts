import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStackState } from '@mlops/local-stack';
import { pidOf, until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `mlops up` as its own process (free ports, a temporary data directory), interrupted twice: the second Ctrl-C
// forces. nats-server and MLflow run in process groups of their own, so without a kill of its own nothing would stop
// them when `mlops up` dies, and they would keep the stack's ports.

const BIN = new URL('../../cli/bin/mlops.js', import.meta.url).pathname;
let dataDir: string;
let up: ChildProcess | undefined;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stack-force-stop-'));
});
afterAll(async () => {
  up?.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

/** The processes, zombies aside (an orphan's exit is reaped by whatever adopts it), of `ps` with these options. */
function live(args: string[]): number[] {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,stat=', ...args], { encoding: 'utf8' });
    return out
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([pid, stat]) => Number(pid) > 0 && !stat?.startsWith('Z'))
      .map(([pid]) => Number(pid));
  } catch {
    return []; // ps exits 1 when nothing matches
  }
}

/** Whether the process or anything in its process group still runs. */
function running(pid: number): boolean {
  return live(['-p', String(pid)]).length > 0 || live(['-g', String(pid)]).length > 0;
}

/** `mlops up` on free ports in its own process, with what it printed on stderr so far. */
function startUp(extra: string[]) {
  const ports = ['--nats-port', '0', '--mlflow-port', '0', '--predictor-port', '0'];
  const child = spawn(process.execPath, [BIN, 'up', '--data-dir', dataDir, ...ports, ...extra], {
    cwd: dataDir,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  up = child;
  const seen = { stderr: '' };
  child.stderr?.on('data', (chunk: Buffer) => {
    seen.stderr += chunk.toString();
  });
  const printed = (text: string, ms: number) =>
    until(`"${text}" printed`, () => (seen.stderr.includes(text) ? true : undefined), ms, 20);
  return { child, seen, printed };
}

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

    expect(pids.map((p) => p.name).sort()).toEqual([
      'mlflow',
      'monitor',
      'nats-server',
      'predictor',
      'tracker',
      'trainer',
    ]);
    expect(code).toBe(130);
    expect(seen.stderr).toContain('› interrupted again: killing the stack');
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
