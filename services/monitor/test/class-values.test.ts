import type { EventData, FeedbackItem, MonitorWindowData } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { Monitor, type MonitorDeps, type MonitorRules } from '../src/domain/monitor.js';
import type { MonitorAnnouncer, MonitorMetrics, VersionFiles } from '../src/domain/ports.js';
import type { PredictionBatch } from '../src/domain/prediction-batch.js';

const logger = createLogger({ service: 'class-values-test', level: 'silent' });
const NOW = Date.parse('2026-12-03T08:00:00.000Z');
const rules = {
  window: { rows: 3, ms: 60_000, minRows: 50 },
  join: { horizonMs: 7 * 86_400_000, maxRows: 1_000_000 },
  performance: { metric: 'accuracy', threshold: 0.5, minLabels: 100, windowMs: 3_600_000 },
  retrain: { enabled: false },
} as MonitorRules;

/** A version of model m whose classes are the values `classes` (a CSV target of 2 and 5), or text-labelled. */
function files(classes: [number, number], classLabels?: [string, string]): VersionFiles {
  return {
    profile: null,
    model: { classes, coef: [1], intercept: 0, featureNames: ['x0'] },
    training: { accuracy: 0.9 },
    ...(classLabels === undefined ? {} : { classLabels }),
  };
}

/** A monitor of one version (`files`, or the error reading them throws), keeping what it publishes. */
function harness(version: VersionFiles | Error) {
  const recorded: EventData<'label.recorded'>[] = [];
  const windows: MonitorWindowData[] = [];
  const announce = {
    labelRecorded: async (data: EventData<'label.recorded'>) => {
      recorded.push(data);
    },
    window: async (data: MonitorWindowData) => {
      windows.push(data);
    },
    performanceDegraded: async () => undefined,
    performanceRecovered: async () => undefined,
    driftDetected: async () => undefined,
    driftResolved: async () => undefined,
  } as unknown as MonitorAnnouncer;
  const metrics = new Proxy({}, { get: () => () => undefined }) as MonitorMetrics;
  const deps = {
    files: {
      load: async () => {
        if (version instanceof Error) throw version;
        return version;
      },
    },
    announce,
    metrics,
    logger,
    now: () => NOW,
  } as unknown as MonitorDeps;
  return { monitor: new Monitor(rules, deps), recorded, windows };
}

/** A logged request `id` of model m version 1 whose rows were predicted as the class values `predicted`. */
function logged(id: string, predicted: number[], sequence = 1): PredictionBatch {
  const rows = predicted.length;
  return {
    model: 'm',
    version: '1',
    requests: [{ requestId: id, predictedAtMs: NOW - 1000, rows }],
    rows,
    columns: 1,
    features: new Float64Array(rows),
    rawColumns: false,
    probabilities: Float64Array.from(predicted, () => 0.7),
    labels: Float64Array.from(predicted),
    sequence,
  };
}

const label = (prediction_id: string, value: FeedbackItem['label']): FeedbackItem => ({ prediction_id, label: value });
const settle = { ack: async () => undefined };

describe('labels of a model whose classes are values other than 0 and 1', () => {
  it('when labels name the class 5 as 5, as its index 1 and as "5", then each is stored as class 1 and scored against the logged 5 and 2', async () => {
    const { monitor, recorded } = harness(files([2, 5]));
    monitor.rememberPrediction(logged('r', [5, 2, 5]));
    expect(await monitor.feedback([label('r-0', 5)])).toMatchObject({ status: 'accepted', accepted: 1 });
    expect(await monitor.feedback([label('r-1', 1)])).toMatchObject({ status: 'accepted', accepted: 1 });
    expect(await monitor.feedback([label('r-2', '5')])).toMatchObject({ status: 'accepted', accepted: 1 });
    expect(recorded.map((r) => r.label)).toEqual([1, 1, 1]);
    const [status] = await monitor.status({});
    expect(status?.performance).toMatchObject({ labelled: 3, accuracy: 2 / 3 });
  });

  it('when labels name the class 2 as 2, as "2" and as its index 0, then each is stored as class 0', async () => {
    const { monitor, recorded } = harness(files([2, 5]));
    monitor.rememberPrediction(logged('r', [2, 2, 5]));
    const reply = await monitor.feedback([label('r-0', 2), label('r-1', '2'), label('r-2', 0)]);
    expect(reply).toMatchObject({ status: 'accepted', accepted: 3 });
    expect(recorded.map((r) => r.label)).toEqual([0, 0, 0]);
    expect((await monitor.status({}))[0]?.performance).toMatchObject({ labelled: 3, accuracy: 2 / 3 });
  });

  it('when a label names no class, then it is refused saying what is accepted, and the monitor keeps working', async () => {
    const { monitor, recorded, windows } = harness(files([2, 5]));
    monitor.rememberPrediction(logged('r', [5, 2, 5]));
    const reply = await monitor.feedback([label('r-0', 7), label('r-1', 'five'), label('r-2', 2.5)]);
    expect(reply.status).toBe('rejected');
    expect(reply.errors.map((e) => e.message)).toEqual([
      "7 is not a class of m version 1: send a class's own value (2 or 5, as a number or as text) or its index (0 for 2, 1 for 5)",
      '"five" is not a class of m version 1: send a class\'s own value (2 or 5, as a number or as text) or its index (0 for 2, 1 for 5)',
      "2.5 is not a class of m version 1: send a class's own value (2 or 5, as a number or as text) or its index (0 for 2, 1 for 5)",
    ]);
    expect(recorded).toEqual([]);
    expect(await monitor.feedback([label('r-0', 5)])).toMatchObject({ status: 'accepted' });
    await monitor.onPrediction(logged('s', [5, 5, 2], 2), settle);
    expect(windows.map((w) => [w.version, w.rows])).toEqual([['1', 3]]);
  });

  it('when a 0/1 model is sent "1", then it is class 1; text that names no class is refused saying 0 or 1', async () => {
    const { monitor, recorded } = harness(files([0, 1]));
    monitor.rememberPrediction(logged('r', [1, 0]));
    const reply = await monitor.feedback([label('r-0', '1'), label('r-1', 'yes')]);
    expect(recorded.map((r) => r.label)).toEqual([1]);
    expect(reply.errors).toEqual([
      {
        path: '1.label',
        message: '"yes" is not a class of m version 1: its classes are 0 and 1 (send 0 or 1, as a number or as text)',
      },
    ]);
  });

  it('when a number is both the value of one class and the index of the other, then it is refused as ambiguous', async () => {
    const { monitor, recorded } = harness(files([1, 2]));
    monitor.rememberPrediction(logged('r', [1, 2, 2]));
    const reply = await monitor.feedback([label('r-0', 1), label('r-1', '1'), label('r-2', 2)]);
    expect(recorded.map((r) => [r.prediction_id, r.label])).toEqual([
      ['r-1', 0],
      ['r-2', 1],
    ]);
    expect(reply.errors.map((e) => e.message)).toEqual([
      '1 is ambiguous for m version 1: it is the value of class 0 (1) and the index of class 1 (2); send the class\'s value as text ("1" or "2")',
    ]);
  });

  it('when an index comes as text ("0", "1" from a CSV) and names no value, then it is the index', async () => {
    const { monitor, recorded } = harness(files([2, 5]));
    monitor.rememberPrediction(logged('r', [5, 2]));
    expect(await monitor.feedback([label('r-0', '1'), label('r-1', '0')])).toMatchObject({ accepted: 2 });
    expect(recorded.map((r) => r.label)).toEqual([1, 0]);
  });

  it("when the version's files cannot be read (MLflow down), then 0 and 1 are still stored and a value is to be sent again", async () => {
    const { monitor, recorded } = harness(new Error('MLflow is not reachable'));
    monitor.rememberPrediction(logged('r', [1, 0, 1]));
    const reply = await monitor.feedback([label('r-0', 1), label('r-1', 0), label('r-2', 'yes')]);
    expect(recorded.map((r) => r.label)).toEqual([1, 0]);
    expect(reply.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(
        /^"yes" cannot be mapped now: the classes of m version 1 could not be read \(.*MLflow is not reachable.*\); send it again$/,
      ),
    ]);
  });

  it('when a text-labelled model is sent its text or an index, then both map to the class', async () => {
    const { monitor, recorded } = harness(files([0, 1], ['no', 'yes']));
    monitor.rememberPrediction(logged('r', [1, 0]));
    expect(await monitor.feedback([label('r-0', 'yes'), label('r-1', 0)])).toMatchObject({ accepted: 2 });
    expect(recorded.map((r) => r.label)).toEqual([1, 0]);
  });
});

describe('stored labels replayed at start', () => {
  it('when a stored label is replayed for a prediction logged as class 5, then status, labels and windows keep working', async () => {
    const { monitor, windows } = harness(files([2, 5]));
    monitor.rememberPrediction(logged('r', [5, 2, 5]));
    monitor.rememberLabel('r-0', 1, NOW);
    monitor.rememberLabel('r-1', 1, NOW);
    expect((await monitor.status({}))[0]?.performance).toMatchObject({ labelled: 2, accuracy: 0.5 });
    expect(await monitor.feedback([label('r-2', 5)])).toMatchObject({ status: 'accepted' });
    await monitor.onPrediction(logged('s', [5, 5, 2], 2), settle);
    expect(windows.map((w) => [w.version, w.rows, w.performance.labelled])).toEqual([['1', 3, 3]]);
  });

  it('when a stored label belongs to a row logged as no class of its version, then that row is left out and windows still close', async () => {
    const { monitor, windows } = harness(files([2, 5]));
    monitor.rememberPrediction(logged('r', [9, 5, 2]));
    monitor.rememberLabel('r-0', 1, NOW);
    monitor.rememberLabel('r-1', 1, NOW);
    expect((await monitor.status({}))[0]?.performance).toMatchObject({ labelled: 1, accuracy: 1 });
    await monitor.onPrediction(logged('s', [5, 5, 2], 2), settle);
    expect(windows.map((w) => [w.rows, w.performance.labelled])).toEqual([[3, 1]]);
  });
});
