import { createServer, Socket } from 'node:net';
import type { ReadinessProbe } from './readiness.js';

/** Asks the OS for a free TCP port on 127.0.0.1 (closed again before returning), for servers started on it next. */
export async function findFreePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** True once something accepts TCP connections on the port (within 500 ms); false otherwise. */
export async function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, host);
  });
}

/** Request headers a probe sends: an `authorization` a protected health endpoint wants (never logged). */
export type ProbeHeaders = Readonly<Record<string, string>>;

/** True when a GET of the URL (with `headers`) answers 2xx within the timeout; false on any error. */
export async function answersOk(url: string, timeoutMs = 2000, headers: ProbeHeaders = {}): Promise<boolean> {
  try {
    return (await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) })).ok;
  } catch {
    return false;
  }
}

/** Readiness of a TCP server: its port accepts connections. */
export function portOpen(port: number, host = '127.0.0.1'): ReadinessProbe {
  return () => canConnect(port, host);
}

/** Readiness of an HTTP server: a GET of `url` (a /health or /ready endpoint), with `headers`, answers 2xx. */
export function httpOk(url: string, timeoutMs = 1000, headers: ProbeHeaders = {}): ReadinessProbe {
  return () => answersOk(url, timeoutMs, headers);
}

/** Readiness announced in the output: the current run has printed a line matching `pattern`. */
export function logLine(pattern: RegExp): ReadinessProbe {
  return (target) => target.runLines().some((line) => line.search(pattern) !== -1);
}
