import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPrivateDir } from '../src/private-files.js';
import { startLocalStack } from '../src/stack.js';

// The data directory keeps models, data sets (customer rows with labels) and logs: what the stack creates there is
// its user's alone. Each start-up here stops early, at a port already taken, after the directories are made (and,
// when it made the data directory itself, removes it again).

let root: string;
let taken: Server;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'data-dir-'));
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
});
afterEach(async () => {
  await new Promise((resolve) => taken.close(resolve));
  await rm(root, { recursive: true, force: true });
});

/** Starts a stack on `dataDir` whose NATS port is taken; resolves with its progress lines once it has failed. */
async function startUntilPortCheck(dataDir: string): Promise<string[]> {
  const said: string[] = [];
  const port = (taken.address() as { port: number }).port;
  const starting = startLocalStack({
    dataDir,
    ports: { nats: port, mlflow: 0, predictor: 0 },
    onProgress: (message) => said.push(message),
  });
  await expect(starting).rejects.toThrow(`port ${port} for nats-server is in use`);
  return said;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;
const PARTS = ['nats', 'mlflow', 'logs', 'datasets'];

describe('local stack data directory', () => {
  it('when a private directory is created, then it and the parents it made are for its user alone', async () => {
    const dir = join(root, 'new', 'data');

    const made = await createPrivateDir(dir);

    expect(made).toEqual({ created: join(root, 'new'), openMode: undefined });
    expect([join(root, 'new'), dir].map(modeOf)).toEqual([0o700, 0o700]);
    expect(await createPrivateDir(dir)).toEqual({ created: undefined, openMode: undefined });
  });

  it('when the user made the data directory, then every directory below is for its user alone', async () => {
    const dataDir = join(root, 'data');
    await mkdir(dataDir, { mode: 0o700 });

    const said = await startUntilPortCheck(dataDir);

    expect([dataDir, ...PARTS.map((part) => join(dataDir, part))].map(modeOf)).toEqual(Array(5).fill(0o700));
    expect(said.filter((line) => line.startsWith('warning'))).toEqual([]);
  });

  it('when a start-up that created the data directory is refused before starting anything, then nothing it made is left', async () => {
    const dataDir = join(root, 'new', 'data');

    await startUntilPortCheck(dataDir);

    expect(existsSync(join(root, 'new'))).toBe(false);
    expect(await readdir(root)).toEqual([]);
  });

  it('when a port is no TCP port, then the start-up is refused, naming it and the flag, before anything is made', async () => {
    const dataDir = join(root, 'data');
    for (const [ports, message] of [
      [{ nats: 70_000 }, 'port 70000 for nats-server is no port (0, a free one, to 65535): choose another --nats-port'],
      [
        { predictor: -1 },
        'port -1 for the predictor is no port (0, a free one, to 65535): choose another --predictor-port',
      ],
      [{ mlflow: 1.5 }, 'port 1.5 for MLflow is no port (0, a free one, to 65535): choose another --mlflow-port'],
    ] as const) {
      await expect(startLocalStack({ dataDir, ports })).rejects.toThrow(message);
    }
    expect(await readdir(root)).toEqual([]);
  });

  it('when the data directory existed, then a refused start-up leaves it, and what is in it, as they were', async () => {
    const dataDir = join(root, 'data');
    await mkdir(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
    await writeFile(join(dataDir, 'logs', 'trainer.log'), 'earlier\n');

    await startUntilPortCheck(dataDir);

    expect((await readdir(dataDir)).sort()).toEqual(PARTS.sort());
    expect(existsSync(join(dataDir, 'logs', 'trainer.log'))).toBe(true);
  });

  it('when the user made the data directory open to others, then its mode is kept and the start-up warns', async () => {
    const dataDir = join(root, 'shared');
    await mkdir(dataDir);
    await chmod(dataDir, 0o755);

    const said = await startUntilPortCheck(dataDir);

    expect(modeOf(dataDir)).toBe(0o755);
    expect(PARTS.map((part) => modeOf(join(dataDir, part)))).toEqual(Array(4).fill(0o700));
    expect(said).toContain(
      `warning: other users can enter ${dataDir} (mode 755), which keeps the models, data sets and logs: chmod 700 ${dataDir} to keep them to yourself`,
    );
  });
});
