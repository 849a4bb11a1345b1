import { CONSUMERS, eventType, STREAMS, SUBJECTS } from '@mlops/contracts';
import { until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { expectCleanOutcome } from './support/outcome.js';
import { FaultStack } from './support/stack.js';

/** Every JetStream subject a service consumes, with the stream and durable consumer that reads it. */
const CONSUMED = [
  { subject: SUBJECTS.tuningRequested, stream: STREAMS.tuneRequests.name, durable: CONSUMERS.trainer },
  { subject: SUBJECTS.tuningStarted, stream: STREAMS.tuningEvents.name, durable: CONSUMERS.trackerEvents },
  { subject: SUBJECTS.runStarted, stream: STREAMS.tuningEvents.name, durable: CONSUMERS.trackerEvents },
  { subject: SUBJECTS.runCompleted, stream: STREAMS.tuningEvents.name, durable: CONSUMERS.trackerEvents },
  { subject: SUBJECTS.runFailed, stream: STREAMS.tuningEvents.name, durable: CONSUMERS.trackerEvents },
  { subject: SUBJECTS.tuningCompleted, stream: STREAMS.tuningEvents.name, durable: CONSUMERS.trackerEvents },
  { subject: SUBJECTS.modelRegistered, stream: STREAMS.models.name, durable: 'predictor-predictor' },
  // The predictor's second worker reads model events with a consumer of its own, and parks its own dead letters.
  { subject: SUBJECTS.modelRegistered, stream: STREAMS.models.name, durable: 'predictor-predictor-w2' },
] as const;

/** The subjects of CONSUMED, once each. */
const SUBJECTS_CONSUMED = [...new Set(CONSUMED.map((c) => c.subject))];

const SENT_AT = new Date().toISOString();

/** Bodies that can never be handled: unparseable ones, and JSON that breaks the subject's schema. */
function poisonBodies(subject: string): (string | Uint8Array)[] {
  const envelope = { specversion: '1.0', id: `poison-${subject}`, source: 'fault', time: SENT_AT };
  return [
    '{"specversion": "1.0", "id": "trunc',
    new Uint8Array([0xff, 0xfe, 0x00, 0x9c, 0x7b]),
    '',
    JSON.stringify({ ...envelope, type: eventType(subject), data: { tuning_id: 42, trial_index: -1 } }),
    JSON.stringify({ ...envelope, type: 'mlops.something.else.v1', data: {} }),
    '[1, 2, 3]',
  ];
}

let stack: FaultStack;

beforeAll(async () => {
  stack = await FaultStack.start({ mlflowUri: inject('mlflowTrackingUri') });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('fault: poison messages on every consumed subject', () => {
  it('when unparseable and schema-invalid messages arrive, then each is delivered once and parked with its reason', async () => {
    onTestFailed(() => console.error(stack.logs()));
    for (const subject of SUBJECTS_CONSUMED) {
      for (const body of poisonBodies(subject)) await stack.publishRaw(subject, body);
    }
    const perSubject = poisonBodies('x').length;
    const letters = await until('every poison message dead-lettered', async () => {
      const found = await stack.deadLetters();
      return found.length >= CONSUMED.length * perSubject ? found : undefined;
    });
    expect(letters).toHaveLength(CONSUMED.length * perSubject);
    for (const { subject, durable } of CONSUMED) {
      const parked = letters.filter((l) => l.subject === `deadletter.${subject}` && l.consumer === durable);
      expect(parked.map((l) => new TextDecoder().decode(l.data))).toEqual(
        poisonBodies(subject).map((b) => (typeof b === 'string' ? b : new TextDecoder().decode(b))),
      );
      expect(
        parked.every((l) => l.reason === 'poison' && l.deliveries === 1),
        `${subject} by ${durable}: once, as poison`,
      ).toBe(true);
      expect(
        parked.every((l) => l.error.length > 10 && !l.error.includes('\n')),
        `${subject} by ${durable}: the reason`,
      ).toBe(true);
    }
    for (const { stream, durable } of CONSUMED) {
      // Well within every ack wait (15 s and more): terminated messages are not pending any more.
      const idle = await until(
        `${durable} idle`,
        async () => {
          const info = await stack.consumerInfo(stream, durable);
          return info.num_pending === 0 && info.num_ack_pending === 0 ? info : undefined;
        },
        5000,
        50,
      );
      expect(idle.num_redelivered, `${durable}: nothing redelivered`).toBe(0);
    }
    expect([...stack.services.values()].every((s) => s.exited() === undefined)).toBe(true);
  }, 120_000);

  it('when a valid tuning follows the poison, then it completes as usual', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const tuning = await stack.tune();
    const champion = await expectCleanOutcome(stack, tuning);
    expect(champion.version).toBe('1');
  }, 180_000);
});
