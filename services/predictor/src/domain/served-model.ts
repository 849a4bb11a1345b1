import type { LogisticRegression } from '@mlops/ml';

/** The model currently served, with the registry identity every response and log line names. */
export interface ServedModel {
  readonly name: string;
  readonly version: string;
  readonly versionNumber: number;
  readonly alias: string;
  readonly runId: string;
  readonly modelUri: string;
  readonly featureNames: readonly string[];
  readonly model: LogisticRegression;
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
 * Holds the served model and swaps it atomically. Offers of a version at or below the current one are ignored,
 * since registry events may arrive twice or out of order.
 */
export class ModelSlot {
  private current: ServedModel | undefined;

  /** The model to score with, or undefined before the first load. */
  get model(): ServedModel | undefined {
    return this.current;
  }

  /** Swaps in `candidate` if it is newer; returns whether it did. */
  offer(candidate: ServedModel): boolean {
    if (this.current !== undefined && candidate.versionNumber <= this.current.versionNumber) return false;
    this.current = candidate;
    return true;
  }

  /** Whether a version at or below the served one would be ignored anyway (skip loading it). */
  isStale(versionNumber: number): boolean {
    return this.current !== undefined && versionNumber <= this.current.versionNumber;
  }
}
