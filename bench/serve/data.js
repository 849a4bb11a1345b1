// Request rows (from our makeClassification, the same for every server) and the check that a server scores them
// as our LogisticRegression does.
import { LogisticRegression, makeClassification } from '@mlops/ml';

const datasets = new Map();

function dataset(nSamples, nFeatures, randomState) {
  const key = `${nSamples}x${nFeatures}@${randomState}`;
  if (!datasets.has(key)) datasets.set(key, makeClassification({ nSamples, nFeatures, randomState }));
  return datasets.get(key);
}

function firstRows(X, n) {
  return Array.from({ length: n }, (_, i) => Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols)));
}

/** The first `n` rows of make_classification(max(n, 1000), width, random_state=42): the request rows. */
export function rowsFor(weights, n) {
  return firstRows(dataset(Math.max(n, 1000), weights.coef.length, 42).X, n);
}

/** Eight rows from another seed, for the agreement check before a server is measured. */
export function probeRows(weights) {
  return firstRows(dataset(100, weights.coef.length, 7).X, 8);
}

/** P(classes[1]) from an answer of ours (`probabilities`) or of MLflow's scoring server (`predictions`). */
function probabilitiesOf(answer) {
  if (Array.isArray(answer.probabilities)) return answer.probabilities;
  const predictions = answer.predictions;
  if (Array.isArray(predictions) && predictions.every((p) => typeof p?.probability === 'number')) {
    return predictions.map((p) => p.probability);
  }
  throw new Error(`no probabilities in the answer: ${JSON.stringify(answer).slice(0, 300)}`);
}

/**
 * Sends `rows` to the server and returns the largest |p - ours| over them; throws when the server does not answer
 * 200 or differs by more than 1e-5 (MLflow's ONNX model computes in float32, the others in float64).
 */
export async function checkAgreement(server, weights, rows) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: server.body(rows),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${server.name} answered ${response.status}: ${text.slice(0, 300)}`);
  const served = probabilitiesOf(JSON.parse(text));
  const X = { rows: rows.length, cols: rows[0].length, data: Float64Array.from(rows.flat()) };
  const ours = LogisticRegression.fromState(weights).predictPositiveProba(X);
  const worst = Math.max(...Array.from(ours, (p, i) => Math.abs(p - served[i])));
  if (!(worst <= 1e-5)) throw new Error(`${server.name} scores differently from our model: max |Δp| = ${worst}`);
  return worst;
}
