import type {
  DatasetSpec,
  EventData,
  GridSpec,
  MonitorWindowData,
  RandomSearchSpec,
  ReferenceProfileData,
  SelectionMetric,
  TuneReply,
  TuneRequestInput,
} from '@mlops/contracts';
import type { Category, ColumnSpec, RawTable } from '@mlops/ml';
import type { TrainingMetrics } from './live-performance.js';

/** A version's files as the registry holds them: its training profile (if any) and its weights. */
export interface VersionFiles {
  /** The training split's profile; null for a version registered before profiles existed. */
  readonly profile: ReferenceProfileData | null;
  /** The logistic regression of the version, to score the reference sample (the predicted probability's reference). */
  readonly model: {
    readonly classes: [number, number];
    readonly coef: number[];
    readonly intercept: number;
    /** The model's inputs in order (a table model's encoded columns). */
    readonly featureNames: readonly string[];
  };
  /** The version's test-split metrics at training time. */
  readonly training: TrainingMetrics;
  /** Set for a table model: what its logged raw columns are and how it scores them. */
  readonly table?: VersionTable;
  /** The target's own labels of classes 0 and 1 when it was text (feedback may name them). */
  readonly classLabels?: readonly [ClassLabel, ClassLabel];
}

/** A class's own label: a number or text. */
export type ClassLabel = number | string;

/** A table model's raw input column: its name, cell kind and role (a number column may be categorical). */
export interface VersionTableColumn extends ColumnSpec {
  readonly role: 'numeric' | 'categorical';
}

/** A table model's raw input, from its weights file. */
export interface VersionTable {
  /** Its raw input columns in the logged order (numeric, then categorical). */
  readonly columns: readonly VersionTableColumn[];
  /** Per input column, the model's fitted categories (empty for a numeric one): what a logged code indexes. */
  readonly categories: readonly (readonly Category[])[];
  /** P(class 1) of raw rows, through the model's own preprocessing. */
  probabilities(table: RawTable): Float64Array;
}

/** How a version was tuned, as far as its tuning recorded it: a retrain of it tunes the same way. */
export interface VersionTuning {
  /** The grid as requested, defaults applied; undefined when not recorded (older versions, very large grids). */
  readonly grid?: GridSpec;
  /** The random search it drew its trials with; undefined when it searched the whole grid. */
  readonly search?: RandomSearchSpec;
  readonly selectionMetric?: SelectionMetric;
  /** The data set it was tuned on, as requested (`recent+original` appends it to a retrain's training side). */
  readonly dataset?: DatasetSpec;
}

/** Reads how a version was tuned (MLflow: its tuning's parent run); throws when the registry cannot be read now. */
export interface VersionTuningSource {
  tuningOf(model: string, version: string): Promise<VersionTuning>;
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
  retrainRequested(data: EventData<'retrain.requested'>): Promise<void>;
  /** `key` names the decision (the same decision announced again is stored once). */
  retrainSkipped(data: EventData<'retrain.skipped'>, key: string): Promise<void>;
  /** The message id names the retrain: one failure each, stored once. */
  retrainFailed(data: EventData<'retrain.failed'>): Promise<void>;
}

/** Logs each window as a step of the version's monitoring run (MLflow); failures are the caller's to log. */
export interface MonitoringRuns {
  /** Resolves once the window is written; windows may be handed over before earlier ones are written. */
  logWindow(window: MonitorWindowData): Promise<void>;
}

/** Counters and gauges the monitor exports (Prometheus in adapters/). */
export interface MonitorMetrics {
  rowsCounted(key: string, rows: number): void;
  /** A window was reported: counted, and its statistics shown on the gauges. */
  windowClosed(window: MonitorWindowData): void;
  /** A window read back at start: its statistics shown on the gauges, nothing counted. */
  windowShown(window: MonitorWindowData): void;
  labels(key: string, outcome: string, n: number): void;
  performance(key: string, live: MonitorWindowData['performance']): void;
  joinRows(rows: number): void;
  /** A version the champion alias left: its dataset drift, drifted columns and degraded gauges back to 0. */
  replaced(key: string): void;
  /** Whether drift can be measured for a version (false: no reference profile, or it could not be read). */
  reference(key: string, available: boolean): void;
  /** One retrain decision: `requested`, or the reason it was skipped. */
  retrainDecision(model: string, trigger: string, outcome: string): void;
  /** Whether a retrain of the model is in flight. */
  retrainInFlight(model: string, inFlight: boolean): void;
}

/** A logged request's features read back from the prediction log. */
export interface LoggedRequestFeatures {
  /** Row-major rows × columns, as the predictor logged them. */
  readonly features: Float64Array;
  readonly columns: number;
  /** True for a table model's coded raw columns. */
  readonly rawColumns: boolean;
}

/** Reads logged features back from the prediction log (JetStream in adapters/). */
export interface LoggedFeatureSource {
  /** The features of the `wanted` requests of one version, logged at or after `sinceMs`, by request id. */
  read(
    model: string,
    version: string,
    sinceMs: number,
    wanted: ReadonlySet<string>,
  ): Promise<Map<string, LoggedRequestFeatures>>;
}

/** Where a retrain's data set is written for the trainer (its data directory). */
export interface DatasetStore {
  /** Writes `text` at `path` (relative to the data directory) whole or not at all; the same bytes again are a no-op. */
  write(path: string, text: string): Promise<void>;
}

/** Sends a tune request to the trainer's intake and returns its answer. */
export interface TuneRequester {
  request(body: TuneRequestInput): Promise<TuneReply>;
}

/** A retrain lease as the domain sees it (one per model; JetStream KV in adapters/). */
export interface HeldRetrain {
  readonly model: string;
  readonly value: RetrainLeaseValue;
  readonly revision: number;
}

/** What the lease of a retrain in flight records: enough for a restarted monitor to finish what it began. */
export interface RetrainLeaseValue {
  readonly retrain_id: string;
  readonly version: string;
  readonly owner: string;
  /** building: the data set is being written, nothing sent yet; sent: the tune request may have reached the trainer. */
  readonly state: 'building' | 'sent';
  readonly taken_at: string;
  /** Set from `sent` on: the tuning the retrain waits for, and the event that announced it. */
  readonly retrain?: EventData<'retrain.requested'>;
  readonly request?: TuneRequestInput;
}

/** Single flight: at most one retrain per model, ended by its outcome or by the lease's TTL. */
export interface RetrainLeases {
  acquire(model: string, value: RetrainLeaseValue): Promise<HeldRetrain | undefined>;
  holder(model: string): Promise<HeldRetrain | undefined>;
  update(held: HeldRetrain, value: RetrainLeaseValue): Promise<HeldRetrain | undefined>;
  release(held: HeldRetrain): Promise<void>;
  all(): Promise<HeldRetrain[]>;
}
