import { describe, expect, it } from 'vitest';
import {
  expandGrid,
  jsonSchemas,
  ListModelsRequestSchema,
  MESSAGE_SCHEMAS,
  makeEvent,
  parseEvent,
  parseTuneRequest,
  RunCompletedSchema,
  resolvedGrid,
  resolveGateRules,
  SUBJECTS,
  TuneReplySchema,
  type TuneRequest,
  trialCount,
} from '../src/index.js';

describe('parseTuneRequest', () => {
  it('when the request is empty, then it is the seed experiment: 1000×20, seed 42, 20 % split, 15 trials', () => {
    const parsed = parseTuneRequest({});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const { request } = parsed;
    expect(request.dataset).toMatchObject({ kind: 'synthetic', n_samples: 1000, n_features: 20, random_state: 42 });
    expect(request.split).toEqual({ test_size: 0.2, random_state: 42, stratify: false });
    expect(request.grid.C).toEqual([0.01, 0.1, 1, 10, 100]);
    expect(request.grid.solver).toEqual(['liblinear', 'lbfgs', 'saga']);
    expect(request).toMatchObject({
      selection_metric: 'accuracy',
      experiment_name: 'One_Customer_Classifier',
      registered_model_name: 'One_Customer_Classifier',
    });
    expect(trialCount(request.grid)).toBe(15);
  });

  it('when top_k comes without log_models "top_k", then it is refused saying so (it would be ignored)', () => {
    expect(parseTuneRequest({ top_k: 3 })).toEqual({
      ok: false,
      errors: [{ path: 'top_k', message: expect.stringMatching(/^top_k is how many models log_models "top_k" keeps/) }],
    });
    expect(parseTuneRequest({ log_models: 'all', top_k: 3 }).ok).toBe(false);
    expect(parseTuneRequest({ log_models: 'top_k', top_k: 3 })).toMatchObject({ ok: true, request: { top_k: 3 } });
  });

  it('when the body is null (an empty nats pub), then it is treated as the empty request', () => {
    expect(parseTuneRequest(null).ok).toBe(true);
  });

  it('when axes are scalars, then they become one-value axes', () => {
    const parsed = parseTuneRequest({ grid: { C: 0.5, solver: 'saga', max_iter: [50, 200] } });
    if (!parsed.ok) throw new Error('rejected');
    expect(parsed.request.grid).toMatchObject({ C: [0.5], solver: ['saga'], max_iter: [50, 200] });
    expect(expandGrid(parsed.request.grid).map((t) => t.max_iter)).toEqual([50, 200]);
  });

  it('when the grid is expanded, then C varies slowest and solver next, every trial complete', () => {
    const parsed = parseTuneRequest({});
    if (!parsed.ok) throw new Error('rejected');
    const trials = expandGrid(parsed.request.grid);
    expect(trials.slice(0, 4).map((t) => `${t.C}/${t.solver}`)).toEqual([
      '0.01/liblinear',
      '0.01/lbfgs',
      '0.01/saga',
      '0.1/liblinear',
    ]);
    expect(trials[0]).toEqual({
      C: 0.01,
      solver: 'liblinear',
      tol: 1e-4,
      max_iter: 100,
      fit_intercept: true,
      intercept_scaling: 1,
      penalty: 'l2',
      random_state: 42,
    });
  });

  it('when several fields are wrong, then every problem is listed with its path', () => {
    const parsed = parseTuneRequest({ grid: { C: [-1], solver: ['sgd'] }, selection_metric: 'auc', colour: 'red' });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const paths = parsed.errors.map((e) => e.path.replace(/\.0$/, ''));
    expect(paths).toEqual(expect.arrayContaining(['grid.C', 'grid.solver', 'selection_metric', '(request)']));
    expect(parsed.errors.find((e) => e.path === '(request)')?.message).toMatch(/colour/);
  });

  it('when liblinear meets penalty null, then that pair is skipped and the other solvers fit without penalty', () => {
    const parsed = parseTuneRequest({ grid: { C: [1], penalty: [null, 'l2'] } });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const pairs = expandGrid(parsed.request.grid).map((t) => `${t.solver}/${t.penalty}`);
    expect(pairs).toEqual(['liblinear/l2', 'lbfgs/null', 'lbfgs/l2', 'saga/null', 'saga/l2']);
  });

  it('when the grid exceeds the trial limit, then it is rejected', () => {
    const parsed = parseTuneRequest({ grid: { C: Array.from({ length: 400 }, (_, i) => i + 1) } });
    expect(parsed).toMatchObject({
      ok: false,
      errors: [{ path: 'grid', message: expect.stringMatching(/1200 trials/) }],
    });
  });

  it('when the test split leaves no training row or is not a whole count, then it is rejected before queueing', () => {
    expect(parseTuneRequest({ split: { test_size: 5000 } })).toMatchObject({
      ok: false,
      errors: [{ path: 'split.test_size', message: expect.stringMatching(/5000 of n_samples=1000/) }],
    });
    expect(
      parseTuneRequest({ dataset: { kind: 'synthetic', n_samples: 10 }, split: { test_size: 0.95 } }),
    ).toMatchObject({
      ok: false,
      errors: [{ path: 'split.test_size' }],
    });
    expect(parseTuneRequest({ split: { test_size: 1.5 } })).toMatchObject({
      ok: false,
      errors: [{ path: 'split.test_size', message: expect.stringMatching(/whole row count/) }],
    });
    expect(parseTuneRequest({ split: { test_size: 999 } }).ok).toBe(true);
  });

  it('when the synthetic data set would exceed the size limit, then it is rejected instead of exhausting memory', () => {
    const parsed = parseTuneRequest({ dataset: { kind: 'synthetic', n_samples: 1_000_000, n_features: 1000 } });
    expect(parsed).toMatchObject({
      ok: false,
      errors: [{ path: 'dataset', message: expect.stringMatching(/at most/) }],
    });
    expect(parseTuneRequest({ dataset: { kind: 'synthetic', n_samples: 500_000, n_features: 20 } }).ok).toBe(true);
  });

  it('when a CSV data set is named, then the target defaults to y', () => {
    const parsed = parseTuneRequest({ dataset: { kind: 'csv', path: 'customers.csv' } });
    expect(parsed).toMatchObject({
      ok: true,
      request: { dataset: { kind: 'csv', path: 'customers.csv', target: 'y' } },
    });
  });

  it('when the CSV path ends with a slash, then it is refused as naming a directory (resolving it would drop the slash)', () => {
    const parsed = parseTuneRequest({ dataset: { kind: 'csv', path: 'customers.csv/' } });
    expect(parsed.ok ? [] : parsed.errors).toEqual([
      { path: 'dataset.path', message: 'ends with "/", so it names a directory: name the CSV file itself' },
    ]);
  });
});

describe('numbers JSON overflows', () => {
  it('when a number field holds 1e400 (Infinity once parsed), then the problem says it must be finite, at its path', () => {
    const parsed = parseTuneRequest(JSON.parse('{"grid": {"C": [1, 1e400]}, "split": {"test_size": -1e400}}'));
    expect(parsed.ok ? [] : parsed.errors).toEqual([
      { path: 'split.test_size', message: 'must be a finite number (a value such as 1e400 is beyond floating point)' },
      { path: 'grid.C.1', message: 'must be a finite number (a value such as 1e400 is beyond floating point)' },
    ]);
  });

  it("when a number field holds text, then zod's own message stays", () => {
    const parsed = parseTuneRequest({ grid: { C: ['one'] } });
    expect(parsed.ok ? [] : parsed.errors).toEqual([
      { path: 'grid.C.0', message: 'Invalid input: expected number, received string' },
    ]);
  });
});

describe('CSV tables in a tune request', () => {
  const csv = { kind: 'csv', path: 'customers.csv', target: 'churned' } as const;

  it('when a CSV request leaves out the preprocessing axes, then its trials scale, impute the mean and impute categories', () => {
    const parsed = parseTuneRequest({ dataset: csv, grid: { C: [1], solver: ['lbfgs'] } });
    expect(parsed.ok).toBe(true);
    const request = (parsed as { request: TuneRequest }).request;
    expect(expandGrid(resolvedGrid(request))).toEqual([
      expect.objectContaining({ C: 1, scale: true, impute: 'mean', categorical_missing: 'most_frequent' }),
    ]);
  });

  it('when the synthetic data set is asked to be scaled, then the request is refused naming the axis', () => {
    const parsed = parseTuneRequest({ grid: { scale: [true, false] } });
    expect(parsed).toEqual({
      ok: false,
      errors: [
        { path: 'grid.scale', message: 'preprocesses CSV tables only; the synthetic data set is used as it is' },
      ],
    });
  });

  it('when the synthetic data set is tuned, then its trials carry no preprocessing parameter (as before tables)', () => {
    const parsed = parseTuneRequest({ grid: { C: [1], solver: ['lbfgs'] } });
    const request = (parsed as { request: TuneRequest }).request;
    expect(Object.keys(expandGrid(resolvedGrid(request))[0]!)).not.toContain('scale');
  });

  it('when preprocessing axes have two values each, then the trial count multiplies', () => {
    const parsed = parseTuneRequest({ dataset: csv, grid: { scale: [true, false], impute: ['mean', 'median'] } });
    const request = (parsed as { request: TuneRequest }).request;
    expect(trialCount(resolvedGrid(request))).toBe(60);
    expect(trialCount(request.grid)).toBe(60);
  });
});

describe('CSV data sets as a matrix, and pinned by digest', () => {
  const matrix = { kind: 'csv', path: 'retrain.csv', features: 'matrix' } as const;
  const sha256 = 'ab'.repeat(32);

  it('when a CSV request names no features mode, then it is a table, with no digest', () => {
    const parsed = parseTuneRequest({ dataset: { kind: 'csv', path: 'customers.csv' } });
    expect(parsed).toEqual({
      ok: true,
      request: expect.objectContaining({
        dataset: { kind: 'csv', path: 'customers.csv', target: 'y', features: 'table' },
      }),
    });
  });

  it('when a CSV names its delimiter and decimal mark, then both are kept; a decimal comma between commas or another separator is refused', () => {
    const csv = { kind: 'csv', path: 'eu.csv' } as const;
    expect(parseTuneRequest({ dataset: { ...csv, delimiter: ';', decimal: ',' } })).toMatchObject({
      ok: true,
      request: { dataset: { delimiter: ';', decimal: ',' } },
    });
    expect(parseTuneRequest({ dataset: { ...matrix, delimiter: '\t' } }).ok).toBe(true);
    const message = 'a decimal comma needs another delimiter between cells, e.g. ";"';
    for (const dataset of [
      { ...csv, decimal: ',' },
      { ...csv, delimiter: ',', decimal: ',' },
    ])
      expect(parseTuneRequest({ dataset })).toEqual({ ok: false, errors: [{ path: 'dataset.decimal', message }] });
    expect(parseTuneRequest({ dataset: { ...csv, delimiter: ':' } })).toMatchObject({
      ok: false,
      errors: [{ path: 'dataset.delimiter' }],
    });
    expect(parseTuneRequest({ dataset: { ...csv, decimal: "'" } })).toMatchObject({
      ok: false,
      errors: [{ path: 'dataset.decimal' }],
    });
  });

  it('when a matrix CSV is pinned by digest, then both are kept and its trials carry no preprocessing', () => {
    const parsed = parseTuneRequest({ dataset: { ...matrix, digest: sha256 }, grid: { C: [1], solver: ['lbfgs'] } });
    expect(parsed).toMatchObject({ ok: true, request: { dataset: { features: 'matrix', digest: sha256 } } });
    const request = (parsed as { request: TuneRequest }).request;
    const trials = expandGrid(resolvedGrid(request));
    expect(trials).toHaveLength(1);
    expect(Object.keys(trials[0]!).sort()).toEqual(
      ['C', 'fit_intercept', 'intercept_scaling', 'max_iter', 'penalty', 'random_state', 'solver', 'tol'].sort(),
    );
  });

  it('when a matrix CSV names categorical or numeric columns, then the request is refused naming each override', () => {
    const parsed = parseTuneRequest({ dataset: { ...matrix, columns: { categorical: ['x0'], numeric: ['x1'] } } });
    const message = 'column overrides are for features "table"; a matrix uses every column but the target';
    expect(parsed).toEqual({
      ok: false,
      errors: [
        { path: 'dataset.columns.categorical', message },
        { path: 'dataset.columns.numeric', message },
      ],
    });
  });

  it('when a matrix CSV excludes columns, then it is refused too: a matrix takes every column but the target', () => {
    expect(parseTuneRequest({ dataset: { ...matrix, columns: { exclude: ['id'] } } })).toMatchObject({
      ok: false,
      errors: [{ path: 'dataset.columns.exclude' }],
    });
    expect(parseTuneRequest({ dataset: { ...matrix, features: 'table', columns: { exclude: ['id'] } } }).ok).toBe(true);
  });

  it('when a matrix CSV is asked to be scaled or imputed, then the request is refused naming each axis', () => {
    const parsed = parseTuneRequest({ dataset: matrix, grid: { scale: [true], impute: 'median' } });
    const message = 'preprocesses CSV tables only; a CSV with features "matrix" is used as it is';
    expect(parsed).toEqual({
      ok: false,
      errors: [
        { path: 'grid.scale', message },
        { path: 'grid.impute', message },
      ],
    });
  });

  it('when the features mode is unknown, then the request is refused', () => {
    expect(parseTuneRequest({ dataset: { ...matrix, features: 'tensor' } })).toMatchObject({
      ok: false,
      errors: [{ path: 'dataset.features' }],
    });
  });

  it('when the digest is not 64 lowercase hex characters, then the request is refused saying what it must be', () => {
    for (const digest of ['ab'.repeat(31), 'AB'.repeat(32), `${'ab'.repeat(31)}zz`, 'ab'.repeat(33), 42]) {
      expect(parseTuneRequest({ dataset: { ...matrix, digest } })).toMatchObject({
        ok: false,
        errors: [{ path: 'dataset.digest' }],
      });
    }
    expect(parseTuneRequest({ dataset: { ...matrix, digest: 'AB'.repeat(32) } })).toMatchObject({
      errors: [{ message: 'the SHA-256 of the file: 64 lowercase hex characters' }],
    });
  });
});

describe('append_training: rows for the training side only', () => {
  const synthetic = { kind: 'synthetic', n_samples: 300, random_state: 7 } as const;
  const matrix = { kind: 'csv', path: 'retrain/recent.csv', features: 'matrix' } as const;
  const table = { kind: 'csv', path: 'customers.csv', target: 'churned' } as const;

  it('when synthetic rows are appended to a synthetic or a matrix CSV data set, then the request keeps them, defaults applied', () => {
    for (const dataset of [{ kind: 'synthetic' } as const, matrix]) {
      const parsed = parseTuneRequest({ dataset, append_training: synthetic });
      expect(parsed).toMatchObject({
        ok: true,
        request: { append_training: { ...synthetic, n_features: 20, n_informative: 2, flip_y: 0.01 } },
      });
      expect(trialCount((parsed as { request: TuneRequest }).request.grid)).toBe(15);
    }
    const pinned = { ...matrix, digest: 'ab'.repeat(32) };
    expect(parseTuneRequest({ dataset: matrix, append_training: pinned })).toMatchObject({
      ok: true,
      request: { append_training: { ...pinned, target: 'y' } },
    });
    const seed = parseTuneRequest({});
    expect(seed.ok && 'append_training' in seed.request).toBe(false);
  });

  const tableRefusals = [
    [
      'the data set',
      { dataset: table, append_training: synthetic },
      'append_training',
      'a CSV table takes no appended rows: the dataset must be synthetic or a CSV with features "matrix"',
    ],
    [
      'the appended rows',
      { dataset: matrix, append_training: table },
      'append_training.features',
      'a CSV table cannot be appended: give it features "matrix" (or a synthetic data set)',
    ],
  ] as const;
  for (const [side, request, path, why] of tableRefusals) {
    it(`when ${side} is a CSV table, then the request is refused at ${path} saying append_training is for matrices`, () => {
      const message = `append_training is for matrix data sets; ${why}`;
      expect(parseTuneRequest(request)).toEqual({ ok: false, errors: [{ path, message }] });
    });
  }

  it('when both are CSV tables, then both refusals are listed', () => {
    expect(parseTuneRequest({ dataset: table, append_training: table })).toMatchObject({
      ok: false,
      errors: [{ path: 'append_training' }, { path: 'append_training.features' }],
    });
  });

  it('when appended synthetic rows could not be generated, then the request is refused naming append_training', () => {
    const parsed = parseTuneRequest({
      append_training: { kind: 'synthetic', n_informative: 1, n_features: 1, n_redundant: 0 },
    });
    expect(parsed).toEqual({
      ok: false,
      errors: [
        {
          path: 'append_training.n_clusters_per_class',
          message: 'n_classes * n_clusters_per_class must be at most 2**n_informative',
        },
      ],
    });
  });
});

describe('gate overrides', () => {
  it('when a request sets gate fields, then they are kept and resolve over the defaults; bad ones are named', () => {
    const parsed = parseTuneRequest({
      selection_metric: 'f1',
      gate: { min_absolute_change: 0.01, significance: 'bootstrap' },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const defaults = {
      min_absolute_change: 0,
      min_relative_change: 0,
      threshold: null,
      significance: 'none' as const,
      alpha: 0.05,
      bootstrap_resamples: 1000,
      random_state: 0,
      on_signature_change: 'reject' as const,
      on_retrained_champion: 'keep_out' as const,
    };
    expect(resolveGateRules(defaults, parsed.request.gate, parsed.request.selection_metric)).toEqual({
      ...defaults,
      metric: 'f1',
      min_absolute_change: 0.01,
      significance: 'bootstrap',
    });
    expect(parseTuneRequest({}).ok && parseTuneRequest({})).toMatchObject({ request: { gate: {} } });
    const bad = parseTuneRequest({ gate: { alpha: 0, significance: 'z', extra: 1 } });
    expect(bad.ok ? [] : bad.errors.map((e) => e.path).sort()).toEqual(['gate', 'gate.alpha', 'gate.significance']);
  });
});

describe('envelopes', () => {
  it('when an event is wrapped, then it is a valid CloudEvents 1.0 envelope for its schema', () => {
    const event = makeEvent('run.completed', {
      key: 't1-00',
      source: 'mlops/trainer',
      data: {
        tuning_id: 't1',
        experiment_name: 'e',
        registered_model_name: 'm',
        trial_id: 't1-00',
        trial_index: 0,
        params: {
          C: 1,
          solver: 'lbfgs',
          tol: 1e-4,
          max_iter: 100,
          fit_intercept: true,
          intercept_scaling: 1,
          penalty: 'l2',
          random_state: 42,
        },
        metrics: { accuracy: 0.9, precision: 0.9, recall: 0.9, f1: 0.9, roc_auc: null, log_loss: 0.3 },
        model: { classes: [0, 1], coef: [1, 2], intercept: 0.5, feature_names: ['a', 'b'] },
        n_iter: 7,
        converged: true,
        warnings: [],
        fit_time_ms: 1.5,
        dataset_digest: 'abcdef12',
        started_at: new Date().toISOString(),
        ended_at: new Date().toISOString(),
      },
    });
    expect(event).toMatchObject({ id: 'run.completed:t1-00', type: 'mlops.run.completed.v1', specversion: '1.0' });
    expect(RunCompletedSchema.safeParse(event).success).toBe(true);
    expect(parseEvent('run.completed', event)).toEqual({ ok: true, event });
    expect(RunCompletedSchema.safeParse({ ...event, type: 'mlops.run.failed.v1' }).success).toBe(false);
  });

  it('when a reply is rejected, then it carries the errors', () => {
    expect(TuneReplySchema.safeParse({ status: 'rejected', tuning_id: null, errors: [] }).success).toBe(false);
  });
});

describe('jsonSchemas', () => {
  it('when generated, then every subject has a JSON Schema and the request schema forbids unknown keys', () => {
    const schemas = jsonSchemas();
    expect(Object.keys(schemas).sort()).toEqual(Object.keys(MESSAGE_SCHEMAS).sort());
    const request = schemas[SUBJECTS.tuneRequested] as { type: string; additionalProperties: boolean };
    expect(request).toMatchObject({ type: 'object', additionalProperties: false });
  });
});

describe('registered model and experiment names', () => {
  it.each([
    ['.', /must not be "." or start with ".."/],
    ['..', /must not be "." or start with ".."/],
    ['..abc', /must not be "." or start with ".."/],
    [' ', /must not be blank/],
    ['../x', /must not contain "\/" or ":"/],
    ['team/churn', /must not contain "\/" or ":"/],
    ['churn\nv2', /must not contain control characters/],
    ['churn\u0000', /must not contain control characters/],
    ['a\'b"c', /must not contain both ' and " \(MLflow's search filters have no escapes/],
  ])('when a tune request names its model %j, then it is refused before MLflow refuses it', (name, message) => {
    const result = parseTuneRequest({ tuning_id: 'n', registered_model_name: name });
    expect(result.ok ? [] : result.errors).toEqual([
      { path: 'registered_model_name', message: expect.stringMatching(message) },
    ]);
  });

  it('when a name has dots, spaces and dashes inside, then a tuning takes it for its model and its experiment', () => {
    expect(parseTuneRequest({ tuning_id: 'n', registered_model_name: 'churn v1.2 - eu' }).ok).toBe(true);
    expect(parseTuneRequest({ tuning_id: 'n', experiment_name: '.' }).ok).toBe(true); // MLflow takes it
  });

  it('when a model registered in the MLflow UI has a name outside letters and digits, then a tuning (its retrain) takes it', () => {
    for (const name of ['Churn (EU)', 'modèle', 'team@x', 'a+b', "O'Brien's model"]) {
      const result = parseTuneRequest({ tuning_id: 'n', registered_model_name: name, experiment_name: name });
      expect(
        result.ok ? [result.request.registered_model_name, result.request.experiment_name] : result.errors,
      ).toEqual([name, name]);
    }
  });

  it('when an experiment name holds both quote characters, then it is taken (an experiment is found by name, never by a filter)', () => {
    const result = parseTuneRequest({ tuning_id: 'n', experiment_name: 'a\'b"c' });
    expect(result.ok ? result.request.experiment_name : result.errors).toBe('a\'b"c');
  });

  it('when an experiment name is blank or holds a control character, then the tune request is refused', () => {
    for (const [name, message] of [
      ['  ', 'must not be blank'],
      ['runs\r\nx', 'must not contain control characters'],
    ] as const) {
      const result = parseTuneRequest({ tuning_id: 'n', experiment_name: name });
      expect(result.ok ? [] : result.errors, JSON.stringify(name)).toEqual([{ path: 'experiment_name', message }]);
    }
  });

  it('when a registry request names a model registered elsewhere (the MLflow UI), then any name MLflow takes is taken', () => {
    for (const name of ['Churn (EU)', 'modèle', 'team@x', 'a+b']) {
      expect(ListModelsRequestSchema.safeParse({ name }).success, name).toBe(true);
    }
    for (const [name, message] of [
      ['a/b', 'must not contain "/" or ":"'],
      ['m:1', 'must not contain "/" or ":"'],
      ['..x', 'must not be "." or start with ".." (MLflow reads it as a path)'],
      ['  ', 'must not be blank'],
      ['a\'b"c', expect.stringMatching(/^must not contain both ' and "/)],
    ] as const) {
      expect(
        ListModelsRequestSchema.safeParse({ name }).error?.issues.map((i) => i.message),
        name,
      ).toEqual([message]);
    }
  });
});
