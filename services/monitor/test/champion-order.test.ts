import type { EventData } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { Monitor, type MonitorDeps, type MonitorRules } from '../src/domain/monitor.js';
import type { MonitorAnnouncer } from '../src/domain/ports.js';

const logger = createLogger({ service: 'champion-order-test', level: 'silent' });
const at = '2026-12-03T08:00:00.000Z';
const rules = {
  window: { rows: 500, ms: 60_000, minRows: 50 },
  join: { horizonMs: 7 * 86_400_000, maxRows: 1_000_000 },
} as MonitorRules;

/** A monitor whose only collaborator is an announcer keeping the drift.resolved it is asked to publish. */
function monitor() {
  const resolved: EventData<'drift.resolved'>[] = [];
  const announce = {
    driftResolved: async (data: EventData<'drift.resolved'>) => {
      resolved.push(data);
    },
  } as unknown as MonitorAnnouncer;
  const metrics = { replaced: () => undefined }; // a replaced version's gauges go back to 0
  const deps = { announce, metrics, logger, now: () => Date.parse(at) } as unknown as MonitorDeps;
  return { monitor: new Monitor(rules, deps), resolved };
}

/** A drift episode of `version` open since window 3, as a stored drift.detected read back at start. */
function drifting(m: Monitor, version: string): void {
  const data = { model: 'm', version, window: 3, drifted_features: ['x0'], drift_share: 0.5, detected_at: at };
  m.rememberEpisode({ seq: 1, subject: 'drift.detected', data });
}

/** A `model.registered` moving champion from `previous` to `version`, stored at stream sequence `sequence`. */
function moved(m: Monitor, version: string, previous: string, sequence: number): Promise<void> {
  return m.onModelOutcome({
    model: 'm',
    tuningId: `t-${sequence}`,
    retrainId: undefined,
    verdict: { status: 'promoted', version } as never,
    promoted: { version, previous, sequence },
  });
}

describe('which champion move the monitor believes', () => {
  it('when an older move is delivered again after a newer one, then it ends no episode and the newer champion stands', async () => {
    const { monitor: m, resolved } = monitor();
    drifting(m, '1');
    await moved(m, '3', '2', 20);
    await moved(m, '2', '1', 10); // v1 → v2, stored before v2 → v3, comes back late
    expect(resolved).toEqual([]);
    expect(m.rememberChampion('m', '2', 10)).toBe(false);
    expect(m.rememberChampion('m', '3', 20)).toBe(true);
  });

  it('when the move read at start is then delivered, then it still ends the episode it supersedes', async () => {
    const { monitor: m, resolved } = monitor();
    drifting(m, '1');
    expect(m.rememberChampion('m', '2', 10)).toBe(true); // replayed from MODELS at start
    await moved(m, '2', '1', 10); // the consumer's delivery of the same stored event
    expect(resolved).toEqual([
      { model: 'm', version: '1', window: 3, detected_window: 3, superseded_by: '2', resolved_at: at },
    ]);
  });

  it('when a rollback to a lower version comes later in the stream, then it is taken and ends the episode it leaves', async () => {
    const { monitor: m, resolved } = monitor();
    await moved(m, '3', '2', 20);
    drifting(m, '3');
    await moved(m, '2', '3', 21);
    expect(resolved.map((r) => [r.version, r.superseded_by])).toEqual([['3', '2']]);
  });
});
