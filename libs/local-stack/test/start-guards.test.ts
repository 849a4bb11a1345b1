import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processStart } from '../src/process-table.js';
import { claimDataDir, STACK_LOCK_FILE } from '../src/start-guards.js';

// The lock file that makes one `mlops up` at a time the owner of a data directory, before any state file exists.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'start-guards-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const refused = (pid: number, dataDir: string) =>
  `another mlops up (pid ${pid}) runs a stack on ${dataDir}: stop it first, or choose another --data-dir (see mlops status)`;

describe('claimDataDir', () => {
  it('when two claim a new data directory at the same moment, then one gets it and the other is refused', async () => {
    const dataDir = join(dir, 'new');
    const outcomes = await Promise.allSettled([
      claimDataDir(dataDir, () => undefined),
      claimDataDir(dataDir, () => undefined),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejection = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect((rejection?.reason as Error).message).toBe(refused(process.pid, dataDir));
    expect(await readdir(dataDir)).toEqual([STACK_LOCK_FILE]);
  });

  it('when a data directory is claimed, then its lock file is for its user alone, as every file of the stack', async () => {
    const release = await claimDataDir(dir, () => undefined);
    try {
      expect(statSync(join(dir, STACK_LOCK_FILE)).mode & 0o777).toBe(0o600);
    } finally {
      await release();
    }
  });

  it('when the holder released it, then the lock file is gone and the next claim gets it', async () => {
    const release = await claimDataDir(dir, () => undefined);
    await expect(claimDataDir(dir, () => undefined)).rejects.toThrow(refused(process.pid, dir));
    await release();
    expect(await readdir(dir)).toEqual([]);
    await (await claimDataDir(dir, () => undefined))();
  });

  it('when the holder of the lock still runs, then the data directory is refused', async () => {
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await once(holder, 'spawn');
    try {
      const pid = holder.pid as number;
      await writeFile(join(dir, STACK_LOCK_FILE), JSON.stringify({ pid, start: await processStart(pid) }));
      await expect(claimDataDir(dir, () => undefined)).rejects.toThrow(refused(pid, dir));
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('when the holder of the lock is gone (SIGKILL) or its pid is another process now, then the lock is taken over', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const lock = join(dir, STACK_LOCK_FILE);
    await writeFile(lock, JSON.stringify({ pid: gone, start: 'its start' }));
    await (await claimDataDir(dir, () => undefined))();
    await writeFile(lock, JSON.stringify({ pid: process.pid, start: 'the start of an earlier process' }));
    const release = await claimDataDir(dir, () => undefined);
    await expect(claimDataDir(dir, () => undefined)).rejects.toThrow(refused(process.pid, dir));
    await release();
    expect(await readdir(dir)).toEqual([]);
  });
});
