import type { Bus } from '@mlops/bus';
import { PREDICTION_ENCODING, profileSampleSize, SUBJECTS } from '@mlops/contracts';
import {
  accuracy,
  buildReferenceProfile,
  type DenseMatrix,
  denseMatrix,
  LogisticRegression,
  makeClassification,
  RandomState,
  takeRows,
  takeValues,
} from '@mlops/ml';
import type { MlflowClient } from '@mlops/mlflow';
import { MODEL_FILES } from '@mlops/model-format';
import { registerTestModel } from './registered-model.js';

/** Columns of the monitoring test world (a served model, its training profile and traffic); x0..x4 are the informative ones (no shuffling). */
export const FEATURES = Array.from({ length: 20 }, (_, j) => `x${j}`);
export const INFORMATIVE = FEATURES.slice(0, 5);
const TRAIN_ROWS = 800;

/** One data distribution: the first 800 rows train a model and its profile; the others are served traffic. */
export interface World {
  readonly model: LogisticRegression;
  readonly trainAccuracy: number;
  readonly traffic: { readonly X: DenseMatrix; readonly y: Float64Array };
  readonly profileJson: string;
  readonly coef: number[];
  readonly intercept: number;
}

/** make_classification(60,800 × 20, 5 informative, no shuffle, seed 42), a model on its first 800 rows. */
export function buildWorld(): World {
  const data = makeClassification({
    nSamples: TRAIN_ROWS + 60_000,
    nFeatures: FEATURES.length,
    nInformative: INFORMATIVE.length,
    nRedundant: 2,
    shuffle: false,
    randomState: 42,
  });
  const cols = FEATURES.length;
  // No shuffle keeps x0..x4 informative, but rows come cluster by cluster: draw them in a seeded random order.
  const order = new RandomState(7).permutation(data.X.rows);
  const X = denseMatrix(takeRows(data.X, order).data, data.X.rows, cols);
  const y = takeValues(data.y, order);
  const train = denseMatrix(X.data.slice(0, TRAIN_ROWS * cols), TRAIN_ROWS, cols);
  const model = new LogisticRegression({ solver: 'lbfgs' }).fit(train, y.subarray(0, TRAIN_ROWS));
  const holdout = denseMatrix(X.data.slice(TRAIN_ROWS * cols, (TRAIN_ROWS + 2000) * cols), 2000, cols);
  const trainAccuracy = accuracy(y.subarray(TRAIN_ROWS, TRAIN_ROWS + 2000), model.predict(holdout));
  const rest = X.rows - TRAIN_ROWS;
  const profile = buildReferenceProfile(train, { featureNames: FEATURES, sampleSize: profileSampleSize(cols) });
  const state = model.toState();
  return {
    model,
    trainAccuracy,
    traffic: { X: denseMatrix(X.data.slice(TRAIN_ROWS * cols), rest, cols), y: y.slice(TRAIN_ROWS) },
    profileJson: JSON.stringify(profile),
    coef: [...state.coef],
    intercept: state.intercept,
  };
}

/** Registers the world's model as a version of `name` with its profile (unless `withProfile` is false). */
export async function registerWorldModel(
  mlflow: MlflowClient,
  world: World,
  name: string,
  withProfile = true,
): Promise<string> {
  const { experimentId } = await mlflow.getOrCreateExperiment(name);
  await mlflow.getOrCreateRegisteredModel({ name });
  const { version } = await registerTestModel(mlflow, {
    experimentId,
    name,
    weights: { coef: world.coef, intercept: world.intercept, featureNames: FEATURES },
    metrics: { accuracy: world.trainAccuracy },
    files: withProfile ? { [MODEL_FILES.referenceProfile]: world.profileJson } : {},
  });
  return version;
}

const pack = (values: Float64Array) =>
  Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');

/**
 * Logs rows as the predictor does (requests of `perRequest` rows, `requestsPerMessage` of them per
 * `prediction.logged`): rows [from, from+n) of the traffic, with `shift` added to the named columns. Returns the
 * prediction ids in order.
 */
export async function logTraffic(
  bus: Bus,
  world: World,
  options: {
    model: string;
    version: string;
    from: number;
    rows: number;
    perRequest?: number;
    /** Requests that share one message, as the predictor puts waiting requests together under load. @defaultValue 1 */
    requestsPerMessage?: number;
    shift?: { columns: string[]; by: number };
    tag: string;
  },
): Promise<string[]> {
  const cols = FEATURES.length;
  const perRequest = options.perRequest ?? 100;
  const perMessage = perRequest * (options.requestsPerMessage ?? 1);
  const shifted = new Set((options.shift?.columns ?? []).map((c) => FEATURES.indexOf(c)));
  const ids: string[] = [];
  for (let start = 0; start < options.rows; start += perMessage) {
    const n = Math.min(perMessage, options.rows - start);
    const first = options.from + start;
    const features = world.traffic.X.data.slice(first * cols, (first + n) * cols);
    for (let i = 0; i < n; i++)
      for (const j of shifted) features[i * cols + j] = (features[i * cols + j] as number) + (options.shift?.by ?? 0);
    const { labels, probabilities } = world.model.predictWithProba(denseMatrix(features, n, cols));
    const predictedAt = new Date().toISOString();
    const requests = [];
    for (let offset = 0; offset < n; offset += perRequest) {
      const rows = Math.min(perRequest, n - offset);
      const requestId = `${options.tag}${(first + offset).toString(36)}`;
      requests.push({ request_id: requestId, predicted_at: predictedAt, rows });
      for (let i = 0; i < rows; i++) ids.push(`${requestId}-${i}`);
    }
    await bus.publishEvent(
      SUBJECTS.predictionLogged,
      {
        model: options.model,
        version: options.version,
        requests,
        rows: n,
        columns: cols,
        encoding: PREDICTION_ENCODING,
        features: pack(features),
        probabilities: pack(probabilities),
        labels: pack(labels),
        sample_rate: 1,
        dropped_before: 0,
      },
      { key: requests[0]?.request_id ?? options.tag },
    );
  }
  return ids;
}
