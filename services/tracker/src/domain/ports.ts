import type { Cell, EventData } from '@mlops/contracts';
import type { GateVerdict } from './gate.js';
import type { NothingToRegister } from './selection.js';

/** The files of one trial's model, by relative path, built from its weights (see model-files). */
export type ModelFilesBuilder = (input: {
  modelId: string;
  runId: string;
  artifactUri: string;
  event: EventData<'run.completed'>;
  inputExample: Cell[][];
}) => Record<string, Uint8Array | string>;

/** The model version a completed tuning registered (or an earlier delivery did) and that now holds the alias. */
export interface Registration {
  readonly name: string;
  readonly version: string;
  /** Where the version's files are (the LoggedModel's artifact location). */
  readonly source: string;
  readonly trialId: string;
  readonly runId: string;
  readonly metricValue: number;
  /** The tuning's parent run, where the verdict is recorded too. */
  readonly parentRunId: string;
}

/**
 * A registered version as the gate scores it: the names of what a row holds (a table model's raw columns, else
 * its features) and P(class 1) for rows of cells in that order (a table model applies its own preprocessing).
 */
export interface ScorableModel {
  readonly inputNames: readonly string[];
  /** The target's own labels of classes 0 and 1, when the weights record them (table models). */
  readonly classLabels: readonly [string | number, string | number] | undefined;
  probabilities(rows: readonly (readonly Cell[])[]): Float64Array;
}

/** One move of the champion alias, kept in the registry's history (rollback reads it). */
export interface ChampionMove {
  /** `gate` (a tuning), `promote` (asked for a version) or `rollback` (back to the one before). */
  readonly kind: 'gate' | 'promote' | 'rollback';
  readonly version: string;
  readonly previous: string | null;
  readonly reason: string;
  /** `gate` or the person or tool that asked. */
  readonly by: string;
  readonly at: string;
  /** The id a manual request carried, so that the same request sent again is not made twice. */
  readonly request?: string;
}

/**
 * The model registry as the gate needs it (MLflow, in adapters/). Every write is idempotent, so a redelivered
 * tuning.completed replays them without a second verdict, alias move or history entry.
 */
export interface ChampionRegistry {
  /** The version the champion alias points at, or null. */
  championVersion(name: string): Promise<string | null>;
  loadModel(name: string, version: string): Promise<ScorableModel>;
  /** The verdict an earlier delivery recorded on this version, if any. */
  recordedVerdict(name: string, version: string): Promise<GateVerdict | undefined>;
  /** Tags the version and the parent run with the verdict and describes it on the version. */
  recordVerdict(target: { name: string; version: string; parentRunId: string }, verdict: GateVerdict): Promise<void>;
  /** Appends the move to the history (once), then points the champion alias at the version. */
  moveChampion(name: string, move: ChampionMove): Promise<void>;
  /** Points the challenger alias at a version the gate kept out. */
  markChallenger(name: string, version: string): Promise<void>;
  /** The version the challenger alias points at, or null. */
  challengerVersion(name: string): Promise<string | null>;
  /** Every recorded move of the champion alias, oldest first. */
  history(name: string): Promise<ChampionMove[]>;
  /** One version with its tags and aliases; null when the model or the version does not exist. */
  version(name: string, version: string): Promise<VersionRecord | null>;
  /** The newest versions first; null when the model does not exist. */
  versions(name: string, limit: number): Promise<VersionRecord[] | null>;
}

/** A registered version as `mlops models`, promote and rollback need it. */
export interface VersionRecord {
  readonly version: string;
  readonly createdAt: number | undefined;
  readonly aliases: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly runId: string | undefined;
  readonly source: string;
}

/**
 * Where tuning events are recorded (MLflow, in adapters/): every method can run again after a crash or a
 * redelivery without duplicating anything.
 */
export interface TuningRecords {
  tuningStarted(data: EventData<'tuning.started'>): Promise<void>;
  runStarted(data: EventData<'run.started'>): Promise<void>;
  /** `streamSequence`: where the event is stored, to read it back when its model is logged later (top k). */
  runCompleted(data: EventData<'run.completed'>, streamSequence: number): Promise<void>;
  runFailed(data: EventData<'run.failed'>): Promise<void>;
  /** Picks and registers the best trial (the gate moves the alias), or says why there is none to register. */
  tuningCompleted(data: EventData<'tuning.completed'>): Promise<TuningOutcome>;
  /** Says on the tuning's parent run why nothing was registered, and ends it as FAILED (the same again is a no-op). */
  recordUnregistered(unregistered: Unregistered, endedAt: string): Promise<void>;
}

/** What a completed tuning came to in the records: a registered version, or why none was registered. */
export type TuningOutcome =
  | { readonly kind: 'registered'; readonly registration: Registration }
  | { readonly kind: 'unregistered'; readonly unregistered: Unregistered };

/** A completed tuning that registered nothing: why, and whether an earlier delivery already said so. */
export interface Unregistered extends NothingToRegister {
  /** The tuning's parent run, where the reason is said. */
  readonly parentRunId: string;
  /** True once {@link TuningRecords.recordUnregistered} ran for it: its announcement was made before. */
  readonly recorded: boolean;
}

/** A `run.completed` read back from the stream by its sequence; undefined once it is no longer stored. */
export type StoredRunCompleted = (streamSequence: number) => Promise<EventData<'run.completed'> | undefined>;

/** Draws a completed tuning's figures where a person looks at the tuning (MLflow: its parent run's artifacts). */
export interface TuningFigures {
  /** Idempotent (the same files again); returns the paths written. */
  draw(data: EventData<'tuning.completed'>, registration: Registration): Promise<string[]>;
}
