import type { ColumnDrift, MonitorWindowData } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { DriftHistory } from '../src/domain/drift-history.js';

const column = (name: string, method: ColumnDrift['method'], value: number, threshold: number): ColumnDrift => ({
  name,
  method,
  value,
  threshold,
  drifted: method === 'ks' ? value < threshold : value >= threshold,
  psi: 0,
  js_distance: 0,
  ks_statistic: null,
  ks_p_value: null,
  wasserstein_normed: null,
  mean: null,
  reference_mean: null,
});

const windowOf = (index: number, features: ColumnDrift[]) =>
  ({ model: 'm', version: '2', window: index, features, prediction: null }) as unknown as MonitorWindowData;

/** The heat map's cells, as the spec inlines them. */
const cellsOf = (history: DriftHistory) =>
  (history.figure('m', '2') as { data: { values: Record<string, unknown>[] } }).data.values;

describe('drift history', () => {
  it('when windows close, then each column becomes a cell of its statistic over its threshold, a p-value inverted', () => {
    const history = new DriftHistory();
    history.add(windowOf(0, [column('x0', 'wasserstein', 0.05, 0.1), column('x1', 'ks', 0.001, 0.0025)]));
    expect(cellsOf(history)).toEqual([
      { window: 0, column: 'x0', ratio: 0.5, drifted: false, row: 0 },
      { window: 0, column: 'x1', ratio: 2.5, drifted: true, row: 1 },
    ]);
    expect(JSON.stringify(history.figure('m', '2'))).toContain('m v2, windows 0–0: 1 of 1 with a drifted column');
  });

  it('when more windows close than it keeps, then the oldest go; a window without statistics adds nothing', () => {
    const history = new DriftHistory(2);
    expect(history.figure('m', '2')).toBeUndefined();
    for (const i of [0, 1, 2]) history.add(windowOf(i, [column('x0', 'psi', 0.5, 0.25)]));
    history.add(windowOf(3, []));
    expect(cellsOf(history).map((c) => [c.window, c.ratio])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(history.figure('m', '1')).toBeUndefined();
  });

  it('when windows come out of order and one twice (MLflow back after an outage), then each is kept once, in order', () => {
    const history = new DriftHistory(3);
    for (const i of [2, 0, 3, 2, 1]) history.add(windowOf(i, [column('x0', 'psi', 0.1 * (i + 1), 0.25)]));
    expect(cellsOf(history).map((c) => c.window)).toEqual([1, 2, 3]);
    expect(JSON.stringify(history.figure('m', '2'))).toContain('windows 1–3: 2 of 3 with a drifted column');
  });
});
