import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NatsServerHandle, startNatsServer, startService } from '@mlops/local-stack';
import { findFreePort, ProcessExitedError } from '@mlops/supervisor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A service whose health port another process took first (it answers /ready 200 there): the stack must not take
// that answer for the service's own, or it reports the service ready while the service dies with EADDRINUSE.

let nats: NatsServerHandle;
let dataDir: string;
let stranger: Server;
let strangerPort: number;
beforeAll(async () => {
  nats = await startNatsServer();
  dataDir = await mkdtemp(join(tmpdir(), 'service-readiness-'));
  strangerPort = await findFreePort();
  stranger = createServer((_req, res) => res.end(JSON.stringify({ alive: true, ready: true, pid: process.pid })));
  await new Promise<void>((resolve) => stranger.listen(strangerPort, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => stranger?.close(resolve));
  await nats?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('startService when another process holds the health port', () => {
  it('when the trainer cannot bind the port a stranger answers on, then its start fails with EADDRINUSE, not "ready"', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      NATS_URL: nats.url,
      TRAINER_DATA_DIR: dataDir,
      TRAINER_HEALTH_PORT: String(strangerPort),
    };
    const readyUrl = `http://127.0.0.1:${strangerPort}/ready`;
    const failure = await startService('trainer', { env, readyUrl, startupTimeoutMs: 60_000 }).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(ProcessExitedError);
    expect((failure as Error).message).toContain('EADDRINUSE');
  }, 90_000);

  it('when another process takes its port while it is down, then the restart after the failed one moves it to a free port', async () => {
    const port = await findFreePort();
    const env = {
      PATH: process.env.PATH ?? '',
      NATS_URL: nats.url,
      TRAINER_DATA_DIR: dataDir,
      TRAINER_HEALTH_PORT: String(port),
    };
    const spawnedAt: string[] = [];
    const moves: string[] = [];
    const trainer = await startService('trainer', {
      env,
      readyUrl: `http://127.0.0.1:${port}/ready`,
      startupTimeoutMs: 60_000,
      portVariable: 'TRAINER_HEALTH_PORT',
      onSpawn: (_pid, url) => spawnedAt.push(url),
      onMoved: (url) => moves.push(url),
    });
    try {
      await trainer.kill();
      const squatter = createServer((_req, res) => res.end('{}'));
      await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
      try {
        // The run the crash left behind says nothing of the port: the first restart tries it, and finds it taken.
        expect(await trainer.restart().catch((e: unknown) => e)).toBeInstanceOf(ProcessExitedError);
        expect(moves).toEqual([]);
        await trainer.restart();
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
      expect(moves).toHaveLength(1);
      const moved = new URL(moves[0]!);
      expect(moved.port).not.toBe(String(port));
      expect(moved.pathname).toBe('/ready');
      expect(spawnedAt.at(-1)).toBe(moves[0]);
      const answer = (await (await fetch(moved)).json()) as { pid?: number };
      expect(answer.pid).toBe(trainer.pid);
    } finally {
      await trainer.stop();
    }
  }, 120_000);
});
