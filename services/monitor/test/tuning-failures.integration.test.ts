import { type Bus, connectBus } from '@mlops/bus';
import { type EventData, STREAMS, SUBJECTS } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Retrainer, TuningFailure } from '../src/domain/retrainer.js';
import { provisionTuningFailures, restoreTuningFailures } from '../src/entry-points/tuning-failures.js';

const logger = createLogger({ service: 'tuning-failures-test', level: 'silent' });
let nats: NatsServerHandle;
let bus: Bus;

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'tuning-failures-test', logger });
  await provisionTuningFailures(bus);
  await bus.ensureStream(STREAMS.retrain);
}, 30_000);
afterAll(async () => {
  await bus?.close();
  await nats?.stop();
});

const at = '2026-11-01T10:00:00.000Z';
const lineage = (retrainId: string) => ({
  retrain_id: retrainId,
  trigger: 'drift' as const,
  detail: 'dataset drift in 3 consecutive windows',
  replaces_version: '1',
  dataset: {
    path: 'retrain/m.csv',
    sha256: 'a'.repeat(64),
    rows: 600,
    positives: 300,
    predictions: 1600,
    window: { from: at, to: at },
  },
});

/** A tuning that ended with no completed trial, as the trainer publishes it. */
function nothingSucceeded(tuningId: string, retrainId: string): EventData<'tuning.completed'> {
  return {
    tuning_id: tuningId,
    experiment_name: 'm',
    registered_model_name: 'm',
    trial_count: 15,
    completed: 0,
    failed: 15,
    selection_metric: 'accuracy',
    gate: {},
    lineage: lineage(retrainId),
    ended_at: at,
  };
}

/** The retrainer's side of a restore: the retrains it knows by tuning id, and the failures it was told. */
function retrainerKnowing(retrainsByTuning: Record<string, string>) {
  const told: string[] = [];
  const known = new Set<string>();
  const retrainer = {
    rememberFailure(failure: TuningFailure): EventData<'retrain.failed'> | undefined {
      told.push(failure.tuningId);
      const retrainId = retrainsByTuning[failure.tuningId];
      if (retrainId === undefined || known.has(failure.tuningId)) return undefined;
      known.add(failure.tuningId);
      const { reason, at: failedAt } = failure;
      return {
        retrain_id: retrainId,
        model: 'm',
        version: '1',
        tuning_id: failure.tuningId,
        reason,
        failed_at: failedAt,
      };
    },
  } as unknown as Retrainer;
  return { retrainer, told };
}

describe('restoring retrain failures at start', () => {
  it("when a retrain's failure is only in the tunings' events (a monitor from before retrain.failed saw it), then the start stores its retrain.failed; one already recorded is not stored again", async () => {
    await bus.publishEvent(SUBJECTS.tuningCompleted, nothingSucceeded('t-old', 'm:1:1'), { key: 't-old' });
    await bus.publishEvent(SUBJECTS.tuningCompleted, nothingSucceeded('t-new', 'm:1:2'), { key: 't-new' });
    const recorded: EventData<'retrain.failed'> = {
      retrain_id: 'm:1:2',
      model: 'm',
      version: '1',
      tuning_id: 't-new',
      reason: 'no trial of tuning t-new succeeded (15 of 15 failed): nothing to judge',
      failed_at: at,
    };
    await bus.publishEvent(SUBJECTS.retrainFailed, recorded, { key: recorded.retrain_id });
    const { retrainer, told } = retrainerKnowing({ 't-old': 'm:1:1', 't-new': 'm:1:2' });

    await restoreTuningFailures(bus, retrainer, logger);

    // The recorded failure first (it wins), then the tunings' events.
    expect(told).toEqual(['t-new', 't-old', 't-new']);
    const stored: EventData<'retrain.failed'>[] = [];
    await bus.replayEvents(SUBJECTS.retrainFailed, ({ data }) => void stored.push(data));
    expect(stored.map((d) => [d.retrain_id, d.reason])).toEqual([
      ['m:1:2', recorded.reason],
      ['m:1:1', 'no trial of tuning t-old succeeded (15 of 15 failed): nothing to judge'],
    ]);
    const jsm = await jetstreamManager(bus.connection);
    const info = await jsm.streams.info(STREAMS.retrain.name, { subjects_filter: SUBJECTS.retrainFailed });
    expect(info.state.subjects?.[SUBJECTS.retrainFailed]).toBe(2);
  });
});
