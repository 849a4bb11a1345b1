import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidOf, until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../src/index.js';

// The local stack's start-up when a part it started already dies while a later one starts.

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stack-start-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('local stack start-up', () => {
  it('when nats-server dies while MLflow starts, then the start-up fails naming nats-server, and MLflow is stopped', async () => {
    const ports = { nats: 0, mlflow: 0, predictor: 0 };
    let announced = '';
    const starting = startLocalStack({
      dataDir,
      ports,
      onProgress: (message) => {
        announced ||= message;
      },
    });
    starting.catch(() => undefined);
    const [, natsPort, mlflowPort] = await until(
      'the ports announced',
      () => /nats-server on (\d+), MLflow on (\d+)/.exec(announced) ?? undefined,
      10_000,
      10,
    );
    const mlflow = await until('MLflow starting', () => pidOf('mlflow', 'server', `--port ${mlflowPort}`), 60_000, 20);
    const nats = pidOf('nats-server', `-p ${natsPort}`) as number;
    process.kill(nats, 'SIGKILL');

    await expect(starting).rejects.toThrow(
      /^nats-server exited \(code null, signal SIGKILL\) during the start-up — log: .*nats-server\.log$/,
    );
    expect(pidOf('mlflow', 'server', `--port ${mlflowPort}`)).toBeUndefined();
    expect(mlflow).toBeGreaterThan(0);
  }, 120_000);

  it('when the start-up is aborted as the first service is ready, then it rejects with the reason, announces no other service ready and records the stack stopped', async () => {
    const own = join(dataDir, 'aborted');
    const abort = new AbortController();
    const said: string[] = [];
    const starting = startLocalStack({
      dataDir: own,
      ports: { nats: 0, mlflow: 0, predictor: 0 },
      signal: abort.signal,
      onProgress: (message) => {
        said.push(message);
        if (message.endsWith(' ready')) abort.abort(new Error('interrupted'));
      },
    });

    // A stack that came up all the same is stopped here, so that a failing run leaves no processes behind.
    const outcome = await starting.then(
      async (stack) => {
        await stack.stop();
        return 'came up';
      },
      (err: unknown) => (err as Error).message,
    );
    expect(outcome).toBe('interrupted');
    expect(said.filter((message) => message.endsWith(' ready'))).toHaveLength(1);
    const state = JSON.parse(await readFile(join(own, 'stack.json'), 'utf8')) as {
      state: string;
      processes: { name: string; state: string }[];
    };
    expect(state.state).toBe('stopped');
    expect(state.processes.filter((p) => p.state !== 'stopped')).toEqual([]);
  }, 180_000);

  it('when the stack is up, then its directories, logs, state file and MLflow database are for its user alone, and only the predictor holds its tokens', async () => {
    const own = join(dataDir, 'up');
    const secret = 'predictor-secret-0123456789';
    const before = process.env.PREDICTOR_AUTH_TOKENS;
    process.env.PREDICTOR_AUTH_TOKENS = secret; // what nats-server and MLflow would inherit from mlops up
    const env = { ...process.env, PREDICTOR_AUTH_TOKENS: secret };
    const stack = await startLocalStack({ dataDir: own, ports: { nats: 0, mlflow: 0, predictor: 0 }, env }).finally(
      () => {
        if (before === undefined) delete process.env.PREDICTOR_AUTH_TOKENS;
        else process.env.PREDICTOR_AUTH_TOKENS = before;
      },
    );
    try {
      const state = JSON.parse(await readFile(join(own, 'stack.json'), 'utf8')) as {
        processes: { name: string; pid: number }[];
      };
      const holding = state.processes.filter((p) => environOf(p.pid).includes(`PREDICTOR_AUTH_TOKENS=${secret}`));
      expect(state.processes.map((p) => p.name).sort()).toEqual([
        'mlflow',
        'monitor',
        'nats-server',
        'predictor',
        'tracker',
        'trainer',
      ]);
      expect(holding.map((p) => p.name)).toEqual(['predictor']);
      const logs = (await readdir(join(own, 'logs'))).sort();
      const databases = (await readdir(join(own, 'mlflow'))).filter((name) => name.startsWith('mlflow.db'));
      const dirs = ['.', 'nats', 'mlflow', 'mlflow/artifacts', 'logs', 'datasets'];
      const files = ['stack.json', ...logs.map((n) => `logs/${n}`), ...databases.map((n) => `mlflow/${n}`)];

      expect(logs).toEqual(
        ['mlflow', 'monitor', 'nats-server', 'predictor', 'tracker', 'trainer'].map((n) => `${n}.log`),
      );
      expect(databases).toContain('mlflow.db');
      expect(modesOf(own, dirs)).toEqual(each(dirs, 0o700));
      expect(modesOf(own, files)).toEqual(each(files, 0o600));
    } finally {
      await stack.stop();
    }
  }, 180_000);
});

/** A process's environment as the kernel keeps it (`/proc/<pid>/environ`), one variable per entry. */
function environOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
}

/** The permission bits of each path below `root`, by path. */
function modesOf(root: string, paths: readonly string[]): Record<string, number> {
  return Object.fromEntries(paths.map((path) => [path, statSync(join(root, path)).mode & 0o777]));
}

/** `mode` for each path, by path. */
function each(paths: readonly string[], mode: number): Record<string, number> {
  return Object.fromEntries(paths.map((path) => [path, mode]));
}
