import type { EventData, MonitorWindowData, ReferenceProfileData } from '@mlops/contracts';
import type { Category, ColumnSpec, RawTable } from '@mlops/ml';
import type { TrainingMetrics } from './live-performance.js';

/** A version's files as the registry holds them: its training profile (if any) and its weights. */
export interface VersionFiles {
  /** The training split's profile; null for a version registered before profiles existed. */
  readonly profile: ReferenceProfileData | null;
  /** The logistic regression of the version, to score the reference sample (the predicted probability's reference). */
  readonly model: { readonly classes: [number, number]; readonly coef: number[]; readonly intercept: number };
  /** The version's test-split metrics at training time. */
  readonly training: TrainingMetrics;
  /** Set for a table model: what its logged raw columns are and how it scores them. */
  readonly table?: VersionTable;
  /** The target's own labels of classes 0 and 1 when it was text (feedback may name them). */
  readonly classLabels?: readonly [ClassLabel, ClassLabel];
}

/** A class's own label: a number or text. */
export type ClassLabel = number | string;

/** A table model's raw input, from its weights file. */
export interface VersionTable {
  /** Its raw input columns in the logged order (numeric, then categorical). */
  readonly columns: readonly ColumnSpec[];
  /** Per input column, the model's fitted categories (empty for a numeric one): what a logged code indexes. */
  readonly categories: readonly (readonly Category[])[];
  /** P(class 1) of raw rows, through the model's own preprocessing. */
  probabilities(table: RawTable): Float64Array;
}

/** Loads a version's files (from MLflow in adapters/); throws when the registry cannot be read now. */
export interface VersionFilesSource {
  load(model: string, version: string): Promise<VersionFiles>;
}

/** Everything the monitor announces; each call is idempotent (the event ids name the fact) and retried inside. */
export interface MonitorAnnouncer {
  window(data: MonitorWindowData): Promise<void>;
  driftDetected(data: EventData<'drift.detected'>): Promise<void>;
  driftResolved(data: EventData<'drift.resolved'>): Promise<void>;
  performanceDegraded(data: EventData<'performance.degraded'>): Promise<void>;
  performanceRecovered(data: EventData<'performance.recovered'>): Promise<void>;
  labelRecorded(data: EventData<'label.recorded'>): Promise<void>;
}

/** Logs each window as a step of the version's monitoring run (MLflow); failures are the caller's to log. */
export interface MonitoringRuns {
  /** Resolves once the window is written; windows may be handed over before earlier ones are written. */
  logWindow(window: MonitorWindowData): Promise<void>;
}

/** Counters and gauges the monitor exports (Prometheus in adapters/). */
export interface MonitorMetrics {
  rowsCounted(key: string, rows: number): void;
  windowClosed(window: MonitorWindowData): void;
  labels(key: string, outcome: string, n: number): void;
  performance(key: string, live: MonitorWindowData['performance']): void;
  joinRows(rows: number): void;
  /** Whether drift can be measured for a version (false: no reference profile, or it could not be read). */
  reference(key: string, available: boolean): void;
}
