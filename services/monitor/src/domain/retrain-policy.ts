import type { MonitorCheckpoint, RetrainSkipReason, RetrainTrigger } from '@mlops/contracts';

/** When the monitor retrains the served version on its own (MONITOR_RETRAIN_*). */
export interface RetrainRules {
  /** Automatic triggers on; `mlops retrain` works either way. */
  readonly enabled: boolean;
  /** Dataset drift in this many consecutive windows triggers (K). */
  readonly driftWindows: number;
  /** Labelled rows predicted since the last retrain's data needed before another automatic one (M). */
  readonly minLabels: number;
  /** Time after a retrain was requested before the next automatic one. */
  readonly cooldownMs: number;
  /** How long the single-flight lease lives without its holder releasing it (a crashed monitor's retrain ends). */
  readonly leaseMs: number;
  /** The newest this many labelled rows make a data set. */
  readonly maxRows: number;
}

/** A data set needs at least this many rows of each class (a split and a stratified holdout need a few). */
export const MIN_ROWS_PER_CLASS = 5;

/** What set a retrain off, in words, and from when its training rows are taken. */
export interface RetrainCause {
  readonly trigger: RetrainTrigger;
  readonly detail: string;
  /** Labelled rows predicted at or after this time make the data set. */
  readonly sinceMs: number;
}

/** What a decision weighs before looking at any row: whether one is in flight, and when the last was requested. */
export interface RetrainTiming {
  readonly trigger: RetrainTrigger;
  /** When the last retrain of this model was requested; null for none. */
  readonly lastRequestedAtMs: number | null;
  /** The retrain in flight for this model (its id), or null. */
  readonly inFlight: string | null;
}

/** The labelled rows a decision weighs. */
export interface RetrainRows {
  /** Labelled rows predicted after the previous retrain's newest row: what M counts. */
  readonly newLabelled: number;
  /** Labelled rows per class (0, 1) in the data set's window. */
  readonly classCounts: readonly [number, number];
}

/** Go, or not now and why. */
export type RetrainDecision =
  | { readonly go: true }
  | { readonly go: false; readonly reason: RetrainSkipReason; readonly message: string };

/**
 * The automatic trigger a window's checkpoint holds: dataset drift in K judged windows of the open episode (a window
 * too small to judge neither ends the episode nor counts) or an open performance episode (learning from the rows
 * since the drift began when drift is under way, short of K windows, else over the performance window); null for
 * neither.
 * `judgedDriftWindows` is how many windows of the episode were judged drifted; without it (a caller that does not
 * count them) every window since the episode began counts, as before.
 */
export function automaticCause(
  rules: RetrainRules,
  checkpoint: MonitorCheckpoint,
  nowMs: number,
  performanceWindowMs: number,
  judgedDriftWindows?: number,
): RetrainCause | null {
  if (!rules.enabled) return null;
  const since = checkpoint.drift_since_window;
  if (since !== null) {
    const span = checkpoint.windows - since;
    const windows = judgedDriftWindows ?? span;
    if (windows >= rules.driftWindows) {
      const last = checkpoint.windows - 1;
      const range = since === last ? `${since}` : `${since}–${last}`;
      const sinceMs =
        checkpoint.drift_since_at === null ? nowMs - performanceWindowMs : Date.parse(checkpoint.drift_since_at);
      const detail =
        windows >= span
          ? `dataset drift in ${windows} consecutive windows (${range})`
          : `dataset drift in ${windows} consecutive judged windows (${range}; ${span - windows} too small to judge)`;
      return { trigger: 'drift', detail, sinceMs };
    }
  }
  if (checkpoint.degraded) {
    const detail = `live performance degraded (episode ${checkpoint.performance_episodes})`;
    const windowStart = nowMs - performanceWindowMs;
    // Drift under way marks where the world moved: rows from before it would teach the old world again.
    const driftStart =
      since === null || checkpoint.drift_since_at === null ? null : Date.parse(checkpoint.drift_since_at);
    if (driftStart === null || driftStart <= windowStart)
      return { trigger: 'performance', detail, sinceMs: windowStart };
    return { trigger: 'performance', detail: `${detail}, while drift since window ${since}`, sinceMs: driftStart };
  }
  return null;
}

/**
 * The checks that need no rows: no retrain in flight, and for an automatic trigger the cooldown over (a person
 * asking, `manual`, waives the cooldown). Null when they pass.
 */
export function timingSkip(rules: RetrainRules, timing: RetrainTiming, nowMs: number): RetrainDecision | null {
  if (timing.inFlight !== null) return skip('in_flight', `retrain ${timing.inFlight} is in flight; one at a time`);
  const last = timing.lastRequestedAtMs;
  if (timing.trigger !== 'manual' && last !== null && nowMs - last < rules.cooldownMs) {
    const left = Math.ceil((rules.cooldownMs - (nowMs - last)) / 1000);
    const message = `the last retrain was requested ${Math.round((nowMs - last) / 1000)} s ago; the cooldown has ${left} s left`;
    return skip('cooldown', message);
  }
  return null;
}

/**
 * The checks on the rows: an automatic trigger needs M labelled rows, among those it would learn from, predicted
 * after the last retrain's newest row (waived by hand);
 * every data set needs MIN_ROWS_PER_CLASS rows of each class. Null when they pass.
 */
export function rowsSkip(rules: RetrainRules, trigger: RetrainTrigger, rows: RetrainRows): RetrainDecision | null {
  if (trigger !== 'manual' && rows.newLabelled < rules.minLabels) {
    return skip(
      'too_few_labels',
      `${rows.newLabelled} labelled rows to learn from (predicted since the drift began, or in the performance window) are newer than the last retrain; ${rules.minLabels} needed`,
    );
  }
  const [negatives, positives] = rows.classCounts;
  if (negatives + positives === 0) {
    return skip('too_few_labels', 'no labelled rows to learn from: send the true labels of its predictions first');
  }
  if (negatives < MIN_ROWS_PER_CLASS || positives < MIN_ROWS_PER_CLASS) {
    const reason = negatives === 0 || positives === 0 ? 'one_class' : 'too_few_labels';
    const message = `the labelled rows hold ${negatives} of class 0 and ${positives} of class 1; at least ${MIN_ROWS_PER_CLASS} of each needed`;
    return skip(reason, message);
  }
  return null;
}

/** Whether a retrain starts now: {@link timingSkip}, then {@link rowsSkip}. */
export function decideRetrain(
  rules: RetrainRules,
  timing: RetrainTiming,
  rows: RetrainRows,
  nowMs: number,
): RetrainDecision {
  return timingSkip(rules, timing, nowMs) ?? rowsSkip(rules, timing.trigger, rows) ?? { go: true };
}

function skip(reason: RetrainSkipReason, message: string): RetrainDecision {
  return { go: false, reason, message };
}
