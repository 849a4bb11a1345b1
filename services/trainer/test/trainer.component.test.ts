import { connectBus } from '@mlops/bus';
import { SUBJECTS, type TuneReply } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsTrainerBus } from '../src/adapters/nats-bus.js';
import { createTrainer } from '../src/service.js';

let nats: NatsServerHandle;
let client: NatsConnection;
let trainer: ReturnType<typeof createTrainer>;

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
  const logger = createLogger({ service: 'trainer-test', level: 'silent' });
  const bus = await connectBus({ servers: nats.url, name: 'trainer-test', logger });
  trainer = createTrainer(
    {
      natsServers: [nats.url],
      natsSecurity: {},
      dataDir: '/nonexistent-data',
      instance: 'trainer-test',
      logLevel: 'silent',
      healthPort: undefined,
      healthHost: '127.0.0.1',
    },
    { bus: natsTrainerBus(bus), logger },
  );
  await trainer.start();
  client = await connect({ servers: nats.url });
});
afterAll(async () => {
  await client?.drain();
  await trainer?.stop();
  await nats?.stop();
});

describe('trainer on tune.requested', () => {
  it('when the empty request arrives with a reply subject, then it is accepted and 15 trials are published', async () => {
    const completed = collect(SUBJECTS.runCompleted);
    const done = collect(SUBJECTS.tuningCompleted);
    const reply = (await client.request(SUBJECTS.tuneRequested, '{}', { timeout: 5000 })).json<TuneReply>();
    expect(reply).toMatchObject({ status: 'accepted', trial_count: 15 });
    await until(() => done.length === 1);
    expect(completed).toHaveLength(15);
    expect(done[0]?.data).toMatchObject({
      tuning_id: (reply as { tuning_id: string }).tuning_id,
      completed: 15,
      failed: 0,
    });
  });

  it('when the request is invalid, then the reply lists every error and tune.rejected is published', async () => {
    const rejected = collect(SUBJECTS.tuneRejected);
    const body = JSON.stringify({ tuning_id: 'bad-1', grid: { C: [0], solver: ['sgd'] } });
    const reply = (await client.request(SUBJECTS.tuneRequested, body, { timeout: 5000 })).json<TuneReply>();
    expect(reply.status).toBe('rejected');
    expect(reply.status === 'rejected' && reply.errors.map((e) => e.path)).toEqual(['grid.C.0', 'grid.solver.0']);
    await until(() => rejected.length === 1);
    expect(rejected[0]?.data).toMatchObject({ tuning_id: 'bad-1' });
  });

  it('when the body is not JSON or names a CSV outside the data directory, then it is rejected saying so', async () => {
    const bad = (await client.request(SUBJECTS.tuneRequested, '{nope', { timeout: 5000 })).json<TuneReply>();
    expect(bad).toMatchObject({ status: 'rejected', errors: [{ path: '(body)' }] });
    const body = JSON.stringify({ dataset: { kind: 'csv', path: '../../etc/passwd' } });
    const escaping = (await client.request(SUBJECTS.tuneRequested, body, { timeout: 5000 })).json<TuneReply>();
    expect(escaping).toMatchObject({
      status: 'rejected',
      errors: [{ path: 'dataset.path', message: expect.stringMatching(/inside the trainer data directory/) }],
    });
  });
});
