import { InvalidParameterError } from '../errors.js';
import type { DenseMatrix } from '../matrix.js';
import { RandomState } from '../random/random-state.js';
import { sampleWithoutReplacement } from '../random/sample-without-replacement.js';

/** scikit-learn's `make_classification` arguments, camel-cased; every one optional with scikit-learn's default. */
export interface MakeClassificationOptions {
  nSamples?: number;
  nFeatures?: number;
  nInformative?: number;
  nRedundant?: number;
  nRepeated?: number;
  nClasses?: number;
  nClustersPerClass?: number;
  /** Class proportions; `nClasses - 1` values get the last one filled in as `1 - sum`. */
  weights?: readonly number[] | null;
  flipY?: number;
  classSep?: number;
  hypercube?: boolean;
  /** A number, one per feature, or `null` to draw a random shift per feature. */
  shift?: number | readonly number[] | null;
  /** A number, one per feature, or `null` to draw a random scale per feature. */
  scale?: number | readonly number[] | null;
  shuffle?: boolean;
  randomState: number;
}

/** A generated classification data set: X row-major, y as integer class labels stored in a Float64Array. */
export interface ClassificationDataset {
  readonly X: DenseMatrix;
  readonly y: Float64Array;
}

type Resolved = Required<Omit<MakeClassificationOptions, 'weights' | 'shift' | 'scale'>> & {
  weights: number[];
  shift: number | readonly number[] | null;
  scale: number | readonly number[] | null;
};

/**
 * scikit-learn's `make_classification`, draw for draw: same arguments give the same y and X to about 1 ulp
 * (only the order of summation in the matrix products may differ from BLAS).
 */
export function makeClassification(options: MakeClassificationOptions): ClassificationDataset {
  const o = resolveOptions(options);
  const rng = new RandomState(o.randomState);
  const n = o.nSamples;
  const d = o.nFeatures;
  const nInf = o.nInformative;
  const nClusters = o.nClasses * o.nClustersPerClass;
  const sizes = clusterSizes(o, nClusters);

  const centroids = hypercubeVertices(nClusters, nInf, rng);
  for (let i = 0; i < centroids.length; i++) centroids[i] = centroids[i]! * 2 * o.classSep - o.classSep;
  if (!o.hypercube) scaleCentroids(centroids, nClusters, nInf, rng);

  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  fillInformative(X, n, d, nInf, rng);
  buildClusters(X, y, d, nInf, sizes, centroids, o.nClasses, rng);
  fillRedundant(X, n, d, nInf, o.nRedundant, rng);
  fillRepeated(X, n, d, nInf + o.nRedundant, o.nRepeated, rng);
  const nUseless = d - nInf - o.nRedundant - o.nRepeated;
  if (nUseless > 0) fillUseless(X, n, d, nUseless, rng);
  flipLabels(y, o.flipY, o.nClasses, rng);
  shiftAndScale(X, n, d, o, rng);
  if (!o.shuffle) return { X: { rows: n, cols: d, data: X }, y };
  return shuffleRowsAndColumns(X, y, n, d, rng);
}

function resolveOptions(options: MakeClassificationOptions): Resolved {
  const o = {
    nSamples: options.nSamples ?? 100,
    nFeatures: options.nFeatures ?? 20,
    nInformative: options.nInformative ?? 2,
    nRedundant: options.nRedundant ?? 2,
    nRepeated: options.nRepeated ?? 0,
    nClasses: options.nClasses ?? 2,
    nClustersPerClass: options.nClustersPerClass ?? 2,
    flipY: options.flipY ?? 0.01,
    classSep: options.classSep ?? 1.0,
    hypercube: options.hypercube ?? true,
    shift: options.shift === undefined ? 0.0 : options.shift,
    scale: options.scale === undefined ? 1.0 : options.scale,
    shuffle: options.shuffle ?? true,
    randomState: options.randomState,
  };
  requireInteger('n_samples', o.nSamples, 1);
  requireInteger('n_features', o.nFeatures, 1);
  requireInteger('n_informative', o.nInformative, 1);
  requireInteger('n_redundant', o.nRedundant, 0);
  requireInteger('n_repeated', o.nRepeated, 0);
  requireInteger('n_classes', o.nClasses, 1);
  requireInteger('n_clusters_per_class', o.nClustersPerClass, 1);
  if (!(o.flipY >= 0 && o.flipY <= 1)) throw new InvalidParameterError('flip_y', o.flipY, 'must be in [0, 1]');
  if (!Number.isFinite(o.classSep)) throw new InvalidParameterError('class_sep', o.classSep, 'must be finite');
  if (o.nInformative + o.nRedundant + o.nRepeated > o.nFeatures) {
    throw new InvalidParameterError(
      'n_informative + n_redundant + n_repeated',
      o.nInformative + o.nRedundant + o.nRepeated,
      `must be at most n_features=${o.nFeatures}`,
    );
  }
  const vertices = 2 ** o.nInformative;
  if (o.nClasses * o.nClustersPerClass > vertices) {
    throw new InvalidParameterError(
      'n_classes * n_clusters_per_class',
      o.nClasses * o.nClustersPerClass,
      `must be at most 2**n_informative=${vertices}`,
    );
  }
  checkPerFeature('shift', o.shift, o.nFeatures);
  checkPerFeature('scale', o.scale, o.nFeatures);
  return { ...o, weights: resolveWeights(options.weights ?? null, o.nClasses) };
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidParameterError(name, value, `must be an integer >= ${min}`);
  }
}

function checkPerFeature(name: string, value: number | readonly number[] | null, nFeatures: number): void {
  if (value === null) return;
  const values = typeof value === 'number' ? [value] : value;
  if (typeof value !== 'number' && value.length !== nFeatures) {
    throw new InvalidParameterError(
      name,
      value.length,
      `needs one value per feature (${nFeatures}) or a single number`,
    );
  }
  if (!values.every(Number.isFinite)) throw new InvalidParameterError(name, value, 'must be finite numbers or null');
}

function resolveWeights(weights: readonly number[] | null, nClasses: number): number[] {
  if (weights === null) return Array.from({ length: nClasses }, () => 1.0 / nClasses);
  if (weights.length !== nClasses && weights.length !== nClasses - 1) {
    throw new InvalidParameterError('weights', weights, `needs ${nClasses} or ${nClasses - 1} values (n_classes)`);
  }
  if (!weights.every((w) => Number.isFinite(w) && w >= 0)) {
    throw new InvalidParameterError('weights', weights, 'must be finite and non-negative');
  }
  if (weights.length === nClasses) return [...weights];
  let sum = 0;
  for (const w of weights) sum += w;
  return [...weights, 1.0 - sum];
}

function clusterSizes(o: Resolved, nClusters: number): number[] {
  const sizes: number[] = [];
  for (let k = 0; k < nClusters; k++) {
    sizes.push(Math.trunc((o.nSamples * o.weights[k % o.nClasses]!) / o.nClustersPerClass));
  }
  let assigned = 0;
  for (const s of sizes) assigned += s;
  for (let i = 0; i < o.nSamples - assigned; i++) sizes[i % nClusters]! += 1;
  return sizes;
}

/** `_generate_hypercube`: distinct 0/1 vertices, one row per cluster, most significant bit first. */
function hypercubeVertices(samples: number, dims: number, rng: RandomState): Float64Array {
  const out = new Float64Array(samples * dims);
  let low = dims;
  if (dims > 30) {
    const extra = dims - 30;
    for (let r = 0; r < samples; r++) for (let c = 0; c < extra; c++) out[r * dims + c] = rng.interval(1);
    low = 30;
  }
  const picks = sampleWithoutReplacement(2 ** low, samples, rng);
  const offset = dims - low;
  for (let r = 0; r < samples; r++) {
    const v = picks[r]!;
    for (let c = 0; c < low; c++) out[r * dims + offset + c] = Math.floor(v / 2 ** (low - 1 - c)) % 2;
  }
  return out;
}

function scaleCentroids(centroids: Float64Array, nClusters: number, nInf: number, rng: RandomState): void {
  const perCluster = rng.uniform(nClusters);
  for (let k = 0; k < nClusters; k++) for (let j = 0; j < nInf; j++) centroids[k * nInf + j]! *= perCluster[k]!;
  const perFeature = rng.uniform(nInf);
  for (let k = 0; k < nClusters; k++) for (let j = 0; j < nInf; j++) centroids[k * nInf + j]! *= perFeature[j]!;
}

function fillInformative(X: Float64Array, n: number, d: number, nInf: number, rng: RandomState): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < nInf; j++) X[i * d + j] = rng.standardNormal();
}

/** Random covariance per cluster (rows · A) then a shift to the cluster's vertex; labels cycle through the classes. */
function buildClusters(
  X: Float64Array,
  y: Float64Array,
  d: number,
  nInf: number,
  sizes: number[],
  centroids: Float64Array,
  nClasses: number,
  rng: RandomState,
): void {
  const row = new Float64Array(nInf);
  let start = 0;
  for (let k = 0; k < sizes.length; k++) {
    const stop = start + sizes[k]!;
    const A = rng.uniform(nInf * nInf);
    for (let i = 0; i < A.length; i++) A[i] = 2 * A[i]! - 1;
    for (let i = start; i < stop; i++) {
      y[i] = k % nClasses;
      row.set(X.subarray(i * d, i * d + nInf));
      multiplyRow(row, A, nInf, X, i * d);
      for (let j = 0; j < nInf; j++) X[i * d + j]! += centroids[k * nInf + j]!;
    }
    start = stop;
  }
}

/** out[offset + j] = Σ_l row[l] · B[l, j] for a row vector and a row-major B with `cols` columns. */
function multiplyRow(row: Float64Array, B: Float64Array, cols: number, out: Float64Array, offset: number): void {
  for (let j = 0; j < cols; j++) {
    let sum = 0;
    for (let l = 0; l < row.length; l++) sum += row[l]! * B[l * cols + j]!;
    out[offset + j] = sum;
  }
}

function fillRedundant(X: Float64Array, n: number, d: number, nInf: number, nRed: number, rng: RandomState): void {
  if (nRed === 0) return;
  const B = rng.uniform(nInf * nRed);
  for (let i = 0; i < B.length; i++) B[i] = 2 * B[i]! - 1;
  const row = new Float64Array(nInf);
  for (let i = 0; i < n; i++) {
    row.set(X.subarray(i * d, i * d + nInf));
    multiplyRow(row, B, nRed, X, i * d + nInf);
  }
}

function fillRepeated(X: Float64Array, n: number, d: number, m: number, nRep: number, rng: RandomState): void {
  if (nRep === 0) return;
  const picks = rng.uniform(nRep);
  const sources = Array.from(picks, (u) => Math.trunc((m - 1) * u + 0.5));
  for (let i = 0; i < n; i++) for (let r = 0; r < nRep; r++) X[i * d + m + r] = X[i * d + sources[r]!]!;
}

function fillUseless(X: Float64Array, n: number, d: number, nUseless: number, rng: RandomState): void {
  for (let i = 0; i < n; i++) for (let j = d - nUseless; j < d; j++) X[i * d + j] = rng.standardNormal();
}

/** Label noise: always draws the mask (even for flip_y = 0), then one new label per flagged sample, in order. */
function flipLabels(y: Float64Array, flipY: number, nClasses: number, rng: RandomState): void {
  const mask = rng.uniform(y.length);
  for (let i = 0; i < y.length; i++) if (mask[i]! < flipY) y[i] = rng.randint(0, nClasses);
}

function shiftAndScale(X: Float64Array, n: number, d: number, o: Resolved, rng: RandomState): void {
  const shift = perFeature(o.shift, d, rng, (u) => (2 * u - 1) * o.classSep);
  const scale = perFeature(o.scale, d, rng, (u) => 1 + 100 * u);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) X[i * d + j]! += shift[j]!;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) X[i * d + j]! *= scale[j]!;
}

function perFeature(
  value: number | readonly number[] | null,
  d: number,
  rng: RandomState,
  fromUniform: (u: number) => number,
): Float64Array {
  if (value === null) return rng.uniform(d).map(fromUniform);
  if (typeof value === 'number') return new Float64Array(d).fill(value);
  return Float64Array.from(value);
}

function shuffleRowsAndColumns(
  X: Float64Array,
  y: Float64Array,
  n: number,
  d: number,
  rng: RandomState,
): ClassificationDataset {
  const rowOrder = rng.permutation(n);
  const columnOrder = rng.permutation(d);
  const outX = new Float64Array(n * d);
  const outY = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const src = rowOrder[r]!;
    outY[r] = y[src]!;
    for (let c = 0; c < d; c++) outX[r * d + c] = X[src * d + columnOrder[c]!]!;
  }
  return { X: { rows: n, cols: d, data: outX }, y: outY };
}
