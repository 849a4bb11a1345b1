import { describe, expect, it } from 'vitest';
import {
  buildCondaYaml,
  buildMlmodel,
  buildRequirementsTxt,
  ModelFormatError,
  modelFromWeights,
  parseWeights,
  serializeWeights,
} from '../src/index.js';
import { ProtoWriter, utf8 } from '../src/protobuf.js';
import { COEF, INTERCEPT, NAMES, VERSIONS } from './support/example-model.js';

describe('ProtoWriter', () => {
  it('when encoding varints, then it follows the wire format for small, large and negative values', () => {
    expect(Array.from(new ProtoWriter().varint(1, 1).finish())).toEqual([0x08, 0x01]);
    expect(Array.from(new ProtoWriter().varint(1, 300).finish())).toEqual([0x08, 0xac, 0x02]);
    expect(new ProtoWriter().varint(1, -1).finish()).toHaveLength(11);
    expect(Array.from(utf8('é€'))).toEqual([0xc3, 0xa9, 0xe2, 0x82, 0xac]);
  });
});

describe('weights file', () => {
  const weights = {
    classes: [0, 1] as const,
    coef: COEF,
    intercept: INTERCEPT,
    feature_names: NAMES,
    solver: 'lbfgs',
    params: { C: 1 },
    metrics: { accuracy: 0.9, roc_auc: null },
    trained_at: '2026-11-28T00:00:00.000Z',
    dataset_digest: 'abcdef0123456789',
  };

  it('when serialised and parsed, then every number comes back exactly', () => {
    const parsed = parseWeights(serializeWeights({ ...weights, coef: [0.1 + 0.2, 1 / 3, -1e-300, 5] }));
    expect(parsed.coef).toEqual([0.1 + 0.2, 1 / 3, -1e-300, 5]);
  });

  it.each([
    ['format', { format: 'other' }],
    ['coef', { coef: [1, null, 2, 3] }],
    ['intercept', { intercept: 'x' }],
    ['classes', { classes: [1, 1] }],
    ['feature_names', { feature_names: ['a'] }],
  ])('when %s is wrong, then ModelFormatError names it', (field, change) => {
    const text = JSON.stringify({ ...JSON.parse(serializeWeights(weights)), ...change });
    expect(() => parseWeights(text)).toThrow(ModelFormatError);
    expect(() => parseWeights(text)).toThrow(new RegExp(`^${field}:`));
  });
});

describe('weights file of a table model', () => {
  const table = {
    classes: [0, 1] as const,
    coef: [0.5, -1, 0.25, 2],
    intercept: -0.1,
    feature_names: ['tenure', 'plan_basic', 'plan_pro', 'plan_nan'],
    input_columns: [
      { name: 'tenure', kind: 'number', role: 'numeric' },
      { name: 'plan', kind: 'text', role: 'categorical' },
    ] as const,
    preprocessing: {
      numeric: [{ name: 'tenure', fill: 30, mean: 31.5, scale: 20 }],
      categorical: [{ name: 'plan', kind: 'text' as const, fill: null, categories: ['basic', 'pro', null] }],
    },
    class_labels: ['no', 'yes'] as const,
    solver: 'lbfgs',
    params: { C: 1, scale: true },
    metrics: { accuracy: 0.8 },
    trained_at: '2026-12-02T00:00:00.000Z',
    dataset_digest: 'abcdef0123456789',
  };

  it('when serialised, parsed and loaded, then it scores raw rows through its preprocessing', () => {
    const model = modelFromWeights(parseWeights(serializeWeights(table)));
    expect(model.inputNames).toEqual(['tenure', 'plan']);
    expect(model.classLabels).toEqual(['no', 'yes']);
    const [p] = model.probabilities([[51.5, 'pro']]);
    expect(p).toBeCloseTo(1 / (1 + Math.exp(-(0.5 * 1 + 0.25 - 0.1))), 15);
    const [missing] = model.probabilities([[null, null]]);
    expect(missing).toBeCloseTo(1 / (1 + Math.exp(-(0.5 * -0.075 + 2 - 0.1))), 15);
    expect(() => model.probabilities([['long', 'pro']])).toThrow(/column "tenure" takes a number or null, got "long"/);
  });

  it.each([
    ['input_columns', { input_columns: [{ name: 'tenure', kind: 'date', role: 'numeric' }] }],
    ['preprocessing', { input_columns: [...table.input_columns].reverse() }],
    ['preprocessing', { coef: [1, 2, 3], feature_names: ['a', 'b', 'c'] }],
    ['preprocessing', { preprocessing: undefined }],
    ['class_labels', { class_labels: ['yes', 'yes'] }],
    [
      'input_columns',
      { input_columns: [table.input_columns[0], { name: 'plan', kind: 'number', role: 'categorical' }] },
    ],
    [
      'preprocessing',
      { preprocessing: { ...table.preprocessing, numeric: [{ name: 'tenure', fill: 1, mean: 0, scale: 0 }] } },
    ],
  ])('when %s is inconsistent, then ModelFormatError names it', (field, change) => {
    const text = JSON.stringify({ ...JSON.parse(serializeWeights(table)), ...change });
    expect(() => parseWeights(text)).toThrow(new RegExp(`^${field}:`));
  });
});

describe('MLmodel', () => {
  it('when built, then it names both flavors, the model id and a column signature', () => {
    const text = buildMlmodel({
      modelId: 'm-1',
      runId: 'r1',
      artifactPath: 'mlflow-artifacts:/1/models/m-1/artifacts',
      featureNames: ["it's"],
      createdAt: new Date('2026-11-28T10:00:00.123Z'),
      versions: VERSIONS,
      hasInputExample: false,
    });
    expect(text).toContain('loader_module: mlflow.onnx');
    expect(text).toContain("model_id: 'm-1'");
    expect(text).toContain(`inputs: '[{"type":"double","name":"it''s","required":true}]'`);
    expect(text).toContain("utc_time_created: '2026-11-28 10:00:00.123000'");
  });
});

describe('the model environment', () => {
  it('when MLflow builds an environment for the model, then it gets pandas 2 (whose text columns its ONNX flavor can feed)', () => {
    expect(buildRequirementsTxt(VERSIONS).split('\n')).toEqual([
      'mlflow==3.17.2',
      'onnx==1.19.1',
      'onnxruntime==1.23.2',
      'pandas<3',
      '',
    ]);
    expect(buildCondaYaml(VERSIONS)).toContain('  - pandas<3\n');
  });
});
