import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A minimal liveness/readiness endpoint for services without an HTTP API of their own (compose, the local stack). */
export interface HealthServer {
  /** The bound port (useful when 0 was asked for). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /health` (200 while the process runs) and `GET /ready` (200 when `isReady()` is true, else 503), both
 * naming the process's pid: a supervisor can tell its own process's answer from another one's on the same port.
 */
export async function startHealthServer(port: number, host: string, isReady: () => boolean): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const ready = isReady();
    const status = req.url === '/health' ? 200 : req.url === '/ready' ? (ready ? 200 : 503) : 404;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(status === 404 ? { error: 'try /health or /ready' } : { alive: true, ready, pid: process.pid }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
