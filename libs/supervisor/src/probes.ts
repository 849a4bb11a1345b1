import { readFile } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { fetchRefusesPort } from './fetch-ports.js';
import type { ReadinessProbe } from './readiness.js';

/**
 * A free TCP port on 127.0.0.1 (closed again before returning), for servers started on it next. It is taken below the
 * kernel's ephemeral range when one is free there: a server restarted on its port (the stack's restarts, the fault
 * tests) would otherwise find it held by some connection's source port, which the kernel hands out from that range.
 * Ports fetch refuses are never returned; when no port below the range is found, the kernel chooses one. A port is
 * never returned twice in one process: the servers it is meant for bind later, so until they do it still looks free
 * (the stack picks its services' ports one after another before starting any of them).
 */
export async function findFreePort(): Promise<number> {
  const [ephemeralLow] = await ephemeralRange();
  const low = 10_000;
  for (let attempt = 0; attempt < 50 && ephemeralLow > low + 1000; attempt++) {
    const port = low + Math.floor(Math.random() * (ephemeralLow - low));
    if (handedOut.has(port) || fetchRefusesPort(port)) continue;
    handedOut.add(port); // before the await: concurrent calls must not pick it either
    if (await canBind(port)) return port;
    handedOut.delete(port); // held by someone now: it may be handed out once it is free
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await kernelChosenPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found that this process has not handed out already');
}

/** Every port findFreePort returned in this process (and the ones it is trying). */
const handedOut = new Set<number>();

/** The kernel's range of ephemeral source ports (Linux's default where it cannot be read). */
async function ephemeralRange(): Promise<[number, number]> {
  const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768 60999');
  const [low = 32768, high = 60999] = text.trim().split(/\s+/).map(Number);
  return [low, high];
}

/** Whether a server can listen on 127.0.0.1:`port` now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel picks (from its ephemeral range). */
async function kernelChosenPort(): Promise<number> {
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

/**
 * Readiness of an HTTP server that names its pid in a JSON body (`{"pid": …}`): a GET of `url` answers 2xx, and from
 * the starting run itself. Another process that holds the port (one that took it first) is not taken for it.
 */
export function httpOkFromItself(url: string, timeoutMs = 1000, headers: ProbeHeaders = {}): ReadinessProbe {
  return async (target) => {
    try {
      const answer = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
      const body = (await answer.json()) as { pid?: unknown } | null;
      return answer.ok && target.pid !== undefined && body?.pid === target.pid;
    } catch {
      return false;
    }
  };
}

/** Readiness announced in the output: the current run has printed a line matching `pattern`. */
export function logLine(pattern: RegExp): ReadinessProbe {
  return (target) => target.runLines().some((line) => line.search(pattern) !== -1);
}
