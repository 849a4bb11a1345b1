import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { servedElsewhereNote } from '../src/commands/tune.js';

let dir: string;
let server: Server | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'served-note-'));
});
afterEach(async () => {
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A predictor stand-in answering /ready with `body`, and this process recorded as the running stack's mlops up. */
async function stackServing(body: unknown): Promise<string> {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/ready' ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const predictor = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const state = {
    format: 1,
    pid: process.pid,
    state: 'running',
    started_at: '2026-12-05T01:00:00.000Z',
    updated_at: '2026-12-05T01:00:01.000Z',
    data_dir: dir,
    endpoints: { nats: 'nats://127.0.0.1:4999', mlflow: 'http://127.0.0.1:5999', predictor },
    processes: [],
  };
  await writeFile(join(dir, 'stack.json'), JSON.stringify(state));
  return predictor;
}

describe('the note after a tuning registered a model the stack does not serve', () => {
  const io = () => ({ cwd: '/', env: { MLOPS_DATA_DIR: dir } });

  it('when the predictor serves another model, then the note names both and how to serve the new one', async () => {
    const predictor = await stackServing({ status: 'ready', model: { name: 'One_Customer_Classifier', version: '1' } });
    expect(await servedElsewhereNote(io(), undefined, 'One_Customer_Classifer')).toBe(
      `note: the stack's predictor (${predictor}) serves One_Customer_Classifier, not One_Customer_Classifer (a misspelt --model-name makes a new model; MODEL_NAME=One_Customer_Classifer serves this one)\n`,
    );
  });

  it('when it serves that model, serves nothing yet, or the tuning went to another NATS, then no note', async () => {
    await stackServing({ status: 'ready', model: { name: 'm', version: '2' } });
    expect(await servedElsewhereNote(io(), undefined, 'm')).toBeUndefined();
    expect(await servedElsewhereNote(io(), 'nats://elsewhere:4222', 'other')).toBeUndefined();
    expect(await servedElsewhereNote(io(), 'nats://127.0.0.1:4999', 'other')).toMatch(/^note: /);
  });

  it('when the predictor has no model loaded yet, then no note', async () => {
    await stackServing({ status: 'not ready', reason: 'no model loaded yet' });
    expect(await servedElsewhereNote(io(), undefined, 'm')).toBeUndefined();
  });
});
