import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * The monitor's HTTP side: `GET /health`, `GET /ready` (503 until the state is restored) and `GET /metrics`; another
 * method is answered 405 with `Allow`, another path 404.
 */
export async function startMonitorHttp(options: {
  port: number;
  host: string;
  registry: Registry;
  isReady: () => boolean;
}): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD' });
      res.end(JSON.stringify({ error: `${req.method} is not allowed: the monitor's HTTP side is read-only (GET)` }));
      return;
    }
    void answer(req.url ?? '/', options).then(({ status, type, body }) => {
      res.writeHead(status, { 'content-type': type });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function answer(url: string, options: { registry: Registry; isReady: () => boolean }) {
  const json = 'application/json';
  const path = url.split('?')[0];
  if (path === '/metrics')
    return { status: 200, type: options.registry.contentType, body: await options.registry.metrics() };
  if (path === '/health') return { status: 200, type: json, body: JSON.stringify({ alive: true, pid: process.pid }) };
  if (path === '/ready') {
    const ready = options.isReady();
    return { status: ready ? 200 : 503, type: json, body: JSON.stringify({ ready, pid: process.pid }) };
  }
  return { status: 404, type: json, body: JSON.stringify({ error: 'try /health, /ready or /metrics' }) };
}
