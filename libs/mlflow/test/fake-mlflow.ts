import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import { emptyStore, error, type FakeAnswer, type FakeStore, fakeRoutes } from './fake-store.js';

/**
 * What one request meets instead of a plain answer: with `apply` the request takes effect first (the create
 * reached the server); then the connection is reset (RST, the answer is lost) or the given status is answered.
 */
export interface Fault {
  readonly apply?: boolean;
  readonly answer: 'reset' | number;
}

/** A fake tracking server on a real socket: scripted faults per call, an in-memory store, request counts. */
export interface FakeMlflow {
  readonly uri: string;
  readonly store: FakeStore;
  /** The next requests to `call` (`METHOD endpoint`, e.g. `POST runs/create`) meet these faults, in order. */
  fail(call: string, ...faults: Fault[]): void;
  /** How many requests `call` has seen. */
  count(call: string): number;
}

const PREFIX = '/api/2.0/mlflow/';
const ERROR_CODES: Record<number, string> = {
  404: 'RESOURCE_DOES_NOT_EXIST',
  429: 'REQUEST_LIMIT_EXCEEDED',
  500: 'INTERNAL_ERROR',
  503: 'TEMPORARILY_UNAVAILABLE',
};

/** Starts a fake MLflow inside the current test; it is closed when the test ends. */
export async function startFakeMlflow(): Promise<FakeMlflow> {
  const store = emptyStore();
  const routes = fakeRoutes(store);
  const faults = new Map<string, Fault[]>();
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const call = `${req.method} ${url.pathname.slice(PREFIX.length)}`;
      counts.set(call, (counts.get(call) ?? 0) + 1);
      const route = routes[call] ?? (() => error(404, 'ENDPOINT_NOT_FOUND'));
      const apply = () => route({ body: text === '' ? {} : JSON.parse(text), query: url.searchParams });
      const fault = faults.get(call)?.shift();
      if (fault === undefined) return answer(res, apply());
      if (fault.apply === true) apply();
      if (fault.answer === 'reset') return req.socket.resetAndDestroy();
      answer(res, error(fault.answer, ERROR_CODES[fault.answer] ?? `HTTP_${fault.answer}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    store,
    fail: (call, ...more) => faults.set(call, [...(faults.get(call) ?? []), ...more]),
    count: (call) => counts.get(call) ?? 0,
  };
}

function answer(res: ServerResponse, { status, json }: FakeAnswer): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
