import { makeClassification } from '@mlops/ml';
import { parsePredictRequest, refuseProtoKeys } from '../services/predictor/dist/domain/scoring-request.js';

const { X } = makeClassification({ nSamples: 1000, nFeatures: 20, randomState: 42 });
const rows = Array.from({ length: 1000 }, (_, i) => Array.from(X.data.subarray(i * 20, (i + 1) * 20)));
const buf = Buffer.from(JSON.stringify({ features: rows }));
console.log('bytes', buf.length);
const names = Array.from({ length: 20 }, (_, i) => `x${i}`);
const limits = { maxRows: 100000 };
function t(label, fn, n = 400) {
  for (let i = 0; i < 50; i++) fn();
  const s = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  console.log(label, (Number(process.hrtime.bigint() - s) / n / 1e6).toFixed(3), 'ms');
}
const text = buf.toString('utf8');
const body = JSON.parse(text);
t('toString', () => buf.toString('utf8'));
t('JSON.parse', () => JSON.parse(text));
t('parse(buffer)', () => JSON.parse(buf));
t('refuseProto', () => refuseProtoKeys(text, body));
t('parsePredictRequest', () => parsePredictRequest(body, names, limits));
t('number via slice', () => {
  let s = 0;
  for (let k = 0; k < 20000; k++) s += Number(text.slice(20 + (k % 1000), 38 + (k % 1000)));
  return s;
});
