import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStackError, startNatsServer } from '@mlops/local-stack';
import { canConnect } from '@mlops/supervisor';
import { describe, expect, it } from 'vitest';

describe('local stack: nats-server', () => {
  it('when started with a log file and killed, then the log holds its start-up lines and the end is reported', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-stack-'));
    const logFile = join(dir, 'nats-server.log');
    const server = await startNatsServer({ storeDir: join(dir, 'store'), logFile });
    expect(await canConnect(server.port)).toBe(true);
    await server.kill();
    expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL', requested: true });
    expect(existsSync(server.storeDir)).toBe(true);
    expect(await readFile(logFile, 'utf8')).toMatch(/Server is ready/);
    expect(server.output()).toMatch(/Starting JetStream/);
    await rm(dir, { recursive: true, force: true });
  });

  it('when started with a store and log file of its own, then both are for its user alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-stack-'));
    const logFile = join(dir, 'nats-server.log');
    const server = await startNatsServer({ storeDir: join(dir, 'store'), logFile, auth: { token: 'secret' } });
    try {
      const modeOf = (path: string) => statSync(path).mode & 0o777;

      expect([modeOf(server.storeDir), modeOf(logFile), modeOf(join(server.storeDir, 'nats-server.conf'))]).toEqual([
        0o700, 0o600, 0o600,
      ]);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when its log file cannot be made (its directory is a file), then it starts all the same and says so in its output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-stack-'));
    await writeFile(join(dir, 'not-a-dir'), '');
    const server = await startNatsServer({ storeDir: join(dir, 'store'), logFile: join(dir, 'not-a-dir', 'nats.log') });
    try {
      expect(await canConnect(server.port)).toBe(true);
      expect(server.output()).toMatch(/\[supervisor\] cannot write .*not-a-dir\/nats\.log/);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when the binary is not on PATH, then the error is the install hint with the spawn error as its cause', async () => {
    const failure = await startNatsServer({ binary: 'no-such-nats-server' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(LocalStackError);
    expect((failure as Error).message).toMatch(/apt-get install -y nats-server/);
    expect(((failure as Error).cause as Error).message).toMatch(/ENOENT/);
  });
});
