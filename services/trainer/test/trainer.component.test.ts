import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus, requestReply } from '@mlops/bus';
import { SUBJECTS } from '@mlops/contracts';
import { formatDatasetCsv, makeClassification } from '@mlops/ml';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsTrainerBus } from '../src/adapters/nats-bus.js';
import { createTrainer } from '../src/service.js';
import { testTrainerConfig } from './support/trainer-config.js';

let nats: NatsServerHandle;
let client: NatsConnection;
let trainer: ReturnType<typeof createTrainer>;
let dataDir: string;
const matrixCsv = (() => {
  const { X, y } = makeClassification({ nSamples: 100, nFeatures: 4, nInformative: 2, randomState: 5 });
  return formatDatasetCsv(X, y);
})();
/** A churn table as a spreadsheet in a German locale saves it: semicolons between cells, decimal commas. */
const semicolonCsv = (() => {
  const lines = ['plan;charges;tenure;churned'];
  for (let i = 0; i < 60; i++) {
    const charges = (20 + ((i * 37) % 100) + 0.25).toFixed(2).replace('.', ',');
    lines.push(`${['basic', 'plus', 'pro'][i % 3]};${charges};${1 + ((i * 13) % 72)};${i % 2 === 0 ? 'yes' : 'no'}`);
  }
  return `${lines.join('\n')}\n`;
})();

function collect(subject: string): { data: Record<string, unknown> }[] {
  const seen: { data: Record<string, unknown> }[] = [];
  client.subscribe(subject, {
    callback: (_err, msg) => {
      seen.push(msg.json());
    },
  });
  return seen;
}

async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  nats = await startNatsServer();
  dataDir = await mkdtemp(join(tmpdir(), 'trainer-data-'));
  await writeFile(join(dataDir, 'ragged.csv'), 'a,b,y\n1,2,0\n3,4\n');
  await writeFile(join(dataDir, 'customers.csv'), 'customer_id,plan,plan,churned\nC1,basic,pro,yes\n');
  await writeFile(join(dataDir, 'retrain.csv'), matrixCsv);
  await writeFile(join(dataDir, 'semicolons.csv'), semicolonCsv);
  await writeFile(join(dataDir, 'tabs.csv'), matrixCsv.replaceAll(',', '\t').replaceAll('.', ','));
  const logger = createLogger({ service: 'trainer-test', level: 'silent' });
  const bus = await connectBus({ servers: nats.url, name: 'trainer-test', logger });
  const config = testTrainerConfig(nats.url, dataDir, 'trainer-test');
  trainer = createTrainer(config, { bus: natsTrainerBus(bus, config), logger });
  await trainer.start();
  client = await connect({ servers: nats.url });
});
afterAll(async () => {
  await client?.drain();
  await trainer?.stop();
  await nats?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('trainer on tune.requested', () => {
  it('when the empty request arrives with a reply subject, then it is accepted and 15 trials are published', async () => {
    const completed = collect(SUBJECTS.runCompleted);
    const done = collect(SUBJECTS.tuningCompleted);
    const reply = await requestReply(client, SUBJECTS.tuneRequested, '{}', { timeoutMs: 5000 });
    expect(reply).toMatchObject({ status: 'accepted', trial_count: 15 });
    await until(() => done.length >= 1);
    expect(completed).toHaveLength(15);
    expect(done[0]?.data).toMatchObject({
      tuning_id: (reply as { tuning_id: string }).tuning_id,
      completed: 15,
      failed: 0,
    });
  });

  it('when a request repeats under its own id, then it is accepted again and runs once; another request under that id is refused', async () => {
    const done = collect(SUBJECTS.tuningCompleted);
    const body = JSON.stringify({ tuning_id: 'reused-id', grid: { C: [1], solver: 'lbfgs' } });
    const first = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(first).toMatchObject({ status: 'accepted', tuning_id: 'reused-id', trial_count: 1 });
    await until(() => done.some((e) => e.data.tuning_id === 'reused-id'));
    const repeat = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(repeat).toMatchObject({ status: 'accepted', tuning_id: 'reused-id', trial_count: 1 });
    const other = JSON.stringify({ tuning_id: 'reused-id', grid: { C: [0.1, 1, 10], solver: 'lbfgs' } });
    const reused = await requestReply(client, SUBJECTS.tuneRequested, other, { timeoutMs: 5000 });
    expect(reused).toMatchObject({
      status: 'rejected',
      tuning_id: 'reused-id',
      errors: [
        {
          path: 'tuning_id',
          message: expect.stringMatching(
            /^already taken: another request \(or this one on a CSV whose bytes changed since\) was accepted/,
          ),
        },
      ],
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(done.filter((e) => e.data.tuning_id === 'reused-id')).toHaveLength(1);
  });

  it('when a CSV tuning is sent again under its id after the file changed, then it is refused, not taken for a repeat; unchanged, it is a repeat', async () => {
    const done = collect(SUBJECTS.tuningCompleted);
    const stored = collect(SUBJECTS.tuningRequested);
    await writeFile(join(dataDir, 'edited.csv'), matrixCsv);
    const body = JSON.stringify({
      tuning_id: 'edited-id',
      dataset: { kind: 'csv', path: 'edited.csv', features: 'matrix' },
      grid: { C: [1], solver: 'lbfgs' },
    });
    const ask = () => requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(await ask()).toMatchObject({ status: 'accepted', tuning_id: 'edited-id' });
    await until(() => done.some((e) => e.data.tuning_id === 'edited-id'));
    const digest = createHash('sha256').update(matrixCsv).digest('hex');
    expect(stored.find((e) => e.data.tuning_id === 'edited-id')?.data.request).toMatchObject({
      dataset: { path: 'edited.csv', digest },
    });
    expect(await ask()).toMatchObject({ status: 'accepted', tuning_id: 'edited-id' });
    await writeFile(join(dataDir, 'edited.csv'), `${matrixCsv}0.5,0.5,0.5,0.5,1\n`);
    expect(await ask()).toMatchObject({
      status: 'rejected',
      errors: [{ path: 'tuning_id', message: expect.stringMatching(/^already taken: another request \(or this one/) }],
    });
    expect(done.filter((e) => e.data.tuning_id === 'edited-id')).toHaveLength(1);
  });

  it('when two different requests (one sent twice) claim one new id at the same moment, then the one stored runs, its copy too is accepted, the other is refused', async () => {
    const done = collect(SUBJECTS.tuningCompleted);
    const ids = Array.from({ length: 4 }, (_, i) => `raced-${i}`);
    const grids = { a: [1], b: [0.1, 1] };
    const ask = (id: string, C: number[]) =>
      requestReply(client, SUBJECTS.tuneRequested, JSON.stringify({ tuning_id: id, grid: { C, solver: 'lbfgs' } }), {
        timeoutMs: 5000,
      });
    const races = await Promise.all(
      ids.map((id) => Promise.all([ask(id, grids.a), ask(id, grids.a), ask(id, grids.b)])),
    );
    for (const [a, copy, b] of races) {
      expect(copy!.status).toBe(a!.status);
      expect([a!.status, b!.status].sort()).toEqual(['accepted', 'rejected']);
    }
    await until(() => ids.every((id) => done.some((e) => e.data.tuning_id === id)));
    for (const [i, id] of ids.entries()) {
      const winner = races[i]!.find((r) => r.status === 'accepted') as { trial_count: number };
      expect(done.find((e) => e.data.tuning_id === id)?.data.completed).toBe(winner.trial_count);
    }
    // Sent again, each stays what it was: the winner accepted (a repeat), the loser refused.
    const aWon = races[0]![0]!.status === 'accepted';
    const again = await Promise.all([ask(ids[0]!, aWon ? grids.a : grids.b), ask(ids[0]!, aWon ? grids.b : grids.a)]);
    expect(again.map((r) => r.status)).toEqual(['accepted', 'rejected']);
  });

  it('when the request is invalid, then the reply lists every error and tune.rejected is published', async () => {
    const rejected = collect(SUBJECTS.tuneRejected);
    const body = JSON.stringify({ tuning_id: 'bad-1', grid: { C: [0], solver: ['sgd'] } });
    const reply = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(reply.status).toBe('rejected');
    expect(reply.status === 'rejected' && reply.errors.map((e) => e.path)).toEqual(['grid.C.0', 'grid.solver.0']);
    await until(() => rejected.length === 1);
    expect(rejected[0]?.data).toMatchObject({ tuning_id: 'bad-1' });
  });

  it('when the body is not JSON or names a CSV outside the data directory, then it is rejected saying so', async () => {
    const bad = await requestReply(client, SUBJECTS.tuneRequested, '{nope', { timeoutMs: 5000 });
    expect(bad).toMatchObject({ status: 'rejected', errors: [{ path: '(body)' }] });
    const body = JSON.stringify({ dataset: { kind: 'csv', path: '../../etc/passwd' } });
    const escaping = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(escaping).toMatchObject({
      status: 'rejected',
      errors: [{ path: 'dataset.path', message: expect.stringMatching(/inside the trainer data directory/) }],
    });
  });

  it('when an accepted request names a CSV that turns out malformed, then the tuning is rejected, not retried', async () => {
    const rejected = collect(SUBJECTS.tuneRejected);
    const started = collect(SUBJECTS.tuningStarted);
    const body = JSON.stringify({ tuning_id: 'ragged-1', dataset: { kind: 'csv', path: 'ragged.csv' } });
    const reply = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(reply).toMatchObject({ status: 'accepted', tuning_id: 'ragged-1' });
    await until(() => rejected.length === 1);
    expect(rejected[0]?.data).toMatchObject({
      tuning_id: 'ragged-1',
      errors: [{ path: 'dataset', message: expect.stringMatching(/ragged\.csv:3: 2 cells/) }],
    });
    const jsm = await jetstreamManager(client);
    // The rejection is published before the handler returns and the message is acked: wait for the ack.
    let work = await jsm.consumers.info('TUNE_REQUESTS', 'trainer-tuning-requests');
    for (let i = 0; i < 100 && work.num_ack_pending > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      work = await jsm.consumers.info('TUNE_REQUESTS', 'trainer-tuning-requests');
    }
    expect([work.num_ack_pending, work.num_redelivered]).toEqual([0, 0]);
    expect(started).toHaveLength(0);
  });

  it('when a request names a target or columns the CSV header lacks, then the intake refuses it before queueing', async () => {
    const body = JSON.stringify({
      dataset: { kind: 'csv', path: 'customers.csv', target: 'churn', columns: { exclude: ['id'] } },
    });
    const reply = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(reply).toMatchObject({ status: 'rejected' });
    expect(reply.status === 'rejected' && reply.errors).toEqual([
      { path: 'dataset.path', message: 'column "plan" is named twice in the header' },
      { path: 'dataset.target', message: 'no column named "churn" (columns: customer_id, plan, plan, churned)' },
      {
        path: 'dataset.columns.exclude.0',
        message: '"id" is not a column (columns: customer_id, plan, plan, churned)',
      },
    ]);
  });

  it('when a CSV separated by semicolons with decimal commas says so, then it is tuned with its numbers read; unsaid, the intake refuses it with the hint', async () => {
    const dataset = { kind: 'csv', path: 'semicolons.csv', target: 'churned', delimiter: ';', decimal: ',' };
    const started = collect(SUBJECTS.tuningStarted);
    const done = collect(SUBJECTS.tuningCompleted);
    const grid = { C: [1], solver: ['lbfgs'] };
    const body = JSON.stringify({ tuning_id: 'semicolons-1', dataset, grid });
    const reply = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(reply).toMatchObject({ status: 'accepted', tuning_id: 'semicolons-1', trial_count: 1 });
    await until(() => done.length >= 1);
    expect(done[0]?.data).toMatchObject({ tuning_id: 'semicolons-1', completed: 1, failed: 0 });
    const summary = started[0]?.data.dataset as { columns: unknown; input_example: unknown[][] };
    expect(summary.columns).toMatchObject({ numeric: ['charges', 'tenure'], categorical: ['plan'] });
    expect(summary.input_example.flat().filter((cell) => typeof cell === 'number').length).toBeGreaterThan(0);
    const unsaid = JSON.stringify({ dataset: { kind: 'csv', path: 'semicolons.csv', target: 'churned' }, grid });
    const refused = await requestReply(client, SUBJECTS.tuneRequested, unsaid, { timeoutMs: 5000 });
    expect(refused).toMatchObject({
      status: 'rejected',
      errors: [{ path: 'dataset.target', message: expect.stringMatching(/say so with "delimiter": ";"/) }],
    });
  });

  it('when a tab-separated matrix CSV with decimal commas says so, then it is tuned', async () => {
    const dataset = { kind: 'csv', path: 'tabs.csv', features: 'matrix', delimiter: '\t', decimal: ',' };
    const done = collect(SUBJECTS.tuningCompleted);
    const body = JSON.stringify({ tuning_id: 'tabs-1', dataset, grid: { C: [1], solver: ['lbfgs'] } });
    const reply = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(reply).toMatchObject({ status: 'accepted', tuning_id: 'tabs-1', trial_count: 1 });
    await until(() => done.length >= 1);
    expect(done[0]?.data).toMatchObject({ tuning_id: 'tabs-1', completed: 1, failed: 0 });
  });

  it('when a matrix CSV is pinned by its digest, then it is tuned; pinned by another digest, the intake refuses it', async () => {
    const digest = createHash('sha256').update(matrixCsv).digest('hex');
    const dataset = { kind: 'csv', path: 'retrain.csv', features: 'matrix', digest };
    const done = collect(SUBJECTS.tuningCompleted);
    const grid = { C: [1], solver: ['lbfgs'] };
    const body = JSON.stringify({ tuning_id: 'matrix-1', dataset, grid });
    const reply = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(reply).toMatchObject({ status: 'accepted', tuning_id: 'matrix-1', trial_count: 1 });
    await until(() => done.length >= 1);
    expect(done[0]?.data).toMatchObject({ tuning_id: 'matrix-1', completed: 1, failed: 0 });
    const other = 'f'.repeat(64);
    const pinnedElse = JSON.stringify({ dataset: { ...dataset, digest: other }, grid });
    const refused = await requestReply(client, SUBJECTS.tuneRequested, pinnedElse, { timeoutMs: 5000 });
    expect(refused).toMatchObject({
      status: 'rejected',
      errors: [
        {
          path: 'dataset.digest',
          message: `dataset "retrain.csv": expected SHA-256 ${other}, the file's is ${digest} (it changed since it was pinned)`,
        },
      ],
    });
  });

  it('when a matrix CSV gets a pinned CSV appended, then it is tuned on both; a missing or changed one is refused at append_training', async () => {
    const digest = createHash('sha256').update(matrixCsv).digest('hex');
    const dataset = { kind: 'csv', path: 'retrain.csv', features: 'matrix', digest };
    const started = collect(SUBJECTS.tuningStarted);
    const grid = { C: [1], solver: ['lbfgs'] };
    const body = JSON.stringify({ tuning_id: 'append-1', dataset, append_training: dataset, grid });
    const reply = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(reply).toMatchObject({ status: 'accepted', tuning_id: 'append-1', trial_count: 1 });
    await until(() => started.length === 1);
    expect(started[0]?.data).toMatchObject({
      dataset: { n_train: 80 + 100, n_test: 20, appended: { name: 'retrain.csv', rows: 100 } },
      append_training: dataset,
    });
    const other = 'f'.repeat(64);
    const refusals = [
      [{ ...dataset, path: 'missing.csv' }, 'append_training.path', /missing\.csv.*not found/],
      [{ ...dataset, digest: other }, 'append_training.digest', /expected SHA-256 f{64}/],
    ] as const;
    for (const [appended, path, message] of refusals) {
      const refusedBody = JSON.stringify({ dataset, append_training: appended, grid });
      const refused = await requestReply(client, SUBJECTS.tuneRequested, refusedBody, { timeoutMs: 5000 });
      expect(refused).toMatchObject({
        status: 'rejected',
        errors: [{ path, message: expect.stringMatching(message) }],
      });
    }
  });

  it('when a request has thousands of problems, then the reply lists 20 of them and says how many more', async () => {
    const keys = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`.repeat(50), i]));
    const body = JSON.stringify({ grid: { C: Array(900).fill('x') }, ...keys });
    const reply = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(reply.status).toBe('rejected');
    const errors = reply.status === 'rejected' ? reply.errors : [];
    expect(errors).toHaveLength(21);
    expect(errors.at(-1)?.message).toMatch(/and \d+ more problems/);
    expect(Math.max(...errors.map((e) => e.message.length))).toBeLessThanOrEqual(300);
  });
});
