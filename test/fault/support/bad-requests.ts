/** One malformed tune request: a label for failure messages and the exact bytes sent. */
export interface BadRequest {
  readonly label: string;
  readonly body: string | Uint8Array;
}

const nested = (depth: number, open: string, close: string, inner = '1') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

/**
 * Malformed tune requests: broken encodings and JSON, wrong top-level types, deep nesting, prototype keys, wrong
 * types and values in every part, huge numbers, huge grids, huge bodies. `named(...)` adds the case's experiment
 * and model names, so that anything wrongly accepted would show up in MLflow under them.
 */
export function badTuneRequests(named: (request: object) => string): BadRequest[] {
  const raw = (label: string, body: string | Uint8Array): BadRequest => ({ label, body });
  const req = (label: string, request: object): BadRequest => ({ label, body: named(request) });
  const values = (n: number) => Array.from({ length: n }, (_, i) => (i + 1) / 10);
  return [
    // encodings and broken JSON
    raw('an open brace', '{'),
    raw('truncated', `${named({ grid: { C: [1, 2] } }).slice(0, 25)}`),
    raw('a missing value', '{"grid":}'),
    raw('single quotes', "{'grid': {'C': [1]}}"),
    raw('a trailing comma', '{"grid": {"C": [1],},}'),
    raw('invalid UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0xfd, 0x7d])),
    raw('UTF-16 with a byte order mark', new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00])),
    raw('NUL bytes', new Uint8Array([0, 0, 0, 0])),
    raw('a bare NaN', 'NaN'),
    raw('NaN in the grid', '{"grid": {"C": [NaN]}}'),
    raw('Infinity in the grid', '{"grid": {"C": [Infinity]}}'),
    raw('an overflowing number (1e400)', `{"experiment_name": "x", "grid": {"C": [1e400]}}`),
    raw('an overflowing negative number', '{"grid": {"C": [-1e400]}}'),
    raw('undefined', 'undefined'),
    // wrong top-level types
    raw('an array', '[]'),
    raw('a string', '"tune please"'),
    raw('a number', '42'),
    raw('a boolean', 'true'),
    raw('an array of requests', `[${named({})}]`),
    // deep nesting
    raw('100 000 nested arrays', nested(100_000, '[', ']')),
    raw('10 000 nested objects in the grid', `{"grid": ${nested(10_000, '{"a":', '}')}}`),
    raw('50 000 nested arrays as C', `{"grid": {"C": ${nested(50_000, '[', ']')}}}`),
    raw('5 000 nested objects as the data set', `{"dataset": ${nested(5_000, '{"kind":', '}', '"csv"')}}`),
    // prototype keys
    raw('__proto__ at the top', '{"__proto__": {"polluted": true}, "grid": {"C": [1]}}'),
    raw('__proto__ in the grid', '{"grid": {"__proto__": {"C": [1], "solver": ["sgd"]}}}'),
    raw('constructor.prototype', '{"constructor": {"prototype": {"polluted": true}}}'),
    raw('__proto__ in the data set', '{"dataset": {"kind": "synthetic", "__proto__": {"n_samples": 5}}}'),
    // grid values
    req('grid as a string', { grid: 'C=1' }),
    req('grid as an array', { grid: [1, 2] }),
    req('C as a string', { grid: { C: '1' } }),
    req('C true', { grid: { C: [true] } }),
    req('C null', { grid: { C: [null] } }),
    req('C an object', { grid: { C: [{}] } }),
    req('an empty C axis', { grid: { C: [] } }),
    req('C zero', { grid: { C: [0] } }),
    req('C negative', { grid: { C: [-1] } }),
    req('an unknown solver', { grid: { solver: ['sgd'] } }),
    req('a solver in capitals', { grid: { solver: ['LBFGS'] } }),
    req('an unsupported solver', { grid: { solver: 'newton-cg' } }),
    req('penalty l1 with lbfgs only', { grid: { penalty: ['l1'], solver: ['lbfgs'] } }),
    req('penalty elasticnet without l1_ratio', { grid: { penalty: ['elasticnet'] } }),
    req('penalty none with liblinear only', { grid: { penalty: [null], solver: ['liblinear'] } }),
    req('l1_ratio without elasticnet', { grid: { l1_ratio: [0.5] } }),
    req('l1_ratio above 1', { grid: { penalty: ['elasticnet'], l1_ratio: [1.5] } }),
    req('class_weight a number', { grid: { class_weight: [3] } }),
    req('class_weight a negative weight', { grid: { class_weight: [{ '0': -1 }] } }),
    req('max_iter zero', { grid: { max_iter: [0] } }),
    req('max_iter fractional', { grid: { max_iter: [1.5] } }),
    req('max_iter huge', { grid: { max_iter: [1e9] } }),
    req('tol zero', { grid: { tol: [0] } }),
    req('random_state negative', { grid: { random_state: [-1] } }),
    req('random_state beyond 2**32', { grid: { random_state: [2 ** 32] } }),
    req('fit_intercept a string', { grid: { fit_intercept: ['yes'] } }),
    req('an unknown hyperparameter', { grid: { gamma: [1] } }),
    // huge grids
    req('1001 C values', { grid: { C: values(1001) } }),
    req('1200 trials', { grid: { C: values(400) } }),
    req('10**8 trials', { grid: { C: values(10), tol: values(10), max_iter: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] } }),
    // data sets
    req('n_samples 1e308', { dataset: { kind: 'synthetic', n_samples: 1e308 } }),
    req('a billion cells', { dataset: { kind: 'synthetic', n_samples: 1_000_000, n_features: 1000 } }),
    req('too few samples', { dataset: { kind: 'synthetic', n_samples: 5 } }),
    req('three classes', { dataset: { kind: 'synthetic', n_classes: 3 } }),
    req('more informative than features', { dataset: { kind: 'synthetic', n_features: 2 } }),
    req('three class weights', { dataset: { kind: 'synthetic', weights: [0.5, 0.3, 0.2] } }),
    req('flip_y above 1', { dataset: { kind: 'synthetic', flip_y: 2 } }),
    req('a fractional seed', { dataset: { kind: 'synthetic', random_state: 1.5 } }),
    req('an unknown data set kind', { dataset: { kind: 'parquet', path: 'x.parquet' } }),
    req('a CSV outside the data directory', { dataset: { kind: 'csv', path: '../../etc/passwd' } }),
    req('an absolute CSV path', { dataset: { kind: 'csv', path: '/etc/passwd' } }),
    req('a missing CSV', { dataset: { kind: 'csv', path: 'missing.csv' } }),
    req('a directory as CSV', { dataset: { kind: 'csv', path: 'subdir' } }),
    req('a CSV without path', { dataset: { kind: 'csv' } }),
    req('the data set as a string', { dataset: 'synthetic' }),
    req('column overrides on an unknown key', { dataset: { kind: 'csv', path: 'x.csv', columns: { ignore: ['id'] } } }),
    req('column overrides as a string', { dataset: { kind: 'csv', path: 'x.csv', columns: { exclude: 'id' } } }),
    req('an empty column name', { dataset: { kind: 'csv', path: 'x.csv', columns: { categorical: [''] } } }),
    req('scaling the synthetic data set', { grid: { scale: [true] } }),
    req('imputing the synthetic data set', { grid: { impute: 'mean' } }),
    req('an unknown impute strategy', { dataset: { kind: 'csv', path: 'x.csv' }, grid: { impute: ['mode'] } }),
    req('scale as a string', { dataset: { kind: 'csv', path: 'x.csv' }, grid: { scale: ['yes'] } }),
    req('an unknown missing-category mode', {
      dataset: { kind: 'csv', path: 'x.csv' },
      grid: { categorical_missing: ['drop'] },
    }),
    // splits
    req('test_size zero', { split: { test_size: 0 } }),
    req('test_size negative', { split: { test_size: -0.2 } }),
    req('test_size fractional count', { split: { test_size: 1.5 } }),
    req('test_size beyond the rows', { split: { test_size: 5000 } }),
    req('stratify a string', { split: { stratify: 'yes' } }),
    // names and ids
    req('an empty tuning id', { tuning_id: '' }),
    req('a path as tuning id', { tuning_id: '../../etc' }),
    req('a 65-character tuning id', { tuning_id: 'a'.repeat(65) }),
    req('a numeric tuning id', { tuning_id: 42 }),
    raw('an empty experiment name', '{"experiment_name": "", "registered_model_name": "x"}'),
    raw('a 10 000-character experiment name', JSON.stringify({ experiment_name: 'x'.repeat(10_000) })),
    raw('a newline in the experiment name', JSON.stringify({ experiment_name: 'churn\nv2' })),
    raw('a slash in the model name', JSON.stringify({ experiment_name: 'x', registered_model_name: 'a/b' })),
    req('an unknown selection metric', { selection_metric: 'auc' }),
    req('the selection metric as a list', { selection_metric: ['accuracy'] }),
    // promotion gate
    req('a negative min_absolute_change', { gate: { min_absolute_change: -0.01 } }),
    req('min_relative_change of 1', { gate: { min_relative_change: 1 } }),
    req('an unknown significance test', { gate: { significance: 't-test' } }),
    req('alpha above 1', { gate: { alpha: 1.5 } }),
    req('too few bootstrap resamples', { gate: { bootstrap_resamples: 10 } }),
    req('an unknown gate field', { gate: { always: true } }),
    req('the gate as a string', { gate: 'strict' }),
    req('on_signature_change maybe', { gate: { on_signature_change: 'maybe' } }),
    req('on_retrained_champion promote', { gate: { on_retrained_champion: 'promote' } }),
    // huge bodies (under the 1 MB NATS payload limit)
    req('100 000 C values', { grid: { C: values(100_000) } }),
    req('3000 unknown 200-character keys', Object.fromEntries(values(3000).map((v, i) => [`k${i}`.repeat(50), v]))),
    raw('a 900 KB experiment name', JSON.stringify({ experiment_name: 'a'.repeat(900_000) })),
  ];
}
