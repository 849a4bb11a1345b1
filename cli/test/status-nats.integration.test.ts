import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { writeRunningState } from './support/stack-state.js';

// `mlops status` of a real nats-server, answering and frozen (SIGSTOP): the kernel still accepts connections on a
// stopped server's port, so only a reply to the NATS handshake counts as answering.

let nats: NatsServerHandle;
let dir: string;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = await mkdtemp(join(tmpdir(), 'mlops-status-nats-'));
  const endpoints = { nats: nats.url, mlflow: 'http://127.0.0.1:9', predictor: 'http://127.0.0.1:9' };
  await writeRunningState(dir, endpoints, [
    {
      name: 'nats-server',
      pid: nats.pid,
      state: 'running',
      log: join(dir, 'data', 'logs', 'nats-server.log'),
      health: `tcp://127.0.0.1:${nats.port}`,
    },
  ]);
}, 30_000);

afterAll(async () => {
  if (nats?.pid !== undefined) process.kill(nats.pid, 'SIGCONT');
  await nats?.stop();
  await rm(dir, { recursive: true, force: true });
});

const status = () => runCli(['status'], { cwd: dir, env: {} });

describe('mlops status of a real nats-server', () => {
  it('when it runs, then its process answers and NATS is reachable', async () => {
    const result = await status();
    expect(result.stdout).toMatch(new RegExp(` {2}nats-server +running +${nats.pid} +0 +answering +-`));
    expect(result.stdout).toContain(`  NATS       ${nats.url}  reachable`);
  }, 30_000);

  it('when it is frozen (SIGSTOP), then neither its process nor NATS is said to answer', async () => {
    process.kill(nats.pid as number, 'SIGSTOP');
    try {
      const result = await status();
      const row = `NOT ANSWERING \\(connection open, no reply in 3 s: tcp://127\\.0\\.0\\.1:${nats.port}\\)`;
      expect(result.stdout).toMatch(new RegExp(` {2}nats-server +running +${nats.pid} +0 +${row}`));
      expect(result.stdout).toContain(`  NATS       ${nats.url}  NOT ANSWERING (connection open, no reply in 5 s)`);
      expect(result.code).toBe(1);
    } finally {
      process.kill(nats.pid as number, 'SIGCONT');
    }
  }, 30_000);
});
