import type { ColumnSpec, CompiledPreprocessor, LogisticRegression } from '@mlops/ml';

/** A table model's raw input: the columns a request names, and the preprocessing that encodes them. */
export interface TableInput {
  readonly columns: readonly ColumnSpec[];
  readonly preprocessor: CompiledPreprocessor;
}

/** The model currently served, with the registry identity every response and log line names. */
export interface ServedModel {
  readonly name: string;
  readonly version: string;
  readonly versionNumber: number;
  readonly alias: string;
  readonly runId: string;
  readonly modelUri: string;
  /** One per coefficient (a table model's encoded columns); the log records them for a model without a table. */
  readonly featureNames: readonly string[];
  readonly model: LogisticRegression;
  /** Set for a table model: requests carry raw columns (numbers, text, nulls), not a matrix. */
  readonly table?: TableInput;
  /** The target's own labels of classes 0 and 1 when they are text; answers carry them instead of 0/1. */
  readonly classLabels?: readonly [string | number, string | number];
  /** How it was trained: solver, hyper-parameters, held-out metrics and time (from its weights file). */
  readonly training: {
    readonly solver: string;
    readonly params: Readonly<Record<string, unknown>>;
    readonly metrics: Readonly<Record<string, number | null>>;
    readonly trainedAt: string;
  };
  readonly loadedAt: Date;
}

/**
 * Holds the served model and swaps it atomically. It serves whatever version the champion alias points at, lower
 * numbers included (a rollback); offering the version already served changes nothing.
 */
export class ModelSlot {
  private current: ServedModel | undefined;

  /** The model to score with, or undefined before the first load. */
  get model(): ServedModel | undefined {
    return this.current;
  }

  /** Swaps in `candidate` unless it is the version already served; returns whether it did. */
  offer(candidate: ServedModel): boolean {
    if (this.isServing(candidate.version)) return false;
    this.current = candidate;
    return true;
  }

  /** Whether `version` is the one served now (nothing to load). */
  isServing(version: string): boolean {
    return this.current?.version === version;
  }
}
