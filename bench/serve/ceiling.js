// The practical ceiling of bench/serve/run.js: a bare node:http server that does only what scoring must do.
//
//   node bench/serve/ceiling.js --weights weights.json --port 8090
//
// POST /predict with {"features": [[x0, ..., x19], ...]}: read the body, JSON.parse it, copy the rows into one
// Float64Array, score with LogisticRegression.fromState from @mlops/ml (the predictor's own scorer) and reply
// {"predictions", "probabilities"}. The only check is the row width (no schema, no limits, no metrics, no logging):
// whatever a framework adds on top of this is the cost the predictor's ratio to this server shows.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { LogisticRegression } from '@mlops/ml';

const { values: args } = parseArgs({
  options: { weights: { type: 'string' }, port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' } },
});
const weights = JSON.parse(readFileSync(args.weights, 'utf8'));
const model = LogisticRegression.fromState(weights);
const width = weights.coef.length;

/** The rows of a parsed body as one row-major matrix, or null when they are not rows of `width` values. */
function toMatrix(body) {
  const features = body?.features;
  if (!Array.isArray(features) || features.length === 0) return null;
  const rows = Array.isArray(features[0]) ? features : [features];
  const data = new Float64Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row.length !== width) return null;
    for (let j = 0; j < width; j++) data[i * width + j] = row[j];
  }
  return { rows: rows.length, cols: width, data };
}

function reply(res, status, payload) {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function score(res, text) {
  let X = null;
  try {
    X = toMatrix(JSON.parse(text));
  } catch {}
  if (X === null) return reply(res, 400, { error: `features must be rows of ${width} numbers` });
  const probabilities = model.predictPositiveProba(X);
  const predictions = model.predict(X);
  reply(res, 200, { predictions: Array.from(predictions), probabilities: Array.from(probabilities) });
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') return reply(res, 200, { status: 'alive' });
  if (req.method !== 'POST' || req.url !== '/predict') return reply(res, 404, { error: 'POST /predict' });
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => score(res, Buffer.concat(chunks).toString('utf8')));
});
server.listen(Number(args.port), args.host);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
