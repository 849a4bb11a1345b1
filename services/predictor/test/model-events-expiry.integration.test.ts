import { type Bus, connectBus } from '@mlops/bus';
import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer, until } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionModelEvents } from '../src/entry-points/model-events.js';

const logger = createLogger({ service: 'predictor-test', level: 'silent' });
let nats: NatsServerHandle;
let bus: Bus;

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'expiry-test', logger });
});

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
});

/** The durable consumers of the MODELS stream, by name, with their inactivity threshold in ms (0: none). */
async function consumers(): Promise<Record<string, number>> {
  const jsm = await jetstreamManager(bus.connection);
  const list = await jsm.consumers.list(STREAMS.models.name).next();
  return Object.fromEntries(list.map((c) => [c.name, (c.config.inactive_threshold ?? 0) / 1e6]));
}

describe('durable consumers of model events with an inactivity threshold (real nats-server)', () => {
  it('when the predictor provisions its consumer (again at every start), then the server deletes it after 7 days unused', async () => {
    await provisionModelEvents(bus, 'predictor-expiry-a');
    await provisionModelEvents(bus, 'predictor-expiry-a');
    expect((await consumers())['predictor-expiry-a']).toBe(7 * 24 * 3600 * 1000);
  });

  it('when a consumer made before the threshold existed is provisioned, then it gets the threshold', async () => {
    const spec = {
      durable: 'predictor-expiry-old',
      filterSubject: SUBJECTS.modelRegistered,
      deliverPolicy: 'new',
    } as const;
    await bus.ensureConsumer(STREAMS.models.name, spec);
    expect((await consumers())['predictor-expiry-old']).toBe(0);
    await provisionModelEvents(bus, 'predictor-expiry-old');
    expect((await consumers())['predictor-expiry-old']).toBe(7 * 24 * 3600 * 1000);
  });

  it('when a consumer is abandoned past its threshold, then the server deletes it, and keeps the one being consumed', async () => {
    for (const durable of ['predictor-expiry-gone', 'predictor-expiry-kept']) {
      await bus.ensureConsumer(STREAMS.models.name, {
        durable,
        filterSubject: SUBJECTS.modelRegistered,
        deliverPolicy: 'new',
        inactiveThresholdMs: 1000,
      });
    }
    const kept = await bus.consumeEvents('predictor-expiry-kept', {
      [SUBJECTS.modelRegistered]: async () => undefined,
    });
    const left = await until(
      'the abandoned consumer deleted',
      async () => {
        const now = await consumers();
        return 'predictor-expiry-gone' in now ? undefined : now;
      },
      15_000,
      250,
    );
    await kept.stop();
    expect(left['predictor-expiry-kept']).toBe(1000);
  });
});
