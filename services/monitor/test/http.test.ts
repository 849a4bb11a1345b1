import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMonitorHttp } from '../src/entry-points/http.js';

let http: Awaited<ReturnType<typeof startMonitorHttp>>;
const url = (path: string) => `http://127.0.0.1:${http.port}${path}`;

beforeAll(async () => {
  http = await startMonitorHttp({ port: 0, host: '127.0.0.1', registry: new Registry(), isReady: () => true });
});
afterAll(async () => {
  await http?.close();
});

describe("the monitor's HTTP side", () => {
  it('when /metrics, /health or /ready is read with GET, then it answers 200; HEAD answers without a body', async () => {
    for (const path of ['/metrics', '/health', '/ready']) expect((await fetch(url(path))).status, path).toBe(200);
    const head = await fetch(url('/health'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('when /health or /ready is read, then the answer names the pid of the process (the stack tells its own from a stranger on the port)', async () => {
    expect(await (await fetch(url('/health'))).json()).toEqual({ alive: true, pid: process.pid });
    expect(await (await fetch(url('/ready'))).json()).toEqual({ ready: true, pid: process.pid });
  });

  it('when a path is written to with POST, PUT or DELETE, then it answers 405 naming the allowed methods', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(url('/metrics'), { method, body: method === 'DELETE' ? null : 'x' });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(await res.json()).toEqual({
        error: `${method} is not allowed: the monitor's HTTP side is read-only (GET)`,
      });
    }
  });

  it('when another path is read, then it answers 404 naming the paths there are', async () => {
    const res = await fetch(url('/nope'));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'try /health, /ready or /metrics' });
  });
});
