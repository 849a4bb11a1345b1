import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, startNatsServer } from '@mlops/testkit';
import { describe, expect, it } from 'vitest';
import { type BusLogger, ConnectError, connectBus, shownServer } from '../src/index.js';

const silent: BusLogger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };

describe('refused', () => {
  it('when the credentials in the server URL are refused, then the error names the server without them', async () => {
    const server = await startNatsServer({ auth: { user: 'natsu', password: 'right-one' } });
    try {
      const url = server.url.replace('nats://', 'nats://natsu:SEKRET-wrong@');
      const err = await connectBus({ servers: url, name: 'refused-test', logger: silent }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as Error).message).toContain(`cannot connect to NATS at ${server.url}: `);
      expect((err as Error).message).not.toContain('SEKRET');
    } finally {
      await server.stop();
    }
  });

  it('when TLS is required (a tls:// NATS_URL) and the server offers none, then connecting fails at once saying so', async () => {
    const server = await startNatsServer();
    try {
      const servers = server.url.replace('nats://', 'tls://');
      const started = Date.now();
      const err = await connectBus({ servers, security: { tls: {} }, name: 'tls-test', logger: silent }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as Error).message).toMatch(/does not support 'tls'/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await server.stop();
    }
  });

  it('when a server address is shown, then user, password or token are left out', () => {
    expect(['nats://u:p@h:4222', 'tls://tok@h:4222', 'u:p@h:4222', 'nats://h:4222', 'h:4222'].map(shownServer)).toEqual(
      ['nats://h:4222', 'tls://h:4222', 'h:4222', 'nats://h:4222', 'h:4222'],
    );
  });
});

describe('reconnect', () => {
  it('when nats-server restarts on the same port and store, then the consumer goes on with new messages', async () => {
    const storeDir = await mkdtemp(join(tmpdir(), 'bus-restart-'));
    const port = await findFreePort();
    let server = await startNatsServer({ port, storeDir });
    const bus = await connectBus({ servers: server.url, name: 'restart-test', logger: silent });
    try {
      await bus.ensureStream({ name: 'RESTART', subjects: ['restart.>'] });
      await bus.ensureConsumer('RESTART', { durable: 'worker', ackWaitMs: 2000 });
      const seen: string[] = [];
      const handle = await bus.consumeRaw('RESTART', 'worker', async (m) => {
        seen.push(new TextDecoder().decode(m.data));
      });
      await bus.publishRaw('restart.a', 'before', { msgId: 'before' });
      await waitFor(() => seen.includes('before'));

      await server.stop();
      server = await startNatsServer({ port, storeDir });
      await bus.publishRaw('restart.a', 'after', { msgId: 'after' });
      await waitFor(() => seen.includes('after'), 30_000);
      // At least once: an ack in flight when the server went away may be lost, so 'before' may come twice.
      expect([...new Set(seen)]).toEqual(['before', 'after']);
      await handle.stop();
    } finally {
      await bus.close();
      await server.stop();
      await rm(storeDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('first connect', () => {
  it('when the service starts before nats-server, then connecting waits for the server instead of failing', async () => {
    const port = await findFreePort();
    const connecting = connectBus({ servers: `nats://127.0.0.1:${port}`, name: 'early', logger: silent });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const server = await startNatsServer({ port });
    const bus = await connecting;
    try {
      await bus.ensureStream({ name: 'EARLY', subjects: ['early.>'] });
      expect((await bus.publishRaw('early.x', '{}', { msgId: 'x' })).seq).toBe(1);
    } finally {
      await bus.close();
      await server.stop();
    }
  }, 30_000);
});

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
