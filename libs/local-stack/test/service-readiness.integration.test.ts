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
});
