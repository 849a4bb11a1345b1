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
