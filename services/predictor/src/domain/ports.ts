import type { FeedbackItem, FeedbackReply } from '@mlops/contracts';
import type { DenseMatrix } from '@mlops/ml';
import type { ServedModel } from './served-model.js';

/** The identity of a served model, as metric labels and events carry it. */
export interface ModelIdentity {
  readonly name: string;
  readonly version: string;
  readonly alias: string;
}

/** Where score() counts each successful call (prom-client in adapters/metrics.ts). */
export interface ScoringMetrics {
  /** Counts one successful scoring call: rows, predictions by class (the classes' own labels), success per model. */
  countScored(
    model: ModelIdentity,
    rows: number,
    positives: number,
    classes: readonly [number | string, number | string],
  ): void;
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

/** One successful scoring call as the prediction log keeps it: references to the arrays, nothing copied or encoded. */
export interface ScoredRequest {
  readonly model: Pick<ModelIdentity, 'name' | 'version'>;
  /** Row `i` has the prediction id `<requestId>-<i>`. */
  readonly requestId: string;
  /** When it was scored, in ms since the epoch. */
  readonly scoredAt: number;
  /** The rows as logged, row-major: the model's features in its order, or a table model's raw columns coded. */
  readonly X: DenseMatrix;
  /** True when X holds a table model's raw input columns coded (CompiledPreprocessor.codes), not its features. */
  readonly rawColumns: boolean;
  readonly probabilities: Float64Array;
  readonly labels: Float64Array;
  /** The client id of the bearer token it was scored with (interned: one string per token); undefined without tokens. */
  readonly client: string | undefined;
}

/** Where score() hands every successful call for `prediction.logged` (a bounded buffer in adapters/prediction-log.ts). */
export interface PredictionLog {
  /** Keeps the request for publishing, or drops it (sampled out, buffer full): must not block, copy or throw. */
  record(request: ScoredRequest): void;
}

/** The monitor, asked over NATS (adapters/feedback-forwarder.ts): stores labels and answers what it did with each. */
export interface FeedbackSink {
  /** Forwards labels; throws FeedbackUnavailable (domain/feedback.ts) when no answer comes. */
  send(labels: FeedbackItem | FeedbackItem[]): Promise<FeedbackReply>;
}
