import { describe, expect, it } from 'vitest';
import { windowMetrics } from '../src/adapters/mlflow-monitoring-runs.js';
import { columnsWindow } from './support/drift-window.js';

/** A table model's window: each name a raw column with drift statistics and a missing share. */
const windowOf = (names: readonly string[], index = 0) => columnsWindow(names, { index, accuracy: 0.9 });

/** Each column's `psi/…` key, by column name (found by the psi value the column was given). */
function psiKeys(names: readonly string[], index = 0): Record<string, string> {
  const metrics = windowMetrics(windowOf(names, index)).filter((m) => m.key.startsWith('psi/'));
  return Object.fromEntries(names.map((name, i) => [name, metrics.find((m) => m.value === i)?.key ?? '']));
}

/** Whether MLflow takes a metric key: its characters, its 250 characters, and a path that normalises to itself. */
function mlflowTakes(key: string): boolean {
  const segments = key.split('/');
  const normal = segments.every((s) => s !== '' && s !== '.' && s !== '..');
  return /^[/\w.\- :]*$/.test(key) && key.length <= 250 && normal;
}

describe('metric keys of a window', () => {
  it('when column names are ordinary, then their keys are as they always were', () => {
    const names = ['x0', 'tenure_months', 'monthly charges', 'km/h', 'v1.2-beta', 'income (USD)', 'prediction'];
    expect(Object.values(psiKeys(names))).toEqual([
      'psi/x0',
      'psi/tenure_months',
      'psi/monthly charges',
      'psi/km/h',
      'psi/v1.2-beta',
      'psi/income _USD_',
      'psi/prediction',
    ]);
    expect(windowMetrics(windowOf(['km/h'])).map((m) => m.key)).toEqual([
      'rows',
      'dataset_drift',
      'drift_share',
      'psi/km/h',
      'js/km/h',
      'wasserstein/km/h',
      'missing/km/h',
      'live_accuracy',
    ]);
  });

  it('when a column name is 250 characters or more, then every key fits within 250 and starts with the name', () => {
    const long = `${'a'.repeat(240)}_${'x'.repeat(9)}`;
    const longer = `${'a'.repeat(240)}_${'y'.repeat(300)}`;
    const keys = windowMetrics(windowOf([long, longer])).map((m) => m.key);
    expect(keys.filter((key) => !mlflowTakes(key))).toEqual([]);
    const psi = psiKeys([long, longer]);
    expect(psi[long]).toMatch(/^psi\/a{200}/);
    expect(psi[long]).not.toBe(psi[longer]);
    expect(psiKeys([long, longer], 7)).toEqual(psi);
  });

  it('when columns sanitise to the same key, then each has its own, and the one named as the key keeps it', () => {
    const psi = psiKeys(['a<b', 'a>b', 'a_b', 'a b']);
    expect(psi.a_b).toBe('psi/a_b');
    expect(psi['a b']).toBe('psi/a b');
    expect(psi['a<b']).toMatch(/^psi\/a_b-[0-9a-f]{8}$/);
    expect(psi['a>b']).toMatch(/^psi\/a_b-[0-9a-f]{8}$/);
    expect(new Set(Object.values(psi)).size).toBe(4);
    expect(psiKeys(['a_b', 'a>b', 'a<b', 'a b'], 3)).toEqual(psi);
  });

  it('when a column name is not a path of its own, then its keys are still ones MLflow takes, one per column', () => {
    const names = ['..', '.', 'a//b', '/x', 'x/', 'a/../b', 'tab\there', 'ü'];
    const keys = windowMetrics(windowOf(names)).map((m) => m.key);
    expect(keys.filter((key) => !mlflowTakes(key))).toEqual([]);
    expect(new Set(Object.values(psiKeys(names))).size).toBe(names.length);
  });
});
