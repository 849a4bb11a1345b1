import type { JetStreamClient } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { publishWithRetry } from '../src/bus.js';
import { PublishError } from '../src/errors.js';
import type { BusLogger } from '../src/logger.js';

const silent: BusLogger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };
const message = { subject: 'run.completed', data: '{}', msgId: 'run.completed:t-1' };

/** A JetStream client whose publishes fail `failures` times, then succeed; it records every attempt. */
function flakyJetStream(failures: number) {
  const attempts: string[] = [];
  const js = {
    async publish(subject: string) {
      attempts.push(subject);
      if (attempts.length <= failures) throw new Error('no responders');
      return { stream: 'TUNING_EVENTS', seq: 7, duplicate: false };
    },
  } as unknown as JetStreamClient;
  return { js, attempts };
}

describe('publishWithRetry', () => {
  it('when every attempt fails, then it waits 200 ms doubling between attempts, not after the last, and throws PublishError', async () => {
    const { js, attempts } = flakyJetStream(Number.POSITIVE_INFINITY);
    const waits: number[] = [];
    const publishing = publishWithRetry(js, message, 5, silent, async (ms) => void waits.push(ms));
    await expect(publishing).rejects.toThrow(PublishError);
    expect(attempts).toHaveLength(5);
    expect(waits).toEqual([200, 400, 800, 1600]);
  });

  it('when more attempts are allowed, then the waits stop growing at 5 s', async () => {
    const { js } = flakyJetStream(Number.POSITIVE_INFINITY);
    const waits: number[] = [];
    await expect(publishWithRetry(js, message, 8, silent, async (ms) => void waits.push(ms))).rejects.toThrow();
    expect(waits).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('when an attempt succeeds after failures, then its ack is returned and no more waits follow', async () => {
    const { js, attempts } = flakyJetStream(2);
    const waits: number[] = [];
    const result = await publishWithRetry(js, message, 5, silent, async (ms) => void waits.push(ms));
    expect(result).toEqual({ stream: 'TUNING_EVENTS', seq: 7, duplicate: false });
    expect([attempts.length, waits]).toEqual([3, [200, 400]]);
  });
});
