import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fetchRefusesPort, findFreePort } from '../src/index.js';

/** The kernel's lowest ephemeral source port. */
const EPHEMERAL_LOW = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

describe('findFreePort', () => {
  it('when asked, then the port is below the ephemeral range (no connection can hold it as its source), not one fetch refuses, and free', async () => {
    const ports = await Promise.all(Array.from({ length: 40 }, () => findFreePort()));

    expect(ports.filter((port) => port >= EPHEMERAL_LOW || port < 10_000)).toEqual([]);
    expect(ports.filter(fetchRefusesPort)).toEqual([]);
    const port = ports[0] as number;
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1', exclusive: true }, resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('findFreePort, called again before anything binds', () => {
  it('when asked for many ports in one process, one after another and at once, then none is returned twice', async () => {
    const oneByOne: number[] = [];
    for (let i = 0; i < 600; i++) oneByOne.push(await findFreePort());
    const atOnce = await Promise.all(Array.from({ length: 600 }, () => findFreePort()));
    const ports = [...oneByOne, ...atOnce];

    expect(new Set(ports).size).toBe(ports.length);
  });
});
