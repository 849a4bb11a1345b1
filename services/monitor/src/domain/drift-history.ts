import type { ColumnDrift, MonitorWindowData } from '@mlops/contracts';
import { type DriftCell, driftOverTimeFigure, type FigureSpec } from '@mlops/figures';

/** Windows of one version kept for its drift-over-time figure: the newest this many. */
export const DRIFT_FIGURE_WINDOWS = 200;

/** The last windows of each version with drift statistics, to draw drift over time on its monitoring run. */
export class DriftHistory {
  private readonly cells = new Map<string, DriftCell[][]>();

  constructor(private readonly maxWindows = DRIFT_FIGURE_WINDOWS) {}

  /**
   * Keeps a window's per-column verdicts in window order, once (windows reach MLflow out of order after an outage, and
   * a redelivered one comes twice); a window without drift statistics adds nothing.
   */
  add(window: MonitorWindowData): void {
    const columns = [...window.features, ...(window.prediction === null ? [] : [window.prediction])];
    if (columns.length === 0) return;
    const key = `${window.model}:${window.version}`;
    const kept = this.cells.get(key) ?? [];
    const at = kept.findLastIndex((cells) => (cells[0]?.window ?? -1) <= window.window);
    if (at >= 0 && kept[at]?.[0]?.window === window.window) return;
    kept.splice(
      at + 1,
      0,
      columns.map((column) => cellOf(window.window, column)),
    );
    if (kept.length > this.maxWindows) kept.splice(0, kept.length - this.maxWindows);
    this.cells.set(key, kept);
  }

  /** The version's figure, or undefined before its first window with drift statistics. */
  figure(model: string, version: string): FigureSpec | undefined {
    const kept = this.cells.get(`${model}:${version}`);
    if (kept === undefined || kept.length === 0) return undefined;
    const first = kept[0]?.[0]?.window;
    const last = kept.at(-1)?.[0]?.window;
    const drifted = kept.filter((cells) => cells.some((c) => c.drifted)).length;
    const about = `${model} v${version}, windows ${first}–${last}: ${drifted} of ${kept.length} with a drifted column; ● drifted`;
    return driftOverTimeFigure(kept.flat(), about);
  }
}

/** How far a column is past its threshold: distance over threshold, or threshold over p-value for a test. */
function cellOf(window: number, column: ColumnDrift): DriftCell {
  const pValue = column.method === 'ks' || column.method === 'chisquare' || column.method === 'z';
  const ratio = pValue ? column.threshold / Math.max(column.value, Number.MIN_VALUE) : column.value / column.threshold;
  return { window, column: column.name, ratio, drifted: column.drifted };
}
