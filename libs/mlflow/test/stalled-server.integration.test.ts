import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMlflowClient, tagEquals } from '../src/index.js';

// A keyed create whose request stalls on its way to the real MLflow past the client's timeout, and reaches the server
// only after the client's first lookup was answered (as a stalled server runs a queued create beside that lookup):
// the client must not send the create again and leave two runs.

const KEY = 'mlops.idempotency_key';
const mlflow = inject('mlflowTrackingUri');

/** Forwards requests to MLflow; holds the first `runs/create` until a `runs/search` after it has been answered. */
class StallingProxy {
  private held: (() => Promise<unknown>) | undefined;
  private stalled = false;
  readonly server: Server = createServer((req, res) => {
    void this.handle(req).then(
      ({ status, body }) => res.writeHead(status, { 'content-type': 'application/json' }).end(body),
      () => res.destroy(),
    );
  });

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const body = await text(req);
    const forward = () => forwardTo(req.method ?? 'GET', req.url ?? '/', body);
    if (req.url?.endsWith('/runs/create') && !this.stalled) {
      this.stalled = true;
      this.held = forward;
      return new Promise(() => undefined); // the client times out; the create is sent on later
    }
    const answer = await forward();
    if (req.url?.endsWith('/runs/search') && this.held !== undefined) {
      const release = this.held;
      this.held = undefined;
      setImmediate(() => void release()); // after the client has the lookup's (empty) answer
    }
    return answer;
  }
}

async function text(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

async function forwardTo(method: string, path: string, body: string): Promise<{ status: number; body: string }> {
  const answer = await fetch(`${mlflow}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body }),
  });
  return { status: answer.status, body: await answer.text() };
}

let proxy: StallingProxy;
beforeAll(async () => {
  proxy = new StallingProxy();
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => {
  proxy.server.closeAllConnections();
  proxy.server.close();
});

describe('a keyed create that reaches MLflow only after the lookup that followed its timeout', () => {
  it('when the create commits just after the first lookup found nothing, then it is found again and not sent twice', async () => {
    const direct = createMlflowClient({ trackingUri: mlflow });
    const { experimentId } = await direct.getOrCreateExperiment(`stall-${randomUUID()}`);
    const client = createMlflowClient({ trackingUri: proxy.url, timeoutMs: 500, retries: { baseDelayMs: 50 } });
    const value = randomUUID();

    const run = await client.createRun({ experimentId, idempotencyTag: { key: KEY, value, knownAbsent: true } });
    await sleep(500);

    const { runs } = await direct.searchRuns({ experimentIds: [experimentId], filter: tagEquals(KEY, value) });
    expect(runs.map((r) => r.info.runId)).toEqual([run.info.runId]);
  });
});
