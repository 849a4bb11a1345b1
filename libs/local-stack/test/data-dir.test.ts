import { statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLocalStack } from '../src/stack.js';

// The data directory keeps models, data sets (customer rows with labels) and logs: what the stack creates there is
// its user's alone. Each start-up here stops early, at a port already taken, after the directories are made.

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
  it('when the stack creates the data directory, then it and every directory below are for its user alone', async () => {
    const dataDir = join(root, 'data');

    const said = await startUntilPortCheck(dataDir);

    expect([dataDir, ...PARTS.map((part) => join(dataDir, part))].map(modeOf)).toEqual(Array(5).fill(0o700));
    expect(said.filter((line) => line.startsWith('warning'))).toEqual([]);
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
