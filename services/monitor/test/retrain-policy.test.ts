import type { MonitorCheckpoint } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import {
  automaticCause,
  decideRetrain,
  MIN_ROWS_PER_CLASS,
  type RetrainRules,
  type RetrainTiming,
} from '../src/domain/retrain-policy.js';

const HOUR = 3600_000;
const RULES: RetrainRules = {
  enabled: true,
  driftWindows: 3,
  minLabels: 500,
  cooldownMs: HOUR,
  leaseMs: HOUR,
  maxRows: 100_000,
};

function checkpoint(fields: Partial<MonitorCheckpoint>): MonitorCheckpoint {
  return {
    windows: 10,
    drift_since_window: null,
    drift_since_at: null,
    performance_episodes: 0,
    degraded: false,
    splits: [],
    ...fields,
  };
}

const enoughRows = { newLabelled: 600, classCounts: [300, 300] as const };
const timing = (fields: Partial<RetrainTiming> = {}): RetrainTiming => ({
  trigger: 'drift',
  lastRequestedAtMs: null,
  inFlight: null,
  ...fields,
});

describe('retrain policy: triggers', () => {
  it('when drift lasted K-1 windows, then nothing triggers; at K windows drift triggers from the time the episode began', () => {
    const began = '2026-12-02T06:00:00.000Z';
    expect(
      automaticCause(RULES, checkpoint({ windows: 10, drift_since_window: 8, drift_since_at: began }), 0, HOUR),
    ).toBeNull();
    const cause = automaticCause(
      RULES,
      checkpoint({ windows: 10, drift_since_window: 7, drift_since_at: began }),
      0,
      HOUR,
    );
    expect(cause).toEqual({
      trigger: 'drift',
      detail: 'dataset drift in 3 consecutive windows (7–9)',
      sinceMs: Date.parse(began),
    });
  });

  it('when performance is degraded without drift, then it triggers over the performance window', () => {
    const now = 10 * HOUR;
    const cause = automaticCause(RULES, checkpoint({ degraded: true, performance_episodes: 2 }), now, 2 * HOUR);
    expect(cause).toEqual({
      trigger: 'performance',
      detail: 'live performance degraded (episode 2)',
      sinceMs: 8 * HOUR,
    });
  });

  it('when performance is degraded while drift is under way (short of K windows), then it learns from the rows since the drift began', () => {
    const now = 10 * HOUR;
    const began = new Date(9 * HOUR).toISOString();
    const degraded = { degraded: true, performance_episodes: 1, windows: 10, drift_since_window: 9 };
    expect(automaticCause(RULES, checkpoint({ ...degraded, drift_since_at: began }), now, 2 * HOUR)).toEqual({
      trigger: 'performance',
      detail: 'live performance degraded (episode 1), while drift since window 9',
      sinceMs: 9 * HOUR,
    });
    // A drift older than the performance window does not widen it.
    const old = new Date(7 * HOUR).toISOString();
    expect(automaticCause(RULES, checkpoint({ ...degraded, drift_since_at: old }), now, 2 * HOUR)?.sinceMs).toBe(
      8 * HOUR,
    );
  });

  it('when automatic retraining is off, then neither drift nor degradation triggers', () => {
    const off = { ...RULES, enabled: false };
    expect(automaticCause(off, checkpoint({ drift_since_window: 0, degraded: true }), 0, HOUR)).toBeNull();
  });
});

describe('retrain policy: decisions', () => {
  it('when every condition holds, then the retrain goes', () => {
    expect(decideRetrain(RULES, timing({ lastRequestedAtMs: 0 }), enoughRows, 2 * HOUR)).toEqual({ go: true });
  });

  it('when a retrain is in flight, then it is skipped naming it, even by hand', () => {
    const decision = decideRetrain(RULES, timing({ trigger: 'manual', inFlight: 'm:1:1' }), enoughRows, 0);
    expect(decision).toEqual({ go: false, reason: 'in_flight', message: 'retrain m:1:1 is in flight; one at a time' });
  });

  it('when the cooldown is not over, then an automatic retrain waits and says how long; by hand it goes', () => {
    const recent = timing({ lastRequestedAtMs: 0 });
    expect(decideRetrain(RULES, recent, enoughRows, HOUR - 90_000)).toEqual({
      go: false,
      reason: 'cooldown',
      message: 'the last retrain was requested 3510 s ago; the cooldown has 90 s left',
    });
    expect(decideRetrain(RULES, { ...recent, trigger: 'manual' }, enoughRows, HOUR - 90_000)).toEqual({ go: true });
  });

  it('when fewer than M labelled rows are new, then an automatic retrain waits; by hand it goes', () => {
    const rows = { newLabelled: 499, classCounts: [250, 249] as const };
    expect(decideRetrain(RULES, timing(), rows, 0)).toEqual({
      go: false,
      reason: 'too_few_labels',
      message:
        '499 labelled rows to learn from (predicted since the drift began, or in the performance window) are newer than the last retrain; 500 needed',
    });
    expect(decideRetrain(RULES, timing({ trigger: 'manual' }), rows, 0)).toEqual({ go: true });
  });

  it('when the labelled rows hold one class, or too few of one, then no data set is written', () => {
    const oneClass = decideRetrain(RULES, timing(), { newLabelled: 900, classCounts: [900, 0] }, 0);
    expect(oneClass).toMatchObject({ go: false, reason: 'one_class' });
    const few = decideRetrain(RULES, timing(), { newLabelled: 900, classCounts: [896, MIN_ROWS_PER_CLASS - 1] }, 0);
    expect(few).toMatchObject({ go: false, reason: 'too_few_labels' });
    const none = decideRetrain(RULES, timing({ trigger: 'manual' }), { newLabelled: 0, classCounts: [0, 0] }, 0);
    expect(none).toEqual({
      go: false,
      reason: 'too_few_labels',
      message: 'no labelled rows to learn from: send the true labels of its predictions first',
    });
  });
});

describe('retrain settings', () => {
  it('when the settings are sound, then they are read with their units', () => {
    const config = loadConfig(
      {
        MONITOR_RETRAIN_DRIFT_WINDOWS: '2',
        MONITOR_RETRAIN_MIN_LABELS: '50',
        MONITOR_RETRAIN_COOLDOWN_SECONDS: '0.5',
        TRAINER_DATA_DIR: 'shared/data',
      },
      '/srv',
    );
    expect(config.retrain).toEqual({
      enabled: true,
      driftWindows: 2,
      minLabels: 50,
      cooldownMs: 500,
      leaseMs: 1_800_000,
      maxRows: 100_000,
    });
    expect(config.retrainDataDir).toBe('/srv/shared/data');
    expect(loadConfig({ MONITOR_RETRAIN_DATA_DIR: 'own', TRAINER_DATA_DIR: 'x' }, '/srv').retrainDataDir).toBe(
      '/srv/own',
    );
  });

  it.each([
    ['MONITOR_RETRAIN_DRIFT_WINDOWS', '0', 'MONITOR_RETRAIN_DRIFT_WINDOWS: must be at least 1'],
    ['MONITOR_RETRAIN_DRIFT_WINDOWS', '2.5', 'MONITOR_RETRAIN_DRIFT_WINDOWS: must be a whole number of windows'],
    ['MONITOR_RETRAIN_COOLDOWN_SECONDS', '-1', 'MONITOR_RETRAIN_COOLDOWN_SECONDS: must not be negative'],
    ['MONITOR_RETRAIN_MIN_LABELS', '0', 'MONITOR_RETRAIN_MIN_LABELS: must be at least 1'],
    ['MONITOR_RETRAIN_LEASE_SECONDS', '0', 'MONITOR_RETRAIN_LEASE_SECONDS: must be more than 0'],
    ['MONITOR_RETRAIN_COOLDOWN_SECONDS', 'soon', 'MONITOR_RETRAIN_COOLDOWN_SECONDS: must be a number of seconds'],
  ])('when %s=%s, then the monitor refuses to start and says why', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
