import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, requestReply } from '@mlops/bus';
import { type EventSubject, parseEvent, STREAMS, SUBJECTS } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer, until } from '@mlops/testkit';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsTrainerBus } from '../src/adapters/nats-bus.js';
import type { TrainerConfig } from '../src/config.js';
import { markGaveUp } from '../src/domain/intake.js';
import { createTrainer } from '../src/service.js';
import { testTrainerConfig } from './support/trainer-config.js';
import { queuedWork } from './support/tuning-run.js';

/** JetStream's de-duplication window in this test: the hour of production, over in a moment. */
const SHORT_WINDOW_MS = 500;
const logger = createLogger({ service: 'repeat-after-window-test', level: 'silent' });

/** Every stored message of `subject` on `stream` naming `tuningId` (read one by one: the streams here are small). */
async function storedFor(
  jsm: JetStreamManager,
  stream: string,
  subject: EventSubject,
  tuningId: string,
): Promise<number> {
  const { state } = await jsm.streams.info(stream);
  let count = 0;
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    const parsed = message?.subject === subject ? parseEvent(subject, message.json()) : undefined;
    const data = parsed?.ok === true ? (parsed.event.data as { tuning_id?: string }) : undefined;
    if (data?.tuning_id === tuningId) count++;
  }
  return count;
}

/** Waits until the worker has taken and acknowledged every stored tuning.requested. */
async function workSettled(jsm: JetStreamManager): Promise<void> {
  await until(
    'the work queue to settle',
    async () => {
      const info = await jsm.consumers.info(STREAMS.tuneRequests.name, 'trainer-tuning-requests');
      return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    },
    30_000,
    100,
  );
}

/** Lowers the duplicate window of the streams a tuning writes to, as if JetStream's hour had passed. */
async function shortenDuplicateWindows(jsm: JetStreamManager): Promise<void> {
  for (const name of [STREAMS.tuneRequests.name, STREAMS.trials.name, STREAMS.tuningEvents.name]) {
    const { config } = await jsm.streams.info(name);
    await jsm.streams.update(name, { ...config, duplicate_window: nanos(SHORT_WINDOW_MS) });
  }
}

describe.each(['queue', 'inline'] as const)('a tuning sent again after the duplicate window (trials %s)', (mode) => {
  let nats: NatsServerHandle;
  let client: NatsConnection;
  let publisher: Bus;
  let jsm: JetStreamManager;
  let dataDir: string;
  let trainer: ReturnType<typeof createTrainer>;

  beforeAll(async () => {
    nats = await startNatsServer();
    dataDir = await mkdtemp(join(tmpdir(), 'repeat-after-window-'));
    const config: TrainerConfig = { ...testTrainerConfig(nats.url, dataDir, `trainer-${mode}`), trials: mode };
    const bus = await connectBus({ servers: nats.url, name: `trainer-${mode}`, logger });
    trainer = createTrainer(config, { bus: natsTrainerBus(bus, config), logger });
    await trainer.start();
    client = await connect({ servers: nats.url });
    publisher = await connectBus({ servers: nats.url, name: 'repeat-publisher', logger });
    jsm = await jetstreamManager(client);
    await shortenDuplicateWindows(jsm);
  });
  afterAll(async () => {
    await client?.drain();
    await publisher?.close();
    await trainer?.stop();
    await nats?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Sends a tune request and waits for its tuning to complete. */
  async function tuneOnce(tuningId: string) {
    const body = JSON.stringify({ tuning_id: tuningId, grid: { C: [0.1, 1], solver: 'lbfgs' } });
    const ask = () => requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    expect(await ask()).toMatchObject({ status: 'accepted', tuning_id: tuningId, trial_count: 2 });
    await until(
      'tuning.completed',
      async () =>
        (await storedFor(jsm, STREAMS.tuningEvents.name, SUBJECTS.tuningCompleted, tuningId)) === 1 ? true : undefined,
      60_000,
      100,
    );
    await workSettled(jsm);
    return ask;
  }

  it('when the same request comes again after the window, then it is answered accepted naming the tuning, and nothing is stored or run again', async () => {
    const ask = await tuneOnce('dup-1');
    await new Promise((resolve) => setTimeout(resolve, 2 * SHORT_WINDOW_MS));
    expect(await ask()).toEqual({ status: 'accepted', tuning_id: 'dup-1', trial_count: 2 });
    await workSettled(jsm);
    const count = (stream: string, subject: EventSubject) => storedFor(jsm, stream, subject, 'dup-1');
    expect(await count(STREAMS.tuneRequests.name, SUBJECTS.tuningRequested)).toBe(1);
    expect(await count(STREAMS.tuningEvents.name, SUBJECTS.tuningStarted)).toBe(1);
    expect(await count(STREAMS.tuningEvents.name, SUBJECTS.runStarted)).toBe(2);
    expect(await count(STREAMS.tuningEvents.name, SUBJECTS.tuningCompleted)).toBe(1);
  }, 90_000);

  it('when the tuning.requested of a finished tuning is delivered again after the window, then the worker does not run it again', async () => {
    await tuneOnce('dup-2');
    await new Promise((resolve) => setTimeout(resolve, 2 * SHORT_WINDOW_MS));
    const trialsBefore = (await jsm.streams.info(STREAMS.trials.name)).state.last_seq;
    const work = queuedWork('dup-2', { grid: { C: [0.1, 1], solver: 'lbfgs' } });
    const copy = await publisher.publishEvent(SUBJECTS.tuningRequested, work, { key: 'dup-2' });
    expect(copy.duplicate).toBe(false);
    await workSettled(jsm);
    const count = (subject: EventSubject) => storedFor(jsm, STREAMS.tuningEvents.name, subject, 'dup-2');
    expect(await count(SUBJECTS.tuningStarted)).toBe(1);
    expect(await count(SUBJECTS.runStarted)).toBe(2);
    expect((await jsm.streams.info(STREAMS.trials.name)).state.last_seq).toBe(trialsBefore);
  }, 90_000);
});

describe('a tuning sent again after the worker gave up on it', () => {
  let nats: NatsServerHandle;
  let client: NatsConnection;
  let jsm: JetStreamManager;
  let dataDir: string;
  let trainer: ReturnType<typeof createTrainer>;
  let trainerBus: ReturnType<typeof natsTrainerBus>;

  beforeAll(async () => {
    nats = await startNatsServer();
    dataDir = await mkdtemp(join(tmpdir(), 'repeat-given-up-'));
    const config = testTrainerConfig(nats.url, dataDir, 'trainer-given-up');
    const bus = await connectBus({ servers: nats.url, name: 'trainer-given-up', logger });
    trainerBus = natsTrainerBus(bus, config);
    // Only the intake: the stored requests stay on the queue, as a worker's given-up one stays in the stream.
    const intakeOnly: typeof trainerBus = Object.create(trainerBus, {
      consumeWork: { value: () => ({ stop: async () => {} }) },
    });
    trainer = createTrainer(config, { bus: intakeOnly, logger });
    await trainer.start();
    client = await connect({ servers: nats.url });
    jsm = await jetstreamManager(client);
  });
  afterAll(async () => {
    await client?.drain();
    await trainer?.stop();
    await nats?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when the worker marked its stored request given up, then the same request sent again (inside the duplicate window) is stored again, once', async () => {
    const body = JSON.stringify({ tuning_id: 'given-up-1', grid: { C: [0.1], solver: 'lbfgs' } });
    const ask = () => requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 5000 });
    const stored = () => storedFor(jsm, STREAMS.tuneRequests.name, SUBJECTS.tuningRequested, 'given-up-1');
    expect(await ask()).toMatchObject({ status: 'accepted' });
    const beforeGivingUp = [await ask(), await stored()];
    const storedAt = (await jsm.streams.info(STREAMS.tuneRequests.name)).state.last_seq;
    await markGaveUp(trainerBus, 'given-up-1', storedAt);
    const again = [await ask(), await stored()];
    const waiting = [await ask(), await stored()];

    const accepted = { status: 'accepted', tuning_id: 'given-up-1', trial_count: 1 };
    expect([beforeGivingUp, again, waiting]).toEqual([
      [accepted, 1],
      [accepted, 2],
      [accepted, 2],
    ]);
  }, 60_000);
});
