import type { ServedModel } from './served-model.js';

/** The identity of a served model, as metric labels and events carry it. */
export interface ModelIdentity {
  readonly name: string;
  readonly version: string;
  readonly alias: string;
}

/** Where score() counts each successful call (prom-client in adapters/metrics.ts). */
export interface ScoringMetrics {
  /** Counts one successful scoring call: rows, predictions by class, success per model. */
  countScored(model: ModelIdentity, rows: number, positives: number, classes: readonly [number, number]): void;
}

/** What the champion watch needs: read the alias's version (null when unset) and offer it for loading. */
export interface ChampionSource {
  /** Serves the version the alias points at (reading it from the registry); null when there is none yet. */
  follow(reason: string): Promise<string | null>;
  hasModel(): boolean;
}

/** Loads one registered version, validated, ready to serve (from MLflow in adapters/model-loader.ts). */
export type LoadModel = (version: string) => Promise<ServedModel>;

/** Told of every swap and every failed load (metrics, events). */
export interface ReloadObserver {
  loaded(model: ServedModel): void;
  failed(version: string, err: unknown): void;
}
