import type { FigureSpec } from './render.js';

/** One column's drift in one window: its statistic over its threshold (≥ 1 is drift) and the verdict. */
export interface DriftCell {
  readonly window: number;
  readonly column: string;
  /** The deciding statistic divided by its threshold (a p-value test: threshold over p-value). */
  readonly ratio: number;
  readonly drifted: boolean;
}

/**
 * Drift over time as a heat map: a row per column (the predicted probability last), a cell per window, coloured by
 * how far its statistic is past its threshold (capped at 3×), drifted cells marked with a dot. Rows are ordered by
 * each column's first appearance through a number in the data, never by the names: Vega parses a string constant
 * that names an `Object.prototype` member (`"constructor"`, `"toString"`) in an expression as a signal, so a column's
 * name in a `sort` list broke the figure.
 */
export function driftOverTimeFigure(cells: readonly DriftCell[], about: string): FigureSpec {
  const rows = new Map<string, number>();
  for (const c of cells) if (!rows.has(c.column)) rows.set(c.column, rows.size);
  const values = cells.map((c) => ({ ...c, ratio: Math.min(c.ratio, 3), row: rows.get(c.column) }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Drift over time', subtitle: about },
    data: { values },
    width: { step: 12 },
    height: { step: 14 },
    encoding: {
      x: { field: 'window', type: 'ordinal', title: 'window', axis: { labelOverlap: 'greedy', labelAngle: 0 } },
      y: { field: 'column', type: 'nominal', sort: { field: 'row', op: 'min' }, title: null },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'ratio',
            type: 'quantitative',
            title: ['statistic', '/ threshold'],
            scale: { domain: [0, 1, 3], range: ['#f7fbff', '#fdd49e', '#b30000'], interpolate: 'rgb' },
          },
        },
      },
      {
        transform: [{ filter: 'datum.drifted' }],
        mark: { type: 'circle', size: 16, color: 'black' },
      },
    ],
  } as FigureSpec;
}
