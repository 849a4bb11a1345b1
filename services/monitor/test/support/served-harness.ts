import type { EventData, MonitorWindowData, RetrainReply } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { Monitor, type MonitorDeps, type MonitorRules } from '../../src/domain/monitor.js';
import type { MonitorAnnouncer, MonitorMetrics, VersionFiles } from '../../src/domain/ports.js';
import type { PredictionBatch } from '../../src/domain/prediction-batch.js';
import type { RetrainCase, Retrainer } from '../../src/domain/retrainer.js';

const logger = createLogger({ service: 'served-harness', level: 'silent' });
/** The harness's clock. */
export const NOW = Date.parse('2026-12-03T08:00:00.000Z');
const rules = {
  window: { rows: 1000, ms: 60_000, minRows: 50 },
  join: { horizonMs: 7 * 86_400_000, maxRows: 1_000_000 },
  performance: { metric: 'accuracy', threshold: 0.1, minLabels: 2, windowMs: 3_600_000 },
  retrain: { enabled: false },
} as MonitorRules;
const FILES: VersionFiles = {
  profile: null,
  model: { classes: [0, 1], coef: [1], intercept: 0, featureNames: ['x0'] },
  training: { accuracy: 0.9 },
};
/** What the harness's retrainer answers every case. */
export const SKIPPED: RetrainReply = { status: 'skipped', reason: 'too_few_labels', message: 'too few' };

/** A monitor of model m (clock `now`: a label of an unknown id waits for it by this clock) whose retrainer only notes the cases it is handed, and whose metrics note gauge changes. */
export function harness(now: () => number = () => NOW) {
  const cases: RetrainCase[] = [];
  const performance: [string, boolean][] = [];
  const replaced: string[] = [];
  const episodes: [string, EventData<'performance.degraded'>][] = [];
  const resolved: EventData<'drift.resolved'>[] = [];
  const retrainer = {
    consider: async (c: RetrainCase) => {
      cases.push(c);
      return SKIPPED;
    },
    newAfterMs: () => 0,
    onTuningOutcome: async () => undefined,
  } as unknown as Retrainer;
  const announce = {
    labelRecorded: async () => undefined,
    window: async (_: MonitorWindowData) => undefined,
    performanceDegraded: async (data: EventData<'performance.degraded'>) => {
      episodes.push(['degraded', data]);
    },
    performanceRecovered: async (data: EventData<'performance.degraded'>) => {
      episodes.push(['recovered', data]);
    },
    driftDetected: async () => undefined,
    driftResolved: async (data: EventData<'drift.resolved'>) => {
      resolved.push(data);
    },
  } as unknown as MonitorAnnouncer;
  const metrics = new Proxy(
    {
      performance: (key: string, live: MonitorWindowData['performance']) => performance.push([key, live.degraded]),
      replaced: (key: string) => replaced.push(key),
    },
    { get: (target, name) => (target as Record<string | symbol, unknown>)[name] ?? (() => undefined) },
  ) as unknown as MonitorMetrics;
  const deps = {
    files: { load: async () => FILES },
    announce,
    metrics,
    logger,
    now,
    retrainer,
  } as unknown as MonitorDeps;
  return { monitor: new Monitor(rules, deps), cases, performance, replaced, episodes, resolved };
}

/** A logged request `id` of model m `version`, its rows predicted as `predicted`. */
export function logged(version: string, id: string, predicted: number[]): PredictionBatch {
  const rows = predicted.length;
  return {
    model: 'm',
    version,
    requests: [{ requestId: id, predictedAtMs: NOW - 1000, rows }],
    rows,
    columns: 1,
    features: new Float64Array(rows),
    rawColumns: false,
    probabilities: Float64Array.from(predicted, (p) => (p === 1 ? 0.9 : 0.1)),
    labels: Float64Array.from(predicted),
    sequence: 1,
  };
}

/** The gate or a person moved champion from `previous` to `version` (stored at `sequence`). */
export function promoted(monitor: Monitor, version: string, previous: string, sequence: number): Promise<void> {
  return monitor.onModelOutcome({
    model: 'm',
    tuningId: `t-${sequence}`,
    retrainId: undefined,
    verdict: { verdict: 'promoted' } as never,
    promoted: { version, previous, sequence },
  });
}
