import type { Bus, BusMessage, EventHandlers } from '@mlops/bus';
import { type EventData, type EventOf, SUBJECTS } from '@mlops/contracts';
import { createLogger, KeyedQueue } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { GateVerdict } from '../src/domain/gate.js';
import type { ChampionMove, ChampionRegistry, ScorableModel, TuningOutcome } from '../src/domain/ports.js';
import { consumeTuningEvents } from '../src/entry-points/events.js';
import { completed, stepHoldout, type TestWeights, threshold } from './support/tuning-events.js';

const logger = createLogger({ service: 'model-moves-test', level: 'silent' });

/** The registry in memory, its model loads held until `open` resolves (so two judgements could overlap). */
function memoryRegistry(weights: Map<string, TestWeights>, open: Promise<void>) {
  let champion: string | null = '1';
  const history: ChampionMove[] = [];
  const verdicts = new Map<string, GateVerdict>();
  const registry: ChampionRegistry = {
    championVersion: async () => champion,
    async loadModel(_name, version) {
      await open;
      return scorable(weights.get(version)!);
    },
    recordedVerdict: async (_name, version) => verdicts.get(version),
    async recordVerdict({ version }, verdict) {
      verdicts.set(version, verdict);
    },
    async moveChampion(_name, move) {
      history.push(move);
      champion = move.version;
    },
    async markChallenger() {},
    challengerVersion: async () => null,
    history: async () => [...history],
    version: async () => null,
    versions: async () => null,
  };
  return { registry, verdicts, champion: () => champion };
}

function scorable(w: TestWeights): ScorableModel {
  return {
    inputNames: ['a', 'b'],
    classLabels: undefined,
    probabilities: (rows) =>
      Float64Array.from(
        rows,
        (r) => 1 / (1 + Math.exp(-(w.coef[0] * Number(r[0]) + w.coef[1] * Number(r[1]) + w.intercept))),
      ),
  };
}

/** A bus that hands the tracker's handlers to the test and accepts every publish. */
function capturingBus() {
  let handlers: EventHandlers<typeof SUBJECTS.tuningCompleted> | undefined;
  const bus = {
    consumeEvents(_durable: string, given: typeof handlers) {
      handlers = given;
      return { stop: async () => {} };
    },
    publishEvent: async () => {},
  } as unknown as Bus;
  return { bus, completion: () => handlers![SUBJECTS.tuningCompleted] };
}

function message(): BusMessage {
  return { signal: new AbortController().signal, streamSequence: 1 } as BusMessage;
}

function envelope(data: EventData<'tuning.completed'>): EventOf<'tuning.completed'> {
  return { data } as EventOf<'tuning.completed'>;
}

describe('tunings of one model completing at once', () => {
  it('when two tunings complete side by side, then the second is judged against the champion the first left', async () => {
    const weights = new Map([
      ['1', threshold(0)],
      ['2', threshold(0.03)],
      ['3', threshold(0.05)],
    ]);
    let release = () => {};
    const open = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { registry, verdicts, champion } = memoryRegistry(weights, open);
    const versionOf = new Map([
      ['t-2', '2'],
      ['t-3', '3'],
    ]);
    const { bus, completion } = capturingBus();
    await consumeTuningEvents({
      bus,
      records: {
        tuningStarted: async () => {},
        runStarted: async () => {},
        runCompleted: async () => {},
        runFailed: async () => {},
        tuningCompleted: async (data): Promise<TuningOutcome> => ({
          kind: 'registered',
          registration: {
            name: data.registered_model_name,
            version: versionOf.get(data.tuning_id)!,
            source: 'models:/m',
            trialId: `${data.tuning_id}-0`,
            runId: 'run',
            metricValue: 1,
            parentRunId: 'parent',
          },
        }),
        recordUnregistered: async () => {},
      },
      registry,
      figures: { draw: async () => [] },
      readStoredHoldout: async () => undefined,
      gate: loadConfig({ NATS_URL: 'nats://127.0.0.1:1', MLFLOW_TRACKING_URI: 'http://127.0.0.1:1' }).gate,
      concurrency: 4,
      modelMoves: new KeyedQueue(),
      logger,
    });
    const handle = completion();
    const both = Promise.all(
      ['t-2', 't-3'].map((id) => handle(envelope(completed('m', id, 1, {}, stepHoldout())), message())),
    );
    setTimeout(release, 50);
    await both;
    expect(verdicts.get('2')).toMatchObject({ status: 'promoted', championVersion: '1' });
    expect(verdicts.get('3')).toMatchObject({ status: 'promoted', championVersion: '2' });
    expect(champion()).toBe('3');
  });
});
