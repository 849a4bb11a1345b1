import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectMlflowBinary } from '@mlops/testkit';
import { describe, expect, it } from 'vitest';
import {
  buildCondaYaml,
  buildInputExamples,
  buildMlmodel,
  buildOnnxLogisticModel,
  buildPythonEnvYaml,
  buildRequirementsTxt,
  MODEL_FILES,
  ModelFormatError,
  parseWeights,
  serializeWeights,
} from '../src/index.js';
import { ProtoWriter, utf8 } from '../src/protobuf.js';

const VERSIONS = { mlflow: '3.17.2', onnx: '1.19.1', onnxruntime: '1.23.2', python: '3.11.7' };
const COEF = [0.5, -1.25, 2, 0.125];
const INTERCEPT = -0.3;
const NAMES = ['x0', 'x1', 'x2', 'x3'];

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

describe('compatibility with MLflow and onnxruntime (Python in the project venv)', () => {
  it('when the model directory is loaded with mlflow.pyfunc, then it predicts our probabilities', async () => {
    const python = join(projectMlflowBinary(), '..', 'python');
    expect(existsSync(python), `${python} missing: run bash scripts/setup.sh`).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'model-format-'));
    try {
      const rows = [
        [1, 2, 3, 4],
        [0, 0, 0, 0],
        [-2, 0.5, 1, -1],
      ];
      const examples = buildInputExamples(NAMES, rows);
      const files: Record<string, string | Uint8Array> = {
        [MODEL_FILES.onnx]: buildOnnxLogisticModel({ coef: COEF, intercept: INTERCEPT }),
        [MODEL_FILES.mlmodel]: buildMlmodel({
          modelId: 'm-test',
          runId: 'run-test',
          artifactPath: dir,
          featureNames: NAMES,
          createdAt: new Date(),
          versions: VERSIONS,
          hasInputExample: true,
        }),
        [MODEL_FILES.conda]: buildCondaYaml(VERSIONS),
        [MODEL_FILES.pythonEnv]: buildPythonEnvYaml(VERSIONS),
        [MODEL_FILES.requirements]: buildRequirementsTxt(VERSIONS),
        [MODEL_FILES.inputExample]: examples.inputExample,
        [MODEL_FILES.servingInputExample]: examples.servingInputExample,
      };
      for (const [name, body] of Object.entries(files)) await writeFile(join(dir, name), body);
      const script = [
        'import json, sys, onnx, pandas, mlflow.pyfunc',
        `onnx.checker.check_model(onnx.load(sys.argv[1] + "/model.onnx"), full_check=True)`,
        'model = mlflow.pyfunc.load_model(sys.argv[1])',
        `out = model.predict(pandas.DataFrame(json.loads(sys.argv[2]), columns=${JSON.stringify(NAMES)}, dtype="float64"))`,
        'print(json.dumps({"probability": [float(v) for v in out["probability"]], "label": [int(v) for v in out["label"]]}))',
      ].join('\n');
      const { stdout } = await promisify(execFile)(python, ['-c', script, dir, JSON.stringify(rows)], {
        timeout: 60_000,
      });
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { probability: number[]; label: number[] };
      const expected = rows.map((r) => 1 / (1 + Math.exp(-(r.reduce((s, v, j) => s + v * COEF[j]!, 0) + INTERCEPT))));
      const worst = Math.max(...result.probability.map((p, i) => Math.abs(p - expected[i]!)));
      expect(worst).toBeLessThan(1e-6);
      expect(result.label).toEqual(expected.map((p) => (p > 0.5 ? 1 : 0)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
