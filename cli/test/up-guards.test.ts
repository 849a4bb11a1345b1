import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

// What `mlops up` refuses before it starts anything: nothing is spawned, so these need no nats-server or MLflow.

let dir: string;
const cleanups: (() => void)[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-up-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** A port something else holds, as another stack's nats-server would. */
async function heldPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  return (server.address() as { port: number }).port;
}

describe('mlops up refuses before it starts anything', () => {
  it('when the NATS port is taken, then it says so in one line, names the flag, and exits 1', async () => {
    const port = await heldPort();
    const result = await runCli(['up', '--data-dir', dir, '--nats-port', String(port), '--no-tune'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      `mlops up: the stack did not start: port ${port} for nats-server is in use (another mlops up? see mlops status): stop what holds it, or choose --nats-port`,
    );
  });

  it('when a port is out of range, then it is a usage error naming the flag and the range, exit 2, nothing created', async () => {
    const dataDir = join(dir, 'data');
    for (const [flag, port] of [
      ['--nats-port', '70000'],
      ['--predictor-port', '99999'],
      ['--mlflow-port', '65536'],
      ['--nats-port', '-1'],
    ] as const) {
      const result = await runCli(['up', '--data-dir', dataDir, `${flag}=${port}`, '--no-tune'], { cwd: dir });
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: `mlops up: ${flag} needs a port from 0 to 65535 (0: a free one), got "${port}"\n`,
      });
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('when it is refused for a port in use, then the data directory it created is removed again', async () => {
    const port = await heldPort();
    const argv = ['up', '--data-dir', join(dir, 'new', 'data'), '--nats-port', String(port), '--no-tune'];
    const result = await runCli(argv, { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`port ${port} for nats-server is in use`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('when two flags name the same port, then it says so in one line, names both flags, and exits 1', async () => {
    const port = 45_300 + (process.pid % 500);
    const argv = ['up', '--data-dir', dir, '--nats-port', String(port), '--mlflow-port', String(port), '--no-tune'];
    const result = await runCli(argv, { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `mlops up: the stack did not start: port ${port} is given to both nats-server (--nats-port) and MLflow (--mlflow-port): choose another for one of them`,
    ]);
  });

  it('when another mlops up runs on the data directory, then it is refused; when that one is gone, the check lets it pass', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    cleanups.push(() => other.kill('SIGKILL'));
    const port = await heldPort(); // its nats-server, as the state file says; the second run asks for it too
    const endpoints = {
      nats: `nats://127.0.0.1:${port}`,
      mlflow: 'http://127.0.0.1:5000',
      predictor: 'http://127.0.0.1:8080',
    };
    const at = new Date().toISOString();
    const state = (pid: number, pidStart: string | null | undefined) =>
      JSON.stringify({
        format: 1,
        pid,
        ...(pidStart === undefined ? {} : { pid_start: pidStart }),
        state: 'running',
        started_at: at,
        updated_at: at,
        data_dir: dir,
        endpoints,
        processes: [],
      });
    const argv = ['up', '--data-dir', dir, '--nats-port', String(port), '--no-tune'];
    const outcome = async (pidStart: string | null | undefined) => {
      await writeFile(join(dir, 'stack.json'), state(other.pid as number, pidStart));
      const result = await runCli(argv, { cwd: dir });
      return result.stderr.includes(`another mlops up (pid ${other.pid}) runs a stack on ${dir}: stop it first`)
        ? 'refused'
        : result.stderr.includes(`port ${port} for nats-server is in use`) && 'passed';
    };
    // Without a start token (a file written before them): a live pid whose nats-server answers runs a stack.
    expect(await outcome(undefined)).toBe('refused');
    // The pid belongs to another process now (reused since, after a reboot or not): no mlops up runs there. (The
    // writer told by its token: libs/local-stack/test/leftovers.test.ts.)
    expect(await outcome('the start of another process')).toBe('passed');
    other.kill('SIGKILL');
    await new Promise((resolve) => other.once('exit', resolve));
    expect(await outcome(undefined)).toBe('passed');
  });
});
